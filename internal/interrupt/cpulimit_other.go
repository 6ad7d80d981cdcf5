//go:build !unix

package interrupt

import (
	"os"
	"time"
)

// ExitSIGXCPU is 152, 128 + SIGXCPU's number on Linux, where there is no
// SIGXCPU.
const ExitSIGXCPU = 152

// cpuLimitSignals is empty where there is no SIGXCPU.
var cpuLimitSignals []os.Signal

func cpuLimitText() string { return "CPU time limit exceeded" }

// CPUGrace does nothing where there is no CPU time limit.
func CPUGrace(procs int) {}

// WatchCPU does nothing where there is no CPU time limit.
func WatchCPU(cpus func() int) error { return nil }

// stopGraceFor is StopGrace where there is no CPU time limit.
func stopGraceFor(s os.Signal) time.Duration { return StopGrace }
