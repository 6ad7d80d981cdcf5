package engines

import (
	"runtime"
	"testing"

	"github.com/gpusim/gpusim/internal/count"
)

// TestMinTime: the floor is the work at the ceiling of the engine asked
// for, on the cores or devices it would use; auto's is the faster of simd
// on every core and a device, as it may choose either.
func TestMinTime(t *testing.T) {
	const work = 1e12
	cores := runtime.GOMAXPROCS(0)
	for _, c := range []struct {
		name string
		o    Options
		secs float64
		on   string
	}{
		{"serial", Options{}, work / serialCeiling, "serial on 1 core"},
		{"simd", Options{Workers: 3}, work / (3 * coreCeiling), "simd on 3 cores"},
		{"parallel", Options{}, work / (float64(cores) * coreCeiling), "parallel on " + count.Noun(cores, "core")},
		{"opencl", Options{}, work / deviceCeiling, "opencl on 1 device"},
		{"opencl", Options{Devices: "0, 2"}, work / (2 * deviceCeiling), "opencl on 2 devices"},
		{"opencl", Options{Devices: " all"}, work / (allDevices * deviceCeiling), "opencl on 64 devices"},
		{"auto", Options{Workers: 1}, work / deviceCeiling, "auto on 1 device"},
		{"auto", Options{Workers: 1024}, work / (1024 * coreCeiling), "auto on 1024 cores"},
	} {
		secs, on := MinTime(c.name, c.o, work)
		if secs != c.secs || on != c.on {
			t.Errorf("MinTime(%s, %+v) = %g s on %q, want %g s on %q", c.name, c.o, secs, on, c.secs, c.on)
		}
	}
}
