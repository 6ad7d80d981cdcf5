package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gpusim/gpusim/cpu"
	"github.com/gpusim/gpusim/internal/enginetest"
	"github.com/gpusim/gpusim/sim"
)

// tinyConfig runs in well under a second: two small workloads, two reps,
// scaling on 1 and 2 workers and a three-point sweep.
func tinyConfig() Config {
	c := Default()
	c.Mode = "test"
	c.Workloads = []Workload{{3000, 10}, {1000, 7}}
	c.Reps, c.Warmup = 2, 1
	c.Workers = []int{2}
	c.Sweep = []uint64{100, 1000, 10_000}
	c.SweepSteps = 4
	c.SweepReps = 1
	c.Python = false
	return c
}

func TestRunCPU(t *testing.T) {
	coresAtLeast(t, 2)
	rep, err := Run(context.Background(), tinyConfig(), CPUEngines())
	if err != nil {
		t.Fatal(err)
	}
	if rep.Baseline != "serial" || len(rep.Workloads) != 2 {
		t.Fatalf("baseline %q, %d workloads", rep.Baseline, len(rep.Workloads))
	}
	for _, wr := range rep.Workloads {
		c := tinyConfig()
		p := c.params(wr.Workload)
		want := serialDigest(t, p)
		if wr.Digest != want {
			t.Errorf("%s: digest %v, want %v", wr.Workload, wr.Digest, want)
		}
		for _, m := range wr.Engines {
			if m.Wall.N != 2 || m.Wall.Min > m.Wall.Median || m.Wall.Median > m.Wall.Max || m.Wall.Min <= 0 {
				t.Errorf("%s %s: bad stats %+v", wr.Workload, m.Engine, m.Wall)
			}
			wantNs := float64(m.Wall.Median.Nanoseconds()) / wr.Workload.LaneSteps()
			if math.Abs(m.NsPerLaneStep-wantNs) > 1e-9*wantNs || math.Abs(m.NsPerLaneStep*m.LaneStepsPerS-1e9) > 1e-3 {
				t.Errorf("%s %s: %v ns/lane-step, %v lane-steps/s", wr.Workload, m.Engine, m.NsPerLaneStep, m.LaneStepsPerS)
			}
			if m.Digest != want || m.Speedup <= 0 || m.Device == "" {
				t.Errorf("%s %s: %+v", wr.Workload, m.Engine, m)
			}
		}
		if wr.Engines[0].Speedup != 1 {
			t.Errorf("serial's speedup over itself is %v", wr.Engines[0].Speedup)
		}
	}
	if len(rep.Scaling) != 1 || rep.Scaling[0].Engine != "parallel" {
		t.Fatalf("scaling: %+v", rep.Scaling)
	}
	s := rep.Scaling[0]
	if len(s.Points) != 2 || s.Points[0].Workers != 1 || s.Points[1].Workers != 2 || s.Points[0].Speedup != 1 {
		t.Errorf("scaling points: %+v", s.Points)
	}
	if s.Fit == nil || s.Fit.P < 0 || s.Fit.P > 1 {
		t.Errorf("fit: %+v (%s)", s.Fit, s.FitNote)
	}
	if rep.Sweep == nil || len(rep.Sweep.Series) != 2 || len(rep.Sweep.Series[1].Points) != 3 {
		t.Fatalf("sweep: %+v", rep.Sweep)
	}
	if len(rep.Crossovers) != 1 || rep.Crossovers[0].Pair != (Pair{"serial", "parallel"}) {
		t.Errorf("crossovers: %+v", rep.Crossovers)
	}
	if rep.Machine.Cores < 1 || rep.Machine.Go == "" || rep.Machine.CPU == "" {
		t.Errorf("machine: %+v", rep.Machine)
	}
}

func serialDigest(t *testing.T, p sim.Params) Digest {
	t.Helper()
	res, err := cpu.Serial{}.Run(context.Background(), &sim.Job{Params: p})
	if err != nil {
		t.Fatal(err)
	}
	return Digest(res.Summary.Digest)
}

func TestDigestMismatch(t *testing.T) {
	c := tinyConfig()
	c.Scaling, c.Sweep = false, nil
	engines := append(CPUEngines(), EngineSpec{Name: "wrong", New: func(int, func(string)) sim.Engine { return enginetest.Wrong{Engine: cpu.Serial{}} }})
	_, err := Run(context.Background(), c, engines)
	var dm *DigestMismatchError
	if !errors.As(err, &dm) {
		t.Fatalf("err = %v, want a *DigestMismatchError", err)
	}
	want := serialDigest(t, c.params(c.Workloads[0]))
	if dm.Workload != c.Workloads[0] || len(dm.Engines) != 2 || dm.Engines[0] != "serial" || dm.Engines[1] != "wrong" ||
		dm.Digests[0] != want || dm.Digests[1] != want^1 {
		t.Errorf("mismatch error %+v", dm)
	}
	for _, s := range []string{"serial", "wrong", want.String(), (want ^ 1).String(), "3k x 10"} {
		if !strings.Contains(err.Error(), s) {
			t.Errorf("error %q does not mention %q", err, s)
		}
	}
}

