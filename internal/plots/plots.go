package plots

import (
	"bytes"
	"fmt"
	"image/color"
	"io"
	"math"
	"path/filepath"
	"strconv"
	"strings"

	"gonum.org/v1/gonum/stat/distuv"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"

	"github.com/gpusim/gpusim/internal/count"
	"github.com/gpusim/gpusim/internal/daily"
	"github.com/gpusim/gpusim/sim"
)

// Formats are the file extensions Save writes.
var Formats = []string{".png", ".svg"}

// Width and Height are the size of a saved chart (605 x 416 pixels in PNG).
const Width, Height = 16 * vg.Centimeter, 11 * vg.Centimeter

// MaxPNGSize is an upper bound of the PNG file of a chart Width wide and
// height high (Write), whatever it draws. vgimg fills the canvas with an
// opaque white before drawing, so image/png writes it as 8-bit RGB: 3
// bytes a pixel and a filter byte a row (raw). compress/flate writes each
// block at the smallest of stored, fixed and dynamic Huffman where it still
// holds the block's input, and at most fixed Huffman's size where it does
// not, so the zlib stream is at most raw in fixed Huffman: 9 bits a byte
// at most (a literal; a match of 4 bytes or more takes at most 31 bits),
// each block's header and end (2 bytes) for a block of 16,384 tokens, a
// token at least a byte, the closing empty stored block with its
// alignment (6 bytes), and zlib's 2-byte header and 4-byte checksum.
// image/png cuts that stream into IDAT chunks of 12 bytes each beyond
// their data, one a 32 KiB of bufio's or a write of bufio's it passes
// through, at most 2 per 32 KiB and one more; the signature, IHDR and IEND
// take 45 bytes. 850 kB for a 605 x 416 chart, which is about 35 kB in
// fact; a noise image of its pixels is 756 kB (TestMaxPNGSize). A chart is
// written after the run: its room is checked before it.
func MaxPNGSize(height vg.Length) uint64 {
	px := func(l vg.Length) uint64 { return uint64(l/vg.Inch*vgimg.DefaultDPI + 0.5) }
	raw := px(height) * (1 + 3*px(Width))
	z := (9*raw+7)/8 + 2*(raw/(1<<14)+1) + 6 + 2 + 4
	return z + 12*(2*(z/(1<<15)+1)+1) + 8 + 25 + 12
}

// svgPoint is the most an SVG path takes for one point of a chart's data
// (vgsvg writes each coordinate as %.5g): "L", a comma and two coordinates
// of at most 6 characters (%.5g of a number in [1, 1000): 9.8765, 98.765,
// 987.65), as every point of the data area, in points, lies there (the
// chart is 453.54 x 311.81 points, and the axes, their labels and the
// margin keep the data area over 20 points from its left and bottom
// edges; TestMaxSVGSize checks every point drawn).
const svgPoint = 14

// svgFrame is the most a fan chart's SVG (Daily) takes besides its data's
// points: the header, the frame, the axes with their ticks and labels, the
// grid, the title and the legend. Its parts are bounded by the job's
// flags, whose longest TestMaxSVGSize draws: a title of the longest
// numbers (a seed and lanes of 2^64-1, floats of 17 digits, negative),
// tick labels of 17 digits, a point mass, one lane, 3,000 days. The
// largest of those, with every point counted at svgPoint, is 6.8 kB; the
// test keeps them within 7/8 of svgFrame. It was 16 KiB, twice the
// largest, which bounded `--plot` at 25.6 kB for a file of 12.5 kB.
const svgFrame = 8 << 10

// finalFrame is svgFrame for Final's chart, whose largest, counted as
// svgFrame's, is 5.0 kB (5.2 kB for the default job's 5,000,000 lanes),
// and which TestMaxSVGSize keeps within 7/8 of it: with svgFrame it
// bounded `--plot` at 17.4 kB, five 4 KiB pages for a file of 12 to 15 kB,
// and a 64 kB disk refused --plot, --plot-daily and --html together.
const finalFrame = 7 << 10

// finalPoints is the most points Final draws: the histogram's polygon, two
// a bar of barBins bins (or, in latticeBars, at least as wide: as many at
// most) and two at its ends, and the exact density's
// 400 samples (addDensity), or the spike of a point mass.
const finalPoints = 2*(sim.HistBins/barBins) + 2 + 400

// MaxFinalSVGSize is an upper bound of the SVG file of Final's chart
// (Encode), whatever the run: finalFrame and svgPoint bytes for each of
// finalPoints, 16.4 kB, four 4 KiB pages (the default job's is 12.4 kB, 14.4
// kB at 5,000,000 lanes).
func MaxFinalSVGSize() uint64 { return finalFrame + svgPoint*finalPoints }

