package plots

import (
	"bytes"
	"context"
	"image"
	"image/color"
	"image/png"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"fmt"
	"slices"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/recorder"
	"gonum.org/v1/plot/vg/vgimg"

	"github.com/gpusim/gpusim/cpu"
	"github.com/gpusim/gpusim/internal/daily"
	"github.com/gpusim/gpusim/internal/testenv"
	"github.com/gpusim/gpusim/sim"
)

func runDaily(t *testing.T, p sim.Params) *sim.Result {
	t.Helper()
	res, err := cpu.Parallel{}.Run(context.Background(), &sim.Job{Params: p, Daily: true})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// checkImage checks that path is a chart (testenv.CheckImage) and that no
// temporary file is left beside it.
func checkImage(t *testing.T, path string) {
	t.Helper()
	if err := testenv.CheckImage(path); err != nil {
		t.Fatal(err)
	}
	ents, _ := os.ReadDir(filepath.Dir(path))
	for _, e := range ents {
		if strings.Contains(e.Name(), ".tmp-") {
			t.Errorf("temporary file %s left", e.Name())
		}
	}
}

func TestCharts(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []struct {
		name string
		mod  func(*sim.Params)
	}{
		{"default", func(p *sim.Params) {}},
		{"one-lane", func(p *sim.Params) { p.Lanes = 1 }},
		{"no-steps", func(p *sim.Params) { p.Steps = 0 }},
		{"no-noise", func(p *sim.Params) { p.Sigma = 0 }},
		{"one-step", func(p *sim.Params) { p.Steps = 1 }},
		{"random-walk", func(p *sim.Params) { p.Persistence, p.Steps = 1, 40 }},
		// Values past 2^53, where x-1 == x+1 in float64: gonum's ticks
		// panicked ("illegal range") on the collapsed axes.
		{"huge-constant", func(p *sim.Params) { p.Start, p.Anchor = 1e16, 1e16 }},
		{"huge-no-noise", func(p *sim.Params) { p.Start, p.Anchor, p.Sigma = 1e20, 1e20, 0 }},
		{"huge-negative", func(p *sim.Params) { p.Start, p.Anchor = -1e30, -1e30 }},
		// No lanes (an empty shard's summaries), with and without noise.
		{"no-lanes", func(p *sim.Params) { p.Lanes = 0 }},
		{"no-lanes-no-noise", func(p *sim.Params) { p.Lanes, p.Sigma = 0, 0 }},
	} {
		p := sim.Default()
		p.Lanes = 20_000
		c.mod(&p)
		var res *sim.Result
		if p.Lanes == 0 {
			p.Lanes = 10 // the job; the shard runs none of it
			res = sim.NewResult("serial", "", &sim.Job{Params: p, Daily: true}, 0, 0)
		} else {
			res = runDaily(t, p)
		}
		final, err := Final(p, res.Summary)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		fan, err := Daily(p, res.Summary.Count, daily.Table(p, res.Daily))
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		for _, ext := range Formats {
			for _, chart := range []struct {
				name string
				pl   *plot.Plot
			}{{"final", final}, {"daily", fan}} {
				path := filepath.Join(dir, c.name+"-"+chart.name+ext)
				if err := Save(chart.pl, path); err != nil {
					t.Fatalf("%s: %v", path, err)
				}
				checkImage(t, path)
			}
		}
	}
}

func TestCheckPath(t *testing.T) {
	for _, ok := range []string{"a.png", "b.SVG", "dir/c.svg"} {
		if err := CheckPath(ok); err != nil {
			t.Errorf("CheckPath(%q) = %v", ok, err)
		}
	}
	for path, want := range map[string]string{
		"a.jpg": `unknown extension ".jpg" (valid: .png, .svg)`,
		"plot":  `"plot" has no extension (valid: .png, .svg)`,
	} {
		if err := CheckPath(path); err == nil || err.Error() != want {
			t.Errorf("CheckPath(%q) = %v, want %q", path, err, want)
		}
	}
	if err := Save(nil, filepath.Join(t.TempDir(), "x.gif")); err == nil {
		t.Error("Save to .gif succeeded")
	}
}

func TestThousands(t *testing.T) {
	for n, want := range map[uint64]string{0: "0", 999: "999", 1000: "1,000", 5_000_000: "5,000,000", 12345678: "12,345,678"} {
		if got := thousands(n); got != want {
			t.Errorf("thousands(%d) = %q, want %q", n, got, want)
		}
	}
}

// TestTicksDistinct: an axis a few float32 ulps wide (a job of persistence
// 1.00000048 and sigma 2.2e-12 ends within 1e-10 of -5.8365e-4) labelled
// every tick -0.000583651; the labels take the digits that tell them apart,
// and an ordinary axis keeps its short ones.
func TestTicksDistinct(t *testing.T) {
	for _, r := range [][2]float64{{-5.8365105e-4, -5.8365095e-4}, {1e30 - 4e24, 1e30 + 4e24}, {40, 100}} {
		seen := map[string]bool{}
		for _, tk := range (plainTicks{}).Ticks(r[0], r[1]) {
			if tk.Label == "" {
				continue
			}
			if seen[tk.Label] {
				t.Errorf("axis [%g, %g]: tick label %q twice", r[0], r[1], tk.Label)
			}
			seen[tk.Label] = true
		}
		if len(seen) < 2 {
			t.Errorf("axis [%g, %g]: %d labels", r[0], r[1], len(seen))
		}
	}
	for _, tk := range (plainTicks{}).Ticks(40, 100) {
		if tk.Label != "" && strings.ContainsAny(tk.Label, ".e") {
			t.Errorf("axis [40, 100]: label %q, want a plain whole number", tk.Label)
		}
	}
}

// TestTicksOneForm: the labels of one axis are all plain or all in
// e-notation. %g's exponent form starts at 10^6 at six digits, so the axis
// of --start 1e6 --anchor 1e6 read 999980, 1e+06 and 1.00002e+06, and the
// density axis of --sigma 2e-7 about 1 read 900000 and 1.8e+06.
func TestTicksOneForm(t *testing.T) {
	for _, r := range [][2]float64{{999970, 1000030}, {999975.2, 1000024.8}, {0, 1.9e6}, {0, 1.5e-4}, {-1000030, -999970}, {1e30 - 4e24, 1e30 + 4e24}, {40, 100}} {
		var plain, exp []string
		for _, tk := range (plainTicks{}).Ticks(r[0], r[1]) {
			switch {
			case tk.Label == "" || tk.Label == "0":
			case strings.Contains(tk.Label, "e"):
				exp = append(exp, tk.Label)
			default:
				plain = append(plain, tk.Label)
			}
		}
		if len(plain) > 0 && len(exp) > 0 {
			t.Errorf("axis [%g, %g]: labels %q plain and %q in e-notation, want one form", r[0], r[1], plain, exp)
		}
	}
}

// TestTicksTrue: every tick label reads its tick's value, to a thousandth
// of the ticks' spacing. At six significant digits the ticks -123457.6,
// -123456.8 and -123456 (the axis of a job whose lanes all end at
// -123456.79) read -123458, -123457 and -123456, and the spike stood
// beside the label -123457.
func TestTicksTrue(t *testing.T) {
	for _, r := range [][2]float64{{-123457.7890625, -123455.7890625}, {72.123, 72.127}, {0.1, 0.7}, {-5.8365105e-4, -5.8365095e-4}, {1e30 - 4e24, 1e30 + 4e24}, {40, 100}, {0, 10}, {999970, 1000030}, {999975.2, 1000024.8}, {0, 1.9e6}, {0, 1.5e-4}} {
		var labelled []plot.Tick
		for _, tk := range (plainTicks{}).Ticks(r[0], r[1]) {
			if tk.Label != "" {
				labelled = append(labelled, tk)
			}
		}
		for i, tk := range labelled {
			v, err := strconv.ParseFloat(tk.Label, 64)
			gap := math.Abs(labelled[max(i, 1)].Value - labelled[max(i, 1)-1].Value)
			if err != nil || math.Abs(v-tk.Value) > gap*1e-3 {
				t.Errorf("axis [%g, %g]: the tick at %v reads %q", r[0], r[1], tk.Value, tk.Label)
			}
		}
	}
}

// TestDailyNoSteps: the fan chart of --steps 0 is day 0 alone, every lane
// at the start; it drew empty axes (a line of one point has no length).
// Its left half, where day 0 is (the legend is at the right), must show
// the median's colour.
func TestDailyNoSteps(t *testing.T) {
	p := sim.Default()
	p.Lanes, p.Steps = 100, 0
	pl, err := Daily(p, p.Lanes, daily.Table(p, runDaily(t, p).Daily))
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := Write(pl, &b, "png", Height); err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(&b)
	if err != nil {
		t.Fatal(err)
	}
	r := img.Bounds()
	n := 0
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Min.X+r.Dx()/2; x++ {
			if c := color.RGBAModel.Convert(img.At(x, y)).(color.RGBA); c == colMedian {
				n++
			}
		}
	}
	if n < 9 {
		t.Errorf("%d pixels of the median's colour left of the legend, want the day-0 point", n)
	}
}

