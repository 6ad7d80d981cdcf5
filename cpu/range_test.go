package cpu

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gpusim/gpusim/internal/enginetest"
	"github.com/gpusim/gpusim/sim"
)

// engineCase is one CPU engine configuration and the batch path it runs on.
type engineCase struct {
	name string
	e    sim.Engine
}

// forEachEngine calls f with serial, parallel and simd (on every batch path
// the build and CPU have), at one goroutine and at several.
func forEachEngine(f func(c engineCase)) {
	f(engineCase{"serial", Serial{}})
	for _, w := range []int{1, 3} {
		f(engineCase{fmt.Sprintf("parallel/%d", w), Parallel{Workers: w}})
	}
	forEachPath(func(path string) {
		for _, w := range []int{1, 3} {
			f(engineCase{fmt.Sprintf("simd/%s/%d", path, w), SIMD{Workers: w}})
		}
	})
}

// TestTopOfRange: lane ranges at the top of the accepted lane counts, up to
// the last lane 2^64-2 of a job of 2^64-1 lanes and across a 2^32 boundary
// of the lane's high word, give the serial engine's result on every engine
// and path (finals bit for bit, exact summary and daily statistics), and the
// serial engine gives sim.Model.Final.
func TestTopOfRange(t *testing.T) {
	const top = math.MaxUint64
	ranges := []struct{ first, count uint64 }{
		{top - 5, 5},               // the last five lanes: First+Count = Lanes
		{top - 1, 0},               // Count 0: up to Lanes, one lane
		{top - 37, 0},              // two batches of 16 and a few
		{top - 1<<32 - 20, 41},     // the high word changes inside a batch
		{1<<63 - 9, 17},            // the sign bit of the lane
		{top - 3*chunkLanes, 3000}, // a few blocks of lanes near the top
	}
	for _, daily := range []bool{false, true} {
		for _, r := range ranges {
			p := sim.Default()
			p.Lanes, p.Steps = top, 7
			job := &sim.Job{Params: p, First: r.first, Count: r.count, KeepFinals: true, Daily: daily}
			want := run(t, Serial{}, job)
			count := r.count
			if count == 0 {
				count = top - r.first
			}
			if want.Summary.Count != count || uint64(len(want.Finals)) != count {
				t.Fatalf("first %#x: serial counted %d lanes (%d finals), want %d", r.first, want.Summary.Count, len(want.Finals), count)
			}
			m := p.Model()
			for i, x := range want.Finals {
				if y := m.Final(r.first + uint64(i)); math.Float32bits(x) != math.Float32bits(y) {
					t.Fatalf("serial lane %#x: got %#x, want %#x", r.first+uint64(i), math.Float32bits(x), math.Float32bits(y))
				}
			}
			forEachEngine(func(c engineCase) {
				got := run(t, c.e, job)
				if err := enginetest.CompareResult(got, want, enginetest.DefaultTol); err != nil {
					t.Errorf("%s first %#x count %d daily %v: %v", c.name, r.first, r.count, daily, err)
				}
			})
		}
	}
}

// TestHugeLaneCount: a job of 2^64-1 lanes runs (it is not a count of zero
// done at once, nor a panic or an allocation per block), folding its blocks
// through a window whose size does not depend on the lane count; it is
// cancelled after a few hundred blocks.
func TestHugeLaneCount(t *testing.T) {
	const blocks = 100
	defer func() { testHookWindow = nil }()
	p := sim.Default()
	p.Lanes, p.Steps = math.MaxUint64, 0 // zero steps: the blocks are cheap
	forEachEngine(func(c engineCase) {
		var slots int
		var inFlight uint64
		testHookWindow = func(s int, f uint64) { slots, inFlight = s, f }
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		var done, calls atomic.Uint64
		_, err := c.e.Run(ctx, &sim.Job{Params: p, Progress: func(n uint64) {
			done.Add(n)
			if calls.Add(1) == blocks {
				cancel()
			}
		}})
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("%s: run of 2^64-1 lanes returned %v, want it cancelled after %d blocks", c.name, err, blocks)
		}
		if done.Load() < blocks*chunkFor(p.Steps, false) {
			t.Errorf("%s: %d lanes done before the cancel, want at least %d", c.name, done.Load(), blocks*chunkFor(p.Steps, false))
		}
		if c.name == "serial" {
			return
		}
		w := c.e.(interface{ WorkerCount() int }).WorkerCount()
		if slots != slotsPerWorker*w || inFlight == 0 || inFlight > uint64(slots) {
			t.Errorf("%s: %d slots, %d blocks in flight at most; want %d slots and at most as many in flight", c.name, slots, inFlight, slotsPerWorker*w)
		}
	})
}

