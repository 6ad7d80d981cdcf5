package bench

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gpusim/gpusim/cpu"
	"github.com/gpusim/gpusim/sim"
)

// stoppingEngine runs as its engine does, but its run number stopAt of a
// job of lanes lanes (counting from 1, every instance together) first
// stops the benchmark (stop, a context's cancel with a cause, as a
// Ctrl-C's) and returns the context's error, as a real engine's run cut
// by a stop does.
type stoppingEngine struct {
	sim.Engine
	lanes  uint64
	stopAt int
	runs   *int
	stop   func()
}

func (e stoppingEngine) Run(ctx context.Context, job *sim.Job) (*sim.Result, error) {
	if job.Params.Lanes == e.lanes {
		if *e.runs++; *e.runs == e.stopAt {
			e.stop()
			return nil, ctx.Err()
		}
	}
	return e.Engine.Run(ctx, job)
}

// stoppedRun runs c on serial and parallel (scaling), the parallel engine
// stopping the benchmark on its run number stopAt of a job of lanes lanes,
// and returns what Run returned, which must be the stop's error.
func stoppedRun(t *testing.T, c Config, lanes uint64, stopAt int) *Report {
	t.Helper()
	ctx, cancel := context.WithCancelCause(context.Background())
	defer cancel(nil)
	stopErr := errors.New("interrupted")
	runs := 0
	specs := []EngineSpec{
		{Name: "serial", New: func(int, func(string)) sim.Engine { return cpu.Serial{} }},
		{Name: "parallel", Scales: true, New: func(n int, _ func(string)) sim.Engine {
			return stoppingEngine{Engine: cpu.Parallel{Workers: n}, lanes: lanes, stopAt: stopAt, runs: &runs, stop: func() { cancel(stopErr) }}
		}},
	}
	rep, err := Run(ctx, c, specs)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Run returned %v, want the stop's error", err)
	}
	if rep == nil || rep.Interrupted == nil {
		t.Fatalf("Run returned no partial report: %+v", rep)
	}
	if rep.Interrupted.Signal != "interrupted" || rep.Interrupted.After <= 0 {
		t.Errorf("interruption %+v, want the stop's words and a time", rep.Interrupted)
	}
	return rep
}

// checkPartialFormats writes rep in each format and checks that it reads
// back (JSON with encoding/json, the CSV with encoding/csv, every row the
// header's width) with the interruption first, and returns the text.
func checkPartialFormats(t *testing.T, rep *Report) string {
	t.Helper()
	out := map[string]string{}
	for _, f := range Formats {
		var b bytes.Buffer
		if err := rep.Write(&b, f); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		out[f] = b.String()
	}
	var back Report
	if err := json.Unmarshal([]byte(out["json"]), &back); err != nil {
		t.Fatalf("json: %v\n%s", err, out["json"])
	}
	if back.Interrupted == nil || !slices.Equal(back.Interrupted.NotRun, rep.Interrupted.NotRun) || !strings.HasPrefix(out["json"], "{\n  \"interrupted\": {") {
		t.Errorf("json's interrupted is %+v, want %+v first:\n%s", back.Interrupted, rep.Interrupted, out["json"])
	}
	rows, err := csv.NewReader(strings.NewReader(out["csv"])).ReadAll()
	if err != nil {
		t.Fatalf("csv: %v\n%s", err, out["csv"])
	}
	if len(rows) < 2 || len(rows[0]) != len(CSVHeader) || rows[1][0] != "interrupted" || !strings.Contains(rows[1][21], "not run: ") || rows[1][24] == "" {
		t.Errorf("csv: want the header and an interrupted row first, its note and wall_s set:\n%s", out["csv"])
	}
	if !strings.HasPrefix(out["text"], "note: partial report: the benchmark was stopped (interrupted) after ") {
		t.Errorf("text's first line is not the interruption:\n%s", out["text"])
	}
	if !strings.HasPrefix(out["markdown"], "**Note: partial report: the benchmark was stopped (interrupted) after ") {
		t.Errorf("markdown's first line is not the interruption:\n%s", out["markdown"])
	}
	return out["text"]
}

