package gpu

import (
	"errors"
	"fmt"
	"hash/fnv"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gpusim/gpusim/gpu/cl"
	"github.com/gpusim/gpusim/internal/cachedir"
	"github.com/gpusim/gpusim/internal/interrupt"
)

// A process that builds a program from a cached binary marks the entry as
// loading (a file beside it, named for its host and process ID) until its
// Open has created the kernels and run their first launches, and again
// during the first launch in the process of each kernel Open did not
// launch (shared.firstLaunch: the daily kernel's, whose machine code pocl
// generates from the binary then). The mark is lifted while the driver is
// asked for another program's build, load or first launches (liftMark,
// shared.focus), and the queue and buffer that are the engine's are made
// before it: a crash there is not the binary's. A driver that
// crashes the process on a binary (pocl dereferences what a damaged binary
// holds, past the checksum that a binary written by another build of the
// driver under the same key also passes) would otherwise crash every later
// process too, until the entry were removed by hand. The next process that
// finds the mark of a process that no longer runs discards the entry and
// builds the source instead; a process killed in those milliseconds (a few
// on a warm start) costs the next one that build. A binary is loaded only
// under a mark, as an unmarked load of a binary that crashes the driver
// crashed every start. Where the entry's folder takes no mark (a cache
// shared read-only, filled by others), the mark goes to this user's own
// folder of marks (fallbackMarks: in $TMPDIR, else $XDG_RUNTIME_DIR),
// named for the entry's path; a crash's
// mark there stays while the entry, which this process cannot remove, is
// unchanged, so that every later start builds the source instead (with a
// note) rather than crash on it in turn. Only where no folder takes a
// mark is the source built at every start, with one note a start saying
// why and what to set. So at most one start crashes
// on one bad entry.
//
// A cache folder may be shared by hosts (a home folder on NFS, a Slurm
// array's jobs) or by containers (a volume, a Kubernetes Indexed Job's
// pods), whose process IDs mean nothing here: a mark names its host (and PID
// namespace), and one of another is taken for a crash only once it is
// older than foreignStale. Without that every start beside another host's
// warm start took that host's live mark for a crash, discarded the entry
// and built the source (and a container's process, often of the same small
// ID, took another container's mark for its own earlier one).

// loadingSuffix is what a mark adds to the entry's path, before the host
// and the ID.
const loadingSuffix = ".loading."

// foreignStale is the age past which the mark of a process of another host
// or PID namespace, which cannot be checked from here, is taken for one
// whose process ended while it loaded: a load takes milliseconds to
// seconds.
const foreignStale = 5 * time.Minute

// hostTag names this process's host and PID namespace in its marks: the
// process IDs of marks with another tag cannot be checked here. A variable
// for tests, which play another host.
var hostTag = sync.OnceValue(func() string {
	name, _ := os.Hostname()
	ns, _ := os.Readlink("/proc/self/ns/pid")
	h := fnv.New64a()
	fmt.Fprintf(h, "%s\x00%s", name, ns)
	return fmt.Sprintf("%016x", h.Sum64())
})

// markName is the name of the mark of process pid of this host on the
// entry at path.
func markName(path string, pid int) string {
	return markNameAs(path, loadingSuffix, pid)
}

// markNameAs is markName of a mark of the kind suffix (loadingSuffix,
// stepSuffixes).
func markNameAs(path, suffix string, pid int) string {
	return path + suffix + hostTag() + "." + strconv.Itoa(pid)
}

// markLoading marks the entry at path as loading in this process and
// returns the function that removes the mark, or why it could not be made
// (then the binary is not loaded: buildCached). The mark is
// made new (O_EXCL), never opened through what is in its place: with
// O_TRUNC a link there (a cache folder others can write) emptied the file
// it named, and a dangling one made it. A process ended by a second
// interrupt or after the stop's grace while it loads, or by main's exit
// with a load still under way, removes its mark too (endMarks), which
// would make the next start discard a good entry with a note of a crash.
//
// A process holds one mark an entry: where its devices load the same
// entry at once (OpenMulti opens them in parallel; two devices of one
// model and driver share a program's key), the later loads count on the
// first's mark, which the last done removes. Each made its own before,
// and O_EXCL refused the second, which fell back to the folder of marks
// or loaded nothing.
func markLoading(path string) (done func(), err error) {
	return markAs(path, loadingSuffix)
}

