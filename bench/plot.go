package bench

import (
	"errors"
	"fmt"
	"image/color"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/gpusim/gpusim/internal/atomicfile"
	"github.com/gpusim/gpusim/internal/count"
	"github.com/gpusim/gpusim/internal/plots"
)

// speedupH is the speedup chart's height: room for its legend above the
// ideal line. The other charts are plots.Height high.
const speedupH = 16 * vg.Centimeter

// Plot draws the report's charts into dir (created if needed), each in every
// one of formats ("png", "svg"), and returns the files written; a chart that
// cannot be written (a full disk) is left out, its error joined into err,
// and the others are still written:
//
//	speedup.*        speedup against workers, with each fitted Amdahl curve
//	                 and the ideal line, like the course's figure
//	time-LxS.*       median wall time per engine on each workload (bars)
//	sweep.*          ns per lane-step against lanes per engine, log-log
func Plot(r *Report, dir string, formats []string) ([]string, error) {
	files, err := PlotFiles(r, dir, formats)
	var names []string
	for _, f := range files {
		if cerr := f.Commit(); cerr != nil {
			err = errors.Join(err, fmt.Errorf("bench: plot %s: %w", f.Name(), cerr))
			continue
		}
		names = append(names, f.Name())
	}
	return names, err
}

// PlotFiles is Plot up to the commit: the charts written and closed, for
// the caller to commit with its other outputs (atomicfile.CommitAll).
func PlotFiles(r *Report, dir string, formats []string) ([]*atomicfile.File, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("bench: plot: %w", err)
	}
	cs, err := charts(r)
	if err != nil {
		return nil, err
	}
	var files []*atomicfile.File
	var errs []error
	for _, c := range cs {
		for _, ext := range formats {
			path := filepath.Join(dir, c.name+"."+ext)
			f, err := atomicfile.Prepare(path, func(w io.Writer) error { return plots.Write(c.plot, w, ext, c.height) })
			if err != nil {
				errs = append(errs, fmt.Errorf("bench: plot %s: %w", path, err))
				continue
			}
			files = append(files, f)
		}
	}
	return files, errors.Join(errs...)
}

// chart is one of the report's charts: its file name without extension,
// a caption, the plot and its height.
type chart struct {
	name, caption string
	plot          *plot.Plot
	height        vg.Length
}

// charts draws the report's charts, in the order Plot documents, each
// where something in it was measured: a workload on which every engine
// failed, a sweep or scaling run all of whose points failed, has no chart
// (gonum refuses a plot with no data, and no chart was drawn at all).
func charts(r *Report) ([]chart, error) {
	var cs []chart
	if slices.ContainsFunc(r.Scaling, func(s Scaling) bool {
		return slices.ContainsFunc(s.Points, func(pt ScalingPoint) bool { return pt.Speedup > 0 })
	}) {
		p, err := speedupPlot(r)
		if err != nil {
			return nil, err
		}
		cs = append(cs, chart{"speedup", "Speedup against workers on log axes: each engine's measured points, its fitted Amdahl curve (solid; its P's range over the timed runs' spread in the legend) and the curve of the P predicted from its measured overhead (dashed), the ideal line S = N and the course's curves for P = 0.5, 0.75, 0.9 and 0.95", p, speedupH})
	}
	for _, wr := range r.Workloads {
		if len(wr.Engines) == 0 {
			continue
		}
		p, err := timePlot(wr)
		if err != nil {
			return nil, err
		}
		cs = append(cs, chart{"time-" + fileWorkload(wr.Workload), "Median wall time per engine, " + wr.Workload.String(), p, plots.Height})
	}
	if r.Sweep != nil && slices.ContainsFunc(r.Sweep.Series, func(s SweepSeries) bool {
		return slices.ContainsFunc(s.Points, func(pt SweepPoint) bool { return pt.NsPerLaneStep > 0 })
	}) {
		p, err := sweepPlot(r.Sweep)
		if err != nil {
			return nil, err
		}
		cs = append(cs, chart{"sweep", "Nanoseconds per lane-step against lanes, every engine, log-log", p, plots.Height})
	}
	return cs, nil
}

