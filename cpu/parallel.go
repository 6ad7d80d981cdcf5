package cpu

import (
	"context"
	"runtime"
	"sync"
	"time"

	"github.com/gpusim/gpusim/internal/count"
	"github.com/gpusim/gpusim/sim"
)

// Parallel runs lane blocks on Workers goroutines (GOMAXPROCS when zero or
// less).
// Blocks are folded in lane order, so even the float64 moments do not depend
// on scheduling; the digest, count, extremes and histogram are exact anyway.
type Parallel struct {
	Workers int // goroutines; GOMAXPROCS when zero or less
}

// Name implements sim.Engine.
func (Parallel) Name() string { return "parallel" }

// WorkerCount is the most goroutines a run uses: Workers, or GOMAXPROCS
// (at most MaxWorkers) when zero or less. A run of fewer lane blocks uses one a block
// (RunWorkers).
func (e Parallel) WorkerCount() int { return workerCount(e.Workers) }

// Run implements sim.Engine.
func (e Parallel) Run(ctx context.Context, job *sim.Job) (*sim.Result, error) {
	w := e.WorkerCount()
	return runParallel(ctx, job, "parallel", goroutines, w, runLanes)
}

// RunWorkers is how many goroutines a run of lanes lanes x steps steps
// (with --daily's per-step statistics where daily) starts for a Workers
// field of workers: workers (GOMAXPROCS, at most MaxWorkers, when zero or
// less), but at most one
// a block of lanes (16384 * 10 / max(steps, 10) lanes, at least 64, and at
// least 1024 where daily: chunkFor), as runParallel starts them. Each keeps
// its own per-step statistics for --daily (engines.DailyCopies).
func RunWorkers(workers int, lanes uint64, steps int, daily bool) int {
	return int(min(uint64(workerCount(workers)), max(blockCount(lanes, chunkFor(steps, daily)), 1)))
}

// MaxWorkers is the most goroutines a CPU engine starts, the most
// --workers takes: beyond it goroutines only cost memory (each keeps its
// own histograms).
const MaxWorkers = 1024

// workerCount is the goroutines for a Workers field: GOMAXPROCS when zero
// or less, at most MaxWorkers (GOMAXPROCS=2000 started 1832 goroutines,
// past the range --workers takes).
func workerCount(workers int) int {
	if workers > 0 {
		return workers
	}
	return min(runtime.GOMAXPROCS(0), MaxWorkers)
}

// slotsPerWorker is how many blocks each goroutine may have in flight
// before the oldest is folded: enough that a goroutine descheduled for a
// while does not stall the others at once.
const slotsPerWorker = 4

// testHookWindow, when set, is called at the end of every parallel run with
// the number of block slots and the most blocks that were in flight at once.
var testHookWindow func(slots int, maxInFlight uint64)

// runParallel runs job's lane blocks through run on workers goroutines and
// folds them in lane order into the result of engine on device. Memory does
// not depend on the lane count: blocks pass through a window of
// slotsPerWorker*workers slots (see window).
func runParallel(ctx context.Context, job *sim.Job, engine string, device func(workers int) string, workers int, run laneFunc) (*sim.Result, error) {
	start := time.Now()
	first, count, err := job.Range()
	if err != nil {
		return nil, err
	}
	p := job.Params
	m := p.Model()
	chunk := chunkFor(p.Steps, job.Daily)
	nblocks := blockCount(count, chunk)
	workers = int(min(uint64(max(workers, 1)), nblocks))
	// The goroutines that run: a job of one block named all it was given.
	res := sim.NewResult(engine, device(max(workers, 1)), job, first, count)
	win := newWindow(res, nblocks, slotsPerWorker*workers)
	stop, unwatch := watch(ctx)
	defer unwatch()
	stopWin := context.AfterFunc(ctx, win.stop)
	defer stopWin()
	sh := newShifts(p, job.Daily)
	per := uint64(max(p.Steps, 1)) // a block's lane-steps a lane, for job.Progress
	accs := make([]*acc, workers)
	var wg sync.WaitGroup
	for w := range accs {
		a := newAcc(res, true)
		a.progress = job.Progress
		accs[w] = a
		wg.Go(func() {
			for {
				b, sp, ok := win.claim()
				if !ok {
					return
				}
				lo := b * chunk
				n := min(chunk, count-lo)
				sp.reset(&sh)
				a.reported, a.pending = 0, 0
				var fin []float32
				if res.Finals != nil {
					fin = res.Finals[lo : lo+n]
				}
				run(&m, first+lo, n, sp, a, fin, stop)
				if stop.Load() {
					return
				}
				win.done(b)
				// What the block's lanes did not report as they ran (did).
				if rest := n*per - a.reported; job.Progress != nil && rest > 0 {
					job.Progress(rest)
				}
			}
		})
	}
	wg.Wait()
	if testHookWindow != nil {
		testHookWindow(len(win.slots), win.maxInFlight)
	}
	if ctx.Err() != nil || win.folded != nblocks {
		return nil, context.Cause(ctx)
	}
	for _, a := range accs {
		if err := a.mergeInto(res); err != nil {
			return nil, err
		}
	}
	res.Timing.Wall = time.Since(start)
	return res, nil
}

// window hands out blocks of lanes to goroutines in lane order and folds
// their spans into the result in the same order. Block b is computed in
// slot b mod len(slots), and only once block b-len(slots) is folded, so a
// run holds len(slots) spans whatever its lane count. The lowest unfolded
// block is always being computed, so the window never deadlocks.
type window struct {
	mu                      sync.Mutex
	cond                    sync.Cond
	res                     *sim.Result
	slots                   []slot
	claimed, folded, blocks uint64
	maxInFlight             uint64
	stopped                 bool
}

type slot struct {
	span
	ready bool
}

func newWindow(res *sim.Result, blocks uint64, slots int) *window {
	w := &window{res: res, blocks: blocks, slots: make([]slot, min(uint64(slots), blocks))}
	w.cond.L = &w.mu
	return w
}

// claim returns the next block and its slot's span, waiting while every
// slot is taken; ok is false once no block is left or the run stopped.
func (w *window) claim() (b uint64, sp *span, ok bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	n := uint64(len(w.slots))
	for !w.stopped && w.claimed < w.blocks && w.claimed-w.folded >= n {
		w.cond.Wait()
	}
	if w.stopped || w.claimed >= w.blocks {
		return 0, nil, false
	}
	b = w.claimed
	w.claimed++
	w.maxInFlight = max(w.maxInFlight, w.claimed-w.folded)
	return b, &w.slots[b%n].span, true
}

// done marks block b computed and folds every computed block that is next
// in lane order.
func (w *window) done(b uint64) {
	w.mu.Lock()
	defer w.mu.Unlock()
	n := uint64(len(w.slots))
	w.slots[b%n].ready = true
	for w.folded < w.claimed && w.slots[w.folded%n].ready {
		s := &w.slots[w.folded%n]
		s.fold(w.res)
		s.ready = false
		w.folded++
	}
	w.cond.Broadcast()
}

// stop makes every claim return at once.
func (w *window) stop() {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.stopped = true
	w.cond.Broadcast()
}

// goroutines names a worker count as an engine's device does: "1
// goroutine", "4 goroutines".
func goroutines(w int) string { return count.Noun(w, "goroutine") }
