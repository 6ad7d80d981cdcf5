package interrupt

import (
	"math"
	"os"

	"golang.org/x/sys/unix"
)

// systemTasks is the number of the system's threads, from sysinfo(2)
// (its procs field, 16 bits: false where it is full, or on an error).
func systemTasks() (uint64, bool) {
	var si unix.Sysinfo_t
	if unix.Sysinfo(&si) != nil || si.Procs == math.MaxUint16 {
		return 0, false
	}
	return uint64(si.Procs), true
}

// earlyThreadsMargin is the threads below the process limit that
// threadsRoomEarly wants free: Go's runtime at its start and the one
// signal.Notify may add take a handful.
const earlyThreadsMargin = 64

// threadsRoomEarly says whether the limits surely leave room for a
// thread: no limit on the address space or data (ulimit -v, -d), and the
// process limit (RLIMIT_NPROC) judged without opening a file (the first
// starts Go's poller, which under ulimit -n 6 died before gpusim could
// say why): no limit, root (whom the kernel lets past it, as
// threads.Free), or all the system's threads (systemTasks) at least
// earlyThreadsMargin below it.
func threadsRoomEarly() bool {
	var rl unix.Rlimit
	for _, r := range []int{unix.RLIMIT_AS, unix.RLIMIT_DATA} {
		// Under ulimit -v (or -d) a thread's stack may not fit before
		// sysmem.RestartForLimit has made room (fakecgo: pthread_create
		// failed: 11, as Go's runtime started, in TestOpenCLLimitHint).
		if unix.Getrlimit(r, &rl) != nil || uint64(rl.Cur) != uint64(unix.RLIM_INFINITY) {
			return false
		}
	}
	if unix.Getrlimit(unix.RLIMIT_NPROC, &rl) != nil {
		return false
	}
	if uint64(rl.Cur) == uint64(unix.RLIM_INFINITY) || os.Getuid() == 0 {
		return true
	}
	n, ok := systemTasks()
	return ok && uint64(rl.Cur) > earlyThreadsMargin && n < uint64(rl.Cur)-earlyThreadsMargin
}
