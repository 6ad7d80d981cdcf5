package bench

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/gpusim/gpusim/internal/plots"
	"github.com/gpusim/gpusim/sim"
)

// outsizeSeed and outsizeReports: the reports TestMaxSizes draws for each
// plan, beside the largest and a real run.
const (
	outsizeSeed    = 17
	outsizeReports = 40
)

// sizePlans are the plans TestMaxSizes bounds: the default suite on every
// kind of engine, the quick one, a single engine with one worker count,
// and long lists (many workers, sweep sizes and workloads, 1 to 2^64-1
// lanes).
func sizePlans() []Plan {
	specs := []EngineSpec{{Name: "serial"}, {Name: "parallel", Scales: true}, {Name: "simd", Scales: true}, {Name: "opencl:0", Device: true}, {Name: "opencl:1", Device: true}, {Name: "processes", Scales: true}}
	def, quick, one, long := Default(), Quick(), Default(), Default()
	one.Workloads, one.Workers, one.Sweep = []Workload{{1, 1}}, []int{1}, nil
	long.Workloads = Cross([]uint64{1, 1000, math.MaxUint64}, []int{1, min(1<<32, math.MaxInt)})
	long.Workers = []int{1, 2, 3, 4, 8, 16, 64, 256, 1000, 1024}
	long.Sweep = []uint64{1, 10, 100, 1000, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e12, math.MaxUint64}
	long.SweepSteps = min(1<<32, math.MaxInt)
	long.PythonOnly = "loop,matrix"
	return []Plan{
		{Config: &def, Specs: specs, Notes: []string{"simd left out: no \"AVX\" <here> & | * _ there"}},
		{Config: &quick, Specs: specs[:3]},
		{Config: &one, Specs: specs[:1]},
		{Config: &long, Specs: specs, Notes: []string{strings.Repeat("--lanes gives 5M more than once", 40)}},
	}
}

// TestMaxSizes: Plan.MaxSizes bounds every chart, the HTML page and the
// Markdown section of every report a benchmark of the plan can make: the
// largest report itself, random ones (times from a nanosecond to 292
// years, speedups and predicted P of every size, z-scores of 1e300, ranges
// of ns per lane-step narrow and wide, engines failed or left out, Python
// versions skipped or off the law, texts of every character the formats
// escape, up to TextMost and beyond, clipped as Run clips them), and the
// report of a real run of the quick plan's kind. bench wrote these after a
// benchmark of minutes without a look at the disk.
func TestMaxSizes(t *testing.T) {
	rng := rand.New(rand.NewPCG(outsizeSeed, 0))
	formats := []string{"png", "svg"}
	for i, p := range sizePlans() {
		most, err := p.MaxSizes(formats)
		if err != nil {
			t.Fatal(err)
		}
		want := ChartFiles(p.Config, formats)
		if len(most.Charts) != len(want) {
			t.Errorf("plan %d: bounds for %d charts, want %d (%v)", i, len(most.Charts), len(want), want)
		}
		reports := []*Report{p.largest('"'), p.largest('<')}
		for range outsizeReports {
			reports = append(reports, p.random(rng))
		}
		for j, r := range reports {
			checkSizes(t, i, j, r, most)
		}
	}
	rep, err := Run(context.Background(), tinyConfig(), CPUEngines())
	if err != nil {
		t.Fatal(err)
	}
	p := Plan{Config: ptr(tinyConfig()), Specs: CPUEngines()}
	most, err := p.MaxSizes(formats)
	if err != nil {
		t.Fatal(err)
	}
	checkSizes(t, -1, 0, rep, most)
}

func ptr[T any](v T) *T { return &v }

