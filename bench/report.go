package bench

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/gpusim/gpusim/internal/count"
	"github.com/gpusim/gpusim/internal/jsonnum"
)

// table is a report section as rows of cells, written by each format.
type table struct {
	title  string
	header []string
	rows   [][]string
	// notes follow the table, one line each.
	notes []string
	// left is how many leading columns hold text (left-aligned in Markdown).
	left int
}

// tables lays the report out once for the text and Markdown writers.
func (r *Report) tables() []table {
	var ts []table
	dev := r.hasDeviceTiming()
	et := table{title: "Engines", left: 3, header: []string{"workload", "engine", "device", "median", "min", "max", "cold", "ns/lane-step", "lane-steps/s", "speedup"}}
	if dev {
		et.header = append(et.header, "compile", "transfer", "kernel")
	}
	procs := r.hasOverhead()
	if procs {
		et.header = append(et.header, "start-up", "merge")
	}
	et.header = append(et.header, "digest")
	for _, wr := range r.Workloads {
		for _, m := range wr.Engines {
			row := []string{wr.Workload.String(), m.Engine, m.Device, fmtDur(m.Wall.Median), fmtDur(m.Wall.Min), fmtDur(m.Wall.Max), fmtDur(m.Cold),
				fmtG(m.NsPerLaneStep), fmtSI(m.LaneStepsPerS), fmtX(m.Speedup)}
			if dev {
				row = append(row, fmtDurOpt(m.Compile), fmtDurOpt(m.Transfer), fmtDurOpt(m.Kernel))
			}
			if procs {
				row = append(row, fmtDurOpt(m.Startup), fmtDurOpt(m.Merge))
			}
			et.rows = append(et.rows, append(row, m.Digest.String()))
		}
	}
	// The cold column is the first of the warm-up and timed runs (with
	// the engine's start-up): "warm-up included" read wrong with
	// --warmup 0, where it is the first timed run.
	cold := "cold is the first run, the first warm-up run"
	if r.Warmup == 0 {
		cold = "cold is the first run, the first timed run (no warm-up)"
	}
	if dev {
		cold += ", with the engine's start-up (the OpenCL driver's load and its devices' listing, for the first device; a device's context and program build), which the CPU engines' cold has none of; compile is that one-off build, transfer and kernel are medians"
	}
	et.notes = append(et.notes, fmt.Sprintf("median, min and max of %s after %s; %s; speedup is %s median over the engine's",
		count.Noun(r.Reps, "timed run"), count.Noun(r.Warmup, "warm-up run"), cold, possessive(r.Baseline)))
	if procs {
		et.notes = append(et.notes, "processes: one gpusim child process per core (GOMAXPROCS, as parallel), at most one a lane, each running one shard on serial and saving a part file, then a gpusim merge process; start-up is the slowest child's wall time less its own compute time, merge the merge process's wall time")
	}
	if len(et.rows) > 0 || r.Interrupted == nil {
		// A partial report leaves out a table with no complete row.
		ts = append(ts, et)
	}

	if len(r.Scaling) > 0 {
		st := table{title: "Scaling", left: 2, header: []string{"engine", "workload", "workers", "median", "ns/lane-step", "speedup", "efficiency", "overhead"}}
		for _, s := range r.Scaling {
			for _, p := range s.Points {
				st.rows = append(st.rows, []string{s.Engine, s.Workload.String(), p.workersCell(), fmtDur(p.Wall.Median), fmtG(p.NsPerLaneStep), fmtX(p.Speedup), p.efficiencyCell(), p.overheadCell()})
			}
			st.notes = append(st.notes, s.FitLine())
		}
		st.notes = append(st.notes, r.scalingNotes()...)
		ts = append(ts, st)
	}

	if r.Sweep != nil {
		sw := table{title: fmt.Sprintf("Size sweep (ns per lane-step, %s)", count.Noun(r.Sweep.Steps, "step")), left: 1, header: []string{"lanes"}}
		for _, s := range r.Sweep.Series {
			sw.header = append(sw.header, s.Engine)
		}
		for i, n := range r.Sweep.Lanes {
			row := []string{FormatCount(n)}
			for _, s := range r.Sweep.Series {
				row = append(row, fmtG(s.Points[i].NsPerLaneStep))
			}
			sw.rows = append(sw.rows, row)
		}
		if r.Sweep.Reps > 0 {
			// A report of an earlier gpusim has no counts to say.
			sw.notes = append(sw.notes, fmt.Sprintf("each point the median of %s after %s",
				count.Noun(r.Sweep.Reps, "timed run"), count.Noun(r.Sweep.Warmup, "warm-up run")))
		}
		for _, c := range r.Crossovers {
			sw.notes = append(sw.notes, c.String())
		}
		ts = append(ts, sw)
	}

	if py := r.Python; py != nil {
		ts = append(ts, r.pythonTable(py))
	}
	if ct := r.courseTable(); ct != nil {
		ts = append(ts, *ct)
	}
	return ts
}

