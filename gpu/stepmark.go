package gpu

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/gpusim/gpusim/gpu/cl"
	"github.com/gpusim/gpusim/internal/cachedir"
	"github.com/gpusim/gpusim/internal/quote"
)

// A driver that crashes the process building gpusim's program from source
// (clBuildProgram), or in the first launch of a program built from source
// (pocl generates a kernel's machine code then), crashes it again at every
// later start: a crash cannot be caught (cl.Crashing only words it), and
// auto, which chose the device, exited 1 each time rather than run on
// simd. So each of those steps is marked as a loading mark is (markAs,
// loading.go): a file in the programs folder, named for the step, the host
// and the process ID, and keyed for a first launch as the program's entry
// is (device, driver version, build options, source: programKey), for a
// build as the device is (deviceKey: a build's crash refuses every program
// of the device and driver, which share the compiler and most of their
// source: shared.buildMarkPath), made before the driver is
// asked and removed once it has answered (for the first launches, once
// Open's have run, and around each later kernel's first launch in the
// process: firstLaunch). A start that finds the mark of a process that
// ended (deadMark: not one that still runs) asks the driver for nothing of
// that program on that device and returns an *EarlierCrashError: auto
// runs on simd with a note that names it, --device N and --engine opencl
// end with it. The mark stays until it is removed (its path is in the
// error's hint), or a new driver version or build of gpusim, whose key is
// another, leaves it behind. A process killed (SIGKILL: kill -9, the
// out-of-memory killer) in those steps leaves a mark too: on linux/amd64
// the crash handler appends cl.CrashMarkWord to the marks of a crash
// (makeMark: cl.CrashMark), and a mark it watched without that word is a
// death without a crash, removed with a cache note and the driver asked
// again (killedMark); elsewhere (no handler) such a mark is refused as a
// crash's. A process that ends through gpusim's own exit (a stop that
// gpusim handles, its forced exit, or main's exit with a goroutine still
// in the driver) removes its marks (endMarks). With the cache off no mark is
// made, and a crash happens again at every start.

// The kinds of a step's mark, what the mark adds to the entry's path
// before the host and the ID: stepSuffixes.
const (
	buildingSuffix  = ".building."
	launchingSuffix = ".launching."
	setUpSuffix     = ".setup."
	bufferSuffix    = ".buffer."
)

// stepKind is a kind of a step's mark: what the mark adds to the path
// before the host and the ID, and what the driver did in the step.
type stepKind struct{ suffix, step string }

// stepSuffixes are the steps' marks' kinds, with what the driver did in
// each (EarlierCrashError.Step).
var stepSuffixes = []stepKind{
	{buildingSuffix, "built one of gpusim's programs for the device"},
	{launchingSuffix, "ran a first launch of the program, built from source"},
	setUpStep,
	bufferStep,
}

// setUpStep is the kind of a device's set-up's mark (markSetUp).
var setUpStep = stepKind{setUpSuffix, "set the device up (its context, a queue or the engine's first buffer)"}

// bufferStep is the kind of the mark of a buffer's creation on a device
// (Engine.markBuffer): a run's buffers, the self-test's.
var bufferStep = stepKind{bufferSuffix, "created a buffer on the device (for a run or the self-test's checks)"}

// markStep marks the step of kind suffix (buildingSuffix,
// launchingSuffix, setUpSuffix) as under way on the program (or device)
// whose cache entry is at path, and returns the function that removes the mark; it does nothing
// where path is "" (the cache off) or no folder takes the mark: the step
// goes ahead unmarked, as there is nothing else to do.
func markStep(path, suffix string) (done func()) {
	if path == "" {
		return func() {}
	}
	done, err := markAs(path, suffix)
	if err != nil {
		return func() {}
	}
	return done
}