// TestChartsSingular: a job of one lane and one step is counted in the
// singular in the titles and the final chart's axis: they read '1 lane x 1
// steps' and 'temperature after 1 steps'.
func TestChartsSingular(t *testing.T) {
	p := sim.Default()
	p.Lanes, p.Steps = 1, 1
	res := runDaily(t, p)
	final, err := Final(p, res.Summary)
	if err != nil {
		t.Fatal(err)
	}
	fan, err := Daily(p, res.Summary.Count, daily.Table(p, res.Daily))
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{final.Title.Text, fan.Title.Text} {
		if !strings.Contains(s, "\n1 lane x 1 step: ") {
			t.Errorf("title %q, want 1 lane x 1 step", s)
		}
	}
	if got, want := final.X.Label.Text, "temperature after 1 step"; got != want {
		t.Errorf("x label %q, want %q", got, want)
	}
}

// TestWrapTitle: a title line wider than the chart is broken after commas
// into lines that fit, the words kept in order; a job's line of long
// numbers ran off both sides. Write leaves the plot's title as it was.
func TestWrapTitle(t *testing.T) {
	p := sim.Default()
	p.Start, p.Anchor, p.Persistence, p.Sigma, p.Seed = 1.2345678901234567e-30, -123456.78901234, 0.123456789012345, 0.00012345678901234, 1<<64-1
	pl, err := Final(p, runDaily(t, p).Summary)
	if err != nil {
		t.Fatal(err)
	}
	style, width := pl.Title.TextStyle, Width-2*margin
	orig := pl.Title.Text
	got := wrapTitle(style, orig, width)
	lines := strings.Split(got, "\n")
	if len(lines) < 4 {
		t.Errorf("title %q: %d lines, want the job's line broken in 3 at least", got, len(lines))
	}
	for _, l := range lines {
		if style.Width(l) > width {
			t.Errorf("title line %q is %v wide, the chart %v", l, style.Width(l), width)
		}
	}
	if strings.Join(strings.Fields(got), " ") != strings.Join(strings.Fields(orig), " ") {
		t.Errorf("wrapped title %q, want the words of %q", got, orig)
	}
	if short := "Final temperatures\n1,000 lanes x 10 steps: start 75"; wrapTitle(style, short, width) != short {
		t.Errorf("a title that fits was wrapped: %q", wrapTitle(style, short, width))
	}
	if err := Write(pl, io.Discard, "png", Height); err != nil || pl.Title.Text != orig {
		t.Errorf("Write: %v; the plot's title %q after it, want %q", err, pl.Title.Text, orig)
	}
}

