package main

import (
	"io"
	"regexp"
	"slices"
	"strings"
	"syscall"
	"testing"

	"github.com/gpusim/gpusim/gpu"
	"github.com/gpusim/gpusim/gpu/cl"
)

// reHintFlag is a flag a hint names, with the command it names it for
// when it names one ("gpusim selftest --device 0").
var reHintFlag = regexp.MustCompile(`(?:gpusim ([a-z]+) (?:[a-z]+ )*)?--([a-z][a-z0-9-]*)`)

// TestHintNamesCommandFlags: every hint an engine's error can carry names,
// as commandHint words it for each command, only flags of that command, or
// of a command it names in full. bench's hints named run's --out and
// --vector-width, and selftest's and devices' run's --engine. The hints
// are every OpenCL status's, of a launch and of another call, and a failed
// self-test's; those of an address-space limit are cl's tests' and
// opencl_ulimit.txtar's.
func TestHintNamesCommandFlags(t *testing.T) {
	var hints []string
	for code := int32(-1100); code < 0; code++ {
		for _, op := range []string{"clCreateBuffer", "clEnqueueNDRangeKernel"} {
			if h := (&cl.Error{Code: code, Op: op}).Hint(); h != "" && !slices.Contains(hints, h) {
				hints = append(hints, h)
			}
		}
	}
	hints = append(hints, (&gpu.SelfTestError{Index: 1}).Hint())
	app := newApp(strings.NewReader(""), io.Discard, io.Discard)
	flagsOf := func(name string) []string {
		var names []string
		if c := app.Command(name); c != nil {
			for _, f := range c.Flags {
				names = append(names, f.Names()...)
			}
		}
		return names
	}
	named := 0
	for _, c := range app.Commands {
		for _, h := range hints {
			got := commandHint(c, h)
			for _, m := range reHintFlag.FindAllStringSubmatch(got, -1) {
				named++
				cmd := c.Name
				if m[1] != "" {
					cmd = m[1]
				}
				if !slices.Contains(flagsOf(cmd), m[2]) {
					t.Errorf("gpusim %s: hint names --%s, not a flag of %s: %q", c.Name, m[2], cmd, got)
				}
			}
		}
	}
	if named == 0 {
		t.Fatal("no hint names a flag: the test checks nothing")
	}
	// Run's hints stay as they are, and a command with no flags for a
	// remedy leaves the remedy out, not the rest of the hint.
	h := (&cl.Error{Code: -4, Op: "clCreateBuffer"}).Hint()
	if got := commandHint(app.Command("run"), h); got != h {
		t.Errorf("run's hint reworded: %q, want %q", got, h)
	}
	for _, name := range []string{"bench", "selftest", "devices"} {
		if got := commandHint(app.Command(name), h); !strings.HasPrefix(got, "the device could not allocate a buffer: free its memory (other processes may hold it); or run on a CPU engine (") {
			t.Errorf("gpusim %s: %q", name, got)
		}
	}
}

// TestSelftestErrorHints: selftest's error gives the hint of each device
// that did not start or whose check's job did not run, each once: the
// first cause's alone was printed.
func TestSelftestErrorHints(t *testing.T) {
	launch := &cl.Error{Code: -5, Op: "clEnqueueNDRangeKernel"}
	build := &cl.BuildError{Err: &cl.Error{Code: -11, Op: "clBuildProgram"}, Log: "error"}
	err := &selftestError{msg: "selftest: device 0 failed job/plain; device 1 did not start", causes: []error{launch, build, launch}}
	got := errorHints(err)
	if len(got) != 2 || got[0] != launch.Hint() || got[1] != build.Err.Hint() {
		t.Errorf("hints %q, want the launch's and the build's", got)
	}
}

// TestHintFollowsItsError: of two errors, each hint is printed after the
// error it belongs to: selftest's failed device's hint came after the
// error of the report's write to a full stdout, which has none. A hint
// two errors share is printed once, after the first.
func TestHintFollowsItsError(t *testing.T) {
	launch := &cl.Error{Code: -5, Op: "clEnqueueNDRangeKernel"}
	failed := &selftestError{msg: "selftest: device 0 failed job/plain", causes: []error{launch}}
	write := &stdoutError{err: syscall.ENOSPC}
	var b strings.Builder
	printFailure(&b, nil, joinErrors(failed, joinErrors(write, launch)))
	want := "gpusim: error: selftest: device 0 failed job/plain\n" +
		"gpusim: hint: " + commandHint(nil, launch.Hint()) + "\n" +
		"gpusim: error: write standard output: no space left on device\n" +
		"gpusim: error: " + launch.Error() + "\n"
	if b.String() != want {
		t.Errorf("printed\n%s\nwant\n%s", b.String(), want)
	}
}
