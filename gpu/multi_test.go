package gpu

import (
	"testing"

	"github.com/gpusim/gpusim/gpu/cl/cltest"
	"github.com/gpusim/gpusim/internal/enginetest"
	"github.com/gpusim/gpusim/sim"
)

// TestMultiConformance runs the engine suite on the same device opened
// twice (two engines, as with POCL_DEVICES="pthread pthread"), or on two
// devices when the platform has several.
func TestMultiConformance(t *testing.T) {
	cltest.RequireDevice(t)
	ds, err := Devices()
	if err != nil {
		t.Fatal(err)
	}
	idx := []int{0, 0}
	if len(ds) > 1 {
		idx = []int{0, 1}
	}
	enginetest.Run(t, func(t *testing.T) sim.Engine {
		m, err := OpenMulti(idx, Options{})
		if err != nil {
			t.Fatal(err)
		}
		return m
	}, enginetest.Options{CancelInSteps: true})
	if _, err := OpenMulti([]int{0, 99}, Options{}); err == nil {
		t.Error("OpenMulti with a bad index succeeded")
	}
}
