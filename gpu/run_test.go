package gpu

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gpusim/gpusim/internal/cputime"
	"github.com/gpusim/gpusim/internal/interrupt"
	"github.com/gpusim/gpusim/sim"
)

// TestStepSplit: launches that each cover a few Philox blocks of a lane
// chunk, carrying the temperatures between them, give the stream of
// whole-chunk launches: one lane, lanes that are not a multiple of the
// vector width, several lane chunks, step counts with and without a partial
// last block; each from lane 0 at seed 1, and from lane 2^32-5 (across the
// counter's high word) at seed 2^64-1, finally and per step.
func TestStepSplit(t *testing.T) {
	for _, c := range []struct {
		lanes, chunk uint64
		steps, max   int
		launches     int // at least
	}{
		{1, 0, 9, 1, 2},
		{17, 0, 8, 1, 2},
		{17, 0, 101, 3, 9},
		{1003, 100, 43, 2, 11 * 5},
		{5000, 0, 30, 4, 2},
	} {
		e := open(t, Options{MaxChunkLanes: c.chunk, maxBlocks: c.max})
		for _, at := range []struct {
			first, seed uint64
			daily       bool
		}{{0, 1, false}, {1<<32 - 5, math.MaxUint64, false}, {1<<32 - 5, math.MaxUint64, true}} {
			j := job(at.first+c.lanes, c.steps)
			j.First, j.Count, j.Params.Seed, j.Daily = at.first, c.lanes, at.seed, at.daily
			name := fmt.Sprintf("lanes [%d, +%d) chunk %d steps %d blocks per launch %d seed %#x daily %v", at.first, c.lanes, c.chunk, c.steps, c.max, at.seed, at.daily)
			e.launches = 0
			same(t, name, runJob(t, e, j), reference(t, j))
			if e.launches < c.launches {
				t.Errorf("%s: %d launches, want at least %d", name, e.launches, c.launches)
			}
		}
	}
}

// cancelBound is how long Run may take to return after its context is
// cancelled: launches aim at 100 ms and two are in flight at most; the rest
// is slack for a loaded machine. Before launches were split over steps, the
// first launch of this test's job ran one lane through all steps (about a
// minute on pocl).
const cancelBound = 5 * time.Second

// TestCancelManySteps: a job of few lanes and a huge step count stops soon
// after its context is cancelled, and after its deadline passes.
func TestCancelManySteps(t *testing.T) {
	e := open(t, Options{})
	p := sim.Default()
	p.Lanes, p.Steps = 128, 2_000_000_000
	for _, how := range []string{"cancel", "deadline"} {
		ctx, cancel := context.WithCancel(context.Background())
		stop := make(chan time.Time, 1)
		switch how {
		case "cancel":
			time.AfterFunc(300*time.Millisecond, func() { stop <- time.Now(); cancel() })
		case "deadline":
			d := time.Now().Add(300 * time.Millisecond)
			stop <- d
			var stopDeadline context.CancelFunc
			ctx, stopDeadline = context.WithDeadline(ctx, d)
			defer stopDeadline()
		}
		_, err := e.Run(ctx, &sim.Job{Params: p})
		took := time.Since(<-stop)
		cancel()
		if !errors.Is(err, context.Canceled) && !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("%s: run returned %v", how, err)
		}
		t.Logf("%s: returned %v after the stop", how, took)
		if took > cancelBound {
			t.Errorf("%s: run returned %v after the stop, want at most %v", how, took, cancelBound)
		}
	}
}