// ChartFiles are the names of the files Plot may write for a benchmark of
// cfg, each in every one of formats: speedup (with scaling), time-LxS for
// each workload and sweep (with a sweep), so that each can be checked
// before the benchmark.
func ChartFiles(cfg *Config, formats []string) []string {
	var names []string
	if cfg.Scaling {
		names = append(names, "speedup")
	}
	for _, w := range cfg.Workloads {
		names = append(names, "time-"+fileWorkload(w))
	}
	if len(cfg.Sweep) > 0 {
		names = append(names, "sweep")
	}
	var files []string
	for _, n := range names {
		for _, ext := range formats {
			files = append(files, n+"."+ext)
		}
	}
	return files
}

// fileWorkload is a workload's name for a file: "5Mx10".
func fileWorkload(w Workload) string { return strings.ReplaceAll(w.String(), " x ", "x") }

// ReferenceP are the values of Amdahl's P (parallel fractions) of the
// course's Amdahl figure, whose curves the speedup chart draws in gray.
var ReferenceP = []float64{0.5, 0.75, 0.9, 0.95}

// speedupMaxWorkers is how far the speedup chart's worker axis reaches at
// least, so the reference curves show their limits.
const speedupMaxWorkers = 64

// speedupPlot draws speedup against workers on log-log axes: the ideal line
// S = N, the course's reference curves, and for each scaling engine its
// measured points, its fitted Amdahl curve (solid) and the curve of the P
// predicted from its measured overhead (dashed).
func speedupPlot(r *Report) (*plot.Plot, error) {
	p := plot.New()
	p.Title.Text = "Amdahl's law: measured speedup, fitted and predicted P, the course's curves"
	p.X.Label.Text = "workers (log)"
	p.Y.Label.Text = "speedup over one worker (log)"
	p.X.Scale, p.Y.Scale = plot.LogScale{}, plot.LogScale{}
	p.Legend.Top, p.Legend.Left = true, true
	p.Legend.XOffs, p.Legend.YOffs = vg.Points(6), -vg.Points(6)
	p.Legend.TextStyle.Font.Size = vg.Points(8)
	p.Add(plotter.NewGrid())
	maxN, minS := float64(speedupMaxWorkers), 0.5
	for _, s := range r.Scaling {
		for _, pt := range s.Points {
			// The workers that ran, where the points are drawn: a
			// count asked for beyond them (--workers 1024, 7 ran)
			// stretched the axis past every point.
			maxN = max(maxN, float64(pt.RanWorkers()))
			if pt.Speedup > 0 {
				minS = min(minS, pt.Speedup/1.5)
			}
		}
	}
	curve := func(pp float64, c color.Color, width vg.Length, dashes []vg.Length) *plotter.Line {
		// Sampled evenly in log N, as the axis is drawn: plotter.Function
		// samples evenly in N, and at 1024 workers its first chord ran
		// from N = 1 to 6, the curves drawn 8% low at N = 2, where the
		// points are.
		l := &plotter.Line{XYs: amdahlCurve(pp, maxN, 200)}
		l.Color, l.Width, l.Dashes = c, width, dashes
		return l
	}
	ideal := curve(1, color.Black, vg.Points(1.2), []vg.Length{vg.Points(5), vg.Points(3)})
	p.Add(ideal)
	p.Legend.Add("ideal, S = N", ideal)
	for i, rp := range ReferenceP {
		g := uint8(110 + 30*i)
		ref := curve(rp, color.Gray{Y: g}, vg.Points(1), nil)
		p.Add(ref)
		p.Legend.Add(fmt.Sprintf("course: P = %g, limit %s", rp, fmtX(1/(1-rp))), ref)
	}
	for i, s := range r.Scaling {
		if err := addScaling(p, s, i, curve); err != nil {
			return nil, err
		}
	}
	// Functions do not widen the axes, so the ranges are set here.
	p.X.Min, p.X.Max = 1, maxN
	p.Y.Min, p.Y.Max = minS, maxN
	p.X.Tick.Marker, p.Y.Tick.Marker = powTwoTicks{}, powTwoTicks{}
	return p, nil
}