// TestRunStoppedKeepsFinishedRows: a benchmark stopped in its second
// engine's second timed run on the first workload returns the report of
// what finished: serial's row on that workload, not parallel's cut one,
// no other table, and an interruption that says what did not run; each
// format reads back with it first. Run returned nil, and bench printed no
// report at all.
func TestRunStoppedKeepsFinishedRows(t *testing.T) {
	c := tinyConfig()
	c.Reps, c.Warmup = 2, 0
	rep := stoppedRun(t, c, c.Workloads[0].Lanes, 2)
	if len(rep.Workloads) != 1 || len(rep.Workloads[0].Engines) != 1 || rep.Workloads[0].Engines[0].Engine != "serial" || rep.Workloads[0].Engines[0].Wall.N != 2 {
		t.Fatalf("workloads %+v, want serial's complete row alone", rep.Workloads)
	}
	if rep.Scaling != nil || rep.Sweep != nil || rep.Crossovers != nil {
		t.Errorf("scaling %+v, sweep %+v, crossovers %+v: want none", rep.Scaling, rep.Sweep, rep.Crossovers)
	}
	want := []string{"engines table: 3 of 4 planned measurements", "scaling table: 2 of 2 planned worker counts", "size sweep: 3 of 3 sizes", "crossovers"}
	if !slices.Equal(rep.Interrupted.NotRun, want) {
		t.Errorf("not run %q, want %q", rep.Interrupted.NotRun, want)
	}
	text := checkPartialFormats(t, rep)
	if strings.Count(text, "3k x 10") != 1 || strings.Contains(text, "parallel  ") || strings.Contains(text, "\nScaling\n") || strings.Contains(text, "\nSize sweep") {
		t.Errorf("text report, want serial's row alone:\n%s", text)
	}
}

// TestRunStoppedScalingAndSweep: stopped in the scaling table's 3-worker
// point, the report has the engines table whole, the points before it
// and no Amdahl fit (two of three worker counts would give a wrong one);
// stopped in the sweep at its last size's parallel run, it has the
// first two sizes alone (the last's serial point is a row cut in the
// middle) and no crossover.
func TestRunStoppedScalingAndSweep(t *testing.T) {
	c := tinyConfig()
	c.Reps, c.Warmup, c.Workers = 1, 0, []int{2, 3}
	// The 3-worker point's timed run: the scaling workload's runs are the
	// engines table's one, then at 1 and 2 workers each a timed run.
	rep := stoppedRun(t, c, c.Workloads[0].Lanes, 4)
	if len(rep.Workloads) != 2 || len(rep.Scaling) != 1 || len(rep.Scaling[0].Points) != 2 || rep.Scaling[0].Fit != nil {
		t.Fatalf("workloads %d, scaling %+v: want both workloads, 2 points and no fit", len(rep.Workloads), rep.Scaling)
	}
	if fit := rep.Scaling[0].FitLine(); !strings.Contains(fit, "no Amdahl fit (the benchmark was stopped after 2 of 3 worker counts)") {
		t.Errorf("fit line %q", fit)
	}
	if rep.Sweep != nil || rep.Interrupted.NotRun[0] != "scaling table: 1 of 3 planned worker counts" {
		t.Errorf("sweep %+v, not run %q", rep.Sweep, rep.Interrupted.NotRun)
	}
	checkPartialFormats(t, rep)

	c.Scaling = false
	rep = stoppedRun(t, c, c.Sweep[2], 1)
	if rep.Sweep == nil || len(rep.Sweep.Lanes) != 2 || len(rep.Sweep.Series) != 2 || len(rep.Sweep.Series[0].Points) != 2 || rep.Crossovers != nil {
		t.Fatalf("sweep %+v, crossovers %+v: want the first two sizes alone, no crossover", rep.Sweep, rep.Crossovers)
	}
	want := []string{"size sweep: 1 of 3 sizes", "crossovers"}
	if !slices.Equal(rep.Interrupted.NotRun, want) {
		t.Errorf("not run %q, want %q", rep.Interrupted.NotRun, want)
	}
	checkPartialFormats(t, rep)
}

