package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/gpusim/gpusim/cpu"
	"github.com/gpusim/gpusim/internal/plots"
	"github.com/gpusim/gpusim/sim"
)

// sleepEngine is cpu.Serial that sleeps d before a run on lanes lanes (the
// scaling workload; not the overhead's small runs), so that a worker count's
// time is set by the test.
type sleepEngine struct {
	cpu.Serial
	d     time.Duration
	lanes uint64
}

func (e sleepEngine) Run(ctx context.Context, job *sim.Job) (*sim.Result, error) {
	if job.Params.Lanes == e.lanes {
		time.Sleep(e.d)
	}
	return e.Serial.Run(ctx, job)
}

// coresAtLeast raises GOMAXPROCS to n for the test where it is below, so
// that its scaling up to n goroutines is fitted (setFit leaves out the
// counts above the cores).
func coresAtLeast(t *testing.T, n int) {
	if old := runtime.GOMAXPROCS(0); old < n {
		runtime.GOMAXPROCS(n)
		t.Cleanup(func() { runtime.GOMAXPROCS(old) })
	}
}

// runSleeping runs the scaling of one engine over workers on 64 lanes x 2
// steps, each worker count's runs taking times[n], under GOMAXPROCS cores.
func runSleeping(t *testing.T, cores, reps int, times map[int]time.Duration) *Report {
	t.Helper()
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(cores))
	const lanes = 64
	c := tinyConfig()
	c.Workloads, c.Sweep = []Workload{{lanes, 2}}, nil
	c.Reps, c.Warmup = reps, 0
	c.Workers = nil
	for n := range times {
		if n > 1 {
			c.Workers = append(c.Workers, n)
		}
	}
	spec := EngineSpec{Name: "parallel", Scales: true, New: func(n int, _ func(string)) sim.Engine {
		return sleepEngine{d: times[n], lanes: lanes}
	}}
	rep, err := Run(context.Background(), c, []EngineSpec{spec})
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

// writeAll is every format of rep, by name.
func writeAll(t *testing.T, rep *Report) map[string]string {
	t.Helper()
	out := map[string]string{}
	for name, write := range map[string]func(*bytes.Buffer) error{
		"text": func(b *bytes.Buffer) error { return rep.WriteText(b) }, "markdown": func(b *bytes.Buffer) error { return rep.WriteMarkdown(b) },
		"html": func(b *bytes.Buffer) error { return rep.WriteHTML(b) }, "csv": func(b *bytes.Buffer) error { return rep.WriteCSV(b) },
		"json": func(b *bytes.Buffer) error { return rep.WriteJSON(b) },
	} {
		var b bytes.Buffer
		if err := write(&b); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		out[name] = b.String()
	}
	return out
}

