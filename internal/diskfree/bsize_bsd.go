//go:build darwin || freebsd

package diskfree

import "golang.org/x/sys/unix"

// blockSize is the unit of statfs(2)'s block counts: f_bsize, the
// fundamental block size, on Darwin and FreeBSD.
func blockSize(fs *unix.Statfs_t) uint64 { return uint64(fs.Bsize) }