// pythonTable is the Python baseline: every version on every workload, the
// skipped ones with the package that provides them.
func (r *Report) pythonTable(py *PythonReport) table {
	pt := table{title: "Python baseline", left: 2, header: []string{"workload", "version", "lanes run", "time", "ns/lane-step", "slowdown", "exact law"}}
	if py.Skipped != "" {
		pt.notes = append(pt.notes, "skipped: "+py.Skipped)
	}
	if py.Failed != "" {
		pt.notes = append(pt.notes, fmt.Sprintf("failed (%s): %s", py.Interpreter, py.Failed))
	}
	var skipped []string
	for _, p := range py.Results {
		if p.Skipped != "" {
			if n := p.skipNote(); !slices.Contains(skipped, n) {
				skipped = append(skipped, n)
			}
			status := "skipped"
			if p.Failed {
				status = "failed"
			}
			pt.rows = append(pt.rows, []string{p.Workload.String(), p.Method, status, "", "", "", ""})
			continue
		}
		lanes := FormatCount(p.SampleLanes) + p.stepsRun()
		if p.Scaled {
			lanes += " (scaled up)"
		}
		rel := ""
		if b := r.engine(p.Workload, r.Baseline); b != nil && b.Wall.Median > 0 {
			rel = fmtX(p.WorkloadSeconds / b.Wall.Median.Seconds())
		}
		pt.rows = append(pt.rows, []string{p.Workload.String(), p.Method, lanes, fmtSec(p.WorkloadSeconds), fmtG(p.NsPerLaneStep), rel, p.Law.String()})
	}
	pt.notes = append(pt.notes, skipped...)
	if cut := r.pythonCut(); cut != "" {
		pt.notes = append(pt.notes, cut)
	}
	if len(py.Results) > 0 {
		var tools []string
		for _, k := range slices.Sorted(maps.Keys(py.Modules)) {
			tools = append(tools, k+" "+py.Modules[k])
		}
		pt.notes = append(pt.notes,
			fmt.Sprintf("Python %s, NumPy %s (%s)%s%s%s", py.Python, py.NumPy, py.Interpreter, prefixed(", ", strings.Join(tools, ", ")), workersNote(py), clNote(py)),
			"loop: the course's pure Python loop, npr.normal per lane-step; joblib-lane: the course's joblib, one task per lane; joblib-chunk: one task per core, each the vector version; matrix: the course's (lanes, steps) float64 matrix; vector: one float32 vector, default_rng, in place; numba: @njit(parallel=True) with prange; pyopencl: clrandom's Philox normals and an elementwise update on the OpenCL device",
			fmt.Sprintf("versions run on a sample of lanes are scaled up to the workload; slowdown is the time over %s median", possessive(r.Baseline)),
			courseFiguresNote(),
			setupNote(py),
			fmt.Sprintf("exact law: the sample's mean and std in sampling standard deviations from the model's exact normal law; beyond %d fails", LawTolerance))
	}
	return pt
}

// stepsRun is " x N" where the version ran N of its workload's steps (its
// time budget spent, or the loop's budget below one lane's steps), else "".
func (p PythonResult) stepsRun() string {
	if p.SampleSteps > 0 && p.SampleSteps < p.Workload.Steps {
		return " x " + FormatCount(uint64(p.SampleSteps))
	}
	return ""
}

// workersNote says how many workers the parallel Python versions that ran
// (joblib's and Numba's) used, or is "" when none of them ran. Each tool's
// count is its rows' (PythonResult.Workers, else the cores): Numba's pool
// follows NUMBA_NUM_THREADS, and the note said the cores for both.
func workersNote(py *PythonReport) string {
	workers := map[string]int{}
	for _, p := range py.Results {
		if p.Skipped != "" {
			continue
		}
		tool := map[string]string{"joblib-lane": "joblib", "joblib-chunk": "joblib", "numba": "Numba"}[p.Method]
		if tool == "" {
			continue
		}
		n := p.Workers
		if n == 0 {
			n = py.Cores // a report from before results carried it
		}
		workers[tool] = max(workers[tool], n)
	}
	jl, jok := workers["joblib"]
	nb, nok := workers["Numba"]
	switch {
	case jok && nok && jl == nb:
		return fmt.Sprintf("; joblib and Numba use %s", count.Noun(jl, "worker"))
	case jok && nok:
		return fmt.Sprintf("; joblib uses %s, Numba %s", count.Noun(jl, "worker"), count.Noun(nb, "worker"))
	case jok:
		return fmt.Sprintf("; joblib uses %s", count.Noun(jl, "worker"))
	case nok:
		return fmt.Sprintf("; Numba uses %s", count.Noun(nb, "worker"))
	}
	return ""
}

// setupWhat is each tool's one-off set-up, by module.
var setupWhat = map[string]string{"joblib": "joblib's worker start", "numba": "Numba's compile", "pyopencl": "PyOpenCL's builds"}

