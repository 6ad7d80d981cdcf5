package cpu

import (
	"fmt"
	"testing"

	"github.com/gpusim/gpusim/internal/enginetest"
	"github.com/gpusim/gpusim/sim"
)

// TestConformance runs the engine suite on the serial reference against
// the model, and on parallel and simd against serial at several goroutine
// counts, simd on every batch path in turn. Parallel and simd merge the
// same lane blocks in lane order as serial, so their moments are exact.
func TestConformance(t *testing.T) {
	t.Run("serial", func(t *testing.T) {
		enginetest.Run(t, func(*testing.T) sim.Engine { return Serial{} }, enginetest.Options{CancelInSteps: true})
	})
	vsSerial := enginetest.Options{Reference: Serial{}, Tol: enginetest.ExactTol, CancelInSteps: true}
	for _, w := range []int{1, 2, 3, 7} {
		t.Run(fmt.Sprintf("parallel/%d", w), func(t *testing.T) {
			enginetest.Run(t, func(*testing.T) sim.Engine { return Parallel{Workers: w} }, vsSerial)
		})
	}
	forEachPath(func(path string) {
		for _, w := range []int{1, 3} {
			t.Run(fmt.Sprintf("simd/%s/%d", path, w), func(t *testing.T) {
				enginetest.Run(t, func(*testing.T) sim.Engine { return SIMD{Workers: w} }, vsSerial)
			})
		}
	})
}
