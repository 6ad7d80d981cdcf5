package engines

import (
	"fmt"
	"runtime"
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
// faster than any measured.
const (
	serialCeiling = 2e8
	coreCeiling   = 2e9
	deviceCeiling = 2e12
	// allDevices is how many devices --device all is taken to be, so
	// that the floor needs no device enumeration before the run; once
	// the devices are open, they count (OpenDevices).
	allDevices = 64
)

// MinTime is a floor on the seconds engine name (auto included) takes for
// work lane-steps with o, at rates no machine reaches (2e8 lane-steps per
// second for serial, 2e9 a core for the others on the CPU, 2e12 a device:
// a few times those measured in docs/benchmarks.md), and the engine and
// resources it assumes ("simd on 2 cores", "opencl on 1 device"): auto
// may choose a device, so it is the faster of simd on the cores o.Workers
// can keep busy (GOMAXPROCS where 0; at most GOMAXPROCS and the CPUs the
// process may run on: --workers 1024 on 2 cores counted 1024, and a job of
// decades started without --timeout) and a device (a list's devices, 64
// for all); a device engine's devices are those o lists (1 by default). An
// unknown name is a CPU engine's.
func MinTime(name string, o Options, work float64) (seconds float64, on string) {
	cores := min(runtime.GOMAXPROCS(0), runtime.NumCPU())
	if o.Workers > 0 {
		cores = min(o.Workers, cores)
	}
	devices := 1
	if d := strings.TrimSpace(o.Devices); d == "all" {
		devices = allDevices
	} else if idx, err := ParseDevices(d, -1); d != "" && err == nil {
		devices = len(idx)
	}
	cpuRate, cpuOn := coreCeiling*float64(cores), fmt.Sprintf("%s on %s", name, count.Noun(cores, "core"))
	devRate, devOn := deviceCeiling*float64(devices), fmt.Sprintf("%s on %s", name, count.Noun(devices, "device"))
	e, _ := Lookup(name)
	switch {
	case name == "serial":
		return work / serialCeiling, "serial on 1 core"
	case name == "auto":
		if devRate > cpuRate {
			return work / devRate, "auto on " + count.Noun(devices, "device")
		}
		return work / cpuRate, "auto on " + count.Noun(cores, "core")
	case e.Devices != nil:
		return work / devRate, devOn
	}
	return work / cpuRate, cpuOn
}

// OpenDevices is the number of devices eng, opened by the registry, runs
// on: a gpu.Multi's, 1 for one OpenCL device, 0 for a CPU engine. With it
// a floor taken before the run for --device all (64 devices) can be taken
// again for the devices there are, once they are open.
func OpenDevices(eng sim.Engine) int {
	switch e := eng.(type) {
	case *gpu.Multi:
		return e.DeviceCount()
	case *gpu.Engine:
		return 1
	}
	return 0
}
