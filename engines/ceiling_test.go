package engines

import (
	"fmt"
	"runtime"
	"strconv"
	"testing"

	"github.com/gpusim/gpusim/cpu"
	"github.com/gpusim/gpusim/gpu"
	"github.com/gpusim/gpusim/gpu/cl"
	"github.com/gpusim/gpusim/gpu/cl/cltest"
	"github.com/gpusim/gpusim/internal/count"
	"github.com/gpusim/gpusim/sim"
)

// TestMinTime: the floor is the work at the ceiling of the engine asked
// for, on the cores or devices it would use; auto's is the faster of simd
// on every core and a device, as it may choose either. Workers or a
// GOMAXPROCS past the CPUs are not more cores: --workers 1024 on 2 CPUs
// counted 1024, and a job of decades ran without --timeout.
func TestMinTime(t *testing.T) {
	const work = 1e12
	cores := runtime.NumCPU()
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(4 * cores)) // oversubscribed
	one := min(3, cores)
	for _, c := range []struct {
		name string
		o    Options
		secs float64
		on   string
	}{
		{"serial", Options{}, work / serialCeiling, "serial on 1 core"},
		{"simd", Options{Workers: 1}, work / coreCeiling, "simd on 1 core"},
		{"simd", Options{Workers: 3}, work / (float64(one) * coreCeiling), "simd on " + count.Noun(one, "core")},
		{"parallel", Options{}, work / (float64(cores) * coreCeiling), "parallel on " + count.Noun(cores, "core")},
		{"parallel", Options{Workers: 1024}, work / (float64(cores) * coreCeiling), "parallel on " + count.Noun(cores, "core")},
		{"opencl", Options{}, work / deviceCeiling, "opencl on 1 device taken for a GPU"},
		{"opencl", Options{Devices: "0, 2"}, work / (2 * deviceCeiling), "opencl on 2 devices taken for GPUs"},
		{"opencl", Options{Devices: " all"}, work / (allDevices * deviceCeiling), "opencl on 64 devices taken for GPUs"},
		{"auto", Options{Workers: 1}, work / deviceCeiling, "auto on 1 device taken for a GPU"},
		{"auto", Options{Workers: 1024}, work / deviceCeiling, "auto on 1 device taken for a GPU"},
	} {
		secs, on := MinTime(c.name, c.o, work)
		if secs != c.secs || on != c.on {
			t.Errorf("MinTime(%s, %+v) = %g s on %q, want %g s on %q", c.name, c.o, secs, on, c.secs, c.on)
		}
	}
}

// TestSimdRunCores: auto's cost model counts the cores simd's run keeps
// busy: not --workers past the CPUs or GOMAXPROCS (--workers 64 on 2 CPUs
// made a job of 0.9 s "a small job (about 31 ms)", no device considered),
// and one for a job of one block of lanes (1e3 lanes counted every core).
func TestSimdRunCores(t *testing.T) {
	old := cpuLimit
	cpuLimit = func() (float64, bool) { return 0, false }
	t.Cleanup(func() { cpuLimit = old })
	cpus := runtime.NumCPU()
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(4 * cpus))
	for _, c := range []struct {
		workers int
		lanes   uint64
		want    float64
	}{
		{64, 2e7, float64(cpus)},
		{0, 2e7, float64(cpus)},
		{1, 2e7, 1},
		{0, 1000, 1},
	} {
		if got := simdRunCores(cpu.SIMD{Workers: c.workers}, c.lanes, 10); got != c.want {
			t.Errorf("--workers %d, %d lanes: %g cores, want %g", c.workers, c.lanes, got, c.want)
		}
	}
}

