//go:build unix && !linux

package main

import (
	"testing"
	"time"
)

// partsReading waits 700 ms for a merge to be reading its parts: what a
// process has read (/proc/PID/io) is known on Linux alone.
func partsReading(t *testing.T, pid int) { time.Sleep(700 * time.Millisecond) }

// waitCPU waits d, the CPU time process pid is to have used, plus 200 ms
// for its start: a process's CPU time (/proc/PID/stat) is read on Linux
// alone. It reports true: whether the process ended first is not known.
func waitCPU(t *testing.T, pid int, d time.Duration) bool {
	time.Sleep(d + 200*time.Millisecond)
	return true
}

// procCPUKnown is false: a process's CPU time (/proc/PID/stat) is read on
// Linux alone, so stopWithin bounds a stop's wall time alone here.
const procCPUKnown = false

// procCPU is 0 and true: a process's CPU time is not known here
// (procCPUKnown).
func procCPU(t *testing.T, pid int) (time.Duration, bool) { return 0, true }
