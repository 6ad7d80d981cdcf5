package report

import (
	"bytes"
	"context"
	"encoding/json"
	"math"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gpusim/gpusim/cpu"
	"github.com/gpusim/gpusim/internal/daily"
	"github.com/gpusim/gpusim/internal/testenv"
	"github.com/gpusim/gpusim/sim"
)

func TestFmtDuration(t *testing.T) {
	for d, want := range map[time.Duration]string{
		// The microsecond is µs, as bench writes it: it read "91 us".
		91 * time.Microsecond: "91 µs",
		// Three significant digits, as bench writes a time
		// (count.Seconds): run's time line read "1.9 ms wall" beside
		// bench's 1.92 ms, and 895.2 ms, 3.215 s.
		1920 * time.Microsecond:    "1.92 ms",
		895170 * time.Microsecond:  "895 ms",
		3214514 * time.Microsecond: "3.21 s",
		// At the units' edges: they read "1000 us" and "1000.0 ms".
		999499 * time.Nanosecond:  "999 µs",
		999600 * time.Nanosecond:  "1 ms",
		999949 * time.Microsecond: "1 s",
		998949 * time.Microsecond: "999 ms",
		// Under a microsecond, in ns: 400 ns read "0 µs".
		400 * time.Nanosecond: "400 ns",
		1 * time.Nanosecond:   "1 ns",
		999 * time.Nanosecond: "999 ns",
		time.Microsecond:      "1 µs",
		0:                     "0 s",
	} {
		if got := FmtDuration(d); got != want {
			t.Errorf("FmtDuration(%v) = %q, want %q", d, got, want)
		}
	}
}

func TestNum(t *testing.T) {
	for _, c := range []struct {
		x    float64
		dec  int
		want string
	}{
		{72.00291, 4, "72.0029"}, {0, 4, "0.0000"}, {-3.5, 2, "-3.50"}, {99999999, 4, "99999999.0000"},
		{1e36, 4, "1.000000e+36"}, {-4.8e36, 4, "-4.800000e+36"}, {1e-45, 4, "1.000000e-45"}, {0.0012, 4, "0.0012"},
		{0.00012, 4, "1.200000e-04"}, {math.NaN(), 4, "-"}, {math.Inf(-1), 2, "-"},
	} {
		if got := num(c.x, c.dec); got != c.want {
			t.Errorf("num(%g, %d) = %q, want %q", c.x, c.dec, got, c.want)
		}
	}
}

// TestFmtSeconds: a merge's total past a time.Duration prints in years
// (two parts of 9.2e9 s each used to print "-9223372036854776 us", then
// "1.84e+10 s"); below, three significant digits, as bench writes a time
// (count.Seconds).
func TestFmtSeconds(t *testing.T) {
	for s, want := range map[float64]string{0: "0 s", 0.5: "500 ms", 2: "2 s", 0.00192: "1.92 ms", 1.84e10: "583 years"} {
		if got := fmtSeconds(s); got != want {
			t.Errorf("fmtSeconds(%g) = %q, want %q", s, got, want)
		}
	}
}

// TestNumTable: a column is in one format, e-notation where any of its
// values or of the column it is compared with needs it: an exact mean of 0
// read 0.0000 beside a mean of 4.417671e-08, a std of 0 0.0000 under a
// mean of 1e30, and the exact mean of --daily switched from fixed to
// e-notation between two days.
func TestNumTable(t *testing.T) {
	summary, daily := []int{1, 0}, []int{1, 0, 3, 2, -1}
	for _, c := range []struct {
		rows      [][]float64
		dec, pair []int
		want      [][]string
	}{
		{[][]float64{{4.417671e-08, 0}, {1.081764e-06, 1.145644e-06}, {-3.4e-06}}, []int{4, 4}, summary,
			[][]string{{"4.417671e-08", "0.000000e+00"}, {"1.081764e-06", "1.145644e-06"}, {"-3.400000e-06"}}},
		{[][]float64{{1e30, 1e30}, {0, 0}, {1e30}}, []int{4, 4}, summary,
			[][]string{{"1.000000e+30", "1.000000e+30"}, {"0.000000e+00", "0.000000e+00"}, {"1.000000e+30"}}},
		{[][]float64{{0.0123, 0}, {5.7, 5.77}}, []int{4, 4}, summary,
			[][]string{{"0.0123", "0.0000"}, {"5.7000", "5.7700"}}},
		{[][]float64{{75, 75}, {0, 0}, {75}}, []int{4, 4}, summary,
			[][]string{{"75.0000", "75.0000"}, {"0.0000", "0.0000"}, {"75.0000"}}},
		// --daily: the mean beside its exact value, the std beside its.
		{[][]float64{{4.01125e-09, 0, 9.91662e-07, 1e-06, -1.6354e-06}}, []int{3, 3, 3, 3, 2}, daily,
			[][]string{{"4.01125e-09", "0.00000e+00", "9.91662e-07", "1.00000e-06", "-1.6354e-06"}}},
		{[][]float64{{5e29, 5e29, 0, 1, 5e29}, {0.27, 0.197, 0.999, 1.155, 0}}, []int{3, 3, 3, 3, 2}, daily,
			[][]string{{"5.00000e+29", "5.00000e+29", "0.000", "1.000", "5.0000e+29"}, {"2.70000e-01", "1.97000e-01", "0.999", "1.155", "0.0000e+00"}}},
		// One format a column: the exact mean crossing 1e8 between two
		// days read 50000000.000 above 1.20000e+08, and a mean of 1e-4 in
		// e-notation put the exact mean beside it in it, not the other
		// rows of the mean column.
		{[][]float64{{5e7, 5e7, 2, 2, 5e7}, {1.2e8, 1.2e8, 2, 2, 1.2e8}}, []int{3, 3, 3, 3, 2}, daily,
			[][]string{{"5.00000e+07", "5.00000e+07", "2.000", "2.000", "5.0000e+07"}, {"1.20000e+08", "1.20000e+08", "2.000", "2.000", "1.2000e+08"}}},
		{[][]float64{{1e-4, 0.5, 1, 1, 0.5}, {0.25, 0.25, 1, 1, 0.25}}, []int{3, 3, 3, 3, 2}, daily,
			[][]string{{"1.00000e-04", "5.00000e-01", "1.000", "1.000", "0.50"}, {"2.50000e-01", "2.50000e-01", "1.000", "1.000", "0.25"}}},
		// The summary: a mean of 1e9 puts its column's std in e-notation
		// too, and the exact column beside it.
		{[][]float64{{1e9, 1e9}, {5, 5}, {1e9}}, []int{4, 4}, summary,
			[][]string{{"1.000000e+09", "1.000000e+09"}, {"5.000000e+00", "5.000000e+00"}, {"1.000000e+09"}}},
	} {
		got := numTable(c.rows, c.dec, c.pair, nil)
		if !reflect.DeepEqual(got, c.want) {
			t.Errorf("numTable(%v) = %q, want %q", c.rows, got, c.want)
		}
	}
}

