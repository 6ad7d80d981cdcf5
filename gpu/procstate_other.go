//go:build !linux

package gpu

import "time"

// procState is unknown without Linux's /proc: ok is false, and a process
// that runs is taken for its mark's (running).
func procState(pid int) (started time.Time, zombie, ok bool) {
	return time.Time{}, false, false
}