func TestRunRejects(t *testing.T) {
	ctx := context.Background()
	c := tinyConfig()
	c.Reps = 0
	var pe *sim.ParamError
	if _, err := Run(ctx, c, CPUEngines()); !errors.As(err, &pe) || pe.Flag != "reps" {
		t.Errorf("reps 0: %v", err)
	}
	c = tinyConfig()
	c.Workloads = []Workload{{10, 0}}
	if _, err := Run(ctx, c, CPUEngines()); !errors.As(err, &pe) || pe.Flag != "steps" {
		t.Errorf("steps 0: %v", err)
	}
	c = tinyConfig()
	if _, err := Run(ctx, c, append(CPUEngines(), CPUEngines()[0])); err == nil {
		t.Error("duplicate engine: no error")
	}
	if _, err := Run(ctx, c, nil); err == nil {
		t.Error("no engines: no error")
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := Run(cctx, c, CPUEngines()); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: %v", err)
	}
}

// sweepSeries is engine name's sweep with medians ms (nanoseconds) at
// 1k, 10k, 100k, ... lanes.
func sweepSeries(name string, ms ...int) SweepSeries {
	s := SweepSeries{Engine: name}
	for i, m := range ms {
		s.Points = append(s.Points, SweepPoint{Lanes: uint64(math.Pow10(i + 3)), Wall: Stats{N: 1, Median: time.Duration(m)}})
	}
	return s
}

func TestFindCrossover(t *testing.T) {
	sw := &Sweep{Series: []SweepSeries{
		sweepSeries("base", 10, 100, 1000, 10000),
		sweepSeries("late", 40, 100, 250, 2500), // ratio 4, 1, 1/4: crosses at exactly 10^4
		sweepSeries("never", 20, 200, 2000, 20000),
		sweepSeries("always", 5, 50, 500, 5000),
		sweepSeries("wobbly", 5, 200, 500, 5000), // faster, slower, then faster for good
		sweepSeries("mid", 20, 50, 500, 5000),    // ratio 2, 1/2: crosses halfway in log lanes
	}}
	for _, tc := range []struct {
		chal   string
		status string
		lanes  float64
	}{
		{"late", CrossoverFound, 1e4},
		{"never", CrossoverNone, 0},
		{"always", CrossoverAlways, 0},
		{"wobbly", CrossoverFound, math.Pow(10, 4+math.Log(2)/(math.Log(2)+math.Log(2)))},
		{"mid", CrossoverFound, math.Pow(10, 3.5)},
	} {
		c, err := FindCrossover(sw, Pair{"base", tc.chal})
		if err != nil {
			t.Fatal(err)
		}
		if c.Status != tc.status || math.Abs(c.Lanes-tc.lanes) > 1e-6*tc.lanes {
			t.Errorf("%s: %s at %v, want %s at %v", tc.chal, c.Status, c.Lanes, tc.status, tc.lanes)
		}
	}
	if _, err := FindCrossover(sw, Pair{"base", "absent"}); err == nil {
		t.Error("absent engine: no error")
	}
}

// TestCrossoverFasterBelow: sizes where the challenger was faster below
// its crossover, or with none in range, are named in the note, which
// otherwise contradicted the sweep's table ("parallel vs serial: no
// crossover in range" beside parallel at 22.1 and 20.7 ns against
// serial's 25.3 and 23.3 at 1k and 10k lanes).
func TestCrossoverFasterBelow(t *testing.T) {
	sw := &Sweep{Series: []SweepSeries{
		sweepSeries("serial", 253, 2330, 20100),
		sweepSeries("parallel", 221, 2070, 23800), // faster at 1k and 10k, not at 100k
		sweepSeries("wobbly", 200, 2400, 20000),   // faster at 1k, slower, then faster
		sweepSeries("never", 300, 3000, 30000),
	}}
	for _, tc := range []struct{ chal, want string }{
		{"parallel", "parallel vs serial: no crossover in range (parallel is not faster at the largest size, though faster at 1k and 10k lanes)"},
		{"wobbly", "wobbly beats serial from about 71.7k lanes (faster at 1k lanes too, below it)"},
		{"never", "never vs serial: no crossover in range (never is not faster at the largest size)"},
	} {
		c, err := FindCrossover(sw, Pair{"serial", tc.chal})
		if err != nil {
			t.Fatal(err)
		}
		if got := c.String(); got != tc.want {
			t.Errorf("%s: %q, want %q", tc.chal, got, tc.want)
		}
		var csv strings.Builder
		r := &Report{Crossovers: []Crossover{c}}
		if err := r.WriteCSV(&csv); err != nil {
			t.Fatal(err)
		}
		if got, want := strings.Contains(csv.String(), "; faster at 1k"), tc.chal != "never"; got != want {
			t.Errorf("%s: the CSV's row names the sizes faster below %v, want %v:\n%s", tc.chal, got, want, csv.String())
		}
	}
}