// TestRunStoppedBeforeAnyRow: a stop before any measurement finished
// returns no report, as before: there is nothing to print.
func TestRunStoppedBeforeAnyRow(t *testing.T) {
	c := tinyConfig()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	rep, err := Run(ctx, c, CPUEngines())
	if err == nil || rep != nil {
		t.Errorf("Run returned %+v, %v; want no report and the stop's error", rep, err)
	}
}

// TestRunStoppedKeepsItsLoad: a table a stop cut short, measured while
// other processes used 1.8 of the 2 CPUs, has its load and the note that
// the machine was busy in the partial report, as a whole table has;
// without them its complete rows, 10x slow under two busy loops, read as
// measured on a quiet machine. A table left out (the scaling table
// stopped in its first point) has neither, nor a progress line that the
// machine was busy while it was measured: it said so of the scaling
// table, which the report did not print.
func TestRunStoppedKeepsItsLoad(t *testing.T) {
	iv := make([]interval, 200)
	for i := range iv {
		iv[i] = interval{time.Second, 1.8}
	}
	c := tinyConfig()
	c.Reps, c.Warmup, c.Workers = 1, 0, []int{2}
	for _, tc := range []struct {
		name   string
		stopAt int
		tables []string
	}{
		{"in the engines table", 1, []string{"engines"}},
		{"in the scaling table's first point", 2, []string{"engines"}},
		{"in the scaling table's second point", 3, []string{"engines", "scaling"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fakeReadings(t, iv)
			var progress bytes.Buffer
			c := c
			c.Progress = &progress
			// parallel's runs on the first workload: the engines table's,
			// then the scaling table's at 1 and 2 workers.
			rep := stoppedRun(t, c, c.Workloads[0].Lanes, tc.stopAt)
			if got := busyTables(progress.String()); !slices.Equal(got, tc.tables) {
				t.Errorf("progress says the machine was busy while the tables %q were measured, want %q:\n%s", got, tc.tables, progress.String())
			}
			var tables []string
			for _, l := range rep.Load {
				if !l.Busy {
					t.Errorf("load %+v, want busy", l)
				}
				tables = append(tables, l.Table)
			}
			if !slices.Equal(tables, tc.tables) {
				t.Errorf("load of tables %q, want %q", tables, tc.tables)
			}
			for _, table := range tc.tables {
				want := "1.8 of the 2 CPUs bench may run on (90%) while the " + table + " table was measured"
				if !slices.ContainsFunc(rep.Notes, func(n string) bool { return strings.Contains(n, want) }) {
					t.Errorf("notes %q, want one with %q", rep.Notes, want)
				}
			}
		})
	}
}

// busyTables are the tables that progress's lines say the machine was
// busy while they were measured, in order.
func busyTables(progress string) []string {
	var tables []string
	for _, m := range regexp.MustCompile(`(?m)^bench: the machine was busy: .* while the (\w+) table was measured`).FindAllStringSubmatch(progress, -1) {
		tables = append(tables, m[1])
	}
	return tables
}