// TestCostlyLaunches: on a device whose every launch costs more than
// chunkTarget, however few its lanes (Oclgrind's simulator: 0.2 s), a
// launch still takes a whole grid-stride pass, and launches of steps split
// in parts grow past one Philox block each. Before, launches shrank
// fourfold at a time to one lane each: the self-test's 1001-lane job ran
// in 1001 launches, 76 s on Oclgrind. Then jobs of 8 steps or more still
// ran one block of steps a launch: 1001 lanes x 200 steps in 50 launches,
// and as a daily job in 400 (a pass of 128 lanes, 50 blocks each).
func TestCostlyLaunches(t *testing.T) {
	for _, daily := range []bool{false, true} {
		e := open(t, Options{launchCost: 3 * chunkTarget})
		var items, wg int
		e.opts.planned = func(i, w int) { items, wg = i, w }
		const lanes = 1001
		for _, steps := range []int{1, 5, 7, 8, 9, 40, 200} {
			// The engine's later runs start where its last run's
			// launches ended.
			for run := range 2 {
				j := job(lanes, steps)
				j.Daily = daily
				e.launches = 0
				name := fmt.Sprintf("daily %v steps %d run %d", daily, steps, run+1)
				same(t, name, runJob(t, e, j), reference(t, j))
				// A grid-stride pass a launch at most, or
				// as many steps as one launch may take.
				stride := items * e.vw
				want := (lanes-1)/stride + 1
				if blocks, most := steps/4, e.dailyBlocks; daily && steps >= 8 && blocks > most {
					want *= (blocks-1)/most + 1
				}
				if steps >= 8 {
					// Launches double from the last shape's.
					want += []int{12, 2}[run]
				}
				t.Logf("%s: %d launches, %d at most", name, e.launches, want)
				if e.launches > want {
					t.Errorf("%s: %d launches, want %d at most (grid-stride passes of %d lanes: %d work-groups of %d)",
						name, e.launches, want, stride, items/wg, wg)
				}
			}
		}
	}
}

// TestNarrowChunkGrid: a run whose launches take few lanes each
// (MaxChunkLanes, or the finals' and temperatures' buffers within a small
// MaxAllocBytes) launches no more work-groups than those lanes fill, and
// gives the same results. Before, the grid was sized by the run's lanes
// alone: at MaxChunkLanes 1000, each launch ran pocl's whole grid of 4096
// lanes, three quarters of its work-items idle.
func TestNarrowChunkGrid(t *testing.T) {
	for _, c := range []struct {
		chunk, alloc uint64 // MaxChunkLanes, MaxAllocBytes/4
		steps        int
		daily        bool
	}{
		{1000, 0, 5, false}, {1000, 0, 17, false}, {1000, 0, 10, true},
		{0, 2000, 5, false}, {0, 2000, 17, false}, {0, 2000, 10, true},
	} {
		e := open(t, Options{MaxChunkLanes: c.chunk})
		if c.alloc > 0 {
			e.desc.MaxAllocBytes = c.alloc * 4
		}
		var items, wg int
		e.opts.planned = func(i, w int) { items, wg = i, w }
		j := job(20_011, c.steps)
		j.Daily = c.daily
		name := fmt.Sprintf("chunk %d alloc %d steps %d daily %v", c.chunk, c.alloc*4, c.steps, c.daily)
		same(t, name, runJob(t, e, j), reference(t, j))
		widest := max(c.chunk, c.alloc)
		if per := uint64(wg * e.vw); uint64(items*e.vw) >= widest+per {
			t.Errorf("%s: a grid of %d work-items of %d lanes (%d work-groups of %d) for launches of %d lanes at most",
				name, items, e.vw, items/wg, wg, widest)
		}
	}
}

// TestLaunchWorkModel: a launch's work (launchWork: lane-steps, and
// laneCost for each lane) takes about the same time per unit for lanes of
// 1 step as for lanes of 1000, so that the size one run's launches reached
// fits the next run's whatever its steps. Counted in lane-steps alone, a
// 1-step lane cost 5.6 times a step of a 1000-step lane on pocl, and a
// 1-step job after a 1000-step one started with launches of 0.5 s, 5 times
// chunkTarget. The shapes alternate, the fastest of 3 runs each. A device
// on the machine's cores (pocl: HostMemory) is timed by the process's CPU
// time, which a loaded machine does not stretch: its kernel time, which
// other processes' share of the cores does, read 3.13x and 4.62x at 1 step
// beside other tests on 2 cores; a GPU by its kernel time, which the
// host's load leaves alone.
func TestLaunchWorkModel(t *testing.T) {
	e := open(t, Options{})
	onCores := e.desc.HostMemory() && cputime.Process() > 0
	lanes := map[int]uint64{1000: 20_000, 1: 4_000_000}
	perUnit := map[int]float64{1000: math.Inf(1), 1: math.Inf(1)} // ns
	for range 3 {
		for _, steps := range []int{1000, 1} {
			cpu0 := cputime.Process()
			r := runJob(t, e, &sim.Job{Params: job(lanes[steps], steps).Params})
			took := r.Timing.Kernel
			if onCores {
				took = cputime.Process() - cpu0
			}
			perUnit[steps] = min(perUnit[steps], float64(took)/float64(launchWork(lanes[steps], uint64(steps))))
		}
	}
	clock := "kernel time"
	if onCores {
		clock = "the process's CPU time"
	}
	if ratio := perUnit[1] / perUnit[1000]; ratio > 2.5 || ratio < 1/2.5 {
		t.Errorf("%s, by %s: %.3g ns a unit of work at 1 step, %.3g at 1000 steps: %.2fx, want within 2.5x", e.Label(), clock, perUnit[1], perUnit[1000], ratio)
	}
}

