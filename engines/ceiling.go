package engines

import (
	"fmt"
	"runtime"
	"slices"
	"strings"

	"github.com/gpusim/gpusim/gpu"
	"github.com/gpusim/gpusim/internal/count"
	"github.com/gpusim/gpusim/sim"
)

// The most lane-steps per second gpusim expects each kind of engine to
// reach, a few times what it measures (docs/benchmarks.md), so that a
// job's time at them (MinTime) is a floor no machine of today beats: the
// serial engine 2e8 (it measures 20 to 26 ns per lane-step, 4e7 to 5e7),
// a core of parallel or simd 2e9 (simd's AVX-512 path measures 0.93 to
// 1.0 ns per lane-step on two cores, about 1e9 a core), and an OpenCL
// device 2e12 (the H200's goal is 3e11 in the kernel, issue 12), a GPU
// faster than any measured; a device on the machine's cores (pocl's CPU
// device) computes on them, at most coreCeiling a compute unit
// (deviceRate).
const (
	serialCeiling = 2e8
	coreCeiling   = 2e9
	deviceCeiling = 2e12
	// allDevices is how many devices --device all is taken to be, so
	// that the floor needs no device enumeration before the run; once
	// the devices are listed or open, they count (ListedMinTime,
	// OpenMinTime).
	allDevices = 64
)

// LaneFloor is the lane-steps of work a lane counts for at least in a
// floor (MinTime's callers): a lane costs besides its steps (its Philox
// counter's seed and first block, its final's statistics), about 4 ns of
// a core on simd and on pocl's CPU device with no steps and 8 ns with one
// (--lanes 1e8 --steps 0 and 1, user time, 2026-12-08), 5 ns a core by
// cpu.BenchmarkSIMDLane (docs/auto.md), so 2 lane-steps at a ceiling (1 ns
// a core at coreCeiling) is a few times faster than any measured. Counted
// as one, --lanes 1e17 --steps 1 was floored at 0.79 years on 2 cores and
// started, auto itself predicting 8.55 years.
const LaneFloor = 2

// MinTime is a floor on the seconds engine name (auto included) takes for
// work lane-steps with o, at rates no machine reaches (2e8 lane-steps per
// second for serial, 2e9 a core for the others on the CPU, 2e12 a device:
// a few times those measured in docs/benchmarks.md), and the engine and
// resources it assumes ("simd on 2 cores", "opencl on 1 device taken for a
// GPU"): auto
// may choose a device, so it is the faster of simd on the cores o.Workers
// can keep busy (GOMAXPROCS where 0; at most GOMAXPROCS and the CPUs the
// process may run on: --workers 1024 on 2 cores counted 1024, and a job of
// decades started without --timeout) and a device (a list's devices, 64
// for all); a device engine's devices are those o lists (1 by default). An
// unknown name is a CPU engine's. No device is listed: each is taken to
// be a GPU, the fastest kind; ListedMinTime and OpenMinTime count the
// devices' kinds.
func MinTime(name string, o Options, work float64) (seconds float64, on string) {
	cores := floorCores(o)
	devices := 1
	if d := strings.TrimSpace(o.Devices); d == "all" {
		devices = allDevices
	} else if idx, why := parseDevices(d, -1); d != "" && why == "" {
		devices = len(idx)
	}
	cpuRate, cpuOn := coreCeiling*float64(cores), fmt.Sprintf("%s on %s", name, count.Noun(cores, "core"))
	// Not listed, each device is taken for a GPU, and the words say so:
	// "auto on 1 device" read as if a device had been found.
	gpus := "GPUs"
	if devices == 1 {
		gpus = "a GPU"
	}
	devWords := fmt.Sprintf("%s taken for %s", count.Noun(devices, "device"), gpus)
	devRate, devOn := deviceCeiling*float64(devices), name+" on "+devWords
	e, _ := Lookup(name)
	switch {
	case name == "serial":
		return work / serialCeiling, "serial on 1 core"
	case name == "auto":
		if devRate > cpuRate {
			return work / devRate, devOn
		}
		return work / cpuRate, "auto on " + count.Noun(cores, "core")
	case e.Devices != nil:
		return work / devRate, devOn
	}
	return work / cpuRate, cpuOn
}

// floorCores is the cores MinTime counts for a CPU engine with o: GOMAXPROCS
// and the CPUs the process may run on, at most o.Workers where set.
func floorCores(o Options) int {
	cores := min(runtime.GOMAXPROCS(0), runtime.NumCPU())
	if o.Workers > 0 {
		cores = min(o.Workers, cores)
	}
	return cores
}

// ListedMinTime is MinTime with the OpenCL devices here listed (the
// listing the open makes, which loads the driver and is kept for it; no
// device is opened), each at the ceiling of its kind (deviceRate): a CPU
// device (pocl) at 2e9 lane-steps per second a compute unit, where MinTime
// took it for a GPU at 2e12 and let --engine opencl --lanes 2^64-1
// --steps 1, centuries on pocl, through as 107 days. A device engine runs
// on the devices o lists (gpu.PickDefault's by default); auto on the
// fastest of simd on the cores (MinTime's), one of the devices o lists (all
// where none) and their GPUs together; auto without a --device list where
// no device is listed on simd's cores. Where a device engine's devices
// cannot be listed, or o lists one that is not there (the open refuses
// it: ListedFloor's ok is false), and for a CPU engine, it is MinTime.
func ListedMinTime(name string, o Options, work float64) (seconds float64, on string) {
	seconds, on, ok := ListedFloor(name, o, work)
	if !ok {
		return MinTime(name, o, work)
	}
	return seconds, on
}