// amdahlCurve is Amdahl's speedup with parallel fraction p at samples
// worker counts from 1 to maxN, evenly spaced in log N.
func amdahlCurve(p, maxN float64, samples int) plotter.XYs {
	xys := make(plotter.XYs, samples)
	for i := range xys {
		x := math.Pow(maxN, float64(i)/float64(samples-1))
		xys[i] = plotter.XY{X: x, Y: Amdahl(p, x)}
	}
	return xys
}

// addScaling draws one engine's points and its fitted and predicted curves;
// the points the fit left out (oversubscribed) as crosses, in the legend as
// not fitted.
func addScaling(p *plot.Plot, s Scaling, i int, curve func(float64, color.Color, vg.Length, []vg.Length) *plotter.Line) error {
	var xys, over plotter.XYs
	for _, pt := range s.Points {
		if pt.Speedup > 0 { // a log axis has no place for 0
			// At the workers that ran, where the fitted curve places it.
			xy := plotter.XY{X: float64(pt.RanWorkers()), Y: pt.Speedup}
			if pt.Oversubscribed {
				over = append(over, xy)
			} else {
				xys = append(xys, xy)
			}
		}
	}
	c := plotutil.Color(i)
	label := fmt.Sprintf("%s (%s)", s.Engine, s.Workload)
	if len(over) > 0 {
		sc, err := plotter.NewScatter(over)
		if err != nil {
			return err
		}
		sc.GlyphStyle.Color, sc.GlyphStyle.Shape, sc.GlyphStyle.Radius = c, draw.CrossGlyph{}, vg.Points(3.5)
		p.Add(sc)
		// After the measured points' and curves' entries, on return.
		defer p.Legend.Add(fmt.Sprintf("%s: oversubscribed, not fitted", label), sc)
	}
	if len(xys) == 0 {
		return nil
	}
	sc, err := plotter.NewScatter(xys)
	if err != nil {
		return err
	}
	sc.GlyphStyle.Color, sc.GlyphStyle.Shape, sc.GlyphStyle.Radius = c, plotutil.Shape(i), vg.Points(3.5)
	p.Add(sc)
	if s.Fit == nil {
		p.Legend.Add(label+": measured", sc)
		return nil
	}
	fit := curve(s.Fit.P, c, vg.Points(1.8), nil)
	pred := curve(s.PredictedP, c, vg.Points(1.2), []vg.Length{vg.Points(2), vg.Points(2)})
	p.Add(fit, pred)
	// P as the scaling table's note writes it (fmtP): the legend's own
	// three decimals read 0.9996 as 1.000 beside the note's 0.9996.
	// A P held at its bound says so, as the notes do: "fitted P =
	// 0.0000" read as a fit where the speedups lay below 1.
	bound := ""
	if s.Fit.AtBound() {
		bound = ", held at its bound"
	}
	p.Legend.Add(fmt.Sprintf("%s: measured, fitted P = %s%s%s", label, fmtP(s.Fit.P), s.Fit.rangeText(" (range %s to %s)"), bound), sc, fit)
	held := ""
	if s.PredictedPNote != "" {
		held = " (held at 0)"
	}
	p.Legend.Add(fmt.Sprintf("%s: predicted P = %s%s from overhead", s.Engine, fmtP(s.PredictedP), held), pred)
	return nil
}

