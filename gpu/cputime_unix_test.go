//go:build unix

package gpu

import (
	"syscall"
	"time"
)

// cpuTime is the process's user and system CPU time: on a shared machine it
// shows what a run costs whatever share of the cores it got.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
