package cl

import (
	"encoding/json"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"unsafe"

	"github.com/gpusim/gpusim/internal/atomicfile"
)

// withCrashLibrary names lib as the loaded driver for the crash's words
// until t ends, then puts back the library named before.
func withCrashLibrary(t *testing.T, lib string) {
	t.Helper()
	crashes.Lock()
	was := crashes.lib
	crashes.Unlock()
	crashLibrary(lib)
	t.Cleanup(func() { crashLibrary(was) })
}

// nilInt is nil: a write through it faults in Go's code.
var nilInt *int

// TestCrashHandlerLeavesGo: with the crash handler in place and a library
// named, a fault in Go's own code is still Go's panic, which recover
// takes (the handler hands it to Go's handler): a handler that took it for
// a driver's crash would end the test binary with exit status 1.
func TestCrashHandlerLeavesGo(t *testing.T) {
	armCrash()
	withCrashLibrary(t, "/test/libcrash.so")
	for _, s := range crashSignals {
		var a sigaction
		if !rtSigaction(s, nil, &a) || a.handler != uint64(crashHandlerPC()) {
			t.Errorf("%v: handler %#x, want crashHandler's %#x", s, a.handler, crashHandlerPC())
		}
	}
	var got any
	func() {
		defer func() { got = recover() }()
		*nilInt = 1
	}()
	if e, ok := got.(runtime.Error); !ok || !strings.Contains(e.Error(), "nil pointer dereference") {
		t.Errorf("recovered %v: want Go's nil pointer dereference panic", got)
	}
}

// TestCrashingNamesLatest: the crash's words name the latest call still in
// flight with its step's hint, the one before it once it returns, and no
// call with none.
func TestCrashingNamesLatest(t *testing.T) {
	withCrashLibrary(t, "/test/libcrash.so")
	const head = "gpusim: error: the OpenCL driver /test/libcrash.so crashed (SIGSEGV)"
	outer := Crashing("for a context for device 0 (X)", CrashSetUp)
	inner := Crashing("to build the program for device 0 (X)", CrashWork)
	if got, want := CrashMessage("SIGSEGV"), head+" when asked to build the program for device 0 (X)\ngpusim: hint: "+crashHints[CrashWork]+"\n"; got != want {
		t.Errorf("two in flight: %q, want %q", got, want)
	}
	inner()
	if got, want := CrashMessage("SIGSEGV"), head+" when asked for a context for device 0 (X)\ngpusim: hint: "+crashHints[CrashSetUp]+"\n"; got != want {
		t.Errorf("the outer in flight: %q, want %q", got, want)
	}
	outer()
	if got, want := CrashMessage("SIGSEGV"), head+"\ngpusim: hint: "+crashAnyHint+"\n"; got != want {
		t.Errorf("none in flight: %q, want %q", got, want)
	}
}

// TestCrashOutput: a command's crash output (SetCrashOutput) words the
// hint on stderr and renders the document the handler writes on stdout,
// the signal's name in its error; none once put back.
func TestCrashOutput(t *testing.T) {
	withCrashLibrary(t, "/test/lib\"crash.so")
	SetCrashOutput(CrashOutput{
		Hint: func(h string) string { return strings.Replace(h, "--engine", "--engines", 1) },
		Document: func(err, hint string) []byte {
			b, _ := json.Marshal(map[string]string{"error": err, "hint": hint})
			return append(b, '\n')
		},
	})
	defer Crashing("to build the program for device 0 (X)", CrashWork)()
	const msg = `the OpenCL driver /test/lib"crash.so crashed (SIGBUS) when asked to build the program for device 0 (X)`
	hint := strings.Replace(crashHints[CrashWork], "--engine", "--engines", 1)
	if got, want := CrashMessage("SIGBUS"), "gpusim: error: "+msg+"\ngpusim: hint: "+hint+"\n"; got != want {
		t.Errorf("stderr %q, want %q", got, want)
	}
	var doc map[string]string
	if err := json.Unmarshal([]byte(crashDocText("SIGBUS")), &doc); err != nil || doc["error"] != msg || doc["hint"] != hint {
		t.Errorf("stdout %q (%v): want the document of %q and the hint %q", crashDocText("SIGBUS"), err, msg, hint)
	}
	SetCrashOutput(CrashOutput{})
	if got := crashDocText("SIGBUS"); got != "" || !strings.HasSuffix(CrashMessage("SIGBUS"), crashHints[CrashWork]+"\n") {
		t.Errorf("put back: stdout %q, stderr %q: want none and the hint as it was", got, CrashMessage("SIGBUS"))
	}
}