// checkSizes checks that each of r's outputs is within most.
func checkSizes(t *testing.T, plan, report int, r *Report, most Sizes) {
	t.Helper()
	cs, err := charts(r)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cs {
		for _, f := range []string{"svg", "png"} {
			var b bytes.Buffer
			if f == "png" && report > 2 {
				continue // PNG's bound is its pixels' (plots.TestMaxPNGSize); one is enough
			}
			if err := plots.Write(c.plot, &b, f, c.height); err != nil {
				t.Fatal(err)
			}
			if n, ok := most.Charts[c.name+"."+f]; !ok || uint64(b.Len()) > n {
				t.Errorf("plan %d, report %d: %s.%s is %d bytes, bound %d (%v)", plan, report, c.name, f, b.Len(), n, ok)
			}
		}
	}
	var page, md bytes.Buffer
	if err := r.WriteHTML(&page); err != nil {
		t.Fatal(err)
	}
	if err := r.WriteMarkdown(&md); err != nil {
		t.Fatal(err)
	}
	if uint64(page.Len()) > most.HTML {
		t.Errorf("plan %d, report %d: the page is %d bytes, bound %d", plan, report, page.Len(), most.HTML)
	}
	if uint64(md.Len()) > most.Markdown || uint64(bytes.Count(md.Bytes(), []byte("\n"))) > most.MarkdownLines {
		t.Errorf("plan %d, report %d: the section is %d bytes of %d lines, bound %d and %d", plan, report, md.Len(), bytes.Count(md.Bytes(), []byte("\n")), most.Markdown, most.MarkdownLines)
	}
}

// random is a report a benchmark of p may give, drawn from rng, its texts
// clipped as Run clips them.
func (p Plan) random(rng *rand.Rand) *Report {
	c := p.Config
	text := func() string { return randomText(rng) }
	dur := func() time.Duration { return time.Duration(math.Exp(rng.Float64() * math.Log(float64(longest)))) }
	num := func() float64 {
		switch rng.IntN(4) {
		case 0:
			return 0
		case 1:
			return -math.Exp(rng.NormFloat64() * 100)
		}
		return math.Exp(rng.NormFloat64() * 40)
	}
	r := &Report{Mode: c.Mode, Started: time.Now(), Elapsed: Seconds(dur().Seconds()), Params: ModelOf(c.Params), Reps: c.Reps, Warmup: c.Warmup, Baseline: p.Specs[0].Name,
		Machine: Machine{CPU: text(), Cores: rng.IntN(1 << 20), GOMAXPROCS: rng.IntN(1 << 20), Go: text(), OS: "linux", Arch: "amd64", SIMD: []string{"avx2"}}}
	if rng.IntN(2) == 0 {
		r.Machine.DevicesNote = text()
	}
	for _, s := range p.Specs {
		if s.Device {
			r.Machine.Devices = append(r.Machine.Devices, text())
		}
	}
	for _, w := range c.Workloads {
		wr := WorkloadResult{Workload: w, Digest: Digest(rng.Uint64())}
		for k, s := range p.Specs {
			if k > 0 && rng.IntN(8) == 0 { // a workload no engine ran has no chart
				f := EngineFailure{Engine: s.Name, Workload: w, Error: text()}
				r.Notes = append(r.Notes, "failed: "+text())
				if rng.IntN(2) == 0 {
					f.Hint = text()
					r.Notes = append(r.Notes, f.hintNote())
				}
				r.Failures = append(r.Failures, f)
				continue
			}
			med := dur()
			m := Measurement{Engine: s.Name, Device: text(), Workload: w, Wall: Stats{N: c.Reps, Median: med, Min: dur(), Max: dur()}, Cold: dur(),
				NsPerLaneStep: float64(med) / w.LaneSteps(), LaneStepsPerS: w.LaneSteps() / med.Seconds(), Speedup: num(), Digest: Digest(rng.Uint64())}
			if s.Device {
				m.Compile, m.Transfer, m.Kernel = dur(), dur(), dur()
			}
			if s.Scales && rng.IntN(2) == 0 {
				m.Startup, m.Merge = dur(), dur()
			}
			wr.Engines = append(wr.Engines, m)
		}
		r.Workloads = append(r.Workloads, wr)
	}
	p.randomScaling(rng, r, dur, num)
	p.randomSweep(rng, r, dur)
	p.randomPython(rng, r, text, num)
	randomLoad(rng, r, dur)
	r.clipTexts()
	r.Notes = append(cloneStrings(p.Notes), r.Notes...)
	return r
}

