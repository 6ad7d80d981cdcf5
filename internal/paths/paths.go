package paths

import (
	"context"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/gpusim/gpusim/internal/count"
	"github.com/gpusim/gpusim/sim"
)

// MaxLanes bounds how many trajectories a run writes.
const MaxLanes = 1_000_000

// MaxValues bounds lanes x steps, the float32 values held in memory (1 GiB).
const MaxValues = 1 << 28

// Check returns a *sim.ParamError naming flag when k trajectories of p cannot
// be written: k must be in 1..min(MaxLanes, p.Lanes), and k x p.Steps at
// most MaxValues.
func Check(flag string, k uint64, p sim.Params) error {
	limit := min(uint64(MaxLanes), p.Lanes)
	if k < 1 || k > limit {
		why := "the job's lanes"
		if limit == MaxLanes {
			why = "the most paths written"
		}
		return &sim.ParamError{Flag: flag, Msg: fmt.Sprintf("%d is out of range (valid range 1..%d, %s)", k, limit, why)}
	}
	if k*uint64(p.Steps) > MaxValues {
		return &sim.ParamError{Flag: flag, Msg: fmt.Sprintf("%s x %d steps are too many values to hold (valid: paths x steps <= %d)", count.Noun(k, "path"), p.Steps, MaxValues)}
	}
	return nil
}

// maxChunk is the most lanes a goroutine takes at a time, between checks
// of the context.
const maxChunk = 256

// chunksPerWorker is how many chunks each goroutine gets where k is small:
// a few, so that one goroutine left with the last chunk does not run long
// after the others finish.
const chunksPerWorker = 4

// chunkSize is the lanes a goroutine takes at a time when workers share k
// lanes: maxChunk where there are lanes enough, else fewer, at least 1, so
// that every worker has lanes while k allows it (a chunk of 256 left 256 or
// fewer trajectories, each of up to 2^28 steps, to one goroutine).
func chunkSize(k, workers int) int {
	return max(1, min(maxChunk, k/(workers*chunksPerWorker)))
}

// path computes lane's trajectory into out (sim.Model.Path); tests replace
// it to watch which goroutines run.
var path = (*sim.Model).Path

// Compute returns the trajectories of lanes 0..k-1 of p as a k x p.Steps
// row-major array: element [i*Steps+s] is lane i's temperature after step
// s+1, bit for bit sim.Model.Path. It runs GOMAXPROCS goroutines, which
// share the lanes in chunks (chunkSize: each has work while k is at least
// their number), and stops early with the context's cause when ctx is
// done.
func Compute(ctx context.Context, p sim.Params, k int) ([]float32, error) {
	m := p.Model()
	steps := p.Steps
	out := make([]float32, k*steps)
	if steps == 0 {
		return out, nil
	}
	workers := runtime.GOMAXPROCS(0)
	chunk := chunkSize(k, workers)
	var next atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for ctx.Err() == nil {
				lo := int(next.Add(int64(chunk))) - chunk
				if lo >= k {
					return
				}
				for i := lo; i < min(lo+chunk, k); i++ {
					path(&m, uint64(i), out[i*steps:(i+1)*steps])
				}
			}
		})
	}
	wg.Wait()
	if ctx.Err() != nil {
		return nil, context.Cause(ctx)
	}
	return out, nil
}
