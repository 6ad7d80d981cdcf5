package cputime

import (
	"bytes"
	"os"
	"strconv"
	"time"
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
		a, ok := schedstat("/proc/self/task/" + n + "/schedstat")
		if !ok {
			continue // a thread that has ended
		}
		alive[tid] = a
	}
	return alive, len(alive) > 0
}

// childrenAlive is the time the process's running children have spent on
// a CPU and waiting for one since they started: their first threads'
// schedstat times (/proc/self/task/TID/children, CONFIG_PROC_CHILDREN; 0
// where the files cannot be read). A thread of the process that starts a
// child waits for it to exec (vfork) without adding to its own time, and
// bench's parent, starting 512 on 2 cores, spent most of each run so. Read
// only where a gap is judged (gapSince): it reads a file a thread and one
// a child.
func childrenAlive() time.Duration {
	names, err := os.ReadDir("/proc/self/task")
	if err != nil {
		return 0
	}
	var sum int64
	for _, n := range names {
		b, err := os.ReadFile("/proc/self/task/" + n.Name() + "/children")
		if err != nil {
			continue
		}
		for _, c := range bytes.Fields(b) {
			if a, ok := schedstat("/proc/" + string(c) + "/schedstat"); ok {
				sum += a
			}
		}
	}
	return time.Duration(sum)
}

// reapedCPU is the CPU time of the process's children that were waited
// for (getrusage's RUSAGE_CHILDREN), which had ended before a gap was
// judged; 0 where it cannot be read.
func reapedCPU() time.Duration { return Children() }

// stolenTime is the machine's steal time, all CPUs together: the time a
// virtual machine's CPUs wanted to run while its host ran something else
// (the eighth figure of /proc/stat's cpu line, in USER_HZ ticks, 1/100 s
// on every architecture; proc(5)); 0 where it cannot be read, or on a
// machine that is not a virtual one. A paused virtual machine's CPUs do
// not want to run, and add nothing.
func stolenTime() time.Duration {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0
	}
	line, _, _ := bytes.Cut(b, []byte("\n"))
	f := bytes.Fields(line)
	if len(f) < 9 || string(f[0]) != "cpu" {
		return 0
	}
	ticks, err := strconv.ParseInt(string(f[8]), 10, 64)
	if err != nil || ticks < 0 {
		return 0
	}
	return time.Duration(ticks) * 10 * time.Millisecond
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