// TestRunStoppedBusyBeforeAnyRow: a benchmark on a busy machine stopped
// before any measurement finished has no report, and its progress says
// nothing of a busy table: it said that the engines table's timings were
// not reliable, a table it never printed (gpusim bench then said "stopped
// before any measurement finished: no report").
func TestRunStoppedBusyBeforeAnyRow(t *testing.T) {
	iv := make([]interval, 20)
	for i := range iv {
		iv[i] = interval{time.Second, 1.8}
	}
	fakeReadings(t, iv)
	c := tinyConfig()
	c.Reps, c.Warmup = 1, 0
	var progress bytes.Buffer
	c.Progress = &progress
	ctx, cancel := context.WithCancelCause(context.Background())
	defer cancel(nil)
	runs := 0
	specs := []EngineSpec{{Name: "serial", New: func(int, func(string)) sim.Engine {
		return stoppingEngine{Engine: cpu.Serial{}, lanes: c.Workloads[0].Lanes, stopAt: 1, runs: &runs, stop: func() { cancel(errors.New("interrupted")) }}
	}}}
	rep, err := Run(ctx, c, specs)
	if !errors.Is(err, context.Canceled) || rep != nil {
		t.Fatalf("Run returned %+v, %v; want no report and the stop's error", rep, err)
	}
	if got := busyTables(progress.String()); len(got) != 0 {
		t.Errorf("progress says the machine was busy while the tables %q were measured, want none:\n%s", got, progress.String())
	}
}

// fakeResult is the line of the fake Python baseline's script that
// reports method's result on 1000 lanes x 10 steps.
func fakeResult(method string) string {
	return `echo '{"result": {"method": "` + method + `", "lanes": 1000, "steps": 10, "sample_lanes": 1000, "sample_steps": 10, "seconds": 0.01, "ns_per_lane_step": 1000, "workload_seconds": 0.01, "scaled": false, "mean": 72.0, "std": 5.77}, "modules": {}, "setup": {}}'` + "\n"
}

// loopThenVector is a fake interpreter's script that gives loop's result,
// starts vector and then waits (60 s) for the stop that kills it.
func loopThenVector() string {
	return `echo '{"python": "3.11.2", "numpy": "1.24.2", "cores": 2}'
echo 'gpusim-baseline: start loop 1000x10 on 1000 lanes' >&2
` + fakeResult("loop") + `echo 'gpusim-baseline: start vector 1000x10 on 1000 lanes' >&2
exec sleep 60
`
}

// pythonStopConfig is a benchmark of the Python baseline's loop and
// vector alone, on 1000 x 10 once, through the fake interpreter py.
func pythonStopConfig(py string) Config {
	c := tinyConfig()
	c.Workloads, c.Reps, c.Warmup, c.Scaling, c.Sweep = []Workload{{1000, 10}}, 1, 0, false, nil
	c.Python, c.PythonPath, c.PythonOnly = true, py, "loop,vector"
	return c
}

