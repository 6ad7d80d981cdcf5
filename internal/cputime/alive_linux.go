package cputime

import (
	"bytes"
	"os"
	"strconv"
	"syscall"
)

// threadsAlive reads, for each thread of the process, the nanoseconds it
// has spent on a CPU and waiting on a run queue for one: the first two
// fields of /proc/self/task/TID/schedstat (Documentation/scheduler/
// sched-stats.rst in the Linux sources; the kernel's CONFIG_SCHED_INFO,
// on in the common distributions' kernels). A thread that wants to run
// adds to the sum whether a loaded machine lets it run or not; a stopped
// one (SIGSTOP, a cgroup freezer) adds nothing. The process's children
// (/proc/self/task/TID/children, CONFIG_PROC_CHILDREN), under the key
// -PID, their first threads' time: a thread of the process that starts
// one waits for it to exec (vfork) without adding to its own, and bench's
// parent, starting 512 on 2 cores, spent most of each run so; and under
// the key 0, the CPU time of the children waited for (getrusage's
// RUSAGE_CHILDREN), which ended before the next reading could see them.
// ok is false where the files cannot be read.
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
		a, ok := schedstat("/proc/self/task/" + n + "/schedstat")
		if !ok {
			continue // a thread that has ended
		}
		alive[tid] = a
		b, err := os.ReadFile("/proc/self/task/" + n + "/children")
		if err != nil {
			continue
		}
		for _, c := range bytes.Fields(b) {
			if a, ok := schedstat("/proc/" + string(c) + "/schedstat"); ok {
				if pid, err := strconv.Atoi(string(c)); err == nil {
					alive[-pid] = a
				}
			}
		}
	}
	var ru syscall.Rusage
	if len(alive) > 0 && syscall.Getrusage(syscall.RUSAGE_CHILDREN, &ru) == nil {
		alive[0] = ru.Utime.Nano() + ru.Stime.Nano()
	}
	return alive, len(alive) > 0
}

// schedstat is the time on a CPU and waiting for one in the schedstat file
// at path, in nanoseconds; ok is false where it cannot be read.
func schedstat(path string) (int64, bool) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, false
	}
	f := bytes.Fields(b)
	if len(f) < 2 {
		return 0, false
	}
	run, err1 := strconv.ParseInt(string(f[0]), 10, 64)
	wait, err2 := strconv.ParseInt(string(f[1]), 10, 64)
	if err1 != nil || err2 != nil {
		return 0, false
	}
	return run + wait, true
}
