package engines

import (
	"context"
	"math"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/gpusim/gpusim/cpu"
	"github.com/gpusim/gpusim/sim"
)

// batchEngine is a virtualEngine whose lanes run in batches of width, as
// simd's (16 lanes an AVX-512 instruction) and an OpenCL work-item's
// vector do: a run of fewer lanes than a batch, or of a last batch part
// full, computes the whole batch. Its runs move the clock virtualClock
// returns.
type batchEngine struct {
	fixed, perLaneStep float64
	width              uint64
	clock              *time.Time
}

func (e *batchEngine) Name() string { return "batch" }

// seconds is a run's time for lanes x steps.
func (e *batchEngine) seconds(lanes uint64, steps int) float64 {
	batches := (lanes + e.width - 1) / e.width
	return e.fixed + float64(batches*e.width)*float64(steps)*e.perLaneStep
}

func (e *batchEngine) Run(_ context.Context, j *sim.Job) (*sim.Result, error) {
	*e.clock = e.clock.Add(time.Duration(e.seconds(j.Params.Lanes, j.Params.Steps) * 1e9))
	return &sim.Result{}, nil
}

// TestAutoNarrowProbe checks that a job of fewer lanes than fill an
// engine's batches is probed on its own lanes over many steps, so that its
// predicted time is near its real one. Probed on its one lane over 32
// steps, whose run is all fixed time, a job of 1 lane x 1e8 steps was
// predicted at 422 s; it took 2.1 s.
func TestAutoNarrowProbe(t *testing.T) {
	clock0 := virtualClock(t)
	e := &batchEngine{fixed: 2e-4, perLaneStep: 1e-9, width: 16, clock: clock0}
	for _, c := range []struct {
		lanes uint64
		steps int
	}{{1, 1e8}, {3, 1e8}, {1000, 1e6}, {40000, 5000}, {5e6, 100}, {1, sim.MaxSteps}} {
		p := sim.Default()
		p.Lanes, p.Steps = c.lanes, c.steps
		probe := probeJob(p, false)
		q := probe.Params
		if w := laneSteps(probe); w > probeLaneSteps || q.Lanes > c.lanes || q.Steps > c.steps || q.Lanes < 1 || q.Steps < 1 {
			t.Errorf("%d x %d: probe of %d x %d, want at most the job's lanes and steps and %d lane-steps", c.lanes, c.steps, q.Lanes, q.Steps, probeLaneSteps)
		}
		want := e.seconds(c.lanes, c.steps)
		work := float64(c.lanes) * float64(c.steps)
		m, _, err := measureProbe(context.Background(), clock{}, e, probe, jobSize(probe, c.lanes, c.steps), now())
		if err != nil {
			t.Fatal(err)
		}
		if r := m.time(work) / want; r < 0.5 || r > 2 {
			t.Errorf("%d x %d: measured on a probe of %d x %d, predicted at %.3g s, the run takes %.3g s (%.2fx)", c.lanes, c.steps, q.Lanes, q.Steps, m.time(work), want, r)
		}
		d, full, err := measureDevice(context.Background(), clock{}, e, probe, jobSize(probe, c.lanes, c.steps))
		if err != nil || !full {
			t.Fatalf("%d x %d: a device's measure: full %v, %v", c.lanes, c.steps, full, err)
		}
		if r := d.time(work) / want; r < 0.5 || r > 2 {
			t.Errorf("%d x %d: a device measured on a probe of %d x %d, predicted at %.3g s, the run takes %.3g s (%.2fx)", c.lanes, c.steps, q.Lanes, q.Steps, d.time(work), want, r)
		}
		if pilot := pilotJob(probe); laneSteps(pilot) > 2*pilotLaneSteps {
			t.Errorf("%d x %d: a pilot of %d x %d, over twice %d lane-steps", c.lanes, c.steps, pilot.Params.Lanes, pilot.Params.Steps, pilotLaneSteps)
		}
	}
}

// TestAutoNarrowKeyedApart checks that a narrow job's calibration is kept
// apart from the wide jobs' of its step count, and the wide jobs' key is as
// before: 1 lane x 1e8 steps, measured under the key of every job of 32
// steps or more, then had 5M x 100 predicted at 2.11e3 s.
func TestAutoNarrowKeyedApart(t *testing.T) {
	opens, lists := 0, 0
	t.Setenv(EnvCacheDir, t.TempDir())
	withDevices(t, fakeDevice(timedEngine{fixed: 0.001, perLaneStep: 2e-8}, &opens, &lists))
	wide, narrow := sim.Default(), sim.Default()
	wide.Lanes, wide.Steps = 5e6, 100
	narrow.Lanes, narrow.Steps = 1, 1e8
	wk, nk := calibrationKey(Options{Params: wide}), calibrationKey(Options{Params: narrow})
	if wk == nk || strings.Contains(wk, "lanes") || !strings.Contains(wk, "steps 32;") || !strings.Contains(nk, " lanes 1;") {
		t.Fatalf("keys: wide %q, narrow %q; want the wide one's steps 32 alone, the narrow one's lanes 1", wk, nk)
	}
	e, ch, err := Auto(context.Background(), Options{Params: narrow})
	if err != nil {
		t.Fatal(err)
	}
	sim.Close(e)
	if _, ok := loadCalibration(nk); !ok {
		t.Errorf("no calibration under the narrow job's key (chose %s: %s)", ch.Engine, ch.Reason)
	}
	if _, ok := loadCalibration(wk); ok {
		t.Errorf("the narrow job's calibration is under the wide jobs' key too")
	}
	// A shard is keyed by its own lanes.
	whole := narrow
	whole.Lanes = 5e6
	sharded := Options{Params: whole, Sharded: true, Lanes: 1}
	if calibrationKey(sharded) != nk {
		t.Errorf("a shard of 1 lane of 5M x 1e8: key %q, want the 1-lane job's %q", calibrationKey(sharded), nk)
	}
}

