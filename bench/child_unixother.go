//go:build unix && !linux

package bench

import "syscall"

// dieWithParent does nothing off Linux: a child of a bench killed by
// SIGKILL runs on.
func dieWithParent(*syscall.SysProcAttr) {}
