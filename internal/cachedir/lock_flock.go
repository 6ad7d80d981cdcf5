//go:build linux || darwin || freebsd || netbsd || openbsd || dragonfly || solaris

package cachedir

import (
	"errors"
	"os"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// lock takes an exclusive flock(2) on the file at path, made if missing,
// waiting up to wait for another holder; unlock releases it. The kernel
// releases it when its holder exits, however it exits (kill -9 too), so a
// lock is never stale; a holder that keeps it longer than wait (a process
// stopped with Ctrl-Z) is not waited for, and ok is false.
func lock(path string, wait time.Duration) (unlock func(), ok bool) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDONLY, 0o644)
	if err != nil {
		return func() {}, false
	}
	deadline := time.Now().Add(wait)
	for {
		err := unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB)
		if err == nil {
			return func() { f.Close() }, true // closing releases it
		}
		if !errors.Is(err, syscall.EWOULDBLOCK) && !errors.Is(err, syscall.EINTR) || time.Now().After(deadline) {
			// No locks here (some network file systems): the update
			// goes ahead unlocked, as it did before.
			f.Close()
			return func() {}, false
		}
		time.Sleep(5 * time.Millisecond)
	}
}