// TestScalingFitLeavesOutOversubscribed: on 2 cores the Amdahl fit takes 1
// and 2 workers only; 4 and 8 goroutines take turns on the cores, their
// speedups (here 1 and 0.67) measure oversubscription, and fitted with the
// rest they pulled P from a predicted 0.998 to 0.39. They stay in the
// table, the JSON and the chart, marked not fitted, and the fit line says
// why.
func TestScalingFitLeavesOutOversubscribed(t *testing.T) {
	const cores = 2
	rep := runSleeping(t, cores, 2, map[int]time.Duration{1: 40 * time.Millisecond, 2: 21 * time.Millisecond, 4: 40 * time.Millisecond, 8: 60 * time.Millisecond})
	s := rep.Scaling[0]
	if s.Fit == nil {
		t.Fatalf("no fit: %s", s.FitNote)
	}
	want, err := FitAmdahl([]int{1, 2}, []float64{1, s.Points[1].Speedup})
	if err != nil {
		t.Fatal(err)
	}
	if s.Fit.Points != 2 || s.Fit.P != want.P {
		t.Errorf("fit over %d points, P %v; want 2 points (1 and 2 workers), P %v", s.Fit.Points, s.Fit.P, want.P)
	}
	if len(s.Points) != 4 || s.Cores != cores {
		t.Fatalf("%d points on %d cores, want 4 on %d", len(s.Points), s.Cores, cores)
	}
	for _, p := range s.Points {
		if p.Oversubscribed != (p.Workers > cores) {
			t.Errorf("%d workers on %d cores: oversubscribed %v", p.Workers, cores, p.Oversubscribed)
		}
	}
	line := "4 and 8 workers not fitted: more goroutines ran than the 2 cores (GOMAXPROCS), so they measure oversubscription"
	if !strings.Contains(s.FitLine(), "from 2 points") || !strings.Contains(s.FitLine(), line) {
		t.Errorf("fit line %q: want the 2 points fitted and %q", s.FitLine(), line)
	}
	for name, out := range writeAll(t, rep) {
		mark := "8 (not fitted)"
		switch name {
		case "json":
			mark = `"oversubscribed": true`
		case "csv":
			mark = "not fitted: oversubscribed"
		}
		if !strings.Contains(out, mark) {
			t.Errorf("%s has no %q:\n%s", name, mark, out)
		}
	}
	p, err := speedupPlot(rep)
	if err != nil {
		t.Fatal(err)
	}
	b, err := plots.SVG(p, plots.Height)
	if err != nil {
		t.Fatal(err)
	}
	if legend := "parallel (64 x 2): oversubscribed, not fitted"; !strings.Contains(string(b), legend) {
		t.Errorf("speedup chart has no %q", legend)
	}
}

// TestScalingFitTooFewCores: where fewer than 2 worker counts fit on the
// cores (goroutines on GOMAXPROCS, processes on the CPUs) there is no fit,
// and the note says why; an earlier report (Cores 0) fits every point.
func TestScalingFitTooFewCores(t *testing.T) {
	point := func(n int, speedup float64) ScalingPoint {
		return ScalingPoint{Workers: n, Ran: n, Speedup: speedup, Wall: Stats{N: 1}}
	}
	for _, c := range []struct {
		name, engine string
		cores        int
		fit          int // points fitted; 0: no fit
		note         string
	}{
		{"goroutines on 1 core", "parallel", 1, 0, "fewer than 2 worker counts to fit: at 2 and 4 workers more goroutines ran than the 1 core (GOMAXPROCS)"},
		{"processes on 1 CPU", ProcessesEngine, 1, 0, "at 2 and 4 workers more worker processes ran than the 1 CPU,"},
		{"processes on 2 CPUs", ProcessesEngine, 2, 2, ""},
		{"an earlier report", "parallel", 0, 3, ""},
	} {
		s := Scaling{Engine: c.engine, Workload: Workload{1000, 2}, Cores: c.cores, Points: []ScalingPoint{point(1, 1), point(2, 1.9), point(4, 1.2)}}
		if err := s.setFit(1000); err != nil {
			t.Fatal(err)
		}
		switch {
		case c.fit == 0 && (s.Fit != nil || !strings.Contains(s.FitLine(), c.note)):
			t.Errorf("%s: fit %+v, line %q; want no fit and %q", c.name, s.Fit, s.FitLine(), c.note)
		case c.fit > 0 && (s.Fit == nil || s.Fit.Points != c.fit):
			t.Errorf("%s: fit %+v (%s), want one over %d points", c.name, s.Fit, s.FitNote, c.fit)
		}
	}
}