// setupNote gives each tool's one-off set-up once: it is paid before the
// tool's first version runs and in no row's time (joblib reuses its
// workers); the course timed its one joblib call whole, the start with it.
func setupNote(py *PythonReport) string {
	var parts []string
	for _, m := range slices.Sorted(maps.Keys(py.Setup)) {
		parts = append(parts, fmt.Sprintf("%s %s", setupWhat[m], fmtSec(py.Setup[m])))
	}
	if len(parts) == 0 {
		return "set-up: none (no joblib, Numba or PyOpenCL version ran)"
	}
	return "set-up, paid once before the tool's first row and in no row's time (joblib reuses its workers; the course's joblib time included their start): " + strings.Join(parts, ", ")
}

// clNote names the OpenCL device pyopencl ran on, or is "" when it did not run.
func clNote(py *PythonReport) string {
	for _, p := range py.Results {
		if p.Method == "pyopencl" && p.Skipped == "" && p.Device != "" {
			return "; pyopencl runs on " + p.Device
		}
	}
	return ""
}

func prefixed(prefix, s string) string {
	if s == "" {
		return ""
	}
	return prefix + s
}

// FitLine describes the Amdahl fit in a sentence. Without a fit it gives
// the predicted P only where that is held at 0, to say why the one-worker
// overhead is as long as the run or longer: simd's 1.37 ms beside its 572
// µs median stood in the table with no word.
func (s *Scaling) FitLine() string {
	if s.Fit == nil {
		held := ""
		if s.PredictedPNote != "" {
			held = "; predicted P = " + fmtP(s.PredictedP) + " from the measured overhead" + s.heldText()
		}
		return fmt.Sprintf("%s on %s: no Amdahl fit (%s)%s", s.Engine, s.Workload, s.FitNote, held)
	}
	limit := "unbounded"
	if !math.IsInf(s.Fit.Limit, 0) {
		limit = fmtX(s.Fit.Limit)
	}
	resid := fmt.Sprintf("rms residual %s over %d points (the %s above 1)", fmtG(s.Fit.RMS), s.Fit.Points, count.Noun(s.Fit.Points-1, "worker count"))
	switch {
	case s.Fit.Points <= 2 && s.Fit.AtBound():
		resid = fmt.Sprintf("from %d points: the speedup lies outside what the law allows (1 to the worker count), so P is held at its bound (rms residual %s)", s.Fit.Points, fmtG(s.Fit.RMS))
	case s.Fit.AtBound():
		// As with 2 points: at 3 or more, P at 0 or 1 with a residual
		// left is the bound, not the fit, and the residual alone read
		// as the law's miss at a fitted P.
		resid = fmt.Sprintf("from %d points: the speedups lie, on balance, outside what the law allows (1 to the worker count), so P is held at its bound (rms residual %s over the %s above 1)", s.Fit.Points, fmtG(s.Fit.RMS), count.Noun(s.Fit.Points-1, "worker count"))
	case s.Fit.Points <= 2:
		// One worker count besides 1: P is solved for, not fitted.
		resid = fmt.Sprintf("from %d points (one worker count besides 1: no residual tests the law)", s.Fit.Points)
	}
	if left := s.leftOutText(); left != "" {
		resid += "; " + left
	}
	return fmt.Sprintf("%s on %s: Amdahl fit P = %s%s, limit 1/(1-P) = %s, %s; predicted P = %s from the measured overhead%s", s.Engine, s.Workload, fmtP(s.Fit.P), s.rangeText(" (%s to %s over the timed runs' spread)"), limit, resid, fmtP(s.PredictedP), s.heldText())
}

// leftOutText says which points the fit left out and why: "4 and 8
// workers not fitted: more goroutines ran than the 2 cores (GOMAXPROCS),
// so they measure oversubscription", or "" where it left none out.
func (s *Scaling) leftOutText() string {
	left := s.oversubscribedCounts()
	if len(left) == 0 {
		return ""
	}
	unit, on := coresWords(s.Engine, s.Cores, s.CoresFrom)
	return fmt.Sprintf("%s workers not fitted: more %s ran than the %s, so they measure oversubscription",
		andList(left), unit, on)
}

// rangeText is s.Fit's rangeText, or where one timed run gave no spread,
// a word that says the range needs more.
func (s *Scaling) rangeText(layout string) string {
	if s.Fit.Range == nil && len(s.Points) > 0 && s.Points[0].Wall.N == 1 {
		return " (no range: 1 timed run has no spread, --reps 2 or more give one)"
	}
	return s.Fit.rangeText(layout)
}

// csvNote is the CSV's note on a scaling row: its overhead (below 0 in
// noise), the workers that ran where fewer did, an efficiency above 100%
// and a point not fitted.
func (p ScalingPoint) csvNote() string {
	note := "overhead " + fmtF(p.Overhead.Seconds()) + " s"
	if n := p.overheadNote(); n != "" {
		note += "; overhead below 0: " + n
	}
	if p.RanWorkers() != p.Workers {
		note += "; " + count.Noun(p.RanWorkers(), "worker") + " ran, the efficiency's divisor"
	}
	if n := p.efficiencyNote(); n != "" {
		note += "; efficiency above 100%: " + n
	}
	if p.Oversubscribed {
		note += "; not fitted: oversubscribed"
	}
	return note
}

