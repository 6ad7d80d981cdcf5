package gpu

import (
	"math"

	"github.com/gpusim/gpusim/gpu/cl"
	"github.com/gpusim/gpusim/internal/count"
	"github.com/gpusim/gpusim/sim"
)

// runShape is a run's launch grid and the bytes of every device buffer the
// run creates, computed from the job alone (plan makes the run by it), so
// that the address space the whole run takes is known before any buffer
// is made: Refuses, Run and plan check it at once, where CreateBuffer's
// own check sees one buffer at a time, the first of them made.
type runShape struct {
	g          grid
	daily      bool   // the weather_daily kernel, with per-step records
	partBlocks int    // Philox blocks one launch may take at most; 0: all
	maxChunk   uint64 // the most lanes one launch takes
	tempLanes  uint64 // lanes the temperatures' buffer holds (8 steps or more)
	buffers    uint64 // the bytes of every device buffer, as run.alloc makes them
}

// shape returns the shape of a run of job's count lanes on e.
func (e *Engine) shape(job *sim.Job, count uint64) runShape {
	p := job.Params
	s := runShape{g: e.main, daily: job.Daily && p.Steps > 0, partBlocks: e.opts.maxBlocks}
	if s.daily {
		s.g = e.daily
		s.g.groups = e.dailyGroups(p.Steps)
		s.partBlocks = e.dailyBlocksBy[p.Steps%4]
		if e.opts.maxBlocks > 0 {
			s.partBlocks = min(s.partBlocks, e.opts.maxBlocks)
		}
	}
	s.maxChunk = min(count, 1<<31)
	if e.opts.MaxChunkLanes > 0 {
		s.maxChunk = min(s.maxChunk, e.opts.MaxChunkLanes)
	}
	if job.KeepFinals {
		s.maxChunk = min(s.maxChunk, e.desc.MaxAllocBytes/4, 1<<26)
	}
	widest := s.maxChunk // the most lanes one launch takes
	if p.Steps >= 8 {
		widest = min(widest, e.desc.MaxAllocBytes/4-uint64(e.vw)) // tempLanes
	}
	// A small run needs no more work-groups than its lanes fill, nor
	// one whose launches take few lanes each (MaxChunkLanes, the finals'
	// or temperatures' buffer within MaxAllocBytes): every work-item of
	// the grid zeroes and folds a histogram of its own on a CPU
	// (HIST_SERIAL), which cost more than a thousand lanes' work. Sized
	// by the run's lanes alone, MaxChunkLanes 1000 ran pocl's whole grid
	// of 4096 lanes a launch.
	if need := (widest-1)/uint64(s.g.wg*e.vw) + 1; need < uint64(s.g.groups) { // widest >= 1; no wrap near 2^64
		s.g.groups = max(1, int(need))
	}
	if p.Steps >= 8 {
		// Lanes of a chunk run in parts: at least a grid-stride pass,
		// at most 64 MiB of temperatures.
		stride := uint64(s.g.groups * s.g.wg * e.vw)
		s.tempLanes = min(s.maxChunk, max(stride, 1<<24), e.desc.MaxAllocBytes/4-uint64(e.vw))
	}
	s.buffers = s.bufferBytes(job, e.fp64, e.vw)
	return s
}

// dailyGroups is the work-groups of a weather_daily run of steps steps: the
// kernel's grid, or fewer where its per-group, per-step records would take
// more than dailyRecordBytes; then whole waves of compute units, and at
// least one work-group on each (as many as fit in CL_DEVICE_MAX_MEM_ALLOC_SIZE
// where that is less). Capped at 64 MiB alone, 10000 steps ran 139
// work-groups: not whole waves on a GPU of 132 compute units, and on one of
// 304 (AMD's MI300X) half of them idle.
func (e *Engine) dailyGroups(steps int) int {
	perGroup := max(steps, 1) * recWords * 8
	groups := e.daily.groups
	if capped := dailyRecordBytes / perGroup; capped < groups {
		cus := max(e.desc.ComputeUnits, 1)
		groups = max(capped-capped%cus, min(cus, groups))
	}
	return max(1, min(groups, int(min(e.desc.MaxAllocBytes/uint64(perGroup), math.MaxInt32))))
}