func TestDefaultPairs(t *testing.T) {
	specs := func(names ...string) []EngineSpec {
		var out []EngineSpec
		for _, n := range names {
			out = append(out, EngineSpec{Name: n, Device: strings.Contains(n, ":")})
		}
		return out
	}
	got := DefaultPairs(specs("serial", "parallel", "simd", "dev:0", "dev:1"))
	want := []Pair{{"serial", "parallel"}, {"serial", "simd"}, {"simd", "dev:0"}, {"simd", "dev:1"}}
	if len(got) != len(want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("#%d: got %v, want %v", i, got[i], want[i])
		}
	}
	if got := DefaultPairs(specs("parallel", "dev:0")); len(got) != 1 || got[0] != (Pair{"parallel", "dev:0"}) {
		t.Errorf("without simd: %v", got)
	}
	// A device beside serial alone, and simd beside parallel alone, had
	// none looked for.
	for names, want := range map[string][]Pair{
		"serial dev:0":               {{"serial", "dev:0"}},
		"simd parallel":              {{"parallel", "simd"}},
		"processes dev:0":            {{ProcessesEngine, "dev:0"}},
		"serial processes":           {{"serial", ProcessesEngine}},
		"serial simd parallel dev:0": {{"serial", "parallel"}, {"serial", "simd"}, {"simd", "dev:0"}},
		"dev:0":                      nil,
		"serial":                     nil,
	} {
		if got := DefaultPairs(specs(strings.Fields(names)...)); !slices.Equal(got, want) {
			t.Errorf("%s: got %v, want %v", names, got, want)
		}
	}
}

func TestWorkloadString(t *testing.T) {
	for w, want := range map[Workload]string{{5_000_000, 10}: "5M x 10", {1500, 3}: "1500 x 3", {3000, 1}: "3k x 1", {2e9, 2}: "2G x 2"} {
		if got := w.String(); got != want {
			t.Errorf("%+v: %q, want %q", w, got, want)
		}
	}
}

// startingEngine is serial behind a start-up and compile that its first run
// reports, as an OpenCL engine reports its open (context, program build).
type startingEngine struct {
	cpu.Serial
	runs *int
}

const fakeStartup, fakeCompile = time.Hour, 50 * time.Minute

func (e startingEngine) Run(ctx context.Context, job *sim.Job) (*sim.Result, error) {
	res, err := e.Serial.Run(ctx, job)
	if err == nil && *e.runs == 0 {
		res.Timing.Startup, res.Timing.Compile = fakeStartup, fakeCompile
	}
	*e.runs++
	return res, err
}

// TestColdCountsStartup checks that the cold time includes the start-up the
// engine's first run reports, and the compile column that one-off build: a
// 2.8 s OpenCL build showed as a 3.3 ms cold run, and as a compile of 0
// (the median) with 3 reps.
func TestColdCountsStartup(t *testing.T) {
	c := tinyConfig()
	c.Workloads, c.Sweep, c.Scaling = []Workload{{1000, 4}}, nil, false
	c.Reps, c.Warmup = 3, 1
	runs := 0
	rep, err := Run(context.Background(), c, []EngineSpec{{Name: "serial", New: func(int, func(string)) sim.Engine { return startingEngine{runs: &runs} }}})
	if err != nil {
		t.Fatal(err)
	}
	m := rep.Workloads[0].Engines[0]
	if m.Cold < fakeStartup || m.Compile != fakeCompile || m.Wall.Median >= time.Minute {
		t.Errorf("cold %v, compile %v, median %v: want cold and compile to count the first run's start-up and build, the median not", m.Cold, m.Compile, m.Wall.Median)
	}
}

// flaky runs on cpu.Serial until its run number fail (counting from 1
// across its instances), and fails every run from there on.
type flaky struct {
	runs *int
	fail int
}

func (flaky) Name() string { return "flaky" }

func (f flaky) Run(ctx context.Context, job *sim.Job) (*sim.Result, error) {
	if *f.runs++; *f.runs >= f.fail {
		return nil, errors.New("no space left on device")
	}
	return cpu.Serial{}.Run(ctx, job)
}

// TestRunEngineFails: an engine whose run fails mid-benchmark (the
// processes engine when $TMPDIR goes) is recorded as failed and left out
// from there on, and the other engines' measurements stand: the whole
// report was lost.
func TestRunEngineFails(t *testing.T) {
	for _, c := range []struct {
		name     string
		fail     int // the run that fails first
		measured int // how many workloads flaky has a measurement on
		failedOn Workload
		sweep    bool // flaky has a sweep series
	}{
		// 2 workloads x (1 warm-up + 2 reps), then 3 sweep sizes x (1 + 1).
		{"first workload", 1, 0, Workload{3000, 10}, false},
		{"second workload", 4, 1, Workload{1000, 7}, false},
		{"sweep", 9, 2, Workload{1000, 4}, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			runs := 0
			engines := append(CPUEngines(), EngineSpec{Name: "flaky", New: func(int, func(string)) sim.Engine { return flaky{&runs, c.fail} }})
			rep, err := Run(context.Background(), tinyConfig(), engines)
			if err != nil {
				t.Fatalf("Run: %v, want the report with the failure in it", err)
			}
			want := EngineFailure{Engine: "flaky", Workload: c.failedOn, Error: "no space left on device"}
			if len(rep.Failures) != 1 || rep.Failures[0] != want {
				t.Fatalf("failures %+v, want %+v", rep.Failures, want)
			}
			if got, want := rep.Failures[0].String(), "bench: flaky on "+c.failedOn.String()+": no space left on device"; got != want {
				t.Errorf("failure reads %q, want %q", got, want)
			}
			if runs != c.fail {
				t.Errorf("flaky ran %d times, want %d: it must be left out after its failure", runs, c.fail)
			}
			measured := 0
			for _, wr := range rep.Workloads {
				if rep.engine(wr.Workload, "serial") == nil || rep.engine(wr.Workload, "parallel") == nil {
					t.Errorf("%v: serial or parallel missing", wr.Workload)
				}
				if rep.engine(wr.Workload, "flaky") != nil {
					measured++
				}
			}
			if measured != c.measured {
				t.Errorf("flaky measured on %d workloads, want %d", measured, c.measured)
			}
			if len(rep.Scaling) != 1 || rep.Sweep == nil || rep.Sweep.series("parallel") == nil || (rep.Sweep.series("flaky") != nil) != c.sweep {
				t.Errorf("scaling %+v, sweep %+v: want parallel's, and a flaky series %v", rep.Scaling, rep.Sweep, c.sweep)
			}
			if !strings.Contains(strings.Join(rep.Notes, "\n"), "flaky on "+c.failedOn.String()+" failed: no space left on device; flaky is left out") {
				t.Errorf("notes %q do not say flaky failed", rep.Notes)
			}
			var b strings.Builder
			if err := rep.WriteCSV(&b); err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(b.String(), "\nfailed,"+fmt.Sprint(c.failedOn.Lanes)+",") || !strings.Contains(b.String(), "no space left on device") {
				t.Errorf("CSV has no failed row:\n%s", b.String())
			}
		})
	}
}

