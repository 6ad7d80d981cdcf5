package bench

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/gpusim/gpusim/internal/testenv"
	"github.com/gpusim/gpusim/sim"
)

// findPython is the python3 with NumPy the baseline runs (FindPython); a
// test skips without one (fails under CI=true, which installs NumPy, as
// testenv.NeedNumpy does), and fails where finding it fails otherwise.
func findPython(t *testing.T) string {
	t.Helper()
	py, err := FindPython(context.Background())
	if errors.Is(err, ErrNoNumPy) {
		if testenv.CI() {
			t.Fatalf("CI=true but %v (.ci/run installs python3-numpy)", err)
		}
		t.Skip(err)
	}
	if err != nil {
		t.Fatal(err)
	}
	return py
}

func TestBaselineScript(t *testing.T) {
	ctx := context.Background()
	py := findPython(t)
	// 2000 lanes x 5 steps with a loop budget of 1000 lane-steps and a
	// matrix budget of 400 lanes: the loop and matrix run on samples.
	c := tinyConfig()
	c.PythonLoopBudget = 1000
	c.PythonMatrixBytes = 400 * 8 * 5
	c.PythonReps = 1
	c.PythonOnly = "loop,matrix,vector"
	w := Workload{2000, 5}
	out, err := RunBaseline(ctx, py, &c, w)
	if err != nil {
		t.Fatal(err)
	}
	if out.Python == "" || out.NumPy == "" || len(out.Results) != 3 {
		t.Fatalf("output %+v", out)
	}
	mean, sd := c.params(w).Exact(w.Steps)
	for i, want := range []struct {
		method string
		lanes  uint64
	}{{"loop", 200}, {"matrix", 400}, {"vector", 2000}} {
		r := out.Results[i]
		if r.Method != want.method || r.SampleLanes != want.lanes || r.Scaled != (want.lanes < w.Lanes) || r.Workload != w {
			t.Errorf("#%d: %+v, want method %s on %d lanes", i, r, want.method, want.lanes)
		}
		if !(r.Seconds > 0) || math.Abs(r.NsPerLaneStep-r.Seconds*1e9/float64(r.SampleLanes*5)) > 1e-6*r.NsPerLaneStep ||
			math.Abs(r.WorkloadSeconds-r.NsPerLaneStep*1e-9*w.LaneSteps()) > 1e-6*r.WorkloadSeconds {
			t.Errorf("%s: inconsistent timings %+v", r.Method, r)
		}
		// The sample mean must be within 6 standard errors of the exact mean.
		if se := sd / math.Sqrt(float64(r.SampleLanes)); math.Abs(r.Mean-mean) > 6*se {
			t.Errorf("%s: mean %v, exact %v +/- %v", r.Method, r.Mean, mean, se)
		}
		if !r.Law.OK {
			t.Errorf("%s: %v against the exact law", r.Method, r.Law)
		}
	}
}

// TestBaselineTools runs the tools a user picks instead of gpusim (joblib,
// Numba, PyOpenCL) on two small workloads: each runs and agrees with the
// exact law, or is skipped naming its Debian package; under CI=true, which
// installs them all, none may be skipped.
func TestBaselineTools(t *testing.T) {
	if testing.Short() {
		t.Skip("starts joblib workers, compiles Numba and OpenCL kernels")
	}
	py := testenv.NeedNumpy(t)
	c := tinyConfig()
	c.PythonReps = 1
	c.PythonJoblibBudget = 2000
	c.PythonOnly = "joblib-lane,joblib-chunk,numba,pyopencl"
	ws := []Workload{{20_000, 10}, {3000, 4}}
	out, err := RunBaseline(context.Background(), py, &c, ws...)
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Results) != 8 {
		t.Fatalf("%d results, want 4 versions x 2 workloads: %+v", len(out.Results), out.Results)
	}
	pkg := map[string]string{"joblib-lane": "python3-joblib", "joblib-chunk": "python3-joblib", "numba": "python3-numba", "pyopencl": "python3-pyopencl"}
	for i, r := range out.Results {
		if w := ws[i/4]; r.Workload != w {
			t.Errorf("#%d %s: workload %v, want %v", i, r.Method, r.Workload, w)
		}
		if r.Skipped != "" {
			if r.Package != pkg[r.Method] {
				t.Errorf("%s skipped (%s) naming package %q, want %q", r.Method, r.Skipped, r.Package, pkg[r.Method])
			}
			if testenv.CI() {
				t.Errorf("%s skipped under CI=true: %s", r.Method, r.Skipped)
			}
			continue
		}
		wantLanes := r.Workload.Lanes
		if r.Method == "joblib-lane" {
			wantLanes = 2000 / uint64(r.Workload.Steps)
		}
		if r.SampleLanes != wantLanes || !(r.Seconds > 0) {
			t.Errorf("%s on %v: %d lanes in %v s, want %d lanes", r.Method, r.Workload, r.SampleLanes, r.Seconds, wantLanes)
		}
		if !r.Law.OK {
			t.Errorf("%s on %v: mean %v, std %v: %v", r.Method, r.Workload, r.Mean, r.Std, r.Law)
		}
		if m := map[string]string{"numba": "numba", "pyopencl": "pyopencl"}[r.Method]; m != "" && !(out.Setup[m] > 0) {
			t.Errorf("%s: no compile time reported (set-up %v)", r.Method, out.Setup)
		}
	}
}

