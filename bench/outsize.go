package bench

import (
	"bytes"
	"cmp"
	"maps"
	"math"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gpusim/gpusim/internal/plots"
)

// TextMost is the most bytes a text the benchmark finds as it runs takes in
// its report (an error, the CPU's or a device's name, a version, the
// interpreter's path, a note made as it runs): Run clips each to it
// (Report.clipTexts), so that what the report's page, charts and document
// can take is bounded before it runs (Plan.MaxSizes).
const TextMost = 1 << 10

// clip cuts s, as ValidText writes it, to at most TextMost bytes, at a
// rune boundary, ending in "…".
func clip(s string) string {
	s = ValidText(s)
	if len(s) <= TextMost {
		return s
	}
	const more = "…"
	n := TextMost - len(more)
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + more
}

// ValidText is s where it is UTF-8, else s quoted as Go quotes a string
// (strconv.Quote: "\xff" for a byte that is not UTF-8, a backslash and a
// quote escaped), so that every report is UTF-8 and such a text's bytes can
// still be told, alike in every format: an interpreter's path or a Python
// script's error with bytes \xff\xfe went into the HTML page that says it
// is UTF-8, the Markdown and the text as they were, and into JSON as
// U+FFFD, where the path no longer named the interpreter.
func ValidText(s string) string {
	if utf8.ValidString(s) {
		return s
	}
	return strconv.Quote(s)
}

// clipTexts cuts every text of r that the benchmark found as it ran to
// TextMost bytes (clip), and leaves the Python tools only the modules the
// baseline script knows, and a result only a package (toolPackages) and a
// limit (pythonLimits) the script may name, as the bound counts them (it
// kept 1 KiB of any); the notes are those Run made. A result's method is
// clipped too, as the script gives it: 200 results named with 2 KB each
// made a page of 2.0 MB. So are a scaling point's device and a noisy
// repeat's, copied from their measurements before.
func (r *Report) clipTexts() {
	m := &r.Machine
	m.CPU, m.DevicesNote, m.Go = clip(m.CPU), clip(m.DevicesNote), clip(m.Go)
	for i := range m.Devices {
		m.Devices[i] = clip(m.Devices[i])
	}
	for i := range r.Workloads {
		for j := range r.Workloads[i].Engines {
			e := &r.Workloads[i].Engines[j]
			e.Device = clip(e.Device)
		}
	}
	for i := range r.Failures {
		r.Failures[i].Error, r.Failures[i].Hint = clip(r.Failures[i].Error), clip(r.Failures[i].Hint)
	}
	for i := range r.Notes {
		r.Notes[i] = clip(r.Notes[i])
	}
	for i := range r.Scaling {
		for j := range r.Scaling[i].Points {
			pt := &r.Scaling[i].Points[j]
			pt.Device = clip(pt.Device)
		}
	}
	for i := range r.Noisy {
		r.Noisy[i].Device = clip(r.Noisy[i].Device)
	}
	if py := r.Python; py != nil {
		py.Interpreter, py.Python, py.NumPy = clip(py.Interpreter), clip(py.Python), clip(py.NumPy)
		py.Skipped, py.Failed = clip(py.Skipped), clip(py.Failed)
		maps.DeleteFunc(py.Modules, func(k, _ string) bool { return !slices.Contains(toolPackages, k) })
		for k, v := range py.Modules {
			py.Modules[k] = clip(v)
		}
		maps.DeleteFunc(py.Setup, func(k string, _ float64) bool { return !slices.Contains(ToolModules, k) })
		for i := range py.Results {
			p := &py.Results[i]
			p.Method, p.Description, p.Package, p.Limit = clip(p.Method), clip(p.Description), clip(p.Package), clip(p.Limit)
			p.Skipped, p.Device = clip(p.Skipped), clip(p.Device)
			if !slices.Contains(toolPackages, p.Package) {
				p.Package = ""
			}
			if !slices.Contains(pythonLimits, p.Limit) {
				p.Limit = ""
			}
		}
	}
}