// EarlierCrashError is Open's error where an earlier process ended while
// the driver built the program for the device, or ran a first launch of
// it built from source (markStep), which may have crashed it: the driver
// is not asked again. Open's error wraps it with the device. It holds the
// process (Who: "process 1234"), what the driver did (Step: "built one of
// gpusim's programs for the device") and the marks' paths, whose removal
// tries again.
type EarlierCrashError struct {
	Who, Step string
	Marks     []string
	// Several says that the process held marks of other devices' set-up
	// or buffers too (a Multi's, whose devices open and run at once): a
	// crash cannot be told to be this device's, and Marks holds theirs.
	Several bool
	// Crashed says that a mark holds the crash handler's evidence of a
	// crash (cl.CrashMarkWord): the driver crashed the process, where
	// without it the process may have ended otherwise.
	Crashed bool
}

// Error says what the driver did as the process ended, and whether it
// crashed it: certainly where the crash handler's evidence says so
// (Crashed), and, where the process used several devices at once
// (Several), here or on another of them, which cannot be told (it said
// "which crashed it" of each device, one of which did not).
func (e *EarlierCrashError) Error() string {
	how := "which may have crashed it"
	switch {
	case e.Crashed && e.Several:
		how = "which crashed it here or on another device it used at once (which one's call cannot be told)"
	case e.Crashed:
		how = "which crashed it"
	case e.Several:
		how = "which may have crashed it, here or on another device it used at once"
	}
	return fmt.Sprintf("%s ended while the OpenCL driver %s, %s: not asked again", e.Who, e.Step, how)
}

// Hint says how to ask the driver again: remove the marks, or update the
// driver, whose new version has marks of its own.
func (e *EarlierCrashError) Hint() string {
	what := "the mark"
	if len(e.Marks) > 1 {
		what = "the marks"
	}
	several := ""
	if e.Several {
		several = fmt.Sprintf(" (%s was using several devices at once, and which one's call crashed it cannot be told: this removes the marks on each)", e.Who)
	}
	return fmt.Sprintf("a driver that crashes there crashes there at every start, so gpusim asks it no more; to try again (a new driver version is tried of itself), remove %s of the crash%s: rm -f %s", what, several, quote.ShellWords(e.Marks))
}

// CrashHint is the hint of err where it is an *EarlierCrashError, else "".
func CrashHint(err error) string {
	if ec := (*EarlierCrashError)(nil); errors.As(err, &ec) {
		return ec.Hint()
	}
	return ""
}

// earlierCrash is the *EarlierCrashError of the program whose cache entry
// is at path, where a step's mark on it, or a build's mark on its device
// (at device: buildHooks.buildMark, "" for none), is a process's that
// ended (deadMark), or nil: the marks beside the entry and in each of this
// user's folders of marks (fallbackMarks). It leaves the marks.
func earlierCrash(path, device string) error {
	if path == "" {
		return nil
	}
	e := earlierCrashAt(path, stepSuffixes)
	if device != "" {
		if d := earlierCrashAt(device, stepSuffixes); e == nil {
			e = d
		} else if d != nil {
			for _, m := range d.Marks {
				if !slices.Contains(e.Marks, m) {
					e.Marks = append(e.Marks, m)
				}
			}
		}
	}
	if e == nil {
		return nil // a typed nil is no error
	}
	return e
}

