//go:build unix

package interrupt

import (
	"fmt"
	"math"
	"os"
	"sync/atomic"
	"syscall"

	"golang.org/x/sys/unix"
)

// ExitSIGXCPU is the exit status of a run stopped at the CPU time limit
// (ulimit -t): 128 + SIGXCPU's number, as a shell reports it.
const ExitSIGXCPU = 128 + int(syscall.SIGXCPU)

// cpuLimitSignals are the stop signals of the CPU time limit: SIGXCPU,
// which the kernel sends at the soft RLIMIT_CPU and every CPU second past
// it until the hard one, which ends the process with SIGKILL
// (setrlimit(2)). Go's runtime ignores SIGXCPU unless notified of it, so
// that a run went on past a soft limit (ulimit -St 2: 6 min of CPU time,
// and on to a hard limit's SIGKILL mid-write).
var cpuLimitSignals = []os.Signal{syscall.SIGXCPU}

// userCPULimit is the soft CPU time limit the process started with, in
// seconds, as CPUGrace found it (0: not read): the limit the user set.
var userCPULimit atomic.Uint64

// cpuLimitText says what SIGXCPU means, with the limit the user set
// (userCPULimit; else the hard limit, as the kernel raises the soft one a
// second at each SIGXCPU).
func cpuLimitText() string {
	limit := userCPULimit.Load()
	var rl unix.Rlimit
	if limit == 0 && unix.Getrlimit(unix.RLIMIT_CPU, &rl) == nil && uint64(rl.Max) != uint64(unix.RLIM_INFINITY) {
		limit = uint64(rl.Max) // int64 on the BSDs
	}
	if limit == 0 {
		return "CPU time limit exceeded (ulimit -t)"
	}
	return fmt.Sprintf("CPU time limit exceeded (ulimit -t %d: %d s of CPU time on all threads together)", limit, limit)
}

// CPUGrace makes the CPU time limit (ulimit -t, RLIMIT_CPU) a stop the
// process can take where its soft limit is its hard one, as a shell's
// ulimit -t sets them: the kernel then sends no SIGXCPU, only a SIGKILL at
// the limit, which ended a run mid-work without a word (exit 137). It
// lowers the soft limit below the hard one by the CPU time procs threads
// take in StopGrace, a second at least (at most half the limit), so that
// SIGXCPU comes first and the run stops as for any signal (NotifyContext)
// before the SIGKILL. The processes the program starts inherit the
// lowered soft limit. It does nothing more without a limit or where the
// soft one is already lower.
func CPUGrace(procs int) {
	var rl unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_CPU, &rl); err != nil || uint64(rl.Cur) == uint64(unix.RLIM_INFINITY) {
		return
	}
	userCPULimit.Store(uint64(rl.Cur))
	if rl.Cur < rl.Max {
		return
	}
	grace := uint64(math.Ceil(float64(max(procs, 1))*StopGrace.Seconds())) + 1
	grace = min(grace, uint64(rl.Max)/2)
	if grace == 0 {
		return
	}
	rl.Cur = less(rl.Max, grace)
	_ = unix.Setrlimit(unix.RLIMIT_CPU, &rl)
}

// less is x less d, in Rlimit's type (int64 on the BSDs).
func less[T int64 | uint64](x T, d uint64) T { return x - T(d) }
