package cpu

import (
	"context"

	"github.com/gpusim/gpusim/sim"
)

// acc is one goroutine's accumulators for a run.
type acc struct {
	hist  *sim.Histogram
	daily []*sim.Summary
	// dailyBlocks are per-step sums for the lane block in progress.
	dailyBlocks []sim.Block
	path        []float32
	// finBuf and pathBuf are scratch for engines that compute lanes in batches.
	finBuf, pathBuf []float32
}

func newAcc(p sim.Params, daily bool) *acc {
	s := sim.NewSummary(p)
	a := &acc{hist: s.Hist}
	if daily {
		a.daily = sim.NewDaily(p)
		a.dailyBlocks = make([]sim.Block, p.Steps)
		a.path = make([]float32, p.Steps)
	}
	return a
}

func (a *acc) startDaily(p sim.Params) {
	for n := range a.dailyBlocks {
		m, _ := p.Exact(n + 1)
		a.dailyBlocks[n] = sim.NewBlock(m)
	}
}

func (a *acc) flushDaily() {
	for n := range a.dailyBlocks {
		a.daily[n].AddBlock(&a.dailyBlocks[n])
	}
}

// runLanes runs lanes [first, first+count) of m lane by lane into blk and a,
// storing finals (indexed from 0) when finals is not nil.
func runLanes(m *sim.Model, first, count uint64, blk *sim.Block, a *acc, finals []float32) {
	for i := uint64(0); i < count; i++ {
		lane := first + i
		var t float32
		if a.daily != nil {
			m.Path(lane, a.path)
			t = m.Start
			for n, x := range a.path {
				a.dailyBlocks[n].Add(lane, x)
				a.daily[n].Hist.Add(x)
				t = x
			}
		} else {
			t = m.Final(lane)
		}
		blk.Add(lane, t)
		a.hist.Add(t)
		if finals != nil {
			finals[i] = t
		}
	}
}

// chunkLanes is how many lanes run between checks of the context and calls
// of the progress callback: about a millisecond of work at 10 steps.
const chunkLanes = 1 << 14

func chunkFor(steps int) uint64 {
	// Keep chunks near constant work so cancellation stays prompt at many steps.
	c := uint64(chunkLanes * 10 / max(steps, 10))
	return max(c, 64)
}

func cancelled(ctx context.Context) error {
	select {
	case <-ctx.Done():
		return context.Cause(ctx)
	default:
		return nil
	}
}

// addFinals counts the finals xs of lanes first, first+1, ... into blk and
// a's histogram, as runLanes does lane by lane.
func (a *acc) addFinals(first uint64, xs []float32, blk *sim.Block) {
	for i, x := range xs {
		blk.Add(first+uint64(i), x)
		a.hist.Add(x)
	}
}

// addPaths counts the temperatures after each step of lanes first,
// first+1, ... into a's daily accumulators; path holds one row of lanes per
// step, each row n long.
func (a *acc) addPaths(first uint64, n int, path []float32) {
	for s := range a.dailyBlocks {
		row := path[s*n : (s+1)*n]
		blk, h := &a.dailyBlocks[s], a.daily[s].Hist
		for i, x := range row {
			blk.Add(first+uint64(i), x)
			h.Add(x)
		}
	}
}

// grow returns (*buf)[:n], reallocating when it is too short.
func grow(buf *[]float32, n int) []float32 {
	if cap(*buf) < n {
		*buf = make([]float32, n)
	}
	return (*buf)[:n]
}
