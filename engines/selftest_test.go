package engines

import (
	"errors"
	"fmt"
	"strings"
	"syscall"
	"testing"

	"github.com/gpusim/gpusim/gpu"
	"github.com/gpusim/gpusim/gpu/cl"
)

// TestCheckedSelfTestHint: a device whose self-test job did not run (its
// launch ran out of the device's resources) is reported with the error
// (SelfTest.Err), whose hint gpusim selftest prints: the report had the
// check's note, the error as text, and no hint; and its failure says no
// "(got , want )" of values it does not have. A check that ran and failed
// has the self-test's error, whose hint names the drivers' settings.
func TestCheckedSelfTestHint(t *testing.T) {
	fail := fmt.Errorf("opencl: launch 1003 lanes: %w", &cl.Error{Code: -5, Op: "clEnqueueNDRangeKernel"})
	st := &gpu.SelfTest{Label: "pthread", Checks: []gpu.Check{{Name: "philox/random123-kat", Status: gpu.CheckPass},
		{Name: "job/plain", Status: gpu.CheckFail, Note: "the job did not run, so it has no got or want: " + fail.Error(), Err: fail}}}
	r := checkedSelfTest(2, gpu.DeviceDesc{DeviceInfo: cl.DeviceInfo{DriverVersion: "6.0"}}, st)
	if want := "device 2 failed job/plain: the job did not run, so it has no got or want: opencl: launch 1003 lanes: clEnqueueNDRangeKernel: CL_OUT_OF_RESOURCES (-5)"; r.OK || r.Failed != want {
		t.Errorf("ok %v, failed %q; want %q", r.OK, r.Failed, want)
	}
	if h := Hint(r.Err); !strings.Contains(h, "the device ran out of resources") {
		t.Errorf("hint %q, want the launch's", h)
	}
	st.Checks[1] = gpu.Check{Name: "normals/sample", Status: gpu.CheckFail, Got: "0x3f800000", Want: "0x3f800001"}
	r = checkedSelfTest(2, gpu.DeviceDesc{}, st)
	if want := "device 2 failed normals/sample (got 0x3f800000, want 0x3f800001)"; r.Failed != want {
		t.Errorf("failed %q, want %q", r.Failed, want)
	}
	// A check that ran and failed has the error Open refuses the device
	// with, for its hint (the drivers' settings, a CPU engine), less the
	// report it is part of: it had none, and no hint.
	var ste *gpu.SelfTestError
	if !errors.As(r.Err, &ste) || ste.Index != 2 || ste.Check.Name != "normals/sample" {
		t.Fatalf("error %#v, want a *gpu.SelfTestError of device 2's normals/sample", r.Err)
	}
	if h := Hint(r.Err); !strings.Contains(h, "run on a CPU engine") || strings.Contains(h, "full report") {
		t.Errorf("hint %q, want a CPU engine's and no word of the report", h)
	}
}

// TestCheckedSelfTestNotRun: a check the environment kept from running (the
// program without the daily kernels under a file-size limit, ulimit -f) is
// not a failure of the device: the report says it could not run, and why,
// with the cause's hint; not ok, and no failure named.
func TestCheckedSelfTestNotRun(t *testing.T) {
	cause := &cl.UnavailableError{Kind: cl.ErrEnvironment, Cause: "pocl cannot build the program under the file-size limit of 8.19 kB", Hint: "raise the limit"}
	st := &gpu.SelfTest{Label: "pthread", Checks: []gpu.Check{{Name: "philox/random123-kat", Status: gpu.CheckPass},
		{Name: "plain-program/open", Status: gpu.CheckNotRun, Note: "could not run: " + cause.Error(), Err: cause}}}
	r := checkedSelfTest(0, gpu.DeviceDesc{}, st)
	if want := "device 0 could not run plain-program/open: " + cause.Error(); r.OK || r.Failed != "" || r.NotRun != want || r.Err != error(cause) {
		t.Errorf("ok %v, failed %q, not run %q, err %v; want not ok, no failure, not run %q", r.OK, r.Failed, r.NotRun, r.Err, want)
	}
	if !strings.Contains(r.Text, "not-run  plain-program/open (could not run: pocl cannot build") {
		t.Errorf("text %q, want the check not run, and why", r.Text)
	}
	for _, c := range []struct {
		err  error
		want bool
	}{
		{fmt.Errorf("open: %w", cause), true},
		{fmt.Errorf("write: %w", syscall.ENOSPC), true},
		{fmt.Errorf("write: %w", syscall.EFBIG), true},
		{&cl.Error{Code: -6, Op: "clCreateContext"}, true}, // CL_OUT_OF_HOST_MEMORY
		{&cl.Error{Code: -5, Op: "clEnqueueNDRangeKernel"}, false},
		{&gpu.SelfTestError{Check: gpu.Check{Name: "open"}}, false},
		{errors.New("build failed"), false},
	} {
		if got := gpu.EnvironmentCause(c.err); got != c.want {
			t.Errorf("EnvironmentCause(%v) = %v, want %v", c.err, got, c.want)
		}
	}
}