// TestBaselineToolSkipped: a version whose tool is missing (numba taken
// away: None in sys.modules, as Python's import then says "halted") is
// reported as skipped with its Debian package, not a failed benchmark,
// and the vector version still runs. A tool that is installed but does
// not import (numba shadowed by a module that raises ImportError, as a
// missing dependency does) or cannot set up (PyOpenCL that imports but
// finds no OpenCL platform: the ICD loader pointed at an empty vendor
// folder) is skipped saying what failed, with no package: the package
// named read as a missing one, and installing it changed nothing.
func TestBaselineToolSkipped(t *testing.T) {
	py := testenv.NeedNumpy(t)
	module := func(t *testing.T, name, code string) {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, name), []byte(code), 0o644); err != nil {
			t.Fatal(err)
		}
		t.Setenv("PYTHONPATH", dir)
	}
	for _, c := range []struct {
		name, tool string
		// hide sets the environment that takes the tool away or breaks it.
		hide func(t *testing.T)
		why  string // in the skip reason
		pkg  string // the package named, "" for none
	}{
		{"numba-missing", "numba", func(t *testing.T) {
			module(t, "sitecustomize.py", "import sys\nsys.modules['numba'] = None\n")
		}, "numba is not installed (ModuleNotFoundError: ", "python3-numba"},
		{"numba-broken", "numba", func(t *testing.T) {
			module(t, "numba.py", "raise ImportError('hidden by the test')\n")
		}, "numba is installed but does not import (ImportError: hidden by the test)", ""},
		{"pyopencl-no-platform", "pyopencl", func(t *testing.T) { t.Setenv("OCL_ICD_VENDORS", t.TempDir()) }, "pyopencl imports but cannot set up (", ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			if c.tool == "pyopencl" {
				if err := exec.Command(py, "-c", "import pyopencl").Run(); err != nil {
					t.Skip("pyopencl does not import here:", err)
				}
			}
			c.hide(t)
			cfg := tinyConfig()
			cfg.PythonReps = 1
			cfg.PythonOnly = "vector," + c.tool
			out, err := RunBaseline(context.Background(), py, &cfg, Workload{1000, 3})
			if err != nil {
				t.Fatal(err)
			}
			if len(out.Results) != 2 || out.Results[0].Skipped != "" || out.Results[1].Skipped == "" || out.Results[1].Failed {
				t.Fatalf("results %+v, want vector run and %s skipped", out.Results, c.tool)
			}
			r := out.Results[1]
			if r.Package != c.pkg || !strings.Contains(r.Skipped, c.why) {
				t.Errorf("skipped %q naming package %q; want %q naming %q", r.Skipped, r.Package, c.why, c.pkg)
			}
			if note := r.skipNote(); (c.pkg == "") == strings.Contains(note, "Debian package") {
				t.Errorf("note %q", note)
			}
		})
	}
}

// TestCheckLaw: a sample whose mean or std is off by 1% of the law's sd
// times the sample's size factor fails; the exact moments pass.
func TestCheckLaw(t *testing.T) {
	const lanes = 1_000_000 // sampling sd of the mean: sd/1000
	p := sim.Default()
	mean, sd := p.Exact(p.Steps)
	for _, tc := range []struct {
		name      string
		mean, std float64
		ok        bool
	}{
		{"exact", mean, sd, true},
		{"mean +3.9 se", mean + 3.9*sd/1000, sd, true},
		{"mean 1% of sd high", mean + 0.01*sd, sd, false},
		{"std 1% high", mean, 1.01 * sd, false},
		{"mean NaN", math.NaN(), sd, false},
	} {
		got := CheckLaw(p, lanes, tc.mean, tc.std)
		if got.OK != tc.ok {
			t.Errorf("%s: %v, want ok=%v", tc.name, got, tc.ok)
		}
	}
}

func TestPythonSkipped(t *testing.T) {
	old := PythonCandidates
	defer func() { PythonCandidates = old }()
	PythonCandidates = []string{"/nonexistent/python3"}
	c := tinyConfig()
	rep, err := RunPython(context.Background(), &c, nil)
	if err != nil || rep.Skipped == "" || len(rep.Results) != 0 {
		t.Errorf("no python: %+v, %v; want a skipped report", rep, err)
	}
}

// TestBaselineStopped: a benchmark stopped while the Python baseline runs
// (Ctrl-C, SIGTERM) returns the context's cause, so the CLI exits 130 or
// 143, not 1 with "signal: killed" as it did.
func TestBaselineStopped(t *testing.T) {
	py := findPython(t)
	stop := errors.New("stopped by the test")
	ctx, cancel := context.WithCancelCause(context.Background())
	time.AfterFunc(300*time.Millisecond, func() { cancel(stop) })
	c := tinyConfig()
	c.PythonLoopBudget = 1 << 40 // the loop runs until stopped
	c.PythonReps = 1
	c.PythonOnly = "loop"
	_, err := RunBaseline(ctx, py, &c, Workload{1 << 30, 100})
	if !errors.Is(err, stop) {
		t.Errorf("got %v, want the context's cause", err)
	}
}

