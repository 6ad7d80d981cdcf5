package main

import (
	"bytes"
	"errors"
	"os"
	"runtime"
	"strings"
	"testing"
)

// TestArgsBeforeLimits: a command line refused on its own (an unknown
// command or flag, a bad value, extra arguments) is refused for that under
// a limit that would refuse the command, or cut its threads with a note,
// and the limit is not said: gpusim runn and gpusim run --lanes -5 under
// a limit were refused for the limit, and the typo was heard of only once
// the limit was raised. A command line that passes is still refused for
// the limit, before any work. A device list's form is the command line's
// own (refused without the devices' listing, which would load the
// driver); its indexes' range needs the driver, and is checked after the
// limit. The limits are faked: the process limit
// (ulimit -u), the address space (ulimit -v) and the stack (ulimit -s);
// files_ulimit.txtar runs the open-file limit (ulimit -n) for real.
func TestArgsBeforeLimits(t *testing.T) {
	keepExits(t)
	oldFree, oldSelf, oldStack := threadsFree, threadsSelf, threadStack
	oldShort, oldLeast, oldArenas, oldStacks, oldFit := shortOfRoom, leastRunRoom, arenaStartRoom, stackStartRoom, fitProcs
	defer func() {
		threadsFree, threadsSelf, threadStack = oldFree, oldSelf, oldStack
		shortOfRoom, leastRunRoom, arenaStartRoom, stackStartRoom, fitProcs = oldShort, oldLeast, oldArenas, oldStacks, oldFit
	}()
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(16))
	threadsSelf = func() uint64 { return 5 }
	stackStartRoom = func() uint64 { return 0 }
	fitProcs = func() (int, bool) { return 3, true }
	arenaStartRoom = func() (uint64, bool) { return 0, false }
	bad := []struct {
		args []string
		want string // the first line of stderr
	}{
		{[]string{"runn"}, `gpusim: error: unknown command "runn" (valid: `},
		{[]string{"run", "--lanes", "-5"}, `gpusim: error: --lanes: invalid value "-5": -5 is negative (valid range 1..2^64-1)`},
		{[]string{"run", "--bogus"}, "gpusim: error: unknown flag --bogus"},
		{[]string{"run", "--engine", "nosuch"}, `gpusim: error: --engine: unknown engine "nosuch"`},
		{[]string{"run", "--device", "0", "--lanes", "0"}, `gpusim: error: --lanes: invalid value "0"`},
		{[]string{"bench", "--engines", "nosuch"}, `gpusim: error: --engines: unknown engine "nosuch"`},
		{[]string{"bench", "--format", "xml"}, `gpusim: error: --format: unknown format "xml"`},
		{[]string{"merge", "--format", "xml", "p.json"}, `gpusim: error: --format: unknown format "xml"`},
		{[]string{"merge"}, "gpusim: error: merge needs the part files to merge, got none"},
		{[]string{"merge", "--files-from", " ", "p.json"}, `gpusim: error: --files-from: invalid value " ": want a file name such as parts.list`},
		{[]string{"merge", "p.json", "--format", "json"}, `gpusim: error: "--format" after the part files: flags go before them`},
		{[]string{"selftest", "--format", "xml"}, `gpusim: error: --format: unknown format "xml"`},
		{[]string{"devices", "extra"}, `gpusim: error: devices takes no arguments, got "extra"`},
		// A device list's form, refused without the devices' listing,
		// which loads the driver (under ulimit -n 6 Go died of
		// "runtime: eventfd failed"); it was refused for the limit.
		{[]string{"selftest", "--device", "x"}, `gpusim: error: --device: invalid value "x": not a device index (valid: a device's index, a list N,M,... or all; gpusim devices lists them)`},
		{[]string{"selftest", "--device", "0,0"}, `gpusim: error: --device: invalid value "0,0": device 0 is listed twice (valid: a device's index, `},
		{[]string{"run", "--device", "-1"}, `gpusim: error: --device: invalid value "-1": -1 is negative (valid: a device's index, a list N,M,... or all; gpusim devices lists them)`},
		{[]string{"run", "--device", "0,all", "--engine", "opencl"}, `gpusim: error: --device: invalid value "0,all": entry "all": all is given alone, not in a list (valid: a device's index, `},
		{[]string{"run", "--device", "x", "--engine", "auto"}, `gpusim: error: --device: invalid value "x": not a device index (valid: a device's index, `},
		{[]string{"bench", "--engines", "opencl:x"}, `gpusim: error: --engines: invalid value "opencl:x": not a device index (valid: a device's index, written opencl:N, or opencl for every device; gpusim devices lists them)`},
		{[]string{"bench", "--engines", "serial,opencl:-1"}, `gpusim: error: --engines: invalid value "opencl:-1": -1 is negative (valid: a device's index, `},
		// The flags after a valid --device are checked too: they were
		// left to the command, after the limit.
		{[]string{"run", "--device", "0", "--engine", "nosuch"}, `gpusim: error: --engine: unknown engine "nosuch"`},
		{[]string{"run", "--device", "9", "--out", "x.bad"}, `gpusim: error: --out: unknown extension ".bad"`},
		{[]string{"bench", "--engines", "opencl:9,bogus"}, `gpusim: error: --engines: unknown engine "bogus"`},
		// bench's output flags and its flags' combinations: they were
		// checked after the pass, and refused for the limit.
		{[]string{"bench", "--plot-format", "gif", "--plot", "charts"}, `gpusim: error: --plot-format: unknown chart format "gif" (valid: png, svg, or png,svg)`},
		{[]string{"bench", "--plot-format", "png,"}, `gpusim: error: --plot-format: invalid value "png,": entry 2 of 2 is empty (valid: png, svg, or png,svg)`},
		{[]string{"bench", "--plot-format", "png"}, "gpusim: error: --plot-format: needs --plot DIR, the folder the charts go to"},
		{[]string{"bench", "--plot", " "}, `gpusim: error: --plot: invalid value " "`},
		{[]string{"bench", "--update-doc", "-"}, "gpusim: error: --update-doc: "},
		{[]string{"bench", "--html", "r.txt"}, `gpusim: error: --html: unknown extension ".txt" (valid: .html, .htm)`},
		{[]string{"bench", "--html", "r.html", "--update-doc", "r.html"}, `gpusim: error: --update-doc: "r.html" is also the file of --html`},
		{[]string{"bench", "--no-scaling", "--workers", "2"}, "gpusim: error: --workers: contradicts --no-scaling, "},
		{[]string{"bench", "--no-sweep", "--sweep", "1k"}, "gpusim: error: --no-sweep: contradicts --sweep (give one of them)"},
		{[]string{"bench", "--baseline", "none", "--python", "python3"}, "gpusim: error: --python: contradicts --baseline none, "},
		{[]string{"bench", "--engines", "nosuch", "--no-sweep", "--sweep-reps", "2"}, `gpusim: error: --engines: unknown engine "nosuch"`},
		// Names that os.Stat alone refuses, opening no file: they were
		// refused for the limit.
		{[]string{"merge", "nosuch.json"}, `gpusim: error: "nosuch.json": no such file or directory`},
		{[]string{"merge", "--files-from", "nodir/parts.list"}, `gpusim: error: --files-from: "nodir/parts.list": no such file or directory`},
		{[]string{"bench", "--update-doc", "nodir/x.md"}, `gpusim: error: --update-doc: cannot read "nodir/x.md": no such file or directory (want `},
		{[]string{"bench", "--html", "nodir/x.html"}, `gpusim: error: --html: directory "nodir" does not exist`},
		{[]string{"run", "--out", "nodir/x.npy"}, `gpusim: error: --out: directory "nodir" does not exist`},
		{[]string{"bench", "--plot", "argsfirst_test.go/charts"}, `gpusim: error: --plot: cannot make "argsfirst_test.go/charts": "argsfirst_test.go" is not a folder`},
		{[]string{"bench", "--plot", "argsfirst_test.go"}, `gpusim: error: --plot: "argsfirst_test.go" is not a directory`},
		// prepare's order: --plot's folder before --update-doc's document.
		{[]string{"bench", "--plot", "argsfirst_test.go/charts", "--update-doc", "nodir/x.md"}, `gpusim: error: --plot: cannot make `},
	}
	limits := []struct {
		name string
		set  func()
	}{
		{"ulimit -u refusal", func() {
			shortOfRoom = func() (uint64, uint64, uint64, bool) { return 0, 0, 0, false }
			threadsFree = func(uint64) (uint64, uint64, bool) { return 20, 17, true }
		}},
		{"ulimit -u note", func() {
			threadsFree = func(uint64) (uint64, uint64, bool) { return 20, 12, true }
		}},
		{"ulimit -v refusal", func() {
			threadsFree = func(uint64) (uint64, uint64, bool) { return 0, 0, false }
			shortOfRoom = func() (uint64, uint64, uint64, bool) { return 1350000 << 10, 1310000 << 10, 80 << 20, true }
			leastRunRoom = func() uint64 { return 48 << 20 }
		}},
		{"ulimit -v note", func() {
			leastRunRoom = func() uint64 { return 32 << 20 }
		}},
		{"ulimit -s refusal", func() {
			shortOfRoom = func() (uint64, uint64, uint64, bool) { return 0, 0, 0, false }
			threadStack = func() uint64 { return 16 << 10 }
		}},
	}
	for _, l := range limits {
		l.set()
		for _, b := range bad {
			runtime.GOMAXPROCS(16)
			var stdout, stderr bytes.Buffer
			code := Run(b.args, strings.NewReader(""), &stdout, &stderr)
			if code != exitUsage || !strings.HasPrefix(stderr.String(), b.want) || strings.Contains(stderr.String(), "ulimit") || strings.Contains(stderr.String(), "devices:") || stdout.Len() != 0 {
				t.Errorf("%s: gpusim %s: exit %d, stdout %q, stderr %q; want 2, nothing and %q first, no limit named", l.name, strings.Join(b.args, " "), code, stdout.String(), stderr.String(), b.want)
			}
			if n := runtime.GOMAXPROCS(0); n != 16 {
				t.Errorf("%s: gpusim %s: GOMAXPROCS cut to %d for a command line that runs nothing", l.name, strings.Join(b.args, " "), n)
			}
		}
	}
	// A command line that passes: refused for the limit, before any work.
	threadStack = oldStack
	limits[0].set()
	out := t.TempDir() + "/f.npy"
	part := partThere(t)
	for _, args := range [][]string{
		{"run", "--lanes", "1e3", "--out", out}, {"run", "--device", "0", "--lanes", "1e3"}, {"selftest"}, {"devices"}, {"merge", part},
		// An index's range needs the driver: after the limit.
		{"run", "--device", "9", "--lanes", "1e3"}, {"run", "--device", "9", "--engine", "auto", "--lanes", "1e3"}, {"selftest", "--device", "9"},
		{"bench", "--engines", "opencl:9", "--lanes", "10", "--steps", "1", "--baseline", "none", "--no-sweep", "--no-scaling", "--reps", "1", "--warmup", "0", "-q"},
		{"bench", "--engines", "serial", "--lanes", "10", "--steps", "1", "--baseline", "none", "--no-sweep", "--no-scaling", "--reps", "1", "--warmup", "0", "-q"},
	} {
		var stdout, stderr bytes.Buffer
		code := Run(args, strings.NewReader(""), &stdout, &stderr)
		if code != exitUsage || !strings.HasPrefix(stderr.String(), "gpusim: error: ulimit -u: ") || stdout.Len() != 0 {
			t.Errorf("gpusim %s under ulimit -u: exit %d, stdout %q, stderr %q; want 2, nothing and the limit's refusal", strings.Join(args, " "), code, stdout.String(), stderr.String())
		}
	}
	if _, err := os.Stat(out); err == nil {
		t.Errorf("run --out %s refused for the limit made its file", out)
	}
}

