package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/gpusim/gpusim/bench"
	"github.com/gpusim/gpusim/cpu"
	"github.com/gpusim/gpusim/engines"
	"github.com/gpusim/gpusim/gpu/cl"
	"github.com/gpusim/gpusim/internal/enginetest"
	"github.com/gpusim/gpusim/internal/interrupt"
	"github.com/gpusim/gpusim/sim"
)

// failingEngine fails every run with err.
type failingEngine struct{ err error }

func (failingEngine) Name() string { return "failing" }

func (f failingEngine) Run(context.Context, *sim.Job) (*sim.Result, error) { return nil, f.err }

// withBench replaces what bench can run for one test, and the names a
// refused --engines gives (benchNames): b's entries.
func withBench(t *testing.T, b engines.Benchable) {
	old, oldNames := forBench, benchNames
	forBench = func(string) engines.Benchable { return b }
	benchNames = func() engines.Benchable { return engines.Benchable{Entries: b.Entries, Missing: b.Missing} }
	t.Cleanup(func() { forBench, benchNames = old, oldNames })
}

func spec(name string, scales bool, new func(workers int) sim.Engine) engines.Spec {
	entry, _, _ := strings.Cut(name, ":")
	return engines.Spec{Name: name, Entry: entry, Scales: scales, New: func(workers int, _ func(string)) sim.Engine { return new(workers) }}
}

func serialSpec() engines.Spec {
	return spec("serial", false, func(int) sim.Engine { return cpu.Serial{} })
}

func TestBenchDigestMismatch(t *testing.T) {
	withBench(t, engines.Benchable{Entries: []string{"serial", "wrong"}, Specs: []engines.Spec{
		serialSpec(), spec("wrong", false, func(int) sim.Engine { return enginetest.Wrong{Engine: cpu.Serial{}} })}})
	p := sim.Default()
	p.Lanes, p.Steps = 100, 4
	res, err := cpu.Serial{}.Run(context.Background(), &sim.Job{Params: p})
	if err != nil {
		t.Fatal(err)
	}
	d := res.Summary.Digest
	code, stdout, stderr := run(context.Background(), "bench", "--lanes", "100", "--steps", "4", "--reps", "1", "--no-scaling", "--no-sweep", "--baseline", "none", "-q")
	want := fmt.Sprintf("gpusim: error: digest mismatch on 100 x 4: serial=%016x wrong=%016x: every engine computes the same stream, so one of these is wrong\n", d, d^1)
	if code != exitFailure || stdout != "" || stderr != want {
		t.Errorf("got exit %d, stdout %q, stderr %q; want exit 1 and %q", code, stdout, stderr, want)
	}
}

func TestBenchMissingEngine(t *testing.T) {
	withBench(t, engines.Benchable{Entries: []string{"serial", "gone"}, Specs: []engines.Spec{serialSpec()},
		Missing: map[string]error{"gone": errors.New("no device here")}})
	args := []string{"bench", "--lanes", "100", "--steps", "4", "--reps", "1", "--no-scaling", "--no-sweep", "--baseline", "none"}

	code, stdout, stderr := run(context.Background(), args...)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !strings.Contains(stderr, "bench: note: gone left out: no device here\n") || !strings.Contains(stdout, "note: gone left out: no device here\n") {
		t.Errorf("no note that gone was left out:\nstdout:\n%s\nstderr:\n%s", stdout, stderr)
	}
	code, _, stderr = run(context.Background(), append(args, "--engines", "gone")...)
	if want := "gpusim: error: --engines: gone cannot run here: no device here\n"; code != exitFailure || stderr != want {
		t.Errorf("--engines gone: got exit %d, stderr %q; want exit 1 and %q", code, stderr, want)
	}
	code, _, stderr = run(context.Background(), append(args, "--engines", "alias")...)
	if want := "gpusim: error: --engines: unknown engine \"alias\" (valid: serial, gone)\n"; code != exitUsage || stderr != want {
		t.Errorf("--engines alias: got exit %d, stderr %q; want exit 2 and %q", code, stderr, want)
	}
}