// markAs is markLoading of a mark of the kind suffix (loadingSuffix, or a
// step's: stepSuffixes).
func markAs(path, suffix string) (done func(), err error) {
	held.Lock()
	defer held.Unlock()
	if h := held.m[path+suffix]; h != nil {
		if h.lifted > 0 {
			// Another load of the entry's: its step is the mark's.
			if remove, err := makeMark(path, suffix); err == nil {
				h.remove = remove
			}
			h.lifted = 0
			h.gen++ // the lifts' backs make nothing
		}
		h.n++
		return h.release(path + suffix), nil
	}
	remove, err := makeMark(path, suffix)
	if err != nil {
		return nil, err
	}
	h := &heldMark{n: 1, remove: remove, path: path, suffix: suffix}
	if held.m == nil {
		held.m = map[string]*heldMark{}
	}
	held.m[path+suffix] = h
	return h.release(path + suffix), nil
}

// held are the entries this process has marked as loading (markLoading),
// or as in a step (markAs), by path and the mark's suffix. Its lock is taken while a mark is made and removed, and while
// crashedLoading reads the marks, so that a mark seen there is either
// held or not made by this process now. ended says the process is
// ending (endMarks): no mark is made after it.
var held struct {
	sync.Mutex
	m     map[string]*heldMark
	ended bool
}

// endMarks removes every mark this process holds and makes none after it
// (makeMark then makes nothing): for a process that ends through gpusim's
// own exit (Quiesce, before main's os.Exit; the forced exit of a stop or
// of a second stop, as its last interrupt.BeforeExit hook, registered in
// init), which is no crash, however many of its goroutines are still in
// the driver. Each mark has a hook of its own too (makeMark), but the
// forced exit takes the hooks as it begins: with those alone, a step that
// ended during the exit (a build whose first launch was marked next, a
// mark lifted for another program's build and made again) made a mark
// that no hook removed; and main's exit after a stop, with a run's or an
// open's goroutine still in the driver (a buffer's creation, a build of an
// open of several devices left running), removed none. The next start
// took such a mark for a death in the driver (a note, or the device
// refused). A crash of the driver in the microseconds between endMarks
// and the exit is not remembered.
func endMarks() {
	held.Lock()
	defer held.Unlock()
	held.ended = true
	for _, h := range held.m {
		h.remove()
		h.remove = func() {}
	}
}

func init() { interrupt.BeforeExit(endMarks) }

// heldMark is a mark this process holds: n loads count on it, and remove
// removes it; it is the mark of the kind suffix on the entry at path.
// lifted counts the liftMark calls that took its file away for a driver
// call it is not about and have not put it back; gen counts the times a
// second load made it again while lifted (markAs), which ends those lifts.
type heldMark struct {
	n            int
	remove       func()
	path, suffix string
	lifted, gen  int
}

// liftMark takes away the file of the mark this process holds at key (an
// entry's path and the mark's kind) while the driver is asked for
// something the mark is not about (another program's build, load or
// launches: shared.focus), and returns the function that makes it again.
// A crash there then leaves no mark on the entry, which a start after it
// would have discarded (or refused) for the driver's fault elsewhere. A
// mark two loads of this process count on (OpenMulti's identical devices,
// one of which may be in the mark's own step) is left as it is, as is a
// mark this process does not hold. A mark whose load ended while it was
// lifted (release) is not made again.
func liftMark(key string) (back func()) {
	held.Lock()
	defer held.Unlock()
	h := held.m[key]
	if h == nil || h.n > 1 && h.lifted == 0 {
		return func() {}
	}
	if h.lifted++; h.lifted == 1 {
		h.remove()
		h.remove = func() {}
	}
	gen := h.gen
	var once sync.Once
	return func() {
		once.Do(func() {
			held.Lock()
			defer held.Unlock()
			if held.m[key] != h || h.gen != gen {
				return // released, or made again by another load, meanwhile
			}
			if h.lifted--; h.lifted == 0 {
				if remove, err := makeMark(h.path, h.suffix); err == nil {
					h.remove = remove
				}
			}
		})
	}
}