// earlierCrashAt is earlierCrash of the marks of the kinds steps (of
// stepSuffixes) on the name path alone: an entry's, or a device's.
func earlierCrashAt(path string, steps []stepKind) *EarlierCrashError {
	var e *EarlierCrashError
	deadRests := map[string]bool{} // the HOST.PID of each dead process's mark
	// look checks the marks in dir of the names tag+suffix+HOST.PID: one
	// reading of the folder for every step, under held's lock, so that a
	// mark of this process's seen there is held or was not made by it now:
	// read first and asked about after, a mark its holder removed in
	// between (another device's set-up, OpenMulti's devices of one key)
	// was taken for an earlier process's of this ID, and refused the
	// device.
	look := func(dir, tag string) {
		held.Lock()
		defer held.Unlock()
		ents, _ := os.ReadDir(dir)
		for _, ent := range ents {
			for _, st := range steps {
				rest, ok := strings.CutPrefix(ent.Name(), tag+st.suffix)
				if !ok {
					continue
				}
				info, err := ent.Info()
				if err != nil {
					continue
				}
				ours := held.m[path+st.suffix] != nil
				mark := filepath.Join(dir, ent.Name())
				if who, dead := deadMark(rest, info.ModTime(), ours, readEvidence(mark, info) == crashedSure); dead {
					if killedMark(mark, info, who, st.step) {
						continue
					}
					if e == nil {
						e = &EarlierCrashError{Who: who, Step: st.step}
					}
					e.Crashed = e.Crashed || readEvidence(mark, info) == crashedSure
					e.Marks = append(e.Marks, mark)
					deadRests[rest] = true
				}
			}
		}
	}
	dir, name := filepath.Split(path)
	look(dir, name)
	for _, d := range cachedir.PrivateParents() {
		if fb, err := cachedir.PrivateIn(d[1], marksName, false); err == nil {
			look(fb, pathTag(path))
		}
	}
	if e == nil {
		return nil
	}
	// The same process's marks on the device's other programs (a start
	// builds two: one kill -9 left a building and a launching mark), and
	// on other devices (a Multi's: Several), so that the hint's rm -f
	// removes them all, where each start was refused on the next one's.
	ents, _ := os.ReadDir(dir)
	for _, ent := range ents {
		for _, st := range stepSuffixes {
			if _, rest, ok := strings.Cut(ent.Name(), st.suffix); ok && deadRests[rest] {
				if m := filepath.Join(dir, ent.Name()); !slices.Contains(e.Marks, m) {
					e.Marks = append(e.Marks, m)
					// Another name's set-up or buffer mark is another
					// device's (Multi): see the comment on Several.
					e.Several = e.Several || st.suffix == setUpSuffix || st.suffix == bufferSuffix
				}
			}
		}
	}
	return e
}

// sayKilled says at once, to say (Options.Note), the notes of the marks
// that earlierCrashAt found a process left without a crash and removed,
// and takes them from the cache's notes, which are said after a run
// that ends well: a start that the same step killed again (the driver
// using the memory the out-of-memory killer reclaims) never said why it
// had asked the driver again. Without say they stay the cache's notes.
func sayKilled(say func(string)) {
	if say == nil {
		return
	}
	for _, n := range cacheNotes.Drop(func(n string) bool { return strings.Contains(n, killedNote) }) {
		say(n)
	}
}

// killedNote is in the note of each mark a process left without a crash.
const killedNote = " ended without a crash while the OpenCL driver "

// markEvidence is what the crash handler left in the mark of a process
// that ended (cl.CrashMark), read the same way for every kind of mark: a
// step's (earlierCrashAt), a cached program's loading mark and the probe's
// set-up's (crashedIn). Each read the handler's evidence apart, and the
// loading and probe's marks not at all: a kill -9 there was taken for a
// crash of the driver.
type markEvidence int

const (
	// unwatched: the handler did not watch the mark (empty: another
	// system than linux/amd64, a handler not armed, an older gpusim), or
	// it cannot be read: taken for a crash's, which it may have been.
	unwatched markEvidence = iota
	// killedOnly: watched (cl.CrashMarkWatched) without the crash's
	// word: the process ended in its step otherwise than by a crash of
	// the driver (kill -9, the out-of-memory killer, the driver's own
	// exit), and the driver is asked again.
	killedOnly
	// crashedSure: the handler appended cl.CrashMarkWord: the driver
	// crashed the process in the step.
	crashedSure
)

// evidenceMost bounds what readEvidence reads of a mark: the handler's
// words, with room for a crash's word appended more than once.
const evidenceMost = 4096

// readEvidence is the evidence in the mark at path, whose Lstat is info:
// only a plain file of at most evidenceMost bytes is read.
func readEvidence(path string, info fs.FileInfo) markEvidence {
	if !info.Mode().IsRegular() || info.Size() == 0 || info.Size() > evidenceMost {
		return unwatched
	}
	b, err := os.ReadFile(path)
	switch {
	case err != nil:
		return unwatched
	case strings.Contains(string(b), cl.CrashMarkWord):
		return crashedSure
	case string(b) == cl.CrashMarkWatched:
		return killedOnly
	}
	return unwatched
}