// randomLoad adds to r, for each of its tables drawn from rng, a note that
// the machine was busy while it was measured.
func randomLoad(rng *rand.Rand, r *Report, dur func() time.Duration) {
	for _, table := range []string{"engines", "scaling", "sweep"} {
		if !r.hasTable(table) || rng.IntN(2) == 0 {
			continue
		}
		cpus := 1 + rng.IntN(1<<20)
		l := Load{Table: table, OtherCPUs: float64(cpus) * rng.Float64(), CPUs: cpus, Wall: Seconds(dur().Seconds()), Busy: true}
		if rng.IntN(2) == 0 {
			l.Peak = &Peak{Engine: "processes/65536", Workload: Workload{math.MaxUint64, sim.MaxSteps}, OtherCPUs: float64(cpus), Wall: Seconds(dur().Seconds()), Overhead: rng.IntN(2) == 0}
		}
		r.Load = append(r.Load, l)
		r.Notes = append(r.Notes, l.note())
	}
}

func cloneStrings(s []string) []string { return append([]string(nil), s...) }

// randomScaling adds to r a scaling table of p drawn from rng.
func (p Plan) randomScaling(rng *rand.Rand, r *Report, dur func() time.Duration, num func() float64) {
	c := p.Config
	if !c.Scaling || len(c.Workloads) == 0 {
		return
	}
	for _, s := range p.Specs {
		if !s.Scales || rng.IntN(6) == 0 {
			continue
		}
		sc := Scaling{Engine: s.Name, Workload: c.Workloads[0], PredictedP: 1 - math.Abs(num())} // 1 - overhead/median
		if rng.IntN(3) == 0 {
			sc.FitNote = s.Name + " starts 1 goroutine at most on " + c.Workloads[0].String() + ", so every worker count ran as one"
		} else {
			sc.Fit = &AmdahlFit{P: rng.Float64(), Limit: num(), RMS: num(), Points: rng.IntN(1100), Range: &[2]float64{rng.Float64(), rng.Float64()}}
		}
		for _, n := range c.workers() {
			one := time.Duration(1)
			if rng.IntN(2) == 0 {
				one = longest
			}
			sc.Points = append(sc.Points, ScalingPoint{Workers: n, Ran: 1 + rng.IntN(n), Wall: Stats{N: c.Reps, Median: dur()}, NsPerLaneStep: num(),
				Speedup: []float64{1 / float64(longest), float64(one), rng.Float64() * float64(n)}[rng.IntN(3)], Efficiency: math.Abs(num()), Overhead: dur(),
				Oversubscribed: rng.IntN(2) == 0, SpeedupRange: []*[2]float64{nil, {num(), num()}}[rng.IntN(2)]})
		}
		r.Scaling = append(r.Scaling, sc)
		if rng.IntN(2) == 0 {
			r.Notes = append(r.Notes, s.Name+" starts 2 goroutines at most (one a block of lanes): the scaling table's larger worker counts run the same (raise the lanes)")
		}
	}
}

// randomSweep adds to r a sweep of p drawn from rng: its ns per lane-step
// over every range a measurement gives, or a narrow one.
func (p Plan) randomSweep(rng *rand.Rand, r *Report, dur func() time.Duration) {
	c := p.Config
	if len(c.Sweep) == 0 {
		return
	}
	sw := &Sweep{Steps: c.SweepSteps, Reps: c.SweepReps, Warmup: c.Warmup}
	for _, n := range c.Sweep {
		if !hasLanes(sw.Lanes, n) {
			sw.Lanes = append(sw.Lanes, n)
		}
	}
	narrow := rng.IntN(2) == 0
	for _, s := range p.Specs {
		ss := SweepSeries{Engine: s.Name}
		for _, n := range sw.Lanes {
			ns := float64(dur()) / Workload{n, c.SweepSteps}.LaneSteps()
			if narrow {
				ns = 5 + rng.Float64()*1e-12
			}
			ss.Points = append(ss.Points, SweepPoint{Lanes: n, Wall: Stats{N: c.SweepReps, Median: dur()}, NsPerLaneStep: ns})
		}
		sw.Series = append(sw.Series, ss)
	}
	r.Sweep = sw
	for _, pr := range DefaultPairs(p.Specs) {
		cr := Crossover{Pair: pr, Status: []string{CrossoverFound, CrossoverAlways, CrossoverNone}[rng.IntN(3)]}
		if cr.Status == CrossoverFound {
			cr.Lanes = math.Exp(rng.Float64() * 44)
		}
		r.Crossovers = append(r.Crossovers, cr)
	}
}