// release is the done of one load under h on the entry at key (its path
// and the mark's suffix): it is
// counted once however often it is called, and the last removes the mark.
func (h *heldMark) release(key string) func() {
	var once sync.Once
	return func() {
		once.Do(func() {
			held.Lock()
			defer held.Unlock()
			if h.n--; h.n == 0 {
				delete(held.m, key)
				h.remove()
			}
		})
	}
}

// makeMark makes the mark of markAs, of the kind suffix, in the entry's
// folder or else in the folder of marks, and returns the function that
// removes it; it makes none once the process is ending (endMarks). Call
// it with held's lock held.
func makeMark(path, suffix string) (remove func(), err error) {
	if held.ended {
		// The process is ending (endMarks): the step goes ahead
		// unmarked for the microseconds it has left.
		return func() {}, nil
	}
	mark := markNameAs(path, suffix, os.Getpid())
	f, err := openMark(mark, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o644)
	if err != nil {
		// The entry's folder takes no mark: this user's own folder.
		dir, ferr := fallbackMarks(true)
		if ferr == nil {
			mark = filepath.Join(dir, pathTag(path)+suffix+hostTag()+"."+strconv.Itoa(os.Getpid()))
			f, ferr = openMark(mark, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
			if ferr != nil {
				ferr = fmt.Errorf("%s: %w", dir, pathless(ferr))
			}
		}
		if ferr != nil {
			return nil, &markError{dir: filepath.Dir(path), err: pathless(err), fallback: ferr}
		}
	}
	// The crash handler's evidence (cl.CrashMark): the mark is in its
	// table before it says it is watched, so that a crash between the two
	// leaves the evidence.
	watched, drop := cl.CrashMark(mark)
	if watched {
		f.WriteString(cl.CrashMarkWatched)
	}
	f.Close()
	// Removed at a forced exit in its turn among the hooks, before any
	// that a stuck stderr holds (a bar's erasing); endMarks, registered
	// first, runs last and takes the rest.
	unhook := interrupt.BeforeExit(func() { os.Remove(mark) })
	return func() {
		unhook()
		drop()
		os.Remove(mark)
	}, nil
}

// lockEntry takes the lock among processes on the entry at path (flock(2)
// on path+".lock", cachedir.Lock) and returns the function that releases
// it: markedEntry reads the entry, checks it for a crash's mark and marks
// it under it. Where the entry's folder takes no lock file (a cache shared
// read-only), the lock is this user's folder of marks' (fallbackMarks),
// named for the entry's path, which excludes this user's processes; where
// neither can be locked, or a holder keeps it past entryLockWait (a
// process stopped), the step goes ahead unlocked, as it did before.
func lockEntry(path string, h buildHooks) (unlock func()) {
	lock := path + ".lock"
	unlock, err := lockEntryNoted(lock, h)
	if err == nil || errors.Is(err, cachedir.ErrLockBusy) {
		return unlock
	}
	if dir, ferr := fallbackMarks(true); ferr == nil {
		unlock, _ = lockEntryNoted(filepath.Join(dir, pathTag(path)+".lock"), h)
	}
	return unlock
}

// lockEntryNoted is lockEntry's lock of the file lock, said to
// h.progress where its wait passes cachedir.NoteAfter, and to h.note where
// it passes entryLockWait.
func lockEntryNoted(lock string, h buildHooks) (unlock func(), err error) {
	var holder string
	unlock, err = cachedir.LockWaiting(lock, entryLockWait, func(who string) {
		holder = who
		h.progressf("waiting for another process's load of the cached OpenCL program for %s (%s is held%s): at most %v, then it is read unlocked", h.device, lock, cachedir.ByHolder(who), entryLockWait)
	})
	if errors.Is(err, cachedir.ErrLockBusy) {
		h.notef("gave up waiting for the lock on the cached OpenCL program for %s after %v (%s is still held%s: a process stopped): reading it unlocked", h.device, entryLockWait, lock, cachedir.ByHolder(holder))
	}
	return unlock, err
}

// entryLockWait bounds lockEntry's wait for another process: its holder
// reads an entry of a megabyte or less and makes a mark.
const entryLockWait = 2 * time.Second

// ProgramLoadable says why a start would not load the compiled program
// cached at path (ProgramFile), building the source instead: no loading
// mark can be made for it (markLoading), in its folder (a probe file
// there, made and removed) nor in this user's folder of marks. It is nil
// where a mark can be made. auto (engines) takes a device whose program
// cannot be loaded for a cold one.
func ProgramLoadable(path string) error {
	dir := filepath.Dir(path)
	probe := filepath.Join(dir, ".mark-probe."+hostTag()+"."+strconv.Itoa(os.Getpid()))
	f, err := openMark(probe, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o644)
	if err == nil {
		f.Close()
		os.Remove(probe)
		return nil
	}
	if _, ferr := fallbackMarks(true); ferr != nil {
		return &markError{dir: dir, err: pathless(err), fallback: ferr}
	}
	return nil
}

// markError says why no loading mark could be made for an entry of dir:
// err beside it, fallback in each folder of marks. Its text names no
// entry, so that a start's programs, which fail alike, get one note.
type markError struct {
	dir           string
	err, fallback error
}

func (e *markError) Error() string {
	return fmt.Sprintf("no loading mark can be made in %s (%v) nor in a folder of this user's marks (%v)", e.dir, e.err, e.fallback)
}

// pathless is err without the path of an *fs.PathError: a mark's name,
// which differs from entry to entry.
func pathless(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return fmt.Errorf("%s: %w", pe.Op, pe.Err)
	}
	return err
}

