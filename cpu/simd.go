package cpu

import (
	"context"
	"fmt"
	"sync/atomic"

	"github.com/gpusim/gpusim/sim"
)

// SIMD runs lanes in batches, many lanes per instruction where the CPU and
// the build allow (AVX-512 or AVX2 through simd/archsimd, with
// GOEXPERIMENT=simd on amd64), else in the portable batch code of
// simd_generic.go. Every path computes sim.Model.Final bit for bit; lane
// blocks run on Workers goroutines (GOMAXPROCS when zero or less) as in
// Parallel.
type SIMD struct {
	Workers int // goroutines; GOMAXPROCS when zero or less
}

// Name implements sim.Engine.
func (SIMD) Name() string { return "simd" }

// WorkerCount is the most goroutines a run uses: Workers, or GOMAXPROCS
// when zero or less. A run of fewer lane blocks uses one a block
// (RunWorkers).
func (e SIMD) WorkerCount() int { return workerCount(e.Workers) }

// Path names the batch code a run would use now and its lanes per batch:
// "avx512" 16, "avx2" 8 or "portable" 4.
func (SIMD) Path() (name string, width int) {
	k := pickBatch()
	return k.name, k.width
}

// Run implements sim.Engine. Result.Device says which path ran, e.g.
// "avx512 x16, 2 goroutines".
func (e SIMD) Run(ctx context.Context, job *sim.Job) (*sim.Result, error) {
	k := pickBatch()
	w := e.WorkerCount()
	return runParallel(ctx, job, "simd", func(n int) string { return fmt.Sprintf("%s x%d, %s", k.name, k.width, goroutines(n)) }, w, k.lanes)
}

// The AVX2 path is generated from the AVX-512 one.
//go:generate go run gen.go

// batchFunc runs lanes first, first+1, ... of m through steps [s0, s1)
// and writes their temperatures after step s1 into out (the finals where
// s1 is m.Steps) and, when path is not nil, each lane's temperature after
// step s+1 into path[(s-s0)*len(out)+i]: one row of lanes per step. The
// lanes start from m.Start where s0 is 0, else from their temperatures
// after step s0 in out; s0 is a multiple of 4 (a Philox block's steps).
// It checks stop every checkSteps steps and returns early, leaving out and
// path meaningless, once stop is set.
type batchFunc func(m *sim.Model, first uint64, s0, s1 int, out, path []float32, stop *atomic.Bool)

type batchKernel struct {
	name  string
	width int // lanes per batch
	fn    batchFunc
}

// pickBatch is the dispatcher: the widest path that the build has, the CPU
// supports and the switches (useAVX512, useAVX2) allow.
func pickBatch() batchKernel {
	if k, ok := archBatch(); ok {
		return k
	}
	return batchKernel{"portable", genericWidth, batchGeneric}
}

// lanes is the kernel as a laneFunc: it computes count lanes into a's
// scratch (or straight into finals) and counts them with a's helpers. With
// daily statistics it runs the lanes a segment of steps at a time
// (dailySegment) and counts each segment's rows of their path.
func (k batchKernel) lanes(m *sim.Model, first, count uint64, sp *span, a *acc, finals []float32, stop *atomic.Bool) {
	n := int(count)
	out := finals
	if out == nil {
		out = grow(&a.finBuf, n)
	}
	out = out[:n]
	if sp.daily == nil {
		// Reported a cut of the steps at a time (did) where the lanes
		// are long: progressWork lane-steps a call, so a block of
		// short lanes is one call, as without a Progress.
		seg := m.Steps
		if a.progress != nil {
			seg = max(progressWork/n&^3, 4)
		}
		for s0 := 0; s0 < m.Steps; s0 += seg {
			s1 := min(s0+seg, m.Steps)
			k.fn(m, first, s0, s1, out, nil, stop)
			if stop.Load() {
				return
			}
			a.did(uint64(n * (s1 - s0)))
		}
		if m.Steps == 0 {
			k.fn(m, first, 0, 0, out, nil, stop) // the lanes at m.Start
		}
	} else {
		seg := dailySegment(n)
		path := grow(&a.pathBuf, n*min(seg, m.Steps))
		for s0 := 0; s0 < m.Steps; s0 += seg {
			s1 := min(s0+seg, m.Steps)
			k.fn(m, first, s0, s1, out, path[:n*(s1-s0)], stop)
			if stop.Load() {
				return
			}
			a.addRows(first, n, s0, path[:n*(s1-s0)], sp)
			a.did(uint64(n * (s1 - s0)))
		}
		if m.Steps == 0 {
			k.fn(m, first, 0, 0, out, nil, stop) // the lanes at m.Start
		}
	}
	if stop.Load() {
		return
	}
	a.addFinals(first, out, sp)
}