func hasLanes(s []uint64, n uint64) bool {
	for _, x := range s {
		if x == n {
			return true
		}
	}
	return false
}

// randomPython adds to r a Python baseline of p drawn from rng: versions
// run, skipped, off the law, with z-scores of every size.
func (p Plan) randomPython(rng *rand.Rand, r *Report, text func() string, num func() float64) {
	c := p.Config
	if !c.Python {
		return
	}
	py := &PythonReport{Interpreter: text(), Python: text(), NumPy: text(), Cores: rng.IntN(1 << 20),
		Modules: map[string]string{"python3-numba": text(), "python3-joblib": text()}, Setup: map[string]float64{"numba": num(), "joblib": num()}}
	switch rng.IntN(4) {
	case 0:
		py.Skipped = text()
	case 1:
		py.Failed = text()
	}
	only := c.PythonOnly
	if only == "" {
		only = pythonVersions
	}
	for _, w := range c.Workloads {
		for m := range strings.SplitSeq(only, ",") {
			res := PythonResult{Workload: w, Method: m, Package: methodPackage(m)}
			if rng.IntN(3) == 0 {
				res.Skipped, res.Failed = text(), rng.IntN(2) == 0
			} else {
				res.SampleLanes, res.Scaled, res.Device = rng.Uint64(), true, text()
				if w.Steps > 1 && rng.IntN(2) == 0 {
					res.SampleSteps = 1 + rng.IntN(w.Steps-1) // a time budget spent
				}
				res.WorkloadSeconds, res.NsPerLaneStep = dur(rng).Seconds(), num()
				res.Law = CheckLaw(c.params(w), res.SampleLanes, num(), num())
				if !res.Law.OK {
					r.Notes = append(r.Notes, "disagrees with the exact law: python/"+m+": "+text())
				}
			}
			py.Results = append(py.Results, res)
		}
	}
	r.Python = py
}

func dur(rng *rand.Rand) time.Duration {
	return time.Duration(math.Exp(rng.Float64() * math.Log(float64(longest))))
}

// randomText is a text of up to 1.5 TextMost bytes of the characters the
// formats escape (HTML's quotes, <, >, &, +; Markdown's |, *, _, \),
// letters, digits, spaces and two-byte runes.
func randomText(rng *rand.Rand) string {
	const chars = "\"'<>&+|*_\\ aZ09.-µé\n"
	runes := []rune(chars)
	n := rng.IntN(TextMost * 3 / 2)
	if rng.IntN(3) == 0 {
		n = rng.IntN(40)
	}
	var b strings.Builder
	for b.Len() < n {
		b.WriteRune(runes[rng.IntN(len(runes))])
	}
	return b.String()
}

// TestClip: clip leaves a text of TextMost bytes as it is, and cuts a
// longer one to at most TextMost bytes at a rune boundary, ending in "…".
func TestClip(t *testing.T) {
	if s := strings.Repeat("a", TextMost); clip(s) != s {
		t.Errorf("a text of TextMost bytes was cut")
	}
	for _, s := range []string{strings.Repeat("a", TextMost+1), strings.Repeat("µ", TextMost)} {
		c := clip(s)
		if len(c) > TextMost || !strings.HasSuffix(c, "…") || !strings.HasPrefix(s, strings.TrimSuffix(c, "…")) || strings.ContainsRune(c, '\uFFFD') {
			t.Errorf("clip of %d bytes: %d bytes, %q", len(s), len(c), c[len(c)-8:])
		}
	}
}

