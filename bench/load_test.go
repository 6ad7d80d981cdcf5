package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"math"
	"os"
	"os/exec"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gpusim/gpusim/cpu"
	"github.com/gpusim/gpusim/internal/cputime"
	"github.com/gpusim/gpusim/sim"
)

// interval is the time between two readings of the CPUs and how many of
// them other processes used meanwhile.
type interval struct {
	wall   time.Duration
	others float64
}

// fakeReadings makes readCPU give readings on 2 CPUs that lie the
// intervals apart in turn (1 s of nothing else after them), bench using
// a tenth of a CPU; an empty list makes it read nothing, as on another
// system.
func fakeReadings(t *testing.T, intervals []interval) {
	saved := readCPU
	t.Cleanup(func() { readCPU = saved })
	r := cpuReading{at: time.Unix(1e9, 0), idle: time.Hour, own: time.Second, cpus: 2}
	calls := 0
	readCPU = func() (cpuReading, bool) {
		if len(intervals) == 0 {
			return cpuReading{}, false
		}
		if calls > 0 {
			iv := interval{time.Second, 0}
			if calls <= len(intervals) {
				iv = intervals[calls-1]
			}
			others, own := time.Duration(iv.others*float64(iv.wall)), iv.wall/10
			r.at, r.own = r.at.Add(iv.wall), r.own+own
			r.idle += time.Duration(r.cpus)*iv.wall - others - own
		}
		calls++
		return r, true
	}
}

// TestBusyTables: other processes' CPU time while a table is measured
// (the CPUs' time not idle, less bench's own) is in the JSON's load list,
// and a note names each table where they used 10% of the CPUs or more
// over a quarter of a second or more, on average or while one of its
// measurements ran (its peak). Bench --quick under a load of 9 on 2 cores
// had its Engines and Scaling tables 1.75x and 2.6x apart without a word:
// the noisy rule needs the two measurements' spreads apart. A table
// measured in under a quarter of a second is not judged, and says so
// (JSON's not_judged, the CSV row's words), where it read as one judged
// not busy: 1.16 of 2 CPUs over 0.0012 s, without a reason.
func TestBusyTables(t *testing.T) {
	c := tinyConfig()
	c.Workloads, c.Sweep = []Workload{{1000, 4}}, []uint64{100, 1000}
	var iv []interval
	add := func(n int, wall time.Duration, others float64) {
		for range n {
			iv = append(iv, interval{wall, others})
		}
	}
	// Each table is read at its start and end, each of its measurements
	// (one an engine and a workload) before and after its runs.
	// Engines: serial 20 s, then parallel 1 s while others used 1.8 CPUs.
	add(3, time.Second, 0)
	iv[1].wall = 20 * time.Second
	add(1, time.Second, 1.8)
	add(2, time.Second, 0) // and on to the scaling table
	// Scaling: 4 measurements (2 points and their overheads), 1.6 CPUs.
	add(9, time.Second, 1.6)
	add(1, time.Second, 0)
	// Sweep: 4 measurements, 1.5 CPUs over too short a time to judge.
	add(9, 20*time.Millisecond, 1.5)
	fakeReadings(t, iv)
	rep, err := Run(context.Background(), c, CPUEngines())
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"the machine was busy: other processes used 0.1 of the 2 CPUs bench may run on (4%) while the engines table was measured (24 s), 1.8 (90%) while parallel on 1k x 4 was (1 s); its timings count their competition and are not reliable: measure again on a quiet machine",
		"the machine was busy: other processes used 1.6 of the 2 CPUs bench may run on (80%) while the scaling table was measured (9 s), 1.6 (80%) while parallel/1 on 1k x 4 was (1 s); its timings count their competition and are not reliable: measure again on a quiet machine",
	}
	var text, js bytes.Buffer
	if err := rep.WriteText(&text); err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(text.String(), "the machine was busy: other processes"); n != len(want) {
		t.Errorf("text report with %d notes of a busy table, want %d:\n%s", n, len(want), text.String())
	}
	for _, w := range want {
		if !strings.Contains(text.String(), "note: "+w+"\n") {
			t.Errorf("text report without the note\n%s\n%s", w, text.String())
		}
	}
	if err := rep.WriteJSON(&js); err != nil {
		t.Fatal(err)
	}
	var back struct {
		Load []Load `json:"load"`
	}
	if err := json.Unmarshal(js.Bytes(), &back); err != nil {
		t.Fatal(err)
	}
	w := Workload{1000, 4}
	wantLoad := []Load{
		{"engines", 0.075, 2, 24, &Peak{"parallel", w, 1.8, 1, false}, true, false},
		{"scaling", 1.6, 2, 9, &Peak{"parallel/1", w, 1.6, 1, false}, true, false},
		{"sweep", 1.5, 2, 0.18, nil, false, true}, // too short to judge, and says so
	}
	if len(back.Load) != len(wantLoad) {
		t.Fatalf("JSON load %+v, want %+v", back.Load, wantLoad)
	}
	for i, w := range wantLoad {
		g := back.Load[i]
		if g.Table != w.Table || g.CPUs != w.CPUs || g.Busy != w.Busy || g.NotJudged != w.NotJudged || !close9(g.OtherCPUs, w.OtherCPUs) || !close9(float64(g.Wall), float64(w.Wall)) || !samePeak(g.Peak, w.Peak) {
			t.Errorf("JSON load %d: %+v (peak %+v), want %+v (peak %+v)", i, g, g.Peak, w, w.Peak)
		}
	}
	checkLoadCSV(t, rep, [][]string{
		{"", "", "", "", `engines table: other processes used 0\.07[0-9]* of the 2 CPUs over 24 s; busy`},
		{"parallel", "", "1000", "4", `peak of the engines table: other processes used 1\.8[0-9]* of the 2 CPUs over 1 s`},
		{"", "", "", "", `scaling table: other processes used 1\.6[0-9]* of the 2 CPUs over 9 s; busy`},
		{"parallel", "1", "1000", "4", `peak of the scaling table: other processes used 1\.6[0-9]* of the 2 CPUs over 1 s`},
		{"", "", "", "", `sweep table: other processes used 1\.5[0-9]* of the 2 CPUs over 0\.18[0-9]* s; not judged: under 0\.25 s, too short to judge`},
	})

	// Nothing read (another system than Linux): no list, no note.
	fakeReadings(t, nil)
	rep, err = Run(context.Background(), c, CPUEngines())
	if err != nil {
		t.Fatal(err)
	}
	js.Reset()
	rep.WriteJSON(&js)
	if len(rep.Load) != 0 || strings.Contains(js.String(), `"load"`) || strings.Contains(strings.Join(rep.Notes, "\n"), "other processes") {
		t.Errorf("no readings: load %+v, notes %q", rep.Load, rep.Notes)
	}
}

