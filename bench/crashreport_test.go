package bench

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/gpusim/gpusim/cpu"
	"github.com/gpusim/gpusim/sim"
)

// timedEngine is an engine whose runs' spans it records in spans: when
// each began and ended.
type timedEngine struct {
	sim.Engine
	spans *[][2]time.Time
}

func (e timedEngine) Run(ctx context.Context, job *sim.Job) (*sim.Result, error) {
	t0 := time.Now()
	res, err := e.Engine.Run(ctx, job)
	*e.spans = append(*e.spans, [2]time.Time{t0, time.Now()})
	return res, err
}

// TestRunCrashReports: Config.CrashReport is given, before each
// measurement's engine starts, the partial report a crash in it would
// leave (the rows that finished, Interrupted's Crash set, its not_run
// counting the measurement about to start), nil before the first, and
// never while an engine runs: the rendering stays outside the timed runs.
// A crash of the OpenCL driver lost every measurement (Run's caller could
// print nothing).
func TestRunCrashReports(t *testing.T) {
	c := tinyConfig()
	c.Reps, c.Warmup, c.Scaling, c.Sweep = 2, 0, false, nil
	var spans [][2]time.Time
	type call struct {
		at  time.Time
		rep *Report
	}
	var calls []call
	c.CrashOf = "the test's driver"
	c.CrashReport = func(rep *Report) { calls = append(calls, call{time.Now(), rep}) }
	specs := []EngineSpec{
		{Name: "serial", New: func(int, func(string)) sim.Engine { return timedEngine{cpu.Serial{}, &spans} }},
		{Name: "simd", New: func(int, func(string)) sim.Engine { return timedEngine{cpu.Serial{}, &spans} }},
	}
	rep, err := Run(context.Background(), c, specs)
	if err != nil || rep.Interrupted != nil {
		t.Fatalf("Run: %+v, %v", rep, err)
	}
	if len(calls) != 4 {
		t.Fatalf("%d calls, want one a measurement (4)", len(calls))
	}
	if calls[0].rep != nil {
		t.Errorf("before the first measurement: %+v, want nil", calls[0].rep)
	}
	for i, cl := range calls[1:] {
		r := cl.rep
		if r == nil || r.Interrupted == nil {
			t.Fatalf("before measurement %d: %+v, want a partial report", i+2, r)
		}
		done := 0
		for _, wr := range r.Workloads {
			done += len(wr.Engines)
		}
		want := "engines table: " + []string{"3 of 4", "2 of 4", "1 of 4"}[i] + " planned measurements"
		if done != i+1 || r.Interrupted.Crash != "the test's driver" || r.Interrupted.Signal != "crashed" || len(r.Interrupted.NotRun) != 1 || r.Interrupted.NotRun[0] != want {
			t.Errorf("before measurement %d: %d rows, interruption %+v; want %d rows, not run %q", i+2, done, r.Interrupted, i+1, want)
		}
	}
	line := calls[3].rep.Interrupted.Line()
	if !strings.HasPrefix(line, "partial report: the test's driver crashed in the measurement that began after ") {
		t.Errorf("line %q: want the crash's words", line)
	}
	for _, cl := range calls {
		for _, s := range spans {
			if cl.at.After(s[0]) && cl.at.Before(s[1]) {
				t.Errorf("a report made at %v, within a run %v", cl.at, s)
			}
		}
	}
}