// killedMark says the mark at path is that of a process that ended in its
// step without a crash of the driver (readEvidence: killedOnly), and
// where it is, removes it and says so in the cache's notes (killedNote,
// what the driver did in the step: step; who the process).
func killedMark(path string, info fs.FileInfo, who, step string) bool {
	if readEvidence(path, info) != killedOnly {
		return false
	}
	os.Remove(path)
	noteKilled(who, step)
	return true
}

// killedSaid holds, by process (killedMark's who), the steps that
// killedMark's notes named in this process.
var killedSaid struct {
	sync.Mutex
	m map[string][]string
}

// noteKilled adds killedMark's note (killedNote) of the process who and
// the step, once a process and step in this process. The marks of a
// device's context or queue beside the probe's record (probeSetUpStep)
// and of the device's set-up (setUpStep) are one step's: a process that
// ended creating a context left both, and the next start said two notes
// of it ("created a device's context or queue", then "set the device
// up"); the set-up's, whose words cover the other's, takes the place of
// the probe's where that is not said yet (sayKilled), else is not said.
// A mark of the same step on another device (a Multi's) was said again
// where the first note had been said and dropped.
func noteKilled(who, step string) {
	note := func(step string) string {
		return fmt.Sprintf("cache: %s"+killedNote+"%s (killed by kill -9 or the out-of-memory killer, or ended by its driver): the driver is asked again", who, step)
	}
	killedSaid.Lock()
	defer killedSaid.Unlock()
	steps := killedSaid.m[who]
	switch {
	case slices.Contains(steps, step), step == probeSetUpStep && slices.Contains(steps, setUpStep.step):
		return
	case step == setUpStep.step && slices.Contains(steps, probeSetUpStep):
		if len(cacheNotes.Drop(func(n string) bool { return n == note(probeSetUpStep) })) == 0 {
			return // said already
		}
	}
	if killedSaid.m == nil {
		killedSaid.m = map[string][]string{}
	}
	killedSaid.m[who] = append(steps, step)
	cacheNotes.Add("%s", note(step))
}

// A driver that crashes gpusim's process setting a device up (creating
// its context, a queue, the engine's first buffer: Open's calls before the
// program, which no program's mark covers) crashed every later start the
// same way, and auto, which chose the device, exited 1 each time: the
// probe's child, which creates a context and a queue on every device,
// makes no buffer, and where the crash was in gpusim's process alone the
// child lived and wrote its record again. So Open marks those calls as a
// build is marked, by the device and its driver (markSetUp:
// programs/DEVKEY.setup.HOST.PID, or in this user's folder of marks where
// the programs folder takes none), made before the context is asked for
// and removed once the engine's first buffer is made, and a start that
// finds the mark of a process that ended asks the driver for nothing on
// that device (setUpCrash: an *EarlierCrashError, auto runs on simd with
// a note, --device N ends with it and the hint's rm -f). As a build's
// mark, it stays until removed, or until a new driver version or build of
// gpusim, whose device key is another, leaves it behind.
//
// The context's and the queue's creation are also marked beside the
// probe's record (markProbeSetUp: probeRecord.setup.HOST.PID), and a start
// that finds the mark of a process that ended (deadMark) removes the
// record before it loads the driver (distrustProbe): the probe's child
// runs again and meets the crash there, which Load's error says (auto then
// runs on simd), and a child that lives writes the record again. Where the
// cache folder takes no mark (shared read-only, filled by others) the mark
// goes to this user's folder of marks, and where the record cannot be
// removed the next start's probe runs its child once without trusting or
// writing it (cl.DistrustRecord). Neither mark is the program's: the
// programs' marks are not made while they run (Engine.init asks for the
// queue and its buffer before the program, and the context comes first).
// With the cache off no mark is made, and no record kept.