// TestMeanText: the exact law's legend gives its mean to a thousandth of
// its sd: a mean of -123456.7 with sd 0.0026 read -1.235e+05.
func TestMeanText(t *testing.T) {
	for _, c := range []struct {
		mu, sd float64
		want   string
	}{{73.5, 5, "73.5"}, {-123456.7, 0.002646, "-123456.7"}, {-123456.789012345, 0.002646, "-123456.789012"}, {72.00004, 5, "72"}, {0, 1, "0"}, {1e-30, 0, "1e-30"}, {3e37, 1e-30, "3e+37"}} {
		if got := meanText(c.mu, c.sd); got != c.want {
			t.Errorf("meanText(%v, %v) = %q, want %q", c.mu, c.sd, got, c.want)
		}
	}
}

// TestDayTicks: the day axis is labelled at whole days only; the chart of
// --steps 0 read 0.5 at its middle.
func TestDayTicks(t *testing.T) {
	for _, r := range [][2]float64{{0, 1}, {0, 3}, {0, 10}, {0, 365}} {
		var labels []string
		for _, tk := range (dayTicks{}).Ticks(r[0], r[1]) {
			if tk.Label != "" {
				labels = append(labels, tk.Label)
				if tk.Value != math.Trunc(tk.Value) {
					t.Errorf("day axis [%g, %g]: label %q at %v", r[0], r[1], tk.Label, tk.Value)
				}
			}
		}
		if len(labels) < 2 {
			t.Errorf("day axis [%g, %g]: labels %q, want two at least", r[0], r[1], labels)
		}
	}
}