// openMark is os.OpenFile; tests make it fail.
var openMark = os.OpenFile

// marksName names this user's folder of marks (fallbackMarks):
// gpusim-loading-UID.
const marksName = "gpusim-loading"

// fallbackMarks is the folder (made where missing, with create) of the
// marks of entries whose own folder takes none: gpusim-loading-UID in the
// first of cachedir.PrivateParents where it is (or, with create, can be
// made) this user's alone (cachedir.Private: a folder of that name that is
// a link, another user's or open to others is refused, as its marks could
// be forged or removed by others); $XDG_RUNTIME_DIR after $TMPDIR, as
// without it a system whose temporary folder this process cannot write
// built the source at every start of a read-only cache. The error says
// why each folder was not.
func fallbackMarks(create bool) (string, error) {
	return cachedir.Private(marksName, create)
}

// fallbackName is the name in fallbackMarks of the mark of process pid of
// this host on the entry at path: the path's FNV-1a hash for the entry's
// name.
func fallbackName(path string, pid int) string {
	return pathTag(path) + loadingSuffix + hostTag() + "." + strconv.Itoa(pid)
}

// pathTag is the FNV-1a hash of path, in hex.
func pathTag(path string) string {
	h := fnv.New64a()
	h.Write([]byte(path))
	return fmt.Sprintf("%016x", h.Sum64())
}

// crashedLoading says which process marked the entry at path as loading
// and ended before it was done (who, for crashNote), removing the marks of
// such processes, or "" when there is none. A mark with this process's own
// ID and host is an earlier process's; one of another host is taken for a
// crash once older than foreignStale. A mark older than the entry itself
// was made on a binary since replaced (another process discarded it and
// saved the source's): it is removed, but does not make this one suspect.
//
// A mark of this process on an entry it holds a mark on (markLoading) is
// another of its devices' load under way, and is left alone: with the
// devices opened in parallel, one device's load took another's live mark
// for a crash of this process and discarded a good entry.
//
// kept are the crash's marks that stay (in a folder of marks, on an entry
// this process may not remove): the note that the entry is bypassed names
// them, as removing one is how a user who knows the crash was not the
// entry's (pocl ended by a read-only kernel cache, a kill) trusts the
// entry again.
func crashedLoading(path string) (who string, kept []string) {
	held.Lock()
	defer held.Unlock()
	ours := held.m[path+loadingSuffix] != nil
	var written time.Time
	if st, err := os.Stat(path); err == nil {
		written = st.ModTime()
	}
	dir, name := filepath.Split(path)
	who, _ = crashedIn(dir, name+loadingSuffix, loadingStep, written, false, ours)
	// Every folder of marks: a crash's mark stays in the one that was
	// writable then.
	for _, d := range cachedir.PrivateParents() {
		if fb, err := cachedir.PrivateIn(d[1], marksName, false); err == nil {
			if w, k := crashedIn(fb, pathTag(path)+loadingSuffix, loadingStep, written, true, ours); w != "" {
				who = w
				kept = append(kept, k...)
			}
		}
	}
	return who, kept
}