// TestReportUTF8: every format of a report is UTF-8, a text found as the
// benchmark ran that is not (an interpreter's path, a script's error) written
// as Go quotes it, alike in each: the path with bytes \xff\xfe went into the
// HTML page that says it is UTF-8, the Markdown and the text as it was, and
// into JSON as U+FFFD, where it no longer named the interpreter.
func TestReportUTF8(t *testing.T) {
	const path, died = "/tmp/odd<i>&\"'\xff\xfe\ndir/py", "bad \xff\xfe bytes"
	r := sampleReport()
	r.Python.Interpreter, r.Python.Failed = path, died
	r.Python.Results[0].Skipped, r.Python.Results[0].Failed = died, true
	r.Notes = append(r.Notes, "python/loop failed: "+died)
	r.Machine.CPU = "cpu \xff"
	r.clipTexts()
	for name, write := range map[string]func(io.Writer) error{"text": r.WriteText, "markdown": r.WriteMarkdown, "html": r.WriteHTML, "csv": r.WriteCSV, "json": r.WriteJSON} {
		var b bytes.Buffer
		if err := write(&b); err != nil {
			t.Fatal(err)
		}
		if !utf8.Valid(b.Bytes()) {
			t.Errorf("%s: not UTF-8", name)
		}
		// Markdown and JSON escape the backslashes again: \\xff reads \xff.
		want := `\xff\xfe`
		if name == "markdown" || name == "json" {
			want = `\\xff\\xfe`
		}
		if !bytes.Contains(b.Bytes(), []byte(want)) {
			t.Errorf("%s: no %s for the bytes", name, want)
		}
	}
	if r.Python.Interpreter != strconv.Quote(path) {
		t.Errorf("interpreter %s, want %s", r.Python.Interpreter, strconv.Quote(path))
	}
	if s := ValidText("µ \\xff \""); s != "µ \\xff \"" {
		t.Errorf("ValidText changed a UTF-8 text: %s", s)
	}
}

// TestClipMethod: a Python result's method is clipped as its other texts
// are: 200 results named with 2 KB each made a page of 2.0 MB. Its package
// and limit are kept only as the script may name them (toolPackages,
// pythonLimits).
func TestClipMethod(t *testing.T) {
	r := sampleReport()
	r.Python.Results[0].Method = strings.Repeat("m", 2*TextMost)
	r.Python.Results[0].Description = strings.Repeat("d", 2*TextMost)
	r.clipTexts()
	if p := r.Python.Results[0]; len(p.Method) > TextMost || len(p.Description) > TextMost {
		t.Errorf("method of %d bytes and description of %d, want at most %d", len(p.Method), len(p.Description), TextMost)
	}
	// A package and a limit only as the script may name them: 1 KiB of
	// each went into the report, which the bound counts at none.
	r.Python.Results[0].Package, r.Python.Results[0].Limit = "python3-"+strings.Repeat("x", 2*TextMost), "threads "+strings.Repeat("x", 2*TextMost)
	r.Python.Results[1].Package, r.Python.Results[1].Limit = "python3-pyopencl", "memory"
	r.clipTexts()
	if p, q := r.Python.Results[0], r.Python.Results[1]; p.Package != "" || p.Limit != "" || q.Package != "python3-pyopencl" || q.Limit != "memory" {
		t.Errorf("package %.20q and limit %.20q, then %q and %q; want none, then python3-pyopencl and memory", p.Package, p.Limit, q.Package, q.Limit)
	}
}