// TestLegendInside: every legend entry's text lies inside the plot's data
// area, the box its axes frame. gonum draws the legend in that box before
// the padding that keeps the glyphs clear of the axes, so a legend at the
// top reached a few pixels above the frame (and at the left or right,
// past it), over the title and the tick labels.
func TestLegendInside(t *testing.T) {
	scatter := func(left bool) (*plot.Plot, []string) {
		pl := plot.New()
		pl.Title.Text = "legend at the top"
		pl.Legend.Top, pl.Legend.Left = true, left
		if left {
			// As bench's speedup chart places it.
			pl.Legend.XOffs, pl.Legend.YOffs = vg.Points(6), -vg.Points(6)
			pl.Legend.TextStyle.Font.Size = vg.Points(8)
		}
		var names []string
		for i := range 3 {
			sc, err := plotter.NewScatter(plotter.XYs{{X: 1, Y: float64(i)}, {X: 10, Y: float64(10 * i)}})
			if err != nil {
				t.Fatal(err)
			}
			sc.GlyphStyle.Radius = vg.Points(3.5)
			pl.Add(sc)
			names = append(names, fmt.Sprintf("series %d: measured, a label as long as bench's", i))
			pl.Legend.Add(names[i], sc)
		}
		return pl, names
	}
	p := sim.Default()
	p.Lanes = 20_000
	daily, err := Daily(p, p.Lanes, daily.Table(p, runDaily(t, p).Daily))
	if err != nil {
		t.Fatal(err)
	}
	left, leftNames := scatter(true)
	right, rightNames := scatter(false)
	bottom, bottomNames := scatter(false)
	bottom.Legend.Top = false
	for _, c := range []struct {
		name  string
		plot  *plot.Plot
		texts []string
	}{
		{"daily", daily, []string{"p05 to p95", "p25 to p75", "median", "exact mean"}},
		{"top left", left, leftNames},
		{"top right", right, rightNames},
		{"bottom right", bottom, bottomNames},
	} {
		rec, area := Render(c.plot, Height)
		found := 0
		for _, a := range rec.Actions {
			fs, ok := a.(*recorder.FillString)
			if !ok || !slices.Contains(c.texts, fs.String) {
				continue
			}
			found++
			face := font.DefaultCache.Lookup(fs.Font, fs.Size)
			ext := face.Extents()
			box := vg.Rectangle{Min: vg.Point{X: fs.Point.X, Y: fs.Point.Y - ext.Descent},
				Max: vg.Point{X: fs.Point.X + face.Width(fs.String), Y: fs.Point.Y + ext.Ascent}}
			if box.Min.X < area.Min.X || box.Min.Y < area.Min.Y || box.Max.X > area.Max.X || box.Max.Y > area.Max.Y {
				t.Errorf("%s: legend entry %q at %v..%v, outside the data area %v..%v", c.name, fs.String, box.Min, box.Max, area.Min, area.Max)
			}
		}
		if found != len(c.texts) {
			t.Errorf("%s: %d of the legend's %d entries drawn", c.name, found, len(c.texts))
		}
	}
}