// TestNumTableUnit: with a unit for each row, a column takes the decimals
// that write its rows' values to that unit, fixed or in e-notation, but
// none below float32's spacing at the value; rows without a unit (0, or
// past the slice) keep the column's own.
func TestNumTableUnit(t *testing.T) {
	summary, daily := []int{1, 0}, []int{1, 0, 3, 2, -1}
	for _, c := range []struct {
		rows      [][]float64
		dec, pair []int
		unit      []float64
		want      [][]string
	}{
		// An sd of 1e-5 at 1: a unit of 1e-7.
		{[][]float64{{1.0000069, 1}, {0.9999836, 1}}, []int{4, 4}, summary, []float64{1e-7, 1e-7},
			[][]string{{"1.0000069", "1.0000000"}, {"0.9999836", "1.0000000"}}},
		// A unit just below a power of 10 (float32's 1e-5 over 100) is at it.
		{[][]float64{{0.9999836}}, []int{2}, []int{-1}, []float64{9.99999975e-08}, [][]string{{"0.9999836"}}},
		// An sd of 1000 at 1e8 in e-notation: the unit 10.
		{[][]float64{{1.0000077e8, 1e8}}, []int{4, 4}, summary, []float64{10},
			[][]string{{"1.0000077e+08", "1.0000000e+08"}}},
		// No finer than float32's spacing: 2^-18 at 72, 2^-149 below 2^-126.
		{[][]float64{{72.375, 72.375}, {0, 1.6e-45}}, []int{4, 4}, summary, []float64{1.6e-47, 1.6e-47},
			[][]string{{"7.2375000e+01", "7.2375000e+01"}, {"0.0000000e+00", "1.6000000e-45"}}},
		{[][]float64{{72.375}}, []int{4}, []int{-1}, []float64{1e-30}, [][]string{{"72.375000"}}},
		// A unit coarser than the digits written, none, or 0: as before.
		{[][]float64{{72.00291, 72.0029}}, []int{4, 4}, summary, []float64{0.05}, [][]string{{"72.0029", "72.0029"}}},
		{[][]float64{{72.00291, 72.0029}}, []int{4, 4}, summary, []float64{0}, [][]string{{"72.0029", "72.0029"}}},
		{[][]float64{{72.00291, 72.0029}, {1.0000069, 1}}, []int{4, 4}, summary, []float64{0.05},
			[][]string{{"72.0029", "72.0029"}, {"1.0000", "1.0000"}}},
		// --daily: each row its own unit, each column the most its rows need.
		{[][]float64{{1, 1, 1e-5, 1e-5, 0.99998}, {1, 1, 1e-3, 1e-3, 0.998}}, []int{3, 3, 3, 3, 2}, daily, []float64{1e-7, 1e-5},
			[][]string{{"1.0000000", "1.0000000", "1.00000e-05", "1.00000e-05", "0.9999800"}, {"1.0000000", "1.0000000", "1.00000e-03", "1.00000e-03", "0.9980000"}}},
	} {
		got := numTable(c.rows, c.dec, c.pair, c.unit)
		if !reflect.DeepEqual(got, c.want) {
			t.Errorf("numTable(%v, unit %v) = %q, want %q", c.rows, c.unit, got, c.want)
		}
	}
}

