//go:build !linux

package sysmem

// RestartForLimit does nothing where the process is not given glibc's
// malloc arenas and thread stacks (see arena_linux.go).
func RestartForLimit() {}

// ArenaStartRoom is 0 and false: no start of gpusim takes glibc's arenas
// here (see arena_linux.go).
func ArenaStartRoom() (uint64, bool) { return 0, false }

// StackStartRoom is 0: there is no restart here (see arena_linux.go).
func StackStartRoom() uint64 { return 0 }
