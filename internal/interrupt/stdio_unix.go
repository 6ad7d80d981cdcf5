//go:build unix

package interrupt

import "golang.org/x/sys/unix"

// stdioBroken reports whether stdout's or stderr's pipe has lost its
// reader (the write end polls POLLERR): a SIGPIPE from a write to them
// stops the process, while one from another pipe (a child's stdin that
// exited early) only fails that write with EPIPE.
func stdioBroken() bool {
	fds := []unix.PollFd{{Fd: 1, Events: unix.POLLOUT}, {Fd: 2, Events: unix.POLLOUT}}
	if _, err := unix.Poll(fds, 0); err != nil {
		return false
	}
	return fds[0].Revents&unix.POLLERR != 0 || fds[1].Revents&unix.POLLERR != 0
}