// TestQuantileFootnoteOutLimit: a run of more lanes than --out takes does
// not point to --out to make its quantiles exact: the footnote sent the
// user to an error ('too many to keep in memory'); nor does one whose finals
// would need more memory than is available (--out refuses it with exit 2).
func TestQuantileFootnoteOutLimit(t *testing.T) {
	outLimit := "2^32" // sim.MaxKeptFinals
	if math.MaxInt == math.MaxInt32 {
		outLimit = "2^29"
	}
	for _, c := range []struct {
		lanes       uint64
		need, avail uint64 // OutMemory's
		want        string
	}{
		{1000, 0, 0, "interpolated in a 4096-bin histogram; --out makes them exact)"},
		{sim.MaxKeptFinals, 0, 0, "interpolated in a 4096-bin histogram; --out makes them exact)"},
		{sim.MaxKeptFinals + 1, 0, 0, "interpolated in a 4096-bin histogram; --out, which makes them exact, takes at most " + outLimit + " lanes)"},
		// Finals that would not fit in the memory available.
		{5e8, 2e9, 1.24e9, "interpolated in a 4096-bin histogram; --out, which makes them exact, needs 2 GB of memory for these lanes, and 1.24 GB are available)"},
		{5e8, 2e9, 3e9, "interpolated in a 4096-bin histogram; --out makes them exact)"},
	} {
		p := sim.Default()
		p.Lanes = c.lanes
		s := sim.NewSummary(p)
		b := sim.NewBlock(0)
		for i := range uint64(1000) {
			b.Add(i, 70+float32(i%10))
		}
		s.AddBlock(&b)
		s.Count = c.lanes // the footnote reads the count alone
		var out strings.Builder
		r := New(&sim.Result{Params: p, Summary: s}, "serial")
		r.OutMemory(c.need, c.avail)
		if err := r.WriteText(&out); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(out.String(), c.want) {
			t.Errorf("%d lanes: the footnote is not %q:\n%s", c.lanes, c.want, out.String())
		}
	}
}

// TestQuantileFootnoteOutside: quantiles whose lanes lie outside the
// histogram's span (the exact mean +/- 8 sds, where float32's rounding can
// hold every lane) read its edge, clamped to min and max: the footnote says
// which, where it called them interpolations (a walk at --persistence -1
// under a far anchor printed p01 to p99 all at the lanes' max, 0.0042,
// against exact order statistics of -0.0023 to 0.0024).
func TestQuantileFootnoteOutside(t *testing.T) {
	p := sim.Default() // exact law Normal(72.003, 5.77): the span is 25.8 to 118
	p.Lanes = 1000
	for _, c := range []struct {
		below, inside, above int
		want                 string
	}{
		{0, 1000, 0, ""},
		{1000, 0, 0, "(p01, p05, p25, p50, p75, p95 and p99 lie among the lanes outside the histogram's span"},
		{30, 970, 0, "(p01 lies among the lanes outside the histogram's span"},
		{60, 880, 60, "(p01, p05, p95 and p99 lie among the lanes outside the histogram's span"},
		{5, 995, 0, ""}, // fewer than p01's rank
	} {
		s := sim.NewSummary(p)
		b := sim.NewBlock(0)
		i := uint64(0)
		for _, g := range []struct {
			n int
			v float32
		}{{c.below, 1}, {c.inside, 72}, {c.above, 200}} {
			for range g.n {
				x := g.v + float32(i%7)/8
				b.Add(i, x)
				s.Hist.Add(x)
				i++
			}
		}
		s.AddBlock(&b)
		var out strings.Builder
		if err := New(&sim.Result{Params: p, Summary: s}, "serial").WriteText(&out); err != nil {
			t.Fatal(err)
		}
		got := out.String()
		if has := strings.Contains(got, "outside the histogram's span"); c.want == "" && has || c.want != "" && !strings.Contains(got, c.want) {
			t.Errorf("%d lanes below the span, %d inside, %d above: want %q in\n%s", c.below, c.inside, c.above, c.want, got)
		}
	}
}

// TestDailyFootnoteOutside: the per-step quantiles that lie among the lanes
// beyond their step's histogram span read its edge, as the final ones do,
// and the daily table's footnote says on how many steps (it called them
// interpolations).
func TestDailyFootnoteOutside(t *testing.T) {
	p := sim.Default()
	p.Lanes, p.Steps, p.Persistence, p.Start, p.Anchor, p.Sigma = 2000, 12, -1, 1, 1e20, 1e-3
	res, err := cpu.Serial{}.Run(context.Background(), &sim.Job{Params: p, Daily: true})
	if err != nil {
		t.Fatal(err)
	}
	text := func(res *sim.Result) string {
		var out strings.Builder
		r := New(res, "serial")
		r.SetDaily(daily.Table(res.Params, res.Daily))
		if err := r.WriteText(&out); err != nil {
			t.Fatal(err)
		}
		return out.String()
	}
	// Its odd steps hold every lane at f32(2e20), one value, exact.
	if want := "(on 6 of 12 steps the quantiles lie among the lanes outside the histograms' spans"; !strings.Contains(text(res), want) {
		t.Errorf("want %q in\n%s", want, text(res))
	}
	p = sim.Default()
	p.Lanes, p.Steps = 2000, 12
	if res, err = (cpu.Serial{}).Run(context.Background(), &sim.Job{Params: p, Daily: true}); err != nil {
		t.Fatal(err)
	}
	if got := text(res); strings.Contains(got, "outside the histogram") || !strings.Contains(got, "(quantiles interpolated in 512-bin histograms)") {
		t.Errorf("the default job's report says quantiles lie outside the histograms, or has no daily table:\n%s", got)
	}
}