// csvFitNote is the CSV's note on an amdahl row: the fit's points, P's
// range (or why there is none), the points left out, and the predicted P;
// or why there is no fit.
func (s *Scaling) csvFitNote() string {
	note := s.FitNote
	if s.Fit != nil {
		note = fmt.Sprintf("rms %s over %d points (the %s above 1)", fmtF(s.Fit.RMS), s.Fit.Points, count.Noun(s.Fit.Points-1, "worker count"))
		if s.Fit.Points <= 2 && !s.Fit.AtBound() {
			// As FitLine says: P is solved for, and the residual
			// left (2e-14) is rounding, not the law's miss.
			note = fmt.Sprintf("from %d points (one worker count besides 1: no residual tests the law)", s.Fit.Points)
		}
		if s.Fit.Range != nil {
			note += fmt.Sprintf("; p %s to %s over the timed runs' spread", fmtF(s.Fit.Range[0]), fmtF(s.Fit.Range[1]))
		} else if r := s.rangeText(""); r != "" {
			note += "; " + strings.Trim(r, " ()")
		}
		if s.Fit.AtBound() {
			note += "; p held at its bound: the speedups lie outside what the law allows (1 to the worker count)"
		}
		if left := s.leftOutText(); left != "" {
			note += "; " + left
		}
	}
	return note + fmt.Sprintf("; predicted p %s from the overhead at one worker%s", fmtF(s.PredictedP), s.heldText())
}

// rangeText is " (LOW to HIGH over the timed runs' spread)", or "" where
// the range was not measured: P's uncertainty, which its four decimals
// alone overstate (P read 0.8691 and 1.0000 in two runs on one machine).
// layout places the two ends; the speedup chart's legend says it in fewer
// words, the same numbers.
func (f *AmdahlFit) rangeText(layout string) string {
	if f.Range == nil {
		return ""
	}
	return fmt.Sprintf(layout, fmtP(f.Range[0]), fmtP(f.Range[1]))
}

func (c Crossover) String() string {
	switch c.Status {
	case CrossoverFound:
		// A whole count of lanes below a thousand: the log-log
		// interpolation between two sizes read "about 1.34 lanes".
		lanes := fmtSI(c.Lanes) + " lanes"
		if c.Lanes < 999.5 {
			lanes = count.Noun(uint64(max(1, math.Round(c.Lanes))), "lane")
		}
		below := ""
		if len(c.FasterBelow) > 0 {
			below = fmt.Sprintf(" (faster at %s too, below it)", c.fasterText())
		}
		return fmt.Sprintf("%s beats %s from about %s%s", c.Challenger, c.Base, lanes, below)
	case CrossoverAlways:
		return fmt.Sprintf("%s beats %s at every size in range", c.Challenger, c.Base)
	default:
		also := ""
		if len(c.FasterBelow) > 0 {
			also = fmt.Sprintf(", though faster at %s", c.fasterText())
		}
		return fmt.Sprintf("%s vs %s: no crossover in range (%s is not faster at the largest size%s)", c.Challenger, c.Base, c.Challenger, also)
	}
}

// fasterText is c.FasterBelow in words: "1k and 10k lanes", "1 lane".
func (c Crossover) fasterText() string {
	var sizes []string
	for _, n := range c.FasterBelow {
		sizes = append(sizes, fmtSI(float64(n)))
	}
	if len(c.FasterBelow) == 1 && c.FasterBelow[0] == 1 {
		return "1 lane"
	}
	return andList(sizes) + " lanes"
}

func (r *Report) hasOverhead() bool {
	for _, wr := range r.Workloads {
		for _, m := range wr.Engines {
			if m.Startup+m.Merge > 0 {
				return true
			}
		}
	}
	return false
}

func (r *Report) hasDeviceTiming() bool {
	for _, wr := range r.Workloads {
		for i := range wr.Engines {
			if wr.Engines[i].HasDeviceTiming() {
				return true
			}
		}
	}
	return false
}

// engine returns the measurement of name on w, or nil.
func (r *Report) engine(w Workload, name string) *Measurement {
	for _, wr := range r.Workloads {
		if wr.Workload != w {
			continue
		}
		for i := range wr.Engines {
			if wr.Engines[i].Engine == name {
				return &wr.Engines[i]
			}
		}
	}
	return nil
}

func (r *Report) machineLines() []string {
	m := r.Machine
	lines := []string{
		fmt.Sprintf("CPU: %s, %s (GOMAXPROCS %d), SIMD: %s", m.CPU, count.Noun(m.Cores, "core"), m.GOMAXPROCS, orNone(strings.Join(m.SIMD, " "))),
		fmt.Sprintf("devices: %s", orNone(strings.Join(m.Devices, "; "))+parenthesize(m.DevicesNote)),
		fmt.Sprintf("Go: %s %s/%s", m.Go, m.OS, m.Arch),
		fmt.Sprintf("Model: start %g, anchor %g, persistence %g, sigma %g, seed %d", r.Params.Start, r.Params.Anchor, r.Params.Persistence, r.Params.Sigma, r.Params.Seed),
		fmt.Sprintf("Run: %s mode, started %s, took %s", r.Mode, r.Started.Format(time.RFC3339), fmtSec(float64(r.Elapsed))),
	}
	return lines
}

