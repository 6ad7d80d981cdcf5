package bench

import (
	"github.com/gpusim/gpusim/cpu"
	"github.com/gpusim/gpusim/sim"
)

// CPUEngines are the Go engines every build has: serial, and parallel, which
// scales. The CLI appends the engines that live elsewhere (simd, one OpenCL
// engine per device).
func CPUEngines() []EngineSpec {
	return []EngineSpec{
		{Name: "serial", New: func(int) sim.Engine { return cpu.Serial{} }},
		{Name: "parallel", New: func(n int) sim.Engine { return cpu.Parallel{Workers: n} }, Scales: true},
	}
}