// TestJSONQuantilesOutside: the JSON report names the quantiles that read
// a histogram's edge, as the text's footnotes do: the final ones in
// summary.quantiles_outside, each step's in daily[i].quantiles_outside,
// absent where none do. It said only quantiles_exact false, as for
// interpolations.
func TestJSONQuantilesOutside(t *testing.T) {
	p := sim.Default()
	p.Lanes, p.Steps, p.Persistence, p.Start, p.Anchor, p.Sigma = 2000, 4, -1, 1, 1e20, 1e-3
	for _, c := range []struct {
		p           sim.Params
		final, even string // the final's and the even steps' quantiles_outside
		odd         string
	}{
		{p, `["p01","p05","p25","p50","p75","p95","p99"]`, `["p05","p25","p50","p75","p95"]`, "null"},
		{sim.Default(), "null", "null", "null"},
	} {
		c.p.Lanes, c.p.Steps = 2000, 4
		res, err := cpu.Serial{}.Run(context.Background(), &sim.Job{Params: c.p, Daily: true})
		if err != nil {
			t.Fatal(err)
		}
		r := New(res, "serial")
		r.SetDaily(daily.Table(res.Params, res.Daily))
		var out strings.Builder
		if err := r.WriteJSON(&out); err != nil {
			t.Fatal(err)
		}
		var got struct {
			Summary struct {
				Outside json.RawMessage `json:"quantiles_outside"`
			} `json:"summary"`
			Daily []struct {
				Outside json.RawMessage `json:"quantiles_outside"`
			} `json:"daily"`
		}
		if err := json.Unmarshal([]byte(out.String()), &got); err != nil {
			t.Fatal(err)
		}
		str := func(m json.RawMessage) string {
			if m == nil {
				return "null"
			}
			var b bytes.Buffer
			if err := json.Compact(&b, m); err != nil {
				t.Fatal(err)
			}
			return b.String()
		}
		if g := str(got.Summary.Outside); g != c.final {
			t.Errorf("%+v: summary.quantiles_outside %s, want %s", c.p, g, c.final)
		}
		for i, d := range got.Daily {
			want := c.odd // steps 1 and 3 hold every lane at one value
			if i%2 == 1 {
				want = c.even
			}
			if g := str(d.Outside); g != want {
				t.Errorf("%+v: daily[%d].quantiles_outside %s, want %s", c.p, i, g, want)
			}
		}
	}
}

// TestMaxHTMLSize: MaxHTMLSize bounds the page of runs at the extremes of
// what the page shows (the longest numbers, a shard, lanes outside the
// histograms, a point mass, --daily or not) on engines that name
// themselves at their extremes (Ran: a device's name of 1 KiB of quotes,
// each escaped to 6 bytes, and a long reason of auto's; a CPU engine; a
// shard without lanes, whose device is none), and the page besides its
// charts and what Ran names takes at most 7/8 of htmlFrame.
// The page was written without a room check, about 0.84 MB with the fan
// chart of 10,000 steps. It counted 12 KiB for the device's name whatever
// the engine, and a 64 kB disk refused --plot, --plot-daily and --html
// together, 53 kB written.
func TestMaxHTMLSize(t *testing.T) {
	reason := "measured here: simd predicted at 0.0386 s, opencl on device 0 (pthread-skylake-avx512-AMD EPYC, pocl, CPU) at 0.0455 s once started"
	rans := []Ran{
		{Engine: "serial", Requested: "auto", Device: strings.Repeat(`"`, 1<<10), Reason: "predicted fastest from this machine's calibration: 0.0605 s on simd"},
		{Engine: "opencl", Requested: "auto", Device: "pthread-skylake-avx512-AMD EPYC (pocl, CPU, float x16)", Reason: strings.Repeat(reason+`; "&<>+'`, 20)},
		{Engine: "parallel", Requested: "parallel", Device: "2 goroutines"},
		{Engine: "simd", Requested: "simd", Device: ""},
	}
	for _, p := range testenv.ExtremeJobs() {
		res, err := cpu.Serial{}.Run(context.Background(), &sim.Job{Params: p, Daily: true})
		if err != nil {
			t.Fatal(err)
		}
		for _, ran := range rans {
			res.Engine, res.Device = ran.Engine, ran.Device
			for _, withDaily := range []bool{false, true} {
				r := New(res, ran.Requested)
				if ran.Reason != "" {
					r.Auto = &Auto{Engine: res.Engine, Reason: ran.Reason, Probe: 1.5}
				}
				first, count := uint64(math.MaxUint64-1), uint64(math.MaxUint64)
				r.Shard, r.First, r.Count = "18446744073709551614/18446744073709551615", &first, &count
				var days []daily.Day
				if withDaily {
					days = daily.Table(res.Params, res.Daily)
					r.SetDaily(days)
				}
				var page bytes.Buffer
				if err := r.WriteHTML(&page, res, days); err != nil {
					t.Fatal(err)
				}
				most := MaxHTMLSize(withDaily, p.Steps, &ran)
				charts, err := runCharts(p, res, days)
				if err != nil {
					t.Fatal(err)
				}
				frame := page.Len() - int(ran.room())
				for _, c := range charts {
					frame -= len(c.SVG)
				}
				if uint64(page.Len()) > most || frame > htmlFrame*7/8 {
					t.Errorf("%+v, %+v, daily %v: a page of %d bytes, %d besides its charts and the engine's names; bound %d", p, ran, withDaily, page.Len(), frame, most)
				}
			}
		}
	}
}