// TestCheckLawOneLane: a sample of one lane has no spread, so its std is
// not scored (NaN, "-", null in JSON) and the mean alone decides; it read
// "FAILS z -0.17, +NaN", and the JSON report failed with "json: unsupported
// value: NaN" (bench --quick --steps 5000, whose joblib-lane runs 1 lane).
func TestCheckLawOneLane(t *testing.T) {
	p := sim.Default()
	mean, sd := p.Exact(p.Steps)
	got := CheckLaw(p, 1, mean+sd, 0)
	if !got.OK || !math.IsNaN(got.ZStd) || got.String() != "z +1.00, -" {
		t.Errorf("one lane within 1 sd: %v (ok %v, z std %v), want ok and \"z +1.00, -\"", got, got.OK, got.ZStd)
	}
	if bad := CheckLaw(p, 1, mean+5*sd, 0); bad.OK || bad.String() != "FAILS z +5.00, -" {
		t.Errorf("one lane 5 sd off: %v, want it to fail on its mean", bad)
	}
	if two := CheckLaw(p, 2, mean, 10*sd); two.OK {
		t.Errorf("two lanes, std 10 sd: %v, want a failure", two)
	}
	b, err := json.Marshal(PythonResult{Method: "loop", SampleLanes: 1, Law: got})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), `"z_std":null,"ok":true}`) {
		t.Errorf("JSON %s, want z_std null", b)
	}
	var back PythonResult
	if err := json.Unmarshal(b, &back); err != nil || !back.Law.OK || back.Law.ZMean != got.ZMean || !math.IsNaN(back.Law.ZStd) {
		t.Errorf("read back %+v, %v", back.Law, err)
	}
}

// TestBaselineOneLaneReport runs the loop on one lane (a budget below
// twice the steps) and writes the report in every format.
func TestBaselineOneLaneReport(t *testing.T) {
	py := findPython(t)
	c := tinyConfig()
	c.PythonLoopBudget, c.PythonReps, c.PythonOnly = 10, 1, "loop"
	w := Workload{1000, 10}
	out, err := RunBaseline(context.Background(), py, &c, w)
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Results) != 1 || out.Results[0].SampleLanes != 1 || !out.Results[0].Law.OK {
		t.Fatalf("results %+v, want the loop on 1 lane, within the law", out.Results)
	}
	rep := &Report{Baseline: "serial", Python: &PythonReport{Results: out.Results}}
	for _, f := range Formats {
		var b strings.Builder
		if err := rep.Write(&b, f); err != nil {
			t.Errorf("%s: %v", f, err)
		}
		if strings.Contains(b.String(), "NaN") || strings.Contains(b.String(), "FAILS") {
			t.Errorf("%s report:\n%s", f, b.String())
		}
	}
}

// TestBaselineSetupOnce: a tool's one-off set-up (joblib's worker start,
// paid by its first row: the pool is reused after) is reported once, apart
// from the rows: every joblib row on every workload carried the same
// set-up, in the JSON and a column of the table, as though each paid it.
func TestBaselineSetupOnce(t *testing.T) {
	if testing.Short() {
		t.Skip("starts joblib workers")
	}
	py := testenv.NeedNumpy(t)
	c := tinyConfig()
	c.PythonPath = py
	c.PythonReps = 1
	c.PythonJoblibBudget = 400
	c.PythonToolLanes = 1000
	c.PythonOnly = "joblib-lane,joblib-chunk"
	c.Workloads = []Workload{{2000, 10}, {1000, 4}}
	rep, err := RunPython(context.Background(), &c, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Results) != 4 || rep.Results[0].Skipped != "" {
		if testenv.CI() { // .ci/run installs python3-joblib, as TestBaselineTools requires
			t.Fatalf("CI=true but joblib does not run here: %+v", rep.Results)
		}
		t.Skipf("joblib does not run here: %+v", rep.Results)
	}
	b, err := json.Marshal(rep)
	if err != nil {
		t.Fatal(err)
	}
	var got struct {
		Setup   map[string]float64 `json:"setup_s"`
		Results []map[string]any   `json:"results"`
	}
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	if !(got.Setup["joblib"] > 0) {
		t.Errorf("set-up %v, want joblib's worker start once", got.Setup)
	}
	for _, r := range got.Results {
		for k, v := range r {
			if strings.Contains(k, "setup") {
				t.Errorf("%s on %v carries %s %v: the set-up is paid once, not by every row", r["method"], r["workload"], k, v)
			}
		}
	}
	// Once in the text's notes and the CSV's setup rows.
	full := &Report{Baseline: "serial", Python: rep}
	var text, csv strings.Builder
	if err := full.WriteText(&text); err != nil {
		t.Fatal(err)
	}
	if err := full.WriteCSV(&csv); err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(text.String(), "joblib's worker start"); n != 1 {
		t.Errorf("the text gives joblib's worker start %d times, want once:\n%s", n, text.String())
	}
	if n := strings.Count(csv.String(), "\nsetup,"); n != 1 {
		t.Errorf("%d CSV setup rows, want 1:\n%s", n, csv.String())
	}
}

