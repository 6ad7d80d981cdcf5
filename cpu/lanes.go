package cpu

import (
	"context"
	"sync/atomic"
	"unsafe"

	"github.com/gpusim/gpusim/internal/count"
	"github.com/gpusim/gpusim/sim"
)

// span is the sums of one block of lanes: of the finals and, when the job
// asks for daily statistics, of each step's temperatures. Spans fold into
// the result in lane order, so that the float64 moments are the same on
// every engine and worker count.
type span struct {
	blk   sim.Block
	daily []sim.Block
}

// shifts are the exact means a run's spans subtract: of the final and of
// each step 1..Steps when the job asks for daily statistics.
type shifts struct {
	final float64
	daily []float64
}

func newShifts(p sim.Params, daily bool) shifts {
	s := shifts{}
	s.final, _ = p.Exact(p.Steps)
	if daily {
		s.daily = make([]float64, p.Steps)
		for n := range s.daily {
			s.daily[n], _ = p.Exact(n + 1)
		}
	}
	return s
}

// reset empties sp for a new block of lanes.
func (sp *span) reset(sh *shifts) {
	sp.blk = sim.NewBlock(sh.final)
	if sh.daily == nil {
		sp.daily = nil
		return
	}
	if len(sp.daily) != len(sh.daily) {
		sp.daily = make([]sim.Block, len(sh.daily))
	}
	for n, m := range sh.daily {
		sp.daily[n] = sim.NewBlock(m)
	}
}

// fold adds sp's sums to res's summary and daily summaries.
func (sp *span) fold(res *sim.Result) {
	res.Summary.AddBlock(&sp.blk)
	for n := range sp.daily {
		res.Daily[n].AddBlock(&sp.daily[n])
	}
}

// acc is one goroutine's histograms and scratch for a run. Histogram counts
// are exact, so each goroutine counts into its own and they merge at the end
// in any order.
type acc struct {
	hist  *sim.Histogram
	daily []*sim.Histogram // one per step when the job asks for daily statistics
	path  []float32
	// progress is the job's Progress, nil without one; reported is the
	// lane-steps of the block in hand reported to it, and pending those
	// done and not yet reported (did).
	progress          func(laneSteps uint64)
	reported, pending uint64
	// finBuf and pathBuf are scratch for engines that compute lanes in batches.
	finBuf, pathBuf []float32
}

// newAcc returns an acc that counts into res's histograms, or into fresh
// ones of the same layout when own is set.
func newAcc(res *sim.Result, own bool) *acc {
	h := func(h *sim.Histogram) *sim.Histogram {
		if !own {
			return h
		}
		return &sim.Histogram{Lo: h.Lo, Scale: h.Scale, Bins: make([]uint64, len(h.Bins))}
	}
	a := &acc{hist: h(res.Summary.Hist)}
	if res.Daily != nil {
		a.daily = make([]*sim.Histogram, len(res.Daily))
		for n, d := range res.Daily {
			a.daily[n] = d.Hist
		}
		if own {
			// One array of bins for every step (sim.DailyHistograms).
			a.daily = sim.DailyHistograms(res.Params)
		}
		a.path = make([]float32, len(res.Daily))
	}
	return a
}

// progressWork is about how many lane-steps a goroutine computes between
// two reports to the job's Progress within a block of lanes (did): some
// 16 ms of a core's work on the serial engine, a few on simd. A block of
// few long lanes (64 lanes x 4e6 steps, 4 s on serial) was reported once,
// at its end, and the bar stood at 0 until then. A power of 2, so that a
// lane's steps cut at it are whole Philox blocks.
const progressWork = 1 << 20

// did counts n lane-steps of the block in hand as done, and reports them
// to the job's Progress once they reach progressWork; runParallel reports
// the rest of the block when it is done.
func (a *acc) did(n uint64) {
	if a.progress == nil {
		return
	}
	if a.pending += n; a.pending >= progressWork {
		a.progress(a.pending)
		a.reported += a.pending
		a.pending = 0
	}
}