// TestRanRoom: Ran.room is what the page takes for the engine's names: a
// page's length less its length with other names is the rooms' difference,
// escapes included, and a longer device's name takes more.
func TestRanRoom(t *testing.T) {
	p := sim.Default()
	p.Lanes, p.Steps = 100, 10
	res, err := cpu.Serial{}.Run(context.Background(), &sim.Job{Params: p})
	if err != nil {
		t.Fatal(err)
	}
	page := func(ran Ran) int {
		res.Engine, res.Device = ran.Engine, ran.Device
		r := New(res, ran.Requested)
		if ran.Reason != "" {
			r.Auto = &Auto{Engine: res.Engine, Reason: ran.Reason}
		}
		var b bytes.Buffer
		if err := r.WriteHTML(&b, res, nil); err != nil {
			t.Fatal(err)
		}
		return b.Len()
	}
	base := Ran{Engine: "serial", Requested: "serial", Device: "1 goroutine ______________________________"} // longer than a shard without lanes' words (notStarted)
	for _, ran := range []Ran{
		{Engine: "opencl", Requested: "auto", Device: `NAME "<&>" (pocl, CPU, float x16)`, Reason: `on device 0 (NAME "<&>"+, pocl, CPU)`},
		{Engine: "simd", Requested: "simd", Device: "avx512 x16, 2 goroutines \x00"},
	} {
		// The auto line's words besides the reason: "auto" and the line's
		// end, which the page writes with a reason and not without.
		extra := 0
		if ran.Reason != "" {
			extra = len("auto      \n")
		}
		if got, want := int(ran.room())-int(base.room()), page(ran)-page(base)-extra; got != want {
			t.Errorf("%+v: room %d more than %+v's, want %d, what the page takes more", ran, got, base, want)
		}
	}
}

// TestCarried: a mean or std is written with only the digits above its
// error, or as a bound on its magnitude where none is; a cell whose last
// digit is above the error stays as the table wrote it.
func TestCarried(t *testing.T) {
	for _, c := range []struct {
		cell       string
		x, u, most float64
		want       string
	}{
		{"72.0101", 72.0101234, 1e-9, 100, "72.0101"},
		{"72.0101", 72.0101234, 5e-5, 100, "72.0101"},          // half a unit of the last digit or less: as written
		{"72.0101", 72.0101234, 1e-4, 100, "72.010"},           // the digits down to 1e-4, in the cell's notation
		{"72.0101", 72.0101234, 2e-3, 100, "72.01"},            // down to 1e-2, above 2e-3
		{"559.2137", 559.2137, 20, 1000, "6e+02"},              // digits above the point cut: e-notation
		{"7.201012e+01", 72.0101234, 2e-3, 100, "7.201e+01"},   // a cell in e-notation stays in it
		{"3.814697e-06", 3.814697e-06, 4.5e-4, 5e-3, "<5e-04"}, // |x| + u
		{"5.592137e+02", 559.2137, 1670, 4.7e-3, "<5e-03"},     // the range's bound
		{"-2.293236e-07", -2.293236e-07, 4.5e-8, 5e-3, "-2e-07"},
		{"0.0000", 0, 1e-3, 5e-3, "<1e-03"},
		// A 0 known better than its cell's last digit: the bound, where
		// 0.00000000e+00 read as 8 digits beside the sd's <5e-30.
		{"0.00000000e+00", 0, 5e-12, 4.97e-30, "<5e-30"},
		{"0.0000", 0, 1e-9, 100, "<1e-09"},
		{"0.0000", 0, 0, 100, "0.0000"}, // no error: every lane 0
		{"-", math.NaN(), 1, 1, "-"},
	} {
		if got := carried(c.cell, c.x, c.u, c.most); got != c.want {
			t.Errorf("carried(%q, %g, %g, %g) = %q, want %q", c.cell, c.x, c.u, c.most, got, c.want)
		}
	}
}

