//go:build unix

package interrupt

import (
	"fmt"
	"math"
	"os"
	"strconv"
	"sync/atomic"
	"syscall"
	"time"

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

// cpuBeat is how often, at most, the watch WatchCPU starts reads the
// process's CPU time; it wakes sooner as the time left before its stop
// shrinks, every cpuReact at the soonest.
const cpuBeat = 100 * time.Millisecond

// cpuReact is the least the watch sleeps, and the least grace of the
// forced exit after its stop.
const cpuReact = 10 * time.Millisecond

// CPUStopGrace is StopGrace for a stop at the CPU time limit while
// WatchCPU watches: the forced exit comes this long after the stop, or
// sooner where less CPU time is left at the rate the process runs, so
// that the stop's CPU time fits below the hard limit.
const CPUStopGrace = 200 * time.Millisecond

// cpuWatching is set once WatchCPU has started its watch (once per
// process); cpuGrace is the forced exit's grace its stop set (0: none
// yet).
var (
	cpuWatching atomic.Bool
	cpuGrace    atomic.Int64
)

// cpuSlack is the CPU time WatchCPU keeps below the hard limit beyond its
// stop's grace, on cpus CPUs: a beat's worth for the exit itself
// (removing temporary files, the message), and cpuReact on every CPU for
// a wake that comes late or a stop whose grace cannot be shorter.
func cpuSlack(cpus int) time.Duration {
	return cpuBeat + time.Duration(max(cpus, 1))*cpuReact
}

// CPULimitError is a CPU time limit (ulimit -t) too small for a run:
// what is left of it after the process's CPU time so far is under what a
// stop on one CPU needs (cpuSlack, CPUStopGrace) and a beat of work
// (cpuBeat), so that the run would be stopped before it did any, or
// killed.
type CPULimitError struct {
	Limit uint64        // the hard RLIMIT_CPU, in seconds
	Used  time.Duration // the process's CPU time when it was checked
	Need  time.Duration // the CPU time a run needs left: a stop's and a beat's
	CPUs  int           // the CPUs the process may run on at once
}

func (e *CPULimitError) Error() string {
	least := uint64(math.Ceil((e.Used + e.Need).Seconds()))
	return fmt.Sprintf("the CPU time limit (ulimit -t %d: %d s of CPU time on all threads together, %s of it used before the run) leaves less than the %s a run on %d CPUs needs to work and stop before the kernel's SIGKILL at the limit: raise it to ulimit -t %d or more",
		e.Limit, e.Limit, cpuSeconds(e.Used), cpuSeconds(e.Need), e.CPUs, least)
}

// cpuSeconds writes d to the hundredth of a second in seconds, as the
// limit beside it is written (0.04 s, 1.3 s): the message read "1 s of
// CPU time ..., 40ms of it used ... less than the 1.3s a run needs".
func cpuSeconds(d time.Duration) string {
	// One division, correctly rounded: Seconds' two roundings can leave
	// a binary tail (jsonnum.Seconds).
	return strconv.FormatFloat(float64(d.Round(10*time.Millisecond))/1e9, 'f', -1, 64) + " s"
}

// cpuCheck is the check of WatchCPU: a *CPULimitError where a hard limit
// of hard seconds, used so far, leaves less than a run on cpus CPUs needs.
func cpuCheck(hard uint64, used time.Duration, cpus int) error {
	need := cpuSlack(cpus) + CPUStopGrace + cpuBeat
	if limitTime(hard)-used < need {
		return &CPULimitError{Limit: hard, Used: used, Need: need, CPUs: max(cpus, 1)}
	}
	return nil
}

// limitTime is hard seconds as a Duration, capped where they are more.
func limitTime(hard uint64) time.Duration {
	return time.Duration(min(hard, uint64(math.MaxInt64/time.Second))) * time.Second
}

// processCPU is the process's CPU time, all threads together, as
// RLIMIT_CPU counts it: clockCPU where the system has the clock, rusageCPU
// elsewhere (processcpu_clock.go, processcpu_rusage.go); a variable for
// tests.
var processCPU = systemCPU

// rusageCPU is the process's user and system CPU time (getrusage(2),
// RUSAGE_SELF), which every unix system has, and what RLIMIT_CPU counts;
// 0 where the call fails. It is the CPU time where CLOCK_PROCESS_CPUTIME_ID
// is missing: NetBSD's and AIX's in x/sys, whose reference to it kept
// gpusim from building there.
func rusageCPU() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// WatchCPU stops the process before the hard CPU time limit (ulimit -t,
// RLIMIT_CPU) kills it with SIGKILL, where the kernel's SIGXCPU at the
// soft limit (CPUGrace) cannot come in time: under ulimit -t 1, whose
// soft limit cannot be lowered (the kernel counts it in whole seconds),
// or a soft limit the user set too close to the hard one for a stop
// (ulimit -St 9 -Ht 10 on 64 busy CPUs). A goroutine reads the process's
// CPU time every 100 ms, sooner as the limit nears (cpuStep), and where
// what is left is what its stop takes at the rate it runs (CPUStopGrace
// on each busy CPU, and cpuSlack) sends the process SIGXCPU, which
// NotifyContext takes as the CPU limit's stop, with its message and exit
// status (ExitSIGXCPU) and a forced exit after CPUStopGrace or sooner;
// it sends it again each beat after, as the kernel does, in case the
// first came before NotifyContext. cpus says how many CPUs the process
// may run on at once (its affinity, its cgroup's limit): the most CPU time
// it takes per second of wall time; it is called only under a hard limit,
// as it may read files, and this runs before the stop signals' handlers
// are installed. It returns a *CPULimitError, and starts
// nothing, where the limit leaves too little for a run (cpuCheck): the
// command is then refused before it starts. It does nothing without a
// hard limit, or once a watch has started.
func WatchCPU(cpus func() int) error {
	var rl unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_CPU, &rl); err != nil || uint64(rl.Max) == uint64(unix.RLIM_INFINITY) {
		return nil
	}
	n := max(cpus(), 1)
	if err := cpuCheck(uint64(rl.Max), processCPU(), n); err != nil {
		return err
	}
	if !cpuWatching.CompareAndSwap(false, true) {
		return nil
	}
	go watchCPU(limitTime(uint64(rl.Max)), n)
	return nil
}

