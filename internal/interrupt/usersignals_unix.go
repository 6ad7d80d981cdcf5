//go:build unix

package interrupt

import (
	"os"
	"syscall"
)

// userStopSignals are the stop signals whose default action ends a
// process (signal(7)) but which Go's runtime catches and drops unless
// notified of them (os/signal): SIGUSR1 and SIGUSR2, the warning a batch
// system sends a job before its time limit (Slurm's --signal=USR1@60), and
// SIGALRM (timeout -s ALRM). A run went on to its end and exited 0, as if
// no signal had come. They stop a run as SIGTERM does, each with its own
// message and status (128 + its number).
var userStopSignals = []os.Signal{syscall.SIGUSR1, syscall.SIGUSR2, syscall.SIGALRM}

// userStopText is the message of a stop by s, one of userStopSignals:
// the shell's name for it (strsignal(3)) and the signal's ("" for
// another signal).
func userStopText(s os.Signal) string {
	switch s {
	case syscall.SIGUSR1:
		return "user defined signal 1 (SIGUSR1)"
	case syscall.SIGUSR2:
		return "user defined signal 2 (SIGUSR2)"
	case syscall.SIGALRM:
		return "alarm clock (SIGALRM)"
	}
	return ""
}
