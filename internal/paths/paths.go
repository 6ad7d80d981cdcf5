package paths

import (
	"context"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/gpusim/gpusim/cpu"
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
		// In the words of the flag's own check, which refuses -1 and
		// 2^64 (it read "the most paths written" there, "and at most
		// --lanes" for -1), with the job's --lanes where they bind:
		// "1..1000 at --lanes 1000" worded the one range two ways.
		valid := fmt.Sprintf("1..%d, and at most --lanes", MaxLanes)
		if limit < MaxLanes {
			valid += fmt.Sprintf(" %d", p.Lanes)
		}
		return &sim.ParamError{Flag: flag, Msg: (&count.RangeError{N: k, Min: 1, Max: limit, Valid: valid}).Error()}
	}
	if k*uint64(p.Steps) > MaxValues {
		// The range of K at these steps, as the other refusals name one
		// (it said only paths x steps <= 268435456, which left the K to
		// work out).
		most := fmt.Sprintf("valid range 1..%d at %s", min(limit, MaxValues/uint64(p.Steps)), count.Noun(uint64(p.Steps), "step"))
		if p.Steps > MaxValues {
			most = fmt.Sprintf("none at more than %d steps", MaxValues)
		}
		return &sim.ParamError{Flag: flag, Msg: fmt.Sprintf("%s x %d steps are too many values to hold (paths x steps at most 2^28 = %d: %s)", count.Noun(k, "path"), p.Steps, MaxValues, most)}
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

// segment is the most steps of a lane computed between two checks of the
// context and two reports of progress: a lane of 2^28 steps took seconds
// (3 s on one core here) with neither, so that Ctrl-C waited for the
// forced exit and the bar could not move. A multiple of 4, the steps of a
// Philox block (sim.Model.PathFrom).
const segment = 1 << 16

// path computes steps s0+1.. of lane's trajectory into out, from its
// temperature t after step s0 (sim.Model.PathFrom); tests replace it to
// watch which goroutines run.
var path = (*sim.Model).PathFrom

// Compute returns the trajectories of lanes 0..k-1 of p as a k x p.Steps
// row-major array: element [i*Steps+s] is lane i's temperature after step
// s+1, bit for bit sim.Model.Path. It runs GOMAXPROCS goroutines, at most
// cpu.MaxWorkers as the engines do, which
// share the lanes in chunks (chunkSize: each has work while k is at least
// their number), and stops early with the context's cause when ctx is
// done, within a segment of a lane (segment steps) of it. done, where it
// is not nil, hears the lane-steps computed since its last call, about
// every segment steps of each goroutine and its rest at the end, from
// several goroutines at once (a progress bar's atomic Add); they add up
// to k x p.Steps where Compute returns no error.
func Compute(ctx context.Context, p sim.Params, k int, done func(laneSteps uint64)) ([]float32, error) {
	m := p.Model()
	steps := p.Steps
	out := make([]float32, k*steps)
	if steps == 0 {
		return out, nil
	}
	if done == nil {
		done = func(uint64) {}
	}
	// At most cpu.MaxWorkers, as the engines: GOMAXPROCS=2000 started
	// 2000 goroutines where a run started 1024.
	workers := min(runtime.GOMAXPROCS(0), cpu.MaxWorkers)
	chunk := chunkSize(k, workers)
	var next atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			pending := 0 // lane-steps not yet reported
			defer func() {
				if pending > 0 {
					done(uint64(pending))
				}
			}()
			for ctx.Err() == nil {
				lo := int(next.Add(int64(chunk))) - chunk
				if lo >= k {
					return
				}
				for i := lo; i < min(lo+chunk, k); i++ {
					row, t := out[i*steps:(i+1)*steps], m.Start
					for s0 := 0; s0 < steps; s0 += segment {
						if s0 > 0 && ctx.Err() != nil {
							return
						}
						seg := row[s0:min(s0+segment, steps)]
						path(&m, uint64(i), s0, t, seg)
						t = seg[len(seg)-1]
						if pending += len(seg); pending >= segment {
							done(uint64(pending))
							pending = 0
						}
					}
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