// TestBenchMissingEngineBadUTF8: a note that quotes the environment (here
// a library path with bytes \xff\xfe, as GPUSIM_OPENCL_LIBRARY may give)
// is written as the report's other texts are (bench.ValidText), in every
// format and on stderr: it went raw into text, Markdown and CSV.
func TestBenchMissingEngineBadUTF8(t *testing.T) {
	withBench(t, engines.Benchable{Entries: []string{"serial", "gone"}, Specs: []engines.Spec{serialSpec()},
		Missing: map[string]error{"gone": errors.New("tried /tmp/\xff\xfe.so")}})
	for _, format := range []string{"text", "markdown", "csv", "json"} {
		code, stdout, stderr := run(context.Background(), "bench", "--lanes", "100", "--steps", "4", "--reps", "1", "--no-scaling", "--no-sweep", "--baseline", "none", "--format", format)
		if code != 0 {
			t.Fatalf("--format %s: exit %d: %s", format, code, stderr)
		}
		if !utf8.ValidString(stdout) || !utf8.ValidString(stderr) || strings.Contains(stdout, "\ufffd") {
			t.Errorf("--format %s: the note is not UTF-8, or lost its bytes:\nstdout:\n%q\nstderr:\n%q", format, stdout, stderr)
		}
		if !strings.Contains(stderr, `bench: note: "gone left out: tried /tmp/\xff\xfe.so"`) || !strings.Contains(stdout, `xff`) {
			t.Errorf("--format %s: no quoted note:\nstdout:\n%s\nstderr:\n%s", format, stdout, stderr)
		}
	}
}

// TestBenchMissingEngineHint: an engine left out because it cannot start
// here keeps its error's hint, worded for bench, in a note after the one
// that says why (on stderr and in the report): the note had the error's
// text alone. Not its remedy of a CPU engine, which bench runs beside it:
// it said "or run on a CPU engine (--engines simd)".
func TestBenchMissingEngineHint(t *testing.T) {
	withBench(t, engines.Benchable{Entries: []string{"serial", "opencl"}, Specs: []engines.Spec{serialSpec()},
		Missing: map[string]error{"opencl": fmt.Errorf("opencl: create context: %w", &cl.Error{Code: -5, Op: "clCreateContext"})}})
	code, stdout, stderr := run(context.Background(), "bench", "--lanes", "100", "--steps", "4", "--reps", "1", "--no-scaling", "--no-sweep", "--baseline", "none")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	const want = "hint for opencl: the driver ran out of resources: check the device with clinfo\n"
	if !strings.Contains(stderr, "bench: note: opencl left out: opencl: create context: clCreateContext: CL_OUT_OF_RESOURCES (-5)\nbench: note: "+want) ||
		!strings.Contains(stdout, "note: "+want) || strings.Contains(stdout+stderr, "CPU engine") {
		t.Errorf("no note of the hint %q:\nstdout:\n%s\nstderr:\n%s", want, stdout, stderr)
	}
}

// TestBenchEngineStarts checks that an engine that fails for a worker count
// reports it from Run rather than panicking, in a report that keeps what
// was measured.
func TestBenchEngineStarts(t *testing.T) {
	withBench(t, engines.Benchable{Entries: []string{"serial", "picky"}, Specs: []engines.Spec{serialSpec(),
		spec("picky", true, func(w int) sim.Engine {
			if w > 1 {
				return failingEngine{errors.New("start picky: one worker at most")}
			}
			return cpu.Serial{}
		})}})
	code, stdout, stderr := run(context.Background(), "bench", "--lanes", "100", "--steps", "4", "--reps", "1", "--workers", "2", "--no-sweep", "--baseline", "none", "-q")
	if want := "gpusim: error: bench: picky/2 on 100 x 4: start picky: one worker at most\n"; code != exitFailure || stderr != want {
		t.Errorf("got exit %d, stderr %q; want exit 1 and %q", code, stderr, want)
	}
	// The measurements made stand (picky on its default worker count
	// included); its scaling table, cut short, is left out.
	if !strings.Contains(stdout, "\n100 x 4   picky ") || strings.Contains(stdout, "\nScaling\n") || !strings.Contains(stdout, "note: picky/2 on 100 x 4 failed: start picky: one worker at most; picky is left out from there on (exit status 1)\n") {
		t.Errorf("the report lacks picky's measurement or its failure, or has a scaling table:\n%s", stdout)
	}
}

func TestBenchCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	code, stdout, stderr := run(ctx, "bench", "--lanes", "1000", "--steps", "4", "--reps", "1", "--baseline", "none", "-q")
	if code != exitFailure || stdout != "" || !strings.HasPrefix(stderr, "gpusim: error: bench: serial on 1k x 4: ") || !strings.Contains(stderr, "context canceled") {
		t.Errorf("got exit %d, stdout %q, stderr %q; want exit 1 and a cancellation error", code, stdout, stderr)
	}
}

// TestBenchNoNumPy checks that without a python3 that imports numpy the
// default baseline is skipped with a note, and an explicit one is an error.
func TestBenchNoNumPy(t *testing.T) {
	old := bench.PythonCandidates
	bench.PythonCandidates = []string{filepath.Join(t.TempDir(), "no-python3")}
	t.Cleanup(func() { bench.PythonCandidates = old })
	args := []string{"bench", "--lanes", "100", "--steps", "4", "--reps", "1", "--no-scaling", "--no-sweep"}

	code, stdout, stderr := run(context.Background(), args...)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !strings.Contains(stderr, "bench: note: Python baseline skipped: no python3 with numpy found\n") {
		t.Errorf("stderr has no note that the baseline was skipped:\n%s", stderr)
	}
	if !strings.Contains(stdout, "\nPython baseline\n  skipped: no python3 with numpy found") {
		t.Errorf("the report does not say the baseline was skipped:\n%s", stdout)
	}

	code, _, stderr = run(context.Background(), append(args, "--baseline", "python")...)
	if code != exitFailure || !strings.HasPrefix(stderr, "gpusim: error: --baseline python: no python3 with numpy found") || strings.Contains(stderr, "bench: serial") {
		t.Errorf("--baseline python: got exit %d, stderr %q; want exit 1 before anything runs", code, stderr)
	}
}