// TestTablesShowTheSpread: where the lanes spread far less than their
// distance from 0, the tables still write the quantiles apart (each day's
// p05 < p25 < p50 < p75 < p95, the summary's p01 < ... < p99, simulated
// and normal): start and anchor 1 at --sigma 1e-5 read 1.00 for every
// quantile of every day, and 1e8 at --sigma 1000 read 1.0000e+08 for p50,
// p75 and p95, the per-day table's digits set by the values' magnitude
// alone.
func TestTablesShowTheSpread(t *testing.T) {
	for _, c := range []struct{ at, sigma float64 }{{1, 1e-5}, {1e8, 1000}, {-3e20, 1e15}, {72, 1e-3}, {72, 3e-5}, {1, 2e-7}} {
		p := sim.Default()
		p.Lanes, p.Steps, p.Start, p.Anchor, p.Sigma = 20000, 6, c.at, c.at, c.sigma
		res, err := cpu.Serial{}.Run(context.Background(), &sim.Job{Params: p, Daily: true})
		if err != nil {
			t.Fatal(err)
		}
		r := New(res, "serial")
		r.SetDaily(daily.Table(res.Params, res.Daily))
		var out strings.Builder
		if err := r.WriteText(&out); err != nil {
			t.Fatal(err)
		}
		var simulated, normal []float64
		days := 0
		for _, line := range strings.Split(out.String(), "\n") {
			f := strings.Fields(line)
			read := func(cells []string) []float64 {
				var xs []float64
				for _, cell := range cells {
					x, err := strconv.ParseFloat(cell, 64)
					if err != nil {
						t.Fatalf("start and anchor %g, sigma %g: cell %q of %q: %v", c.at, c.sigma, cell, line, err)
					}
					xs = append(xs, x)
				}
				return xs
			}
			switch {
			case len(f) == 3 && len(f[0]) == 3 && f[0][0] == 'p':
				xs := read(f[1:])
				simulated, normal = append(simulated, xs[0]), append(normal, xs[1])
			case len(f) == 10 && isDay(f[0]):
				days++
				if q := read(f[5:]); !increasing(q) {
					t.Errorf("start and anchor %g, sigma %g: day %s's quantiles read %q, not apart:\n%s", c.at, c.sigma, f[0], f[5:], out.String())
				}
			}
		}
		if days != p.Steps || len(simulated) != len(sim.QuantileLevels) {
			t.Fatalf("start and anchor %g, sigma %g: %d days and %d quantiles read from\n%s", c.at, c.sigma, days, len(simulated), out.String())
		}
		if !increasing(simulated) || !increasing(normal) {
			t.Errorf("start and anchor %g, sigma %g: the quantiles read %v and %v, not apart:\n%s", c.at, c.sigma, simulated, normal, out.String())
		}
	}
}

func isDay(s string) bool {
	_, err := strconv.Atoi(s)
	return err == nil
}

func increasing(xs []float64) bool {
	for i := 1; i < len(xs); i++ {
		if !(xs[i] > xs[i-1]) {
			return false
		}
	}
	return true
}

// TestFloatSumsDigits: a result whose moments a device without fp64 summed
// in float32 (sim.Summary.FloatDepth) prints no digit of its mean or std,
// final or per step, below its errors, which are float32's; the note says
// whose sums they are, and the JSON gives the depth. Read as float64's
// sums, the mean printed four decimals where the sums carry about three.
func TestFloatSumsDigits(t *testing.T) {
	const depth = 300 // as pocl's runs of a million lanes give (137, 530 with --daily)
	p := sim.Default()
	p.Lanes, p.Steps = 20000, 6
	res, err := cpu.Serial{}.Run(context.Background(), &sim.Job{Params: p, Daily: true})
	if err != nil {
		t.Fatal(err)
	}
	res.Summary.FloatDepth = depth
	for _, d := range res.Daily {
		d.FloatDepth = depth
	}
	r := New(res, "opencl")
	r.SetDaily(daily.Table(res.Params, res.Daily))
	var out, js strings.Builder
	if err := r.WriteText(&out); err != nil {
		t.Fatal(err)
	}
	if err := r.WriteJSON(&js); err != nil {
		t.Fatal(err)
	}
	me, se := res.Summary.MomentErrors(r.Analytic.Mean)
	cells := r.summaryCells()
	for i, c := range []struct {
		name string
		u    float64
	}{{"mean", me}, {"std", se}} {
		if cell := cells[i][0]; !strings.HasPrefix(cell, "<") && !(cellUnit(cell) > c.u/2) {
			t.Errorf("the %s prints %q, to %g, below its error %g", c.name, cell, cellUnit(cell), c.u)
		}
	}
	if !strings.Contains(out.String(), "(float32's sums (an OpenCL device without fp64) of the lanes' deviations") {
		t.Errorf("no note of float32's sums:\n%s", out.String())
	}
	var got struct {
		Summary struct {
			MeanError  float64 `json:"mean_error"`
			FloatDepth uint64  `json:"float_depth"`
		} `json:"summary"`
		Daily []struct {
			MeanError float64 `json:"mean_error"`
		} `json:"daily"`
	}
	if err := json.Unmarshal([]byte(js.String()), &got); err != nil {
		t.Fatal(err)
	}
	mu1, _ := p.Exact(1)
	me1, _ := res.Daily[0].MomentErrors(mu1)
	if got.Summary.FloatDepth != depth || got.Summary.MeanError != me || len(got.Daily) != p.Steps || got.Daily[0].MeanError != me1 {
		t.Errorf("JSON float_depth %d, mean_error %g, day 1's %v; want %d, %g, %g", got.Summary.FloatDepth, got.Summary.MeanError, got.Daily, depth, me, me1)
	}
	res.Summary.FloatDepth = 0
	if me64, _ := res.Summary.MomentErrors(r.Analytic.Mean); !(me64 < me/100) {
		t.Errorf("float64's error %g is not far below float32's %g: the test shows nothing", me64, me)
	}
}

