package diskfree

import "golang.org/x/sys/unix"

// blockSize is the unit of statfs(2)'s block counts: f_frsize on Linux,
// where f_bsize is the preferred transfer size (they differ on some FUSE and
// network file systems), or f_bsize where f_frsize is 0 (kernels before
// 2.6).
func blockSize(fs *unix.Statfs_t) uint64 {
	if fs.Frsize > 0 {
		return uint64(fs.Frsize)
	}
	return uint64(max(fs.Bsize, 0))
}
