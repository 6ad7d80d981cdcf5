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
// CL_KERNEL_WORK_GROUP_SIZE and CL_KERNEL_PREFERRED_WORK_GROUP_SIZE_MULTIPLE,
// and own, CL_KERNEL_LOCAL_MEM_SIZE before any __local argument is set:
// the bytes of local memory per work-group the kernel takes besides its
// arguments (its own __local variables, and what the implementation
// needs to run it), which CL_DEVICE_LOCAL_MEM_SIZE must hold beside them.
type kernelLimits struct {
	maxWG, multiple, own int
}

// limits queries k's limits, lowered by the test hook Options.maxWG, its
// own local memory raised by Options.ownLocal's bytes for k. Call it
// before k's __local arguments are set: own would count them.
//
// The three queries are one wait of answerWait (askDriver): past it a
// *NoAnswerError asking for "the work-group limits of kernel NAME on
// device 0 (...)".
func (e *Engine) limits(k *cl.Kernel) (kernelLimits, error) {
	var maxWG, mult int
	var own uint64
	err := askDriver("the work-group limits of kernel "+k.Name()+" on "+e.desc.Named(), func() (err error) {
		if maxWG, err = k.WorkGroupSize(); err != nil {
			return err
		}
		if mult, err = k.PreferredWorkGroupSizeMultiple(); err != nil {
			return err
		}
		own, err = k.LocalMemSize()
		return err
	})
	if err != nil {
		return kernelLimits{}, unanswered(err, "opencl: query kernel %s", k.Name())
	}
	if e.opts.maxWG > 0 {
		maxWG = min(maxWG, e.opts.maxWG)
	}
	own = min(own, 1<<30) + uint64(e.opts.ownLocal[k.Name()])
	return kernelLimits{maxWG: max(maxWG, 1), multiple: max(mult, 1), own: int(own)}, nil
}

