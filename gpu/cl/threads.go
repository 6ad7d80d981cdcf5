package cl

import (
	"fmt"
	"runtime"

	"github.com/gpusim/gpusim/internal/threads"
)

// ErrThreads matches Load's error where the process limit (RLIMIT_NPROC,
// ulimit -u) leaves the user too few threads to load a driver and open a
// device, checked before any library is opened. The driver may well be
// installed: it matches ErrEnvironment, not ErrNoLibrary or ErrNoPlatform.
var ErrThreads = fmt.Errorf("%w: too few threads under ulimit -u", ErrEnvironment)

// Test hooks: threads.Free and threads.Self.
var (
	threadsFree = threads.Free
	threadsSelf = threads.Self
)

// driverSpareThreads is the threads a driver starts beyond one per CPU:
// pocl 3.1's CPU device starts a worker per CPU (pthread_scheduler_init)
// as its platform is first asked for, and aborts the process when one
// cannot start ("PTHREAD ERROR in pthread_scheduler_init():130: Resource
// temporarily unavailable (11)", exit 134, no word of the limit), as
// --engine opencl did on 2 CPUs with GOMAXPROCS=2 under ulimit -u 9 and 10
// (4 of 5 and 2 of 5 runs) where it ran under 11. The 2 more are for a
// GPU driver's own threads, not measured.
const driverSpareThreads = 2

// DriverThreads is the threads Load expects loading a driver and opening a
// device to start on this machine: one per CPU (runtime.NumCPU), as pocl
// starts, and driverSpareThreads.
func DriverThreads() uint64 {
	return uint64(max(numCPU(), 1)) + driverSpareThreads
}

// threadsShort returns the error that stands in for loading OpenCL when
// the process limit (ulimit -u) leaves the user fewer threads than the
// driver's (DriverThreads) and those Go's runtime may start yet
// (threads.GoNeed at this GOMAXPROCS), or nil: a driver or Go's runtime
// that cannot start a thread aborts the process in C, where no recover()
// reaches.
func threadsShort() error {
	goNeed := threads.GoNeed(runtime.GOMAXPROCS(0), threadsSelf())
	need := DriverThreads() + goNeed
	limit, used, room, short := threads.Short(threadsFree, need)
	if !short {
		return nil
	}
	return &UnavailableError{Kind: ErrThreads,
		Cause: fmt.Sprintf("OpenCL not loaded: the process limit (ulimit -u %d) leaves %d threads free (the user's processes run %d), and loading a driver and opening a device starts about %d here (pocl one per CPU, %d CPUs, and %d more) beside the %d more Go's runtime may start",
			limit, room, used, DriverThreads(), max(numCPU(), 1), driverSpareThreads, goNeed),
		Hint: fmt.Sprintf("raise it to ulimit -u %d or more (it counts every thread of the user's processes) or lift it (ulimit -u unlimited); or "+useCPU, used+need)}
}