// powTwoTicks labels the powers of two on a log axis (1, 2, 4, ... 64) and
// 0.5, 0.25 below 1: worker counts and speedups read best that way. An
// axis that reaches past 2^16 or below 2^-3 (thousands of workers, a
// speedup of 0.01 oversubscribed) is labelled 2^k throughout, where the
// decimals turned into e notation from 2^20 on (1.048576e+06 beside
// 524288) and grew long below (0.0009765625); past powTwoLabels ticks only
// every second, fourth, ... power is labelled (aligned on k), the others
// marked without a label.
type powTwoTicks struct{}

// powTwoLabels is the most labels powTwoTicks puts on an axis.
const powTwoLabels = 12

func (powTwoTicks) Ticks(lo, hi float64) []plot.Tick {
	if !(lo > 0) || !(hi >= lo) || math.IsInf(hi, 1) {
		return nil
	}
	k0 := int(math.Ceil(math.Log2(lo * 0.9999)))
	k1 := int(math.Floor(math.Log2(hi * 1.0001)))
	power := k0 < -3 || k1 > 16
	every := 1
	for (k1-k0)/every+1 > powTwoLabels {
		every *= 2
	}
	var ts []plot.Tick
	for k := k0; k <= k1; k++ {
		v := math.Ldexp(1, k)
		t := plot.Tick{Value: v}
		switch {
		case k%every != 0:
		case power:
			t.Label = fmt.Sprintf("2^%d", k)
		default:
			t.Label = strconv.FormatFloat(v, 'f', -1, 64)
		}
		ts = append(ts, t)
	}
	return ts
}

func timePlot(wr WorkloadResult) (*plot.Plot, error) {
	p := plot.New()
	p.Title.Text = fmt.Sprintf("Median wall time, %s %s x %s", FormatCount(wr.Workload.Lanes), nounFor(wr.Workload.Lanes, "lane"), count.Noun(wr.Workload.Steps, "step"))
	p.Y.Label.Text = "median wall time"
	p.Y.Tick.Marker = secTicks{}
	vals := make(plotter.Values, len(wr.Engines))
	names := make([]string, len(wr.Engines))
	labels := plotter.XYLabels{XYs: make(plotter.XYs, len(wr.Engines)), Labels: make([]string, len(wr.Engines))}
	for i, m := range wr.Engines {
		vals[i] = m.Wall.Median.Seconds()
		names[i] = m.Engine
		labels.XYs[i] = plotter.XY{X: float64(i), Y: vals[i]}
		labels.Labels[i] = fmtDur(m.Wall.Median)
	}
	bars, err := plotter.NewBarChart(vals, vg.Points(28))
	if err != nil {
		return nil, err
	}
	bars.Color = plotutil.Color(2)
	bars.LineStyle.Width = 0
	p.Add(plotter.NewGrid(), bars)
	lb, err := plotter.NewLabels(labels)
	if err != nil {
		return nil, err
	}
	for i := range lb.TextStyle {
		lb.TextStyle[i].XAlign = draw.XCenter
		lb.Offset = vg.Point{Y: vg.Points(3)}
	}
	p.Add(lb)
	p.NominalX(names...)
	p.Y.Min = 0
	p.Y.Max *= 1.12 // room for the labels
	return p, nil
}

func sweepPlot(sw *Sweep) (*plot.Plot, error) {
	p := plot.New()
	p.Title.Text = fmt.Sprintf("Time per lane-step against size, %s", count.Noun(sw.Steps, "step"))
	p.X.Label.Text = "lanes"
	p.Y.Label.Text = "ns per lane-step"
	p.X.Scale, p.Y.Scale = plot.LogScale{}, plot.LogScale{}
	p.X.Tick.Marker, p.Y.Tick.Marker = siTicks{}, siTicks{}
	p.Legend.Top = true
	p.Add(plotter.NewGrid())
	for i, s := range sw.Series {
		var xys plotter.XYs
		for _, pt := range s.Points {
			if pt.NsPerLaneStep > 0 { // a log axis has no place for 0
				xys = append(xys, plotter.XY{X: float64(pt.Lanes), Y: pt.NsPerLaneStep})
			}
		}
		if len(xys) == 0 {
			continue
		}
		l, sc, err := plotter.NewLinePoints(xys)
		if err != nil {
			return nil, err
		}
		l.Color = plotutil.Color(i)
		l.Dashes = plotutil.Dashes(i)
		sc.GlyphStyle.Color = plotutil.Color(i)
		sc.GlyphStyle.Shape = plotutil.Shape(i)
		p.Add(l, sc)
		p.Legend.Add(s.Engine, l, sc)
	}
	logSpan(&p.X)
	logSpan(&p.Y)
	return p, nil
}

