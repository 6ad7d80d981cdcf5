package bench

import (
	"fmt"
	"slices"
	"strings"

	"github.com/gpusim/gpusim/internal/count"
)

// The method's words describe only what the report measured: the HTML
// page's method said how the processes engine and the Python versions were
// measured in a run of serial and simd with --baseline none, and the
// scaling table's notes spoke of processes where only goroutines scaled.

// scaledEngines are the engines of r's scaling table that start goroutines
// (every one but processes), in its order, and whether processes is among
// them.
func (r *Report) scaledEngines() (goroutines []string, processes bool) {
	for _, s := range r.Scaling {
		if s.Engine == ProcessesEngine {
			processes = true
		} else if !slices.Contains(goroutines, s.Engine) {
			goroutines = append(goroutines, s.Engine)
		}
	}
	return goroutines, processes
}

// measuredEngine reports whether r holds a measurement of the engine
// name: on a workload, in the scaling table or in the sweep.
func (r *Report) measuredEngine(name string) bool {
	for _, wr := range r.Workloads {
		if slices.ContainsFunc(wr.Engines, func(m Measurement) bool { return m.Engine == name }) {
			return true
		}
	}
	if slices.ContainsFunc(r.Scaling, func(s Scaling) bool { return s.Engine == name }) {
		return true
	}
	return r.Sweep != nil && slices.ContainsFunc(r.Sweep.Series, func(s SweepSeries) bool { return s.Engine == name })
}

// scalingWords is how the scaling notes and the method name what each
// worker the engines that scaled start, and what the overhead above one
// worker is measured on: for goroutines (parallel, simd), one a block of
// lanes; for processes, one a lane.
type scalingWords struct {
	starts string // "one a block of lanes": a worker's share, as ran counts it
	above  string // the overhead's runs above one worker
	// procs is "; for processes also start-up and merge" where processes
	// scaled, worded by the caller.
	procs bool
}

func (r *Report) scalingWords() scalingWords {
	goroutines, procs := r.scaledEngines()
	switch {
	case len(goroutines) > 0 && procs:
		return scalingWords{"one a block of lanes; processes one a lane",
			"the goroutines that ran on one block of lanes each, less one block's time on one worker (processes: one lane per process)", true}
	case procs:
		return scalingWords{"one process a lane", "the processes that ran on one lane each, less one lane's time on one worker", true}
	}
	return scalingWords{"one a block of lanes", "the goroutines that ran on one block of lanes each, less one block's time on one worker", false}
}

// scalingNotes are the notes under the scaling table that say how it is
// measured, in the words of the engines that scaled.
func (r *Report) scalingNotes() []string {
	w := r.scalingWords()
	procs := ""
	if w.procs {
		procs = "; for processes also start-up and merge"
	}
	notes := []string{
		fmt.Sprintf("speedup is over the same engine on one worker, efficiency is speedup per worker that ran (\"4 (2 ran)\": 4 asked, 2 started, %s); the fit is Amdahl's law S(N) = 1/((1-P) + P/N) (G. M. Amdahl, AFIPS 1967, as the course writes it) by least squares at the workers that ran, leaving out (\"not fitted\") the counts that ran more workers than the cores; P's range is P fitted to each point's lowest and highest speedup over the timed runs (the one-worker run's fastest time over the point's slowest, and its slowest over the point's fastest)", w.starts),
		fmt.Sprintf("overhead is the time no worker count shortens (set-up, hand-out, reduction%s): one worker on one lane; above, %s; predicted P = 1 - overhead/median at one worker", procs, w.above),
	}
	if r.efficiencyAbove() {
		notes = append(notes, efficiencyAboveNote)
	}
	if r.overheadBelow() {
		notes = append(notes, overheadBelowNote)
	}
	return notes
}

// overheadBelowNote explains the overhead cells below 0.
const overheadBelowNote = "an overhead below 0 is as measured, not clamped: \"in noise\", the workers' run on one block of lanes each having taken less than one block on one worker less the one-worker overhead, so the runs' noise is larger than what the added workers cost, which is too small to measure at this workload; the one-worker overhead, which predicted P uses, is a run's own time and never below 0"

// overheadBelow says whether a point of r's scaling table has an
// overheadNote.
func (r *Report) overheadBelow() bool {
	for _, s := range r.Scaling {
		for _, p := range s.Points {
			if p.overheadNote() != "" {
				return true
			}
		}
	}
	return false
}

// efficiencyAboveNote explains the efficiency cells above 100%.
const efficiencyAboveNote = "an efficiency above 100% is as measured, not clamped: \"in noise\" where the speedup at the low end of the timed runs' spread is at most 100% per worker, \"superlinear\" where even it is above (each worker's share of the lanes fitting a cache of its own can do that), \"1 run\" where one timed run has no spread to tell (--reps 2 or more), \"drift\" where one worker ran, as at the base, so the point measures the one-worker run again and differs from it by the machine's drift between the two measurements, not by parallelism"

// efficiencyAbove says whether a point of r's scaling table has an
// efficiencyNote.
func (r *Report) efficiencyAbove() bool {
	for _, s := range r.Scaling {
		for _, p := range s.Points {
			if p.efficiencyNote() != "" {
				return true
			}
		}
	}
	return false
}