// TestCarriedDigitsNoted: a run of 2^32 lanes on float64's sums (simd's)
// carries its mean to about 1e-4, fewer digits than the table's four
// decimals: the table writes the digits carried in the table's own
// notation (it read 7.2003e+01 beside the exact 72.0029), and the line
// under the table says so, as README and docs/reproducibility.md, section
// 6, promise (there was none: the note compared the error with the cut
// cell's last digit, which is above it by construction).
func TestCarriedDigitsNoted(t *testing.T) {
	p := sim.Default()
	p.Lanes = 20000
	res, err := cpu.Serial{}.Run(context.Background(), &sim.Job{Params: p})
	if err != nil {
		t.Fatal(err)
	}
	r := New(res, "simd")
	// The bound 2^32 lanes of this model gave (MomentErrors grows with
	// the count): 3e-4 degrees.
	const me = 3e-4
	r.Summary.MeanError = me
	var out strings.Builder
	if err := r.WriteText(&out); err != nil {
		t.Fatal(err)
	}
	cell := r.summaryCells()[0][0]
	if want := strconv.FormatFloat(float64(r.Summary.Mean), 'f', 3, 64); cell != want {
		t.Errorf("the mean reads %q for %.6f carried to %g; want %s", cell, float64(r.Summary.Mean), me, want)
	}
	if !strings.Contains(out.String(), "(float64's sums of the lanes' deviations from the exact mean") || !strings.Contains(out.String(), "carry the mean to about +/-0.0003:") {
		t.Errorf("no line under the table says the mean carries fewer digits:\n%s", out.String())
	}
}

// TestTimeLineDigits: the time line writes the time per lane-step to three
// significant digits, as bench's tables do (count.Sig3), in ns below a
// microsecond and in µs, ms or s above: a one-lane shard's 67999.8 ns read
// "67999.80", with seven, then "68000 ns". Its lane-steps per second are
// in SI, as bench's tables and the progress bar write rates (count.SI):
// they read "7.04e+08 lane-steps/s".
func TestTimeLineDigits(t *testing.T) {
	for _, c := range []struct {
		lanes uint64
		steps int
		wall  time.Duration
		want  string
	}{
		{5_000_000, 10, 71 * time.Millisecond, ", 1.42 ns per lane-step, 704M lane-steps/s\n"},
		{1000, 10, 237 * time.Microsecond, ", 23.7 ns per lane-step, 42.2M lane-steps/s\n"},
		{1, 10, 679998 * time.Nanosecond, ", 68 µs per lane-step, 14.7k lane-steps/s\n"},
		// A millisecond per lane-step read "5e+06 ns" (count.Sig3: gpusim
		// run --engine opencl --lanes 1 --steps 1 as its program compiled
		// wrote "8.69e+06 ns per lane-step").
		{1, 1, 5 * time.Millisecond, ", 5 ms per lane-step, 200 lane-steps/s\n"},
		// A slow shard's lane-step read "1.72M ns" (a new user's find).
		{2, 1, 3440 * time.Microsecond, ", 1.72 ms per lane-step, 581 lane-steps/s\n"},
		{1, 1, 2500 * time.Millisecond, ", 2.5 s per lane-step, 0.4 lane-steps/s\n"},
		{1, 1, 999600 * time.Nanosecond, ", 1 ms per lane-step, 1k lane-steps/s\n"},
		{1e9, 1000, 250 * time.Millisecond, ", 0.00025 ns per lane-step, 4T lane-steps/s\n"},
	} {
		p := sim.Default()
		p.Lanes, p.Steps = c.lanes, c.steps
		s := sim.NewSummary(p)
		b := sim.NewBlock(0)
		b.Add(0, 70)
		s.AddBlock(&b)
		s.Count = c.lanes
		var out strings.Builder
		if err := New(&sim.Result{Params: p, Summary: s, Timing: sim.Timing{Wall: c.wall}}, "serial").WriteText(&out); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(out.String(), c.want) {
			t.Errorf("%d lanes x %d steps in %v: the time line is not %q:\n%s", c.lanes, c.steps, c.wall, c.want, out.String())
		}
	}
}