func samePeak(a, b *Peak) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a.Engine == b.Engine && a.Overhead == b.Overhead && a.Workload == b.Workload && close9(a.OtherCPUs, b.OtherCPUs) && close9(float64(a.Wall), float64(b.Wall))
}

// close9 is a within 1e-9 of b.
func close9(a, b float64) bool { return math.Abs(a-b) < 1e-9 }

// TestLoadOf: the edges of a busy table, 10% of the CPUs over a quarter
// of a second, and readings that say nothing.
func TestLoadOf(t *testing.T) {
	at := time.Unix(1e9, 0)
	a := cpuReading{at: at, idle: time.Hour, own: time.Minute, cpus: 4}
	after := func(wall, idle, own time.Duration) cpuReading {
		return cpuReading{at: at.Add(wall), idle: a.idle + idle, own: a.own + own, cpus: 4}
	}
	for _, c := range []struct {
		b      cpuReading
		others float64
		busy   bool
		short  bool // not judged
		ok     bool
	}{
		{after(time.Second, 3*time.Second, 600*time.Millisecond), 0.4, true, false, true},   // 10%
		{after(time.Second, 3*time.Second, 610*time.Millisecond), 0.39, false, false, true}, // under
		{after(minLoadWall, 0, 0), 4, true, false, true},
		{after(minLoadWall-time.Millisecond, 0, 0), 4, false, true, true},                // too short to judge
		{after(time.Second, 4*time.Second, 200*time.Millisecond), 0, false, false, true}, // rounding below 0
		{after(0, 0, 0), 0, false, false, false},
		{after(time.Second, -time.Second, 0), 0, false, false, false}, // idle went back
	} {
		l, ok := loadOf("engines", a, c.b)
		if ok != c.ok || l.Busy != c.busy || ok && l.NotJudged != c.short || !close9(l.OtherCPUs, c.others) {
			t.Errorf("%+v to %+v: %+v, %v; want %v other CPUs, busy %v, not judged %v, ok %v", a, c.b, l, ok, c.others, c.busy, c.short, c.ok)
		}
	}
}