// ListedFloor is ListedMinTime, with ok false, and no floor, where name is
// a device engine, or auto with a --device list, whose devices cannot be
// listed here or that o lists one not there of: the open refuses it, with
// why (no OpenCL, no device 99), where MinTime's floor took a device for a
// GPU that is not there. auto without a --device list where no device is
// listed runs on the CPU: its floor is simd's on MinTime's cores ("auto on
// 2 cores"), not a GPU's, and so is auto's where it leaves the driver
// unasked (openCLUnanswered). Where the driver does not answer in ListWait
// (devicesWithin), it is MinTime, with ok true.
func ListedFloor(name string, o Options, work float64) (seconds float64, on string, ok bool) {
	e, _ := Lookup(name)
	if name != "auto" && e.Devices == nil {
		seconds, on = MinTime(name, o, work)
		return seconds, on, true
	}
	listed := strings.TrimSpace(o.Devices) != ""
	cores := floorCores(o)
	cpuFloor := func() (float64, string, bool) {
		return work / (coreCeiling * float64(cores)), "auto on " + count.Noun(cores, "core"), name == "auto" && !listed
	}
	if name == "auto" && !listed && openCLUnanswered() != nil {
		// auto runs on simd without asking a driver that gpusim's cache
		// remembers as not answering (unasked): its floor, at once,
		// where the listing waited ListWait.
		return cpuFloor()
	}
	all, answered, err := devicesWithin()
	switch {
	case !answered:
		// A driver that did not answer in ListWait: MinTime's floor,
		// each device taken for a GPU, rather than wait on it.
		seconds, on = MinTime(name, o, work)
		return seconds, on, true
	case err != nil:
		return cpuFloor()
	}
	ds := all
	if listed {
		idx, why := parseDevices(o.Devices, len(all))
		if why != "" {
			return 0, "", false
		}
		ds = nil
		for _, i := range idx {
			if i >= len(all) {
				return 0, "", false
			}
			ds = append(ds, all[i])
		}
	} else if name != "auto" && len(all) > 0 {
		ds = all[max(gpu.PickDefault(), 0):][:1]
	}
	if len(ds) == 0 {
		return cpuFloor()
	}
	if name != "auto" {
		rate, on := devicesRate(ds)
		return work / rate, name + " on " + on, true
	}
	rate, on := coreCeiling*float64(cores), count.Noun(cores, "core")
	var gpus []gpu.DeviceDesc
	for _, d := range ds {
		if r, cpu := deviceRate(d); !cpu {
			gpus = append(gpus, d)
		} else if r > rate {
			rate, on = devicesRate([]gpu.DeviceDesc{d})
		}
	}
	if r, gpuOn := devicesRate(gpus[:min(len(gpus), allDevices)]); len(gpus) > 0 && r > rate {
		rate, on = r, gpuOn
	}
	return work / rate, "auto on " + on, true
}

// OpenMinTime is MinTime on the engine eng as Open or Auto opened it with
// o: on the devices it opened, each at the ceiling of its kind
// (deviceRate, as ListedMinTime), or on the CPU engine it is (auto's
// choice of simd, for --steps 0 or where no device is faster), with on
// naming eng ("simd on 2 cores"). --lanes 2^64-1 --steps 0 was floored at
// a device's 2e12 lane-steps per second (107 days) and ran for millennia
// on the simd auto chose.
func OpenMinTime(eng sim.Engine, o Options, work float64) (seconds float64, on string) {
	var ds []gpu.DeviceDesc
	switch e := eng.(type) {
	case *gpu.Multi:
		ds = e.Devices()
	case *gpu.Engine:
		ds = []gpu.DeviceDesc{e.Device()}
	default:
		return MinTime(eng.Name(), o, work)
	}
	rate, devOn := devicesRate(ds)
	return work / rate, eng.Name() + " on " + devOn
}

// deviceRate is the ceiling of OpenCL device d in lane-steps per second,
// and whether d computes on the machine's cores: a device whose types
// include CPU (pocl; Oclgrind's simulator, CPU|GPU|ACCELERATOR) at most
// coreCeiling a compute unit, as a CPU engine is; any other (a GPU, an
// accelerator) deviceCeiling.
func deviceRate(d gpu.DeviceDesc) (rate float64, cpu bool) {
	if slices.Contains(strings.Split(d.Type, "|"), "CPU") {
		return coreCeiling * float64(max(d.ComputeUnits, 1)), true
	}
	return deviceCeiling, false
}

// devicesRate is the ceiling of the devices ds together in lane-steps per
// second (deviceRate's, summed; a device listed twice counts once), and
// them in words by kind: "1 GPU", "2 GPUs and 1 CPU device with 4
// compute units", "1 accelerator".
func devicesRate(ds []gpu.DeviceDesc) (rate float64, on string) {
	seen := map[int]bool{}
	var gpus, accels, cpus, units int
	for _, d := range ds {
		if seen[d.Index] {
			continue
		}
		seen[d.Index] = true
		r, cpu := deviceRate(d)
		rate += r
		switch {
		case cpu:
			cpus++
			units += max(d.ComputeUnits, 1)
		case d.IsGPU():
			gpus++
		default:
			accels++
		}
	}
	var parts []string
	if gpus > 0 {
		parts = append(parts, count.Noun(gpus, "GPU"))
	}
	if accels > 0 {
		parts = append(parts, count.Noun(accels, "accelerator"))
	}
	if cpus > 0 {
		parts = append(parts, fmt.Sprintf("%s with %s", count.Noun(cpus, "CPU device"), count.Noun(units, "compute unit")))
	}
	return rate, strings.Join(parts, " and ")
}
