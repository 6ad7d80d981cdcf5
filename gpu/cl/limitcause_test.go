package cl

import (
	"errors"
	"strings"
	"testing"
)

// TestLimitCause: a launch out of resources or of host memory under an
// address-space or process limit is the environment's (ErrEnvironment),
// its hint naming the limit; without a limit, or another status, it is
// the device's (nil).
func TestLimitCause(t *testing.T) {
	oldA, oldF := addressSpace, threadsFree
	defer func() { addressSpace, threadsFree = oldA, oldF }()
	noThreads := func(uint64) (uint64, uint64, bool) { return 0, 0, false }
	res := &Error{Code: -5, Op: "clEnqueueNDRangeKernel"}
	host := &Error{Code: -6, Op: "clEnqueueReadBuffer"}

	addressSpace, threadsFree = func() (uint64, uint64, bool) { return 0, 0, false }, noThreads
	for _, err := range []error{res, host, &Error{Code: -4, Op: "clCreateBuffer"}} {
		if got := LimitCause(err); got != nil {
			t.Errorf("no limit: LimitCause(%v) = %v, want nil", err, got)
		}
	}

	addressSpace = func() (uint64, uint64, bool) { return 1800000 << 10, 1700000 << 10, true }
	got := LimitCause(res)
	want := "out of resources under the address-space limit (ulimit -v 1800000): clEnqueueNDRangeKernel: CL_OUT_OF_RESOURCES (-5)"
	if !errors.Is(got, ErrEnvironment) || !errors.Is(got, res) || got.Error() != want || !strings.Contains(HintFor(got), "the address-space limit (ulimit -v 1800000") {
		t.Errorf("ulimit -v: LimitCause = %v (hint %q), want %q matching ErrEnvironment, its hint naming the limit", got, HintFor(got), want)
	}
	if got := LimitCause(&Error{Code: -11, Op: "clBuildProgram"}); got != nil {
		t.Errorf("ulimit -v: LimitCause(a build's failure) = %v, want nil", got)
	}

	addressSpace = func() (uint64, uint64, bool) { return 0, 0, false }
	threadsFree = func(uint64) (uint64, uint64, bool) { return 40, 38, true }
	got = LimitCause(host)
	want = "out of host memory under the process limit (ulimit -u 40, the user's processes run 38 threads): clEnqueueReadBuffer: CL_OUT_OF_HOST_MEMORY (-6)"
	if !errors.Is(got, ErrEnvironment) || got.Error() != want || !strings.Contains(HintFor(got), "ulimit -u unlimited") {
		t.Errorf("ulimit -u: LimitCause = %v (hint %q), want %q matching ErrEnvironment, its hint naming the limit", got, HintFor(got), want)
	}
}
