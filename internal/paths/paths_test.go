package paths

import (
	"context"
	"errors"
	"math"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gpusim/gpusim/cpu"
	"github.com/gpusim/gpusim/sim"
)

func TestComputeIsPath(t *testing.T) {
	p := sim.Default()
	for _, c := range []struct{ steps, k int }{{0, 1001}, {1, 1001}, {5, 1001}, {13, 1001}, {13, 1}, {13, 3}, {13, 64}, {13, 257}, {segment, 2}, {2*segment + 5, 3}} {
		// k: 1001 not a multiple of any chunk, and fewer lanes than a
		// chunk of maxChunk, which chunkSize cuts short; lanes of one
		// segment, and of more, the last one short.
		steps, k := c.steps, c.k
		p.Steps, p.Seed = steps, 7
		got, err := Compute(context.Background(), p, k, nil)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != k*steps {
			t.Fatalf("steps %d: %d values, want %d", steps, len(got), k*steps)
		}
		m := p.Model()
		want := make([]float32, steps)
		for lane := range k {
			m.Path(uint64(lane), want)
			for s, x := range want {
				if g := got[lane*steps+s]; math.Float32bits(g) != math.Float32bits(x) {
					t.Fatalf("steps %d lane %d step %d: got %#x, want %#x", steps, lane, s+1, math.Float32bits(g), math.Float32bits(x))
				}
			}
			if steps > 0 && math.Float32bits(got[lane*steps+steps-1]) != math.Float32bits(m.Final(uint64(lane))) {
				t.Fatalf("steps %d lane %d: last step is not the final", steps, lane)
			}
		}
	}
}

// TestComputeSharesFewLanes checks that a few trajectories, fewer than a
// chunk of maxChunk, still run on every goroutine: path holds each lane
// until as many lanes as goroutines (or lanes, if fewer) run at once, and
// fails the test where that does not happen within wait (every lane of
// one goroutine: 64 trajectories of 10^6 steps took one core of many).
func TestComputeSharesFewLanes(t *testing.T) {
	const (
		workers = 4
		wait    = 2 * time.Second
	)
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(workers))
	p := sim.Default()
	p.Steps, p.Seed = 3, 11
	for _, k := range []int{2, workers, 64, 1000} {
		var running atomic.Int64
		all := make(chan struct{})
		ctx, cancel := context.WithTimeout(context.Background(), wait)
		var late atomic.Bool
		path = func(m *sim.Model, lane uint64, s0 int, t0 float32, out []float32) {
			if running.Add(1) == int64(min(k, workers)) {
				close(all)
			}
			select {
			case <-all:
			case <-ctx.Done():
				late.Store(true)
			}
			m.PathFrom(lane, s0, t0, out)
		}
		got, err := Compute(context.Background(), p, k, nil)
		cancel()
		path = (*sim.Model).PathFrom
		if err != nil {
			t.Fatal(err)
		}
		if late.Load() {
			t.Errorf("k %d: fewer than %d of %d goroutines had lanes within %v", k, min(k, workers), workers, wait)
		}
		m, want := p.Model(), make([]float32, p.Steps)
		for lane := range k {
			m.Path(uint64(lane), want)
			for s, x := range want {
				if g := got[lane*p.Steps+s]; math.Float32bits(g) != math.Float32bits(x) {
					t.Fatalf("k %d lane %d step %d: got %#x, want %#x", k, lane, s+1, math.Float32bits(g), math.Float32bits(x))
				}
			}
		}
	}
}

func TestComputeCancelled(t *testing.T) {
	ctx, cancel := context.WithCancelCause(context.Background())
	boom := errors.New("boom")
	cancel(boom)
	p := sim.Default()
	if _, err := Compute(ctx, p, 100000, nil); !errors.Is(err, boom) {
		t.Errorf("got %v, want the context's cause", err)
	}
}

// TestComputeCancelledInLane: a stop in the middle of one long lane ends
// Compute at the next segment, with the context's cause: the context was
// read between chunks of lanes alone, and a lane of 2^28 steps ran for
// seconds after Ctrl-C, until the forced exit.
func TestComputeCancelledInLane(t *testing.T) {
	defer func() { path = (*sim.Model).PathFrom }()
	ctx, cancel := context.WithCancelCause(context.Background())
	defer cancel(nil)
	boom := errors.New("boom")
	var calls atomic.Int64
	path = func(m *sim.Model, lane uint64, s0 int, t0 float32, out []float32) {
		if calls.Add(1) == 2 {
			cancel(boom) // during the lane's second segment
		}
		m.PathFrom(lane, s0, t0, out)
	}
	p := sim.Default()
	p.Steps = 10 * segment
	if _, err := Compute(ctx, p, 1, nil); !errors.Is(err, boom) {
		t.Errorf("got %v, want the context's cause", err)
	}
	if n := calls.Load(); n != 2 {
		t.Errorf("%d segments of 10 computed, want 2: the stop came in the second", n)
	}
}