// TestAmdahlOneRepNoRange: one timed run has no spread, so the fit gives no
// range of P, in any format, and says it needs 2 runs or more: it printed
// "P = 0.3934 (0.3934 to 0.3934 over the timed runs' spread)".
func TestAmdahlOneRepNoRange(t *testing.T) {
	rep := runSleeping(t, 2, 1, map[int]time.Duration{1: 20 * time.Millisecond, 2: 13 * time.Millisecond})
	s := rep.Scaling[0]
	if s.Fit == nil || s.Fit.Range != nil {
		t.Fatalf("fit %+v (%s): want one with no range", s.Fit, s.FitNote)
	}
	if s.Points[1].SpeedupRange != nil {
		t.Errorf("2 workers of 1 run: speedup range %v, want none", *s.Points[1].SpeedupRange)
	}
	const why = "no range: 1 timed run has no spread, --reps 2 or more give one"
	for name, out := range writeAll(t, rep) {
		if strings.Contains(out, "spread)") || strings.Contains(out, "p_range") || strings.Contains(out, "over the timed runs' spread;") {
			t.Errorf("%s gives a range of one run:\n%s", name, out)
		}
		if name != "json" && !strings.Contains(out, why) {
			t.Errorf("%s does not say %q:\n%s", name, why, out)
		}
	}
	var back Report
	if err := json.Unmarshal([]byte(writeAll(t, rep)["json"]), &back); err != nil {
		t.Fatal(err)
	}
	if f := back.Scaling[0].Fit; f == nil || f.Range != nil {
		t.Errorf("JSON read back: fit %+v, want one with no range", f)
	}
}

// TestEfficiencyAbove100: an efficiency above 100% is shown as measured,
// never clamped, and marked by what the timed runs' spread says of it: in
// noise where the low end of the spread is at most 100% per worker,
// superlinear where even it is above, "1 run" where there is no spread. It
// read a bare 104%.
func TestEfficiencyAbove100(t *testing.T) {
	for _, c := range []struct {
		name string
		p    ScalingPoint
		cell string
	}{
		{"in noise", ScalingPoint{Workers: 2, Ran: 2, Speedup: 2.08, Efficiency: 1.04, SpeedupRange: &[2]float64{1.9, 2.3}, Wall: Stats{N: 3}}, "104.0% (in noise)"},
		{"superlinear", ScalingPoint{Workers: 2, Ran: 2, Speedup: 2.2, Efficiency: 1.1, SpeedupRange: &[2]float64{2.1, 2.3}, Wall: Stats{N: 3}}, "110.0% (superlinear)"},
		{"per worker that ran", ScalingPoint{Workers: 4, Ran: 2, Speedup: 2.2, Efficiency: 1.1, SpeedupRange: &[2]float64{2.1, 2.3}, Wall: Stats{N: 3}}, "110.0% (superlinear)"},
		{"one run", ScalingPoint{Workers: 2, Ran: 2, Speedup: 2.06, Efficiency: 1.03, Wall: Stats{N: 1}}, "103.0% (1 run)"},
		// One worker ran: the one-worker run measured again, whose
		// speedup is drift, never superlinear (it read "289.1%
		// (superlinear)" at "1024 (1 ran)" on one lane).
		{"one ran", ScalingPoint{Workers: 1024, Ran: 1, Speedup: 2.891, Efficiency: 2.891, SpeedupRange: &[2]float64{1.5, 4}, Wall: Stats{N: 3}}, "289.1% (drift)"},
		{"one ran, in noise", ScalingPoint{Workers: 2, Ran: 1, Speedup: 1.1, Efficiency: 1.1, SpeedupRange: &[2]float64{0.9, 1.3}, Wall: Stats{N: 3}}, "110.0% (drift)"},
		{"one ran, one run", ScalingPoint{Workers: 2, Ran: 1, Speedup: 1.1, Efficiency: 1.1, Wall: Stats{N: 1}}, "110.0% (drift)"},
		{"at or below 100%", ScalingPoint{Workers: 2, Ran: 2, Speedup: 1.8, Efficiency: 0.9, SpeedupRange: &[2]float64{1.7, 2.1}, Wall: Stats{N: 3}}, "90%"},
	} {
		one := ScalingPoint{Workers: 1, Ran: 1, Speedup: 1, Efficiency: 1, Wall: Stats{N: c.p.Wall.N}}
		r := &Report{Scaling: []Scaling{{Engine: "parallel", Workload: Workload{1000, 2}, Points: []ScalingPoint{one, c.p}, FitNote: "none"}}}
		var text bytes.Buffer
		if err := r.WriteText(&text); err != nil {
			t.Fatal(err)
		}
		var st table
		for _, tb := range r.tables() {
			if tb.title == "Scaling" {
				st = tb
			}
		}
		if len(st.rows) != 2 || st.header[6] != "efficiency" {
			t.Fatalf("%s: scaling table %+v", c.name, st)
		}
		if got := st.rows[1][6]; got != c.cell {
			t.Errorf("%s: efficiency %q, want %q", c.name, got, c.cell)
		}
		if c.cell == "90%" && strings.Contains(text.String(), "not clamped") {
			t.Errorf("%s: a note on efficiency above 100%% at 90%%:\n%s", c.name, text.String())
		}
		if c.cell != "90%" && !strings.Contains(text.String(), "is as measured, not clamped") {
			t.Errorf("%s: no note on efficiency above 100%%:\n%s", c.name, text.String())
		}
		if strings.Contains(c.cell, "(drift)") && !strings.Contains(text.String(), `"drift" where one worker ran`) {
			t.Errorf("%s: no note saying what drift is:\n%s", c.name, text.String())
		}
	}
}

