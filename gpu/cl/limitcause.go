package cl

import (
	"errors"
	"fmt"
)

// LimitCause is err, a CL_OUT_OF_RESOURCES or CL_OUT_OF_HOST_MEMORY status
// (a launch's, a transfer's), as an *UnavailableError matching
// ErrEnvironment where the process runs under a limit that can cause it:
// an address-space limit (ulimit -v), under which a driver's host
// allocations fail, or a process limit (ulimit -u) that binds, under which
// its threads do not start. Its hint names the limit. It is nil for
// another error, or where no such limit is set: the device ran out of its
// own resources (a GPU's registers, a watchdog).
func LimitCause(err error) error {
	var ce *Error
	if !errors.As(err, &ce) || (ce.Code != codeOutOfResources && ce.Code != codeOutOfHostMemory) {
		return nil
	}
	out, what := "out of resources", "the device ran out of resources; "
	if ce.Code == codeOutOfHostMemory {
		out, what = "out of host memory", "the driver ran out of host memory; "
	}
	if limit, _, limited := addressSpace(); limited {
		return &UnavailableError{Kind: ErrEnvironment, Err: err,
			Cause: fmt.Sprintf("%s under the address-space limit (ulimit -v %d)", out, limit>>10), Hint: addressSpaceHint(what)}
	}
	if limit, used, limited := threadsFree(0); limited {
		return &UnavailableError{Kind: ErrEnvironment, Err: err,
			Cause: fmt.Sprintf("%s under the process limit (ulimit -u %d, the user's processes run %d threads)", out, limit, used),
			Hint:  fmt.Sprintf("%sthe process limit is the likely cause (it counts every thread of the user's processes): raise it or lift it (ulimit -u unlimited), or %s", what, useCPU)}
	}
	return nil
}