// TestRunStoppedKeepsPythonVersions: a benchmark stopped while the Python
// baseline runs its second version (of loop and vector, a fake
// interpreter's) keeps the version that ended, loop, in the Python
// baseline table and the course table, each of which says it was cut
// short; the version it was running is no failure, and not_run counts
// it: "python baseline: 1 of 2 versions". Each format reads back with
// loop's result. The baseline's finished versions were dropped, and
// not_run said "python baseline".
func TestRunStoppedKeepsPythonVersions(t *testing.T) {
	py := fakeInterpreter(t, loopThenVector())
	c := pythonStopConfig(py)
	ctx, cancel := context.WithCancelCause(context.Background())
	defer cancel(nil)
	stopErr := errors.New("interrupted")
	c.Progress = writerFunc(func(b []byte) (int, error) {
		if strings.Contains(string(b), "python/vector") && strings.Contains(string(b), " start ") {
			cancel(stopErr)
		}
		return len(b), nil
	})
	rep, err := Run(ctx, c, []EngineSpec{{Name: "serial", New: func(int, func(string)) sim.Engine { return cpu.Serial{} }}})
	if err != stopErr || rep == nil || rep.Interrupted == nil {
		t.Fatalf("Run returned %+v, %v; want the partial report and the stop's cause", rep, err)
	}
	if want := []string{"python baseline: 1 of 2 versions"}; !slices.Equal(rep.Interrupted.NotRun, want) {
		t.Errorf("not run %q, want %q", rep.Interrupted.NotRun, want)
	}
	if rep.Python == nil || len(rep.Python.Results) != 1 || rep.Python.Results[0].Method != "loop" || rep.Python.Failed != "" || len(rep.Failures) != 0 {
		t.Fatalf("python %+v, failures %+v: want loop's result alone, no failure", rep.Python, rep.Failures)
	}
	text := checkPartialFormats(t, rep)
	const cut = "cut short: the benchmark was stopped while the Python baseline ran; only the versions that ended before the stop are shown (not run: python baseline: 1 of 2 versions)"
	if strings.Count(text, cut) != 2 || !strings.Contains(text, "python/loop  ") {
		t.Errorf("text report, want loop's rows and the cut note in the Python baseline's and the course's tables:\n%s", text)
	}
	var md, js, cs bytes.Buffer
	for _, f := range []struct {
		b      *bytes.Buffer
		format string
	}{{&md, "markdown"}, {&js, "json"}, {&cs, "csv"}} {
		if err := rep.Write(f.b, f.format); err != nil {
			t.Fatal(err)
		}
	}
	if strings.Count(md.String(), cut) != 2 {
		t.Errorf("markdown, want the cut note in both tables:\n%s", md.String())
	}
	var back Report
	if err := json.Unmarshal(js.Bytes(), &back); err != nil || back.Python == nil || len(back.Python.Results) != 1 {
		t.Errorf("json read back %+v (%v), want loop's result", back.Python, err)
	}
	rows, err := csv.NewReader(&cs).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if !slices.ContainsFunc(rows, func(r []string) bool { return r[0] == "python" && slices.Contains(r, "python/loop") }) ||
		!slices.ContainsFunc(rows, func(r []string) bool { return r[0] == "python" && slices.Contains(r, cut) }) {
		t.Errorf("csv, want loop's python row and the cut's:\n%q", rows)
	}
}

// TestRunStoppedSnapshotKeepsPythonVersions: the partial report a forced
// exit prints (Config.Snapshot, taken as the stop comes, the script still
// running its second version) has the Python version that ended, loop,
// with "python baseline: 1 of 2 versions" not run and the cut note, as the
// report of the stop's return has (TestRunStoppedKeepsPythonVersions). It
// had no Python baseline (not run "python baseline: 2 of 2 versions"), the
// ended versions only in the report after the script's return.
func TestRunStoppedSnapshotKeepsPythonVersions(t *testing.T) {
	py := fakeInterpreter(t, loopThenVector())
	c := pythonStopConfig(py)
	c.Snapshot = &Snapshot{}
	ctx, cancel := context.WithCancelCause(context.Background())
	defer cancel(nil)
	var snap *Report
	c.Progress = writerFunc(func(b []byte) (int, error) {
		if snap == nil && strings.Contains(string(b), "python/vector") && strings.Contains(string(b), " start ") {
			// The stop, and the forced exit's report while the
			// script still runs (this is its stderr's reader): its
			// stdout, loop's result, comes through a pipe of its own,
			// read by another goroutine, at most a moment later.
			cancel(errors.New("interrupted"))
			for end := time.Now().Add(5 * time.Second); ; time.Sleep(time.Millisecond) {
				snap = c.Snapshot.Report()
				if snap != nil && snap.Python != nil || time.Now().After(end) {
					break
				}
			}
		}
		return len(b), nil
	})
	if _, err := Run(ctx, c, []EngineSpec{{Name: "serial", New: func(int, func(string)) sim.Engine { return cpu.Serial{} }}}); err == nil {
		t.Fatal("Run returned no error after the stop")
	}
	if snap == nil || snap.Interrupted == nil {
		t.Fatalf("snapshot %+v, want the partial report", snap)
	}
	if want := []string{"python baseline: 1 of 2 versions"}; !slices.Equal(snap.Interrupted.NotRun, want) {
		t.Errorf("snapshot's not run %q, want %q", snap.Interrupted.NotRun, want)
	}
	if snap.Python == nil || len(snap.Python.Results) != 1 || snap.Python.Results[0].Method != "loop" || snap.Python.Interpreter != py || len(snap.Failures) != 0 {
		t.Fatalf("snapshot's python %+v, failures %+v: want loop's result alone, no failure", snap.Python, snap.Failures)
	}
	text := checkPartialFormats(t, snap)
	const cut = "cut short: the benchmark was stopped while the Python baseline ran; only the versions that ended before the stop are shown (not run: python baseline: 1 of 2 versions)"
	if strings.Count(text, cut) != 2 || !strings.Contains(text, "python/loop  ") {
		t.Errorf("snapshot's text, want loop's rows and the cut note in the Python baseline's and the course's tables:\n%s", text)
	}
}