// final is sim.Model.FinalStop, counting the lane's steps (did): a lane
// of more than progressWork steps a cut of them at a time
// (sim.Model.FinalFrom), so that one lane of 2^32 steps is seen to move.
func (a *acc) final(m *sim.Model, lane uint64, stop *atomic.Bool) float32 {
	if a.progress == nil || m.Steps <= progressWork {
		t := m.FinalStop(lane, stop)
		a.did(uint64(m.Steps))
		return t
	}
	t := m.Start
	for s0 := 0; s0 < m.Steps && !stop.Load(); s0 += progressWork {
		s1 := min(s0+progressWork, m.Steps)
		t = m.FinalFrom(lane, s0, s1, t, stop)
		a.did(uint64(s1 - s0))
	}
	return t
}

// mergeInto adds a's histogram counts to res's.
func (a *acc) mergeInto(res *sim.Result) error {
	if err := res.Summary.Hist.Merge(a.hist); err != nil {
		return err
	}
	for n, h := range a.daily {
		if err := res.Daily[n].Hist.Merge(h); err != nil {
			return err
		}
	}
	return nil
}

// laneFunc computes lanes [first, first+count) of m into sp and a, storing
// finals (indexed from 0) when finals is not nil. It returns early, leaving
// sp and a meaningless, once stop is set; runLanes is the reference.
type laneFunc func(m *sim.Model, first, count uint64, sp *span, a *acc, finals []float32, stop *atomic.Bool)

// runLanes runs lanes [first, first+count) of m lane by lane (the reference
// laneFunc). With daily statistics it runs them a segment of steps at a
// time (dailySegment), each lane from its temperature after the last
// (sim.Model.PathFrom), keeping the segment's path a row of lanes per step,
// and counts each row lane by lane after the segment (addRows), in the
// same lane order, so the bits are the same: counted as each lane ran,
// every lane touched every step's histogram, and parallel --daily at 1e4 x
// 3650 took 3.4x its plain run's time.
func runLanes(m *sim.Model, first, count uint64, sp *span, a *acc, finals []float32, stop *atomic.Bool) {
	n := int(count)
	var ts []float32 // the lanes' temperatures after the last segment
	if sp.daily != nil {
		ts = grow(&a.finBuf, n)
		seg := dailySegment(n)
		path := grow(&a.pathBuf, n*min(seg, m.Steps))
		for s0 := 0; s0 < m.Steps; s0 += seg {
			s1 := min(s0+seg, m.Steps)
			for i := range n {
				if stop.Load() {
					return
				}
				t := m.Start
				if s0 > 0 {
					t = ts[i]
				}
				row := a.path[:s1-s0]
				m.PathFrom(first+uint64(i), s0, t, row)
				for r, x := range row {
					path[r*n+i] = x
				}
				ts[i] = row[len(row)-1]
			}
			a.addRows(first, n, s0, path[:n*(s1-s0)], sp)
			a.did(uint64(n * (s1 - s0)))
		}
	}
	for i := range n {
		if stop.Load() {
			return
		}
		lane := first + uint64(i)
		var t float32
		switch {
		case sp.daily == nil:
			t = a.final(m, lane, stop)
		case m.Steps == 0:
			t = m.Start
		default:
			t = ts[i]
		}
		sp.blk.Add(lane, t)
		a.hist.Add(t)
		if finals != nil {
			finals[i] = t
		}
	}
}

// checkSteps is how many steps a lane (or a batch of lanes) runs between
// checks of the stop flag: a few tens of microseconds of work, so that a
// cancelled run stops at once whatever its step count. It is a multiple of
// the four steps of a Philox block.
const checkSteps = sim.StopSteps

// chunkLanes is how many lanes make one block: the unit of work a goroutine
// takes, of progress reports and of the in-order fold (about a millisecond
// of work at 10 steps).
const chunkLanes = 1 << 14

// dailyChunkLanes is the least block of lanes of a --daily job. A block
// counts each of its steps into that step's statistics (addRows), so every
// block touches every step's histogram: blocks of chunkFor's constant work
// (64 lanes at 3,650 steps) spent most of a run in cache misses on them.
// simd --daily, least of 3 on 2 cores (BenchmarkDailyBlocks): 1e4 x 3650
// took 0.283 s at 64 lanes a block and 0.100 s at 1024 (0.092 s at 4096),
// 1e5 x 1000 0.324 s at 163 and 0.205 s at 1024, 1e6 x 365 0.688 s at 448
// and 0.597 s at 1024. Larger blocks gained little more, and leave fewer
// blocks to share among the goroutines of a small job.
const dailyChunkLanes = 1024

