//go:build unix

package interrupt

import "golang.org/x/sys/unix"

// stdoutBroken reports whether stdout's pipe has lost its reader (the
// write end polls POLLERR): a SIGPIPE from a write to it stops the
// process, as the result has nowhere to go. One from stderr's pipe alone
// (a log reader that quit: 2> >(head -n 1)) or from another pipe (a
// child's stdin that exited early) only fails that write with EPIPE: the
// run goes on, its report to stdout and its files kept. stderr's stopped
// it too, and a dead log reader lost an hour's run.
func stdoutBroken() bool {
	fds := []unix.PollFd{{Fd: 1, Events: unix.POLLOUT}}
	if _, err := unix.Poll(fds, 0); err != nil {
		return false
	}
	return fds[0].Revents&unix.POLLERR != 0
}