// TestBaselineCannotRun: a version the plan gives more than it can run is
// skipped with a note saying why, and the others, before and after it,
// stand: the matrix whose one lane's row is over its cap (10 steps of 8
// bytes over 64 bytes; it ran on one lane regardless, and at --steps 2^32
// allocated 34 GB), and the vector on 2^50 lanes, out of memory (its
// MemoryError ended the script, and the whole baseline was reported failed).
func TestBaselineCannotRun(t *testing.T) {
	py := findPython(t)
	c := tinyConfig()
	c.PythonMatrixBytes, c.PythonReps, c.PythonOnly = 64, 1, "matrix,vector"
	small, huge := Workload{100, 10}, Workload{1 << 50, 1}
	out, err := RunBaseline(context.Background(), py, &c, small, huge)
	if err != nil {
		t.Fatalf("the baseline failed: %v", err)
	}
	want := []struct {
		w       Workload
		method  string
		skipped string // "" for a version that ran
	}{{small, "matrix", "one lane of 10 steps takes 80 B, over its cap of 64 B"}, {small, "vector", ""}, {huge, "matrix", ""}, {huge, "vector", "out of memory on 1125899906842624 lanes of 1 steps (MemoryError"}}
	if len(out.Results) != len(want) {
		t.Fatalf("results %+v, want %d", out.Results, len(want))
	}
	for i, w := range want {
		r := out.Results[i]
		if r.Workload != w.w || r.Method != w.method || !strings.Contains(r.Skipped, w.skipped) || (w.skipped == "") != (r.Skipped == "") || r.Package != "" {
			t.Errorf("#%d: %+v, want %s on %s skipped %q", i, r, w.method, w.w, w.skipped)
		}
	}
	rep := &Report{Baseline: "serial", Python: &PythonReport{Results: out.Results}}
	var b strings.Builder
	if err := rep.Write(&b, "text"); err != nil {
		t.Fatal(err)
	}
	for _, note := range []string{"matrix skipped: one lane of 10 steps takes 80 B, over its cap of 64 B\n", "vector skipped: out of memory on 1125899906842624 lanes"} {
		if !strings.Contains(b.String(), note) {
			t.Errorf("the report has no note %q:\n%s", note, b.String())
		}
	}
	if strings.Contains(b.String(), "Debian package  ") {
		t.Errorf("a note names an empty package:\n%s", b.String())
	}
	// With the memory available known: a version whose arrays take more
	// is skipped, not allocated (where the system grants it, touching it
	// had the script killed, every version's result with it).
	c.PythonMemory, c.PythonMatrixBytes = 4000, 1<<20
	out, err = RunBaseline(context.Background(), py, &c, Workload{1000, 10}, Workload{40, 10})
	if err != nil {
		t.Fatal(err)
	}
	for i, want := range []string{"its arrays of 1000 lanes take 80 kB, more than the 4 kB of memory available", "its arrays of 1000 lanes take 8 kB, more than the 4 kB", "", ""} {
		if r := out.Results[i]; !strings.Contains(r.Skipped, want) || (want == "") != (r.Skipped == "") {
			t.Errorf("%s on %s with 4 kB: skipped %q, want %q", r.Method, r.Workload, r.Skipped, want)
		}
	}
}