// TestFinalAllOutside: where float32's rounding holds every lane outside
// the histogram's span, the exact mean +/- 8 sds (a walk at --persistence -1
// under a far anchor, whose lanes sit near 0 against an exact mean of 1),
// the chart says so, and where the lanes are, instead of drawing the exact
// density alone, as if the run had no lanes.
func TestFinalAllOutside(t *testing.T) {
	p := sim.Default()
	p.Lanes, p.Steps, p.Persistence, p.Start, p.Anchor, p.Sigma = 2000, 50, -1, 1, 1e20, 1e-3
	res := runDaily(t, p)
	h := res.Summary.Hist
	if in := res.Summary.Count - h.Bins[0] - h.Bins[len(h.Bins)-1]; in != 0 {
		t.Fatalf("%d lanes inside the histogram; the job should hold them all outside", in)
	}
	final, err := Final(p, res.Summary)
	if err != nil {
		t.Fatal(err)
	}
	want := fmt.Sprintf("all 2,000 lanes outside the histogram (from %s to %s)",
		strconv.FormatFloat(float64(res.Summary.Min), 'g', 4, 32), strconv.FormatFloat(float64(res.Summary.Max), 'g', 4, 32))
	if !strings.Contains(final.Title.Text, want) {
		t.Errorf("title %q, want it to say %q", final.Title.Text, want)
	}
	path := filepath.Join(t.TempDir(), "final.png")
	if err := Save(final, path); err != nil {
		t.Fatal(err)
	}
	checkImage(t, path)
}

// TestDailyOutside: a fan chart whose quantiles on some steps lie among the
// lanes beyond the step's histogram span (daily.Day.Outside), where they
// read its edge, says on how many, as the daily table does; it drew them as
// interpolations.
func TestDailyOutside(t *testing.T) {
	p := sim.Default()
	p.Lanes, p.Steps, p.Persistence, p.Start, p.Anchor, p.Sigma = 2000, 12, -1, 1, 1e20, 1e-3
	fan, err := Daily(p, p.Lanes, daily.Table(p, runDaily(t, p).Daily))
	if err != nil {
		t.Fatal(err)
	}
	if want := "those of 6 of 12 steps read at their histograms' edges"; !strings.Contains(fan.Title.Text, want) {
		t.Errorf("title %q, want it to say %q", fan.Title.Text, want)
	}
	p = sim.Default()
	p.Lanes = 2000
	if fan, err = Daily(p, p.Lanes, daily.Table(p, runDaily(t, p).Daily)); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(fan.Title.Text, "edge") {
		t.Errorf("the default job's title %q says quantiles read an edge", fan.Title.Text)
	}
}

