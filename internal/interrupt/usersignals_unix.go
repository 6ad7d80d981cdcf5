//go:build unix

package interrupt

import (
	"os"
	"os/signal"
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

// init takes userStopSignals as the package initializes, before main
// (TakeUserSignalsEarly): a signal between Go's runtime taking them over
// and main's first line was dropped too.
func init() { TakeUserSignalsEarly() }

// TakeUserSignalsEarly takes userStopSignals as early as the process may
// start a thread, from this package's init: NotifyContext comes only after
// gpusim's checks of its limits, and one of these signals in between was
// dropped by Go's runtime, so that the run went on to its end and exited
// 0 (sent 10 to 40 ms after the start on a loaded 2-core machine, a few
// runs in eight). NotifyContext then takes what came as its stop. Not
// where the process limit (ulimit -u) may be near (threadsRoomEarly): the
// thread signal.Notify may start could abort the process in
// pthread_create before gpusim's check of the threads says why; nor for
// SIGQUIT, whose goroutine dump go test asks a hung test binary for.
func TakeUserSignalsEarly() {
	if !threadsRoomEarly() {
		return
	}
	early.Lock()
	defer early.Unlock()
	if early.c == nil {
		early.c = make(chan os.Signal, 1)
		signal.Notify(early.c, userStopSignals...)
	}
}
