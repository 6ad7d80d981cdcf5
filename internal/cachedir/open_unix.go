//go:build unix

package cachedir

import "syscall"

// openFlags open a cache file without waiting for a writer where a named
// pipe is in its place; a regular file reads as without them.
const openFlags = syscall.O_NONBLOCK