// TestMaxPNGSize: MaxPNGSize bounds the PNG of any image of the chart's
// pixels, noise the least compressible, and is within 13% of it; a chart
// is written as RGB (colour type 2), as MaxPNGSize counts it: the bound was
// its pixels as RGBA and an eighth more, 1.14 MB.
func TestMaxPNGSize(t *testing.T) {
	c := vgimg.New(Width, Height)
	b := c.Image().Bounds()
	img := image.NewRGBA(b)
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range img.Pix {
		img.Pix[i] = byte(rng.Uint32())
		if i%4 == 3 {
			img.Pix[i] = 255 // opaque, as vgimg's canvas is
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	most := MaxPNGSize(Height)
	if n := uint64(buf.Len()); n > most || most > n+n*13/100 {
		t.Errorf("%dx%d: a noise PNG of %d bytes, bound %d", b.Dx(), b.Dy(), n, most)
	}
	p := sim.Default()
	p.Lanes = 1000
	res := runDaily(t, p)
	for _, chart := range []func() (*plot.Plot, error){
		func() (*plot.Plot, error) { return Final(p, res.Summary) },
		func() (*plot.Plot, error) { return Daily(p, res.Summary.Count, daily.Table(p, res.Daily)) },
	} {
		pl, err := chart()
		if err != nil {
			t.Fatal(err)
		}
		var out bytes.Buffer
		if err := Encode(pl, &out, "c.png"); err != nil {
			t.Fatal(err)
		}
		// The IHDR's colour type, after the signature, the chunk's length
		// and type, the width, height and bit depth.
		if typ := out.Bytes()[25]; typ != 2 || uint64(out.Len()) > most {
			t.Errorf("a chart's PNG has colour type %d and %d bytes; want 2 (RGB) and at most %d", typ, out.Len(), most)
		}
	}
}

// TestMaxSVGSize: MaxFinalSVGSize and MaxDailySVGSize bound the SVG charts
// of jobs at the extremes of what gpusim draws (the longest titles and
// legends, tick labels of 17 digits, lanes outside the histogram, a point
// mass, no steps); each point of a path (not a glyph's arc) takes at most
// svgPoint bytes, and
// the rest at most 7/8 of svgFrame (16 KiB, twice the largest, before),
// 7/8 of finalFrame for Final's. The SVG charts were written without a
// room check, about 0.85 MB for the fan chart of 10,000 steps.
func TestMaxSVGSize(t *testing.T) {
	jobs := testenv.ExtremeJobs()
	for _, p := range jobs {
		res := runDaily(t, p)
		q := p
		q.Lanes = math.MaxUint64 // the longest title and legend
		final, err := Final(q, res.Summary)
		if err != nil {
			t.Fatal(err)
		}
		fan, err := Daily(q, res.Summary.Count, daily.Table(p, res.Daily))
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range []struct {
			pl     *plot.Plot
			points int
			frame  uint64
			most   uint64
		}{{final, finalPoints, finalFrame, MaxFinalSVGSize()}, {fan, 6 * (p.Steps + 1), svgFrame, MaxDailySVGSize(p.Steps)}} {
			svg, err := SVG(c.pl, Height)
			if err != nil {
				t.Fatal(err)
			}
			n := uint64(len(svg))
			if n > c.most || n > c.frame*7/8+svgPoint*uint64(c.points) {
				t.Errorf("%s: %d bytes, bound %d; frame %d, over 7/8 of %d", c.pl.Title.Text, n, c.most, int(n)-svgPoint*c.points, c.frame)
			}
			for _, d := range regexp.MustCompile(` d="([^"A]*)"`).FindAllSubmatch(svg, -1) { // not a glyph's arcs
				for _, pt := range regexp.MustCompile(`[ML][^MLZ]*`).FindAll(d[1], -1) {
					if len(pt) > svgPoint {
						t.Errorf("%s: a point %q of %d bytes, over svgPoint", c.pl.Title.Text, pt, len(pt))
					}
				}
			}
		}
	}
}

// TestFinalBarsLattice: where the lanes' float32 values lie a few of the
// bars' widths apart or closer, each bar is whole float32 cells, so that
// the bars' density stays near the exact one: at 1 with --sigma 2e-7 (an
// sd of 2 to 4 of float32's spacings) bars of an eighth of an sd held one
// value or none and rose to 3.5 times the exact density's peak, and at 1.5
// with --sigma 1.2e-6 (12 spacings) they held one value or two and
// alternated by a factor of 2. The default job's bars are as before.
func TestFinalBarsLattice(t *testing.T) {
	const lanes = 20000 // a central bar's count within a few % of its mean
	for _, c := range []struct{ at, sigma float64 }{{1, 2e-7}, {1.5, 1.2e-6}, {-3e20, 1.5e14}, {0.75, 4e-8}, {72, 5}} {
		p := sim.Default()
		p.Lanes, p.Start, p.Anchor, p.Sigma = lanes, c.at, c.at, c.sigma
		res := runDaily(t, p)
		final, err := Final(p, res.Summary)
		if err != nil {
			t.Fatal(err)
		}
		law := p.Law(p.Steps)
		peak := law.Prob(law.Mu)
		// Y.Max is the higher of the bars' and the density's peaks, with
		// room for the legend (Final's 1.15).
		if top := final.Y.Max / 1.15; top > 1.2*peak {
			t.Errorf("start and anchor %g, sigma %g: the bars reach %.3g, %.2f times the exact density's peak %.3g", c.at, c.sigma, top, top/peak, peak)
		}
		path := filepath.Join(t.TempDir(), "final.svg")
		if err := Save(final, path); err != nil {
			t.Fatal(err)
		}
		if st, err := os.Stat(path); err != nil || uint64(st.Size()) > MaxFinalSVGSize() {
			t.Errorf("start and anchor %g, sigma %g: %v, %v, want at most %d bytes", c.at, c.sigma, st, err, MaxFinalSVGSize())
		}
	}
}

// TestFinalTinySigma: where the histogram's bins are at the least width
// float32 resolves (sim.NewHistogram) the final chart still shows the
// lanes. Lanes about 0 at --sigma 1e-38 span ten bins, drawn one bar each
// (float32's spacing at 0 read as 2^-24, so they were drawn as one flat
// bar over the density's whole bell); at --sigma 1e-40 and 1e-45 the bins
// are wider than the lanes' whole spread, which is drawn instead, min to
// max, on an axis that spans it and the exact law (it spanned a bin,
// 2^-127, beside a density 1e-44 wide: a blank chart).
func TestFinalTinySigma(t *testing.T) {
	for _, sigma := range []float64{1e-38, 1e-40, 1e-45} {
		p := sim.Default()
		p.Lanes, p.Steps, p.Start, p.Anchor, p.Sigma = 100000, 10, 0, 0, sigma
		res := runDaily(t, p)
		s := res.Summary
		final, err := Final(p, s)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(final.Title.Text, "the least float32 resolves") {
			t.Errorf("sigma %g: title %q does not say the bins are at their least width", sigma, final.Title.Text)
		}
		rec, _ := Render(final, 4*vg.Inch)
		bars, edges := 0, 0 // the bars' corners, the spread's lines
		var col color.Color
		for _, a := range rec.Actions {
			switch a := a.(type) {
			case *recorder.SetColor:
				col = a.Color
			case *recorder.Fill:
				if col == colBars {
					bars = max(bars, len(a.Path))
				}
			case *recorder.Stroke:
				if col == colMedian && len(a.Path) == 2 {
					edges++
				}
			}
		}
		law := p.Law(p.Steps)
		span := math.Max(float64(s.Max), law.Mu+4*law.Sigma) - math.Min(float64(s.Min), law.Mu-4*law.Sigma)
		switch {
		case sigma == 1e-38:
			if bars < 2*8 {
				t.Errorf("sigma %g: the bars' polygon has %d corners, want a bar a bin over ten bins", sigma, bars)
			}
		case bars != 0 || edges < 2:
			t.Errorf("sigma %g: %d bar corners, %d spread lines; want no bars, the lines at min and max", sigma, bars, edges)
		case final.X.Max-final.X.Min > 1.5*span:
			t.Errorf("sigma %g: x axis %g to %g, want about the lanes' spread and the law's %g", sigma, final.X.Min, final.X.Max, span)
		}
	}
}

// TestDailyTinySpread: a fan narrower than 1e-6 degrees is drawn on an
// axis of its own width: at --sigma 1e-8 about 0 (p05 to p95 of about
// +/-1.9e-8), and at 1e-4 about 1000, it was drawn flat on an axis of 2
// degrees, as if every lane held the start. A fan of no width still gets 2.
func TestDailyTinySpread(t *testing.T) {
	for _, c := range []struct{ at, sigma, most float64 }{{0, 1e-8, 1e-6}, {1000, 1e-4, 1e-2}, {72, 0, 3}} {
		p := sim.Default()
		p.Lanes, p.Steps, p.Start, p.Anchor, p.Sigma = 20000, 10, c.at, c.at, c.sigma
		pl, err := Daily(p, p.Lanes, daily.Table(p, runDaily(t, p).Daily))
		if err != nil {
			t.Fatal(err)
		}
		if r := pl.Y.Max - pl.Y.Min; !(r > 0) || r > c.most {
			t.Errorf("start and anchor %g, sigma %g: y axis %g to %g, want a range within %g", c.at, c.sigma, pl.Y.Min, pl.Y.Max, c.most)
		}
		if err := Write(pl, io.Discard, "svg", Height); err != nil {
			t.Errorf("start and anchor %g, sigma %g: %v", c.at, c.sigma, err)
		}
	}
}

// TestFinalPointMassLaw: a final chart whose lanes all end at one value
// while the exact law has an sd (one lane; lanes that float32's rounding
// holds at one value far from 0) draws the exact mean, names the law in
// its legend inside the data area, and spans mean +/- 4 sd; it drew the
// spike alone, the exact law left out without a word.
func TestFinalPointMassLaw(t *testing.T) {
	one := sim.Default()
	one.Lanes, one.Steps = 1, 1
	far := sim.Default()
	far.Lanes, far.Steps, far.Start, far.Anchor = 64, 3, 1e30, -1e30
	for _, p := range []sim.Params{one, far} {
		res := runDaily(t, p)
		if s := res.Summary; s.Min != s.Max {
			t.Fatalf("lanes from %g to %g; the job should end them at one value", s.Min, s.Max)
		}
		final, err := Final(p, res.Summary)
		if err != nil {
			t.Fatal(err)
		}
		law := p.Law(p.Steps)
		want := fmt.Sprintf("exact Normal(%s, %.4g): its mean", meanText(law.Mu, law.Sigma), law.Sigma)
		rec, area := Render(final, Height)
		found := false
		for _, a := range rec.Actions {
			fs, ok := a.(*recorder.FillString)
			if !ok || fs.String != want {
				continue
			}
			found = true
			face := font.DefaultCache.Lookup(fs.Font, fs.Size)
			if fs.Point.X < area.Min.X || fs.Point.X+face.Width(fs.String) > area.Max.X {
				t.Errorf("%+v: legend entry %q runs outside the data area", p, want)
			}
		}
		if !found {
			t.Errorf("%+v: no legend entry %q", p, want)
		}
		if lo, hi := law.Mu-4*law.Sigma, law.Mu+4*law.Sigma; final.X.Min > lo || final.X.Max < hi {
			t.Errorf("%+v: x axis %g..%g, want it to hold the exact mean +/- 4 sd, %g..%g", p, final.X.Min, final.X.Max, lo, hi)
		}
		path := filepath.Join(t.TempDir(), "final.png")
		if err := Save(final, path); err != nil {
			t.Fatal(err)
		}
		checkImage(t, path)
	}
}

// TestTicksTiny: an axis narrower than 2.2e-14 got gonum's fallback of
// three ticks at its ends and middle (the fan chart of --start 1e-30
// --persistence 1e-9 --sigma 1e-32 --anchor 0 read 1.30534e-30, 6.1832e-31
// and -6.87031e-32, where the same axis 1e30 times as large reads 0, 0.4,
// 0.8 and 1.2); it gets the ticks of the same axis at a scale gonum
// ticks, the same digits (4e-31 for 0.4), each on the axis.
func TestTicksTiny(t *testing.T) {
	digits := func(label string) string {
		mant, _, _ := strings.Cut(label, "e")
		return strings.Trim(strings.ReplaceAll(strings.TrimLeft(mant, "-"), ".", ""), "0")
	}
	for _, c := range []struct{ lo, hi, scale float64 }{
		{-6.87031e-32, 1.30534e-30, 1e30}, {-6.87031e-22, 1.30534e-20, 1e20}, {1e-20, 3e-20, 1e20},
		{-2.2e-40, -1.1e-40, 1e40}, {0, 7e-44, 1e44}, {72.123e-30, 72.127e-30, 1e30},
	} {
		var got, want []string
		for _, tk := range (plainTicks{}).Ticks(c.lo, c.hi) {
			if tk.Value < c.lo || tk.Value > c.hi {
				t.Errorf("axis [%g, %g]: tick at %g is off the axis", c.lo, c.hi, tk.Value)
			}
			if tk.Label != "" {
				got = append(got, digits(tk.Label))
			}
		}
		for _, tk := range (plainTicks{}).Ticks(c.lo*c.scale, c.hi*c.scale) {
			if tk.Label != "" {
				want = append(want, digits(tk.Label))
			}
		}
		if !slices.Equal(got, want) {
			t.Errorf("axis [%g, %g]: labels of digits %q, want %q, those of the axis %g times as large", c.lo, c.hi, got, want, c.scale)
		}
	}
}

// TestShardTitle: a shard's charts name the job and the lanes of it they
// draw; a whole job's name the job alone. A shard's chart named the whole
// job only ("1,000 lanes x 10 steps"), its legend its 500 lanes.
func TestShardTitle(t *testing.T) {
	p := sim.Default()
	p.Lanes, p.Steps = 1000, 10
	for _, c := range []struct {
		first, count uint64
		want         string
	}{
		{500, 500, "\n1,000 lanes x 10 steps, 500 of them in this shard: start "},
		{0, 1000, "\n1,000 lanes x 10 steps: start "},
	} {
		res, err := cpu.Parallel{}.Run(context.Background(), &sim.Job{Params: p, First: c.first, Count: c.count, Daily: true})
		if err != nil {
			t.Fatal(err)
		}
		final, err := Final(p, res.Summary)
		if err != nil {
			t.Fatal(err)
		}
		fan, err := Daily(p, res.Summary.Count, daily.Table(p, res.Daily))
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range []string{final.Title.Text, fan.Title.Text} {
			if !strings.Contains(s, c.want) {
				t.Errorf("lanes [%d, %d): title %q, want %q in it", c.first, c.first+c.count, s, c.want)
			}
		}
	}
}
