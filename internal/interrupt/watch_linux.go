package interrupt

import (
	"os"
	"syscall"

	"golang.org/x/sys/unix"
)

// watchPeriod is how often watchStdout looks whether its watch is over
// (the run ended); the reader's going wakes it at once.
const watchPeriod = 250 // ms

// watchStdout (WatchStdout) sends SIGPIPE on sigs, as the kernel would on a write, as
// soon as stdout's pipe loses its reader (its write end polls POLLERR),
// and ends when stopped or done is closed. A run writes stdout only at its
// end, so that gpusim run --lanes 1e12 | a reader that died computed on
// for hours before its first write met the closed pipe (exit 141, the
// result lost all the same). Only a pipe (a FIFO) is watched: a file or
// a terminal has no reader to lose, and a terminal's hang-up is SIGHUP.
func watchStdout(sigs chan<- os.Signal, stopped, done <-chan struct{}) {
	var st unix.Stat_t
	if unix.Fstat(1, &st) != nil || st.Mode&unix.S_IFMT != unix.S_IFIFO {
		return
	}
	go func() {
		fds := []unix.PollFd{{Fd: 1}} // no events: POLLERR, POLLHUP, POLLNVAL only
		for {
			select {
			case <-stopped:
				return
			case <-done:
				return
			default:
			}
			n, err := unix.Poll(fds, watchPeriod)
			switch {
			case err == unix.EINTR:
				continue
			case err != nil, n > 0 && fds[0].Revents&unix.POLLNVAL != 0:
				return
			case n > 0 && fds[0].Revents&unix.POLLERR != 0:
				select {
				case sigs <- syscall.SIGPIPE:
				case <-stopped:
				case <-done:
				}
				return
			}
		}
	}()
}