// toolPackages are the Debian packages of ToolModules, the keys of
// PythonReport.Modules, and the packages a PythonResult may name.
var toolPackages = []string{"python3-joblib", "python3-numba", "python3-pyopencl"}

// pythonLimits are the limits a PythonResult may name (limitNote), the
// longest first.
var pythonLimits = []string{"threads", "memory"}

// Plan is a benchmark before it runs, as far as it bounds what its report
// can take: the configuration, the engines that will run and the notes
// known before (engines left out, lists given twice, the machine's load),
// which the caller adds to the report after Run.
type Plan struct {
	Config *Config
	Specs  []EngineSpec // the engines Run will be given, in its order
	Notes  []string     // one line each
}

// Sizes are upper bounds, in bytes, of what a benchmark writes besides its
// report: each chart file by name (ChartFiles), the HTML page
// (Report.WriteHTML) and the Markdown section --update-doc writes
// (Report.WriteMarkdown, without the chart links).
type Sizes struct {
	Charts   map[string]uint64 // bytes, by file name
	HTML     uint64            // bytes
	Markdown uint64            // bytes
	// MarkdownLines is how many line ends the section has at most, each
	// of which a CRLF document writes in two bytes.
	MarkdownLines uint64
}

// Allowances for a number whose text the largest report writes shorter
// than the benchmark may: one inside a tag (an SVG coordinate, at most
// "-1.2346e-05"), and one in text (a cell, a tick label: the formatters'
// longest is fmtSec's "999999999999999 s" or %.4f of a predicted P of
// -9223372036854775807, 25 bytes; with html/template's &#43; for each '+').
const numInTag, numInText = 12, 40

// MaxSizes bounds what the benchmark p plans writes besides its report, in
// each of formats ("png", "svg"): it builds the largest report p can give
// (largest) and renders it, and adds for each number written the most its
// text can grow (allowance). A PNG chart is bounded by its pixels
// (plots.MaxPNGSize), whatever it draws.
func (p Plan) MaxSizes(formats []string) (Sizes, error) {
	s := Sizes{Charts: map[string]uint64{}}
	for _, name := range ChartFiles(p.Config, formats) {
		s.Charts[name] = 0 // not drawn for this plan (a speedup chart without an engine that scales)
	}
	r := p.largest('"')
	cs, err := charts(r)
	if err != nil {
		return s, err
	}
	var grow uint64 // how much the time charts' ticks can add to the page
	for _, c := range cs {
		svg, err := plots.SVG(c.plot, c.height)
		if err != nil {
			return s, err
		}
		most := uint64(len(svg)) + allowance(svg, numInText)
		if strings.HasPrefix(c.name, "time-") {
			t, err := maxTimeSVG(r, c.name)
			if err != nil {
				return s, err
			}
			grow += t - min(t, most)
			most = max(most, t)
		}
		for _, f := range formats {
			n := most
			if f == "png" {
				n = plots.MaxPNGSize(c.height)
			}
			s.Charts[c.name+"."+f] = n
		}
	}
	var page bytes.Buffer
	if err := r.WriteHTML(&page); err != nil {
		return s, err
	}
	s.HTML = uint64(page.Len()) + allowance(page.Bytes(), numInText) + grow
	var md bytes.Buffer
	if err := p.largest('<').WriteMarkdown(&md); err != nil {
		return s, err
	}
	s.Markdown = uint64(md.Len()) + allowance(md.Bytes(), numInText)
	s.MarkdownLines = uint64(bytes.Count(md.Bytes(), []byte("\n")))
	return s, nil
}

