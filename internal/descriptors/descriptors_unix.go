//go:build unix

package descriptors

import (
	"errors"

	"golang.org/x/sys/unix"
)

// Free counts the descriptors below the process's open-file limit that
// are not open, up to need (it stops there), with the limit: the soft
// RLIMIT_NOFILE, which Go's os package raised to the hard one as the
// process started, so a limit that is low here was set hard (a shell's
// ulimit -n sets both). It asks the kernel of each descriptor from 0 up
// (fcntl F_GETFD), opening none: a process with no descriptor free still
// learns so. limited is false where the limit cannot be read.
func Free(need uint64) (limit, free uint64, limited bool) {
	var rl unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_NOFILE, &rl); err != nil {
		return 0, 0, false
	}
	limit = uint64(rl.Cur) // int64 on the BSDs
	for fd := uint64(0); fd < limit && free < need; fd++ {
		if _, err := unix.FcntlInt(uintptr(fd), unix.F_GETFD, 0); errors.Is(err, unix.EBADF) {
			free++
		}
	}
	return limit, free, true
}
