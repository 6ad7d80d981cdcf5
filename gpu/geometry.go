package gpu

import (
	"fmt"

	"github.com/gpusim/gpusim/gpu/cl"
	"github.com/gpusim/gpusim/sim"
)

// grid is one kernel's launch geometry.
type grid struct {
	wg     int // work-items per work-group
	groups int // work-groups per launch
}

// kernelLimits are what the device reports for one kernel:
// CL_KERNEL_WORK_GROUP_SIZE and CL_KERNEL_PREFERRED_WORK_GROUP_SIZE_MULTIPLE.
type kernelLimits struct {
	maxWG, multiple int
}

// limits queries k's limits, lowered by the test hook Options.maxWG.
func (e *Engine) limits(k *cl.Kernel) (kernelLimits, error) {
	maxWG, err := k.WorkGroupSize()
	if err != nil {
		return kernelLimits{}, fmt.Errorf("opencl: query kernel %s: %w", k.Name(), err)
	}
	mult, err := k.PreferredWorkGroupSizeMultiple()
	if err != nil {
		return kernelLimits{}, fmt.Errorf("opencl: query kernel %s: %w", k.Name(), err)
	}
	if e.opts.maxWG > 0 {
		maxWG = min(maxWG, e.opts.maxWG)
	}
	return kernelLimits{maxWG: max(maxWG, 1), multiple: max(mult, 1)}, nil
}

// localMem is the device's local memory per work-group
// (CL_DEVICE_LOCAL_MEM_SIZE), or the test hook Options.localMem's.
func (e *Engine) localMem() int {
	if e.opts.localMem > 0 {
		return e.opts.localMem
	}
	return int(min(e.desc.LocalMemBytes, 1<<30))
}

// gpuGroupItems is the work-items a GPU compute unit keeps resident at
// best (2048 on NVIDIA's recent multiprocessors, 2560 on AMD's CDNA): the
// grid is that many per compute unit, in whole work-groups, so launches
// run in whole waves.
const gpuGroupItems = 2048

// layout chooses a kernel's grid from its limits and its local memory: fixed
// bytes per work-group plus perItem bytes per work-item, which must fit in
// the device's local memory.
//
// On GPUs a work-group is 256 work-items (or the kernel's limit), a
// multiple of the preferred size (the warp or wavefront), and the grid is
// gpuGroupItems per compute unit. On CPUs, where a work-group runs on one
// thread, it is 8 work-items of VW lanes and 16 groups per core, for the
// driver to balance.
func (e *Engine) layout(name string, l kernelLimits, fixed, perItem int) (grid, error) {
	cus := max(e.desc.ComputeUnits, 1)
	want, perCU := 8, 16
	if e.desc.IsGPU() {
		want = 256
	}
	wg := min(want, l.maxWG)
	if wg >= l.multiple {
		wg -= wg % l.multiple
	}
	if e.opts.wg > 0 {
		wg = min(e.opts.wg, l.maxWG)
	}
	mem := e.localMem()
	for wg > 1 && fixed+wg*perItem > mem {
		wg /= 2
	}
	if need := fixed + wg*perItem; need > mem {
		return grid{}, fmt.Errorf("opencl: kernel %s needs %d bytes of local memory per work-group, and %s has %d", name, need, e.desc, mem)
	}
	if e.desc.IsGPU() {
		perCU = max(1, gpuGroupItems/wg)
	}
	g := grid{wg: wg, groups: perCU * cus}
	if e.opts.groups > 0 {
		g.groups = e.opts.groups
	}
	return g, nil
}

// mainLocal is the main kernel's local memory: its histogram when it is
// counted in local memory, and six reduction arrays per work-item.
func (e *Engine) mainLocal() (fixed, perItem int) {
	if e.useLocalHist() {
		fixed = (sim.HistBins + 2) * 4
	}
	return fixed, 2*e.accSize() + 4 + 4 + 8 + 4
}

// dailyStepLocal is weather_daily's local memory per launched step: the
// step's histogram counters.
const dailyStepLocal = (sim.DailyBins + 2) * 4

// dailyLocal is weather_daily's local memory besides the per-step
// histograms: five reduction arrays of two steps per work-item, and with
// DAILY_SERIAL the bins of two steps; fixed is the histograms of the fewest
// steps a launch takes: a block, and the last launch's up to 3 more.
func (e *Engine) dailyLocal() (fixed, perItem int) {
	perItem = 2 * (2*e.accSize() + 4 + 4 + 8)
	if e.dailySerial() {
		perItem += 2 * e.vw * 4
	}
	return 7 * dailyStepLocal, perItem
}

// dailySerial says whether weather_daily folds each step in one work-item
// (DAILY_SERIAL): on CPUs, where a work-group runs on one thread anyway.
func (e *Engine) dailySerial() bool { return !e.desc.IsGPU() && !e.opts.dailyTree }

func (e *Engine) accSize() int {
	if e.fp64 {
		return 8
	}
	return 4
}