// sleepyEngine sleeps before each run on cpu.Serial: a measurement that
// leaves the CPUs to others.
type sleepyEngine struct{ sleep time.Duration }

func (sleepyEngine) Name() string { return "serial" }

func (e sleepyEngine) Run(ctx context.Context, job *sim.Job) (*sim.Result, error) {
	time.Sleep(e.sleep)
	return cpu.Serial{}.Run(ctx, job)
}

// TestBusyMachineNoted: a child process spinning on every CPU while bench
// measures (an engine that sleeps, 0.4 s) is reported, from the machine's
// own readings: the note that other processes used the CPUs while the
// table was measured, and while its one measurement ran. On a quiet
// machine the spinner is what is seen; on a busy one, it and the rest.
func TestBusyMachineNoted(t *testing.T) {
	if os.Getenv("GPUSIM_BENCH_SPIN") != "" {
		for range runtime.NumCPU() {
			go func() {
				for {
				}
			}()
		}
		os.Stdout.WriteString("spinning\n")
		time.Sleep(10 * time.Second) // ends on its own should the test die
		return
	}
	if runtime.GOOS != "linux" {
		t.Skip("bench reads the machine's CPU time on Linux alone")
	}
	if l, ok := cputime.Limit(); ok && l < 2*busyShare*float64(runtime.NumCPU()) {
		t.Skipf("a cgroup CPU limit of %.2g CPUs of %d: a spinner under it may use too few of them to be told", l, runtime.NumCPU())
	}
	spin := exec.Command(os.Args[0], "-test.run=^TestBusyMachineNoted$")
	spin.Env = append(os.Environ(), "GPUSIM_BENCH_SPIN=1")
	out, err := spin.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := spin.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { spin.Process.Kill(); spin.Wait() })
	if _, err := out.Read(make([]byte, 9)); err != nil {
		t.Fatalf("the spinner did not start: %v", err)
	}
	c := tinyConfig()
	c.Workloads, c.Sweep, c.Scaling = []Workload{{1000, 4}}, nil, false
	c.Reps, c.Warmup = 3, 1
	rep, err := Run(context.Background(), c, []EngineSpec{{Name: "serial", New: func(int, func(string)) sim.Engine { return sleepyEngine{100 * time.Millisecond} }}})
	if err != nil {
		t.Fatal(err)
	}
	var text bytes.Buffer
	if err := rep.WriteText(&text); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(text.String(), "note: the machine was busy: other processes used ") || !strings.Contains(text.String(), "while the engines table was measured") ||
		!strings.Contains(text.String(), "while serial on 1k x 4 was") {
		t.Errorf("a child spinning on %d CPUs while bench measured, and no note of it:\n%s", runtime.NumCPU(), text.String())
	}
}

