package engines

import (
	"runtime"
	"testing"

	"github.com/gpusim/gpusim/cpu"
	"github.com/gpusim/gpusim/internal/count"
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
		{"opencl", Options{}, work / deviceCeiling, "opencl on 1 device"},
		{"opencl", Options{Devices: "0, 2"}, work / (2 * deviceCeiling), "opencl on 2 devices"},
		{"opencl", Options{Devices: " all"}, work / (allDevices * deviceCeiling), "opencl on 64 devices"},
		{"auto", Options{Workers: 1}, work / deviceCeiling, "auto on 1 device"},
		{"auto", Options{Workers: 1024}, work / deviceCeiling, "auto on 1 device"},
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
