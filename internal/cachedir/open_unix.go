//go:build unix

package cachedir

import (
	"io/fs"
	"os"
	"syscall"
)

// openFlags open a cache file without waiting for a writer where a named
// pipe is in its place; a regular file reads as without them.
const openFlags = syscall.O_NONBLOCK

// ownedBySelf reports whether the file of st belongs to this process's
// user.
func ownedBySelf(st fs.FileInfo) bool {
	s, ok := st.Sys().(*syscall.Stat_t)
	return ok && int(s.Uid) == os.Getuid()
}
