//go:build unix

package cpu

import (
	"syscall"
	"time"
)

// cpuTime is the process's user and system CPU time so far: on a machine
// shared with other work it grows only while the benchmark runs.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