// TestCutToDeadline: where a launch of the planned work, queued behind
// those in flight, would end past the run's deadline, it takes the work
// that ends by it at the last launch's rate (at least 1: the least launch);
// without a deadline, or with time enough, the planned work.
func TestCutToDeadline(t *testing.T) {
	const rate = 1e9 // work per second: 100 ms for the planned 1e8
	e := &Engine{}
	e.rate[0] = rate
	r := &run{e: e, work: 1e8}
	if got := r.cut(r.work); got != r.work {
		t.Errorf("no deadline: cut to %d, want the planned %d", got, r.work)
	}
	for _, c := range []struct {
		name     string
		left     time.Duration // to the deadline
		inFlight uint64        // work in flight
		lo, hi   float64       // the work wanted
	}{
		{"time enough", time.Hour, 0, 1e8, 1e8},
		{"50 ms left", 50 * time.Millisecond, 0, 4e7, 5e7},
		{"50 ms left, 30 in flight", 50 * time.Millisecond, 3e7, 1e7, 2e7},
		{"past it", -time.Millisecond, 0, 1, 1},
		{"past it in flight", 20 * time.Millisecond, 3e7, 1, 1},
	} {
		r.deadline = time.Now().Add(c.left)
		r.pending = nil
		if c.inFlight > 0 {
			r.pending = []flight{{work: c.inFlight}}
		}
		if got := float64(r.cut(r.work)); got < c.lo || got > c.hi {
			t.Errorf("%s: cut to %g, want %g to %g", c.name, got, c.lo, c.hi)
		}
	}
}

// TestLaunchesCutToDeadline: a run whose context has a deadline (--timeout)
// sizes its last launches to end by it, below the work planned for them;
// they aimed at 100 ms each, two in flight, and Run returned 0.1 to 0.2 s
// after the deadline on pocl (the wall time is logged, not checked: a
// loaded machine stretches it either way). A launch counts as cut below
// 98% of its plan (rounding to grid-stride passes takes up to 1%).
//
// The first run grows launches from the pilot (adapt), where the next runs
// start. Each of those starts with the rate that makes its planned launch
// take chunkTarget, and its deadline 1.5 chunkTarget after Run is called:
// two planned launches do not fit, and the second is queued behind the
// first at once, not after the device ends one, so the first or the
// second must be cut whatever the machine's load. Runs of 400 ms at the
// measured rate, a whole number of planned launches, cut one by 1% or less
// where the launches kept to their plan, and none where the deadline fell
// in a launch that a loaded machine made run long (its plan fitted when it
// was queued): runs 2 to 4 cut no launch at a load of about 10.
func TestLaunchesCutToDeadline(t *testing.T) {
	// Atomic: Run returns at the deadline while its last launch may still
	// be enqueued from the run's goroutine (runUntil), which calls
	// launched then; settled waits for it before the next run.
	var cut, launches atomic.Int64
	e := open(t, Options{})
	e.opts.launched = func(work, plan uint64) {
		launches.Add(1)
		if 100*work < 98*plan {
			cut.Add(1)
		}
	}
	p := sim.Default()
	p.Lanes, p.Steps = 1<<40, 100
	launched := 0
	for run := range 4 {
		left := 400 * time.Millisecond
		if run > 0 {
			e.rate[0] = float64(e.work[0]) / chunkTarget.Seconds()
			left = 3 * chunkTarget / 2
		}
		cut.Store(0)
		launches.Store(0)
		d := time.Now().Add(left)
		ctx, cancel := context.WithDeadline(context.Background(), d)
		_, err := e.Run(ctx, &sim.Job{Params: p})
		took := time.Since(d)
		cancel()
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("run %d: %v, want the deadline's error", run+1, err)
		}
		e.settled()
		t.Logf("run %d: returned %v after the deadline; %d of %d launches cut", run+1, took, cut.Load(), launches.Load())
		if run == 0 || launches.Load() == 0 {
			continue // the deadline passed before a first launch: nothing to cut
		}
		launched++
		if cut.Load() == 0 {
			t.Errorf("run %d: none of %d launches cut to a deadline 1.5 planned launches away", run+1, launches.Load())
		}
	}
	if launched == 0 {
		t.Errorf("runs 2 to 4: none launched before its deadline")
	}
}

