package cl

import (
	"strings"
	"sync"
	"sync/atomic"
	"unsafe"
)

// A driver that crashes in a call of gpusim's own process (building or
// loading gpusim's program, a launch or the wait for one, or, where the
// probe's record holds and no child runs, a device's set-up) cannot be
// caught by Go: Go hands a signal raised in C code to no handler it did
// not have before it started, so it printed its trace (200 to 250 lines,
// "signal arrived during cgo execution") and exited 2, the status of a
// usage error. On linux/amd64 Load therefore puts a handler of gpusim's
// own (crash_linux_amd64.s) before Go's for the signals of a crash
// (crashSignals) as it opens a driver, before the driver's own (pocl's
// LLVM) go in front of it: a signal raised by the kernel for a fault (or
// by abort(3) in this process) at an address outside Go's code writes
// crashText, the error that names the driver's library, the signal and
// what the driver was asked for (Crashing), and its hint: first it removes
// the named temporary files of the outputs (internal/atomicfile's
// NameTable) and the empty folders made for them (CrashRemoveDirs) and
// erases a progress line shown (CrashErase), then it writes
// the error, and the command's document on stdout (SetCrashOutput), then
// the command's report of what finished on stdout and its note on stderr
// (CrashReport: bench's partial report), and ends the process with exit
// status 1; any other (Go's own faults, which Go makes
// panics, a signal another process sent) goes on to Go's handler as
// before. Before all else it appends CrashMarkWord to the marks of the
// driver's calls under way (CrashMark), the evidence that a later start
// reads. The handler calls nothing but open(2), close(2), unlink(2),
// rmdir(2), write(2), poll(2), clock_gettime(2), getpid(2) and
// exit_group(2).

// CrashStep is the kind of call a crash is in, which chooses its hint.
type CrashStep int

const (
	// CrashListing is the listing of the platforms and devices, where
	// clinfo -l crashes too.
	CrashListing CrashStep = iota + 1
	// CrashSetUp is a device's set-up: a context, a queue, a kernel, a
	// buffer.
	CrashSetUp
	// CrashWork is a build, a load of a cached program, a launch or a
	// wait for one.
	CrashWork
	// CrashRelease is the release of what gpusim made on a device (its
	// queue and kernels, programs, context) once done with them.
	CrashRelease
	// CrashBuffer is the creation of a buffer past the device's set-up
	// (a run's, the self-test's checks'), which gpu marks as the
	// buffer's: its crash had the hint of a set-up or of a program's
	// build or run.
	CrashBuffer
)

// crashHints are the hints of a crash by step, which the errors of the
// probe's child's crashes give too (probeDeath: the listing, the set-up
// and its release); crashAnyHint is that of a crash in no marked call.
var crashHints = map[CrashStep]string{
	CrashListing: "a driver that crashes as it starts: clinfo -l shows whether it does so outside gpusim too, and " + crashAnyHint,
	CrashSetUp:   "a driver that lists its devices and then crashes setting one up (clinfo -l lists them all the same): " + crashAnyHint,
	CrashWork:    "a driver that lists its devices and then crashes building or running gpusim's program (clinfo -l lists them all the same): " + crashAnyHint,
	CrashRelease: "a driver that lists its devices and then crashes releasing what gpusim made on one (clinfo -l lists them all the same): " + crashAnyHint,
	CrashBuffer:  "a driver that lists its devices and then crashes creating a buffer on one (clinfo -l lists them all the same): " + crashAnyHint,
}

const crashAnyHint = EnvLibrary + "=PATH loads another libOpenCL.so; or run on a CPU engine (--engine simd)"

// crashText is what the handler writes on stderr for a crash: head, the
// signal's name (sigNames), tail; and on stdout, where docLen is not 0,
// doc, the name, docTail. Its fields are read by crash_linux_amd64.s at
// these offsets (pointer, length): head 0 and 8, tail 16 and 24, doc 32
// and 40, docTail 48 and 56. A crashText is never changed once published.
type crashText struct {
	head       *byte
	headLen    uintptr
	tail       *byte
	tailLen    uintptr
	doc        *byte
	docLen     uintptr
	docTail    *byte
	docTailLen uintptr
}

// CrashOutput is what a command makes of a crash's words besides the
// error on stderr (SetCrashOutput).
type CrashOutput struct {
	// Hint words a hint for the command (its flags: --engines for
	// bench); nil leaves it as it is.
	Hint func(hint string) string
	// Document is the command's --format json document of an error,
	// err its message (no "gpusim: error: ") and hint its hint, which
	// the handler writes on stdout; nil writes none.
	Document func(err, hint string) []byte
}

