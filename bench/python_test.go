package bench

import (
	"context"
	"encoding/json"
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gpusim/gpusim/internal/testenv"
	"github.com/gpusim/gpusim/sim"
)

// findPython is the python3 with NumPy the baseline runs (FindPython); a
// test skips without one, and fails where finding it fails otherwise.
func findPython(t *testing.T) string {
	t.Helper()
	py, err := FindPython(context.Background())
	if errors.Is(err, ErrNoNumPy) {
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

// TestBaselineToolSkipped: a version whose tool is missing (numba hidden
// behind a module that fails to import) or cannot set up (PyOpenCL that
// imports but finds no OpenCL platform: the ICD loader pointed at an empty
// vendor folder) is reported as skipped with its package, not a failed
// benchmark, and the vector version still runs.
func TestBaselineToolSkipped(t *testing.T) {
	py := testenv.NeedNumpy(t)
	for _, c := range []struct {
		tool string
		// hide sets the environment variable that takes the tool away.
		hide func(t *testing.T)
		why  string // in the skip reason; "" where it is the tool's own
	}{
		{"numba", func(t *testing.T) {
			dir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, "numba.py"), []byte("raise ImportError('hidden by the test')\n"), 0o644); err != nil {
				t.Fatal(err)
			}
			t.Setenv("PYTHONPATH", dir)
		}, "hidden by the test"},
		{"pyopencl", func(t *testing.T) { t.Setenv("OCL_ICD_VENDORS", t.TempDir()) }, ""},
	} {
		t.Run(c.tool, func(t *testing.T) {
			c.hide(t)
			cfg := tinyConfig()
			cfg.PythonReps = 1
			cfg.PythonOnly = "vector," + c.tool
			out, err := RunBaseline(context.Background(), py, &cfg, Workload{1000, 3})
			if err != nil {
				t.Fatal(err)
			}
			if len(out.Results) != 2 || out.Results[0].Skipped != "" || out.Results[1].Skipped == "" || out.Results[1].Package != "python3-"+c.tool {
				t.Fatalf("results %+v, want vector run and %s skipped naming python3-%[2]s", out.Results, c.tool)
			}
			if !strings.Contains(out.Results[1].Skipped, c.why) {
				t.Errorf("skipped %q does not say why", out.Results[1].Skipped)
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