// bufferBytes is the bytes of the device buffers of a run of shape s, on
// an engine accumulating in double where fp64 says so, vw lanes a
// work-item: plan's, planMain's or planDaily's, dailyParams' and
// reduceDaily's, each at least the 4 bytes run.alloc makes.
func (s runShape) bufferBytes(job *sim.Job, fp64 bool, vw int) uint64 {
	var sizes []uint64
	add := func(n uint64) { sizes = append(sizes, max(n, 4)) }
	add((sim.HistBins + 2) * 4) // the final histogram
	if job.KeepFinals {
		add(s.maxChunk * 4) // two finals buffers: one read while the other fills
		add(s.maxChunk * 4)
	}
	if job.Params.Steps >= 8 {
		add((s.tempLanes + uint64(vw)) * 4) // a vector past the last lane
	}
	groups, steps := uint64(s.g.groups), uint64(job.Params.Steps)
	if !s.daily {
		add(groups * recWords * 8)
		return count.SatAdd(sizes...)
	}
	shift := uint64(4)
	if fp64 {
		shift = 8
	}
	add(groups * steps * recWords * 8) // per-group, per-step records
	add(steps * dailyBins * 4)         // per-step histograms
	add(steps * shift)                 // dailyParams: the exact means,
	add(steps * 4)                     // the histograms' edges
	add(steps * 4)                     // and scales
	add(steps * recWords * 8)          // reduceDaily's output
	return count.SatAdd(sizes...)
}

// checkAddressSpace refuses a run of job whose device buffers, with the
// finals' copy in host memory where hostFinals says the run allocates it,
// do not fit the room an address-space limit (ulimit -v) leaves
// (cl.RunAddressSpaceShort), or, those of them in host memory, the memory
// available (cl.RunMemoryShort): pocl maps a buffer on its first use and
// aborted the process where it could not, and CreateBuffer's own check,
// one buffer at a time, refused a run half-planned, naming only the
// buffer it refused.
func (e *Engine) checkAddressSpace(job *sim.Job, hostFinals bool) error {
	_, count, err := job.Range()
	if err != nil {
		return err
	}
	host := uint64(0)
	if hostFinals && job.KeepFinals {
		host = hostFinalsBytes(count)
	}
	buffers := e.shape(job, count).buffers
	if err := runAddressSpaceShort(e.sh.ctx, buffers, host); err != nil {
		return err
	}
	return runMemoryShort(e.sh.ctx, e.hostBuffers(buffers), host, job.KeepFinals)
}

// hostBuffers is the part of b bytes of e's device buffers that is host
// memory: all of them on a CPU device (DeviceDesc.HostMemory), none on a
// GPU.
func (e *Engine) hostBuffers(b uint64) uint64 {
	if e.desc.HostMemory() {
		return b
	}
	return 0
}

// heapArena is the unit in which Go's runtime maps its heap on 64-bit
// Linux (heapArenaBytes in runtime/malloc.go): 64 MiB.
const heapArena = 64 << 20

// hostFinalsBytes is the address space the finals of count lanes take in
// Go memory: a float32 each, in whole heap arenas (a run of 3e7 lanes'
// 120 MB finals took 127 MB of the room an address-space limit left).
func hostFinalsBytes(lanes uint64) uint64 {
	n := count.SatMul(lanes, 4)
	if n > ^uint64(0)-heapArena {
		return ^uint64(0)
	}
	return (n + heapArena - 1) / heapArena * heapArena
}

// runAddressSpaceShort is cl.RunAddressSpaceShort and runMemoryShort
// cl.RunMemoryShort; tests replace them.
var (
	runAddressSpaceShort = cl.RunAddressSpaceShort
	runMemoryShort       = cl.RunMemoryShort
)