// MaxDailySVGSize is an upper bound of the SVG file of Daily's fan chart of
// steps days (Encode), whatever the run: svgFrame and svgPoint bytes for
// each point, 6 (steps + 1) of them (the two bands' polygons, 2 (steps + 1)
// each, the median and the exact mean, steps + 1 each). 848 kB for 10,000
// steps, whose chart is about 823 kB; 16.7 kB for 100, whose is about 10 kB.
func MaxDailySVGSize(steps int) uint64 {
	return svgFrame + svgPoint*6*(uint64(max(steps, 0))+1)
}

// CheckPath returns an error when path's extension is not one of Formats.
func CheckPath(path string) error {
	ext := strings.ToLower(filepath.Ext(path))
	for _, f := range Formats {
		if ext == f {
			return nil
		}
	}
	if ext == "" {
		return fmt.Errorf("%q has no extension (valid: %s)", path, strings.Join(Formats, ", "))
	}
	return fmt.Errorf("unknown extension %q (valid: %s)", ext, strings.Join(Formats, ", "))
}

// Encode writes p to w as PNG or SVG, by path's extension (CheckPath).
func Encode(p *plot.Plot, w io.Writer, path string) error {
	if err := CheckPath(path); err != nil {
		return err
	}
	return Write(p, w, strings.ToLower(filepath.Ext(path))[1:], Height)
}

// Write writes p to w in format, "png" or "svg", Width wide and height
// high: every gpusim chart, the run's and bench's, has the same width. The
// chart keeps a margin from the sides, and a title line wider than the
// chart is broken after its commas: gonum fits the last tick label flush
// with the edge, and a job's line of long numbers ran off both sides.
func Write(p *plot.Plot, w io.Writer, format string, height vg.Length) error {
	c, err := draw.NewFormattedCanvas(Width, height, format)
	if err != nil {
		return err
	}
	render(p, draw.New(c))
	_, err = c.WriteTo(w)
	return err
}

// render draws p on c as Write does and returns the plot's data area, the
// box its axes frame. The legend is drawn inside that box, inset at the top
// and bottom by its font's descent and line gap: gonum draws it in the box
// before the padding that keeps glyphs clear of the axes, and centres each
// text on an entry height that is its ascent less that much, so its first
// line stood out of the top by half a descent and the line gap (the last,
// at the bottom, by half a descent), and the whole legend a few points past
// the frame, over the title.
func render(p *plot.Plot, c draw.Canvas) draw.Canvas {
	title, legend := p.Title.Text, p.Legend
	defer func() { p.Title.Text, p.Legend = title, legend }()
	p.Title.Text = wrapTitle(p.Title.TextStyle, title, Width-2*margin)
	p.Legend = plot.NewLegend() // no entries: p.Draw draws none
	c = draw.Crop(c, margin, -margin, 0, 0)
	p.Draw(c)
	area := p.DataCanvas(c)
	e := legend.TextStyle.FontExtents()
	inset := e.Height - e.Ascent
	legend.Draw(draw.Crop(area, 0, 0, inset, -inset))
	return area
}

// margin is the room Write leaves on either side of a chart.
const margin = 4 * vg.Millimeter

// wrapTitle breaks each line of text wider than width, drawn in style,
// after a comma, as many times as it takes (a single part wider than width
// stays whole).
func wrapTitle(style text.Style, txt string, width vg.Length) string {
	var out []string
	for _, line := range strings.Split(txt, "\n") {
		cur := ""
		for _, part := range strings.SplitAfter(line, ", ") {
			if cur != "" && style.Width(cur+strings.TrimRight(part, " ")) > width {
				out = append(out, strings.TrimRight(cur, " "))
				cur = ""
			}
			cur += part
		}
		out = append(out, cur)
	}
	return strings.Join(out, "\n")
}