// testChunk, when nonzero, is every run's block of lanes instead of
// chunkFor's: tests cut jobs at other lane counts (odd ones, below a
// vector's width).
var testChunk uint64

// chunkFor is the block of lanes of a job of steps steps, with --daily's
// per-step statistics where daily. It depends on nothing else (not the
// lane or worker count), so that every CPU engine folds the same blocks in
// the same order and their float64 moments agree bit for bit.
func chunkFor(steps int, daily bool) uint64 {
	if testChunk > 0 {
		return testChunk
	}
	// Keep chunks near constant work, so that progress stays regular at many steps.
	c := uint64(chunkLanes * 10 / max(steps, 10))
	if daily {
		c = max(c, dailyChunkLanes)
	}
	return max(c, 64)
}

// DailyWorkerBytes is the memory, in bytes, one goroutine of a CPU engine
// keeps for a --daily job of lanes lanes x steps steps besides its per-step
// statistics (sim.DailyBytes): a segment of a block of lanes' path, a
// float32 per lane and step (dailySegment), the lanes' temperatures, and
// the per-step sums of its slotsPerWorker blocks in flight (a sim.Block of
// 48 bytes per step each).
func DailyWorkerBytes(lanes uint64, steps int) uint64 {
	n := min(lanes, chunkFor(steps, true))
	seg := min(uint64(dailySegment(int(n))), uint64(max(steps, 0)))
	path := count.SatMul(count.SatAdd(count.SatMul(n, seg), n), 4)
	return count.SatAdd(path, count.SatMul(slotsPerWorker*uint64(unsafe.Sizeof(sim.Block{})), uint64(max(steps, 0))))
}

// blockCount is the number of blocks of chunk lanes that cover count lanes,
// ceil(count/chunk) without overflow for any count.
func blockCount(count, chunk uint64) uint64 {
	n := count / chunk
	if count%chunk != 0 {
		n++
	}
	return n
}

// watch returns a flag that is set once ctx is done, for hot loops to poll
// without a channel receive, and a function that stops watching.
func watch(ctx context.Context) (stop *atomic.Bool, unwatch func() bool) {
	stop = new(atomic.Bool)
	return stop, context.AfterFunc(ctx, func() { stop.Store(true) })
}

// addFinals counts the finals xs of lanes first, first+1, ... into sp and
// a's histogram, as runLanes does lane by lane.
func (a *acc) addFinals(first uint64, xs []float32, sp *span) {
	reduce(first, xs, &sp.blk, a.hist)
}

// addRows counts the rows of path, a row of lanes first, first+1, ...
// (n of them) per step from step s0+1 on, into sp and a's daily statistics
// of those steps.
func (a *acc) addRows(first uint64, n, s0 int, path []float32, sp *span) {
	for r := range len(path) / max(n, 1) {
		reduce(first, path[r*n:(r+1)*n], &sp.daily[s0+r], a.daily[s0+r])
	}
}

// dailySegmentBytes is the most a block's path takes in a segment of steps:
// rows that stay in a core's L2 cache between the batch that writes them
// and the reduction that reads them. A path of every step of a block (4 KiB
// a step at 1024 lanes, 41 MB at 10,000 steps) went to memory and back.
const dailySegmentBytes = 256 << 10

// dailySegment is how many steps of a block of n lanes run before their
// rows are counted: a multiple of 4 (a Philox block's steps) whose rows fit
// dailySegmentBytes, at least 4.
func dailySegment(n int) int {
	return max(dailySegmentBytes/4/max(n, 1)&^3, 4)
}

// grow returns (*buf)[:n], reallocating when it is too short.
func grow(buf *[]float32, n int) []float32 {
	if cap(*buf) < n {
		*buf = make([]float32, n)
	}
	return (*buf)[:n]
}