// failingEngine runs as its engine does, but its run number failAt of a
// job of lanes lanes (counting from 1, every instance together) fails.
type failingEngine struct {
	sim.Engine
	lanes  uint64
	failAt int
	runs   *int
}

func (e failingEngine) Run(ctx context.Context, job *sim.Job) (*sim.Result, error) {
	if job.Params.Lanes == e.lanes {
		if *e.runs++; *e.runs == e.failAt {
			return nil, errors.New("failed on purpose")
		}
	}
	return e.Engine.Run(ctx, job)
}

// busyAt is n quiet intervals of 1 s (fakeReadings), but where others
// names an interval's index (the one that ends at readCPU's call index+1)
// and the CPUs other processes used in it.
func busyAt(n int, others map[int]float64) []interval {
	iv := make([]interval, n)
	for i := range iv {
		iv[i] = interval{time.Second, others[i]}
	}
	return iv
}

// TestBusyPeakShown: a busy table's note names as its peak only a
// measurement whose row the report shows: the Scaling table stopped in
// parallel/2's overhead has parallel/1's point alone, and its note named
// parallel/2 (1 of the 2 CPUs), a row it does not show; it names
// parallel/1 (0.5) now. Likewise a sweep stopped at its last size
// (serial's point there is cut with the size) and the Scaling table of an
// engine that failed after its busy point (its table is left out). Each
// table's average (under 10%) is not busy: its shown peak makes it so.
func TestBusyPeakShown(t *testing.T) {
	c := tinyConfig()
	c.Workloads, c.Reps, c.Warmup, c.Sweep = []Workload{{3000, 10}}, 1, 0, nil
	check := func(t *testing.T, rep *Report, table, want, not string) {
		t.Helper()
		i := slices.IndexFunc(rep.Load, func(l Load) bool { return l.Table == table })
		if i < 0 || rep.Load[i].Peak == nil || rep.Load[i].Peak.OtherCPUs != 0.5 {
			t.Fatalf("load %+v (peak %+v), want the %s table's peak at 0.5 CPUs", rep.Load, rep.Load[len(rep.Load)-1].Peak, table)
		}
		notes := strings.Join(rep.Notes, "\n")
		if !strings.Contains(notes, want) || strings.Contains(notes, not) {
			t.Errorf("notes:\n%s\nwant %q, not %q", notes, want, not)
		}
	}
	t.Run("scaling stopped in an overhead", func(t *testing.T) {
		// Reads: the engines table 0-5; scaling 6, parallel/1 7-8, its
		// overhead 9-10, parallel/2 11-12, its overhead 13 (stopped), 14.
		fakeReadings(t, busyAt(16, map[int]float64{7: 0.5, 11: 1}))
		rep := stoppedRun(t, c, 2, 1) // parallel/2's overhead: 2 workers on 2 lanes
		if len(rep.Scaling) != 1 || len(rep.Scaling[0].Points) != 1 {
			t.Fatalf("scaling %+v, want parallel's one-worker point alone", rep.Scaling)
		}
		check(t, rep, "scaling", "while the scaling table was measured (8 s), 0.5 (25%) while parallel/1 on 3k x 10 was (1 s)", "parallel/2")
	})
	t.Run("sweep stopped at its last size", func(t *testing.T) {
		c := c
		c.Scaling, c.Sweep = false, []uint64{100, 1000, 10_000}
		// Reads: the engines table 0-5; sweep 6, serial and parallel at
		// 100 7-10 and at 1k 11-14, serial at 10k 15-16, parallel at
		// 10k 17 (stopped), 18.
		fakeReadings(t, busyAt(20, map[int]float64{7: 0.5, 15: 1}))
		rep := stoppedRun(t, c, 10_000, 1)
		if rep.Sweep == nil || len(rep.Sweep.Lanes) != 2 {
			t.Fatalf("sweep %+v, want its first two sizes", rep.Sweep)
		}
		check(t, rep, "sweep", "0.5 (25%) while serial on 100 x 4 was (1 s)", "on 10k x 4")
	})
	t.Run("scaling of an engine that failed", func(t *testing.T) {
		// Reads: the engines table 0-7; scaling 8, p1's 9-16, p2/1 17-18,
		// its overhead 19-20, p2/2 21-22, its overhead 23 (failed), 24.
		fakeReadings(t, busyAt(26, map[int]float64{9: 0.5, 21: 1}))
		runs := 0
		specs := []EngineSpec{
			{Name: "serial", New: func(int, func(string)) sim.Engine { return cpu.Serial{} }},
			{Name: "p1", Scales: true, New: func(n int, _ func(string)) sim.Engine { return cpu.Parallel{Workers: n} }},
			{Name: "p2", Scales: true, New: func(n int, _ func(string)) sim.Engine {
				return failingEngine{Engine: cpu.Parallel{Workers: n}, lanes: 2, failAt: 1, runs: &runs}
			}},
		}
		rep, err := Run(context.Background(), c, specs)
		if err != nil || len(rep.Scaling) != 1 || len(rep.Failures) != 1 {
			t.Fatalf("Run: %v, scaling %+v, failures %+v; want p1's table alone and p2's failure", err, rep.Scaling, rep.Failures)
		}
		check(t, rep, "scaling", "0.5 (25%) while p1/1 on 3k x 10 was (1 s)", "while p2")
	})
}

