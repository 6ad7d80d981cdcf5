package bench

import (
	"context"
	"errors"
	"math"
	"testing"
)

func TestBaselineScript(t *testing.T) {
	ctx := context.Background()
	py, err := FindPython(ctx)
	if errors.Is(err, ErrNoNumPy) {
		t.Skip(err)
	}
	if err != nil {
		t.Fatal(err)
	}
	// 2000 lanes x 5 steps with a loop budget of 1000 lane-steps and a
	// matrix budget of 400 lanes: the loop and matrix run on samples.
	c := tinyConfig()
	c.PythonLoopBudget = 1000
	c.PythonMatrixBytes = 400 * 8 * 5
	c.PythonReps = 1
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