// TestMaxReportSize: the report, in each format, of the largest report of
// each plan with its texts of the characters each format escapes longest,
// and of random ones, is within Plan.MaxReportSize.
func TestMaxReportSize(t *testing.T) {
	rng := rand.New(rand.NewPCG(outsizeSeed, 1))
	for i, p := range sizePlans() {
		reports := []*Report{p.largest('"'), p.largest('<'), p.largest('\x01'), p.largest('a')}
		for range outsizeReports {
			reports = append(reports, p.random(rng))
		}
		for _, format := range Formats {
			most, err := p.MaxReportSize(format)
			if err != nil {
				t.Fatal(err)
			}
			for j, r := range reports {
				var b bytes.Buffer
				if err := r.Write(&b, format); err != nil {
					t.Fatal(err)
				}
				if uint64(b.Len()) > most {
					t.Errorf("plan %d, report %d: the %s report is %d bytes, bound %d", i, j, format, b.Len(), most)
				}
			}
		}
	}
}

// TestMaxSizesNoisy: Plan's bounds count the noisy notes (noteNoisy): the
// largest report of each plan, without the repeats Plan adds, with every
// configuration measured twice lying apart (the Engines table's runs at
// 2 ms, the Scaling and Sweep tables' at longest, every device alike), as
// noteNoisy and clipTexts leave it, is within every bound in every format
// with its numbers at their longest (checkGrown). The bound left out up to
// two notes per engine per workload, of up to TextMost bytes each; the
// CSV's noisy rows (two a repeat) are counted as the largest's repeats:
// without them plan 3's CSV was 881753 bytes against a bound of 658628.
// It compared the reports as written, unGrown, while checkGrown counted
// 1e+09 as two numbers (plan 0's CSV 760 bytes over its bound).
func TestMaxSizesNoisy(t *testing.T) {
	for i, p := range sizePlans() {
		if r := mostNoisy(p, 'a'); len(r.Noisy) == 0 && (len(r.Scaling) > 0 || r.Sweep != nil) {
			t.Errorf("plan %d: no repeat is noisy", i)
		}
		checkGrown(t, fmt.Sprintf("plan %d, noisy", i), p, func(fill rune) *Report { return mostNoisy(p, fill) })
	}
}

// TestNumAllowanceExponent: a number written with an exponent (1e+09,
// 1.5E-07) is one number of numAllowance, its allowance the most less its
// whole length; an "e" followed by no digit ends the number before it.
// The digits after the "e" counted as a second number. A digest (16 hex
// digits) is no number: "da83691e54ff98ed" counted as two.
func TestNumAllowanceExponent(t *testing.T) {
	const most = 40
	for text, want := range map[string]uint64{
		"1e+09":             most - 5,
		"x 1.5E-07 y":       most - 7,
		"2e9,3":             most - 3 + most - 1,
		"2e, 3e+x":          most - 1 + most - 1,
		"12.5 s":            most - 4,
		"median 4.2e-05 s;": most - 7,
		// A digest is 16 hex digits, never longer: no allowance.
		"digest da83691e54ff98ed,": 0,
		"da83691e54ff98ed":         0,
		`"900cbf39cf871412"`:       0,
		"1234567890123456":         most - 16,                      // decimal: a number
		"da83691e54ff98ed7":        most - 8 + most - 2 + most - 1, // 17: a word
		"xda83691e54ff98ed":        most - 8 + most - 2,
	} {
		if got := numAllowance([]byte(text), most, false); got != want {
			t.Errorf("numAllowance(%q) = %d, want %d", text, got, want)
		}
	}
}

// mostNoisy is p's largest report with fill, its repeats made again by
// noteNoisy where every configuration measured twice lies apart.
func mostNoisy(p Plan, fill rune) *Report {
	r := p.largest(fill)
	r.Notes = r.Notes[:len(r.Notes)-len(r.Noisy)] // largestNoisy's, last
	r.Noisy = nil
	far := Stats{N: 3, Median: longest, Min: longest, Max: longest}
	for i := range r.Workloads {
		for j := range r.Workloads[i].Engines {
			m := &r.Workloads[i].Engines[j]
			m.Workers, m.Wall = 0, Stats{N: 3, Median: 2 * time.Millisecond, Min: 2 * time.Millisecond, Max: 2 * time.Millisecond}
		}
	}
	for i := range r.Scaling {
		for j := range r.Scaling[i].Points {
			pt := &r.Scaling[i].Points[j]
			pt.Device, pt.Wall = r.Workloads[0].Engines[0].Device, far // as largest has it
		}
	}
	if r.Sweep != nil {
		for i := range r.Sweep.Series {
			for j := range r.Sweep.Series[i].Points {
				r.Sweep.Series[i].Points[j].Wall = far
			}
		}
	}
	noteNoisy(r)
	r.clipTexts()
	return r
}

