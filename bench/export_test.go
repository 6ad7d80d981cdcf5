package bench

import (
	"github.com/gpusim/gpusim/cpu"
	"github.com/gpusim/gpusim/sim"
)

// CPUEngines are the engines the tests run: serial, and parallel, which
// scales.
func CPUEngines() []EngineSpec {
	return []EngineSpec{
		{Name: "serial", New: func(int) sim.Engine { return cpu.Serial{} }},
		{Name: "parallel", New: func(n int) sim.Engine { return cpu.Parallel{Workers: n} }, Scales: true},
	}
}
