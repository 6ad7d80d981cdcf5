package cputime

import (
	"bytes"
	"os"
	"strconv"
)

// threadsAlive reads, for each thread of the process, the nanoseconds it
// has spent on a CPU and waiting on a run queue for one: the first two
// fields of /proc/self/task/TID/schedstat (Documentation/scheduler/
// sched-stats.rst in the Linux sources; the kernel's CONFIG_SCHED_INFO,
// on in the common distributions' kernels). A thread that wants to run
// adds to the sum whether a loaded machine lets it run or not; a stopped
// one (SIGSTOP, a cgroup freezer) adds nothing. ok is false where the
// files cannot be read.
func threadsAlive() (alive map[int]int64, ok bool) {
	d, err := os.Open("/proc/self/task")
	if err != nil {
		return nil, false
	}
	names, err := d.Readdirnames(-1)
	d.Close()
	if err != nil {
		return nil, false
	}
	alive = make(map[int]int64, len(names))
	for _, n := range names {
		tid, err := strconv.Atoi(n)
		if err != nil {
			continue
		}
		b, err := os.ReadFile("/proc/self/task/" + n + "/schedstat")
		if err != nil {
			continue // a thread that has ended
		}
		f := bytes.Fields(b)
		if len(f) < 2 {
			continue
		}
		run, err1 := strconv.ParseInt(string(f[0]), 10, 64)
		wait, err2 := strconv.ParseInt(string(f[1]), 10, 64)
		if err1 != nil || err2 != nil {
			continue
		}
		alive[tid] = run + wait
	}
	return alive, len(alive) > 0
}