// TestLaunchFloorTracks: the launch floor follows the device, from
// injected kernel times: a quick least launch once does not keep the
// target at chunkTarget after floorWindow slower ones (the floor only went
// down, for the engine's life), a device slower since raises it, and a
// launch quicker than the floor lowers it at once.
func TestLaunchFloorTracks(t *testing.T) {
	const ms = time.Millisecond
	var f launchFloor
	if f.min() != 0 || f.target() != chunkTarget {
		t.Fatalf("no launch yet: floor %v, target %v; want 0, %v", f.min(), f.target(), chunkTarget)
	}
	steps := []struct {
		name   string
		d      time.Duration
		least  bool
		target time.Duration
	}{
		{"a quick least launch", 10 * time.Microsecond, true, chunkTarget},
		{"a slower one", 150 * ms, true, chunkTarget},
		{"two slower", 150 * ms, true, chunkTarget},
		{"three slower", 150 * ms, true, chunkTarget},
		{"four: the quick one gone", 150 * ms, true, 300 * ms},
		{"not least, slower than the floor", 400 * ms, false, 300 * ms},
		{"slower still", 400 * ms, true, 300 * ms},
		{"slower still 2", 400 * ms, true, 300 * ms},
		{"slower still 3", 400 * ms, true, 300 * ms},
		{"slower still 4", 400 * ms, true, 800 * ms},
		{"a quicker launch, not least", 20 * ms, false, chunkTarget},
	}
	for _, s := range steps {
		f.add(s.d, s.least)
		if got := f.target(); got != s.target {
			t.Errorf("%s (%v): target %v, want %v", s.name, s.d, got, s.target)
		}
	}
}

// TestFloorAfterQuickLaunch: an engine that once measured a quick least
// launch (injected: the device idle for a moment, or faster before) and
// whose every launch now costs more than chunkTarget however small grows
// its launches past chunkTarget, as one slow from the start does
// (TestCostlyLaunches): with the floor of that one launch, which only went
// down, it shrank them to one Philox block of steps each, every one paying
// the cost (10 launches a run for 40 steps).
func TestFloorAfterQuickLaunch(t *testing.T) {
	e := open(t, Options{launchCost: 3 * chunkTarget / 2})
	e.floor[0].add(10*time.Microsecond, true)
	var items int
	e.opts.planned = func(i, _ int) { items = i }
	const lanes, steps = 1001, 40
	for run := range 2 {
		e.launches = 0
		runJob(t, e, job(lanes, steps))
		t.Logf("run %d: %d launches", run+1, e.launches)
	}
	// Grid-stride passes of the 10 blocks in two launches, or three; up to
	// five where a loaded machine (CI's 2 cores) made a launch of run 1
	// slower than launchCost: the old floor took 10, one a block.
	passes := (lanes-1)/(items*e.vw) + 1
	if e.launches > 5*passes {
		t.Errorf("the second run took %d launches, want %d at most", e.launches, 5*passes)
	}
}