// hangingEngine runs as its engine does, but its run number stopAt of a
// job of lanes lanes (counting from 1, every instance together) stops the
// benchmark (stop) and then ignores it: it says so on hung and returns
// the context's error only once release is closed, as an engine stuck
// in a call no stop can cut (a cold start's compile) does.
type hangingEngine struct {
	sim.Engine
	lanes         uint64
	stopAt        int
	runs          *int
	stop          func()
	hung, release chan struct{}
}

func (e hangingEngine) Run(ctx context.Context, job *sim.Job) (*sim.Result, error) {
	if job.Params.Lanes == e.lanes {
		if *e.runs++; *e.runs == e.stopAt {
			e.stop()
			close(e.hung)
			<-e.release
			return nil, ctx.Err()
		}
	}
	return e.Engine.Run(ctx, job)
}

// TestRunStoppedSnapshot: while an engine ignores the stop (parallel/2's
// first timed run in the Scaling table), Config.Snapshot gives the
// partial report Run gives once it returns: the Engines table whole,
// parallel's one-worker point, the load of both tables, and not_run
// "scaling table: 1 of 2 planned worker counts", in every format; before
// the stop and after Run has returned it gives none. The caller had
// nothing to print where Run did not return (the forced exit ended the
// process without the report).
func TestRunStoppedSnapshot(t *testing.T) {
	fakeReadings(t, busyAt(40, nil))
	c := tinyConfig()
	c.Reps, c.Warmup, c.Workers, c.Snapshot = 2, 0, []int{2}, &Snapshot{}
	ctx, cancel := context.WithCancelCause(context.Background())
	defer cancel(nil)
	runs, hung, release := 0, make(chan struct{}), make(chan struct{})
	var before *Report
	specs := []EngineSpec{
		{Name: "serial", New: func(int, func(string)) sim.Engine { return cpu.Serial{} }},
		{Name: "parallel", Scales: true, New: func(n int, _ func(string)) sim.Engine {
			stop := func() {
				before = c.Snapshot.Report()
				cancel(errors.New("interrupted"))
			}
			// The engines table's 2 runs on 3k lanes, the one-worker
			// point's 2, then parallel/2's first.
			return hangingEngine{Engine: cpu.Parallel{Workers: n}, lanes: 3000, stopAt: 5, runs: &runs, stop: stop, hung: hung, release: release}
		}},
	}
	type result struct {
		rep *Report
		err error
	}
	done := make(chan result, 1)
	go func() {
		rep, err := Run(ctx, c, specs)
		done <- result{rep, err}
	}()
	select {
	case <-hung:
	case r := <-done:
		t.Fatalf("Run returned %+v, %v before the engine hung", r.rep, r.err)
	}
	snap := c.Snapshot.Report()
	close(release)
	r := <-done
	if before != nil {
		t.Errorf("a snapshot before the stop: %+v", before)
	}
	if snap == nil || snap.Interrupted == nil {
		t.Fatalf("snapshot %+v while the engine hung, want the partial report", snap)
	}
	if r.rep == nil || r.rep.Interrupted == nil || !errors.Is(r.err, context.Canceled) {
		t.Fatalf("Run returned %+v, %v", r.rep, r.err)
	}
	want := []string{"scaling table: 1 of 2 planned worker counts", "size sweep: 3 of 3 sizes", "crossovers"}
	for _, rep := range []*Report{snap, r.rep} {
		if !slices.Equal(rep.Interrupted.NotRun, want) || len(rep.Workloads) != 2 || len(rep.Scaling) != 1 || len(rep.Scaling[0].Points) != 1 || len(rep.Load) != 2 {
			t.Errorf("report %+v: not run %q, scaling %+v, load %+v; want %q, both workloads, parallel's one point and both tables' load",
				rep, rep.Interrupted.NotRun, rep.Scaling, rep.Load, want)
		}
	}
	text := checkPartialFormats(t, snap)
	if !strings.Contains(text, "no Amdahl fit (the benchmark was stopped after 1 of 2 worker counts)") {
		t.Errorf("snapshot's text:\n%s", text)
	}
	if after := c.Snapshot.Report(); after != nil {
		t.Errorf("a snapshot after Run returned: %+v", after)
	}
}