// nounFor is what, or its plural for n other than 1.
func nounFor(n uint64, what string) string {
	if n == 1 {
		return what
	}
	return what + "s"
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}

func parenthesize(s string) string {
	if s == "" {
		return ""
	}
	return " (" + s + ")"
}

// WriteText writes the report as aligned tables for a terminal.
func (r *Report) WriteText(w io.Writer) error {
	ew := &errWriter{w: w}
	if r.Interrupted != nil {
		fmt.Fprintf(ew, "note: %s\n", r.Interrupted.Line())
	}
	fmt.Fprintf(ew, "gpusim bench\n")
	for _, l := range r.machineLines() {
		fmt.Fprintf(ew, "  %s\n", l)
	}
	for _, t := range r.tables() {
		fmt.Fprintf(ew, "\n%s\n", t.title)
		if len(t.rows) > 0 {
			tw := tabwriter.NewWriter(ew, 0, 0, 2, ' ', 0)
			fmt.Fprintln(tw, strings.ToUpper(strings.Join(t.header, "\t")))
			for _, row := range t.rows {
				fmt.Fprintln(tw, strings.Join(oneLineRow(row), "\t"))
			}
			tw.Flush()
		}
		for _, n := range t.notes {
			fmt.Fprintf(ew, "  %s\n", n)
		}
	}
	for _, n := range r.Notes {
		fmt.Fprintf(ew, "note: %s\n", n)
	}
	return ew.err
}

// WriteMarkdown writes the report as GitHub Markdown tables, for
// docs/benchmarks.md.
func (r *Report) WriteMarkdown(w io.Writer) error {
	ew := &errWriter{w: w}
	if r.Interrupted != nil {
		fmt.Fprintf(ew, "**Note: %s**\n\n", mdEscape(r.Interrupted.Line()))
	}
	for _, l := range r.machineLines() {
		fmt.Fprintf(ew, "- %s\n", mdEscape(l))
	}
	for _, t := range r.tables() {
		fmt.Fprintf(ew, "\n### %s\n\n", t.title)
		if len(t.rows) > 0 {
			fmt.Fprintf(ew, "| %s |\n", strings.Join(mdRow(t.header), " | "))
			align := make([]string, len(t.header))
			for i := range align {
				align[i] = "---:"
				if i < t.left {
					align[i] = "---"
				}
			}
			fmt.Fprintf(ew, "| %s |\n", strings.Join(align, " | "))
			for _, row := range t.rows {
				fmt.Fprintf(ew, "| %s |\n", strings.Join(mdRow(row), " | "))
			}
			if len(t.notes) > 0 {
				fmt.Fprintln(ew)
			}
		}
		for _, n := range t.notes {
			fmt.Fprintf(ew, "- %s\n", mdEscape(n))
		}
	}
	if len(r.Notes) > 0 {
		fmt.Fprintln(ew)
		for _, n := range r.Notes {
			fmt.Fprintf(ew, "- Note: %s\n", mdEscape(n))
		}
	}
	return ew.err
}

func mdRow(cells []string) []string {
	out := make([]string, len(cells))
	for i, c := range cells {
		out[i] = mdEscape(c)
	}
	return out
}