// ownLocal is the weather and weather_daily kernels' own local memory
// (kernelLimits.own), in bytes per work-group.
type ownLocal struct{ main, daily int }

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
// bytes per work-group plus perItem bytes per work-item of __local
// arguments, which must fit in the device's local memory beside the
// kernel's own (l.own); a kernel for which one work-item's do not is
// refused, the error naming the kernel, the bytes it needs, its own and
// the device's.
//
// On GPUs a work-group is 256 work-items (or the kernel's limit, or as
// many as local memory holds), a multiple of the preferred size (the warp
// or wavefront) where one fits, and the grid is gpuGroupItems per compute
// unit. On CPUs, where a work-group runs on one
// thread, it is 8 work-items of VW lanes and 16 groups per core, for the
// driver to balance; with single, one work-item per group and 4 groups per
// core: for weather_daily with DAILY_SERIAL, whose work-items keep every
// step's sums and histograms apart, so that a group of one fits 12 times
// the steps per launch in the same cache (0.94x the daily run's time on
// pocl, paired against groups of 8, medians of 9).
func (e *Engine) layout(name string, l kernelLimits, fixed, perItem int, single bool) (grid, error) {
	cus := max(e.desc.ComputeUnits, 1)
	want, perCU := 8, 16
	switch {
	case e.desc.IsGPU():
		want = 256
	case single:
		want, perCU = 1, 4
	}
	wg := min(want, l.maxWG)
	if wg >= l.multiple {
		wg -= wg % l.multiple
	}
	if e.opts.wg > 0 {
		wg = min(e.opts.wg, l.maxWG)
	}
	mem := e.localMem() - l.own
	if fixed+wg*perItem > mem && mem > fixed+perItem {
		// The most work-items that fit, in whole multiples of the
		// preferred size where one fits: halving 192 gave 96, one and a
		// half wavefronts of 64, where 128 fit.
		wg = (mem - fixed) / perItem
		if wg >= l.multiple {
			wg -= wg % l.multiple
		}
	}
	if fixed+wg*perItem > mem {
		wg = 1
	}
	if need := fixed + wg*perItem; need > mem {
		return grid{}, fmt.Errorf("opencl: kernel %s needs %d bytes of local memory per work-group (%d of its own, CL_KERNEL_LOCAL_MEM_SIZE, and %d for its arguments), and %s has %d (CL_DEVICE_LOCAL_MEM_SIZE)",
			name, l.own+need, l.own, need, e.desc.Named(), e.localMem())
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

// reduceGroup is reduce_daily's work-group size from its limits: one
// work-item on CPUs (pocl compiles a kernel per local size: keep one), on
// GPUs up to 64 within the kernel's own CL_KERNEL_WORK_GROUP_SIZE, in
// whole multiples of its preferred size where one fits. It was 64 on every
// GPU: a device that allows fewer (Oclgrind with OCLGRIND_MAX_WGSIZE=32)
// failed every --daily run with CL_INVALID_WORK_ITEM_SIZE.
func (e *Engine) reduceGroup(l kernelLimits) int {
	if !e.desc.IsGPU() {
		return 1
	}
	wg := min(64, l.maxWG)
	if wg >= l.multiple {
		wg -= wg % l.multiple
	}
	return wg
}

// mainLocal is the main kernel's local memory: its histogram when it is
// counted in local memory (one per work-item with HIST_SERIAL), and six
// reduction arrays per work-item.
func (e *Engine) mainLocal() (fixed, perItem int) {
	return e.mainHistLocal(0), e.mainHistLocal(1) - e.mainHistLocal(0) + 2*e.accSize() + 4 + 4 + 8 + 4
}

// mainHistLocal is the main kernel's local histogram for work-groups of
// wg (lhist); 4 bytes, unused, without LOCAL_HIST.
func (e *Engine) mainHistLocal(wg int) int {
	switch {
	case e.histSerial():
		return wg * (sim.HistBins + 2) * 4
	case e.useLocalHist():
		return (sim.HistBins + 2) * 4
	}
	return 4
}

// dailyBins is the counters of one step's histogram.
const dailyBins = sim.DailyBins + 2

// dailyStepLocal is weather_daily's local memory per launched step for
// work-groups of wg: the step's histogram, and with DAILY_SERIAL each
// work-item's histogram and five sums of VW lanes.
func (e *Engine) dailyStepLocal(wg int) int {
	if e.dailySerial() {
		return wg * (e.vw*(2*e.accSize()+4+4+8) + dailyBins*4)
	}
	return dailyBins * 4
}

// dailyBaseLocal is weather_daily's local memory besides the per-step
// arrays: each work-item's lane count (DAILY_SERIAL), or the tree's five
// reduction arrays of two steps.
func (e *Engine) dailyBaseLocal(wg int) int {
	if e.dailySerial() {
		return wg * 4
	}
	return wg * 2 * (2*e.accSize() + 4 + 4 + 8)
}

// dailyFinalLocal is the final histogram of weather_daily's last launch of
// a chunk in local memory for work-groups of wg: one per work-item with
// DAILY_HIST_SERIAL, else none (it is counted in global memory).
func (e *Engine) dailyFinalLocal(wg int) int {
	if e.dailyHistSerial() {
		return wg * (sim.HistBins + 2) * 4
	}
	return 0
}

// dailyHistSerial says whether weather_daily counts the final histogram in
// one local histogram per work-item without atomics (DAILY_HIST_SERIAL): with
// DAILY_SERIAL, where a locked increment per lane costs what it costs the
// main kernel (histSerial), when a work-group of one fits beside it and the
// kernel's own local memory (e.own, as the build options are chosen).
func (e *Engine) dailyHistSerial() bool {
	if !e.dailySerial() || !e.histSerial() {
		return false
	}
	fixed, perItem := e.dailyStepsLocal()
	return fixed+perItem+(sim.HistBins+2)*4+e.own.daily <= e.localMem()
}

// dailyStepsLocal is weather_daily's local memory besides the final
// histogram, for the fewest steps a launch takes: a block, and the last
// launch's up to 3 more.
func (e *Engine) dailyStepsLocal() (fixed, perItem int) {
	fixed = 7*e.dailyStepLocal(0) + e.dailyBaseLocal(0)
	return fixed, 7*(e.dailyStepLocal(1)-e.dailyStepLocal(0)) + e.dailyBaseLocal(1)
}

// dailyLocal is weather_daily's local memory as layout wants it:
// dailyStepsLocal and the last launch's final histogram.
func (e *Engine) dailyLocal() (fixed, perItem int) {
	fixed, perItem = e.dailyStepsLocal()
	return fixed + e.dailyFinalLocal(0), perItem + e.dailyFinalLocal(1) - e.dailyFinalLocal(0)
}

// layoutDaily chooses weather_daily's grid and the Philox blocks of steps
// one launch may take from the kernel's limits l.
func (e *Engine) layoutDaily(l kernelLimits) error {
	fixed, perItem := e.dailyLocal()
	var err error
	if e.daily, err = e.layout("weather_daily", l, fixed, perItem, e.dailySerial()); err != nil {
		return err
	}
	for t := range e.dailyBlocksBy {
		e.dailyBlocksBy[t] = e.dailyBlocksFit(e.daily.wg, l.own, t)
	}
	e.dailyBlocks = e.dailyBlocksBy[3]
	return nil
}

// dailyBlocksFit is how many Philox blocks of steps one weather_daily
// launch may take in local memory beside the kernel's own bytes (own:
// kernelLimits.own) for work-groups of wg, where the last launch of a
// chunk takes trail steps (0 to 3, the job's steps mod 4) past its blocks.
// Room for 3 whatever the job left a 100-step job's 25 blocks one short
// on pocl: every chunk ran in a launch of 96 steps and one of 4 (each
// lane's temperature stored and loaded between them, its digest constant
// made again); one launch of 100 took 0.98x the daily run's CPU time and
// 0.97x to 0.98x its kernel's samples per sample of its Philox blocks
// (docs/benchmarks-history.md, "--daily on pocl").
//
// With DAILY_SERIAL the launch's sums and histograms must also stay within
// dailySerialCache: each work-item runs its lanes through all of the
// launch's steps, touching every step's counters, which must stay in the
// core's cache (local memory is ordinary memory on CPUs).
func (e *Engine) dailyBlocksFit(wg, own, trail int) int {
	step, mem := e.dailyStepLocal(wg), e.localMem()-own-e.dailyFinalLocal(wg)
	if e.dailySerial() {
		// The final histogram takes one increment a lane, after all
		// steps: it need not stay in the cache with them.
		mem = min(mem, dailySerialCache)
	}
	return max((mem-e.dailyBaseLocal(wg)-trail*step)/(4*step), 1)
}

// dailySerialCache bounds a DAILY_SERIAL launch's local memory: a quarter
// of a typical per-core L2 cache.
const dailySerialCache = 256 << 10

// dailySerial says whether weather_daily folds each step in one work-item
// (DAILY_SERIAL): on CPUs, where a work-group runs on one thread anyway.
func (e *Engine) dailySerial() bool { return !e.desc.IsGPU() && !e.opts.dailyTree }

func (e *Engine) accSize() int {
	if e.fp64 {
		return 8
	}
	return 4
}
