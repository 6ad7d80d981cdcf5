//go:build !linux

package sysmem

// RestartWithOneArena does nothing where the process is not given glibc's
// malloc arenas (see arena_linux.go).
func RestartWithOneArena() {}