// htmlMethod says how the report's numbers were measured, for the HTML
// page: a paragraph for each part the run measured (the workloads, the
// scaling table, the processes and parallel engines, the Python
// versions), none for a part it did not.
func (r *Report) htmlMethod() []string {
	var ps []string
	if len(r.Workloads) > 0 {
		ps = append(ps, fmt.Sprintf("Every engine runs the same workloads: %s untimed, then %s; the tables give the median with the minimum and maximum. Every run's digest (a sum over lanes of a hash of each lane's final temperature) must equal the first engine's, so every engine computed the same numbers.",
			count.Noun(r.Warmup, "warm-up run"), count.Noun(r.Reps, "timed run")))
	}
	if len(r.Scaling) > 0 {
		ps = append(ps, r.scalingMethod())
	}
	var kinds []string
	if r.measuredEngine(ProcessesEngine) {
		kinds = append(kinds, "The processes engine is multi-processing as the course describes it: one gpusim child process per worker, each running one shard of the lanes and saving a part file, then a gpusim merge process.")
	}
	if r.measuredEngine("parallel") {
		kinds = append(kinds, "The parallel engine is multi-threading: goroutines in one process sharing memory.")
	}
	if len(kinds) > 0 {
		ps = append(ps, strings.Join(kinds, " "))
	}
	if p := r.pythonMethod(); p != "" {
		ps = append(ps, p)
	}
	return ps
}

// scalingMethod is the method's paragraph on the scaling table, naming the
// engines that scaled.
func (r *Report) scalingMethod() string {
	goroutines, procs := r.scaledEngines()
	var names, starts []string
	if len(goroutines) > 0 {
		names = append(names, goroutines...)
		verb := "start"
		if len(goroutines) == 1 {
			verb = "starts"
		}
		starts = append(starts, andList(goroutines)+" "+verb+" at most one goroutine a block of lanes")
	}
	overhead := "set-up, handing out work, the reduction"
	var beyond []string
	if len(goroutines) > 0 {
		beyond = append(beyond, "goroutines beyond GOMAXPROCS or the CPUs, where fewer")
	}
	if procs {
		beyond = append(beyond, "processes beyond the CPUs")
	}
	if procs {
		names = append(names, ProcessesEngine)
		starts = append(starts, "processes starts at most one process a lane")
		overhead += "; for processes also starting the children and merging their parts"
	}
	return fmt.Sprintf("Scaling runs %s at each worker count. Efficiency is the speedup per worker that ran: %s, so a larger count repeats a smaller run. Amdahl's law S(N) = 1/((1-P) + P/N) (G. M. Amdahl, AFIPS 1967, as the course writes it) is fitted to the speedups by least squares at the workers that ran, leaving out the counts where more workers ran than there were cores for them (%s), whose speedups measure oversubscription, with P's range over the timed runs' spread (P fitted to each point's lowest and highest speedup: the one-worker run's fastest time over the point's slowest, and its slowest over the point's fastest), and P is also predicted without a fit: the overhead, the time no worker count shortens (%s), is measured at one worker on one lane, and above one worker on %s; at one worker P = 1 - that time / the run's time.",
		andList(names), andList(starts), andList(beyond), overhead, r.scalingWords().above)
}

// pythonCourse and pythonPicks describe the Python versions by method: the
// course's own, and what a user picks instead.
var (
	pythonCourse = []struct{ method, what string }{{"loop", "a pure Python loop"}, {"joblib-lane", "joblib with one task per lane"}, {"matrix", "a NumPy matrix"}}
	pythonPicks  = []struct{ method, what string }{{"joblib-chunk", "joblib with one NumPy chunk per core"}, {"vector", "a float32 NumPy vector"}, {"numba", "Numba's prange"}, {"pyopencl", "PyOpenCL"}}
)

// pythonMethod is the method's paragraph on the Python versions that ran
// (not skipped, not failed), or "" where none did.
func (r *Report) pythonMethod() string {
	py := r.Python
	if py == nil {
		return ""
	}
	ran := map[string]bool{}
	scaled := false
	for _, p := range py.Results {
		if p.Skipped == "" {
			ran[p.Method] = true
			scaled = scaled || p.Scaled
		}
	}
	if len(ran) == 0 {
		return ""
	}
	pick := func(list []struct{ method, what string }) (out []string) {
		for _, v := range list {
			if ran[v.method] {
				out = append(out, v.what)
				delete(ran, v.method)
			}
		}
		return out
	}
	var groups []string
	if c := pick(pythonCourse); len(c) > 0 {
		groups = append(groups, "the course's ("+strings.Join(c, ", ")+")")
	}
	if p := pick(pythonPicks); len(p) > 0 {
		groups = append(groups, "what a user picks instead ("+strings.Join(p, ", ")+")")
	}
	if len(groups) == 0 {
		// Not one of pythonVersions: the script's results are only the
		// versions asked for (scriptPlan.check), so none here.
		return ""
	}
	s := "The Python versions measured are " + andList(groups) + "."
	if scaled {
		s += " Slow ones run on a sample of lanes and are scaled up."
	}
	if len(py.Setup) > 0 {
		s += " One-off set-up (compiles, worker start) is reported apart."
	}
	return s + " Each one's mean and standard deviation are checked against the model's exact normal law."
}