// SetCrashOutput makes o what a crash writes from now on. o's funcs run
// at each marked driver call (Crashing) with the crash's lock held: they
// must not call Crashing or SetCrashOutput, and should keep what they
// made (a rendering per call costs microseconds).
func SetCrashOutput(o CrashOutput) {
	crashes.Lock()
	defer crashes.Unlock()
	crashes.out = o
	publishCrash()
}

// crashBytes is a run of bytes the handler writes: a pointer and a
// length, read at offsets 0 and 8.
type crashBytes struct {
	p *byte
	n uintptr
}

// crashErase is the *crashBytes the handler writes on stderr before the
// error: the bytes that erase the progress line shown; nil where none is.
var crashErase unsafe.Pointer

// CrashErase makes erase the bytes a crash writes on stderr before its
// error: those that erase the progress line now shown on a terminal
// (progress.Options.Drawn), "" where none is. It costs an atomic store.
func CrashErase(erase string) {
	var p unsafe.Pointer
	if erase != "" {
		p = unsafe.Pointer(&crashBytes{unsafe.StringData(erase), uintptr(len(erase))})
	}
	atomic.StorePointer(&crashErase, p)
}

// crashDirs is the *crashBytes of the folders the handler removes where
// they are empty, after the named temporary files: their paths, each
// ending in a NUL; nil where there are none.
var crashDirs unsafe.Pointer

// CrashRemoveDirs makes a crash from now on remove each of dirs (absolute
// paths, deepest first: the folders a command made for its outputs) where
// it is empty, as the command removes them on its other ends (rmdir(2),
// which leaves a folder with files): a crash left them. nil removes none.
// It costs the paths' copy and an atomic store.
func CrashRemoveDirs(dirs []string) {
	var p unsafe.Pointer
	if len(dirs) > 0 {
		b := []byte(strings.Join(dirs, "\x00") + "\x00")
		p = unsafe.Pointer(&crashBytes{&b[0], uintptr(len(b))})
	}
	atomic.StorePointer(&crashDirs, p)
}

// crashReport is the *crashLeft the handler writes after the error and
// the document: a command's report of what finished, on stdout, and its
// note, on stderr; nil where there is none.
var crashReport unsafe.Pointer

// crashLeft is what CrashReport hands the handler, read by
// crash_linux_amd64.s at these offsets (pointer, length): out 0 and 8,
// note 16 and 24. Never changed once published.
type crashLeft struct {
	out     *byte
	outLen  uintptr
	note    *byte
	noteLen uintptr
}

// CrashReports says whether a crash of the driver in this process writes
// what CrashReport hands it: true where the handler is installed
// (linux/amd64), where a command renders its report for it; elsewhere a
// crash is Go's, and the rendering would be lost work.
func CrashReports() bool { return crashSupported }

// CrashReport makes a crash from now on write out on stdout and then note
// on stderr (each ending in its own newline, as the caller made it), after
// the crash's error and hint and the command's document: bench's report
// of the measurements that finished, rendered as it stands, and the note
// that says it is partial, which a crash lost (a stop printed them).
// CrashReport(nil, nil) writes none. out and note are the handler's from
// then on: the caller must not change them. It costs an atomic store.
func CrashReport(out, note []byte) {
	var p unsafe.Pointer
	if len(out) > 0 || len(note) > 0 {
		l := &crashLeft{outLen: uintptr(len(out)), noteLen: uintptr(len(note))}
		if len(out) > 0 {
			l.out = &out[0]
		}
		if len(note) > 0 {
			l.note = &note[0]
		}
		p = unsafe.Pointer(l)
	}
	atomic.StorePointer(&crashReport, p)
}

// crashReportText is what the handler writes after the error now, on
// stdout and on stderr, for tests.
func crashReportText() (out, note string) {
	l := (*crashLeft)(atomic.LoadPointer(&crashReport))
	if l == nil {
		return "", ""
	}
	return unsafe.String(l.out, l.outLen), unsafe.String(l.note, l.noteLen)
}

// crashTab is the *crashText the handler writes; nil before a library
// is named, where the handler leaves every signal to Go's.
var crashTab unsafe.Pointer

// crashes holds the library the handler names and the calls in flight
// (Crashing); publish makes the text of the latest the handler's.
var crashes struct {
	sync.Mutex
	lib   string
	out   CrashOutput
	whole bool // CrashAfterReport
	next  uint64
	marks map[uint64]crashMark
}

// crashMark is one call in flight: what the driver was asked ("to build
// the program for device 0 (NAME)") and the step it is in.
type crashMark struct {
	asked string
	step  CrashStep
}

