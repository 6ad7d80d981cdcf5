package enginetest

import (
	"context"

	"github.com/gpusim/gpusim/sim"
)

// Wrong is Engine with bit 0 of every result's digest flipped, named
// "wrong": an engine whose results differ from every other engine's, for the
// tests of what must notice that (bench's digest check, in the harness and
// in the CLI).
type Wrong struct{ Engine sim.Engine } // the engine whose results it flips

// Name implements sim.Engine.
func (Wrong) Name() string { return "wrong" }

// Run implements sim.Engine.
func (w Wrong) Run(ctx context.Context, job *sim.Job) (*sim.Result, error) {
	res, err := w.Engine.Run(ctx, job)
	if err == nil {
		res.Summary.Digest ^= 1
	}
	return res, err
}
