package bench

import (
	"context"
	"fmt"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gpusim/gpusim/internal/count"
	"github.com/gpusim/gpusim/internal/cputime"
	"github.com/gpusim/gpusim/internal/jsonnum"
)

// busyShare is the share of the CPUs bench may run on that other processes
// may use, on average while a table is measured, before the report says
// that table's timings are not reliable: an engine on every core loses
// about that share of its time to them. A quiet machine's daemons and
// kernel threads use about 1% of 2 CPUs. Below minLoadWall a table is not
// judged: /proc/stat counts idle time to 10 ms a CPU, and a reading's
// rounding alone reaches 4% of the CPUs over a quarter of a second.
const (
	busyShare   = 0.1
	minLoadWall = 250 * time.Millisecond
)

// Load is the CPU time other processes used while one table of a
// benchmark was measured: the time the CPUs bench may run on (its
// affinity mask) were not idle, less bench's own CPU time and its waited
// children's (the processes engine's). Bench --quick under a load of 9 on
// 2 cores had its Engines and Scaling tables 1.75x and 2.6x apart without
// a word, where the two measurements' spreads met (Repeat).
type Load struct {
	// Table is "engines", "scaling" or "sweep", as Repeat names them.
	Table string `json:"table"`
	// OtherCPUs is how many CPUs other processes used, on average.
	OtherCPUs float64 `json:"other_cpus"`
	CPUs      int     `json:"cpus"`   // the CPUs bench may run on
	Wall      Seconds `json:"wall_s"` // the table's measurement, start to end
	// Peak is the table's measurement (an engine on a workload) during
	// which other processes used the most of the CPUs, where that is
	// busyShare or more over minLoadWall or more: a burst that the
	// table's average leaves under busyShare. It is one whose row the
	// report shows (runner.shownPeak): a measurement a stop or a failure
	// left out of the table (a Scaling point whose overhead was cut) is
	// none, where the note named a row no table has.
	Peak *Peak `json:"peak,omitempty"`
	// Busy is OtherCPUs at busyShare of CPUs or more over minLoadWall or
	// more, or a Peak: the report has a note of it.
	Busy bool `json:"busy"`
	// NotJudged is set where Wall is under minLoadWall (0.25 s): too
	// short to judge, so Busy is false whatever OtherCPUs reads (a
	// reading's rounding alone reaches 4% of the CPUs over 0.25 s). Such
	// an entry read like a judged one: 1.16 of 2 CPUs over 0.0012 s,
	// without busy or a reason.
	NotJudged bool `json:"not_judged,omitempty"`
}

// Peak is one measurement of a table and what other processes used of the
// CPUs while it ran (its warm-up and timed runs).
type Peak struct {
	Engine    string   `json:"engine"` // as the progress names it: parallel/2 at 2 workers
	Workload  Workload `json:"workload"`
	OtherCPUs float64  `json:"other_cpus"`
	Wall      Seconds  `json:"wall_s"`
	// Overhead is set where the measurement was one of the Scaling
	// table's overhead column's (overheads.at), on lanes of its own: the
	// note names it so, as the table shows it, not as processes/1 on 1 x
	// 10, a row no table has.
	Overhead bool `json:"overhead,omitempty"`
}

// cpuReading is the machine's CPU time at one moment.
type cpuReading struct {
	at   time.Time
	idle time.Duration // the CPUs' idle time since boot (cputime.Idle)
	own  time.Duration // the process's CPU time and its waited children's
	cpus int           // the CPUs bench may run on
}

// readCPU is the machine's CPU time now; ok is false where it is not read
// (a system other than Linux, which has no /proc/stat). A variable for
// tests.
var readCPU = func() (r cpuReading, ok bool) {
	if runtime.GOOS != "linux" {
		return r, false
	}
	idle, ok := cputime.Idle()
	if !ok {
		return r, false
	}
	return cpuReading{at: time.Now(), idle: idle, own: cputime.Process() + cputime.Children(), cpus: runtime.NumCPU()}, true
}

// loadOf is table's Load from readings a and b taken around its
// measurement; ok is false where they say nothing (no time between them, a
// clock or an idle time that went back).
func loadOf(table string, a, b cpuReading) (l Load, ok bool) {
	wall := b.at.Sub(a.at)
	if wall <= 0 || b.idle < a.idle || a.cpus < 1 {
		return l, false
	}
	others := time.Duration(a.cpus)*wall - (b.idle - a.idle) - max(b.own-a.own, 0)
	l = Load{Table: table, CPUs: a.cpus, Wall: Seconds(jsonnum.Seconds(wall))}
	l.OtherCPUs = min(max(others.Seconds(), 0)/wall.Seconds(), float64(a.cpus))
	l.NotJudged = wall < minLoadWall
	l.Busy = !l.NotJudged && l.OtherCPUs >= busyShare*float64(a.cpus)
	return l, true
}

