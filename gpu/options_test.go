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

// TestGPUNotCPU checks which device types gpusim prefers as GPUs: a device
// that also claims CPU (Oclgrind's simulator: CPU|GPU|ACCELERATOR) keeps
// the GPU layout but is not picked over others as a GPU (a fresh user's
// auto measured only Oclgrind, for a minute, and left pocl out).
func TestGPUNotCPU(t *testing.T) {
	for _, c := range []struct {
		typ          string
		layout, pick bool
	}{{"GPU", true, true}, {"CPU|GPU|ACCELERATOR", true, false}, {"CPU", false, false}, {"ACCELERATOR", false, false}, {"GPU|ACCELERATOR", true, true}, {"GPU|DEFAULT", true, true}} {
		d := DeviceDesc{DeviceInfo: cl.DeviceInfo{Type: c.typ}}
		if d.IsGPU() != c.layout || d.GPUNotCPU() != c.pick {
			t.Errorf("%s: IsGPU %v GPUNotCPU %v, want %v %v", c.typ, d.IsGPU(), d.GPUNotCPU(), c.layout, c.pick)
		}
	}
}

// TestPickDefault checks the device --device defaults to: a GPU, else a
// device of one type, so that pocl is taken before Oclgrind's simulator
// when both are installed (a fresh user's `--engine opencl` ran on the
// simulator).
func TestPickDefault(t *testing.T) {
	dev := func(i int, typ string) DeviceDesc { return DeviceDesc{Index: i, DeviceInfo: cl.DeviceInfo{Type: typ}} }
	for _, c := range []struct {
		ds   []DeviceDesc
		want int
	}{
		{[]DeviceDesc{dev(0, "CPU|GPU|ACCELERATOR"), dev(1, "CPU")}, 1},
		{[]DeviceDesc{dev(0, "CPU"), dev(1, "CPU|GPU|ACCELERATOR"), dev(2, "GPU")}, 2},
		{[]DeviceDesc{dev(0, "CPU|GPU|ACCELERATOR")}, -1},
		{nil, -1},
	} {
		if got := pickDefault(c.ds); got != c.want {
			t.Errorf("devices %v: default %d, want %d", c.ds, got, c.want)
		}
	}
}
