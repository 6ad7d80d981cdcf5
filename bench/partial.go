package bench

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/gpusim/gpusim/internal/count"
	"github.com/gpusim/gpusim/internal/jsonnum"
)

// Interruption says a report is partial: a stop (a signal: Ctrl-C,
// SIGTERM, SIGHUP) or a crash (Config.CrashReport) ended the benchmark
// before its end, and the report holds only the measurements that
// finished (Run).
type Interruption struct {
	// Signal is the stop's cause in words, as the command's stderr line
	// says it: "interrupted" (SIGINT), "terminated", "hung up"; "crashed"
	// where Crash is set.
	Signal string `json:"signal"`
	// Crash, where set, is what crashed in the measurement after the
	// last that finished, ending the process: "the OpenCL driver"
	// (Config.CrashOf). After is then when that measurement began.
	Crash string `json:"crash,omitempty"`
	// Releasing, where set (with Crash), says the crash came after the
	// timed runs of the measurement it names ("opencl:0 on 1k x 10"),
	// while or after its engine was released: that measurement finished
	// and is in the report. After is then when its runs had finished.
	Releasing string `json:"releasing,omitempty"`
	// After is how long the benchmark had run when it stopped, seconds.
	After Seconds `json:"after_s"`
	// NotRun is what did not run or was cut short, a table or section
	// each, in the benchmark's order, with how many of its planned rows
	// did not run: "engines table: 5 of 8 planned measurements" (3 ran),
	// "scaling table: 4 of 4 planned worker counts", "size sweep: 6 of 6
	// sizes", "crossovers", "python baseline: 5 of 7 versions" (a version
	// on each workload counts once). The counts said how many ran, which
	// under "not run" read as the opposite. Where Releasing is set, a
	// table whose every planned row ran is left out: empty where every
	// planned measurement finished (AllRan).
	NotRun []string `json:"not_run"`
}

// AllRan says the crash came in or after the release of the last
// measurement's engine (Releasing), every planned measurement finished
// and in the report: NotRun is empty.
func (i *Interruption) AllRan() bool {
	return i.Crash != "" && i.Releasing != "" && len(i.NotRun) == 0
}

// Line is the interruption in one sentence, the text and Markdown
// reports' first line and the CSV's interrupted row's note.
func (i *Interruption) Line() string {
	if i.AllRan() {
		return fmt.Sprintf("report: %s crashed after the last measurement, of %s, had finished, in or after its engine's release, %s into the benchmark: every planned measurement finished and is shown",
			i.Crash, i.Releasing, fmtDur(time.Duration(float64(i.After)*1e9)))
	}
	if i.Crash != "" && i.Releasing != "" {
		return fmt.Sprintf("partial report: %s crashed after the measurement of %s had finished (it is shown), in or after its engine's release, %s into the benchmark; only measurements whose runs all finished are shown; not run: %s",
			i.Crash, i.Releasing, fmtDur(time.Duration(float64(i.After)*1e9)), strings.Join(i.NotRun, ", "))
	}
	if i.Crash != "" {
		return fmt.Sprintf("partial report: %s crashed in the measurement that began after %s of the benchmark; only measurements whose runs all finished are shown; not run: %s",
			i.Crash, fmtDur(time.Duration(float64(i.After)*1e9)), strings.Join(i.NotRun, ", "))
	}
	return fmt.Sprintf("partial report: the benchmark was stopped (%s) after %s; only measurements whose runs all finished are shown; not run: %s",
		i.Signal, fmtDur(time.Duration(float64(i.After)*1e9)), strings.Join(i.NotRun, ", "))
}

// Stages of a benchmark, in order, as stages names where it stopped.
const (
	stageEngines = "engines"
	stageScaling = "scaling"
	stageSweep   = "sweep"
	stagePython  = "python"
)

// interrupted ends rep, a benchmark ctx stopped in stage, as a partial
// report: the tables so far, with only their complete rows (each table's
// own code keeps them so: workloads, scalings, partialSweep), the
// interruption (notRun), and the notes of what there is. It returns nil
// where no measurement finished: there is nothing to report.
func (r *runner) interrupted(ctx context.Context, rep *Report, stage string, engines []EngineSpec) *Report {
	return r.cut(rep, stage, engines, Interruption{Signal: context.Cause(ctx).Error()})
}

