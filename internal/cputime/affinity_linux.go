package cputime

import "golang.org/x/sys/unix"

// affinityMask is the CPUs this process may run on (sched_getaffinity(2)),
// as a test of a CPU's number; ok is false where it cannot be read.
func affinityMask() (mine func(cpu int) bool, ok bool) {
	var set unix.CPUSet
	if unix.SchedGetaffinity(0, &set) != nil || set.Count() == 0 {
		return nil, false
	}
	return set.IsSet, true
}
