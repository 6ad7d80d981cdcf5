package cputime

import (
	"os"
	"strconv"
	"strings"
	"time"
)

// procStat is the file Idle reads, and affinity the CPUs the process may
// run on; tests point them elsewhere.
var (
	procStat = "/proc/stat"
	affinity = affinityMask
)

// userHZ is the unit of /proc/stat's times: USER_HZ, 100 ticks a second on
// every architecture Go supports on Linux (proc(5)).
const userHZ = 100

// Idle is the CPU time the CPUs this process may run on (its affinity
// mask: a Slurm job's or a container's cpuset, taskset's) have spent idle
// since boot, summed over them: the idle and iowait fields of their
// /proc/stat lines (proc(5)), in ticks of 10 ms; every CPU's ("cpu")
// where the mask cannot be read. Its growth over a wall interval, with
// the process's own CPU time (Process) beside it, is how much of those
// cores a run of this process on them would have had: a GPU's run
// computes off them, and its process's own CPU time says nothing of their
// load. Counted over the whole machine, a node's idle CPUs outside a
// Slurm job's cpuset read as the job's. ok is false where it cannot be
// read (no /proc: another system). Inside most containers the file is the
// host's, which the mask selects from; a cgroup's CPU limit (Limit)
// bounds what the process gets of it.
func Idle() (idle time.Duration, ok bool) {
	b, err := os.ReadFile(procStat)
	if err != nil {
		return 0, false
	}
	mine, masked := affinity()
	var ticks uint64
	for line := range strings.SplitSeq(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) < 6 || !strings.HasPrefix(f[0], "cpu") {
			continue
		}
		if n, err := strconv.Atoi(f[0][3:]); masked != (err == nil) || masked && !mine(n) {
			continue // the total where there is no mask; else the CPUs in it
		}
		for _, s := range f[4:6] { // idle, iowait
			n, err := strconv.ParseUint(s, 10, 64)
			if err != nil {
				return 0, false
			}
			ticks += n
		}
		ok = true
	}
	return time.Duration(ticks) * (time.Second / userHZ), ok
}
