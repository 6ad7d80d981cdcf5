package cpu

import (
	"context"
	"time"

	"github.com/gpusim/gpusim/sim"
)

// Serial is the reference engine: one goroutine, lane by lane, exactly
// sim.Model.Final.
type Serial struct{}

// Name implements sim.Engine.
func (Serial) Name() string { return "serial" }

// Run implements sim.Engine.
func (Serial) Run(ctx context.Context, job *sim.Job) (*sim.Result, error) {
	start := time.Now()
	first, count, err := job.Range()
	if err != nil {
		return nil, err
	}
	p := job.Params
	m := p.Model()
	res := sim.NewResult("serial", "1 goroutine", job, first, count)
	a := newAcc(p, job.Daily)
	a.hist = res.Summary.Hist
	exact, _ := p.Exact(p.Steps)
	chunk := chunkFor(p.Steps)
	for done := uint64(0); done < count; {
		if err := cancelled(ctx); err != nil {
			return nil, err
		}
		n := min(chunk, count-done)
		blk := sim.NewBlock(exact)
		var fin []float32
		if res.Finals != nil {
			fin = res.Finals[done : done+n]
		}
		if a.daily != nil {
			a.startDaily(p)
		}
		runLanes(&m, first+done, n, &blk, a, fin)
		if a.daily != nil {
			a.flushDaily()
		}
		res.Summary.AddBlock(&blk)
		done += n
		if job.Progress != nil {
			job.Progress(n)
		}
	}
	if job.Daily {
		res.Daily = a.daily
	}
	res.Timing.Wall = time.Since(start)
	return res, nil
}