// The engine's later buffers (a run's, by the job's size; the
// self-test's) were marked by nothing: a driver that crashed creating one
// crashed every later start the same way (the warm-up's run makes some in
// Open), and auto exited 1 each time; worse, the crash came under the
// program's loading mark, and the next start discarded the good cached
// program. So each buffer's creation is marked by the device and its
// driver as the set-up is (Engine.markBuffer:
// programs/DEVKEY.buffer.HOST.PID), the programs' marks lifted meanwhile
// (shared.focus on none), and setUpCrash refuses the device on a dead
// process's mark. The mark is the device's, not the job's size's: a crash
// about a huge buffer's size cannot be told from one about any buffer, and
// a later start refused on a smaller job is told so, with the rm -f that
// asks the driver again (auto runs on simd with a note), where a start
// asked again crashed again.

// A Multi's devices open and run at once, each on goroutines of its own,
// and each holds its marks while the driver is asked for its calls: a
// crash in one device's call leaves the marks the other devices hold at
// that moment, and the next start refuses them too. The crash handler
// cannot tell which device's call crashed: it runs on the thread that
// faulted, with raw system calls and no Go, and a driver runs much of its
// work on threads of its own (pocl compiles and launches on its worker
// threads), so the faulting thread says nothing of the call that asked
// for the work; and cl.Crashing keeps the calls in flight by process, not
// by thread, naming the latest. So every device whose mark was held is
// refused, and the error's hint says that the process used several
// devices at once (EarlierCrashError.Several) and lists the marks on each,
// whose one rm -f asks every device again; gpusim devices shows each one
// refused.

// markBuffer marks that this process asks the driver for a buffer on the
// engine's device (bufferStep), the marks of its programs lifted
// (shared.focus on none: the call is not theirs), and returns the function
// that removes the mark and puts theirs back.
func (e *Engine) markBuffer() (done func()) {
	back := e.sh.focus("", "")
	mark := markStep(setUpPath(e.desc), bufferSuffix)
	return func() {
		mark()
		back()
	}
}

// probeRecord is the name of the probe's record in the cache folder
// (cl's probeFile).
const probeRecord = "opencl-probe"

// setUpPath is where the set-up of the device d is marked (markSetUp,
// setUpCrash): the device's name in the programs folder (deviceKey), as
// its builds' (shared.buildMarkPath), or "" with the cache off.
func setUpPath(d DeviceDesc) string {
	return cachePath("programs", deviceKey(d))
}

// markSetUp marks that this process asks the driver to set the device d
// up (its context, a queue, the engine's first buffer), and returns the
// function that removes the mark, which may be called more than once; it
// does nothing with the cache off or where no folder takes the mark.
func markSetUp(d DeviceDesc) (done func()) {
	path := setUpPath(d)
	if path == "" {
		return func() {}
	}
	// A first start's programs folder is made here, not left to the
	// build: else the mark went to the folder of marks.
	_ = cachedir.MkdirAll(filepath.Dir(path))
	return markStep(path, setUpSuffix)
}

// setUpCrash is the *EarlierCrashError of the device d where a process
// that ended left a mark of its set-up on it (markSetUp) or of a buffer's
// creation (Engine.markBuffer), or nil: Open asks the driver for nothing
// on the device then, not even its context. A build's mark on the device
// is left to the build's own check (earlierCrash), whose error names the
// build.
func setUpCrash(d DeviceDesc) error {
	path := setUpPath(d)
	if path == "" {
		return nil
	}
	if e := earlierCrashAt(path, []stepKind{setUpStep, bufferStep}); e != nil {
		return e
	}
	return nil // a typed nil is no error
}

// markProbeSetUp marks that this process asks the driver for a device's
// context or queue (setUpSuffix, beside the probe's record, or in this
// user's folder of marks where the cache folder takes none), and returns
// the function that removes the mark; it does nothing with the cache off
// or where no folder takes the mark.
func markProbeSetUp() (done func()) {
	d := cachedir.Dir()
	if d == "" {
		return func() {}
	}
	return markStep(filepath.Join(d, probeRecord), setUpSuffix)
}