// fakeInterpreter writes a shell script that stands for python3: it
// ignores the script on stdin and runs body.
func fakeInterpreter(t *testing.T, body string) string {
	t.Helper()
	if runtime.GOOS == "windows" {
		t.Skip("the fake interpreter is a shell script")
	}
	path := filepath.Join(t.TempDir(), "python3")
	if err := os.WriteFile(path, []byte("#!/bin/sh\ncat >/dev/null\n"+body), 0o755); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestBaselineDeathKeepsResults: a script killed while a version runs
// (the OOM killer, a signal) loses that version alone: the results it
// printed stand, the version its last start line names is a failed result
// with the cause, and the report says the rest did not run. The whole
// baseline failed with 'signal: killed', every version's result lost.
func TestBaselineDeathKeepsResults(t *testing.T) {
	py := fakeInterpreter(t, `echo '{"python": "3.11.2", "numpy": "1.24.2", "cores": 2}'
echo 'gpusim-baseline: start loop 1000x10 on 1000 lanes' >&2
echo '{"result": {"method": "loop", "lanes": 1000, "steps": 10, "sample_lanes": 1000, "sample_steps": 10, "seconds": 0.01, "ns_per_lane_step": 1000, "workload_seconds": 0.01, "scaled": false, "mean": 72.0, "std": 5.77}, "modules": {"python3-numba": "0.56.4"}, "setup": {}}'
echo 'gpusim-baseline: end loop 1000x10 {"method": "loop", "lanes": 1000, "steps": 10, "sample_lanes": 1000, "sample_steps": 10, "seconds": 0.01, "ns_per_lane_step": 1000, "workload_seconds": 0.01, "scaled": false, "mean": 72.0, "std": 5.77}' >&2
echo 'gpusim-baseline: start numba 1000x10 on 1000 lanes' >&2
printf '{"result": {"meth'
kill -9 $$
`)
	c := tinyConfig()
	var progress strings.Builder
	c.Progress = &progress
	out, err := RunBaseline(context.Background(), py, &c, Workload{1000, 10})
	if err != nil {
		t.Fatalf("got %v, want the results made before the death", err)
	}
	if len(out.Results) != 2 || out.Results[0].Method != "loop" || out.Results[0].Skipped != "" {
		t.Fatalf("results %+v, want loop's and numba's failure", out.Results)
	}
	if f := out.Results[1]; f.Method != "numba" || !f.Failed || f.Workload != (Workload{1000, 10}) || !strings.Contains(f.Skipped, "signal: killed") {
		t.Errorf("the version running: %+v, want numba failed, killed", f)
	}
	if out.Modules["python3-numba"] != "0.56.4" || !strings.Contains(out.Died, "did not run") {
		t.Errorf("modules %v, died %q", out.Modules, out.Died)
	}
	if n := out.Results[1].skipNote(); !strings.HasPrefix(n, "numba failed: the script died (signal: killed)") {
		t.Errorf("note %q", n)
	}
	for _, want := range []string{`(?m)^bench: python/loop +1k x 10 +start on 1k lanes$`, `(?m)^bench: python/loop +1k x 10 +end on 1k lanes, 10 ms \(1000 ns/lane-step\), z [+-][0-9.]+, [+-][0-9.]+$`, `(?m)^bench: python/numba +1k x 10 +start on 1k lanes$`} {
		if !regexp.MustCompile(want).MatchString(progress.String()) {
			t.Errorf("progress %q lacks %s", progress.String(), want)
		}
	}
}

// TestBaselineDeathLastVersion: a script that dies in its last version
// (numba, of loop and numba) keeps the loop's result and fails numba's,
// and its note does not say that versions after it did not run: there
// were none, and the note said so all the same.
func TestBaselineDeathLastVersion(t *testing.T) {
	py := fakeInterpreter(t, `echo '{"python": "3.11.2", "numpy": "1.24.2", "cores": 2}'
echo 'gpusim-baseline: start loop 1000x10 on 1000 lanes' >&2
echo '{"result": {"method": "loop", "lanes": 1000, "steps": 10, "sample_lanes": 1000, "sample_steps": 10, "seconds": 0.01, "ns_per_lane_step": 1000, "workload_seconds": 0.01, "scaled": false, "mean": 72.0, "std": 5.77}, "modules": {}, "setup": {}}'
echo 'gpusim-baseline: start numba 1000x10 on 1000 lanes' >&2
kill -9 $$
`)
	c := tinyConfig()
	c.PythonOnly = "loop,numba"
	out, err := RunBaseline(context.Background(), py, &c, Workload{1000, 10})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Results) != 2 || !out.Results[1].Failed || !strings.Contains(out.Died, "signal: killed") || strings.Contains(out.Died, "did not run") {
		t.Errorf("results %+v, died %q: want numba failed, and no versions said not to have run", out.Results, out.Died)
	}
}

// TestBaselineProgressLive: the script's progress lines reach bench's
// progress while it runs, not at its end: this fake script goes on only
// once the test has seen its start line (a file the test makes), and gave
// up after 5 s, since bench held the lines until the script ended.
func TestBaselineProgressLive(t *testing.T) {
	seen := filepath.Join(t.TempDir(), "seen")
	py := fakeInterpreter(t, `echo '{"python": "3.11.2", "numpy": "1.24.2", "cores": 2}'
echo 'gpusim-baseline: start vector 100x10 on 100 lanes' >&2
i=0
while [ ! -e '`+seen+`' ]; do
	i=$((i+1)); [ $i -gt 50 ] && { echo 'no start line seen' >&2; exit 3; }
	sleep 0.1
done
echo '{"result": {"method": "vector", "lanes": 100, "steps": 10, "sample_lanes": 100, "sample_steps": 10, "seconds": 0.01, "ns_per_lane_step": 10000, "workload_seconds": 0.01, "scaled": false, "mean": 72.0, "std": 5.77}}'
`)
	c := tinyConfig()
	c.Progress = writerFunc(func(b []byte) (int, error) {
		if strings.Contains(string(b), "python/vector") {
			if err := os.WriteFile(seen, nil, 0o644); err != nil {
				t.Error(err)
			}
		}
		return len(b), nil
	})
	out, err := RunBaseline(context.Background(), py, &c, Workload{100, 10})
	if err != nil {
		t.Fatalf("got %v, want the start line forwarded while the script ran", err)
	}
	if len(out.Results) != 1 || out.Results[0].Failed {
		t.Errorf("results %+v", out.Results)
	}
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(b []byte) (int, error) { return f(b) }

// TestBaselineDiesAtStart: a script that dies before any version starts
// is the baseline's failure, with its last line of stderr, as before.
func TestBaselineDiesAtStart(t *testing.T) {
	py := fakeInterpreter(t, "echo 'ModuleNotFoundError: numpy' >&2\nexit 1\n")
	c := tinyConfig()
	_, err := RunBaseline(context.Background(), py, &c, Workload{1000, 10})
	if err == nil || !strings.Contains(err.Error(), "ModuleNotFoundError: numpy") {
		t.Errorf("got %v, want the script's error", err)
	}
}

// TestBaselineProgress: the real script says on stderr as each version
// starts and ends, and bench forwards the lines as 'bench: python/VERSION
// WORKLOAD start|end ...'
// while it runs; the baseline said nothing until its end (minutes).
func TestBaselineProgress(t *testing.T) {
	py := findPython(t)
	c := tinyConfig()
	c.PythonOnly, c.PythonReps = "loop,vector", 1
	var progress strings.Builder
	c.Progress = &progress
	if _, err := RunBaseline(context.Background(), py, &c, Workload{100, 10}); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`(?m)^bench: python/loop +100 x 10 +start on 100 lanes$`, `(?m)^bench: python/loop +100 x 10 +end on 100 lanes, [0-9.e+]+ (s|ms|µs|ns) \([0-9.e+-]+ ns/lane-step\), z `, `(?m)^bench: python/vector +100 x 10 +start on 100 lanes$`, `(?m)^bench: python/vector +100 x 10 +end on 100 lanes, `} {
		if !regexp.MustCompile(want).MatchString(progress.String()) {
			t.Errorf("progress %q lacks %s", progress.String(), want)
		}
	}
}