// TestCoresForGOMAXPROCSAboveCPUs: with GOMAXPROCS set above the CPUs, the
// goroutines share the CPUs, and the fit leaves out the counts above them
// (GOMAXPROCS=4 on 2 CPUs fitted 3 and 4 goroutines, and the report said
// it left out the counts above "the cores").
func TestCoresForGOMAXPROCSAboveCPUs(t *testing.T) {
	for _, c := range []struct {
		m     Machine
		name  string
		cores int
		from  string
		words string
	}{
		{Machine{Cores: 2, GOMAXPROCS: 4}, "parallel", 2, CoresFromCPUs, "2 CPUs (fewer than GOMAXPROCS)"},
		{Machine{Cores: 2, GOMAXPROCS: 2}, "parallel", 2, "", "2 cores (GOMAXPROCS)"},
		{Machine{Cores: 4, GOMAXPROCS: 1}, "simd", 1, "", "1 core (GOMAXPROCS)"},
		{Machine{Cores: 2, GOMAXPROCS: 4}, ProcessesEngine, 2, "", "2 CPUs"},
		{Machine{GOMAXPROCS: 4}, "parallel", 4, "", "4 cores (GOMAXPROCS)"}, // CPUs not known
	} {
		cores, from := c.m.coresFor(c.name)
		_, on := coresWords(c.name, cores, from)
		if cores != c.cores || from != c.from || on != c.words {
			t.Errorf("%+v %s: %d %q %q, want %d %q %q", c.m, c.name, cores, from, on, c.cores, c.from, c.words)
		}
	}
	s := Scaling{Engine: "parallel", Cores: 2, CoresFrom: CoresFromCPUs, Points: []ScalingPoint{
		{Workers: 1, Speedup: 1}, {Workers: 2, Speedup: 1.9}, {Workers: 3, Speedup: 1.95}, {Workers: 4, Speedup: 1.97}}}
	if err := s.setFit(100); err != nil {
		t.Fatal(err)
	}
	if !s.Points[2].Oversubscribed || !s.Points[3].Oversubscribed || s.Points[1].Oversubscribed {
		t.Errorf("points %+v: want 3 and 4 workers left out", s.Points)
	}
	if want := "3 and 4 workers not fitted: more goroutines ran than the 2 CPUs (fewer than GOMAXPROCS), so they measure oversubscription"; s.leftOutText() != want {
		t.Errorf("%q, want %q", s.leftOutText(), want)
	}
}