// TestBenchPythonFails: a baseline that fails after the engines ran (the
// script's MemoryError at a large --lanes) leaves the engines' report
// standing, with the failure in it (it threw the whole report away), and
// fails the benchmark after it, as an engine's failure does: exit 1, the
// error, and the baseline among the JSON's failures (bench exited 0). And
// --python is checked for a Python that imports numpy, not for a program
// that exits 0: /bin/true ran the whole bench before failing.
func TestBenchPythonFails(t *testing.T) {
	dir := t.TempDir()
	fake := filepath.Join(dir, "python3")
	script := "#!/bin/sh\ncase \"$*\" in *'import numpy'*) echo gpusim-numpy-ok; exit 0;; esac\necho 'MemoryError: cannot allocate' >&2\nexit 1\n"
	if err := os.WriteFile(fake, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	args := []string{"bench", "--lanes", "100", "--steps", "4", "--reps", "1", "--no-scaling", "--no-sweep", "--engines", "serial"}
	code, stdout, stderr := run(context.Background(), append(args, "--python", fake)...)
	if code != exitFailure || !strings.Contains(stderr, "gpusim: error: bench: python on 100 x 4: exit status 1: MemoryError: cannot allocate") {
		t.Fatalf("exit %d; want 1 and the baseline's failure as bench's error: %s", code, stderr)
	}
	if !strings.Contains(stdout, "100 x 4   serial") || !strings.Contains(stdout, "\nPython baseline\n  failed ("+fake+"): exit status 1: MemoryError: cannot allocate") {
		t.Errorf("the report lacks the engines or the baseline's failure:\n%s", stdout)
	}
	if !strings.Contains(stderr, "bench: python baseline failed: exit status 1: MemoryError") {
		t.Errorf("stderr does not say the baseline failed:\n%s", stderr)
	}
	code, stdout, stderr = run(context.Background(), append(args, "--format", "json", "--python", fake)...)
	if code != exitFailure || !strings.Contains(stdout, `"failed": "exit status 1: MemoryError: cannot allocate"`) || !strings.Contains(stdout, `"engine": "python",`) {
		t.Errorf("JSON: exit %d, stderr %q, no failed field:\n%s", code, stderr, stdout)
	}

	// /bin/echo printed the check's token, which was in the code it was
	// given: it passed, and failed the baseline after the engines ran
	// ("reading its output: invalid character"), exit 1.
	for _, py := range []string{"/bin/true", "/bin/echo"} {
		code, stdout, stderr = run(context.Background(), append(args, "--python", py)...)
		if code != exitUsage || stdout != "" || !strings.HasPrefix(stderr, `gpusim: error: --python: "`+py+`" is not a Python that imports numpy`) || strings.Contains(stderr, "bench: serial") {
			t.Errorf("--python %s: exit %d, stdout %q, stderr %q; want exit 2 before anything runs", py, code, stdout, stderr)
		}
	}
}

// TestBenchPythonOutputChecked: a Python script that floods its output,
// or gives a result it cannot have given, fails the baseline after the
// engines ran, naming why, with the engines' report standing and exit
// status 1. The flood ("yes" after the header) had bench die out of
// memory with a goroutine dump, the report lost; a time of -1 s was a row
// of the report reading "0 s", and bench exited 0.
func TestBenchPythonOutputChecked(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("the fake interpreter is a shell script")
	}
	header := `echo '{"python": "3.11.2", "numpy": "1.24.2", "cores": 2}'` + "\n"
	for _, c := range []struct{ name, body, why string }{
		{"flood", header + "yes '{\"result\": 1}xxxxxxxx' | head -c 33554432\n",
			"the script printed more than 4.65 MB on stdout, more than bench reads of a child's output: killed"},
		{"negative time", header + `echo '{"result": {"method": "loop", "lanes": 100, "steps": 4, "sample_lanes": 100, "sample_steps": 4, "seconds": -1, "ns_per_lane_step": -2.5e6, "workload_seconds": -1, "mean": 72, "std": 5}}'` + "\n",
			"reading its output: loop on 100 x 4: seconds -1, not a time a run takes"},
	} {
		fake := filepath.Join(t.TempDir(), "python3")
		script := "#!/bin/sh\ncase \"$*\" in *'import numpy'*) echo gpusim-numpy-ok; exit 0;; esac\ncat >/dev/null\n" + c.body
		if err := os.WriteFile(fake, []byte(script), 0o755); err != nil {
			t.Fatal(err)
		}
		code, stdout, stderr := run(context.Background(), "bench", "--lanes", "100", "--steps", "4", "--reps", "1", "--no-scaling", "--no-sweep", "--engines", "serial", "--python", fake)
		if want := "gpusim: error: bench: python on 100 x 4: " + c.why + "\n"; code != exitFailure || !strings.HasSuffix(stderr, want) {
			t.Errorf("%s: exit %d, stderr ending %.300q; want exit 1 and %q", c.name, code, stderr[max(0, len(stderr)-300):], want)
		}
		if !strings.Contains(stdout, "100 x 4   serial") || !strings.Contains(stdout, "\nPython baseline\n  failed ("+fake+"): "+c.why+"\n") || strings.Contains(stdout, "python/loop") {
			t.Errorf("%s: the report lacks the engines or the baseline's failure, or has its rows:\n%.2000s", c.name, stdout)
		}
	}
}

// TestBenchEngineFails: an engine that fails mid-benchmark (the processes
// engine when the temporary folder goes or fills up) does not lose the
// other engines' report: it is printed, with the failure in its notes (and
// in the JSON's failures), and bench exits 1 naming it. The whole report was
// lost.
func TestBenchEngineFails(t *testing.T) {
	withBench(t, engines.Benchable{Entries: []string{"serial", "failing"}, Specs: []engines.Spec{serialSpec(),
		spec("failing", false, func(int) sim.Engine { return failingEngine{errors.New("no space left on device")} })}})
	args := []string{"bench", "--lanes", "100", "--steps", "4", "--reps", "1", "--no-scaling", "--sweep", "100,1000", "--sweep-reps", "1", "--baseline", "none"}
	code, stdout, stderr := run(context.Background(), args...)
	if want := "gpusim: error: bench: failing on 100 x 4: no space left on device\n"; code != exitFailure || !strings.HasSuffix(stderr, want) {
		t.Errorf("exit %d, stderr %q; want exit 1 and stderr ending %q", code, stderr, want)
	}
	if !strings.Contains(stderr, "bench: failing on 100 x 4 failed: no space left on device; going on without failing\n") {
		t.Errorf("no progress line on the failure:\n%s", stderr)
	}
	for _, want := range []string{"\n100 x 4   serial ", "\nLANES  SERIAL\n", "note: failing on 100 x 4 failed: no space left on device; failing is left out from there on (exit status 1)\n"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("the report lacks %q:\n%s", want, stdout)
		}
	}
	code, stdout, _ = run(context.Background(), append(args, "--format", "json", "-q")...)
	if code != exitFailure || !strings.Contains(stdout, `"failures": [`) || !strings.Contains(stdout, `"error": "no space left on device"`) {
		t.Errorf("JSON: exit %d, no failures:\n%s", code, stdout)
	}
}

