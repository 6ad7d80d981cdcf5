package cpu

import (
	"context"
	"math"
	"reflect"
	"strings"
	"testing"

	"github.com/gpusim/gpusim/internal/enginetest"
	"github.com/gpusim/gpusim/sim"
)

func run(t *testing.T, e sim.Engine, job *sim.Job) *sim.Result {
	t.Helper()
	r, err := e.Run(context.Background(), job)
	if err != nil {
		t.Fatalf("%s: %v", e.Name(), err)
	}
	return r
}

func TestDailyAgainstExact(t *testing.T) {
	p := sim.Default()
	p.Lanes, p.Steps = 200_000, 12
	for _, e := range []sim.Engine{Serial{}, Parallel{Workers: 3}} {
		r := run(t, e, &sim.Job{Params: p, Daily: true})
		if len(r.Daily) != p.Steps {
			t.Fatalf("%s: %d daily summaries, want %d", e.Name(), len(r.Daily), p.Steps)
		}
		for n, d := range r.Daily {
			mean, sd := p.Exact(n + 1)
			if d.Count != p.Lanes {
				t.Errorf("%s day %d: count %d", e.Name(), n+1, d.Count)
			}
			if z := (d.Mean - mean) / (sd / math.Sqrt(float64(d.Count))); math.Abs(z) > 4.5 {
				t.Errorf("%s day %d: mean %.4f, exact %.4f (z %.2f)", e.Name(), n+1, d.Mean, mean, z)
			}
			if r := d.Std() / sd; math.Abs(r-1) > 4.5*math.Sqrt(0.5/float64(d.Count)) {
				t.Errorf("%s day %d: sd %.4f, exact %.4f", e.Name(), n+1, d.Std(), sd)
			}
		}
		// The last day is the final temperature.
		if last := r.Daily[p.Steps-1]; last.Digest != r.Summary.Digest {
			t.Errorf("%s: last day's digest %#x, final digest %#x", e.Name(), last.Digest, r.Summary.Digest)
		}
	}
}

func benchEngine(b *testing.B, e sim.Engine, lanes uint64, steps int) {
	p := sim.Default()
	p.Lanes, p.Steps = lanes, steps
	for i := 0; i < b.N; i++ {
		if _, err := e.Run(context.Background(), &sim.Job{Params: p}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(lanes)/float64(steps), "ns/lane-step")
}

func BenchmarkSerial(b *testing.B)   { benchEngine(b, Serial{}, 200_000, 100) }
func BenchmarkParallel(b *testing.B) { benchEngine(b, Parallel{}, 200_000, 100) }

// TestDailyBlocks: a --daily job's blocks of lanes are at least
// dailyChunkLanes whatever its steps (chunkFor's 64 lanes at 3,650 steps
// spent most of a simd run in cache misses on each step's statistics), the
// workers a run starts count those blocks (RunWorkers), and every CPU
// engine and worker count folds the same blocks: the per-step summaries,
// float64 moments included, are equal bit for bit.
func TestDailyBlocks(t *testing.T) {
	for _, steps := range []int{0, 1, 10, 100, 365, 1000, 3650, 10000} {
		plain, daily := chunkFor(steps, false), chunkFor(steps, true)
		if daily != max(plain, dailyChunkLanes) {
			t.Errorf("%d steps: a --daily block of %d lanes, want %d (the plain job's %d, at least %d)", steps, daily, max(plain, dailyChunkLanes), plain, dailyChunkLanes)
		}
	}
	// 3 lanes: every step in one segment, the lanes' temperatures, and
	// four blocks' per-step sums.
	spans := uint64(slotsPerWorker * 48 * 10000)
	if got, want := DailyWorkerBytes(3, 10000), uint64((3*10000+3)*4)+spans; got != want {
		t.Errorf("DailyWorkerBytes(3, 10000) = %d, want %d", got, want)
	}
	// A block of 1024 lanes: segments of 64 steps (256 KiB).
	if got, want := DailyWorkerBytes(1e9, 10000), uint64(dailySegmentBytes+dailyChunkLanes*4)+spans; got != want || dailySegment(dailyChunkLanes) != 64 {
		t.Errorf("DailyWorkerBytes(1e9, 10000) = %d, want %d (segments of %d steps, want 64)", got, want, dailySegment(dailyChunkLanes))
	}
	p := sim.Default()
	p.Lanes, p.Steps = 3000, 400 // 3 blocks of 1024 lanes
	if got := RunWorkers(8, p.Lanes, p.Steps, true); got != 3 {
		t.Errorf("RunWorkers(8, %d, %d, daily) = %d, want 3, one a block", p.Lanes, p.Steps, got)
	}
	ref := run(t, Serial{}, &sim.Job{Params: p, Daily: true})
	// Serial runs its blocks in segments of 64 steps (dailySegment) too:
	// against the model lane by lane (sim.Reference), whose moments are one
	// block's.
	model, err := sim.Reference(&sim.Job{Params: p, Daily: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := enginetest.CompareResult(ref, model, enginetest.DefaultTol); err != nil {
		t.Errorf("serial against the model: %v", err)
	}
	for _, e := range []sim.Engine{Parallel{Workers: 8}, SIMD{Workers: 1}, SIMD{Workers: 8}} {
		r := run(t, e, &sim.Job{Params: p, Daily: true})
		if want := goroutines(min(e.(interface{ WorkerCount() int }).WorkerCount(), 3)); !strings.HasSuffix(r.Device, want) {
			t.Errorf("%s: device %q, want %s", e.Name(), r.Device, want)
		}
		for s := range ref.Daily {
			if !reflect.DeepEqual(r.Daily[s], ref.Daily[s]) {
				t.Fatalf("%s %s: step %d's summary %+v, want serial's %+v", e.Name(), r.Device, s+1, r.Daily[s], ref.Daily[s])
			}
		}
	}
}
