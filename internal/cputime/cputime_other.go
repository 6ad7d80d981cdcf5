//go:build !unix

// Package cputime reads the CPU time the process has used: beside wall
// time it tells how much of the cores a measurement got on a shared
// machine; the idle time of the CPUs it may run on (Idle), what a run off
// them left; the CPU limit of its cgroup (Limit), which bounds that; and
// the wall time it spent suspended (Suspended), which a rate or a timing
// leaves out.
package cputime

import "time"

// Process is 0 here: the process's CPU time is read only on unix systems.
func Process() time.Duration { return 0 }

// Children is 0 here, as Process is.
func Children() time.Duration { return 0 }