// watchCPU is WatchCPU's goroutine under a hard limit of limit.
func watchCPU(limit time.Duration, cpus int) {
	used, at := processCPU(), time.Now()
	rate := 1.0
	for {
		sleep, grace, stop := cpuStep(limit, used, rate, cpus)
		if stop {
			cpuGrace.Store(int64(grace))
			_ = unix.Kill(unix.Getpid(), unix.SIGXCPU)
		}
		time.Sleep(sleep)
		u, t := processCPU(), time.Now()
		if dt := t.Sub(at); dt > 0 {
			rate = min(max(float64(u-used)/float64(dt), 1), float64(cpus))
		}
		used, at = u, t
	}
}

// cpuStep is one beat of the watch under a hard limit of limit, used so
// far, at rate busy CPUs (1 to cpus, over the last beat): stop where what
// is left beyond cpuSlack is what rate CPUs take in CPUStopGrace or less,
// with the forced exit's grace the time they take to spend it (cpuReact
// at least); else sleep until, at cpus CPUs busy (a run that starts its
// workers), the process could have reached that point, a beat at most.
func cpuStep(limit, used time.Duration, rate float64, cpus int) (sleep, grace time.Duration, stop bool) {
	left := limit - used - cpuSlack(cpus)
	need := time.Duration(rate * float64(CPUStopGrace))
	if left <= need {
		grace = min(max(time.Duration(float64(left)/rate), cpuReact), CPUStopGrace)
		return cpuBeat, grace, true
	}
	sleep = min(max((left-need)/time.Duration(cpus), cpuReact), cpuBeat)
	return sleep, 0, false
}

// stopGraceFor is the grace of the forced exit after a stop by s: for the
// CPU limit's SIGXCPU while WatchCPU watches, the one its stop set
// (CPUStopGrace or less), whose margin counts on it; else StopGrace.
func stopGraceFor(s os.Signal) time.Duration {
	if s == syscall.SIGXCPU && cpuWatching.Load() {
		if g := time.Duration(cpuGrace.Load()); g > 0 {
			return g
		}
		return CPUStopGrace
	}
	return StopGrace
}
