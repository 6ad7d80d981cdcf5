//go:build !(linux || darwin || freebsd || netbsd || openbsd || dragonfly || solaris)

package cachedir

import (
	"errors"
	"time"
)

// errNoLocks is Lock's error where flock(2) is not available.
var errNoLocks = errors.New("no file locks on this system")

// Lock takes no lock where flock(2) is not available: what it guards is
// then not exclusive among processes.
func Lock(path string, wait time.Duration) (unlock func(), err error) { return func() {}, errNoLocks }

// lock takes no lock where flock(2) is not available: Update's
// read-modify-write is then not exclusive among processes.
func lock(path string, wait time.Duration) (unlock func(), ok bool) { return func() {}, false }

// LockWaiting takes no lock where flock(2) is not available, and so never
// waits.
func LockWaiting(path string, wait time.Duration, waiting func(holder string)) (unlock func(), err error) {
	return func() {}, errNoLocks
}

// Holder is "": no process holds a lock where there are none.
func Holder(path string) string { return "" }