// TestBusyOverheadPeak: a busy table's peak in one of the Scaling table's
// overhead measurements is named as the table shows it, "the overhead of
// parallel", with the one worker and the lane it ran on; it read "while
// parallel/1 on 1 x 4 was (1 s)", a row no table has. The JSON's peak
// says so (overhead).
func TestBusyOverheadPeak(t *testing.T) {
	c := tinyConfig()
	c.Workloads, c.Sweep = []Workload{{1000, 4}}, nil
	var iv []interval
	add := func(n int, others float64) {
		for range n {
			iv = append(iv, interval{time.Second, others})
		}
	}
	// Engines: quiet. Scaling: parallel/1, then its overhead (one worker
	// on one lane) while others used 1.8 CPUs, then parallel/2 and its
	// overhead.
	add(6, 0)
	add(3, 0)
	add(1, 1.8)
	add(6, 0)
	fakeReadings(t, iv)
	rep, err := Run(context.Background(), c, CPUEngines())
	if err != nil {
		t.Fatal(err)
	}
	want := "1.8 (90%) while the overhead of parallel was measured (1 worker on 1 x 4, 1 s); its timings"
	var text bytes.Buffer
	if err := rep.WriteText(&text); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(text.String(), want) {
		t.Errorf("text report without %q:\n%s", want, text.String())
	}
	checkLoadCSV(t, rep, [][]string{
		{"", "", "", "", `engines table: other processes used 0 of the 2 CPUs over 5 s`},
		{"", "", "", "", `scaling table: other processes used 0\.2 of the 2 CPUs over 9 s; busy`},
		{"parallel", "1", "1", "4", `peak of the scaling table, its overhead column: other processes used 1\.8[0-9]* of the 2 CPUs over 1 s`},
	})
	if len(rep.Load) != 2 || rep.Load[1].Peak == nil || !rep.Load[1].Peak.Overhead || rep.Load[1].Peak.Engine != "parallel/1" {
		t.Errorf("load %+v, want the scaling table's peak in parallel/1's overhead", rep.Load)
	}
}

// checkLoadCSV checks rep's CSV load rows: their engine, workers, lanes and
// steps cells, and their note against a pattern, in want's order, and
// their other_cpus, cpus and wall_s cells against rep.Load's figures
// (checkLoadFigures). The CSV had no load rows, and a reader saw the load
// only in a busy table's note.
func checkLoadCSV(t *testing.T, rep *Report, want [][]string) {
	t.Helper()
	col, rows := csvSection(t, rep, "load")
	var got [][]string
	for _, r := range rows {
		got = append(got, []string{r[col["engine"]], r[col["workers"]], r[col["lanes"]], r[col["steps"]], r[col["note"]]})
	}
	if len(got) != len(want) {
		t.Fatalf("CSV load rows %q, want %d", got, len(want))
	}
	checkLoadFigures(t, rep, col, rows)
	for i, w := range want {
		g := got[i]
		if !slices.Equal(g[:4], w[:4]) || !regexp.MustCompile("^"+w[4]+"$").MatchString(g[4]) {
			t.Errorf("CSV load row %d: %q, want %q", i, g, w)
		}
	}
}

// checkLoadFigures checks that the CSV load rows give each rep.Load entry's
// figures, and then its peak's, in other_cpus, cpus and wall_s, as JSON's
// other_cpus, cpus and wall_s, and each entry's busy and not_judged in
// those columns (empty in a peak's row): a CSV reader had them only inside
// the note's words.
func checkLoadFigures(t *testing.T, rep *Report, col map[string]int, rows [][]string) {
	t.Helper()
	var want [][3]float64
	var flags [][2]string // busy and not_judged: the table's row alone
	for _, l := range rep.Load {
		want = append(want, [3]float64{l.OtherCPUs, float64(l.CPUs), float64(l.Wall)})
		flags = append(flags, [2]string{strconv.FormatBool(l.Busy), strconv.FormatBool(l.NotJudged)})
		if p := l.Peak; p != nil {
			want = append(want, [3]float64{p.OtherCPUs, float64(l.CPUs), float64(p.Wall)})
			flags = append(flags, [2]string{})
		}
	}
	if len(rows) != len(want) {
		t.Fatalf("%d CSV load rows, want %d (rep.Load %+v)", len(rows), len(want), rep.Load)
	}
	for i, r := range rows {
		for j, name := range []string{"other_cpus", "cpus", "wall_s"} {
			c, ok := col[name]
			if !ok {
				t.Fatalf("no CSV column %s", name)
			}
			if got, err := strconv.ParseFloat(r[c], 64); err != nil || got != want[i][j] {
				t.Errorf("CSV load row %d: %s %q, want %v", i, name, r[c], want[i][j])
			}
		}
		for j, name := range []string{"busy", "not_judged"} {
			c, ok := col[name]
			if !ok {
				t.Fatalf("no CSV column %s", name)
			}
			if r[c] != flags[i][j] {
				t.Errorf("CSV load row %d: %s %q, want %q", i, name, r[c], flags[i][j])
			}
		}
	}
}