// TestBenchEngineNotStarted: an engine the environment keeps from starting
// at a workload (engines.NotStarted: pocl's build under ulimit -f 200 or
// into a full POCL_CACHE_DIR), no device at fault, exits 2 after the
// report, as run --engine opencl does; it exited 1. Beside an engine that
// failed otherwise, or a failure past the start (TestBenchEngineFails),
// bench exits 1.
func TestBenchEngineNotStarted(t *testing.T) {
	full := &os.PathError{Op: "write", Path: "/pocl/cache", Err: syscall.ENOSPC}
	notStarted := spec("gone", false, func(int) sim.Engine { return failingEngine{engines.NotStarted("gone", full)} })
	args := []string{"bench", "--lanes", "100", "--steps", "4", "--reps", "1", "--no-scaling", "--no-sweep", "--baseline", "none"}
	withBench(t, engines.Benchable{Entries: []string{"serial", "gone"}, Specs: []engines.Spec{serialSpec(), notStarted}})
	code, stdout, stderr := run(context.Background(), args...)
	if want := "gpusim: error: bench: gone on 100 x 4: start gone: write /pocl/cache: no space left on device\n"; code != exitUsage || !strings.HasSuffix(stderr, want) {
		t.Errorf("exit %d, stderr %q; want exit 2 and stderr ending %q", code, stderr, want)
	}
	if want := "gone is left out from there on (it could not run here, no device at fault: exit status 2 unless another engine failed)\n"; !strings.Contains(stdout, "\n100 x 4   serial ") || !strings.Contains(stdout, want) {
		t.Errorf("the report lacks serial's row or %q:\n%s", want, stdout)
	}
	withBench(t, engines.Benchable{Entries: []string{"serial", "gone", "failing"}, Specs: []engines.Spec{serialSpec(), notStarted,
		spec("failing", false, func(int) sim.Engine { return failingEngine{errors.New("CL_INVALID_VALUE")} })}})
	if code, _, stderr := run(context.Background(), args...); code != exitFailure {
		t.Errorf("beside an engine that failed: exit %d, stderr %q; want exit 1", code, stderr)
	}
}

// TestBenchDefaultWorkersOversubscribed: the default worker counts (1 to
// the number of CPUs) beyond GOMAXPROCS (a GOMAXPROCS setting, or a
// container's CPU quota, which Go's GOMAXPROCS follows and NumCPU does not)
// get the oversubscription note that --workers with the same counts gets:
// the note looked at --workers alone.
func TestBenchDefaultWorkersOversubscribed(t *testing.T) {
	if runtime.NumCPU() < 2 {
		t.Skip("one CPU: the default worker counts are 1 alone")
	}
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	withBench(t, engines.Benchable{Entries: []string{"parallel"}, Specs: []engines.Spec{
		spec("parallel", true, func(n int) sim.Engine { return cpu.Parallel{Workers: n} })}})
	code, stdout, stderr := run(context.Background(), "bench", "--lanes", "100", "--steps", "2", "--reps", "1", "--warmup", "0", "--no-sweep", "--baseline", "none", "-q")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	// The spec has no MaxWorkers: every count asked for ran, the last the
	// number of CPUs.
	want := regexp.MustCompile(fmt.Sprintf(`(?m)^note: parallel ran [0-9, and]*\b%d goroutines on 1 core \(GOMAXPROCS\): `, runtime.NumCPU()))
	if !want.MatchString(stdout) {
		t.Errorf("no note %q:\n%s", want, stdout)
	}
}

// failsFrom runs on serial up to lanes, then fails with err: a device that
// fails partway through the benchmark.
type failsFrom struct {
	lanes uint64
	err   error
}

func (failsFrom) Name() string { return "failsFrom" }

func (f failsFrom) Run(ctx context.Context, j *sim.Job) (*sim.Result, error) {
	if j.Params.Lanes >= f.lanes {
		return nil, f.err
	}
	return cpu.Serial{}.Run(ctx, j)
}