// TestBaselineProgressOnce: bench's progress says each fact of a version
// once: a line as it starts (where it starts) and one as it ends, with its
// time, the workload's scaled up where it ran a sample, ns per lane-step
// and z-scores, or why it was skipped; and a death once. The script's end
// line said the time, and a summary after the script said it again with
// the rest, and a skip twice; a death was said by the version it cut short
// and again by the baseline.
func TestBaselineProgressOnce(t *testing.T) {
	py := findPython(t)
	c := tinyConfig()
	c.Workloads = []Workload{{100, 10}, {2000, 10}}
	c.PythonPath, c.PythonOnly, c.PythonReps = py, "loop,vector,matrix", 1
	c.PythonLoopBudget, c.PythonMatrixBytes = 1000, 8 // the loop on 100 lanes, no matrix row fits
	var progress strings.Builder
	c.Progress = &progress
	say := func(format string, args ...any) { fmt.Fprintf(&progress, "bench: "+format+"\n", args...) }
	if _, err := RunPython(context.Background(), &c, say); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(progress.String()), "\n")
	for _, w := range c.Workloads {
		for _, v := range []string{"loop", "vector", "matrix"} {
			re := regexp.MustCompile(`^bench: python/` + v + ` +` + regexp.QuoteMeta(w.String()) + ` +(.*)$`)
			var said []string
			for _, l := range lines {
				if m := re.FindStringSubmatch(l); m != nil {
					said = append(said, m[1])
				}
			}
			var want []string
			switch {
			case v == "matrix":
				want = []string{`^skipped: one lane of 10 steps takes 80 B, over its cap of 8 B$`}
			case v == "loop" && w.Lanes == 2000:
				want = []string{`^start on 100 lanes$`, `^end on 100 lanes, [0-9.e+]+ (s|ms|µs|ns), [0-9.e+]+ (s|ms|µs|ns) scaled up to the workload \([0-9.e+-]+ ns/lane-step\), z [+-][0-9.]+, [+-][0-9.]+$`}
			default:
				want = []string{`^start on ` + FormatCount(w.Lanes) + ` lanes$`, `^end on ` + FormatCount(w.Lanes) + ` lanes, [0-9.e+]+ (s|ms|µs|ns) \([0-9.e+-]+ ns/lane-step\), z [+-][0-9.]+, [+-][0-9.]+$`}
			}
			if len(said) != len(want) {
				t.Errorf("python/%s on %v: %d lines %q, want %d", v, w, len(said), said, len(want))
				continue
			}
			for i := range want {
				if !regexp.MustCompile(want[i]).MatchString(said[i]) {
					t.Errorf("python/%s on %v: line %d %q, want %s", v, w, i, said[i], want[i])
				}
			}
		}
	}
	if len(lines) != 10 {
		t.Errorf("%d lines, want 10:\n%s", len(lines), progress.String())
	}

	dies := fakeInterpreter(t, `echo '{"python": "3.11.2", "numpy": "1.24.2", "cores": 2}'
echo 'gpusim-baseline: start loop 1000x10 on 1000 lanes' >&2
kill -9 $$
`)
	c.PythonPath, c.PythonOnly, c.Workloads = dies, "loop,numba", []Workload{{1000, 10}}
	progress.Reset()
	if _, err := RunPython(context.Background(), &c, say); err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(progress.String(), "signal: killed"); n != 1 || !regexp.MustCompile(`(?m)^bench: python/loop +1k x 10 +failed: the script died \(signal: killed\); the versions after the one it ran did not run$`).MatchString(progress.String()) {
		t.Errorf("the death said %d times, want once, of python/loop:\n%s", n, progress.String())
	}
}