// distrustProbe removes the probe's record where a process that ended
// left a mark of a device's set-up (markProbeSetUp) beside it or in one of
// this user's folders of marks, and the mark: the next load of the driver
// probes it in a child again. Where the record cannot be removed (a cache
// shared read-only), this process's probe does not trust it
// (cl.DistrustRecord): its child runs once more, and later starts trust
// the record again (the device's own mark, markSetUp, keeps them from the
// call that crashed). Call it before the driver is loaded.
func distrustProbe() {
	d := cachedir.Dir()
	if d == "" {
		return
	}
	path := filepath.Join(d, probeRecord)
	held.Lock()
	defer held.Unlock()
	ours := held.m[path+setUpSuffix] != nil
	who, _ := crashedIn(d, probeRecord+setUpSuffix, probeSetUpStep, time.Time{}, false, ours)
	for _, p := range cachedir.PrivateParents() {
		if fb, err := cachedir.PrivateIn(p[1], marksName, false); err == nil {
			if w, _ := crashedIn(fb, pathTag(path)+setUpSuffix, probeSetUpStep, time.Time{}, false, ours); w != "" {
				who = w
			}
		}
	}
	if who == "" {
		return
	}
	if err := removeFile(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		distrustRecord()
	}
}

// probeSetUpStep is what the driver did under a mark of markProbeSetUp,
// for the note of one that a process left without a crash (killedMark).
const probeSetUpStep = "created a device's context or queue"

// distrustRecord is cl.DistrustRecord; tests watch it.
var distrustRecord = cl.DistrustRecord

// Refused is the *EarlierCrashError that a start on the device d meets
// before it asks the driver again where it crashed, or nil, for gpusim
// devices: the marks of processes that ended on the device's name (Open's
// set-up and buffers, setUpCrash; a build from source, whose mark every
// program of the device and driver shares) and on the first launches of
// the programs a start with the default options builds (exact math, the
// device's vector width: the engine's and the self-test's), in the
// programs folder and this user's folders of marks. A first launch's mark
// on a program of other options (--math fast, --vector-width; or the
// kernels' own local memory, known once built, which changed its options)
// is said by the start that asks for it. It reads folders only; it leaves
// the marks.
func Refused(d DeviceDesc) error {
	return RefusedKeys(refusalKeys(d))
}

// RefusalKeys is what Refused reads the marks of for device index (in
// Devices' order), as names in the programs folder of gpusim's cache: the
// device's and driver's (deviceKey), then the programs' a start with the
// default options builds, the engine's and the self-test's; nil where the
// device cannot be listed or the cache is off. auto's calibration keeps
// them for a device it left cold, so that a later process, which loads no
// driver, asks RefusedKeys whether a crash's mark refuses the device: its
// note said to compile the program with gpusim selftest, which the mark
// then refused.
func RefusalKeys(index int) []string {
	ds, err := devices()
	if err != nil || index < 0 || index >= len(ds) {
		return nil
	}
	return refusalKeys(ds[index].desc)
}

func refusalKeys(d DeviceDesc) []string {
	if setUpPath(d) == "" {
		return nil
	}
	keys := []string{filepath.Base(setUpPath(d))}
	eng := newEngine(Options{Math: MathExact}, d)
	if options, err := eng.buildOptions(); err == nil {
		for _, p := range [][2]string{{options, eng.source()}, {selfTestOptions(options), eng.selfTestSource()}} {
			keys = append(keys, filepath.Base(cachePath("programs", programKey(d, p[0], p[1]))))
		}
	}
	return keys
}

// RefusedKeys is Refused for the device whose RefusalKeys are keys: the
// marks of a set-up, a buffer or a build on keys[0], of a first launch on
// the others. A key that is no such name (a calibration edited by hand)
// is not read.
func RefusedKeys(keys []string) error {
	dir := cachePath("programs", strings.Repeat("0", 32))
	if dir == "" || len(keys) == 0 {
		return nil
	}
	dir = filepath.Dir(dir)
	var e *EarlierCrashError
	for i, k := range keys {
		if len(k) != 32 || strings.Trim(k, "0123456789abcdef") != "" {
			continue
		}
		steps := stepSuffixes[1:2]
		if i == 0 {
			steps = []stepKind{setUpStep, bufferStep, stepSuffixes[0]}
		}
		if e = earlierCrashAt(filepath.Join(dir, k), steps); e != nil {
			return e
		}
	}
	return nil // a typed nil is no error
}