// loadingStep is what the driver did under a loading mark, for the note
// of one that a process left without a crash (killedMark).
const loadingStep = "loaded a compiled program from the cache or ran its first launch"

// crashedIn is crashedLoading over the marks in dir whose names start with
// prefix, on an entry written at written (zero: none). A mark that the
// crash handler watched and a process left without a crash (killedMark:
// kill -9, the out-of-memory killer) is removed with a cache note that
// names step (what the driver did under it), and is no crash's. A crash's mark is
// removed, but with keep (the marks of fallbackMarks, whose entries are in
// a folder this process may not be able to change) one on an entry
// written before it stays, so that the next start finds it too, until the
// entry is removed or replaced. With ours (this process holds a mark on
// the entry) this process's own marks are passed over. kept are the paths
// of the crash's marks that stay.
func crashedIn(dir, prefix, step string, written time.Time, keep, ours bool) (who string, kept []string) {
	entries, _ := os.ReadDir(dir)
	for _, ent := range entries {
		rest, ok := strings.CutPrefix(ent.Name(), prefix)
		if !ok {
			continue
		}
		info, err := ent.Info()
		if err != nil {
			continue
		}
		mark := filepath.Join(dir, ent.Name())
		w, dead := deadMark(rest, info.ModTime(), ours, readEvidence(mark, info) == crashedSure)
		if !dead {
			continue
		}
		stale := info.ModTime().Before(written)
		if killedMark(mark, info, w, step) {
			continue
		}
		if !keep || written.IsZero() || stale {
			os.Remove(mark)
		} else {
			kept = append(kept, mark)
		}
		if stale {
			continue
		}
		who = w
	}
	return who, kept
}

// deadMark says whether a mark whose name ends in rest (HOST.PID), made
// at made, is that of a process that ended while it held it, and names the
// process (who, for the notes): one of this host whose process no longer
// runs (ended and not yet reaped, or its ID taken since by a process that
// started after the mark: running), or this process's own unless ours (it
// holds a mark of that kind on the entry: one of its own devices' step
// under way), or one of another host or PID namespace older than
// foreignStale, or holding the
// crash's evidence (crashed: readEvidence's crashedSure, which the crash
// handler writes as the process ends): a container restarted after its
// driver crashed (a Kubernetes Job's pod, whose restart is a new PID
// namespace) took its own crash's mark for a live process's for
// foreignStale, and loaded the entry and crashed again, as did every
// other host's start.
func deadMark(rest string, made time.Time, ours, crashed bool) (who string, dead bool) {
	host, id, _ := strings.Cut(rest, ".")
	pid, err := strconv.Atoi(id)
	if err != nil || pid <= 0 {
		return "", false
	}
	switch age := time.Since(made); {
	case host == hostTag():
		if pid != os.Getpid() && running(pid, made) || pid == os.Getpid() && ours {
			return "", false
		}
		return fmt.Sprintf("process %d", pid), true
	case crashed:
		return fmt.Sprintf("process %d of another host or container (its mark says the driver crashed it)", pid), true
	case age < foreignStale:
		return "", false
	default:
		return fmt.Sprintf("process %d of another host or container (its mark is %v old)", pid, age.Round(time.Second)), true
	}
}

// crashNote is the note for an entry that crashedLoading found; who is the
// process, what says what became of the entry. The mark covers the load
// and the first launch (a crash in either leaves it), so the note names
// both: it named the load alone after a crash in the first launch.
func crashNote(who, what string) string {
	return fmt.Sprintf("cache: %s ended while it loaded the compiled program from the cache or ran its first launch, which may have crashed it: %s", who, what)
}
