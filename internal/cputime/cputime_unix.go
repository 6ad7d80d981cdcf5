//go:build unix

// Package cputime reads the CPU time the process has used: beside wall
// time it tells how much of the cores a measurement got on a shared
// machine; the idle time of the CPUs it may run on (Idle), what a run off
// them left; the CPU limit of its cgroup (Limit), which bounds that; and
// the wall time it spent suspended (Suspended), which a rate or a timing
// leaves out.
package cputime

import (
	"syscall"
	"time"
)

// Process is the process's user and system CPU time so far (getrusage(2),
// RUSAGE_SELF); 0 where the call fails.
func Process() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// Children is the CPU time of the process's children that were waited for
// (getrusage(2), RUSAGE_CHILDREN: with theirs that they waited for); 0
// where the call fails. Beside Process it is the work the process had done
// by them: bench's processes engine and its merge.
func Children() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_CHILDREN, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