// cut ends rep as interrupted does, its Interruption in (Signal, Crash)
// with the time and what did not run added; nil where no measurement
// finished.
func (r *runner) cut(rep *Report, stage string, engines []EngineSpec, in Interruption) *Report {
	if !rep.hasTable("engines") && !rep.hasTable("scaling") && !rep.hasTable("sweep") && (rep.Python == nil || len(rep.Python.Results) == 0) {
		return nil
	}
	rep.Elapsed = Seconds(jsonnum.Seconds(time.Since(rep.Started)))
	in.After, in.NotRun = rep.Elapsed, r.notRun(rep, stage, engines)
	if in.Releasing != "" {
		// A crash in the release of a measurement kept before it: a table
		// whose every planned row ran is not "not run" (AllRan).
		in.NotRun = slices.DeleteFunc(in.NotRun, func(n string) bool { return strings.Contains(n, ": 0 of ") })
	}
	rep.Interrupted = &in
	if stage == stageScaling {
		rep.Notes = append(rep.Notes, oversubscribed(rep)...)
	}
	noteLoad(rep)
	noteNoisy(rep)
	rep.clipTexts()
	return rep
}

// notRun lists what a benchmark stopped in stage did not run: the stage's
// table with how many of its planned measurements did not run, then each
// later stage the configuration asked for.
func (r *runner) notRun(rep *Report, stage string, engines []EngineSpec) []string {
	cfg := r.cfg
	var out []string
	at := slices.Index([]string{stageEngines, stageScaling, stageSweep, stagePython}, stage)
	if at == 0 {
		done := 0
		for _, wr := range rep.Workloads {
			done += len(wr.Engines)
		}
		planned := len(cfg.Workloads) * len(engines)
		out = append(out, fmt.Sprintf("engines table: %d of %s", planned-min(done, planned), count.Noun(planned, "planned measurement")))
	}
	if cfg.Scaling && at <= 1 {
		planned := 0
		for _, e := range engines {
			if e.Scales {
				planned += len(cfg.workers())
			}
		}
		if planned > 0 {
			done := 0
			for _, s := range rep.Scaling {
				done += len(s.Points)
			}
			out = append(out, fmt.Sprintf("scaling table: %d of %s", planned-min(done, planned), count.Noun(planned, "planned worker count")))
		}
	}
	if len(cfg.Sweep) > 0 && at <= 2 {
		done := 0
		if rep.Sweep != nil {
			done = len(rep.Sweep.Lanes)
		}
		sizes := len(slices.Compact(slices.Sorted(slices.Values(cfg.Sweep))))
		out = append(out, fmt.Sprintf("size sweep: %d of %s", sizes-min(done, sizes), count.Noun(sizes, "size")), "crossovers")
	}
	if cfg.Python {
		planned, done := len(cfg.Workloads)*len(cfg.pythonMethods()), 0
		if rep.Python != nil {
			done = len(rep.Python.Results)
		}
		out = append(out, fmt.Sprintf("%s: %d of %s", pythonNotRun, planned-min(done, planned), count.Noun(planned, "version")))
	}
	return out
}

// pythonNotRun begins the Python baseline's entry of Interruption.NotRun.
const pythonNotRun = "python baseline"

// pythonCut is the note of the Python baseline's table and the course's
// where a stop cut the baseline short (its entry in r's NotRun, with the
// versions that did not run), else "".
func (r *Report) pythonCut() string {
	if r.Interrupted == nil || r.Python == nil || len(r.Python.Results) == 0 {
		return ""
	}
	for _, n := range r.Interrupted.NotRun {
		if strings.HasPrefix(n, pythonNotRun+": ") && !strings.HasPrefix(n, pythonNotRun+": 0 of ") {
			return "cut short: the benchmark was stopped while the Python baseline ran; only the versions that ended before the stop are shown (not run: " + n + ")"
		}
	}
	return ""
}

// partialSweep keeps of sw, a sweep a stop cut short, the sizes every
// engine still in it measured (a size that some engines did not reach is
// a row cut in the middle), and returns nil where none is left.
func (r *runner) partialSweep(sw *Sweep) *Sweep {
	if sw == nil {
		return nil
	}
	sw.Series = slices.DeleteFunc(sw.Series, func(s SweepSeries) bool { return r.failed[s.Engine] })
	if len(sw.Series) == 0 {
		return nil
	}
	n := len(sw.Lanes)
	for _, s := range sw.Series {
		n = min(n, len(s.Points))
	}
	if n == 0 {
		return nil
	}
	sw.Lanes = sw.Lanes[:n]
	for i := range sw.Series {
		sw.Series[i].Points = sw.Series[i].Points[:n]
	}
	return sw
}

// partialScaling ends s, a scaling table a stop cut short after its
// points (each complete: its timed runs and its overhead), with the
// predicted P of its one-worker point and no Amdahl fit, which fewer
// worker counts than asked would give wrong.
func (r *runner) partialScaling(s *Scaling) {
	s.predict()
	s.FitNote = fmt.Sprintf("the benchmark was stopped after %d of %s", len(s.Points), count.Noun(len(r.cfg.workers()), "worker count"))
}