// checkGrown checks that the report mk makes of each fill, each number of
// it written at the longest the bound's allowance counts (numInText
// bytes; numInTag inside a tag of the page), is within p's bounds: the
// report in each format (MaxReportSize), the page and the Markdown section
// (MaxSizes). A part of the report the largest leaves out, or writes
// shorter than a real report can, is then caught however much slack the
// other numbers' allowance leaves: the bound is the largest report so
// grown.
func checkGrown(t *testing.T, what string, p Plan, mk func(fill rune) *Report) {
	t.Helper()
	for _, f := range Formats {
		bound, err := p.MaxReportSize(f)
		if err != nil {
			t.Fatal(err)
		}
		var plain bytes.Buffer
		if err := mk('a').Write(&plain, f); err != nil {
			t.Fatal(err)
		}
		grow := numAllowance(plain.Bytes(), numInText, false)
		for _, fill := range []rune{'a', '"', '<'} {
			var b bytes.Buffer
			if err := mk(fill).Write(&b, f); err != nil {
				t.Fatal(err)
			}
			if n := uint64(b.Len()) + grow; n > bound {
				t.Errorf("%s, fill %q: the %s report is %d bytes, %d with its numbers at their longest, bound %d", what, fill, f, b.Len(), n, bound)
			}
		}
	}
	most, err := p.MaxSizes([]string{"svg"})
	if err != nil {
		t.Fatal(err)
	}
	var page, md bytes.Buffer
	if err := mk('"').WriteHTML(&page); err != nil {
		t.Fatal(err)
	}
	if n := uint64(page.Len()) + allowance(page.Bytes(), numInText); n > most.HTML {
		t.Errorf("%s: the page is %d bytes, %d with its numbers at their longest, bound %d", what, page.Len(), n, most.HTML)
	}
	if err := mk('<').WriteMarkdown(&md); err != nil {
		t.Fatal(err)
	}
	if n := uint64(md.Len()) + allowance(md.Bytes(), numInText); n > most.Markdown {
		t.Errorf("%s: the section is %d bytes, %d with its numbers at their longest, bound %d", what, md.Len(), n, most.Markdown)
	}
}

// TestMaxSizesLoad: Plan's bounds count the load entries (Report.Load):
// the largest report of each plan with every table's entry as Run makes
// it, busy with a peak on the Scaling table's overhead column, named as
// the longest engine and worker count that table measures, is within
// every bound in every format (checkGrown); its notes, one a busy table,
// are the largest's, each TextMost bytes of fill, as long as a load note
// clipped (clip) can be. Each is not judged too (NotJudged), as the largest's
// are, for the longest words of each form. The bound counted no entry,
// and three, each with a peak, took the default plan's JSON 1782 bytes
// over it.
func TestMaxSizesLoad(t *testing.T) {
	for i, p := range sizePlans() {
		nameOf := func(scales bool) string {
			name := ""
			for _, s := range p.Specs {
				if (s.Scales || !scales) && len(s.Name) > len(name) {
					name = s.Name
				}
			}
			return name
		}
		checkGrown(t, fmt.Sprintf("plan %d", i), p, func(fill rune) *Report {
			r := p.largest(fill)
			r.Load = nil
			for _, table := range []string{"engines", "scaling", "sweep"} {
				if !r.hasTable(table) {
					continue
				}
				label, w := nameOf(false), r.Workloads[0].Workload
				switch table {
				case "scaling":
					label = nameOf(true) + "/" + strconv.Itoa(slices.Max(p.Config.workers()))
				case "sweep":
					w = Workload{slices.Max(r.Sweep.Lanes), r.Sweep.Steps}
				}
				const cpus = 1 << 20
				l := Load{Table: table, OtherCPUs: cpus / 3.0, CPUs: cpus, Wall: 123456.789, Busy: true, NotJudged: true,
					Peak: &Peak{Engine: label, Workload: w, OtherCPUs: cpus / 7.0, Wall: 1234.56789, Overhead: table == "scaling"}}
				if len(clip(l.note())) > TextMost {
					t.Fatalf("a load note of %d bytes", len(clip(l.note())))
				}
				r.Load = append(r.Load, l)
			}
			if len(r.Load) == 0 {
				t.Fatalf("plan %d: no table", i)
			}
			return r
		})
	}
}