// MaxReportSize bounds the report the benchmark p plans prints in format
// (Formats): the largest report p can give, its texts filled with the
// character the format escapes longest (CSV's '"' in two bytes, JSON's '<'
// as \u003c in six, Markdown's as &lt; in four), and the most each
// number's text can grow (allowance, every number as in text, counted
// where the texts escape nothing: JSON's \u003c holds digits). The CLI
// refuses a report that stdout's file system cannot take before the
// benchmark: it was printed after minutes of runs, and a full disk lost
// it.
func (p Plan) MaxReportSize(format string) (uint64, error) {
	var plain bytes.Buffer
	if err := p.largest('a').Write(&plain, format); err != nil {
		return 0, err
	}
	most := uint64(plain.Len())
	for _, fill := range []rune{'"', '<'} {
		var b bytes.Buffer
		if err := p.largest(fill).Write(&b, format); err != nil {
			return 0, err
		}
		most = max(most, uint64(b.Len()))
	}
	return most + numAllowance(plain.Bytes(), numInText, false), nil
}

// MaxDocSize bounds the document --update-doc writes at doc with a section
// of s and links to charts (the paths of every chart that may be written):
// the document as it is (the old section is replaced, not kept), the
// section at its largest and the links, each line end counted twice for a
// CRLF document.
func (s Sizes) MaxDocSize(doc string, charts []string) (uint64, error) {
	var links bytes.Buffer
	if err := chartLinks(&links, doc, charts); err != nil {
		return 0, err
	}
	lines := s.MarkdownLines + uint64(bytes.Count(links.Bytes(), []byte("\n"))) + 1
	return fileSize(doc) + s.Markdown + uint64(links.Len()) + lines, nil
}

// maxTimeSVG bounds the time chart name of r over the scales of its
// linear axis: how many ticks gonum's DefaultTicks gives depends on the
// longest bar's leading digits, so the chart is drawn with it at each.
func maxTimeSVG(r *Report, name string) (uint64, error) {
	var most uint64
	for _, lead := range []float64{1, 1.1, 1.2, 1.25, 1.5, 1.75, 2, 2.5, 3, 3.5, 4, 4.5, 5, 6, 7, 7.5, 8, 9, 9.2} {
		for _, wr := range r.Workloads {
			if "time-"+fileWorkload(wr.Workload) != name {
				continue
			}
			wr.Engines = slices.Clone(wr.Engines)
			for i := range wr.Engines {
				wr.Engines[i].Wall.Median = time.Duration(lead * 1e18 / float64(i+1))
			}
			pl, err := timePlot(wr)
			if err != nil {
				return 0, err
			}
			svg, err := plots.SVG(pl, plots.Height)
			if err != nil {
				return 0, err
			}
			most = max(most, uint64(len(svg))+allowance(svg, numInText))
		}
	}
	return most, nil
}

// allowance is what the numbers in b may add when the benchmark writes
// them longer than the largest report did: for each number, a run of
// digits and points with its exponent (numberEnd), numInTag less its
// length inside a tag (<...>) and text less it elsewhere; a character
// reference (&#34;) is not a number.
func allowance(b []byte, text uint64) uint64 { return numAllowance(b, text, true) }

// numAllowance is allowance, with tags (<...>) told apart where tags is
// set, and every number counted as in text where not (a report on stdout,
// whose '<' opens no tag).
func numAllowance(b []byte, text uint64, tags bool) uint64 {
	var n uint64
	inTag := false
	for i := 0; i < len(b); i++ {
		switch c := b[i]; {
		case c == '<' && tags:
			inTag = true
		case c == '>':
			inTag = false
		case c == '&' && tags && i+1 < len(b) && b[i+1] == '#':
			for i < len(b) && b[i] != ';' {
				i++
			}
		case (i == 0 || !isAlnum(b[i-1])) && isDigest(b[i:]):
			i += digestLen - 1
		case c >= '0' && c <= '9':
			j := numberEnd(b, i)
			most := text
			if inTag {
				most = numInTag
			}
			n += most - min(most, uint64(j-i))
			i = j - 1
		}
	}
	return n
}