// TestArgsBeforeCPULimit: under a CPU time limit (ulimit -t) that leaves
// too little for a run (interrupt.WatchCPU's refusal, faked), a command
// line refused on its own gets its own error and no word of the limit; a
// command line that passes is refused for the limit (exit 2, "gpusim:
// error: ulimit -t: ..."), before any work or file, the watch asked with
// the CPUs the process may run on (limitCPUs); the limits before it
// (ulimit -u) are refused first; help and version, which run nothing,
// are not refused. cpu_ulimit.txtar runs a real ulimit -t.
func TestArgsBeforeCPULimit(t *testing.T) {
	keepExits(t)
	oldWatch, oldFree, oldSelf, oldShort := watchCPU, threadsFree, threadsSelf, shortOfRoom
	defer func() { watchCPU, threadsFree, threadsSelf, shortOfRoom = oldWatch, oldFree, oldSelf, oldShort }()
	shortOfRoom = func() (uint64, uint64, uint64, bool) { return 0, 0, 0, false }
	threadsFree = func(uint64) (uint64, uint64, bool) { return 0, 0, false }
	threadsSelf = func() uint64 { return 5 }
	const refusal = "the CPU time limit (ulimit -t 1) leaves less than a run needs"
	asked := 0
	watchCPU = func(cpus func() int) error {
		asked++
		if n := cpus(); n != limitCPUs() {
			t.Errorf("the CPU limit's check asked with %d CPUs; want limitCPUs, %d", n, limitCPUs())
		}
		return errors.New(refusal)
	}
	for _, b := range []struct {
		args []string
		want string // the first line of stderr
	}{
		{[]string{"runn"}, `gpusim: error: unknown command "runn" (valid: `},
		{[]string{"run", "--lanes", "-5"}, `gpusim: error: --lanes: invalid value "-5": -5 is negative (valid range 1..2^64-1)`},
		{[]string{"run", "--device", "x"}, `gpusim: error: --device: invalid value "x": not a device index (valid: a device's index, `},
		{[]string{"bench", "--engines", "opencl:-1"}, `gpusim: error: --engines: invalid value "opencl:-1": -1 is negative (valid: a device's index, `},
		{[]string{"merge"}, "gpusim: error: merge needs the part files to merge, got none"},
		{[]string{"selftest", "--format", "xml"}, `gpusim: error: --format: unknown format "xml"`},
		{[]string{"devices", "extra"}, `gpusim: error: devices takes no arguments, got "extra"`},
	} {
		var stdout, stderr bytes.Buffer
		code := Run(b.args, strings.NewReader(""), &stdout, &stderr)
		if code != exitUsage || !strings.HasPrefix(stderr.String(), b.want) || strings.Contains(stderr.String(), "ulimit") || stdout.Len() != 0 {
			t.Errorf("gpusim %s under ulimit -t: exit %d, stdout %q, stderr %q; want 2, nothing and %q first, no limit named", strings.Join(b.args, " "), code, stdout.String(), stderr.String(), b.want)
		}
	}
	out := t.TempDir() + "/f.npy"
	part := partThere(t)
	for _, args := range [][]string{
		{"run", "--lanes", "1e3", "--out", out}, {"run", "--device", "9", "--lanes", "1e3"}, {"selftest"}, {"devices"}, {"merge", part},
		{"bench", "--engines", "serial", "--lanes", "10", "--steps", "1", "--baseline", "none", "--no-sweep", "--no-scaling", "--reps", "1", "--warmup", "0", "-q"},
	} {
		asked = 0
		var stdout, stderr bytes.Buffer
		code := Run(args, strings.NewReader(""), &stdout, &stderr)
		if want := "gpusim: error: ulimit -t: " + refusal + "\n"; code != exitUsage || stderr.String() != want || stdout.Len() != 0 || asked != 1 {
			t.Errorf("gpusim %s under ulimit -t: exit %d, stdout %q, stderr %q, the limit checked %d times; want 2, nothing and %q, checked once", strings.Join(args, " "), code, stdout.String(), stderr.String(), asked, want)
		}
	}
	if _, err := os.Stat(out); err == nil {
		t.Errorf("run --out %s refused for the CPU time limit made its file", out)
	}
	// The process limit is checked first, and its refusal is the one said.
	threadsFree = func(uint64) (uint64, uint64, bool) { return 20, 17, true }
	var stdout, stderr bytes.Buffer
	if code := Run([]string{"run", "--lanes", "1e3"}, strings.NewReader(""), &stdout, &stderr); code != exitUsage || !strings.HasPrefix(stderr.String(), "gpusim: error: ulimit -u: ") || strings.Contains(stderr.String(), "ulimit -t") {
		t.Errorf("gpusim run under ulimit -u and -t: exit %d, stderr %q; want 2 and the process limit's refusal alone", code, stderr.String())
	}
	threadsFree = func(uint64) (uint64, uint64, bool) { return 0, 0, false }
	for _, args := range [][]string{{"version"}, {"run", "--help"}, {"help"}} {
		asked = 0
		var stdout, stderr bytes.Buffer
		if code := Run(args, strings.NewReader(""), &stdout, &stderr); code != 0 || stdout.Len() == 0 || asked != 0 {
			t.Errorf("gpusim %s under ulimit -t: exit %d, stdout %d bytes, stderr %q, the limit checked %d times; want 0, its output, unchecked", strings.Join(args, " "), code, stdout.Len(), stderr.String(), asked)
		}
	}
}

// partThere is a file for merge to name that is there: a part that is
// not there is the command line's own fault, refused before the limits.
func partThere(t *testing.T) string {
	part := t.TempDir() + "/p.json"
	if err := os.WriteFile(part, []byte("{}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return part
}
