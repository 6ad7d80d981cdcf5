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
	stop, unwatch := watch(ctx)
	defer unwatch()
	a := newAcc(res, false)
	sh := newShifts(p, job.Daily)
	var sp span
	chunk := chunkFor(p.Steps)
	for done := uint64(0); done < count; {
		if ctx.Err() != nil {
			return nil, context.Cause(ctx)
		}
		n := min(chunk, count-done)
		sp.reset(&sh)
		var fin []float32
		if res.Finals != nil {
			fin = res.Finals[done : done+n]
		}
		runLanes(&m, first+done, n, &sp, a, fin, stop)
		if stop.Load() {
			return nil, context.Cause(ctx)
		}
		sp.fold(res)
		done += n
		if job.Progress != nil {
			job.Progress(n)
		}
	}
	res.Timing.Wall = time.Since(start)
	return res, nil
}
