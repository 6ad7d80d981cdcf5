package cpu

import (
	"context"

	"github.com/gpusim/gpusim/sim"
)

// Serial is the reference engine: one goroutine, lane by lane, exactly
// sim.Model.Final. It is Parallel's block loop on a single worker, so the
// two differ only in how many goroutines share the blocks.
type Serial struct{}

// Name implements sim.Engine.
func (Serial) Name() string { return "serial" }

// Run implements sim.Engine.
func (Serial) Run(ctx context.Context, job *sim.Job) (*sim.Result, error) {
	return runParallel(ctx, job, "serial", goroutines, 1, runLanes)
}