// TestHTMLDailyNoSteps: a --daily run of no steps has its fan chart on the
// page, the day-0 point that --plot-daily draws: the page left it out
// (days empty, not nil), so the two outputs of one run disagreed.
func TestHTMLDailyNoSteps(t *testing.T) {
	p := sim.Default()
	p.Lanes, p.Steps = 100, 0
	res, err := cpu.Serial{}.Run(context.Background(), &sim.Job{Params: p, Daily: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		days []daily.Day
		want int
	}{{nil, 1}, {daily.Table(p, res.Daily), 2}} {
		r := New(res, "serial")
		if c.days != nil {
			r.SetDaily(c.days)
		}
		var page bytes.Buffer
		if err := r.WriteHTML(&page, res, c.days); err != nil {
			t.Fatal(err)
		}
		if got := strings.Count(page.String(), "<svg"); got != c.want {
			t.Errorf("days %v: %d charts on the page, want %d", c.days, got, c.want)
		}
		if fan := strings.Contains(page.String(), "Fan chart"); fan != (c.days != nil) {
			t.Errorf("days %v: fan chart on the page %v, want %v", c.days, fan, c.days != nil)
		}
	}
}

// TestSavedLine: a part's saved line counts its lanes as some of the job's
// (shard 0/4 of 100000 lanes read "part of 25000 lanes", as if the job were
// 25000 lanes), and at the largest counts it fits fileLineMost, the room
// NamesMost leaves it beside the name, in the page too, where ' is &#39;.
func TestSavedLine(t *testing.T) {
	for _, c := range []struct {
		lanes, count uint64
		want         string
	}{
		{100000, 25000, "saved     s0.json (25000 of the job's 100000 lanes; gpusim merge combines parts)\n"},
		{2, 1, "saved     s0.json (1 of the job's 2 lanes; gpusim merge combines parts)\n"},
		{math.MaxUint64, math.MaxUint64 - 1, ""},
	} {
		p := sim.Default()
		p.Lanes = c.lanes
		s := sim.NewSummary(p)
		s.Count = c.count
		r := New(&sim.Result{Params: p, Summary: s}, "serial")
		r.Save = "s0.json"
		var out strings.Builder
		if err := r.WriteText(&out); err != nil {
			t.Fatal(err)
		}
		i := strings.Index(out.String(), "saved ")
		if i < 0 {
			t.Fatalf("%d of %d lanes: no saved line in\n%s", c.count, c.lanes, out.String())
		}
		line, _, _ := strings.Cut(out.String()[i:], "\n")
		line += "\n"
		if c.want != "" && line != c.want {
			t.Errorf("%d of %d lanes: got %q, want %q", c.count, c.lanes, line, c.want)
		}
		if n := len(line) - len(r.Save) + 4*strings.Count(line, "'"); n > fileLineMost {
			t.Errorf("%d of %d lanes: the saved line takes %d bytes beside the name, fileLineMost %d", c.count, c.lanes, n, fileLineMost)
		}
	}
}

// TestJSONSecondsDigits: the JSON's times are a duration's seconds with
// no binary tail (jsonnum.Seconds): a run of 1.26494772 s read "wall_s":
// 1.2649477199999999 (time.Duration.Seconds), and each of the other
// timing fields alike.
func TestJSONSecondsDigits(t *testing.T) {
	p := sim.Default()
	p.Lanes = 1000
	s := sim.NewSummary(p)
	b := sim.NewBlock(0)
	b.Add(0, 70)
	s.AddBlock(&b)
	s.Count = p.Lanes
	d := 1264947720 * time.Nanosecond
	res := &sim.Result{Params: p, Summary: s, Timing: sim.Timing{Wall: d, Compile: d, Kernel: d, Transfer: d, Startup: d}}
	var out strings.Builder
	if err := New(res, "serial").WriteJSON(&out); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"wall_s", "compile_s", "kernel_s", "transfer_s", "startup_s"} {
		if want := `"` + f + `": 1.26494772,`; !strings.Contains(out.String(), want) {
			t.Errorf("the JSON has no %s:\n%s", want, out.String())
		}
	}
}

// TestTimingLineShort: the OpenCL engine's timing line gives a kernel and
// a transfer under half a millisecond as they are: gpusim run --engine
// opencl --lanes 1 --steps 1 wrote "kernel 0.000 s, transfer 0.000 s" (%.3f
// s), and a wall of 400 ns read "0 µs".
func TestTimingLineShort(t *testing.T) {
	p := sim.Default()
	p.Lanes, p.Steps = 1, 1
	s := sim.NewSummary(p)
	b := sim.NewBlock(0)
	b.Add(0, 70)
	s.AddBlock(&b)
	s.Count = p.Lanes
	tm := sim.Timing{Wall: 400 * time.Nanosecond, Startup: 999200 * time.Microsecond, Compile: 0, Kernel: 85 * time.Microsecond, Transfer: 300 * time.Nanosecond}
	var out strings.Builder
	if err := New(&sim.Result{Params: p, Summary: s, Timing: tm}, "opencl").WriteText(&out); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"time      400 ns wall", "start-up 999 ms (compile 0 s), kernel 85 µs, transfer 300 ns\n"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("the text has no %q:\n%s", want, out.String())
		}
	}
}