// TestMaxSizesForms: Plan's bounds count each form a part of the report
// takes that the largest report does not (checkGrown): every Python
// version skipped, or failed, with its description, the package and limit
// the script names (2 KiB each, as clipTexts leaves them) and
// its reason, the largest's note for it as though skipped replaced by the
// table's; every version's description, mean and std; every scaling table
// without a fit, its note the longest (every count above 1 left out) and
// its cores the CPUs fewer than GOMAXPROCS; those cores beside a fit; and
// every crossover found, with the sizes below it where the challenger was
// faster. The bound left out the descriptions (the default plan's JSON
// 87640 bytes over it, its CSV 28672), fit_note (the long plan's JSON 867)
// and cores_from (the default plan's text 20, JSON 84), a crossover's
// lanes (JSON 15), and counted a skipped version's package and limit at
// none, where clipTexts kept 1 KiB of each (the one-engine plan's page
// 18654 bytes over it, its text 409).
func TestMaxSizesForms(t *testing.T) {
	skip := func(failed bool) func(p Plan, r *Report, fill rune) {
		return func(p Plan, r *Report, fill rune) {
			text := r.Machine.CPU // TextMost bytes of fill
			long := text + text
			r.Notes = slices.DeleteFunc(r.Notes, func(n string) bool { return n == text+strings.Repeat(string(fill), 128) })
			for i, pr := range r.Python.Results {
				r.Python.Results[i] = PythonResult{Workload: pr.Workload, Method: pr.Method, Description: long, Skipped: long, Package: long, Limit: long, Failed: failed}
			}
		}
	}
	forms := map[string]func(p Plan, r *Report, fill rune){
		"every Python version skipped": skip(false),
		"every Python version failed":  skip(true),
		"every Python version described": func(p Plan, r *Report, fill rune) {
			for i := range r.Python.Results {
				pr := &r.Python.Results[i]
				pr.Description, pr.Mean, pr.Std = r.Machine.CPU, -1, 1
			}
		},
		"every scaling table without a fit": func(p Plan, r *Report, fill rune) {
			for i := range r.Scaling {
				s := &r.Scaling[i]
				s.Fit, s.CoresFrom = nil, CoresFromCPUs
				s.FitNote = s.oversubscribedFitNote()
			}
		},
		"every scaling table's cores the CPUs": func(p Plan, r *Report, fill rune) {
			for i := range r.Scaling {
				r.Scaling[i].CoresFrom = CoresFromCPUs
			}
		},
		"every crossover found": func(p Plan, r *Report, fill rune) {
			for i := range r.Crossovers {
				c := &r.Crossovers[i]
				c.Status, c.Lanes = CrossoverFound, 12345.678
				c.FasterBelow = c.FasterBelow[:max(0, len(c.FasterBelow)-1)]
			}
		},
	}
	for i, p := range sizePlans() {
		for what, form := range forms {
			checkGrown(t, fmt.Sprintf("plan %d, %s", i, what), p, func(fill rune) *Report {
				r := p.largest(fill)
				form(p, r, fill)
				// Its Python texts clipped as Run clips them; the
				// largest's notes as they are (a skipped version's,
				// TextMost and 128 bytes, stands for the table's note).
				(&Report{Python: r.Python}).clipTexts()
				return r
			})
		}
	}
}
