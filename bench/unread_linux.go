package bench

import (
	"os"

	"golang.org/x/sys/unix"
)

// pipeUnread is how many bytes wait in the pipe r to be read (FIONREAD, which Linux spells TIOCINQ), 0
// where that is not known.
func pipeUnread(r *os.File) int {
	sc, err := r.SyscallConn()
	if err != nil {
		return 0
	}
	n := 0
	sc.Control(func(fd uintptr) {
		n, _ = unix.IoctlGetInt(int(fd), unix.TIOCINQ)
	})
	return n
}