// TestBaselineBudget: a version on every lane that would take longer than
// its time budget is timed on the steps that fit, its result scaled up
// from them and checked against the law at them: the vector version ran
// its 2^30 steps whole, PyOpenCL its 2^22 for minutes.
func TestBaselineBudget(t *testing.T) {
	py := findPython(t)
	c := tinyConfig()
	c.PythonOnly, c.PythonReps, c.PythonBudget = "vector", 2, 500*time.Millisecond
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	w := Workload{200, 1 << 30}
	out, err := RunBaseline(ctx, py, &c, w)
	if err != nil {
		t.Fatal(err)
	}
	r := out.Results[0]
	if r.Skipped != "" || !r.Scaled || r.SampleSteps <= 0 || r.SampleSteps >= w.Steps || r.SampleLanes != w.Lanes {
		t.Fatalf("got %+v, want a sample of the steps on every lane", r)
	}
	if want := r.Seconds * float64(w.Steps) / float64(r.SampleSteps); math.Abs(r.WorkloadSeconds-want) > 1e-9*want || r.Seconds > 2 {
		t.Errorf("%g s over %d steps scaled to %g s, want %g", r.Seconds, r.SampleSteps, r.WorkloadSeconds, want)
	}
	if !r.Law.OK {
		t.Errorf("law at %d steps: %v", r.SampleSteps, r.Law)
	}
	if s := endNote(PythonResult{Workload: w, SampleLanes: 200, SampleSteps: 1000, Scaled: true}); !strings.Contains(s, "end on 200 lanes of 1k steps (time budget spent), ") {
		t.Errorf("progress says %q", s)
	}
}

// TestBaselineLoopSteps: the loop's budget of lane-steps bounds a lane's
// steps too: where one lane has more steps than the budget, the loop runs
// one lane of the budget's steps, scaled up and marked so; it ran one lane
// of every step (2^32 steps: hours).
func TestBaselineLoopSteps(t *testing.T) {
	py := findPython(t)
	c := tinyConfig()
	c.PythonOnly, c.PythonReps, c.PythonLoopBudget = "loop", 1, 20_000
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	w := Workload{50, min(1<<32, math.MaxInt)}
	out, err := RunBaseline(ctx, py, &c, w)
	if err != nil {
		t.Fatal(err)
	}
	if r := out.Results[0]; r.SampleLanes != 1 || r.SampleSteps != 20_000 || !r.Scaled || !r.Law.OK {
		t.Errorf("got %+v, want one lane of 20000 steps, scaled up", r)
	}
}