// Crashing marks that gpusim has asked the driver for asked, a clause
// that follows "when asked" ("to build the program for device 0 (NAME)",
// "for a context for device 0 (NAME)"), until done: a crash names the
// latest call in flight, and a crash with none names none; step chooses
// the hint. It costs a lock and a few small strings; it does nothing where the
// handler is not installed (crashSupported).
func Crashing(asked string, step CrashStep) (done func()) {
	if !crashSupported {
		return func() {}
	}
	crashes.Lock()
	defer crashes.Unlock()
	if crashes.marks == nil {
		crashes.marks = map[uint64]crashMark{}
	}
	id := crashes.next
	crashes.next++
	crashes.marks[id] = crashMark{asked, step}
	publishCrash()
	return func() {
		crashes.Lock()
		defer crashes.Unlock()
		delete(crashes.marks, id)
		publishCrash()
	}
}

// crashWhole is what a crash's error says once the command's report is
// written whole (CrashAfterReport).
const crashWhole = "the job's report is whole, written before the crash"

// CrashAfterReport says whether the command's report is written whole:
// from then on a crash (a release of the device's objects after the
// report: run's) adds to its error "; the job's report is whole, written
// before the crash", where it read as the job's failure. The exit status
// stays 1: the driver crashed, which a script must see (the next run
// crashes the same way), and the report and its files, written in full,
// stand.
func CrashAfterReport(whole bool) {
	crashes.Lock()
	defer crashes.Unlock()
	crashes.whole = whole
	publishCrash()
}

// crashLibrary makes lib, the library Load is opening, the one a crash
// names.
func crashLibrary(lib string) {
	crashes.Lock()
	defer crashes.Unlock()
	crashes.lib = lib
	publishCrash()
}

// publishCrash makes the text of the latest mark the handler's, under
// crashes' lock; none before a library is named.
func publishCrash() {
	if crashes.lib == "" {
		return
	}
	var last uint64
	found := false
	for id := range crashes.marks {
		if !found || id > last {
			last, found = id, true
		}
	}
	var m crashMark
	if found {
		m = crashes.marks[last]
	}
	head := "gpusim: error: the OpenCL driver " + crashes.lib + " crashed ("
	tail := ")"
	if m.asked != "" {
		tail += " when asked " + m.asked
	}
	if crashes.whole {
		tail += "; " + crashWhole
	}
	hint, ok := crashHints[m.step]
	if !ok {
		hint = crashAnyHint
	}
	if crashes.out.Hint != nil {
		hint = crashes.out.Hint(hint)
	}
	t := &crashText{head: unsafe.StringData(head), headLen: uintptr(len(head))}
	if crashes.out.Document != nil {
		t.doc, t.docLen, t.docTail, t.docTailLen = crashDocument(crashes.out.Document, head, tail, hint)
	}
	tail += "\ngpusim: hint: " + hint + "\n"
	t.tail, t.tailLen = unsafe.StringData(tail), uintptr(len(tail))
	atomic.StorePointer(&crashTab, unsafe.Pointer(t))
}

// sigMark is where the signal's name goes in the document's error: a
// NUL, which JSON writes \u0000 and no path holds.
const sigMark = "\x00"

// crashDocument renders the document of the error head+SIGNAL+tail (less
// "gpusim: error: ") and hint, cut where the signal's name goes: the two
// parts, as pointers and lengths; none where the document does not hold
// the mark once.
func crashDocument(render func(err, hint string) []byte, head, tail, hint string) (doc *byte, docLen uintptr, docTail *byte, docTailLen uintptr) {
	b := render(strings.TrimPrefix(head, "gpusim: error: ")+sigMark+tail, hint)
	before, after, ok := strings.Cut(string(b), `\u0000`)
	if !ok || strings.Contains(after, `\u0000`) || before == "" {
		return nil, 0, nil, 0
	}
	return unsafe.StringData(before), uintptr(len(before)), unsafe.StringData(after), uintptr(len(after))
}

// CrashMessage is what the handler writes for a crash by sig (its name,
// "SIGSEGV") now, for tests; "" where no library is named yet.
func CrashMessage(sig string) string {
	crashes.Lock()
	defer crashes.Unlock()
	t := (*crashText)(atomic.LoadPointer(&crashTab))
	if t == nil {
		return ""
	}
	return unsafe.String(t.head, t.headLen) + sig + unsafe.String(t.tail, t.tailLen)
}

// crashDocText is what the handler writes on stdout for a crash by sig
// now, for tests; "" where it writes nothing.
func crashDocText(sig string) string {
	crashes.Lock()
	defer crashes.Unlock()
	t := (*crashText)(atomic.LoadPointer(&crashTab))
	if t == nil || t.docLen == 0 {
		return ""
	}
	return unsafe.String(t.doc, t.docLen) + sig + unsafe.String(t.docTail, t.docTailLen)
}

// Asked turns a wait's words, "answer when asked for X" or "build the
// program for D", into the clause of a crash's error: "for X", "to build
// the program for D".
func Asked(what string) string {
	if rest, ok := strings.CutPrefix(what, "answer when asked "); ok {
		return rest
	}
	return "to " + what
}
