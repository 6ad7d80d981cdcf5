package cpu

import (
	"context"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gpusim/gpusim/sim"
)

// Parallel runs lane blocks on Workers goroutines (all cores when zero).
// Blocks are merged in lane order, so even the float64 moments do not depend
// on scheduling; the digest, count, extremes and histogram are exact anyway.
type Parallel struct {
	Workers int
}

// Name implements sim.Engine.
func (Parallel) Name() string { return "parallel" }

// WorkerCount is the number of goroutines a run uses.
func (e Parallel) WorkerCount() int {
	if e.Workers > 0 {
		return e.Workers
	}
	return runtime.GOMAXPROCS(0)
}

// Run implements sim.Engine.
func (e Parallel) Run(ctx context.Context, job *sim.Job) (*sim.Result, error) {
	w := e.WorkerCount()
	return runParallel(ctx, job, "parallel", fmt.Sprintf("%d goroutines", w), w, runLanes)
}

// laneFunc computes lanes [first, first+count) of m into blk and a, storing
// finals (indexed from 0) when finals is not nil; runLanes is the reference.
type laneFunc func(m *sim.Model, first, count uint64, blk *sim.Block, a *acc, finals []float32)

// runParallel runs job's lane blocks through run on workers goroutines and
// merges them in lane order into the result of engine on device.
func runParallel(ctx context.Context, job *sim.Job, engine, device string, workers int, run laneFunc) (*sim.Result, error) {
	start := time.Now()
	first, count, err := job.Range()
	if err != nil {
		return nil, err
	}
	p := job.Params
	m := p.Model()
	res := sim.NewResult(engine, device, job, first, count)
	exact, _ := p.Exact(p.Steps)
	chunk := chunkFor(p.Steps)
	nblocks := (count + chunk - 1) / chunk
	blocks := make([]sim.Block, nblocks)
	accs := make([]*acc, workers)
	var next atomic.Uint64
	var wg sync.WaitGroup
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	for w := range accs {
		a := newAcc(p, job.Daily)
		accs[w] = a
		wg.Go(func() {
			for {
				if cancelled(ctx) != nil {
					return
				}
				b := next.Add(1) - 1
				if b >= nblocks {
					return
				}
				lo := b * chunk
				n := min(chunk, count-lo)
				blocks[b] = sim.NewBlock(exact)
				var fin []float32
				if res.Finals != nil {
					fin = res.Finals[lo : lo+n]
				}
				if a.daily != nil {
					a.startDaily(p)
				}
				run(&m, first+lo, n, &blocks[b], a, fin)
				if a.daily != nil {
					a.flushDaily()
				}
				if job.Progress != nil {
					job.Progress(n)
				}
			}
		})
	}
	wg.Wait()
	if err := cancelled(ctx); err != nil {
		return nil, err
	}
	for b := range blocks {
		res.Summary.AddBlock(&blocks[b])
	}
	for _, a := range accs {
		if err := res.Summary.Hist.Merge(a.hist); err != nil {
			return nil, err
		}
	}
	if job.Daily {
		res.Daily = accs[0].daily
		for _, a := range accs[1:] {
			for n, d := range a.daily {
				if err := res.Daily[n].Merge(d); err != nil {
					return nil, err
				}
			}
		}
	}
	res.Timing.Wall = time.Since(start)
	return res, nil
}