// TestDevicesRate: an OpenCL device's ceiling is its kind's: one that
// computes on the machine's cores (pocl's CPU device, Oclgrind's
// CPU|GPU|ACCELERATOR) 2e9 lane-steps/s a compute unit, as a core of simd,
// a GPU or an accelerator 2e12, a device listed twice once. pocl had been
// floored as a GPU: --engine opencl --lanes 2^64-1 --steps 1, centuries
// there, was let through as 107 days.
func TestDevicesRate(t *testing.T) {
	desc := func(index int, typ string, units int) gpu.DeviceDesc {
		return gpu.DeviceDesc{Index: index, DeviceInfo: cl.DeviceInfo{Type: typ, ComputeUnits: units}}
	}
	pocl, h200, h200b := desc(0, "CPU", 2), desc(1, "GPU", 132), desc(2, "GPU", 132)
	for _, c := range []struct {
		ds   []gpu.DeviceDesc
		rate float64
		on   string
	}{
		{[]gpu.DeviceDesc{pocl}, 2 * coreCeiling, "1 CPU device with 2 compute units"},
		{[]gpu.DeviceDesc{pocl, pocl}, 2 * coreCeiling, "1 CPU device with 2 compute units"},
		{[]gpu.DeviceDesc{desc(0, "CPU|GPU|ACCELERATOR", 1)}, coreCeiling, "1 CPU device with 1 compute unit"},
		{[]gpu.DeviceDesc{h200}, deviceCeiling, "1 GPU"},
		{[]gpu.DeviceDesc{h200, h200b}, 2 * deviceCeiling, "2 GPUs"},
		{[]gpu.DeviceDesc{desc(0, "ACCELERATOR", 8)}, deviceCeiling, "1 accelerator"},
		{[]gpu.DeviceDesc{h200, pocl, desc(3, "CPU", 16)}, deviceCeiling + 18*coreCeiling, "1 GPU and 2 CPU devices with 18 compute units"},
	} {
		if rate, on := devicesRate(c.ds); rate != c.rate || on != c.on {
			t.Errorf("devicesRate(%+v) = %g on %q, want %g on %q", c.ds, rate, on, c.rate, c.on)
		}
	}
}

// TestOpenMinTime: once open, a job is floored on what it runs on: the CPU
// engine auto chose (simd for --steps 0, where --lanes 2^64-1 had been
// floored at a device's 2e12 and ran for millennia) at its cores' ceiling.
func TestOpenMinTime(t *testing.T) {
	const work = 1e12
	for _, c := range []struct {
		eng  sim.Engine
		o    Options
		secs float64
		on   string
	}{
		{cpu.Serial{}, Options{}, work / serialCeiling, "serial on 1 core"},
		{cpu.SIMD{Workers: 1}, Options{Workers: 1}, work / coreCeiling, "simd on 1 core"},
		{cpu.Parallel{Workers: 1}, Options{Workers: 1}, work / coreCeiling, "parallel on 1 core"},
	} {
		if secs, on := OpenMinTime(c.eng, c.o, work); secs != c.secs || on != c.on {
			t.Errorf("OpenMinTime(%s, %+v) = %g s on %q, want %g s on %q", c.eng.Name(), c.o, secs, on, c.secs, c.on)
		}
	}
}

// TestListedMinTime: with the devices here listed, a device engine is
// floored at its devices' kinds (pocl's CPU device at 2e9 lane-steps/s a
// compute unit, not a GPU's 2e12) and auto at the fastest of the cores,
// each device and the GPUs together; a CPU engine's floor is MinTime's.
func TestListedMinTime(t *testing.T) {
	const work = 1e12
	ds, err := gpu.Devices()
	if err != nil {
		cltest.Unavailable(t, err)
	}
	if got, want := fmt.Sprint(ListedMinTime("simd", Options{}, work)), fmt.Sprint(MinTime("simd", Options{}, work)); got != want {
		t.Errorf("simd: %s, want MinTime's %s", got, want)
	}
	cores := floorCores(Options{})
	best, bestOn := coreCeiling*float64(cores), count.Noun(cores, "core")
	var gpus []gpu.DeviceDesc
	for i, d := range ds {
		rate, on := devicesRate(ds[i : i+1])
		secs, gotOn := ListedMinTime("opencl", Options{Devices: strconv.Itoa(i)}, work)
		if secs != work/rate || gotOn != "opencl on "+on {
			t.Errorf("opencl on %s: %g s on %q, want %g s on %q", d, secs, gotOn, work/rate, "opencl on "+on)
		}
		if _, cpu := deviceRate(d); !cpu {
			gpus = append(gpus, d)
		} else if rate > best {
			best, bestOn = rate, on
		}
	}
	if rate, on := devicesRate(gpus); rate > best {
		best, bestOn = rate, on
	}
	def := strconv.Itoa(max(gpu.PickDefault(), 0))
	if got, want := fmt.Sprint(ListedMinTime("opencl", Options{}, work)), fmt.Sprint(ListedMinTime("opencl", Options{Devices: def}, work)); got != want {
		t.Errorf("opencl on the default device: %s, want device %s's %s", got, def, want)
	}
	if secs, on := ListedMinTime("auto", Options{}, work); secs != work/best || on != "auto on "+bestOn {
		t.Errorf("auto: %g s on %q, want %g s on %q", secs, on, work/best, "auto on "+bestOn)
	}
}