// TestRunStoppedAfterPythonVersions: a stop after the Python baseline's
// last version ended, as the script exits, leaves the report whole: Run
// returns it without an error or an interruption, every version in it, as
// a stop after the last measurement does. It was a partial report whose
// not_run said "python baseline: 0 of 2 versions".
func TestRunStoppedAfterPythonVersions(t *testing.T) {
	py := fakeInterpreter(t, `echo '{"python": "3.11.2", "numpy": "1.24.2", "cores": 2}'
`+fakeResult("loop")+fakeResult("vector")+`echo 'gpusim-baseline: exiting' >&2
exec sleep 60
`)
	c := pythonStopConfig(py)
	ctx, cancel := context.WithCancelCause(context.Background())
	defer cancel(nil)
	c.Progress = writerFunc(func(b []byte) (int, error) {
		if strings.Contains(string(b), "python exiting") {
			cancel(errors.New("interrupted"))
		}
		return len(b), nil
	})
	rep, err := Run(ctx, c, []EngineSpec{{Name: "serial", New: func(int, func(string)) sim.Engine { return cpu.Serial{} }}})
	if err != nil || rep == nil || rep.Interrupted != nil || rep.Python == nil || len(rep.Python.Results) != 2 || ctx.Err() == nil {
		t.Fatalf("Run returned %+v, %v; want the whole report of both versions, after the stop", rep, err)
	}
}