// TestBlockCount: the number of blocks of a lane count is ceil(count/chunk)
// up to the largest count.
func TestBlockCount(t *testing.T) {
	for _, c := range []struct{ count, chunk, want uint64 }{
		{1, 64, 1}, {64, 64, 1}, {65, 64, 2},
		{math.MaxUint64, 64, 1 << 58},
		{math.MaxUint64, chunkLanes, 1 << 50},
		{math.MaxUint64 - chunkLanes + 1, chunkLanes, 1<<50 - 1},
		{math.MaxUint64, 3, math.MaxUint64 / 3},
		{math.MaxUint64, math.MaxUint64, 1},
	} {
		if got := blockCount(c.count, c.chunk); got != c.want {
			t.Errorf("blockCount(%d, %d) = %d, want %d", c.count, c.chunk, got, c.want)
		}
	}
}

// TestCancelManySteps: a run of few lanes and a huge step count stops soon
// after its context is cancelled on every engine and path, with or without
// daily statistics (whose step count is bounded, so more lanes), because the
// step loops poll the stop flag. The bound of 5 s tells that apart from
// before, when a block of lanes ran to its end (minutes at 10^8 steps), and
// holds on a loaded machine: measured without the race detector, the daily
// shape stops within 130 ms on the 2-core machine, but a bound of 1 s failed
// at 1.12 s with three other test and benchmark processes on its two cores;
// under the race detector (raceSlowdown) it took 1.3 to 2.4 s.
func TestCancelManySteps(t *testing.T) {
	const (
		steps   = 100_000_000
		after   = 50 * time.Millisecond
		maxWait = 5 * time.Second * raceSlowdown
	)
	type shape struct {
		lanes uint64
		steps int
		daily bool
	}
	shapes := []shape{{1, steps, false}, {17, steps, false}, {128, steps, false}, {5_000_000, sim.MaxDailySteps, true}}
	forEachEngine(func(c engineCase) {
		for _, sh := range shapes {
			p := sim.Default()
			p.Lanes, p.Steps = sh.lanes, sh.steps
			ctx, cancel := context.WithCancel(context.Background())
			timer := time.AfterFunc(after, cancel)
			start := time.Now()
			_, err := c.e.Run(ctx, &sim.Job{Params: p, Daily: sh.daily})
			elapsed := time.Since(start)
			timer.Stop()
			cancel()
			if !errors.Is(err, context.Canceled) {
				t.Errorf("%s %+v: returned %v, want cancelled", c.name, sh, err)
			}
			if elapsed > after+maxWait {
				t.Errorf("%s %+v: stopped %v after the cancel, want within %v", c.name, sh, elapsed-after, maxWait)
			}
		}
	})
}

// TestFinalManySteps: the stop-checking step loop equals sim.Model.Final
// past checkSteps, on serial and on every batch path, and so does a lane
// of more than progressWork steps run a cut at a time for a job's
// Progress (acc.final), whose reports add up to its steps.
func TestFinalManySteps(t *testing.T) {
	p := sim.Default()
	stop := new(atomic.Bool)
	for _, steps := range []int{2*checkSteps + 7, 2*progressWork + 7} {
		p.Steps = steps
		m := p.Model()
		for _, lane := range []uint64{0, 1 << 32, math.MaxUint64 - 1} {
			var reported uint64
			a := &acc{progress: func(n uint64) { reported += n }}
			got, want := a.final(&m, lane, stop), m.Final(lane)
			if math.Float32bits(got) != math.Float32bits(want) {
				t.Errorf("%d steps, lane %#x: got %#x, want %#x", steps, lane, math.Float32bits(got), math.Float32bits(want))
			}
			if reported+a.pending != uint64(steps) || (steps > progressWork && reported < progressWork) {
				t.Errorf("%d steps, lane %#x: %d lane-steps reported and %d pending, want %d in all, reported as it ran", steps, lane, reported, a.pending, steps)
			}
		}
	}
	testSIMDPaths(t, func(t *testing.T) { checkSIMD(t, 2*checkSteps+7, 1<<32-3, 19) })
}