// SVG is p as an SVG document height high, for a page that inlines it.
func SVG(p *plot.Plot, height vg.Length) ([]byte, error) {
	var b bytes.Buffer
	if err := Write(p, &b, "svg", height); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// The palette: blues for the simulation, red for the exact law.
var (
	colBars   = color.RGBA{R: 158, G: 202, B: 225, A: 255}
	colOuter  = color.RGBA{R: 198, G: 219, B: 239, A: 255}
	colInner  = color.RGBA{R: 107, G: 174, B: 214, A: 255}
	colMedian = color.RGBA{R: 8, G: 69, B: 148, A: 255}
	colExact  = color.RGBA{R: 203, G: 24, B: 29, A: 255}
)

// barBins is how many histogram bins make one bar: sim.HistBins/128, so
// the histogram's +/- 8 sd span 128 bars of 1/8 sd each, about 80 over the
// range a million lanes reach.
const barBins = sim.HistBins / 128

// title is a chart's title: what it shows, then the job on a second line,
// with the n lanes a shard's chart draws where they are not all of the
// job's (a shard's chart named the whole job alone, its legend its lanes).
func title(what string, p sim.Params, n uint64) string {
	shard := ""
	if n != p.Lanes && n > 0 {
		shard = ", " + thousands(n) + " of them in this shard"
	}
	return fmt.Sprintf("%s\n%s x %s%s: start %g, anchor %g, persistence %g, sigma %g, seed %d",
		what, lanes(p.Lanes), count.Noun(p.Steps, "step"), shard, p.Start, p.Anchor, p.Persistence, p.Sigma, p.Seed)
}

// lanes is "1 lane" or "5,000,000 lanes".
func lanes(n uint64) string {
	if n == 1 {
		return "1 lane"
	}
	return thousands(n) + " lanes"
}

// Final draws the histogram of final temperatures in s, a summary of the
// whole job p, as a density (bar area is the fraction of lanes), with the
// exact Normal density of the final temperature over it. Bars are barBins of
// the summary's histogram bins wide. When every lane ends at the same value
// (no steps or no noise) it draws that point mass instead.
func Final(p sim.Params, s *sim.Summary) (*plot.Plot, error) {
	h := s.Hist
	n := len(h.Bins) - 2
	first, last := -1, -1
	var total uint64
	for i, c := range h.Bins {
		total += c
		if c > 0 && i >= 1 && i <= n {
			if first < 0 {
				first = i - 1
			}
			last = i - 1
		}
	}
	pl := plot.New()
	pl.Title.Text = finalTitle(p, s, total, first >= 0)
	pl.X.Label.Text = "temperature after " + count.Noun(p.Steps, "step")
	pl.Y.Label.Text = "density"
	pl.Add(plotter.NewGrid())
	pl.Legend.Top = true
	pl.X.Tick.Marker, pl.Y.Tick.Marker = plainTicks{}, plainTicks{}

	norm := p.Law(p.Steps)
	if total > 0 && s.Min == s.Max {
		return pointMass(pl, s, norm)
	}
	mu, sd := norm.Mu, norm.Sigma
	outside := h.Bins[0] + h.Bins[n+1]
	label := fmt.Sprintf("simulated, %s", lanes(s.Count))
	if outside > 0 {
		label += fmt.Sprintf(" (%s outside the bins)", thousands(outside))
	}
	narrow := first >= 0 && s.Min < s.Max && float64(s.Max)-float64(s.Min) < 1/float64(h.Scale)
	if narrow {
		// The bins are wider than the lanes' whole spread (bins at
		// float32's least width, sim.NewHistogram: --sigma 1e-45 or
		// 1e-40), so they hold the lanes in one or two: bars over them
		// were drawn flat and low across 2^-126 beside a density far
		// narrower, a blank chart. The lanes' spread, min to max, is
		// drawn instead.
		pl.X.Min, pl.X.Max = float64(s.Min), float64(s.Max)
	} else if first >= 0 {
		// One polygon in steps rather than a bar per bin: adjacent bars
		// leave anti-aliasing seams.
		xys := latticeBars(h, s, first, last, total)
		if xys == nil {
			xys = binBars(h, first, last, total, barGroup(first, last))
		}
		xys = append(xys, plotter.XY{X: xys[len(xys)-1].X, Y: 0})
		hist, err := plotter.NewPolygon(xys)
		if err != nil {
			return nil, err
		}
		hist.Color = colBars
		hist.LineStyle.Width = 0
		pl.Add(hist)
		pl.Legend.Add(label, hist)
		pl.X.Min, pl.X.Max = xys[0].X, xys[len(xys)-1].X
	}
	if total == 0 && sd == 0 {
		pl.X.Min, pl.X.Max = widen(mu, mu)
		pl.Y.Max = 1
	}
	if sd > 0 {
		addDensity(pl, norm)
	}
	if narrow {
		if err := addSpread(pl, s, label); err != nil {
			return nil, err
		}
	}
	pl.Y.Min = 0
	pl.Y.Max *= 1.15 // room for the legend above the peak
	pl.X.Min, pl.X.Max = widen(pl.X.Min, pl.X.Max)
	pl.Y.Min, pl.Y.Max = widen(pl.Y.Min, pl.Y.Max)
	return pl, nil
}

// addSpread draws the lanes' spread in s, min to max, as two lines the
// height of pl's y axis, for a chart whose bins are wider than it; label
// is the simulated lanes' legend.
func addSpread(pl *plot.Plot, s *sim.Summary, label string) error {
	lo, hi := float64(s.Min), float64(s.Max)
	top := pl.Y.Max
	if !(top > 0) || math.IsInf(top, 0) {
		top = 1
	}
	for i, x := range []float64{lo, hi} {
		edge, err := plotter.NewLine(plotter.XYs{{X: x, Y: 0}, {X: x, Y: top}})
		if err != nil {
			return err
		}
		edge.Color, edge.Width = colMedian, vg.Points(2)
		edge.Dashes = []vg.Length{vg.Points(4), vg.Points(3)}
		pl.Add(edge)
		if i == 0 {
			pl.Legend.Add(fmt.Sprintf("%s: min and max (bins wider than their spread)", label), edge)
		}
	}
	pl.Y.Max = math.Max(pl.Y.Max, top)
	return nil
}

// minBars is the fewest bars the final chart draws the lanes' bins in
// (barGroup), where they span that many bins.
const minBars = 16

// barGroup is how many of the histogram's bins make a bar of the final
// chart, for lanes in bins first to last: barBins, or fewer where the
// lanes span fewer than minBars bars of barBins, down to one bin a bar.
// The bins are then at the least width float32 resolves
// (sim.NewHistogram), against a spread of a few of them: at --sigma 1e-38
// every lane lay in one bar, drawn flat over 1e-37 across the density's
// whole bell.
func barGroup(first, last int) int {
	return max(1, min(barBins, (last-first+1)/minBars))
}

// finalTitle is the final chart's title for the job p whose summary s
// counts total lanes, inBins says whether any lies within the bins.
func finalTitle(p sim.Params, s *sim.Summary, total uint64, inBins bool) string {
	h := s.Hist
	sd := p.Law(p.Steps).Sigma
	switch {
	case total == 0:
		// An empty shard (more shards than lanes): the exact law alone,
		// so that an array job's surplus tasks write their charts too.
		return title("Final temperatures: no lanes (an empty shard)", p, total)
	case !inBins && s.Min != s.Max:
		// Every lane outside the bins, where float32's rounding holds
		// them far from the exact law: the chart drew its density alone,
		// as if the run had no lanes.
		return title(fmt.Sprintf("Final temperatures: all %s outside the histogram (from %s to %s)",
			lanes(total), strconv.FormatFloat(float64(s.Min), 'g', 4, 32), strconv.FormatFloat(float64(s.Max), 'g', 4, 32)), p, total)
	case sd > 0 && 1/float64(h.Scale) > 1.5*2*sim.HistSpan*sd/float64(len(h.Bins)-2) && s.Min != s.Max:
		// The bins are at the least width float32 resolves
		// (sim.NewHistogram), not a 256th of an sd: say so, as the run's
		// note does, where the chart shows them. The note's advice
		// (--out keeps exact values) is the note's: the title gave it
		// to runs with --out too.
		return title(fmt.Sprintf("Final temperatures (histogram bins %s wide, the least float32 resolves, against an sd of %s)",
			strconv.FormatFloat(1/float64(h.Scale), 'g', 3, 64), strconv.FormatFloat(sd, 'g', 3, 64)), p, total)
	}
	return title("Final temperatures", p, total)
}

// pointMass draws on pl the lanes of s, which all end at one value, as a
// spike of their fraction, 1, and, where the exact law norm has an sd, its
// mean as a dashed line over mean +/- 4 sd: a density has no scale beside
// a fraction, and the chart of one lane (--lanes 1) or of lanes that
// float32's rounding holds at one value (--start 1e30) left the exact law
// out without a word.
func pointMass(pl *plot.Plot, s *sim.Summary, norm distuv.Normal) (*plot.Plot, error) {
	x := float64(s.Min)
	spike, err := plotter.NewLine(plotter.XYs{{X: x, Y: 0}, {X: x, Y: 1}})
	if err != nil {
		return nil, err
	}
	spike.Color, spike.Width = colMedian, vg.Points(3)
	pl.Add(spike)
	what := "all " + lanes(s.Count)
	if s.Count == 1 {
		what = "1 lane"
	}
	pl.Legend.Add(fmt.Sprintf("%s at %s", what, strconv.FormatFloat(x, 'g', -1, 32)), spike)
	pl.Y.Label.Text = "fraction of lanes"
	pl.X.Min, pl.X.Max = widen(x, x)
	if mu, sd := norm.Mu, norm.Sigma; sd > 0 {
		mean, err := plotter.NewLine(plotter.XYs{{X: mu, Y: 0}, {X: mu, Y: 1}})
		if err != nil {
			return nil, err
		}
		mean.Color, mean.Width = colExact, vg.Points(1.5)
		mean.Dashes = []vg.Length{vg.Points(4), vg.Points(3)}
		pl.Add(mean)
		pl.Legend.Add(fmt.Sprintf("exact Normal(%s, %.4g): its mean", meanText(mu, sd), sd), mean)
		lo, hi := math.Min(x, mu-4*sd), math.Max(x, mu+4*sd)
		// A margin, so that neither line lies on the axis's ends.
		pad := (hi - lo) / 20
		pl.X.Min, pl.X.Max = widen(lo-pad, hi+pad)
	}
	pl.Y.Min, pl.Y.Max = 0, 1.15
	return pl, nil
}

// binBars is the final chart's polygon (its first point and two a bar) of
// bars of g of h's bins, from the one that holds bin first to the one
// that holds bin last, total lanes in all.
func binBars(h *sim.Histogram, first, last int, total uint64, g int) plotter.XYs {
	n := len(h.Bins) - 2
	lo0 := first / g * g
	xys := plotter.XYs{{X: h.Edge(lo0), Y: 0}}
	for lo := lo0; lo <= last; lo += g {
		hi := min(lo+g, n)
		var c uint64
		for i := lo; i < hi; i++ {
			c += h.Bins[i+1]
		}
		a, b := h.Edge(lo), h.Edge(hi)
		y := float64(c) / float64(total) / (b - a)
		xys = append(xys, plotter.XY{X: a, Y: y}, plotter.XY{X: b, Y: y})
	}
	return xys
}

// latticeBars is the final chart's polygon (its first point and two a
// bar, at most sim.HistBins/barBins bars) where the lanes' float32 values
// lie at least a sixteenth of a bar of barBins bins apart, and nil
// elsewhere: there a bar of barBins bins held one value or none, or one
// value or two, and the bars rose to 3.5 times the exact density between
// empty ones (lanes at 1, --sigma 2e-7, an sd of 2 to 4 of float32's
// spacings), or alternated by a factor of 2 (at 1.5, --sigma 1.2e-6, 12
// spacings). Each bar here is whole float32 cells, the values from
// halfway to the one below to halfway to the one above, at least a bar of
// barBins bins wide: the values of h's bins first to last (each bin, under
// half a spacing wide, holds one value, the float32 nearest its centre),
// whose counts the cells take.
func latticeBars(h *sim.Histogram, s *sim.Summary, first, last int, total uint64) plotter.XYs {
	width := float64(barBins) / float64(h.Scale)
	lo, hi := float64(s.Min), float64(s.Max)
	least := math.Min(math.Abs(lo), math.Abs(hi))
	if lo <= 0 && hi >= 0 {
		least = 0
	}
	if spacing32(least) < width/16 {
		return nil
	}
	counts := map[float32]uint64{}
	for i := first; i <= last; i++ {
		if c := h.Bins[i+1]; c > 0 {
			counts[float32(h.Edge(i)+0.5/float64(h.Scale))] += c
		}
	}
	v, end := float32(h.Edge(first)+0.5/float64(h.Scale)), float32(h.Edge(last)+0.5/float64(h.Scale))
	edge := func(a, b float32) float64 { return float64(a)/2 + float64(b)/2 }
	type bar struct {
		a, b float64
		c    uint64
	}
	bars := []bar{{a: edge(math.Nextafter32(v, float32(math.Inf(-1))), v)}}
	for {
		next := math.Nextafter32(v, float32(math.Inf(1)))
		cur := &bars[len(bars)-1]
		cur.b, cur.c = edge(v, next), cur.c+counts[v]
		if v == end {
			break
		}
		if cur.b-cur.a >= width {
			bars = append(bars, bar{a: cur.b})
		}
		v = next
	}
	// A last bar narrower than the rest joins the one before, as any bar
	// past finalPoints' count would (bars of width span the bins' 16 sds
	// in sim.HistBins/barBins; a value the bins' float32 arithmetic puts
	// in one from just outside could make one more).
	for n := len(bars); n > 1 && (bars[n-1].b-bars[n-1].a < width || n > sim.HistBins/barBins); n-- {
		bars[n-2].b, bars[n-2].c = bars[n-1].b, bars[n-2].c+bars[n-1].c
		bars = bars[:n-1]
	}
	xys := plotter.XYs{{X: bars[0].a, Y: 0}}
	for _, r := range bars {
		y := float64(r.c) / float64(total) / (r.b - r.a)
		xys = append(xys, plotter.XY{X: r.a, Y: y}, plotter.XY{X: r.b, Y: y})
	}
	return xys
}

// spacing32 is float32's spacing at |x| (its unit in the last place there):
// 2^-149, the least subnormal, at 0.
func spacing32(x float64) float64 {
	if x == 0 {
		// Frexp gives 0 an exponent of 0, which read as a spacing of
		// 2^-24: lanes about 0 with an sd of 1e-38 drew one flat bar
		// as if they lay on a lattice that coarse.
		return 0x1p-149
	}
	_, exp := math.Frexp(math.Abs(x)) // |x| in [2^(exp-1), 2^exp)
	return math.Ldexp(1, max(exp-24, -149))
}

// addDensity draws the exact law's density over pl, widening the axes to
// at least its mean +/- 4 sd and its peak.
func addDensity(pl *plot.Plot, norm distuv.Normal) {
	mu, sd := norm.Mu, norm.Sigma
	f := plotter.NewFunction(norm.Prob)
	// Functions do not widen the axes: show at least mean +/- 4 sd.
	pl.X.Min, pl.X.Max = math.Min(pl.X.Min, mu-4*sd), math.Max(pl.X.Max, mu+4*sd)
	f.XMin, f.XMax = pl.X.Min, pl.X.Max
	f.Samples = 400
	f.Color = colExact
	f.Width = vg.Points(1.5)
	pl.Add(f)
	pl.Legend.Add(fmt.Sprintf("exact Normal(%s, %.4g)", meanText(mu, sd), sd), f)
	pl.Y.Max = math.Max(pl.Y.Max, norm.Prob(mu))
}

// meanText writes a mean mu of a law of standard deviation sd to a
// thousandth of sd, and 4 significant digits at least: at 4 alone a mean of
// -123456.7 with sd 0.0026 read -1.235e+05, beside ticks of -123456.79.
func meanText(mu, sd float64) string {
	digits := 4
	if sd > 0 && mu != 0 {
		// The digits down to the decimal place of sd/1000.
		digits = min(max(digits, int(math.Floor(math.Log10(math.Abs(mu))))+1-int(math.Floor(math.Log10(sd/1000)))), 17)
	}
	// The shortest form that reads mu exactly, where it is no longer.
	if short, d := strconv.FormatFloat(mu, 'g', -1, 64), strconv.FormatFloat(mu, 'g', digits, 64); len(short) <= len(d) {
		return short
	} else {
		return d
	}
}

// widen returns the axis range [lo, hi], or one around it that float64
// can tell apart: gonum's ticks panic ("illegal range") on a range whose
// ends are equal, as x-1 and x+1 are at |x| >= 2^53 (a job at --start
// 1e16 with no noise, or whose spread is below the values' spacing).
func widen(lo, hi float64) (float64, float64) {
	mid := lo/2 + hi/2
	d := math.Max(1, math.Abs(mid)*0x1p-20)
	if !(hi-lo >= math.Abs(mid)*0x1p-40) || lo >= hi {
		return mid - d, mid + d
	}
	return lo, hi
}

// Daily draws a fan chart of days, the per-day table of job p whose run
// counted lanes lanes (the final summary's count: 0 for an empty shard):
// the p05-p95 and p25-p75 bands filled, the median as a line and the exact
// mean dashed, from day 0 (every lane at p.Start) to the last day.
func Daily(p sim.Params, lanes uint64, days []daily.Day) (*plot.Plot, error) {
	iq := func(q float64) int {
		for i, l := range daily.Levels {
			if l == q {
				return i
			}
		}
		panic(fmt.Sprintf("plots: no level %v in daily.Levels", q))
	}
	i05, i25, i50, i75, i95 := iq(0.05), iq(0.25), iq(0.5), iq(0.75), iq(0.95)
	start := float64(float32(p.Start)) // the model's float32 start
	at := func(k int, i int) float64 {
		if k == 0 {
			return start
		}
		return days[k-1].Quantiles[i]
	}
	band := func(lo, hi int, fill color.Color) (*plotter.Polygon, error) {
		xys := make(plotter.XYs, 0, 2*(len(days)+1))
		for k := 0; k <= len(days); k++ {
			xys = append(xys, plotter.XY{X: float64(k), Y: at(k, hi)})
		}
		for k := len(days); k >= 0; k-- {
			xys = append(xys, plotter.XY{X: float64(k), Y: at(k, lo)})
		}
		poly, err := plotter.NewPolygon(xys)
		if err != nil {
			return nil, err
		}
		poly.Color = fill
		poly.LineStyle.Width = 0
		return poly, nil
	}
	line := func(y func(k int) float64) (*plotter.Line, error) {
		xys := make(plotter.XYs, len(days)+1)
		for k := range xys {
			xys[k] = plotter.XY{X: float64(k), Y: y(k)}
		}
		return plotter.NewLine(xys)
	}

	pl := plot.New()
	pl.Title.Text = title("Temperature by day: quantiles across lanes"+outsideNote(days), p, lanes)
	pl.X.Label.Text = "day (step)"
	pl.Y.Label.Text = "temperature"
	pl.Add(plotter.NewGrid())
	exact, err := line(func(k int) float64 { m, _ := p.Exact(k); return m })
	if err != nil {
		return nil, err
	}
	exact.Color, exact.Width = colExact, vg.Points(1.2)
	exact.Dashes = []vg.Length{vg.Points(5), vg.Points(3)}
	if lanes == 0 {
		// An empty shard: no quantiles, the exact mean alone (at day 0
		// alone with no steps, marked as a point, where the chart of no
		// steps drew the lanes' median at the start, as if it had lanes).
		pl.Title.Text = title("Temperature by day: no lanes (an empty shard)", p, lanes)
		pl.Add(exact)
		if len(days) == 0 {
			at0, err := dayZero(start, colExact)
			if err != nil {
				return nil, err
			}
			pl.Add(at0)
		}
		pl.Legend.Add("exact mean", exact)
		return finishDaily(pl, len(days)), nil
	}
	outer, err := band(i05, i95, colOuter)
	if err != nil {
		return nil, err
	}
	inner, err := band(i25, i75, colInner)
	if err != nil {
		return nil, err
	}
	median, err := line(func(k int) float64 { return at(k, i50) })
	if err != nil {
		return nil, err
	}
	median.Color, median.Width = colMedian, vg.Points(1.5)
	pl.Add(outer, inner, median, exact)
	if len(days) == 0 {
		// No steps: day 0 alone, every lane at the start. A line of one
		// point has no length and drew nothing; mark the point.
		at0, err := dayZero(start, colMedian)
		if err != nil {
			return nil, err
		}
		pl.Add(at0)
	}
	pl.Legend.Add("p05 to p95", outer)
	pl.Legend.Add("p25 to p75", inner)
	pl.Legend.Add("median", median)
	pl.Legend.Add("exact mean", exact)
	return finishDaily(pl, len(days)), nil
}

// dayZero marks the fan chart's one point of a job of no steps, day 0 at
// start, in col: a line of one point has no length and draws nothing.
func dayZero(start float64, col color.Color) (*plotter.Scatter, error) {
	at0, err := plotter.NewScatter(plotter.XYs{{X: 0, Y: start}})
	if err != nil {
		return nil, err
	}
	at0.GlyphStyle.Color, at0.GlyphStyle.Radius = col, vg.Points(4)
	at0.GlyphStyle.Shape = draw.CircleGlyph{}
	return at0, nil
}

// outsideNote says on how many of days the quantiles lie among the lanes
// beyond the step's histogram span (daily.Day.Outside), where float32's
// rounding holds them and they read its edge: the fan chart drew them as
// interpolations, without a word. It is "" where none do.
func outsideNote(days []daily.Day) string {
	n := 0
	for _, d := range days {
		if d.Outside {
			n++
		}
	}
	if n == 0 {
		return ""
	}
	if len(days) == 1 {
		return ", those of the 1 step read at its histogram's edges"
	}
	return fmt.Sprintf(", those of %d of %d steps read at their histograms' edges", n, len(days))
}

// finishDaily sets the fan chart's axes for n days.
func finishDaily(pl *plot.Plot, n int) *plot.Plot {
	pl.Legend.Top = true
	pl.X.Min, pl.X.Max = 0, math.Max(1, float64(n))
	// Room above the fan for the legend, and a margin below it; a fan of
	// no width (no steps or no noise), or none float64 can tell apart
	// (widen), gets a range of 2 degrees. A floor of 1e-6 degrees had
	// drawn the fan of --sigma 1e-8 about 0 (p05 to p95 of +/-1.9e-8) as
	// a flat line on an axis of -1 to 1.
	r := pl.Y.Max - pl.Y.Min
	if !(r > 0) || r < math.Max(math.Abs(pl.Y.Max), math.Abs(pl.Y.Min))*0x1p-40 {
		pl.Y.Min, pl.Y.Max = widen(pl.Y.Min, pl.Y.Min)
		r = pl.Y.Max - pl.Y.Min
	}
	pl.Y.Min, pl.Y.Max = widen(pl.Y.Min-0.05*r, pl.Y.Max+0.3*r)
	pl.X.Tick.Marker, pl.Y.Tick.Marker = dayTicks{}, plainTicks{}
	return pl
}

// dayTicks are plainTicks with labels at whole days only: the chart of
// --steps 0, whose axis runs from day 0 to 1, read 0.5 at its middle.
type dayTicks struct{}

func (dayTicks) Ticks(lo, hi float64) []plot.Tick {
	ts := plainTicks{}.Ticks(lo, hi)
	for i := range ts {
		if ts[i].Value != math.Trunc(ts[i].Value) {
			ts[i].Label = ""
		}
	}
	return ts
}

// plainTicks are gonum's default ticks labelled with the shortest decimal:
// 50 rather than 50.00. Six significant digits, or as many more as it
// takes for every label to read its tick's value (to a thousandth of the
// ticks' spacing) and to tell the labels apart: an axis a few ulps wide
// around 5.8e-4 read -0.000583651 at every tick, and one around -123456.8
// read -123458, -123457 and -123456 at ticks of -123457.6, -123456.8 and
// -123456, the spike of a job whose lanes all end at -123456.79 drawn
// beside the label -123457. An axis narrower than tinyAxis is ticked
// scaled by a power of ten (tinyTicks).
type plainTicks struct{}

// tinyAxis is the width below which gonum's DefaultTicks gives up on round
// values, below 100 float64 epsilons (2.2e-14) whatever the values'
// magnitude, and puts three ticks at the ends and the middle: the fan
// chart of --start 1e-30 --persistence 1e-9 --sigma 1e-32 --anchor 0
// read 1.30534e-30, 6.1832e-31 and -6.87031e-32 where [0, 1.2] of the
// same chart at 1e30 times the size reads 0, 0.4, 0.8 and 1.2.
const tinyAxis = 1e-12

func (plainTicks) Ticks(lo, hi float64) []plot.Tick {
	ts := tinyTicks(lo, hi)
	gap := math.Inf(1) // the least spacing of labelled ticks
	var prev *plot.Tick
	for i, t := range ts {
		if t.Label == "" {
			continue
		}
		if prev != nil {
			gap = math.Min(gap, math.Abs(t.Value-prev.Value))
		}
		prev = &ts[i]
	}
	for digits := 6; digits <= 17; digits++ {
		seen := map[string]bool{}
		ok := true
		for i := range ts {
			if ts[i].Label == "" {
				continue
			}
			ts[i].Label = strconv.FormatFloat(ts[i].Value, 'g', digits, 64)
			v, _ := strconv.ParseFloat(ts[i].Label, 64)
			ok = ok && !seen[ts[i].Label] && !(math.Abs(v-ts[i].Value) > gap*1e-3)
			seen[ts[i].Label] = true
		}
		if ok {
			break
		}
	}
	return oneForm(ts)
}

// oneForm writes every label of ts in one form, plain or e-notation,
// where %g wrote some of each: its exponent form starts at 10^digits, so
// an axis across 1e6 read 999980, 1e+06 and 1.00002e+06, and a density
// axis 900000 and 1.8e+06. Plain decimals are kept below 1e15 and down to
// 1e-6 (1000000, 1000020; 0.00005), where they stay short; past those
// every label is in e-notation. Each label keeps the value %g rounded it
// to, so it reads its tick as before; 0 stays 0.
func oneForm(ts []plot.Tick) []plot.Tick {
	var exp, plain bool
	lo, hi := math.Inf(1), 0.0
	for _, t := range ts {
		if t.Label == "" || t.Label == "0" {
			continue
		}
		if strings.Contains(t.Label, "e") {
			exp = true
		} else {
			plain = true
		}
		v, _ := strconv.ParseFloat(t.Label, 64)
		lo, hi = math.Min(lo, math.Abs(v)), math.Max(hi, math.Abs(v))
	}
	if !exp || !plain {
		return ts
	}
	form := byte('f')
	if hi >= 1e15 || lo < 1e-6 {
		form = 'e'
	}
	for i, t := range ts {
		if t.Label == "" || t.Label == "0" {
			continue
		}
		v, _ := strconv.ParseFloat(t.Label, 64)
		ts[i].Label = strconv.FormatFloat(v, form, -1, 64)
	}
	return ts
}

// tinyTicks is gonum's DefaultTicks, but for an axis narrower than
// tinyAxis and wide against its values (more than a billionth of the
// larger magnitude; one a few ulps wide keeps the fallback's ticks, which
// lie on the axis exactly), which it ticks scaled by the power of ten that
// makes it 1 to 10 wide, and then scales back. Its labels are gonum's for
// the scaled axis: plainTicks writes them again from the values.
func tinyTicks(lo, hi float64) []plot.Tick {
	w := hi - lo
	if !(w < tinyAxis && w > 1e-9*math.Max(math.Abs(lo), math.Abs(hi))) {
		return plot.DefaultTicks{}.Ticks(lo, hi)
	}
	// The scaled ends stay far below overflow: they are at most a billion
	// times the scaled width. A chart's axes span float32 values, at
	// least 1.4e-45 apart; 10^n past float64's range (a width below
	// 1e-308) keeps the fallback.
	n := -int(math.Floor(math.Log10(w)))
	if n > 308 {
		return plot.DefaultTicks{}.Ticks(lo, hi)
	}
	s := math.Pow10(n)
	ts := plot.DefaultTicks{}.Ticks(lo*s, hi*s)
	for i := range ts {
		ts[i].Value /= s
	}
	return ts
}

// thousands writes n with commas: 5,000,000.
func thousands(n uint64) string {
	s := strconv.FormatUint(n, 10)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}
