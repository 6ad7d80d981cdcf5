//go:build unix

package gpu

import (
	"errors"
	"syscall"
)

// running reports whether the process pid runs: signal 0 checks without
// sending (EPERM: it runs, as another user).
func running(pid int) bool {
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}