// logSpan widens a log axis whose data is one value (a sweep of one size,
// or engines at one ns per lane-step) to a factor of 2 either side of it:
// gonum widens such an axis by 1 either side, and 1 lane's or under 1 ns's
// reached 0 or below, which a log scale cannot draw (gonum panicked: "Values
// must be greater than 0 for a log scale", and bench exited 2 with a stack
// trace, before the run or after it). An axis with no data is 1 to 10.
func logSpan(a *plot.Axis) {
	switch {
	case !(a.Max > 0):
		a.Min, a.Max = 1, 10
	case !(a.Min > 0) || a.Min == a.Max:
		a.Min, a.Max = a.Max/2, a.Max*2
	}
}

// secTicks are gonum's default ticks labelled as the report writes a time
// ("50 µs", "1.5 s"): the time chart of a workload of microseconds read
// "5e-05" and "0.0001" beside a label of seconds.
type secTicks struct{}

func (secTicks) Ticks(lo, hi float64) []plot.Tick {
	ts := plot.DefaultTicks{}.Ticks(lo, hi)
	for i := range ts {
		if ts[i].Label != "" {
			ts[i].Label = fmtSec(ts[i].Value)
		}
	}
	return ts
}

// siTicks are log ticks labelled "1k", "10M" rather than "1e+06". A range
// that holds fewer than three powers of ten (ns per lane-step from 1.2 to
// 60 holds only 10, from 20 to 30 none) gets labels at 1, 2 and 5 times
// each power of ten in it as well: LogTicks labels only the powers, which
// left one label or none, and the linear ticks put in their place before
// had none below 10 on a log axis from 1.2 to 60.
type siTicks struct{}

func (siTicks) Ticks(lo, hi float64) []plot.Tick {
	ts := plot.LogTicks{Prec: -1}.Ticks(lo, hi)
	labels := 0
	for i := range ts {
		if ts[i].Label != "" {
			ts[i].Label = fmtSI(ts[i].Value)
			if ts[i].Value >= lo && ts[i].Value <= hi {
				labels++
			}
		}
	}
	if labels >= 3 || !(lo > 0) || !(hi > lo) || math.IsInf(hi, 1) {
		// An axis to +Inf has no last power of ten to count to.
		return ts
	}
	var more []plot.Tick
	for e := math.Floor(math.Log10(lo)); e <= math.Ceil(math.Log10(hi)); e++ {
		for _, m := range []float64{1, 2, 5} {
			if v := m * math.Pow(10, e); v >= lo && v <= hi {
				more = append(more, plot.Tick{Value: v, Label: fmtSI(v)})
			}
		}
	}
	if len(more) < 2 {
		// Within a factor of 2.5: the linear ticks, to as many digits as
		// tell them apart (5 to 5.00001 read 5 at every tick).
		more = plot.DefaultTicks{}.Ticks(lo, hi)
		for digits := 3; digits <= 17; digits++ {
			seen, distinct := map[string]bool{}, true
			for i := range more {
				if more[i].Label != "" {
					more[i].Label = count.SI(more[i].Value, digits)
					distinct = distinct && !seen[more[i].Label]
					seen[more[i].Label] = true
				}
			}
			if distinct {
				break
			}
		}
	}
	return more
}