// load runs measure, the measurement of the named table, and adds to
// rep.Load what other processes used of the CPUs meanwhile, with a
// progress line where they were busy. A table a stop (ctx) cut short is
// counted too, to the stop: its complete rows stand in the partial report
// (Run), and without it a table measured on a busy machine read as one
// measured on a quiet one (noteLoad drops the entry of a table left
// out). Its progress line is said only where a row of it stands (the
// report's note is noteLoad's): a bench stopped before any row of a table
// finished said that table's timings were not reliable, of a table it did
// not print (no report at all where it was the first). measure's error is
// returned.
func (r *runner) load(ctx context.Context, rep *Report, table string, measure func() error) error {
	r.peaks = nil
	a, ok := readCPU()
	r.loadAt = loadStart{table, a, ok}
	err := measure()
	r.loadAt = loadStart{}
	if !ok || (err != nil && ctx.Err() == nil) {
		return err
	}
	if b, ok := readCPU(); ok {
		l := r.addLoad(rep, table, a, b)
		if l != nil && l.Busy && (ctx.Err() == nil || rep.hasTable(table)) {
			r.progress("%s", l.note())
		}
	}
	return err
}

// loadStart is the reading a table's measurement started at (load), for a
// Snapshot's load of the table a stop cut.
type loadStart struct {
	table string
	a     cpuReading
	ok    bool
}

// addLoad adds to rep.Load table's load between readings a and b, its
// peak the busiest measurement whose row rep shows (shownPeak), and
// returns it; nil where the readings say nothing (loadOf).
func (r *runner) addLoad(rep *Report, table string, a, b cpuReading) *Load {
	l, ok := loadOf(table, a, b)
	if !ok {
		return nil
	}
	l.Peak = r.shownPeak(rep, table)
	l.Busy = l.Busy || l.Peak != nil
	rep.Load = append(rep.Load, l)
	return &rep.Load[len(rep.Load)-1]
}

// tableRow is a row of a table: an engine on a workload, at a Scaling
// point's worker count (0 in the other tables).
type tableRow struct {
	engine  string
	w       Workload
	workers int
}

// rowPeak is a measurement that may be its table's Peak, with the row it
// is part of: a Scaling point's overhead measurements are the point's.
type rowPeak struct {
	Peak
	row tableRow
}

// notePeak keeps, as one of the table's peaks, the measurement of label
// on w, part of row (or of the point runner.overheadOf names), that ran
// since reading a, where other processes used busyShare of the CPUs or
// more.
func (r *runner) notePeak(label string, row tableRow, w Workload, a cpuReading, ok bool) {
	if !ok {
		return
	}
	b, ok := readCPU()
	if l, ok2 := loadOf("", a, b); ok && ok2 && l.Busy {
		if r.overheadOf != nil {
			row = *r.overheadOf
		}
		r.peaks = append(r.peaks, rowPeak{Peak{Engine: label, Workload: w, OtherCPUs: l.OtherCPUs, Wall: l.Wall, Overhead: r.overheadOf != nil}, row})
	}
}

// shownPeak is the peak (notePeak) of the table measured last where other
// processes used the most of the CPUs, of those whose rows rep shows, or
// nil: a busy note named parallel/2 as the peak of a Scaling table whose
// 2-worker point a stop had cut in its overhead, a row the report does
// not show.
func (r *runner) shownPeak(rep *Report, table string) *Peak {
	var best *Peak
	for _, p := range r.peaks {
		if rep.shows(table, p.row) && (best == nil || p.OtherCPUs > best.OtherCPUs) {
			best = &p.Peak
		}
	}
	return best
}

// shows says whether the named table of r has row: an engine's
// measurement on a workload of the Engines table, a point of an engine's
// Scaling table, an engine's point at a size of the sweep.
func (r *Report) shows(table string, row tableRow) bool {
	switch table {
	case "engines":
		return slices.ContainsFunc(r.Workloads, func(wr WorkloadResult) bool {
			return wr.Workload == row.w && slices.ContainsFunc(wr.Engines, func(m Measurement) bool { return m.Engine == row.engine })
		})
	case "scaling":
		return slices.ContainsFunc(r.Scaling, func(s Scaling) bool {
			return s.Engine == row.engine && s.Workload == row.w && slices.ContainsFunc(s.Points, func(p ScalingPoint) bool { return p.Workers == row.workers })
		})
	case "sweep":
		if r.Sweep == nil || r.Sweep.Steps != row.w.Steps {
			return false
		}
		i, s := slices.Index(r.Sweep.Lanes, row.w.Lanes), r.Sweep.series(row.engine)
		return i >= 0 && s != nil && i < len(s.Points)
	}
	return false
}