// TestBenchEngineFailsHint: an engine that fails partway through the
// benchmark with an OpenCL error keeps the error's hint, worded for bench
// (its --engines, not run's --engine; no --vector-width, which bench does
// not take), in the progress on stderr as it fails, in the text report,
// the JSON, the CSV and the --html page, and after bench's error at the
// end; and a failed build keeps its log. The error was flattened to text
// (EngineFailure.Error, errors.New at the end), which showed the status's
// name and not what to do.
func TestBenchEngineFailsHint(t *testing.T) {
	launch := fmt.Errorf("opencl: launch 1000 lanes: %w", &cl.Error{Code: -5, Op: "clEnqueueNDRangeKernel"})
	build := fmt.Errorf("opencl: build program: %w", &cl.BuildError{Err: &cl.Error{Code: -11, Op: "clBuildProgram"}, Log: "<kernel>:7:1: error: use of undeclared identifier 'x'"})
	withBench(t, engines.Benchable{Entries: []string{"serial", "opencl"}, Specs: []engines.Spec{serialSpec(),
		spec("opencl:0", false, func(int) sim.Engine { return failsFrom{1000, launch} }),
		spec("opencl:1", false, func(int) sim.Engine { return failsFrom{1000, build} })}})
	const launchHint, buildHint = "the device ran out of resources", "the OpenCL C compiler rejected the kernel: see the build log"
	const buildLog = "<kernel>:7:1: error: use of undeclared identifier 'x'"
	bad := []string{"--vector-width", "(--engine simd)"}
	dir := t.TempDir()
	page := filepath.Join(dir, "bench.html")
	args := []string{"bench", "--lanes", "100,1000", "--steps", "4", "--reps", "1", "--warmup", "0", "--no-scaling", "--no-sweep", "--baseline", "none"}
	code, stdout, stderr := run(context.Background(), append(args, "--html", page)...)
	if code != exitFailure {
		t.Fatalf("exit %d, want 1:\n%s", code, stderr)
	}
	progress, end, _ := strings.Cut(stderr, "gpusim: error: ")
	for _, want := range []string{"bench: hint for opencl:0: " + launchHint, "bench: hint for opencl:1: " + buildHint, buildLog} {
		if !strings.Contains(progress, want) {
			t.Errorf("the progress lacks %q:\n%s", want, progress)
		}
	}
	for _, want := range []string{"gpusim: hint: " + launchHint, "gpusim: hint: " + buildHint, "(--engines simd)", buildLog} {
		if !strings.Contains(end, want) {
			t.Errorf("bench's error lacks %q:\n%s", want, end)
		}
	}
	for _, want := range []string{"note: hint for opencl:0: " + launchHint, "note: hint for opencl:1: " + buildHint, "(--engines simd)", buildLog} {
		if !strings.Contains(stdout, want) {
			t.Errorf("the report lacks %q:\n%s", want, stdout)
		}
	}
	html, err := os.ReadFile(page)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"hint for opencl:0: " + launchHint, "hint for opencl:1: " + buildHint, "(--engines simd)"} {
		if !strings.Contains(string(html), want) {
			t.Errorf("the --html page lacks %q", want)
		}
	}
	for _, out := range []string{stderr, stdout, string(html)} {
		for _, b := range bad {
			if strings.Contains(out, b) {
				t.Errorf("a hint names %s, which bench does not take:\n%s", b, out)
			}
		}
	}

	code, stdout, _ = run(context.Background(), append(args, "--format", "json", "-q")...)
	var rep struct {
		Failures []struct{ Error, Hint string }
	}
	if err := json.Unmarshal([]byte(stdout), &rep); err != nil || code != exitFailure {
		t.Fatalf("JSON: exit %d, %v:\n%s", code, err, stdout)
	}
	if len(rep.Failures) != 2 || !strings.HasPrefix(rep.Failures[0].Hint, launchHint) || !strings.Contains(rep.Failures[0].Hint, "(--engines simd)") ||
		rep.Failures[1].Hint != buildHint || !strings.Contains(rep.Failures[1].Error, buildLog) {
		t.Errorf("JSON failures %+v, want each with its hint", rep.Failures)
	}
	_, stdout, _ = run(context.Background(), append(args, "--format", "csv", "-q")...)
	if !strings.Contains(stdout, "; hint: "+launchHint) || !strings.Contains(stdout, "; hint: "+buildHint) {
		t.Errorf("the CSV's failed rows lack the hints:\n%s", stdout)
	}
}