// digestLen is the length of a digest as the reports write it
// (Digest.String: 16 hex digits).
const digestLen = 16

// isDigest says whether b starts with a digest as the reports write it, a
// word of digestLen lowercase hex digits, at least one of them a letter
// and one a digit, which a word character does not follow: always that
// long, so no allowance. Its runs of digits counted as numbers
// ("da83691e54ff98ed" as 83691e54 and 98), an over-count of the bound. A
// digest of 16 decimal digits still counts as a number (an over-count).
func isDigest(b []byte) bool {
	if len(b) < digestLen || len(b) > digestLen && isAlnum(b[digestLen]) {
		return false
	}
	letter, digit := false, false
	for _, c := range b[:digestLen] {
		switch {
		case c >= '0' && c <= '9':
			digit = true
		case c >= 'a' && c <= 'f':
			letter = true
		default:
			return false
		}
	}
	return letter && digit
}

// isAlnum says whether c is an ASCII letter or digit.
func isAlnum(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

// numberEnd is the end of the number that starts at b[i], a digit: its
// run of digits and points, and an exponent after it ("e+09", "E-5"), one
// number, as %g and JSON write it. Its digits after the "e" counted as a
// number of their own, 1e+09 took two allowances (the noisy report's CSV
// 760 bytes over its bound).
func numberEnd(b []byte, i int) int {
	j := i
	for j < len(b) && (b[j] >= '0' && b[j] <= '9' || b[j] == '.') {
		j++
	}
	if j >= len(b) || b[j] != 'e' && b[j] != 'E' {
		return j
	}
	k := j + 1
	if k < len(b) && (b[k] == '+' || b[k] == '-') {
		k++
	}
	if k >= len(b) || b[k] < '0' || b[k] > '9' {
		return j // "2e", "3e+x": a word after the number
	}
	for k < len(b) && b[k] >= '0' && b[k] <= '9' {
		k++
	}
	return k
}

// longest is the longest time a measurement can take.
const longest = time.Duration(math.MaxInt64)

// largest is the largest report p can give: every engine measured on every
// workload with every column (a device's times, processes' start-up and
// merge), failed as well, every scaling point with fewer workers run than
// asked, the speedup chart's and the sweep's axes at their widest, every
// Python version run on every workload and failing the law, with a note
// for each as though skipped, the baseline skipped and failed as well,
// every configuration measured twice noisy (largestNoisy), every
// table busy with a peak (largestLoad), the interruption of a stop's
// partial report with every stage not run, and every text found as the benchmark runs TextMost bytes of fill (the
// character the format escapes longest).
func (p Plan) largest(fill rune) *Report {
	c := p.Config
	text := strings.Repeat(string(fill), TextMost/utf8.RuneLen(fill))
	r := &Report{
		Mode: c.Mode, Started: time.Date(2000, 12, 31, 23, 59, 59, 0, time.FixedZone("", -(11*3600+59*60))), Elapsed: Seconds(longest.Seconds()),
		Machine: Machine{CPU: text, Cores: math.MaxInt32, GOMAXPROCS: math.MaxInt32, DevicesNote: text, Go: text, OS: "openbsd-" + text[:32], Arch: "riscv64-" + text[:32],
			SIMD: []string{"sse2", "sse3", "ssse3", "sse4.1", "sse4.2", "avx", "avx2", "fma", "avx512f", "avx512dq", "avx512bw", "avx512vl"}},
		Params: ModelOf(c.Params), Reps: c.Reps, Warmup: c.Warmup, Baseline: p.Specs[0].Name,
	}
	if slices.ContainsFunc(p.Specs, func(e EngineSpec) bool { return e.Name == "serial" }) {
		r.Baseline = "serial" // as Run picks it
	}
	for _, s := range p.Specs {
		if s.Device {
			r.Machine.Devices = append(r.Machine.Devices, text)
		}
	}
	long := Stats{N: c.Reps, Median: longest, Min: longest, Max: longest}
	for _, w := range c.Workloads {
		wr := WorkloadResult{Workload: w, Digest: math.MaxUint64}
		for _, s := range p.Specs {
			wr.Engines = append(wr.Engines, Measurement{Engine: s.Name, Device: text, Workers: math.MaxInt32, Workload: w, Wall: long, Cold: longest,
				NsPerLaneStep: 1, LaneStepsPerS: 1, Speedup: 1, Compile: longest, Transfer: longest, Kernel: longest,
				Startup: longest, Merge: longest, Digest: math.MaxUint64})
			r.Failures = append(r.Failures, EngineFailure{Engine: s.Name, Workers: math.MaxInt32, Workload: w, Error: text, Hint: text})
		}
		r.Workloads = append(r.Workloads, wr)
	}
	p.largestScaling(r, text)
	p.largestSweep(r)
	p.largestPython(r, text)
	p.largestLoad(r)
	r.Notes = slices.Clone(p.Notes)
	// Run's notes, each clipped: an engine's failure and its hint, the
	// speedups a failed baseline leaves out, a scaling engine that starts
	// fewer workers and one that oversubscribes the cores (oversubscribed),
	// a Python version off the law, each table measured on a busy machine
	// (Load); and for each version, the note it gets where it is skipped
	// instead (its reason, clipped, with the method's name and package,
	// under 128 bytes).
	for range 2*len(p.Specs) + 1 + 2*len(r.Scaling) + len(r.Python.Results) + len(r.Load) {
		r.Notes = append(r.Notes, text)
	}
	for _, p := range r.Python.Results {
		r.Notes = append(r.Notes, text+strings.Repeat(string(fill), 128))
		// Its failure (pythonFailures), with a note of its own.
		r.Failures = append(r.Failures, EngineFailure{Engine: "python/" + p.Method, Workload: p.Workload, Error: text})
		r.Notes = append(r.Notes, text)
	}
	p.largestNoisy(r, text)
	// A stop's or a crash's partial report has fewer rows, but its
	// interruption's words too (Run): counted at their most, every stage
	// not run, with the crash's words (Line's longer sentence).
	r.Interrupted = &Interruption{Signal: text, Crash: text, After: r.Elapsed, NotRun: (&runner{cfg: c}).notRun(&Report{}, stageEngines, p.Specs)}
	return r
}

// largestLoad adds to r a busy Load for each table it has, each with a
// Peak on the Scaling table's overhead column (the longest note's words)
// named as the plan's longest engine name at a worker count, so that JSON's
// load and the CSV's load rows are counted; Load's numbers are written
// at one digit each, and their allowance counts them at their longest.
// Each is not judged too (Load.NotJudged), though no real entry is both,
// so that the JSON's not_judged and the CSV row's words for it count.
// The bound counted none: the default plan's report with every table's
// entry and peak, its numbers at their longest, took JSON 1782 bytes over
// it.
func (p Plan) largestLoad(r *Report) {
	name := ""
	for _, s := range p.Specs {
		if len(s.Name) > len(name) {
			name = s.Name
		}
	}
	for _, table := range []string{"engines", "scaling", "sweep"} {
		if r.hasTable(table) {
			peak := &Peak{Engine: name + "/1", Workload: Workload{1, 1}, OtherCPUs: 1, Wall: 1, Overhead: true}
			// "2 CPUs", plural; busy and not judged at once, which no
			// entry is, for the longer words of each (the CSV's).
			r.Load = append(r.Load, Load{Table: table, OtherCPUs: 1, CPUs: 2, Wall: 1, Peak: peak, Busy: true, NotJudged: true})
		}
	}
}

// largestNoisy adds to r, last, every configuration a benchmark of p
// measures twice as noisy (noisyRepeats), each with its note (clipped:
// text): each engine's scaling points on a workload of the Engines table
// (a device alike at every worker count), and each engine's sweep point
// at a workload's lanes and steps; each Repeat is JSON's noisy entry and
// the CSV's two noisy rows, its medians at their longest (the CSV's
// median_s "9223372036.854775807"). Up to two notes per engine per
// workload were left out of the bound.
func (p Plan) largestNoisy(r *Report, text string) {
	add := func(engine string, w Workload, table string) {
		r.Noisy = append(r.Noisy, Repeat{Engine: engine, Device: text, Workload: w, Tables: [2]string{"engines", table}, Medians: [2]time.Duration{longest, longest}})
		r.Notes = append(r.Notes, text)
	}
	for _, w := range p.Config.Workloads {
		for _, sc := range r.Scaling {
			if sc.Workload == w {
				for range sc.Points {
					add(sc.Engine, w, "scaling")
				}
			}
		}
		if r.Sweep == nil || r.Sweep.Steps != w.Steps || !slices.Contains(r.Sweep.Lanes, w.Lanes) {
			continue
		}
		for _, s := range p.Specs {
			add(s.Name, w, "sweep")
		}
	}
}

// largestScaling adds to r the scaling table of p at its largest: each
// engine that scales at every worker count, its P held at its bound (the
// longest fit line), every count above one left out of the fit
// and its efficiency above 100% beyond the spread, every overhead below 0
// (a longer cell, a note of its own), a predicted P held at 0 (its note
// in the fit line), the speedup axis down to the least
// speedup a measurement gives (a nanosecond over longest), each
// point's device (JSON's device) text, the CPUs fewer than GOMAXPROCS
// (JSON's cores_from, "N CPUs (fewer than GOMAXPROCS)" in the words on
// the points left out), and beside the fit the longest note a scaling
// without one has (JSON's fit_note, which the bound left out, as it did
// cores_from).
func (p Plan) largestScaling(r *Report, text string) {
	c := p.Config
	if !c.Scaling || len(c.Workloads) == 0 {
		return
	}
	w := c.ScalingWorkload
	if w == (Workload{}) {
		w = c.Workloads[0]
	}
	for _, s := range p.Specs {
		if !s.Scales {
			continue
		}
		// P held at its bound over every worker count: the longest
		// fit line.
		sc := Scaling{Engine: s.Name, Workload: w, Fit: &AmdahlFit{P: 1, Limit: 2, RMS: 1, Points: max(2, len(c.workers())), Range: &[2]float64{0.5, 0.5}}, PredictedP: 0.5,
			PredictedPNote: heldNote(longest, longest), Cores: math.MaxInt32, CoresFrom: CoresFromCPUs}
		if c.Reps < 2 {
			sc.Fit.Range = nil // the fit line says why, in more words
		}
		for i, n := range c.workers() {
			pt := ScalingPoint{Workers: n, Ran: max(1, n-1), Device: text, Wall: Stats{N: c.Reps, Median: longest}, NsPerLaneStep: 1,
				Speedup: 2, Efficiency: 2, Startup: longest, Merge: longest, Overhead: -longest}
			if i == 0 {
				pt.Speedup = 1 / longest.Seconds() / 1e9
			} else {
				// Left out of the fit, and above 100% beyond the
				// spread: the longest cells and notes.
				pt.Oversubscribed, pt.SpeedupRange = true, &[2]float64{float64(longest), float64(longest)}
			}
			sc.Points = append(sc.Points, pt)
		}
		// Beside the fit, the longest note of none (JSON's fit_note):
		// a fit or a note, never both, in a real report.
		sc.FitNote = slices.MaxFunc([]string{onePointFitNote, sc.startsFitNote(2), sc.oversubscribedFitNote()}, func(a, b string) int { return cmp.Compare(len(a), len(b)) })
		r.Scaling = append(r.Scaling, sc)
	}
}

// largestSweep adds to r the sweep of p at its largest: every engine at
// every size, the axis of ns per lane-step from a nanosecond over the
// largest size's lane-steps to longest over the smallest's, and every
// crossover DefaultPairs looks for, none found, the challenger faster at
// every size but the largest (the longest sentence), with the lanes a
// crossover found gives.
func (p Plan) largestSweep(r *Report) {
	c := p.Config
	if len(c.Sweep) == 0 {
		return
	}
	lanes := slices.Compact(slices.Sorted(slices.Values(c.Sweep)))
	sw := &Sweep{Steps: c.SweepSteps, Lanes: lanes, Reps: c.SweepReps, Warmup: c.Warmup}
	for i, s := range p.Specs {
		ss := SweepSeries{Engine: s.Name}
		for j, n := range lanes {
			ns := 1.0
			switch {
			case i == 0 && j == len(lanes)-1:
				ns = 1 / Workload{n, c.SweepSteps}.LaneSteps()
			case i == len(p.Specs)-1 && j == 0:
				ns = float64(longest) / Workload{n, c.SweepSteps}.LaneSteps()
			}
			ss.Points = append(ss.Points, SweepPoint{Lanes: n, Wall: Stats{N: c.SweepReps, Median: longest}, NsPerLaneStep: ns})
		}
		sw.Series = append(sw.Series, ss)
	}
	r.Sweep = sw
	for _, pr := range DefaultPairs(p.Specs) {
		// Lanes too, as a crossover found has them (JSON's lanes, which
		// the bound left out).
		r.Crossovers = append(r.Crossovers, Crossover{Pair: pr, Status: CrossoverNone, Lanes: 1, FasterBelow: lanes[:len(lanes)-1]})
	}
}

// largestPython adds to r the Python baseline of p at its largest: every
// version on every workload, run on a sample of lanes and steps scaled up
// and off the law, with its description, every tool's set-up, and the
// baseline's skip and failure too.
func (p Plan) largestPython(r *Report, text string) {
	c := p.Config
	if !c.Python {
		r.Python = &PythonReport{}
		return
	}
	py := &PythonReport{Interpreter: text, Python: text, NumPy: text, Cores: math.MaxInt32, Skipped: text, Failed: text,
		Modules: map[string]string{}, Setup: map[string]float64{}}
	for _, k := range toolPackages {
		py.Modules[k] = text
	}
	for _, k := range ToolModules {
		py.Setup[k] = longest.Seconds()
	}
	only := c.PythonOnly
	if only == "" {
		only = pythonVersions
	}
	for _, w := range c.Workloads {
		// A sample of the steps too (a time budget spent) writes the most
		// in the lanes cell: "18446744073709551615 x 4294967295 (scaled up)".
		steps := max(w.Steps-1, 0)
		for m := range strings.SplitSeq(only, ",") {
			// Numba's pool apart from joblib's workers: the report's
			// note then names each ("joblib uses N workers, Numba M
			// workers"), longer than one count for both.
			workers := math.MaxInt32
			if m == "numba" {
				workers--
			}
			// Its description, its mean and std, and (JSON's) the package
			// and limit of a version skipped, the longest of those
			// clipTexts keeps: the bound left them out.
			py.Results = append(py.Results, PythonResult{Workload: w, Method: m, Description: text, Package: toolPackages[2], Limit: pythonLimits[0],
				SampleLanes: math.MaxUint64, SampleSteps: steps, Scaled: true, Workers: workers, Device: text,
				Seconds: longest.Seconds(), NsPerLaneStep: 1, WorkloadSeconds: longest.Seconds(), Mean: -1, Std: 1, Law: LawCheck{ZMean: -1e300, ZStd: -1e300}})
		}
	}
	r.Python = py
}

// fileSize is the size of the file at path, 0 where it cannot be read.
func fileSize(path string) uint64 {
	st, err := os.Stat(path)
	if err != nil {
		return 0
	}
	return uint64(st.Size())
}
