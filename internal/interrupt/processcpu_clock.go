//go:build linux || android || darwin || ios || freebsd || openbsd || dragonfly || solaris

package interrupt

import (
	"time"

	"golang.org/x/sys/unix"
)

// systemCPU is clockCPU: these systems have CLOCK_PROCESS_CPUTIME_ID.
var systemCPU = clockCPU

// clockCPU is the process's CPU time, all threads together
// (clock_gettime(2), CLOCK_PROCESS_CPUTIME_ID), to the nanosecond where
// getrusage may count in ticks; 0 where the call fails.
func clockCPU() time.Duration {
	var ts unix.Timespec
	if unix.ClockGettime(unix.CLOCK_PROCESS_CPUTIME_ID, &ts) != nil {
		return 0
	}
	return time.Duration(ts.Nano())
}
