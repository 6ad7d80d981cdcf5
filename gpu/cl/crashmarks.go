package cl

import (
	"sync/atomic"

	"github.com/gpusim/gpusim/internal/pathslot"
)

// A mark that gpu leaves in its cache folder while the driver is asked
// for a step that may crash it (a build, a device's set-up, a first
// launch, a cached program's load) outlives a process that the driver
// crashed, and a later start refuses the step; but a process killed
// otherwise there (kill -9, the out-of-memory killer, a power loss) left
// the same mark, and a healthy device was refused. So the marks under way
// are also kept in crashMarks, a table the crash handler reads without Go
// (as atomicfile's NameTable): a driver's crash appends CrashMarkWord to
// each (open(2) with O_APPEND|O_NOFOLLOW, write(2), close(2)) before
// anything else, and gpu writes CrashMarkWatched into a mark the handler
// watches as it makes it (CrashMark), so that a later start tells a
// crash's mark (it holds CrashMarkWord) from a death without a crash's
// (CrashMarkWatched alone) and from a mark the handler did not watch
// (empty: another system, a handler not armed, an older gpusim).

const (
	// CrashMarkWatched is what gpu writes into a mark that CrashMark
	// says the handler watches.
	CrashMarkWatched = "watched\n"
	// CrashMarkWord is what the handler appends to each watched mark
	// when the driver crashes the process.
	CrashMarkWord = "crashed\n"
	// crashMarkSlots is the number of marks the table holds at once.
	crashMarkSlots = 32
)

var (
	crashMarks     [crashMarkSlots]pathslot.Slot
	crashMarksNext atomic.Uint32
	// crashMarkText is CrashMarkWord for the handler.
	crashMarkText = [len(CrashMarkWord)]byte([]byte(CrashMarkWord))
	// crashMarkSize and crashMarkPath are the slot's size and the
	// path's offset, for the handler.
	crashMarkSize = pathslot.Size
	crashMarkPath = pathslot.PathOffset
)

// CrashMark puts the mark at path (absolute, or relative to the working
// folder, which gpusim does not change) in the handler's table and says
// whether a crash of the driver in this process from now on appends
// CrashMarkWord to it: true where the handler is installed for every
// crash signal and names a library (linux/amd64, once Load has run) and a
// slot was free for the path. drop takes it out of the table (call it
// before the mark is removed); it may be called more than once.
func CrashMark(path string) (watched bool, drop func()) {
	if !crashArmed() {
		return false, func() {}
	}
	i := pathslot.Claim(crashMarks[:], &crashMarksNext, path)
	if i < 0 {
		return false, func() {}
	}
	var dropped atomic.Bool
	return true, func() {
		if dropped.CompareAndSwap(false, true) {
			pathslot.Free(crashMarks[:], i)
		}
	}
}

// CrashMarksWatched says whether CrashMark can watch marks in this
// process now: the handler is installed (linux/amd64) for every crash
// signal and names a library.
func CrashMarksWatched() bool { return crashArmed() }
