//go:build !(linux || darwin || freebsd || netbsd || openbsd || dragonfly || solaris)

package cachedir

import "time"

// lock takes no lock where flock(2) is not available: Update's
// read-modify-write is then not exclusive among processes.
func lock(path string, wait time.Duration) (unlock func(), ok bool) { return func() {}, false }