// note is the report's note of a busy table.
func (l Load) note() string {
	peak := ""
	if p := l.Peak; p != nil {
		peak = fmt.Sprintf(", %.1f (%.0f%%) while %s", p.OtherCPUs, 100*p.OtherCPUs/float64(l.CPUs), p.what())
	}
	return fmt.Sprintf("the machine was busy: other processes used %.1f of the %s bench may run on (%.0f%%) while the %s table was measured (%s)%s; its timings count their competition and are not reliable: measure again on a quiet machine",
		l.OtherCPUs, count.Noun(l.CPUs, "CPU"), 100*l.OtherCPUs/float64(l.CPUs), l.Table, fmtSec(float64(l.Wall)), peak)
}

// what names p's measurement in a busy table's note, as its table shows
// it: "parallel/2 on 500k x 10 was (1 s)", or for the overhead column's,
// "the overhead of processes was measured (1 worker on 1 x 10, 1 s)".
func (p Peak) what() string {
	if i := strings.LastIndex(p.Engine, "/"); p.Overhead && i >= 0 {
		if n, err := strconv.Atoi(p.Engine[i+1:]); err == nil {
			return fmt.Sprintf("the overhead of %s was measured (%s on %s, %s)", p.Engine[:i], count.Noun(n, "worker"), p.Workload, fmtSec(float64(p.Wall)))
		}
	}
	return fmt.Sprintf("%s on %s was (%s)", p.Engine, p.Workload, fmtSec(float64(p.Wall)))
}

// notJudgedCSV ends the CSV load row of a table too short to judge
// (Load.NotJudged).
var notJudgedCSV = fmt.Sprintf("; not judged: under %s s, too short to judge", fmtF(minLoadWall.Seconds()))

// csvRows are l's rows in the CSV (CSVHeader's load section), as
// WriteCSV's column-value maps: one for the table and one for its peak,
// where it has one, each with its figures in other_cpus, cpus and wall_s,
// as JSON's fields, and in its note; the table's row says busy and
// not_judged in their columns too, where a CSV reader had them only in the
// note's words. The CSV had none, and a CSV reader
// saw the load only in a busy table's note; then the figures only in the
// note's words. A table too short to judge says so (notJudgedCSV), where
// it read as a judged one that was not busy.
func (l Load) csvRows() []map[string]string {
	used := func(other float64, wall Seconds) string {
		return fmt.Sprintf("other processes used %s of the %s over %s s", fmtF(other), count.Noun(l.CPUs, "CPU"), fmtF(float64(wall)))
	}
	note := l.Table + " table: " + used(l.OtherCPUs, l.Wall)
	if l.Busy {
		note += "; busy"
	}
	if l.NotJudged {
		note += notJudgedCSV
	}
	figures := func(kv map[string]string, other float64, wall Seconds) map[string]string {
		kv["other_cpus"], kv["cpus"], kv["wall_s"] = fmtF(other), strconv.Itoa(l.CPUs), fmtF(float64(wall))
		return kv
	}
	rows := []map[string]string{figures(map[string]string{"section": "load", "note": note,
		"busy": strconv.FormatBool(l.Busy), "not_judged": strconv.FormatBool(l.NotJudged)}, l.OtherCPUs, l.Wall)}
	if p := l.Peak; p != nil {
		engine, workers := p.Engine, ""
		if i := strings.LastIndex(p.Engine, "/"); i >= 0 {
			if _, err := strconv.Atoi(p.Engine[i+1:]); err == nil {
				engine, workers = p.Engine[:i], p.Engine[i+1:]
			}
		}
		note := "peak of the " + l.Table + " table"
		if p.Overhead {
			note += ", its overhead column"
		}
		note += ": " + used(p.OtherCPUs, p.Wall)
		rows = append(rows, figures(map[string]string{"section": "load", "engine": engine, "workers": workers,
			"lanes": strconv.FormatUint(p.Workload.Lanes, 10), "steps": strconv.Itoa(p.Workload.Steps), "note": note}, p.OtherCPUs, p.Wall))
	}
	return rows
}

// noteLoad leaves out of rep.Load the tables the report has not (an empty
// scaling table: no engine scales; every engine failed), and adds a note
// for each busy table.
func noteLoad(rep *Report) {
	rep.Load = slices.DeleteFunc(rep.Load, func(l Load) bool { return !rep.hasTable(l.Table) })
	for _, l := range rep.Load {
		if l.Busy {
			rep.Notes = append(rep.Notes, l.note())
		}
	}
}

// hasTable says whether r has the named table ("engines", "scaling",
// "sweep") with a row.
func (r *Report) hasTable(table string) bool {
	switch table {
	case "engines":
		return slices.ContainsFunc(r.Workloads, func(wr WorkloadResult) bool { return len(wr.Engines) > 0 })
	case "scaling":
		return len(r.Scaling) > 0
	case "sweep":
		return r.Sweep != nil && len(r.Sweep.Series) > 0
	}
	return false
}
