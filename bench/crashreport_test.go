package bench

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gpusim/gpusim/cpu"
	"github.com/gpusim/gpusim/sim"
)

// timedEngine is an engine whose runs' spans it records in spans, when
// each began and ended, and its close's time in closes.
type timedEngine struct {
	sim.Engine
	spans  *[][2]time.Time
	closes *[]time.Time
}

func (e timedEngine) Run(ctx context.Context, job *sim.Job) (*sim.Result, error) {
	t0 := time.Now()
	res, err := e.Engine.Run(ctx, job)
	*e.spans = append(*e.spans, [2]time.Time{t0, time.Now()})
	return res, err
}

func (e timedEngine) Close() error {
	*e.closes = append(*e.closes, time.Now())
	return nil
}

// TestRunCrashReports: Config.CrashReport is given, outside the timed
// runs, the partial report a crash would leave: before each
// measurement's engine starts, the rows that finished (Interrupted's
// Crash set, its not_run counting the measurement about to start), nil
// before the first; and after each measurement's timed runs, before its
// engine's release, the rows with that measurement (Interrupted's
// Releasing naming it). A crash of the OpenCL driver lost every
// measurement (Run's caller could print nothing), and then, in an
// engine's release, the measurement that had finished.
func TestRunCrashReports(t *testing.T) {
	c := tinyConfig()
	c.Reps, c.Warmup, c.Scaling, c.Sweep = 2, 0, false, nil
	var spans [][2]time.Time
	var closes []time.Time
	type call struct {
		at  time.Time
		rep *Report
	}
	var calls []call
	c.CrashOf = "the test's driver"
	c.CrashReport = func(rep *Report) { calls = append(calls, call{time.Now(), rep}) }
	specs := []EngineSpec{
		{Name: "serial", New: func(int, func(string)) sim.Engine { return timedEngine{cpu.Serial{}, &spans, &closes} }},
		{Name: "simd", New: func(int, func(string)) sim.Engine { return timedEngine{cpu.Serial{}, &spans, &closes} }},
	}
	rep, err := Run(context.Background(), c, specs)
	if err != nil || rep.Interrupted != nil {
		t.Fatalf("Run: %+v, %v", rep, err)
	}
	if len(calls) != 8 || len(closes) != 4 {
		t.Fatalf("%d calls, %d closes: want two a measurement (8), before its start and before its close (4)", len(calls), len(closes))
	}
	if calls[0].rep != nil {
		t.Errorf("before the first measurement: %+v, want nil", calls[0].rep)
	}
	released := []string{"serial on 3k x 10", "simd on 3k x 10", "serial on 1k x 7", "simd on 1k x 7"}
	for i, cl := range calls[1:] {
		r := cl.rep
		k := i/2 + 1 // the measurements it holds
		releasing := ""
		if i%2 == 0 {
			releasing = released[k-1]
			if !cl.at.Before(closes[k-1]) {
				t.Errorf("the report with %s made at %v, after its engine's close at %v", releasing, cl.at, closes[k-1])
			}
		}
		if r == nil || r.Interrupted == nil {
			t.Fatalf("call %d: %+v, want a partial report", i+2, r)
		}
		done := 0
		for _, wr := range r.Workloads {
			done += len(wr.Engines)
		}
		want := []string{"engines table: " + []string{"4", "3", "2", "1", "0"}[k] + " of 4 planned measurements"}
		if k == 4 && releasing != "" {
			want = []string{} // the last measurement's release: every one ran
		}
		if done != k || r.Interrupted.Crash != "the test's driver" || r.Interrupted.Signal != "crashed" || r.Interrupted.Releasing != releasing || !slices.Equal(r.Interrupted.NotRun, want) || (r.Interrupted.NotRun == nil) {
			t.Errorf("call %d: %d rows, interruption %+v; want %d rows, releasing %q, not run %q", i+2, done, r.Interrupted, k, releasing, want)
		}
	}
	line := calls[6].rep.Interrupted.Line()
	if !strings.HasPrefix(line, "partial report: the test's driver crashed in the measurement that began after ") {
		t.Errorf("line %q: want the crash's words", line)
	}
	line = calls[5].rep.Interrupted.Line()
	if !strings.HasPrefix(line, "partial report: the test's driver crashed after the measurement of serial on 1k x 7 had finished (it is shown), in or after its engine's release, ") {
		t.Errorf("line %q: want the release's words", line)
	}
	// The last measurement's release: the line says every one ran, where
	// it said "not run: engines table: 0 of 4 planned measurements".
	line = calls[7].rep.Interrupted.Line()
	if !strings.HasPrefix(line, "report: the test's driver crashed after the last measurement, of simd on 1k x 7, had finished, in or after its engine's release, ") || !strings.HasSuffix(line, ": every planned measurement finished and is shown") {
		t.Errorf("line %q: want the last release's words", line)
	}
	for _, cl := range calls {
		for _, s := range spans {
			if cl.at.After(s[0]) && cl.at.Before(s[1]) {
				t.Errorf("a report made at %v, within a run %v", cl.at, s)
			}
		}
	}
}