// TestRunBaselineFails: when the baseline engine fails, the speedups it
// leaves blank are explained by a note (they were blank without a word).
func TestRunBaselineFails(t *testing.T) {
	runs := 0
	// flaky is the baseline (no serial): measured on the first workload
	// (1 warm-up + 2 reps), failing on the second's warm-up.
	engines := []EngineSpec{{Name: "flaky", New: func(int, func(string)) sim.Engine { return flaky{&runs, 4} }}, CPUEngines()[1]}
	c := tinyConfig()
	c.Sweep, c.Scaling = nil, false
	rep, err := Run(context.Background(), c, engines)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Baseline != "flaky" || len(rep.Workloads) != 2 || rep.Workloads[0].Engines[1].Speedup == 0 || rep.Workloads[1].Engines[0].Speedup != 0 {
		t.Fatalf("baseline %q, workloads %+v: want flaky's speedups on the first workload only", rep.Baseline, rep.Workloads)
	}
	want := "no speedups on " + rep.Workloads[1].Workload.String() + ": the baseline engine, flaky, has no measurement there (it failed)"
	if !slices.Contains(rep.Notes, want) {
		t.Errorf("notes %q, want %q", rep.Notes, want)
	}
}

// TestRunEngineFailsStopped: a failure that comes from a stopped benchmark
// stops it, as before.
func TestRunEngineFailsStopped(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if rep, err := Run(ctx, tinyConfig(), CPUEngines()); err == nil || !errors.Is(err, context.Canceled) {
		t.Errorf("Run on a cancelled context: %+v, %v; want the cancellation", rep, err)
	}
}

// TestDigestText: a digest reads and writes as `gpusim run` writes one, 16
// hex digits without 0x (bench wrote 0x, unlike every other report), and
// still reads the 0x form of earlier reports.
func TestDigestText(t *testing.T) {
	const want = Digest(0x00c0ffee0123abcd)
	b, err := want.MarshalText()
	if err != nil || string(b) != "00c0ffee0123abcd" {
		t.Errorf("MarshalText: %q, %v; want 00c0ffee0123abcd", b, err)
	}
	for _, s := range []string{"00c0ffee0123abcd", "0x00c0ffee0123abcd"} {
		var d Digest
		if err := d.UnmarshalText([]byte(s)); err != nil || d != want {
			t.Errorf("UnmarshalText(%q): %#x, %v; want %#x", s, uint64(d), err, uint64(want))
		}
	}
	for _, s := range []string{"", "0x", "xyz", "1234567890abcdef0"} {
		var d Digest
		if err := d.UnmarshalText([]byte(s)); err == nil {
			t.Errorf("UnmarshalText(%q) = %#x, want an error", s, uint64(d))
		}
	}
}

// TestScalingFitRanWorkers: worker counts above the most the engine starts
// on the workload measure the same run again; the Amdahl fit takes them at
// the count that ran, and with none above one worker there is no fit (a
// fit on the repeats read their noise as a parallel fraction).
func TestScalingFitRanWorkers(t *testing.T) {
	coresAtLeast(t, 2)
	s := runCapped(t, []int{2, 3}, 1).Scaling[0]
	if len(s.Points) != 3 || s.Fit != nil || !strings.Contains(s.FitNote, "every worker count ran as one") {
		t.Errorf("one goroutine at most: %d points, fit %+v, note %q", len(s.Points), s.Fit, s.FitNote)
	}
	s = runCapped(t, []int{2, 3}, 2).Scaling[0]
	if s.Fit == nil || s.Fit.Points != 2 {
		t.Errorf("two goroutines at most: fit %+v (%s), want one on workers 1 and 2", s.Fit, s.FitNote)
	}
}