// TestSimdEstimateBatches checks that simd's cost model counts the lanes
// its batches compute: 1 lane x 1e7 steps was "a small job (about 20 ms)"
// on AVX-512 that took 0.19 s, as a step of one lane costs a batch of 16's.
func TestSimdEstimateBatches(t *testing.T) {
	defer func(f func() string) { simdPath = f }(simdPath)
	simdPath = func() string { return "avx512" }
	one := simdEstimate(cpu.SIMD{}, 1, 1e7, false)
	sixteen := simdEstimate(cpu.SIMD{}, 16, 1e7, false)
	if one != sixteen || one < 300*time.Millisecond {
		t.Errorf("simd's estimate of 1 lane x 1e7 steps %v, of 16 lanes %v; want the same, 16 x 1e7 x 2 ns on one core (320 ms)", one, sixteen)
	}
	if _, small := smallJob(one, 1e7, false); small {
		t.Errorf("1 lane x 1e7 steps taken for a small job")
	}
	if got, want := simdEstimate(cpu.SIMD{Workers: 1}, 5e6, 10, false), 125*time.Millisecond; got != want {
		t.Errorf("simd's estimate of 5e6 x 10 on one worker %v, want %v (5e7 lane-steps at 2 ns, 5e6 lanes at 5 ns)", got, want)
	}
}

// TestSimdEstimateLanes checks that simd's cost model counts each lane's
// own work besides its steps' (simdLaneNsPerCore) on every path, plain and
// with --daily: counted by lane-steps alone, --lanes 1e7 --steps 1 on the
// avx512 path was "a small job ... (about 10 ms)" whose run took 54 to
// 108 ms of CPU time on two cores, and a job of few steps near a cut-off
// went to simd at a fraction of its time.
func TestSimdEstimateLanes(t *testing.T) {
	defer func(f func() string) { simdPath = f }(simdPath)
	one := cpu.SIMD{Workers: 1}
	for path, w := range simdWidths {
		simdPath = func() string { return path }
		for i, daily := range []bool{false, true} {
			// Each step more costs the same; what a 1-step job costs
			// beyond a step's share is the lanes' own.
			s1, s2 := simdEstimate(one, 1e7, 1, daily), simdEstimate(one, 1e7, 2, daily)
			lane := float64(s1-(s2-s1)) / 1e7
			step := float64(s2-s1) / 1e7
			if want := simdLaneNsPerCore[path][i]; math.Abs(lane-want) > 0.01 {
				t.Errorf("%s, daily %v: 1e7 x 1 %v, 1e7 x 2 %v: %.3g ns a lane besides its steps, want %g", path, daily, s1, s2, lane, want)
			}
			// Measured, a lane costs more than a step of it on every path
			// (cpu.BenchmarkSIMDLane: 5.1 against 0.94 ns on avx512).
			if lane < step {
				t.Errorf("%s, daily %v: %.3g ns a lane, less than a step's %.3g", path, daily, lane, step)
			}
			// A lane's own work is a batch's: 1 lane costs w lanes' time.
			if a, b := simdEstimate(one, 1, 1, daily), simdEstimate(one, w, 1, daily); a != b {
				t.Errorf("%s, daily %v: 1 lane x 1 step %v, %d lanes %v; want the same", path, daily, a, w, b)
			}
		}
	}
	simdPath = func() string { return "avx512" }
	// The reported job: 1e7 x 1 on two goroutines is no small job on any
	// machine (two cores or fewer only make it longer).
	est := simdEstimate(cpu.SIMD{Workers: 2}, 1e7, 1, false)
	if est < 35*time.Millisecond {
		t.Errorf("simd's estimate of 1e7 x 1 on two goroutines %v, want 35 ms or more (1e7 lanes at 5 + 2 ns over two cores)", est)
	}
	if _, small := smallJob(est, 1e7, false); small {
		t.Errorf("1e7 x 1 taken for a small job (%v)", est)
	}
	// At many steps a lane's own work is a few per cent of its steps':
	// 5e6 x 100 on one worker stays about 1 s.
	if got := simdEstimate(one, 5e6, 100, false); got < time.Second || got > 1030*time.Millisecond {
		t.Errorf("simd's estimate of 5e6 x 100 on one worker %v, want 1 s and 25 ms (5e8 lane-steps at 2 ns, 5e6 lanes at 5 ns)", got)
	}
}