// TestComputeProgress: done hears every lane-step once, from every
// goroutine, whatever the lanes' length, and a long lane's as it goes
// (every segment), not once it is done.
func TestComputeProgress(t *testing.T) {
	p := sim.Default()
	for _, c := range []struct{ steps, k int }{{1, 1001}, {13, 64}, {3*segment + 1, 1}, {segment + 7, 5}} {
		p.Steps = c.steps
		var sum, calls atomic.Uint64
		if _, err := Compute(context.Background(), p, c.k, func(n uint64) { sum.Add(n); calls.Add(1) }); err != nil {
			t.Fatal(err)
		}
		if want := uint64(c.k * c.steps); sum.Load() != want {
			t.Errorf("%d x %d: done heard %d lane-steps, want %d", c.k, c.steps, sum.Load(), want)
		}
		if c.k == 1 && calls.Load() < 4 {
			t.Errorf("one lane of %d steps: %d reports, want one a segment of %d", c.steps, calls.Load(), segment)
		}
	}
}

func TestCheck(t *testing.T) {
	p := sim.Default()
	p.Lanes = 100
	for k, want := range map[uint64]string{
		0:   "--paths: 0 is out of range (valid range 1..1000000, and at most --lanes 100)",
		101: "--paths: 101 is out of range (valid range 1..1000000, and at most --lanes 100)",
		100: "",
	} {
		err := Check("paths", k, p)
		if (err == nil) != (want == "") || err != nil && err.Error() != want {
			t.Errorf("Check(%d) = %v, want %q", k, err, want)
		}
	}
	p.Lanes = 5e6
	if err := Check("paths", MaxLanes+1, p); err == nil || !strings.Contains(err.Error(), "1000001 is out of range (valid range 1..1000000, and at most --lanes)") {
		t.Errorf("Check(MaxLanes+1) = %v", err)
	}
	p.Steps = 1000
	var pe *sim.ParamError
	if err := Check("paths", MaxLanes, p); !errors.As(err, &pe) || !strings.Contains(pe.Msg, "paths x steps at most 2^28 = 268435456: valid range 1..268435 at 1000 steps") {
		t.Errorf("Check(1e6 x 1000) = %v", err)
	}
	// One path: "1 path x ...", where it read "1 paths".
	p.Steps = MaxValues + 1
	if err := Check("paths", 1, p); err == nil || !strings.Contains(err.Error(), "--paths: 1 path x 268435457 steps are too many") || !strings.Contains(err.Error(), "none at more than 268435456 steps") {
		t.Errorf("Check(1 x %d) = %v", p.Steps, err)
	}
}

// TestComputeWorkersCapped checks that Compute starts at most
// cpu.MaxWorkers goroutines, as the engines do, however large GOMAXPROCS
// is: path holds every lane for hold, so that each goroutine that takes a
// lane is in it at once, and records the most in it together
// (GOMAXPROCS=2000 started 2000).
func TestComputeWorkersCapped(t *testing.T) {
	const hold = 300 * time.Millisecond
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(cpu.MaxWorkers + 500))
	p := sim.Default()
	p.Steps, p.Seed = 2, 5
	var running, most atomic.Int64
	until := time.Now().Add(hold)
	path = func(m *sim.Model, lane uint64, s0 int, t0 float32, out []float32) {
		n := running.Add(1)
		for old := most.Load(); n > old && !most.CompareAndSwap(old, n); old = most.Load() {
		}
		time.Sleep(time.Until(until))
		running.Add(-1)
		m.PathFrom(lane, s0, t0, out)
	}
	defer func() { path = (*sim.Model).PathFrom }()
	if _, err := Compute(context.Background(), p, 2*cpu.MaxWorkers, nil); err != nil {
		t.Fatal(err)
	}
	if most.Load() > cpu.MaxWorkers {
		t.Errorf("%d goroutines computed at once, want at most %d", most.Load(), cpu.MaxWorkers)
	}
}
