package bench

import (
	"math"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"gonum.org/v1/plot"

	"github.com/gpusim/gpusim/internal/plots"
	"github.com/gpusim/gpusim/internal/testenv"
)

func TestPlot(t *testing.T) {
	dir := t.TempDir()
	files, err := Plot(sampleReport(), dir, []string{"png", "svg"})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, f := range files {
		names = append(names, filepath.Base(f))
	}
	want := []string{"speedup.png", "speedup.svg", "time-5Mx10.png", "time-5Mx10.svg", "time-5Mx100.png", "time-5Mx100.svg", "sweep.png", "sweep.svg"}
	if !slices.Equal(names, want) {
		t.Fatalf("files %v, want %v", names, want)
	}
	for _, f := range files {
		if err := testenv.CheckImage(f); err != nil {
			t.Error(err)
		}
	}
}

func TestPlotOptionalSections(t *testing.T) {
	// A report with no scaling or sweep draws only the time charts.
	r := sampleReport()
	r.Scaling, r.Sweep = nil, nil
	files, err := Plot(r, t.TempDir(), []string{"png", "svg"})
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != 4 {
		t.Errorf("files %v, want the two time charts in two formats", files)
	}
}

// TestSITicksNarrowRange checks that a log axis spanning less than a decade
// still gets at least two labels inside its range.
func TestSITicksNarrowRange(t *testing.T) {
	for _, r := range [][2]float64{{20.4, 30.2}, {21, 29}, {9.5, 11}, {1e3, 1e6}, {0.8, 1.3}} {
		n := 0
		var labels []string
		for _, tk := range (siTicks{}).Ticks(r[0], r[1]) {
			if tk.Label != "" && tk.Value >= r[0] && tk.Value <= r[1] {
				n++
				labels = append(labels, tk.Label)
			}
		}
		if n < 2 {
			t.Errorf("Ticks(%g, %g) labels %q inside the range, want at least two", r[0], r[1], labels)
		}
	}
	// An axis from 1.2 to 60 ns (the sweep's simd and opencl) had no
	// label below 10: it gets 2 and 5 as well.
	var labels []string
	for _, tk := range (siTicks{}).Ticks(1.2, 60) {
		if tk.Label != "" {
			labels = append(labels, tk.Label)
		}
	}
	if want := []string{"2", "5", "10", "20", "50"}; !slices.Equal(labels, want) {
		t.Errorf("Ticks(1.2, 60) labels %q, want %q", labels, want)
	}
	// A range narrower than three digits: labels that tell the ticks
	// apart (5 to 5.00001 read 5 at every tick).
	seen := map[string]bool{}
	for _, tk := range (siTicks{}).Ticks(5, 5.00001) {
		if tk.Label != "" && seen[tk.Label] {
			t.Errorf("Ticks(5, 5.00001): label %q twice", tk.Label)
		}
		seen[tk.Label] = true
	}
}

