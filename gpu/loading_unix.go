//go:build unix

package gpu

import (
	"errors"
	"io/fs"
	"os"
	"syscall"
)

// running reports whether the process pid runs: signal 0 checks without
// sending (EPERM: it runs, as another user).
func running(pid int) bool {
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}

// ownedBySelf reports whether the file of st belongs to this process's
// user.
func ownedBySelf(st fs.FileInfo) bool {
	s, ok := st.Sys().(*syscall.Stat_t)
	return ok && int(s.Uid) == os.Getuid()
}
