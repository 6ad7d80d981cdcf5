package bench

import (
	"fmt"
	"image/color"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/gpusim/gpusim/internal/atomicfile"
)

// PlotFormats are the file formats Plot writes each chart in.
var PlotFormats = []string{"png", "svg"}

const plotW, plotH = 16 * vg.Centimeter, 11 * vg.Centimeter

// Plot draws the report's charts into dir (created if needed) and returns
// the files written:
//
//	speedup.*        speedup against workers, with each fitted Amdahl curve
//	                 and the ideal line, like the course's figure
//	time-LxS.*       median wall time per engine on each workload (bars)
//	sweep.*          ns per lane-step against lanes per engine, log-log
func Plot(r *Report, dir string) ([]string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("bench: plot: %w", err)
	}
	var files []string
	save := func(p *plot.Plot, name string) error {
		for _, ext := range PlotFormats {
			f := filepath.Join(dir, name+"."+ext)
			wt, err := p.WriterTo(plotW, plotH, ext)
			if err == nil {
				err = atomicfile.WriteFile(f, func(w io.Writer) error {
					_, err := wt.WriteTo(w)
					return err
				})
			}
			if err != nil {
				return fmt.Errorf("bench: plot %s: %w", f, err)
			}
			files = append(files, f)
		}
		return nil
	}
	if len(r.Scaling) > 0 {
		p, err := speedupPlot(r)
		if err != nil {
			return files, err
		}
		if err := save(p, "speedup"); err != nil {
			return files, err
		}
	}
	for _, wr := range r.Workloads {
		p, err := timePlot(wr)
		if err != nil {
			return files, err
		}
		if err := save(p, "time-"+fileWorkload(wr.Workload)); err != nil {
			return files, err
		}
	}
	if r.Sweep != nil && len(r.Sweep.Lanes) > 0 {
		p, err := sweepPlot(r.Sweep)
		if err != nil {
			return files, err
		}
		if err := save(p, "sweep"); err != nil {
			return files, err
		}
	}
	return files, nil
}

// fileWorkload is a workload's name for a file: "5Mx10".
func fileWorkload(w Workload) string { return strings.ReplaceAll(w.String(), " x ", "x") }

func speedupPlot(r *Report) (*plot.Plot, error) {
	p := plot.New()
	p.Title.Text = "Speedup over one worker, with Amdahl's law fitted"
	p.X.Label.Text = "workers"
	p.Y.Label.Text = "speedup"
	// Amdahl curves lie below the ideal line, so the bottom right is free.
	p.Legend.Top, p.Legend.Left = false, false
	p.Legend.XOffs, p.Legend.YOffs = -vg.Points(6), vg.Points(6)
	p.Add(plotter.NewGrid())
	maxN := 1.0
	for _, s := range r.Scaling {
		for _, pt := range s.Points {
			maxN = max(maxN, float64(pt.Workers))
		}
	}
	ideal := plotter.NewFunction(func(x float64) float64 { return x })
	ideal.XMin, ideal.XMax = 1, maxN
	ideal.Color = color.Gray{Y: 96}
	ideal.Dashes = []vg.Length{vg.Points(4), vg.Points(3)}
	p.Add(ideal)
	p.Legend.Add("ideal", ideal)
	for i, s := range r.Scaling {
		xys := make(plotter.XYs, len(s.Points))
		for j, pt := range s.Points {
			xys[j] = plotter.XY{X: float64(pt.Workers), Y: pt.Speedup}
		}
		sc, err := plotter.NewScatter(xys)
		if err != nil {
			return nil, err
		}
		sc.GlyphStyle.Color = plotutil.Color(i)
		sc.GlyphStyle.Shape = plotutil.Shape(i)
		sc.GlyphStyle.Radius = vg.Points(3.5)
		p.Add(sc)
		label := fmt.Sprintf("%s (%s)", s.Engine, s.Workload)
		if s.Fit == nil {
			p.Legend.Add(label, sc)
			continue
		}
		fp := s.Fit.P
		curve := plotter.NewFunction(func(x float64) float64 { return Amdahl(fp, x) })
		curve.XMin, curve.XMax = 1, maxN
		curve.Samples = 200
		curve.Color = plotutil.Color(i)
		curve.Width = vg.Points(1.5)
		p.Add(curve)
		limit := "unbounded"
		if !math.IsInf(s.Fit.Limit, 0) {
			limit = fmtX(s.Fit.Limit)
		}
		p.Legend.Add(fmt.Sprintf("%s: P = %.3f, limit %s", label, s.Fit.P, limit), sc, curve)
	}
	// Functions do not widen the axes, so the ranges are set here.
	p.X.Min, p.X.Max = 1, maxN
	p.Y.Min = 0
	p.Y.Max = max(p.Y.Max, maxN)
	p.X.Tick.Marker = workerTicks{}
	return p, nil
}

func timePlot(wr WorkloadResult) (*plot.Plot, error) {
	p := plot.New()
	p.Title.Text = fmt.Sprintf("Median wall time, %s lanes x %d steps", FormatCount(wr.Workload.Lanes), wr.Workload.Steps)
	p.Y.Label.Text = "seconds"
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
	p.Title.Text = fmt.Sprintf("Time per lane-step against size, %d steps", sw.Steps)
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
	return p, nil
}

// workerTicks labels every worker count while there are few, else defers to
// the default ticks.
type workerTicks struct{}

func (workerTicks) Ticks(lo, hi float64) []plot.Tick {
	if hi-lo > 16 {
		return plot.DefaultTicks{}.Ticks(lo, hi)
	}
	var ts []plot.Tick
	for n := math.Ceil(lo); n <= hi; n++ {
		ts = append(ts, plot.Tick{Value: n, Label: fmt.Sprint(n)})
	}
	return ts
}

// siTicks are log ticks labelled "1k", "10M" rather than "1e+06". A range
// within about a decade (ns per lane-step from 20 to 30) holds at most one
// power of ten, and LogTicks labels only those (the ones outside the range are
// not drawn), which would leave the axis with one label or none, so it gets
// the linear default ticks instead.
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
	if labels < 2 {
		ts = plot.DefaultTicks{}.Ticks(lo, hi)
		for i := range ts {
			if ts[i].Label != "" {
				ts[i].Label = fmtSI(ts[i].Value)
			}
		}
	}
	return ts
}