// runCapped runs a tiny bench of serial and parallel, parallel scaled over
// workers on 1000 lanes x 4 steps and starting at most most goroutines
// there (EngineSpec.MaxWorkers), as an engine starts one a block of lanes.
func runCapped(t *testing.T, workers []int, most int) *Report {
	t.Helper()
	c := tinyConfig()
	c.Workloads = []Workload{{1000, 4}}
	c.Workers = workers
	c.Sweep = nil
	specs := []EngineSpec{
		{Name: "serial", New: func(int, func(string)) sim.Engine { return cpu.Serial{} }},
		{Name: "parallel", New: func(n int, _ func(string)) sim.Engine { return cpu.Parallel{Workers: n} }, Scales: true,
			MaxWorkers: func(uint64, int) int { return most }},
	}
	rep, err := Run(context.Background(), c, specs)
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

// TestScalingEfficiencyRanWorkers: efficiency is the speedup over the
// workers that ran, not the count asked for: above the goroutines an engine
// starts on the workload a count repeats a smaller run, and 4 asked on a
// workload that starts 2 read the speedup over 4 (where a repeat's noise
// could also make it 124%).
func TestScalingEfficiencyRanWorkers(t *testing.T) {
	rep := runCapped(t, []int{2, 4}, 2)
	for _, p := range rep.Scaling[0].Points {
		ran := min(p.Workers, 2)
		if want := p.Speedup / float64(ran); math.Abs(p.Efficiency-want) > 1e-12 {
			t.Errorf("%d workers (%d ran): efficiency %g, want speedup %g / %d = %g", p.Workers, ran, p.Efficiency, p.Speedup, ran, want)
		}
	}
}

// recordingEngine is cpu.Parallel that records the lanes of every job it runs.
type recordingEngine struct {
	cpu.Parallel
	lanes *[]uint64
}

func (e recordingEngine) Run(ctx context.Context, job *sim.Job) (*sim.Result, error) {
	*e.lanes = append(*e.lanes, job.Params.Lanes)
	return e.Parallel.Run(ctx, job)
}

// TestScalingOverheadStartsWorkers: the overhead at N workers is measured on
// a run that starts the N goroutines: one lane per worker started one
// goroutine on parallel and simd (one a block of lanes), so the column at 2
// workers was the one-goroutine overhead again, without the second
// goroutine's start, hand-out and reduction.
func TestScalingOverheadStartsWorkers(t *testing.T) {
	const steps = 10
	w := Workload{100_000, steps}
	c := tinyConfig()
	c.Workloads = []Workload{w}
	c.Workers = []int{2}
	c.Sweep = nil
	runs := map[int]*[]uint64{}
	specs := []EngineSpec{{Name: "parallel", Scales: true,
		New: func(n int, _ func(string)) sim.Engine {
			if runs[n] == nil {
				runs[n] = new([]uint64)
			}
			return recordingEngine{cpu.Parallel{Workers: n}, runs[n]}
		},
		MaxWorkers: func(lanes uint64, steps int) int { return cpu.RunWorkers(math.MaxInt, lanes, steps, false) }}}
	rep, err := Run(context.Background(), c, specs)
	if err != nil {
		t.Fatal(err)
	}
	small := 0
	for _, lanes := range *runs[2] {
		if lanes == w.Lanes {
			continue
		}
		small++
		if got := cpu.RunWorkers(2, lanes, steps, false); got != 2 {
			t.Errorf("an overhead run at 2 workers on %d lanes starts %d goroutines, want 2", lanes, got)
		}
	}
	if small == 0 {
		t.Errorf("no overhead run at 2 workers: %v", *runs[2])
	}
	// Above one worker the block's time taken out can leave 0 on a busy
	// machine; at one worker it is a run's time.
	if p := rep.Scaling[0].Points[0]; p.Overhead <= 0 {
		t.Errorf("1 worker: overhead %v", p.Overhead)
	}
}

// sleepingEngine is parallel that first sleeps for pause(lanes, workers),
// so that a test can set the runs' times the overhead is made of.
type sleepingEngine struct {
	cpu.Parallel
	pause func(lanes uint64, workers int) time.Duration
}

func (e sleepingEngine) Run(ctx context.Context, job *sim.Job) (*sim.Result, error) {
	time.Sleep(e.pause(job.Params.Lanes, e.Workers))
	return e.Parallel.Run(ctx, job)
}

// sleepyParallel is a scaling parallel engine (maxWorkers its MaxWorkers)
// whose run of L lanes on W workers sleeps sleep[{L, W}], else sleep[{L,
// 0}] (any workers), else not at all, before it runs.
func sleepyParallel(maxWorkers func(uint64, int) int, sleep map[[2]uint64]time.Duration) []EngineSpec {
	return []EngineSpec{{Name: "parallel", Scales: true, MaxWorkers: maxWorkers,
		New: func(n int, _ func(string)) sim.Engine {
			return sleepingEngine{cpu.Parallel{Workers: n}, func(lanes uint64, workers int) time.Duration {
				if d, ok := sleep[[2]uint64{lanes, uint64(workers)}]; ok {
					return d
				}
				return sleep[[2]uint64{lanes, 0}]
			}}
		}}}
}

// TestScalingOverheadInNoise: an overhead above one worker that the runs'
// noise makes negative (here the one-block run on one worker sleeps 40 ms,
// the two workers' run 1 ms) is kept as measured, and the table writes it
// "-N (in noise)" with a note saying why, the CSV's note marks it, and the
// JSON keeps the negative value. It was held at 0 and printed as a bare
// "0", an overhead measured to be nothing, with no word of the noise.
func TestScalingOverheadInNoise(t *testing.T) {
	const one, block, two = time.Millisecond, 40 * time.Millisecond, time.Millisecond
	w := Workload{200, 2}
	c := tinyConfig()
	c.Workloads, c.Workers, c.Sweep = []Workload{w}, []int{2}, nil
	c.Reps, c.Warmup = 1, 0
	// One worker a block of 10 lanes: 2 workers start on 20 lanes, and
	// one block is 19.
	maxWorkers := func(lanes uint64, _ int) int { return int(min(max(lanes/10, 1), 8)) }
	specs := sleepyParallel(maxWorkers, map[[2]uint64]time.Duration{{1, 0}: one, {19, 1}: block, {20, 2}: two})
	rep, err := Run(context.Background(), c, specs)
	if err != nil {
		t.Fatal(err)
	}
	pts := rep.Scaling[0].Points
	if len(pts) != 2 || pts[0].Overhead < one || pts[1].Ran != 2 || pts[1].Overhead > one+two-block/2 {
		t.Fatalf("points %+v: want the one-worker overhead at least %v and the 2 workers' below %v", pts, one, one+two-block/2)
	}
	var text, csv, js bytes.Buffer
	for f, b := range map[string]*bytes.Buffer{"text": &text, "csv": &csv, "json": &js} {
		if err := rep.Write(b, f); err != nil {
			t.Fatal(err)
		}
	}
	cell := "-" + fmtDur(-pts[1].Overhead) + " (in noise)"
	for _, want := range []string{"  " + fmtDur(pts[0].Overhead) + "\n", "  " + cell + "\n", overheadBelowNote} {
		if !strings.Contains(text.String(), want) {
			t.Errorf("text report has no %q:\n%s", want, text.String())
		}
	}
	if strings.Count(text.String(), "(in noise)") != 1 {
		t.Errorf("text report marks other than the 2 workers' overhead in noise:\n%s", text.String())
	}
	if want := "overhead " + fmtF(pts[1].Overhead.Seconds()) + " s; overhead below 0: in noise"; !strings.Contains(csv.String(), want) {
		t.Errorf("CSV has no %q:\n%s", want, csv.String())
	}
	var back Report
	if err := json.Unmarshal(js.Bytes(), &back); err != nil {
		t.Fatal(err)
	}
	if got := back.Scaling[0].Points[1].Overhead; got != pts[1].Overhead {
		t.Errorf("JSON overhead_ns %v, want the measured %v", got, pts[1].Overhead)
	}
}

// TestPredictedPHeld: a one-worker overhead not below the one-worker
// run's median holds the predicted P at 0, and the text, CSV and JSON say
// so and why, where a bare 0 read as a job with nothing parallel; a P
// that is not held has no note.
func TestPredictedPHeld(t *testing.T) {
	// The overhead's sleep far above the run's: on a loaded machine a
	// sleep of 10 ms took 55 ms, past the 30 ms this test slept for the
	// overhead, and the median was then no longer below it (a CI run
	// beside another).
	const one, run1, run2 = 300 * time.Millisecond, 10 * time.Millisecond, 5 * time.Millisecond
	c := tinyConfig()
	c.Workloads, c.Workers, c.Sweep = []Workload{{200, 2}}, []int{2}, nil
	c.Reps, c.Warmup = 1, 0
	specs := sleepyParallel(nil, map[[2]uint64]time.Duration{{1, 0}: one, {200, 1}: run1, {200, 2}: run2})
	rep, err := Run(context.Background(), c, specs)
	if err != nil {
		t.Fatal(err)
	}
	s := rep.Scaling[0]
	pt := s.Points[0]
	if pt.Overhead < one || pt.Wall.Median >= one || s.PredictedP != 0 {
		t.Fatalf("one worker: overhead %v, median %v, predicted P %v; want the overhead at least %v above the median, P 0", pt.Overhead, pt.Wall.Median, s.PredictedP, one)
	}
	want := heldNote(pt.Overhead, pt.Wall.Median)
	if s.PredictedPNote != want || !strings.HasPrefix(want, "held at 0: the overhead at one worker, ") {
		t.Errorf("PredictedPNote %q, want %q", s.PredictedPNote, want)
	}
	var text, csv, js bytes.Buffer
	for f, b := range map[string]*bytes.Buffer{"text": &text, "csv": &csv, "json": &js} {
		if err := rep.Write(b, f); err != nil {
			t.Fatal(err)
		}
	}
	if w := "predicted P = 0.0000 from the measured overhead (" + want + ")"; s.Fit == nil || !strings.Contains(text.String(), w) {
		t.Errorf("text report has no %q:\n%s", w, text.String())
	}
	if w := "predicted p 0 from the overhead at one worker (" + want + ")"; !strings.Contains(csv.String(), w) {
		t.Errorf("CSV has no %q:\n%s", w, csv.String())
	}
	var back Report
	if err := json.Unmarshal(js.Bytes(), &back); err != nil {
		t.Fatal(err)
	}
	if got := back.Scaling[0].PredictedPNote; got != want {
		t.Errorf("JSON predicted_p_note %q, want %q", got, want)
	}
	// Without a fit the line still says the P is held, and why: the
	// one-worker overhead above the run stood in the table with no word.
	nofit := s
	nofit.Fit, nofit.FitNote = nil, "no reason"
	if got, w := nofit.FitLine(), "parallel on 200 x 2: no Amdahl fit (no reason); predicted P = 0.0000 from the measured overhead ("+want+")"; got != w {
		t.Errorf("no fit: FitLine %q, want %q", got, w)
	}
	// A P that is not held has no note.
	s.Points[0].Overhead = s.Points[0].Wall.Median / 4
	s.predict()
	if math.Abs(s.PredictedP-0.75) > 1e-6 || s.PredictedPNote != "" {
		t.Errorf("overhead a quarter of the median: P %v, note %q; want 0.75 and none", s.PredictedP, s.PredictedPNote)
	}
	nofit = s
	nofit.Fit, nofit.FitNote = nil, "no reason"
	if got := nofit.FitLine(); got != "parallel on 200 x 2: no Amdahl fit (no reason)" {
		t.Errorf("no fit, P not held: FitLine %q", got)
	}
}

// TestColdStartNote: a note an engine's start says (EngineSpec.New's
// note: a device's program that starts compiling) goes to the progress as
// it is said, once however often it is said; an engine whose starts say
// nothing is not said to compile. bench said so before each start from a
// prediction, which told a start that loaded another process's program
// that it compiled.
func TestColdStartNote(t *testing.T) {
	c := tinyConfig()
	c.Scaling, c.Sweep = false, nil
	c.Workloads = []Workload{{1000, 2}, {1000, 3}}
	var progress strings.Builder
	c.Progress = &progress
	var calls int
	cold := EngineSpec{Name: "cold", New: func(_ int, note func(string)) sim.Engine {
		calls++
		note("compiling its program")
		return cpu.Serial{}
	}}
	warm := EngineSpec{Name: "warm", New: func(int, func(string)) sim.Engine { return cpu.Serial{} }}
	if _, err := Run(context.Background(), c, append(CPUEngines()[:1], cold, warm)); err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(progress.String(), "bench: cold: compiling its program\n"); n != 1 || calls < 2 {
		t.Errorf("the note said %d times in %d starts, want once:\n%s", n, calls, progress.String())
	}
	if strings.Contains(progress.String(), "bench: warm:") || strings.Contains(progress.String(), "bench: serial:") {
		t.Errorf("a note from starts that said none:\n%s", progress.String())
	}
}

// TestProgressNsDigits: a workload's progress line writes its ns per
// lane-step as the tables do (fmtG, count.Sig3), whole from a thousand:
// 2 ms on 1000 lane-steps read "2.04e+03 ns/lane-step" beside the table's
// 2040.
func TestProgressNsDigits(t *testing.T) {
	c := tinyConfig()
	c.Scaling, c.Sweep = false, nil
	c.Workloads = []Workload{{100, 10}}
	c.Reps, c.Warmup = 1, 0
	var progress strings.Builder
	c.Progress = &progress
	turn := new(int)
	slow := EngineSpec{Name: "slow", New: func(int, func(string)) sim.Engine {
		return unsteadyEngine{short: 2 * time.Millisecond, long: 2 * time.Millisecond, turn: turn}
	}}
	rep, err := Run(context.Background(), c, []EngineSpec{slow})
	if err != nil {
		t.Fatal(err)
	}
	ns := rep.Workloads[0].Engines[0].NsPerLaneStep
	if ns < 999.5 || ns >= 1e6 {
		t.Skipf("%g ns per lane-step: outside the whole range of Sig3 on this machine", ns)
	}
	want := fmt.Sprintf(", %s ns/lane-step\n", fmtG(ns))
	if !strings.Contains(progress.String(), want) || strings.Contains(progress.String(), "e+") {
		t.Errorf("the progress line does not end %q, as the table writes %g:\n%s", want, ns, progress.String())
	}
}

// unsteadyEngine is cpu.Serial that sleeps before each run, by turns short
// and long (*turn counts the runs of its worker count), so that its timed
// runs spread.
type unsteadyEngine struct {
	cpu.Serial
	short, long time.Duration
	turn        *int
}

func (e unsteadyEngine) Run(ctx context.Context, job *sim.Job) (*sim.Result, error) {
	*e.turn++
	d := e.short
	if *e.turn%2 == 0 {
		d = e.long
	}
	time.Sleep(d)
	return e.Serial.Run(ctx, job)
}

// TestAmdahlRange: the fit gives the range of P over the timed runs' spread
// (the P fitted to each point's lowest speedup, the one-worker run's fastest
// over the point's slowest, and to its highest), in the table's note, the
// JSON and the CSV, with P inside it: P was written to four decimals with
// nothing to say how far the repetitions moved it (0.8691 and 1.0000 in two
// runs of one machine).
func TestAmdahlRange(t *testing.T) {
	coresAtLeast(t, 2)
	c := tinyConfig()
	c.Workloads = []Workload{{64, 2}}
	c.Reps, c.Warmup = 4, 0
	c.Sweep = nil
	turns := map[int]*int{1: new(int), 2: new(int)}
	specs := []EngineSpec{{Name: "parallel", Scales: true, New: func(n int, _ func(string)) sim.Engine {
		if n == 1 {
			return unsteadyEngine{short: 10 * time.Millisecond, long: 13 * time.Millisecond, turn: turns[1]}
		}
		return unsteadyEngine{short: 6 * time.Millisecond, long: 8 * time.Millisecond, turn: turns[2]}
	}}}
	rep, err := Run(context.Background(), c, specs)
	if err != nil {
		t.Fatal(err)
	}
	s := rep.Scaling[0]
	if s.Fit == nil || len(s.Points) != 2 {
		t.Fatalf("no fit over 1 and 2 workers: %+v", s)
	}
	one, two := s.Points[0].Wall, s.Points[1].Wall
	low, err := FitAmdahl([]int{1, 2}, []float64{1, float64(one.Min) / float64(two.Max)})
	if err != nil {
		t.Fatal(err)
	}
	high, err := FitAmdahl([]int{1, 2}, []float64{1, float64(one.Max) / float64(two.Min)})
	if err != nil {
		t.Fatal(err)
	}
	wantLow, wantHigh := min(low.P, s.Fit.P), max(high.P, s.Fit.P)
	if wantLow >= wantHigh {
		t.Fatalf("the runs did not spread: 1 worker %+v, 2 workers %+v", one, two)
	}
	b, err := json.Marshal(s.Fit)
	if err != nil {
		t.Fatal(err)
	}
	var got struct {
		P     float64   `json:"p"`
		Range []float64 `json:"p_range"`
	}
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	if len(got.Range) != 2 || math.Abs(got.Range[0]-wantLow) > 1e-9 || math.Abs(got.Range[1]-wantHigh) > 1e-9 {
		t.Errorf("JSON %s: p_range %v, want [%v, %v]", b, got.Range, wantLow, wantHigh)
	}
	want := fmt.Sprintf("Amdahl fit P = %s (%s to %s over the timed runs' spread)", fmtP(s.Fit.P), fmtP(wantLow), fmtP(wantHigh))
	if line := s.FitLine(); !strings.Contains(line, want) {
		t.Errorf("the note %q has no %q", line, want)
	}
	var csv strings.Builder
	if err := rep.WriteCSV(&csv); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(csv.String(), "over the timed runs' spread") {
		t.Errorf("the CSV's amdahl row has no range:\n%s", csv.String())
	}
}

// stoppedEngine runs on cpu.Serial and, on its run number stopAt
// (counting from 1), is suspended for stop (the fake suspended grows by it,
// and the run takes that much longer), as a Ctrl-Z of bench would.
type stoppedEngine struct {
	runs           *int
	stopAt         int
	stop           time.Duration
	suspendedSoFar *time.Duration
}

func (stoppedEngine) Name() string { return "serial" }

func (e stoppedEngine) Run(ctx context.Context, job *sim.Job) (*sim.Result, error) {
	if *e.runs++; *e.runs == e.stopAt {
		time.Sleep(e.stop)
		*e.suspendedSoFar += e.stop
	}
	return cpu.Serial{}.Run(ctx, job)
}

// TestMeasureSuspended: a timed run the process was suspended in (Ctrl-Z,
// Slurm's scontrol suspend) is run again, with a progress line, and its
// time left out: with --reps 1 the stop was taken for the engine's time,
// which --update-doc then wrote into the docs.
func TestMeasureSuspended(t *testing.T) {
	var stopped time.Duration
	saved := suspended
	suspended = func() time.Duration { return stopped }
	defer func() { suspended = saved }()
	const stop = 300 * time.Millisecond
	for _, warmup := range []int{0, 1} {
		c := tinyConfig()
		c.Workloads, c.Sweep, c.Scaling = []Workload{{1000, 4}}, nil, false
		c.Reps, c.Warmup = 1, warmup
		var progress bytes.Buffer
		c.Progress = &progress
		runs := 0
		rep, err := Run(context.Background(), c, []EngineSpec{{Name: "serial", New: func(int, func(string)) sim.Engine {
			return stoppedEngine{runs: &runs, stopAt: warmup + 1, stop: stop, suspendedSoFar: &stopped}
		}}})
		if err != nil {
			t.Fatal(err)
		}
		m := rep.Workloads[0].Engines[0]
		if m.Wall.Median >= stop || runs != warmup+2 || !strings.Contains(progress.String(), "which is run again") {
			t.Errorf("warmup %d: median %v after %d runs, progress %q; want the suspended run run again, its %v left out", warmup, m.Wall.Median, runs, progress.String(), stop)
		}
	}
}

// TestScalingPointJSONNotes: the JSON report gives an efficiency above
// 100% and a negative overhead with the words the tables give beside them
// ("superlinear", "in noise", "1 run"): it had the numbers alone, where
// the text read "107.6% (1 run)".
func TestScalingPointJSONNotes(t *testing.T) {
	for _, c := range []struct {
		p    ScalingPoint
		want []string
	}{
		{ScalingPoint{Workers: 2, Efficiency: 1.076, Wall: Stats{N: 1}}, []string{`"efficiency_note":"1 run"`}},
		{ScalingPoint{Workers: 2, Efficiency: 1.2, SpeedupRange: &[2]float64{2.1, 2.6}, Overhead: -5}, []string{`"efficiency_note":"superlinear"`, `"overhead_note":"in noise"`}},
		{ScalingPoint{Workers: 2, Efficiency: 1.05, SpeedupRange: &[2]float64{1.9, 2.3}}, []string{`"efficiency_note":"in noise"`}},
		{ScalingPoint{Workers: 2, Efficiency: 0.9}, nil},
	} {
		b, err := json.Marshal(c.p)
		if err != nil {
			t.Fatal(err)
		}
		for _, w := range c.want {
			if !strings.Contains(string(b), w) {
				t.Errorf("%+v: %s, want %s", c.p, b, w)
			}
		}
		if c.want == nil && strings.Contains(string(b), "_note") {
			t.Errorf("%+v: %s, want no note", c.p, b)
		}
		var back ScalingPoint
		if err := json.Unmarshal(b, &back); err != nil || back.Efficiency != c.p.Efficiency || back.Overhead != c.p.Overhead {
			t.Errorf("%s read back as %+v, %v", b, back, err)
		}
	}
}
