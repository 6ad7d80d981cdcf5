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

// chunk is how many lanes a goroutine takes at a time, between checks of
// the context.
const chunk = 256

// Compute returns the trajectories of lanes 0..k-1 of p as a k x p.Steps
// row-major array: element [i*Steps+s] is lane i's temperature after step
// s+1, bit for bit sim.Model.Path. It runs GOMAXPROCS goroutines and stops early with
// the context's cause when ctx is done.
func Compute(ctx context.Context, p sim.Params, k int) ([]float32, error) {
	m := p.Model()
	steps := p.Steps
	out := make([]float32, k*steps)
	if steps == 0 {
		return out, nil
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	for range runtime.GOMAXPROCS(0) {
		wg.Go(func() {
			for ctx.Err() == nil {
				lo := int(next.Add(chunk)) - chunk
				if lo >= k {
					return
				}
				for i := lo; i < min(lo+chunk, k); i++ {
					m.Path(uint64(i), out[i*steps:(i+1)*steps])
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