// TestCrashNames: the handler's table of named temporary files is
// atomicfile's, with the state it unlinks at that crash_linux_amd64.s
// compares (2).
func TestCrashNames(t *testing.T) {
	armCrash()
	table, size, path := atomicfile.NameTable()
	if crashNames != uintptr(table) || crashNameSize != size || crashNamePath != path || crashNameSlots != atomicfile.NameSlots || atomicfile.NameSlotNamed != 2 {
		t.Errorf("table %#x, %d slots of %d, path at %d: want atomicfile's %p, %d of %d at %d, state 2 (%d)", crashNames, crashNameSlots, crashNameSize, crashNamePath, table, atomicfile.NameSlots, size, path, atomicfile.NameSlotNamed)
	}
}

// TestCrashReport: what CrashReport hands the handler is what it writes
// after the error, the report on stdout and its note on stderr, at the
// offsets crash_linux_amd64.s reads; nil writes none. CrashRemoveDirs'
// folders are its paths, each ending in a NUL, which the handler reads
// one by one.
func TestCrashReport(t *testing.T) {
	t.Cleanup(func() {
		CrashReport(nil, nil)
		CrashRemoveDirs(nil)
	})
	CrashReport([]byte("report\n"), []byte("gpusim: note: partial\n"))
	if out, note := crashReportText(); out != "report\n" || note != "gpusim: note: partial\n" {
		t.Errorf("stdout %q, stderr %q: want the report and its note", out, note)
	}
	if off := [4]uintptr{unsafe.Offsetof(crashLeft{}.out), unsafe.Offsetof(crashLeft{}.outLen), unsafe.Offsetof(crashLeft{}.note), unsafe.Offsetof(crashLeft{}.noteLen)}; off != [4]uintptr{0, 8, 16, 24} {
		t.Errorf("crashLeft's offsets %v, want those the handler reads: 0, 8, 16, 24", off)
	}
	CrashReport(nil, nil)
	if out, note := crashReportText(); out != "" || note != "" {
		t.Errorf("none: stdout %q, stderr %q", out, note)
	}
	CrashRemoveDirs([]string{"/a/b", "/a"})
	b := (*crashBytes)(atomic.LoadPointer(&crashDirs))
	if b == nil || unsafe.String(b.p, b.n) != "/a/b\x00/a\x00" {
		t.Errorf("folders %v: want /a/b and /a, each ending in a NUL", b)
	}
	CrashRemoveDirs(nil)
	if atomic.LoadPointer(&crashDirs) != nil {
		t.Error("none: want no folders")
	}
}

// TestCrashMarkTable: with the handler in place and a library named, a
// mark handed to CrashMark is watched: in a slot of the state the handler
// writes to (2), its path at the offset it reads (8), NUL-terminated,
// until dropped; crashMarkText is CrashMarkWord.
func TestCrashMarkTable(t *testing.T) {
	armCrash()
	withCrashLibrary(t, "/test/libcrash.so")
	if crashMarkPath != 8 || string(crashMarkText[:]) != CrashMarkWord {
		t.Fatalf("path at %d, word %q: want 8 and %q", crashMarkPath, crashMarkText, CrashMarkWord)
	}
	const path = "/tmp/some/programs/KEY.building.HOST.1"
	watched, drop := CrashMark(path)
	find := func() int {
		for i := range crashMarks {
			if p, ok := crashMarks[i].Path(); ok && p == path {
				return i
			}
		}
		return -1
	}
	if !watched || find() < 0 {
		t.Fatalf("watched %v, slot %d: want a slot of state 2 naming %s", watched, find(), path)
	}
	drop()
	drop()
	if find() >= 0 {
		t.Error("dropped: the slot still names the mark")
	}
}

// BenchmarkCrashMark is what a mark pays for the handler's watch: its path
// put in the table and taken out (gpu's makeMark adds a write of
// CrashMarkWatched's 8 bytes to the file it made).
func BenchmarkCrashMark(b *testing.B) {
	armCrash()
	crashes.Lock()
	was := crashes.lib
	crashes.Unlock()
	crashLibrary("/test/libcrash.so")
	defer crashLibrary(was)
	const path = "/home/user/.cache/gpusim/programs/f99dc6e1e50149c2d8700d2115170670.setup.9cdbc147754f2d95.12345"
	for b.Loop() {
		_, drop := CrashMark(path)
		drop()
	}
}
