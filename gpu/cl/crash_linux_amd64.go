package cl

import (
	"bufio"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"

	"github.com/gpusim/gpusim/internal/atomicfile"
)

// crashSupported is true: Load installs crashHandler (crash.go).
const crashSupported = true

// crashSignals are the signals of a driver's crash: a fault's, and
// SIGABRT, abort(3)'s (an assertion in the driver's compiler).
var crashSignals = []syscall.Signal{syscall.SIGSEGV, syscall.SIGBUS, syscall.SIGILL, syscall.SIGFPE, syscall.SIGABRT}

// sigNames are the crash signals' names, by number, as crashHandler
// writes them: a pointer and a length each.
var sigNames [32]struct {
	p *byte
	n uintptr
}

// goHandlers are the handlers crashHandler found in place (Go's), by
// signal number, which it hands every signal that is not a driver's crash.
var goHandlers [32]uintptr

// goTextLo and goTextHi bound the mapping of Go's code, [lo, hi): a
// fault outside it is in a driver (gpusim has no C code of its own).
var goTextLo, goTextHi uintptr

// crashNames is the table of named temporary files the handler unlinks
// (atomicfile.NameTable): crashNameSlots slots of crashNameSize bytes, each
// a uint32 state (atomicfile.NameSlotNamed: a path to unlink) and the path
// at crashNamePath. Set by armCrash; no slots before.
var crashNames, crashNameSlots, crashNameSize, crashNamePath uintptr

// crashOutWait is how long, in nanoseconds, the handler waits in all
// for stderr and stdout to take its writes (the error, the document, the
// report, crashReport, and its note), one budget for both: after it, it
// writes only what each takes without waiting, and gives up on the rest
// (a full pipe that no one reads: "| sleep 1000", "2>&1 | sleep 1000").
// Where stdout did not take its part whole, it writes crashCutNote on
// stderr last; it exits 1 whatever stderr took. Such an fd held the
// crashed process until its reader went, while gpusim's other threads
// went on (a set-up call's wait for an answer gave up on the crashed call
// after 10 s, and the benchmark went on without the device). 5 s ends
// the handler before that wait.
var crashOutWait int64 = crashOutSeconds * 1e9

const crashOutSeconds = 5

// crashCutNote is what the handler says on stderr of a report it cut
// short at crashOutWait.
var crashCutNote = "gpusim: note: the report on stdout is cut short: stdout did not take it whole within " + strconv.Itoa(crashOutSeconds) + " s (a full pipe that no one reads), and a crashed gpusim waits no longer\n"

// crashSegs is the table of the handler's writes, in order, which it
// fills as it begins: each an fd, a pointer to the bytes and their length.
// Its 10 rows are the most it writes: the progress line's erasure, the
// error's three parts, the document's three, the report, its note and
// crashCutNote.
var crashSegs [10][3]uintptr

// crashPoll and crashClock are the handler's poll(2) pollfd and its
// clock_gettime(2) timespec: it uses no stack.
var (
	crashPoll  [8]byte
	crashClock [2]int64
)

// crashHandler is the handler; crashHandlerPC is its address.
func crashHandler()
func crashHandlerPC() uintptr

var armOnce sync.Once

// armCrash puts crashHandler before Go's handler of each crash signal,
// once, where Go's is in place (SA_SIGINFO) and the mapping of Go's code
// is found; a signal it cannot take stays Go's alone.
func armCrash() {
	armOnce.Do(func() {
		lo, hi, ok := textMapping(uint64(crashHandlerPC()))
		if !ok {
			return
		}
		goTextLo, goTextHi = uintptr(lo), uintptr(hi)
		table, size, path := atomicfile.NameTable()
		crashNames, crashNameSize, crashNamePath = uintptr(table), size, path
		crashNameSlots = atomicfile.NameSlots
		armed := 0
		for _, s := range crashSignals {
			var old sigaction
			if !rtSigaction(s, nil, &old) || old.handler <= 1 || old.flags&saSiginfo == 0 {
				continue
			}
			name := signalName(s)
			sigNames[s].p, sigNames[s].n = &[]byte(name)[0], uintptr(len(name))
			goHandlers[s] = uintptr(old.handler)
			act := old
			act.handler = uint64(crashHandlerPC())
			if !rtSigaction(s, &act, nil) {
				continue
			}
			armed++
			if s == syscall.SIGABRT {
				abortAct = act
				abortArmed.Store(true)
			}
		}
		allArmed.Store(armed == len(crashSignals))
	})
}

// crashHandler's loop over crashMarks counts crashMarkSlots slots and
// writes len(CrashMarkWord) bytes as constants (32 and 8): these fail to
// compile where either changes alone.
var (
	_ [crashMarkSlots - 32]struct{}
	_ [32 - crashMarkSlots]struct{}
	_ [len(CrashMarkWord) - 8]struct{}
	_ [8 - len(CrashMarkWord)]struct{}
)

// allArmed says armCrash put crashHandler before Go's handler of every
// crash signal.
var allArmed atomic.Bool

// crashArmed says a driver's crash in this process now runs crashHandler
// to its end, which writes to the marks of CrashMark: it is installed for
// every crash signal and names a library (crashTab).
func crashArmed() bool {
	return allArmed.Load() && atomic.LoadPointer(&crashTab) != nil
}

// abortAct is crashHandler's action for SIGABRT, which rearmCrash puts
// back in front of a driver's: abortArmed says it is set.
var (
	abortAct   sigaction
	abortArmed atomic.Bool
)

// rearmCrash puts crashHandler back as SIGABRT's handler where a driver
// replaced it (restoreSignals calls it after a driver's call): pocl's
// LLVM handler, which a driver's abort(3) reached first, put back the
// handler before it and returned, and abort(3) then reset SIGABRT to its
// default action and raised it again, so that the process died by it (exit
// status 134) without a word. A fault's handlers are left to the driver's,
// which hand a fault on to crashHandler as they return (the fault is
// raised again).
func rearmCrash() {
	if !abortArmed.Load() {
		return
	}
	var now sigaction
	if rtSigaction(syscall.SIGABRT, nil, &now) && now.handler != abortAct.handler {
		rtSigaction(syscall.SIGABRT, &abortAct, nil)
	}
}

// saSiginfo is SA_SIGINFO: a handler of three arguments.
const saSiginfo = 0x4

// textMapping finds the executable mapping of /proc/self/maps that holds
// pc: [lo, hi).
func textMapping(pc uint64) (lo, hi uint64, ok bool) {
	f, err := os.Open("/proc/self/maps")
	if err != nil {
		return 0, 0, false
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) < 2 || !strings.HasPrefix(fields[1], "r-x") {
			continue
		}
		a, b, found := strings.Cut(fields[0], "-")
		if !found {
			continue
		}
		lo, err1 := strconv.ParseUint(a, 16, 64)
		hi, err2 := strconv.ParseUint(b, 16, 64)
		if err1 == nil && err2 == nil && lo <= pc && pc < hi {
			return lo, hi, true
		}
	}
	return 0, 0, false
}
