//go:build !linux

package sysmem

// RestartWithOneArena does nothing where the process is not given glibc's
// malloc arenas (see arena_linux.go).
func RestartWithOneArena() {}

// ArenaStartRoom is 0 and false: no start of gpusim takes glibc's arenas
// here (see arena_linux.go).
func ArenaStartRoom() (uint64, bool) { return 0, false }
