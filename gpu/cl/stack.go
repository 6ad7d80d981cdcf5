package cl

import (
	"fmt"

	"github.com/gpusim/gpusim/internal/cachedir"
	"github.com/gpusim/gpusim/internal/sysmem"
)

// threadStack is sysmem.ThreadStack; tests replace it.
var threadStack = sysmem.ThreadStack

// The thread stacks (ulimit -s: glibc gives each thread the soft
// RLIMIT_STACK as the program started) under which a driver is not loaded,
// and a program not built from source: pocl 3.1 (LLVM 15), called on Go's
// threads, died of SIGSEGV on a stack that small, in C, where no recover()
// reaches ("signal arrived during cgo execution", exit 2, a page of Go's
// trace): gpusim devices under ulimit -s 64 every time (4 of 4) and ran
// under 80; a cold --engine opencl run and selftest under 128 and ran
// under 192, measured on 2 CPUs. Each is 3 to 5 times what ran, for other
// drivers and versions.
const (
	driverStack = 256 << 10
	buildStack  = 1 << 20
)

// ErrStack matches Load's error where the thread stacks the stack limit
// (ulimit -s) gives are too small to load a driver, checked before any
// library is opened. It matches ErrEnvironment.
var ErrStack = fmt.Errorf("%w: thread stacks too small under ulimit -s", ErrEnvironment)

// stackShort returns the error that stands in for loading a driver where
// the threads' stack (ulimit -s) is below driverStack, or nil.
func stackShort() error {
	stack := threadStack()
	if stack == 0 || stack >= driverStack {
		return nil
	}
	return &UnavailableError{Kind: ErrStack,
		Cause: fmt.Sprintf("OpenCL not loaded: the stack limit (ulimit -s %d) gives each thread %d KiB, under the %d KiB a driver may need as it loads (pocl died of SIGSEGV under ulimit -s 64)",
			stack>>10, stack>>10, driverStack>>10),
		Hint: fmt.Sprintf("raise it to ulimit -s %d or more (8192 is the usual default); or %s", buildStack>>10, useCPU)}
}

// buildStackShort returns the error that stands in for building a program
// from source where the threads' stack (ulimit -s) is below buildStack, or
// nil. A program loaded from gpusim's cache is not built.
func buildStackShort() error {
	stack := threadStack()
	if stack == 0 || stack >= buildStack {
		return nil
	}
	return &UnavailableError{Kind: ErrEnvironment,
		Cause: fmt.Sprintf("OpenCL program not built: the stack limit (ulimit -s %d) gives each thread %d KiB, under the %d KiB a driver's compiler may need (pocl's died of SIGSEGV under ulimit -s 128; a compiled program in gpusim's cache needs no compiler)",
			stack>>10, stack>>10, buildStack>>10),
		Hint: fmt.Sprintf("raise it to ulimit -s %d or more (8192 is the usual default) %s; or %s", buildStack>>10, firstRunClause(), useCPU)}
}

// firstRunClause says for which runs a limit must be raised to build the
// program: the first, where gpusim's cache keeps the compiled program for
// the runs after it; every run where the cache is off or has no folder
// (cachedir.Dir is ""), which the hint said nothing of, so that raising
// the limit once did not help.
func firstRunClause() string {
	if cachedir.Dir() == "" {
		return "for every run that builds it: gpusim's cache is off (GPUSIM_CACHE_DIR) and keeps no compiled program; set GPUSIM_CACHE_DIR to a folder and a first run without the limit stores it for the runs under it"
	}
	return "for the first run, which stores the compiled program in gpusim's cache (GPUSIM_CACHE_DIR)"
}
