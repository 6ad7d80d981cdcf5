//go:build unix

package gpu

import (
	"errors"
	"syscall"
	"time"
)

// running reports whether the process pid runs and may be the one that
// made a mark at made: signal 0 checks that it runs without sending
// (EPERM: it runs, as another user). Where Linux's /proc tells more
// (procState), a zombie (ended, not yet reaped by its parent) does not
// run, and a process that started more than startSlack after the mark
// was made holds a process ID reused since: another process, which kept
// the mark of one that ended (a crash's) standing for as long as it ran.
func running(pid int, made time.Time) bool {
	if err := syscall.Kill(pid, 0); err != nil && !errors.Is(err, syscall.EPERM) {
		return false
	}
	started, zombie, ok := procState(pid)
	switch {
	case !ok:
		return true
	case zombie:
		return false
	}
	return !started.After(made.Add(startSlack))
}

// startSlack is how much later than its mark's time a process may seem to
// have started and still be the one that made it: a mark's time is the
// file system's clock (a file server's, for a cache on NFS), a process's
// start this host's, which the hosts sharing a cache are taken to agree
// with within foreignStale.
const startSlack = foreignStale