// TestBaselineBadResults: a result the script cannot have given fails the
// baseline, naming why, where it was taken as it came with exit status
// 0: a time of -1 s read "0 s" with a slowdown of -1890x, one of 1e300 s
// a slowdown of 1.89e+303x, and a workload or version never asked for, or
// loop twice on one workload, were rows of the report. Asked for loop and
// vector on 1k x 10; a death after the bad result does not hide it.
func TestBaselineBadResults(t *testing.T) {
	good := func() map[string]any {
		return map[string]any{"method": "loop", "lanes": 1000, "steps": 10, "sample_lanes": 100, "sample_steps": 10,
			"seconds": 0.01, "ns_per_lane_step": 1e4, "workload_seconds": 0.1, "scaled": true, "mean": 72.0, "std": 5.77}
	}
	with := func(kv ...any) map[string]any {
		r := good()
		for i := 0; i < len(kv); i += 2 {
			r[kv[i].(string)] = kv[i+1]
		}
		return r
	}
	for _, c := range []struct {
		name    string
		results []map[string]any
		die     bool
		want    string // in the error; "" for none
	}{
		{"good", []map[string]any{good(), with("method", "vector")}, false, ""},
		{"negative", []map[string]any{with("seconds", -0.01, "ns_per_lane_step", -1e4, "workload_seconds", -0.1)}, false, "loop on 1k x 10: seconds -0.01, not a time a run takes"},
		{"zero", []map[string]any{with("seconds", 0, "ns_per_lane_step", 0, "workload_seconds", 0)}, false, "loop on 1k x 10: seconds 0, not a time a run takes"},
		{"zero ns", []map[string]any{with("ns_per_lane_step", 0)}, false, "ns_per_lane_step 0, not a time a run takes"},
		{"1e300 s", []map[string]any{with("seconds", 1e300, "ns_per_lane_step", 1e306, "workload_seconds", 1e307)}, false, "loop on 1k x 10: seconds 1e+300, more than the "},
		{"1e300 s scaled", []map[string]any{with("workload_seconds", 1e300)}, false, "workload_seconds 1e+300, not its ns_per_lane_step times the workload's lane-steps (0.1)"},
		// As JSON writes the number: %g wrote "1e+08".
		{"1e8 s scaled", []map[string]any{with("workload_seconds", 1e8)}, false, "workload_seconds 100000000, not its ns_per_lane_step times the workload's lane-steps (0.1)"},
		{"ns", []map[string]any{with("ns_per_lane_step", 1)}, false, "ns_per_lane_step 1, not its 0.01 s over its 100 x 10 lane-steps (10000)"},
		{"sample", []map[string]any{with("sample_lanes", 5000)}, false, "a sample of 5000 lanes of 10 steps, not within the workload"},
		{"workload", []map[string]any{with("lanes", 3000, "steps", 7)}, false, "a result of loop on 3k x 7, a workload not asked for (1k x 10)"},
		{"method", []map[string]any{with("method", "<b>weird|x</b>")}, false, `a result of version "<b>weird|x</b>", not one asked for (loop, vector)`},
		{"twice", []map[string]any{good(), good()}, false, "a second result of loop on 1k x 10"},
		{"twice, then a death", []map[string]any{good(), good()}, true, "a second result of loop on 1k x 10"},
	} {
		t.Run(c.name, func(t *testing.T) {
			body := `echo '{"python": "3.11.2", "numpy": "1.24.2", "cores": 2}'` + "\n"
			for _, r := range c.results {
				b, err := json.Marshal(map[string]any{"result": r, "modules": map[string]any{}, "setup": map[string]any{}})
				if err != nil {
					t.Fatal(err)
				}
				body += "echo '" + string(b) + "'\n"
			}
			if c.die {
				body += "kill -9 $$\n"
			}
			py := fakeInterpreter(t, body)
			cfg := tinyConfig()
			cfg.PythonOnly = "loop,vector"
			out, err := RunBaseline(context.Background(), py, &cfg, Workload{1000, 10})
			if c.want == "" {
				if err != nil || len(out.Results) != len(c.results) {
					t.Errorf("got %v; want the results", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("took results %+v; want %q", out.Results, c.want)
			}
			if want := "bench: python baseline: reading its output: "; !strings.HasPrefix(err.Error(), want) || !strings.Contains(err.Error(), c.want) {
				t.Errorf("got %v; want %q after %q", err, c.want, want)
			}
		})
	}
}

// TestEndNoteUnits: the progress line of a version's end writes its times
// as the tables do (fmtSec, fmtG): %.3g wrote 999.7 s as "1e+03 s", and
// fmtSec 2e20 s as "2e+20 s".
func TestEndNoteUnits(t *testing.T) {
	w := Workload{Lanes: 1000, Steps: 1000}
	s := endNote(PythonResult{Workload: w, SampleLanes: 1000, Seconds: 999.7, Scaled: true, WorkloadSeconds: 2e20, NsPerLaneStep: 999.7})
	for _, want := range []string{", 1000 s, ", "6.34T years scaled up", "(1000 ns/lane-step)"} {
		if !strings.Contains(s, want) {
			t.Errorf("progress says %q, want %q in it", s, want)
		}
	}
}

// TestBaselineCoresAffinity: the baseline counts the CPUs it may run on
// (its affinity, as Go's runtime.NumCPU and Numba's thread pool do), not
// the machine's: under taskset -c 0 on 2 CPUs joblib started 2 workers on
// the 1 CPU and the report said Numba used 2 threads where it ran 1.
func TestBaselineCoresAffinity(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("CPU affinity is Linux's")
	}
	coresAtLeast(t, 2)
	py := testenv.NeedNumpy(t)
	taskset, err := exec.LookPath("taskset")
	if err != nil {
		t.Skip("no taskset")
	}
	wrapper := filepath.Join(t.TempDir(), "python-on-cpu0")
	if err := os.WriteFile(wrapper, []byte(fmt.Sprintf("#!/bin/sh\nexec %s -c 0 %s \"$@\"\n", taskset, py)), 0o755); err != nil {
		t.Fatal(err)
	}
	c := tinyConfig()
	c.PythonPath = wrapper
	c.PythonReps = 1
	c.PythonOnly = "vector"
	c.Workloads = []Workload{{1000, 4}}
	rep, err := RunPython(context.Background(), &c, nil)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Cores != 1 {
		t.Errorf("cores %d under taskset -c 0, want 1: the CPUs the baseline may run on", rep.Cores)
	}
}

// TestBaselineNumbaThreads: numba's row carries the threads of Numba's own
// pool, which NUMBA_NUM_THREADS sets, and the report's note says them: it
// said the cores ("joblib and Numba use 2 workers") under
// NUMBA_NUM_THREADS=1.
func TestBaselineNumbaThreads(t *testing.T) {
	if testing.Short() {
		t.Skip("compiles with Numba")
	}
	py := testenv.NeedNumpy(t)
	t.Setenv("NUMBA_NUM_THREADS", "1")
	c := tinyConfig()
	c.PythonPath = py
	c.PythonReps = 1
	c.PythonOnly = "numba"
	c.Workloads = []Workload{{1000, 4}}
	rep, err := RunPython(context.Background(), &c, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Results) != 1 || rep.Results[0].Skipped != "" {
		t.Skipf("numba does not run here: %+v", rep.Results)
	}
	if w := rep.Results[0].Workers; w != 1 {
		t.Errorf("numba's workers %d under NUMBA_NUM_THREADS=1, want 1", w)
	}
	if n := workersNote(rep); n != "; Numba uses 1 worker" {
		t.Errorf("workers note %q, want Numba's 1", n)
	}
}