// TestBenchStoppedFindingPython: a stop (Ctrl-C) while bench looks for a
// python3 with numpy is the stop, with its status, not a missing
// interpreter: "Python baseline skipped: no python3 with numpy found"
// came before "gpusim: interrupted", of a machine that has one.
func TestBenchStoppedFindingPython(t *testing.T) {
	ctx, cancel := context.WithCancelCause(context.Background())
	cancel(&interrupt.SignalError{Signal: os.Interrupt})
	code, stdout, stderr := run(ctx, "bench", "--lanes", "1000", "--steps", "2", "--reps", "1", "--warmup", "0", "--no-sweep", "--no-scaling", "--engines", "serial")
	if code != interrupt.ExitSIGINT || stdout != "" || strings.Contains(stderr, "skipped") {
		t.Errorf("exit %d, stdout %q, stderr %q; want %d, no report and no note of a skipped baseline", code, stdout, stderr, interrupt.ExitSIGINT)
	}
}

// TestDevicesStopped: a stop while the driver lists the devices exits with
// the stop's status, printing no listing: it printed the listing and exited
// 0.
func TestDevicesStopped(t *testing.T) {
	for _, format := range []string{"text", "json"} {
		ctx, cancel := context.WithCancelCause(context.Background())
		cancel(&interrupt.SignalError{Signal: syscall.SIGTERM})
		code, stdout, stderr := run(ctx, "devices", "--format", format)
		if code != interrupt.ExitSIGTERM || stdout != "" || !strings.Contains(stderr, "gpusim: terminated") {
			t.Errorf("--format %s: exit %d, stdout %q, stderr %q; want %d, no listing", format, code, stdout, stderr, interrupt.ExitSIGTERM)
		}
	}
}

// TestOnlineCPUs reads Linux's list of online CPUs, which the load
// average's note compares with the process's (taskset -c 0 read "on 1
// core" beside the machine's load).
func TestOnlineCPUs(t *testing.T) {
	dir := t.TempDir()
	for in, want := range map[string]int{"0-1\n": 2, "0\n": 1, "0-3,8-11\n": 8, "0,2,4": 3, "x": 0, "3-1": 0, "": 0} {
		p := filepath.Join(dir, "online")
		if err := os.WriteFile(p, []byte(in), 0o644); err != nil {
			t.Fatal(err)
		}
		if got := onlineCPUs(p); got != want {
			t.Errorf("onlineCPUs(%q) = %d, want %d", in, got, want)
		}
	}
	if onlineCPUs(filepath.Join(dir, "missing")) != 0 {
		t.Error("a missing list counted CPUs")
	}
}

// TestBenchTookCountsEnginesStart: the report's took (Run: ... took, JSON
// elapsed_s) counts the engines' listing, which comes before the
// measurements (the OpenCL driver's load and its devices' listing, which
// a device's cold figure counts): it began at the measurements, so that
// bench --engines simd,opencl read "took 341 ms" beside opencl's cold
// 648 ms.
func TestBenchTookCountsEnginesStart(t *testing.T) {
	const listing = 300 * time.Millisecond // as a driver's load and listing
	old, oldNames := forBench, benchNames
	b := engines.Benchable{Entries: []string{"serial"}, Specs: []engines.Spec{serialSpec()}}
	forBench = func(string) engines.Benchable { time.Sleep(listing); return b }
	benchNames = func() engines.Benchable { return engines.Benchable{Entries: b.Entries} }
	t.Cleanup(func() { forBench, benchNames = old, oldNames })
	code, stdout, stderr := run(context.Background(), "bench", "--lanes", "100", "--steps", "4", "--reps", "1", "--warmup", "0", "--no-scaling", "--no-sweep", "--baseline", "none", "--format", "json", "-q")
	if code != 0 {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
	var rep struct {
		Elapsed float64 `json:"elapsed_s"`
	}
	if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
		t.Fatal(err)
	}
	if rep.Elapsed < listing.Seconds() {
		t.Errorf("elapsed_s %g, want the engines' listing's %g s and more", rep.Elapsed, listing.Seconds())
	}
}