// TestSimdEstimateHuge checks that simd's cost model saturates at the
// largest Duration for a job of more than 292 years on simd, where the
// conversion of 2^63 ns made it the most negative one: --lanes 1e18
// --timeout 1h ran as "a small job (1e+19 lane-steps): simd finishes it
// ... (about 1 us)", no device considered.
func TestSimdEstimateHuge(t *testing.T) {
	defer func(f func() string) { simdPath = f }(simdPath)
	simdPath = func() string { return "avx512" }
	for _, job := range []struct {
		lanes uint64
		steps int
		daily bool
	}{{1e18, 10, false}, {math.MaxUint64, 10, false}, {math.MaxUint64, math.MaxInt32, false}, {1e18, 10000, true}} {
		got := simdEstimate(cpu.SIMD{Workers: 1}, job.lanes, job.steps, job.daily)
		if got != math.MaxInt64 {
			t.Errorf("simd's estimate of %d lanes x %d steps (daily %v) on one worker %v, want the largest Duration, %v", job.lanes, job.steps, job.daily, got, time.Duration(math.MaxInt64))
		}
		if _, small := smallJob(got, float64(job.lanes)*float64(job.steps), job.daily); small {
			t.Errorf("%d lanes x %d steps taken for a small job", job.lanes, job.steps)
		}
	}
}

// TestNarrowJobCores checks that a narrow job's probes and runs are timed
// over the cores it keeps busy: over both of 2 cores, simd's probes of 1
// lane (one goroutine) read as half their time, and 1 lane x 1e8 steps was
// predicted at 0.72 s; it took 2.3 s.
func TestNarrowJobCores(t *testing.T) {
	narrow, wide := sim.Default(), sim.Default()
	narrow.Lanes, narrow.Steps = 1, 1e8
	wide.Lanes, wide.Steps = 5e6, 100
	if n := simdJobCores(cpu.SIMD{}, narrow); n != 1 {
		t.Errorf("simd's cores for 1 lane: %d, want 1", n)
	}
	if n, want := simdJobCores(cpu.SIMD{}, wide), runtime.GOMAXPROCS(0); n != want {
		t.Errorf("simd's cores for 5M lanes: %d, want GOMAXPROCS (%d)", n, want)
	}
	if n := deviceJobCores(narrow); n != 1 {
		t.Errorf("a CPU device's cores for 1 lane: %d, want 1 (wall time)", n)
	}
	if n, want := deviceJobCores(wide), runtime.NumCPU(); n != want {
		t.Errorf("a CPU device's cores for 5M lanes: %d, want the CPUs (%d)", n, want)
	}
	var ch Choice
	ch.onCores(cpu.SIMD{}, false, false, narrow)
	if ch.cores != 1 {
		t.Errorf("a run of 1 lane on simd is judged over %g cores, want 1", ch.cores)
	}
}

// TestSimdEstimateDaily checks that simd's cost model counts --daily's
// per-step statistics (simdDailyFactor, dailyStepCost): without them, 2e7
// x 20 read "simd finishes in about 400 ms" with and without --daily, which
// took 0.36 and 1.11 s, and a --daily job at 2.5 times a small job's plain
// time was still "a small job", no device considered.
func TestSimdEstimateDaily(t *testing.T) {
	defer func(f func() string) { simdPath = f }(simdPath)
	simdPath = func() string { return "avx512" }
	t.Setenv(EnvCacheDir, "off")
	p := sim.Default()
	p.Lanes, p.Steps = 1e6, 10 // 1e7 lane-steps: 20 ms plain on one avx512 core
	o := Options{Params: p, Workers: 1, Daily: true}
	_, ch, err := Auto(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	if strings.HasPrefix(ch.Reason, "a small job") || !strings.Contains(ch.Reason, "with --daily") {
		t.Errorf("--daily 1e6 x 10 on one worker: %q; want it costed with --daily's statistics, past a small job's 30 ms", ch.Reason)
	}
	plain := simdEstimate(cpu.SIMD{Workers: 1}, 1e6, 10, false)
	if daily := simdEstimate(cpu.SIMD{Workers: 1}, 1e6, 10, true); daily < 2*plain {
		t.Errorf("simd's estimate of 1e6 x 10 with --daily %v, plain %v; want over twice", daily, plain)
	}
	// A lane's step pays the step's statistics: 1 lane x 1e4 steps took
	// 66 to 184 ms with --daily, 0.3 ms without it.
	if one := simdEstimate(cpu.SIMD{}, 1, 1e4, true); one < 50*time.Millisecond {
		t.Errorf("simd's estimate of 1 lane x 1e4 steps with --daily %v, want 50 ms or more", one)
	}
}