// mdEscape keeps text from breaking a table or turning into markup: a
// line ending (CommonMark's "\r" alone too) becomes a space (oneLine).
func mdEscape(s string) string {
	return strings.NewReplacer(`\`, `\\`, "|", `\|`, "*", `\*`, "_", `\_`, "<", "&lt;").Replace(oneLine(s))
}

// oneLine is s with each line ending ("\r\n", "\n", "\r") and each
// character text/tabwriter reads as a cell's or a line's end ("\t", "\v",
// "\f") replaced by a space: a text found as the benchmark runs (a
// device's name, a Python version's device) sits in one table cell. A
// device named "dev\rice" ended its Markdown row at the "\r" (a line
// ending in CommonMark), and one with a tab or a newline shifted or split
// the text table's row.
func oneLine(s string) string {
	if !strings.ContainsAny(s, "\r\n\t\v\f") {
		return s
	}
	return strings.NewReplacer("\r\n", " ", "\n", " ", "\r", " ", "\t", " ", "\v", " ", "\f", " ").Replace(s)
}

// oneLineRow is row with oneLine applied to each cell, for the text table.
func oneLineRow(row []string) []string {
	out := make([]string, len(row))
	for i, c := range row {
		out[i] = oneLine(c)
	}
	return out
}

// WriteJSON writes the whole report as indented JSON. A list the report
// has none of is written [], never null (emptyLists): a script that loops
// over machine.devices or takes its length works whatever ran. A float's
// -0 is written -0.0 (jsonnum.Fix), as gpusim run's report writes it.
func (r *Report) WriteJSON(w io.Writer) error {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetIndent("", "  ")
	if err := enc.Encode(r.emptyLists()); err != nil {
		return err
	}
	_, err := w.Write(jsonnum.Fix(b.Bytes()))
	return err
}

// emptyLists is a copy of r whose nil lists are empty ones, which
// encoding/json writes [] where it writes a nil slice null: machine.devices
// where no device engine ran or none was listed, machine.simd on an
// architecture whose features gpusim names none of, workloads where every
// engine failed, a sweep's lanes or series, an engine's points. An absent
// section (omitempty: scaling, sweep, python) stays absent.
func (r *Report) emptyLists() *Report {
	c := *r
	c.Machine.SIMD, c.Machine.Devices = nonNil(c.Machine.SIMD), nonNil(c.Machine.Devices)
	c.Workloads = nonNil(slices.Clone(c.Workloads))
	for i := range c.Workloads {
		c.Workloads[i].Engines = nonNil(c.Workloads[i].Engines)
	}
	c.Scaling = slices.Clone(c.Scaling)
	for i := range c.Scaling {
		c.Scaling[i].Points = nonNil(c.Scaling[i].Points)
	}
	if c.Sweep != nil {
		sw := *c.Sweep
		sw.Lanes, sw.Series = nonNil(sw.Lanes), nonNil(slices.Clone(sw.Series))
		for i := range sw.Series {
			sw.Series[i].Points = nonNil(sw.Series[i].Points)
		}
		c.Sweep = &sw
	}
	return &c
}

// nonNil is s, or an empty slice for nil.
func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// CSVHeader is the header of WriteCSV's single flat table. section is one of
// interrupted (a partial report's first row, where a stop ended the
// benchmark: wall_s when, in seconds, and the note what did not run, as
// JSON's interrupted), engine, scaling, amdahl, sweep, crossover, python, setup (a Python tool's
// one-off set-up, engine python/MODULE, in median_s), failed (an engine
// that failed mid-benchmark, its error the note, with "; hint: " and its
// hint where it has one), load (what other processes used of the CPUs
// while a table was measured, as JSON's load: a row for each table, its
// figures in other_cpus (the CPUs other processes used, on average), cpus
// (the CPUs bench may run on) and wall_s (the table's measurement, start
// to end), as JSON's fields, its note "TABLE table: other processes used
// N of the C CPUs over S s" and "; busy" where the report notes it, and a
// row for its peak, the measurement's engine, workers, lanes, steps and
// figures (wall_s its warm-up and timed runs), its note "peak of the
// TABLE table: ...", or "peak of the scaling table, its overhead column:
// ..." for a measurement of that column; "; not judged: under 0.25 s, too
// short to judge" ends the row of a table measured in less, as JSON's
// not_judged), noisy (a configuration measured twice whose medians lie
// apart, as JSON's noisy: a row for each of its two measurements, its
// lanes, steps, engine, device and median_s, to the nanosecond, its note
// "engines table, 5.43x apart from the scaling table's median" or the
// like) and note (one of the report's notes, as the text's
// "note:" lines: an engine left out and its hint, the load before the run,
// a version off the exact law; the note cell alone); cells that do not
// apply to a section are empty, and so is workers where the engine ran its
// default (the device says how many goroutines or processes ran: it read 0).
// Times are in seconds. A python row's speedup is the baseline engine's
// median over its time: the text's slowdown, inverted; its device is where
// it ran (pyopencl's OpenCL device, joblib's processes, Numba's threads,
// else 1 thread), and its note gives Python's, NumPy's and the module's
// versions. other_cpus, cpus and wall_s, the load rows' alone (and wall_s
// the interrupted row's), come after
// note, added last so that every column before keeps its place, and then
// busy and not_judged, true or false in a table's load row (as JSON's busy
// and not_judged; empty in its peak's row and every other row), which a
// CSV reader had only in the note's words ("; busy", "; not judged: ...").
var CSVHeader = []string{"section", "lanes", "steps", "engine", "device", "workers", "runs",
	"median_s", "min_s", "max_s", "cold_s", "ns_per_lane_step", "lane_steps_per_s", "speedup", "efficiency",
	"compile_s", "transfer_s", "kernel_s", "digest", "p", "limit", "note", "other_cpus", "cpus", "wall_s", "busy", "not_judged"}

// WriteCSV writes every number of the report, and its notes, as one flat
// table.
func (r *Report) WriteCSV(w io.Writer) error {
	cw := csv.NewWriter(w)
	col := map[string]int{}
	for i, h := range CSVHeader {
		col[h] = i
	}
	cw.Write(CSVHeader)
	put := func(kv map[string]string) {
		row := make([]string, len(CSVHeader))
		for k, v := range kv {
			i, ok := col[k]
			if !ok {
				panic("bench: no CSV column " + k)
			}
			row[i] = v
		}
		cw.Write(row)
	}
	if i := r.Interrupted; i != nil {
		put(map[string]string{"section": "interrupted", "wall_s": fmtF(float64(i.After)), "note": i.Line()})
	}
	sec := func(d time.Duration) string { return fmtF(d.Seconds()) }
	wl := func(kv map[string]string, w Workload) map[string]string {
		kv["lanes"], kv["steps"] = strconv.FormatUint(w.Lanes, 10), strconv.Itoa(w.Steps)
		return kv
	}
	stats := func(kv map[string]string, s Stats) map[string]string {
		kv["runs"], kv["median_s"], kv["min_s"], kv["max_s"] = strconv.Itoa(s.N), sec(s.Median), sec(s.Min), sec(s.Max)
		return kv
	}
	for _, wr := range r.Workloads {
		for _, m := range wr.Engines {
			kv := stats(wl(map[string]string{"section": "engine", "engine": m.Engine, "device": m.Device,
				"workers": countOpt(m.Workers), "cold_s": sec(m.Cold), "ns_per_lane_step": fmtF(m.NsPerLaneStep),
				"lane_steps_per_s": fmtF(m.LaneStepsPerS), "speedup": fmtF(m.Speedup), "digest": m.Digest.String()}, wr.Workload), m.Wall)
			if m.HasDeviceTiming() {
				kv["compile_s"], kv["transfer_s"], kv["kernel_s"] = sec(m.Compile), sec(m.Transfer), sec(m.Kernel)
			}
			if m.Startup+m.Merge > 0 {
				kv["note"] = fmt.Sprintf("start-up %s s, merge %s s", sec(m.Startup), sec(m.Merge))
			}
			put(kv)
		}
	}
	for _, s := range r.Scaling {
		for _, p := range s.Points {
			put(stats(wl(map[string]string{"section": "scaling", "engine": s.Engine, "workers": strconv.Itoa(p.Workers),
				"ns_per_lane_step": fmtF(p.NsPerLaneStep), "speedup": fmtF(p.Speedup), "efficiency": fmtF(p.Efficiency),
				"note": p.csvNote()}, s.Workload), p.Wall))
		}
		kv := wl(map[string]string{"section": "amdahl", "engine": s.Engine, "note": s.csvFitNote()}, s.Workload)
		if s.Fit != nil {
			kv["p"], kv["limit"] = fmtF(s.Fit.P), fmtF(s.Fit.Limit)
		}
		put(kv)
	}
	if r.Sweep != nil {
		for _, s := range r.Sweep.Series {
			for _, p := range s.Points {
				put(stats(wl(map[string]string{"section": "sweep", "engine": s.Engine, "ns_per_lane_step": fmtF(p.NsPerLaneStep)},
					Workload{p.Lanes, r.Sweep.Steps}), p.Wall))
			}
		}
	}
	for _, c := range r.Crossovers {
		kv := map[string]string{"section": "crossover", "engine": c.Challenger, "note": c.Status + " vs " + c.Base}
		if len(c.FasterBelow) > 0 {
			kv["note"] += "; faster at " + c.fasterText() + " too"
		}
		if c.Status == CrossoverFound {
			kv["lanes"] = strconv.FormatFloat(math.Round(c.Lanes), 'f', 0, 64)
		}
		put(kv)
	}
	for _, kv := range r.pythonCSVRows() {
		put(kv)
	}
	if r.Python != nil {
		for _, m := range slices.Sorted(maps.Keys(r.Python.Setup)) {
			put(map[string]string{"section": "setup", "engine": "python/" + m, "median_s": fmtF(r.Python.Setup[m]),
				"note": setupWhat[m] + ", paid once before the tool's first python row, in none of their times"})
		}
	}
	for _, kv := range r.statusCSVRows() {
		put(kv)
	}
	for _, n := range r.Notes {
		put(map[string]string{"section": "note", "note": n})
	}
	cw.Flush()
	return cw.Error()
}

// statusCSVRows are the CSV's failed, load and noisy rows, as WriteCSV's
// column-value maps, in that order.
func (r *Report) statusCSVRows() []map[string]string {
	var rows []map[string]string
	for _, f := range r.Failures {
		note := f.Error
		if f.Hint != "" {
			note += "; hint: " + f.Hint
		}
		rows = append(rows, map[string]string{"section": "failed", "engine": f.Engine, "workers": countOpt(f.Workers), "note": note,
			"lanes": strconv.FormatUint(f.Workload.Lanes, 10), "steps": strconv.Itoa(f.Workload.Steps)})
	}
	for _, l := range r.Load {
		rows = append(rows, l.csvRows()...)
	}
	for _, p := range r.Noisy {
		rows = append(rows, p.csvRows()...)
	}
	return rows
}

// pythonCSVRows are the CSV's rows of the Python baselines, as WriteCSV's
// column-value maps (empty without them).
func (r *Report) pythonCSVRows() []map[string]string {
	if r.Python == nil {
		return nil
	}
	var rows []map[string]string
	switch {
	case r.Python.Skipped != "":
		rows = append(rows, map[string]string{"section": "python", "note": "skipped: " + r.Python.Skipped})
	case r.Python.Failed != "":
		rows = append(rows, map[string]string{"section": "python", "note": "failed: " + r.Python.Failed})
	}
	if cut := r.pythonCut(); cut != "" {
		rows = append(rows, map[string]string{"section": "python", "note": cut})
	}
	for _, p := range r.Python.Results {
		kv := map[string]string{"section": "python", "engine": "python/" + p.Method,
			"lanes": strconv.FormatUint(p.Workload.Lanes, 10), "steps": strconv.Itoa(p.Workload.Steps)}
		if p.Skipped != "" {
			kv["note"] = "skipped: " + p.Skipped
			if p.Failed {
				kv["note"] = "failed: " + p.Skipped
			}
			if p.Package != "" {
				kv["note"] += "; Debian package " + p.Package
			}
			rows = append(rows, kv)
			continue
		}
		note := p.Description + "; exact law " + p.Law.String()
		if p.Scaled {
			// The steps too where its time budget was spent, as the
			// text's "1k x 13 (scaled up)" says: the note read "run
			// on 5000000 lanes and scaled up" of a version that ran
			// every lane but 13 of 100 steps.
			steps := ""
			if st := p.stepsRun(); st != "" {
				steps = " of " + count.Noun(p.SampleSteps, "step") + " (time budget spent)"
			}
			note += fmt.Sprintf("; run on %d %s%s and scaled up", p.SampleLanes, nounFor(p.SampleLanes, "lane"), steps)
		}
		// Where it ran, as an engine row's device says; the versions in
		// the note (the device read Python's and NumPy's versions).
		kv["device"] = r.Python.device(p)
		note += "; " + r.Python.versions(p)
		kv["runs"], kv["median_s"], kv["ns_per_lane_step"] = "", fmtF(p.WorkloadSeconds), fmtF(p.NsPerLaneStep)
		kv["lane_steps_per_s"], kv["note"] = fmtF(1e9/p.NsPerLaneStep), note
		// The text's slowdown, as the engines' speedup over the
		// baseline (its inverse): the CSV had neither.
		if b := r.engine(p.Workload, r.Baseline); b != nil && b.Wall.Median > 0 && p.WorkloadSeconds > 0 {
			kv["speedup"] = fmtF(b.Wall.Median.Seconds() / p.WorkloadSeconds)
		}
		rows = append(rows, kv)
	}
	return rows
}

// errWriter keeps the first write error so the writers can check once.
type errWriter struct {
	w   io.Writer
	err error
}

func (e *errWriter) Write(p []byte) (int, error) {
	if e.err != nil {
		return 0, e.err
	}
	n, err := e.w.Write(p)
	e.err = err
	return n, err
}

// fmtDur writes a duration to three significant digits.
func fmtDur(d time.Duration) string {
	if d <= 0 {
		return "0"
	}
	return fmtSec(d.Seconds())
}

// fmtSec writes s seconds as every text of gpusim writes a time
// (count.Seconds): three significant digits in the largest unit of which
// it is at least one once rounded; "0" in a table's cell for none.
func fmtSec(s float64) string {
	if !(s > 0) {
		return "0"
	}
	return count.Seconds(s)
}

// countOpt is n in decimal, or empty for 0 (an engine's default).
func countOpt(n int) string {
	if n == 0 {
		return ""
	}
	return strconv.Itoa(n)
}

// fmtDurOpt is fmtDur with an empty cell for zero.
func fmtDurOpt(d time.Duration) string {
	if d == 0 {
		return ""
	}
	return fmtDur(d)
}

// fmtG writes x to three significant digits, without an exponent below 10^6:
// from 999.5 on x is whole, as %.3g rounded 999.7 to "1e+03".
func fmtG(x float64) string { return count.Sig3(x) }

// fmtP writes a parallel fraction as the scaling table's notes and the
// speedup chart's legend both do: to 4 decimals, or to as many more as keep
// a P inside (0, 1) from reading as its bound (0.99996 read 1.0000, the P of
// an unbounded limit, where its limit is 25,000x).
func fmtP(p float64) string {
	s := strconv.FormatFloat(p, 'f', 4, 64)
	for d := 5; d <= 17; d++ {
		v, _ := strconv.ParseFloat(s, 64)
		if (v == 1) == (p == 1) && (v == 0) == (p == 0) {
			break
		}
		s = strconv.FormatFloat(p, 'f', d, 64)
	}
	return s
}

// fmtF writes x in full precision for machine-read formats.
func fmtF(x float64) string {
	if math.IsInf(x, 0) || math.IsNaN(x) {
		return ""
	}
	return strconv.FormatFloat(x, 'g', -1, 64)
}

// fmtX writes a ratio as "3.21x".
func fmtX(x float64) string {
	if x == 0 {
		return ""
	}
	return fmtG(x) + "x"
}

// fmtSI writes x to three digits with a k/M/G/T suffix (count.SI).
func fmtSI(x float64) string { return count.SI(x, 3) }

// possessive is an engine's name as its owner: "serial's", and "processes'"
// for the one that ends in s (the notes read "processes's median").
func possessive(name string) string {
	if strings.HasSuffix(name, "s") {
		return name + "'"
	}
	return name + "'s"
}