// TestCancelPrompt: a run cancelled while its launches are in flight
// returns within a fraction of a launch, its launches left to end in the
// background, and the engine's next run and Close wait for them. Run used
// to wait for the launch in flight and the one queued behind it, each
// aiming at chunkTarget: 0.1 to 0.2 s on pocl, more on a loaded machine,
// so that Ctrl-C took up to the stop's forced exit (0.6 s) to end gpusim.
// The median of three runs is judged against a quarter of a launch, and
// each against cancelBound: one run whose return a loaded machine (pocl's
// threads on both cores, other packages' tests beside them) scheduled late
// is not the engine's doing, and the old wait, a launch and more, fails
// the median.
func TestCancelPrompt(t *testing.T) {
	e := open(t, Options{})
	tooks := map[bool][]time.Duration{}
	for i := range 3 {
		for _, keep := range []bool{false, true} {
			j := job(10_000_000, 1000)
			j.KeepFinals = keep
			ctx, cancel := context.WithCancel(context.Background())
			cancelled := make(chan time.Time, 1)
			launched := 0
			e.opts.launched = func(work, plan uint64) {
				// Once launches are at full size, while the run
				// waits for the one before this one: two in flight.
				if launched++; launched == 12 {
					time.AfterFunc(chunkTarget/3, func() {
						cancelled <- time.Now()
						cancel()
					})
				}
			}
			left := LeftInFlight()
			_, err := e.Run(ctx, j)
			took := time.Since(<-cancelled)
			cancel()
			if !errors.Is(err, context.Canceled) {
				t.Fatalf("run %d: returned %v, want context.Canceled", i, err)
			}
			// What the wall time cannot show on a loaded machine: the
			// run returned before its launches in flight ended.
			if LeftInFlight() != left+1 {
				t.Errorf("run %d (finals kept %v): LeftInFlight %d after it, %d before; want one more: the run waited for its launches", i, keep, LeftInFlight(), left)
			}
			t.Logf("run %d (finals kept %v): returned %v after the cancel", i, keep, took)
			if took > cancelBound {
				t.Errorf("run %d (finals kept %v): returned %v after the cancel, want within %v", i, keep, took, cancelBound)
			}
			tooks[keep] = append(tooks[keep], took)
		}
	}
	for keep, ds := range tooks {
		slices.Sort(ds)
		if ds[1] > chunkTarget/4 {
			t.Errorf("finals kept %v: median return %v after the cancel (runs %v), want within %v (a quarter of a launch)", keep, ds[1], ds, chunkTarget/4)
		}
	}
	e.opts.launched = nil
	// The launches left in flight end before the next run starts: its
	// result is whole.
	j := job(10000, 100)
	same(t, "after the cancels", runJob(t, e, j), reference(t, j))
}

// TestRunWaitNoted: a run's call into the driver that has not returned in
// runWaitPast is named by a stop's note (interrupt.WaitingNote), here the
// launch that the hook holds; a healthy one, under runWaitPast, is not,
// and none is once the run ended. A driver that hung in a run's later
// launch ended the run at a stop or --timeout with no word of it.
func TestRunWaitNoted(t *testing.T) {
	was := runWaitPast
	runWaitPast = 50 * time.Millisecond
	defer func() { runWaitPast = was }()
	e := open(t, Options{})
	want := "waiting for the OpenCL driver to queue a launch on " + e.desc.Named() + ","
	var once atomic.Bool
	notes := make(chan [2]string, 1)
	e.opts.launched = func(uint64, uint64) {
		if once.Swap(true) {
			return
		}
		early := interrupt.WaitingNote()
		time.Sleep(4 * runWaitPast)
		notes <- [2]string{early, interrupt.WaitingNote()}
	}
	p := sim.Default()
	p.Lanes, p.Steps = 1000, 10
	if _, err := e.Run(context.Background(), &sim.Job{Params: p}); err != nil {
		t.Fatal(err)
	}
	n := <-notes
	if strings.Contains(n[0], "queue a launch") {
		t.Errorf("at once: %q, want no launch named", n[0])
	}
	if !strings.Contains(n[1], want) {
		t.Errorf("past runWaitPast: %q, want %q", n[1], want)
	}
	if got := interrupt.WaitingNote(); got != "" {
		t.Errorf("after the run: %q, want none", got)
	}
}

// TestRunStoppedBeforeStart: a run whose context had ended before it began
// (a stop during selftest's synchronous checks, before warmDaily's run)
// started its goroutine all the same, returned at once and left it to
// allocate the run's buffers, each under the device's buffer mark, in the
// background, where the ending process could leave a mark (seen after
// SIGTERM to a cold selftest: programs/DEVKEY.buffer.HOST.PID). It starts
// nothing now.
func TestRunStoppedBeforeStart(t *testing.T) {
	e := open(t, Options{})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	left := LeftInFlight()
	for _, daily := range []bool{true, false} {
		j := job(1000, 8)
		j.Daily = daily
		if _, err := e.Run(ctx, j); !errors.Is(err, context.Canceled) {
			t.Fatalf("daily %v: run returned %v, want context.Canceled", daily, err)
		}
		if n := LeftInFlight() - left; n != 0 {
			t.Errorf("daily %v: %d runs left in flight, want none: the stopped run started its work", daily, n)
		}
		e.settled()
	}
}
