package gpu

import (
	"errors"
	"strings"
	"testing"

	"github.com/gpusim/gpusim/gpu/cl"
)

// TestBuildOptions checks the option sets chosen for devices this machine
// may not have; it needs no OpenCL.
func TestBuildOptions(t *testing.T) {
	cpu := cl.DeviceInfo{Name: "cpu", Type: "CPU", FP64: true, CorrectlyRoundedSqrt: true, LocalMemBytes: 1 << 20, NativeVectorWidthFloat: 16}
	gpu := cl.DeviceInfo{Name: "gpu", Type: "GPU", FP64: true, CorrectlyRoundedSqrt: true, LocalMemBytes: 48 << 10, NativeVectorWidthFloat: 1}
	nosqrt := gpu
	nosqrt.CorrectlyRoundedSqrt = false
	bare := nosqrt
	bare.FP64 = false
	for _, c := range []struct {
		in       cl.DeviceInfo
		fast     bool
		has, not []string
		err      error
	}{
		{cpu, false, []string{"-DVW=16", "-DACC_DOUBLE", "-cl-fp32-correctly-rounded-divide-sqrt", "-DWIDE_MULHI", "-DLOCAL_HIST", "-DHIST_SERIAL", "-DDAILY_SERIAL"}, []string{"FAST", "SQRT_DOUBLE", "relaxed"}, nil},
		{gpu, false, []string{"-DVW=1 ", "-DACC_DOUBLE", "-cl-fp32-correctly-rounded-divide-sqrt", "-DLOCAL_HIST"}, []string{"WIDE_MULHI", "SQRT_DOUBLE", "DAILY_SERIAL", "HIST_SERIAL"}, nil},
		{nosqrt, false, []string{"-DSQRT_DOUBLE"}, []string{"correctly-rounded"}, nil},
		{bare, false, nil, nil, ErrInexactDevice},
		{bare, true, []string{"-DFAST_MATH", "-cl-fast-relaxed-math"}, []string{"ACC_DOUBLE"}, nil},
	} {
		e := &Engine{desc: DeviceDesc{DeviceInfo: c.in, VectorWidth: autoVectorWidth(c.in)}, fast: c.fast, fp64: c.in.FP64}
		e.vw = e.desc.VectorWidth
		o, err := e.buildOptions()
		if !errors.Is(err, c.err) {
			t.Errorf("%s fast %v: error %v, want %v", c.in.Name, c.fast, err, c.err)
			continue
		}
		o += " "
		for _, s := range c.has {
			if !strings.Contains(o, s) {
				t.Errorf("%s fast %v: options %q lack %q", c.in.Name, c.fast, o, s)
			}
		}
		for _, s := range c.not {
			if strings.Contains(o, s) {
				t.Errorf("%s fast %v: options %q have %q", c.in.Name, c.fast, o, s)
			}
		}
	}
}

func TestAutoVectorWidth(t *testing.T) {
	for _, c := range []struct {
		typ          string
		native, pref int
		want         int
	}{{"GPU", 1, 1, 1}, {"GPU", 4, 4, 1}, {"CPU", 16, 16, 16}, {"CPU", 8, 8, 8}, {"CPU", 4, 4, 4}, {"CPU", 0, 3, 2}, {"ACCELERATOR", 32, 32, 16}, {"CPU", 0, 0, 1}} {
		if got := autoVectorWidth(cl.DeviceInfo{Type: c.typ, NativeVectorWidthFloat: c.native, PreferredVectorWidthFloat: c.pref}); got != c.want {
			t.Errorf("%s native %d preferred %d: width %d, want %d", c.typ, c.native, c.pref, got, c.want)
		}
	}
}