// TestSITicksUnbounded: an axis that reaches +Inf gets LogTicks' ticks;
// the 1-2-5 labels counted powers of ten up to Ceil(Log10(+Inf)), a loop
// that never ended, appending ticks until memory ran out.
func TestSITicksUnbounded(t *testing.T) {
	done := make(chan []plot.Tick, 1)
	go func() { done <- (siTicks{}).Ticks(1, math.Inf(1)) }()
	select {
	case ts := <-done:
		for _, tk := range ts {
			if math.IsInf(tk.Value, 0) || math.IsNaN(tk.Value) {
				t.Errorf("Ticks(1, +Inf): a tick at %v", tk.Value)
			}
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Ticks(1, +Inf) did not return in 5 s")
	}
}

// TestSpeedupPlotTeaches: the speedup chart reaches 64 workers on log axes,
// draws the ideal line and the course's four reference curves, and each
// engine's measured points with its fitted and predicted curves.
func TestSpeedupPlotTeaches(t *testing.T) {
	r := sampleReport()
	for i := range r.Scaling {
		r.Scaling[i].PredictedP = 0.97
	}
	p, err := speedupPlot(r)
	if err != nil {
		t.Fatal(err)
	}
	if p.X.Max < 64 || p.Y.Max < 64 {
		t.Errorf("axes reach %g workers and %gx, want at least 64", p.X.Max, p.Y.Max)
	}
	if _, ok := p.X.Scale.(plot.LogScale); !ok {
		t.Errorf("worker axis is %T, want a log scale", p.X.Scale)
	}
	b, err := plots.SVG(p, plots.Height)
	if err != nil {
		t.Fatal(err)
	}
	svg := string(b)
	want := []string{"ideal, S = N", "course: P = 0.5,", "course: P = 0.75,", "course: P = 0.9,", "course: P = 0.95,"}
	for _, s := range r.Scaling {
		want = append(want, s.Engine+" ("+s.Workload.String()+"): measured, fitted P = ", s.Engine+": predicted P = 0.9700")
	}
	for _, s := range want {
		if !strings.Contains(svg, s) {
			t.Errorf("speedup chart has no %q", s)
		}
	}
}

func TestPredictP(t *testing.T) {
	for _, tc := range []struct {
		serial, t1 time.Duration
		want       float64
	}{
		{5 * time.Millisecond, 100 * time.Millisecond, 0.95},
		{0, time.Second, 1},
		{2 * time.Second, time.Second, 0}, // noise: overhead above the run
		{time.Millisecond, 0, 0},
	} {
		if got := PredictP(tc.serial, tc.t1); math.Abs(got-tc.want) > 1e-12 {
			t.Errorf("PredictP(%v, %v) = %v, want %v", tc.serial, tc.t1, got, tc.want)
		}
	}
}

// TestPlotNoMeasurement: a workload on which every engine failed (left
// out with a note: no measurement), a sweep and a scaling run whose points
// all failed, draw what was measured and leave the rest out, with no
// error: charts failed with "plotter: no data points" and no chart, nor
// the --html page that holds them, was written.
func TestPlotNoMeasurement(t *testing.T) {
	r := sampleReport()
	r.Workloads[1].Engines = nil
	for i := range r.Sweep.Series {
		for j := range r.Sweep.Series[i].Points {
			r.Sweep.Series[i].Points[j].NsPerLaneStep = 0
		}
	}
	for i := range r.Scaling {
		for j := range r.Scaling[i].Points {
			r.Scaling[i].Points[j].Speedup = 0
		}
	}
	files, err := Plot(r, t.TempDir(), []string{"png", "svg"})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, f := range files {
		names = append(names, filepath.Base(f))
	}
	want := []string{"time-5Mx10.png", "time-5Mx10.svg"}
	if !slices.Equal(names, want) {
		t.Fatalf("files %v, want %v", names, want)
	}
}

// TestSpeedupPlotPAsTable: the speedup chart's legend writes each fitted and
// predicted P as the scaling table's note does, and a P inside (0, 1) reads
// as neither bound in either: the chart wrote a predicted P of 0.9996 as
// 1.000 beside the table's 0.9996, and the table wrote 0.99996 as 1.0000,
// the P of an unbounded limit, beside a limit of 25,000x.
// speedupSVG is the speedup chart of r's first scaling table alone, as SVG.
func speedupSVG(t *testing.T, r *Report) []byte {
	t.Helper()
	r.Scaling = r.Scaling[:1]
	pl, err := speedupPlot(r)
	if err != nil {
		t.Fatal(err)
	}
	b, err := plots.SVG(pl, plots.Height)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestSpeedupPlotPAsTable(t *testing.T) {
	for _, p := range []float64{0.99996, 0.9996, 0.8647, 0.00004, 1, 0} {
		r := sampleReport()
		s := &r.Scaling[0]
		s.Fit = &AmdahlFit{P: p, Limit: 1 / (1 - p), Points: 3, Range: &[2]float64{p / 2, p}}
		s.PredictedP = p
		b := speedupSVG(t, r)
		line := s.FitLine()
		fitted := regexp.MustCompile(`Amdahl fit P = ([0-9.]+) \(([0-9.]+) to ([0-9.]+) over`).FindStringSubmatch(line)
		predicted := regexp.MustCompile(`predicted P = ([0-9.]+) from`).FindStringSubmatch(line)
		if fitted == nil || predicted == nil {
			t.Fatalf("P = %v: no P in the table's note %q", p, line)
		}
		for _, want := range []string{"fitted P = " + fitted[1] + " (range " + fitted[2] + " to " + fitted[3] + ")<", "predicted P = " + predicted[1] + " from overhead"} {
			if !strings.Contains(string(b), want) {
				t.Errorf("P = %v: the chart has no %q, as the table's note %q", p, want, line)
			}
		}
		v, _ := strconv.ParseFloat(fitted[1], 64)
		if (v == 1) != (p == 1) || (v == 0) != (p == 0) {
			t.Errorf("P = %v reads %s in the table's note", p, fitted[1])
		}
	}
}

// TestSpeedupPlotHeld: a fitted P held at its bound by speedups the law
// cannot give says so in the chart's legend, as the notes do (the legend
// read "fitted P = 0.0000 (range 0.0000 to 0.9148)" beside the note's
// "P is held at its bound"); a P fitted at 1 through exact points does not.
func TestSpeedupPlotHeld(t *testing.T) {
	for _, c := range []struct {
		sp   []float64
		held bool
	}{{[]float64{1, 0.875}, true}, {[]float64{1, 2.5, 6}, true}, {[]float64{1, 2, 4}, false}} {
		r := sampleReport()
		s := &r.Scaling[0]
		fit, err := FitAmdahl([]int{1, 2, 4}[:len(c.sp)], c.sp)
		if err != nil {
			t.Fatal(err)
		}
		s.Fit = &fit
		b := speedupSVG(t, r)
		if got := strings.Contains(string(b), ", held at its bound<"); got != c.held || strings.Contains(s.FitLine(), "held at its bound") != c.held {
			t.Errorf("speedups %v: the legend says held %v, want %v, as the note %q", c.sp, got, c.held, s.FitLine())
		}
	}
}

// TestSweepPlotOneSize: a sweep of one size, or one whose engines all take
// one time per lane-step, draws its chart: gonum widened the axis by 1
// either side of its one value, below 0 at 1 lane or under 1 ns, and
// panicked ("Values must be greater than 0 for a log scale"), bench exiting
// 2 with a stack trace.
func TestSweepPlotOneSize(t *testing.T) {
	for _, c := range []struct {
		lanes uint64
		ns    []float64
	}{{1, []float64{5}}, {1000, []float64{0.5}}, {1000, []float64{0.5, 0.5}}, {2, []float64{20, 0.3}}} {
		r := sampleReport()
		r.Sweep.Lanes = []uint64{c.lanes}
		r.Sweep.Series = nil
		for i, ns := range c.ns {
			r.Sweep.Series = append(r.Sweep.Series, SweepSeries{Engine: "e" + strconv.Itoa(i), Points: []SweepPoint{{Lanes: c.lanes, NsPerLaneStep: ns}}})
		}
		files, err := Plot(r, t.TempDir(), []string{"png", "svg"})
		if err != nil {
			t.Fatalf("%d lanes at %v ns: %v", c.lanes, c.ns, err)
		}
		for _, f := range files {
			if err := testenv.CheckImage(f); err != nil {
				t.Error(err)
			}
		}
	}
}

// TestAmdahlCurveLogSpaced: the speedup chart's curves are sampled evenly
// in log N, as the axis is drawn, so that no chord strays from the curve
// where the points are: plotter.Function's even steps in N drew a straight
// chord from N = 1 to 6.14 at 1024 workers, the curve for P = 0.5 at 1.23
// where it is 1.33, at N = 2.
func TestAmdahlCurveLogSpaced(t *testing.T) {
	for _, maxN := range []float64{64, 1024} {
		xys := amdahlCurve(0.5, maxN, 200)
		if xys[0].X != 1 || math.Abs(xys[len(xys)-1].X-maxN) > 1e-9*maxN {
			t.Errorf("maxN %v: from %v to %v", maxN, xys[0].X, xys[len(xys)-1].X)
		}
		for i := 1; i < len(xys); i++ {
			if r := xys[i].X / xys[i-1].X; r > 1.04 {
				t.Fatalf("maxN %v: a step from N = %.3g to %.3g", maxN, xys[i-1].X, xys[i].X)
			}
			if xys[i].Y != Amdahl(0.5, xys[i].X) {
				t.Fatalf("maxN %v: S(%v) = %v", maxN, xys[i].X, xys[i].Y)
			}
		}
	}
}

// TestTimePlotTicks: the time chart's axis reads as the report writes a
// time, at every scale: a workload of microseconds was labelled "5e-05"
// and "0.0001" (gonum's default) beside "seconds".
func TestTimePlotTicks(t *testing.T) {
	for _, med := range []time.Duration{101 * time.Microsecond, 30 * time.Millisecond, 4 * time.Second} {
		wr := WorkloadResult{Workload: Workload{1000, 2}, Engines: []Measurement{
			{Engine: "serial", Wall: Stats{N: 1, Median: med}}, {Engine: "simd", Wall: Stats{N: 1, Median: med / 2}}}}
		p, err := timePlot(wr)
		if err != nil {
			t.Fatal(err)
		}
		labels := 0
		for _, tk := range p.Y.Tick.Marker.Ticks(p.Y.Min, p.Y.Max) {
			if tk.Label == "" {
				continue
			}
			labels++
			if want := fmtSec(tk.Value); tk.Label != want {
				t.Errorf("median %v: tick at %g labelled %q, want %q", med, tk.Value, tk.Label, want)
			}
		}
		if labels < 2 {
			t.Errorf("median %v: %d labelled ticks", med, labels)
		}
	}
}

// TestPowTwoTicks checks the worker and speedup axes' labels: one form on an
// axis (they turned into e notation from 2^20 on, 1.048576e+06 beside
// 524288) and at most powTwoLabels of them.
func TestPowTwoTicks(t *testing.T) {
	labels := func(lo, hi float64) []string {
		var out []string
		for _, tk := range (powTwoTicks{}).Ticks(lo, hi) {
			if tk.Label != "" {
				out = append(out, tk.Label)
			}
		}
		return out
	}
	for _, c := range []struct {
		lo, hi float64
		want   string
	}{
		{1, 64, "1 2 4 8 16 32 64"},
		{0.5 / 1.5, 64, "0.5 1 2 4 8 16 32 64"},
		{0.125, 8, "0.125 0.25 0.5 1 2 4 8"},
		{1, 1 << 16, "1 4 16 64 256 1024 4096 16384 65536"},
		{1, 1 << 21, "2^0 2^2 2^4 2^6 2^8 2^10 2^12 2^14 2^16 2^18 2^20"},
		{0.001, 64, "2^-8 2^-6 2^-4 2^-2 2^0 2^2 2^4 2^6"},
		{1, 1 << 40, "2^0 2^4 2^8 2^12 2^16 2^20 2^24 2^28 2^32 2^36 2^40"},
		{3, 3, ""},
	} {
		if got := strings.Join(labels(c.lo, c.hi), " "); got != c.want {
			t.Errorf("Ticks(%g, %g) labels %q, want %q", c.lo, c.hi, got, c.want)
		}
	}
}
