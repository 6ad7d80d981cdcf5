//go:build linux || darwin || freebsd

package diskfree

import (
	"os"

	"golang.org/x/sys/unix"

	"github.com/gpusim/gpusim/internal/count"
)

// Free returns the bytes that this process may still write on the file
// system of the folder dir (statfs(2): the blocks available to users, all
// the free blocks for root, which may use the reserved ones) and that file
// system's device, to add up the files going to one; ok is false when dir
// cannot be asked (it does not exist: Create then says so) or its file
// system has no blocks.
func Free(dir string) (free, dev uint64, ok bool) {
	var fs unix.Statfs_t
	var st unix.Stat_t
	// A file system of no blocks (/proc, /sys) has no free space to
	// speak of: Create says what it refuses.
	if unix.Statfs(dir, &fs) != nil || unix.Stat(dir, &st) != nil || blockSize(&fs) == 0 || fs.Blocks == 0 {
		return 0, 0, false
	}
	blocks := uint64(max(int64(fs.Bavail), 0))
	if os.Geteuid() == 0 {
		blocks = fs.Bfree
	}
	return count.SatMul(blocks, blockSize(&fs)), uint64(st.Dev), true
}

// FreeOf is Free for the file system of the open file f, with the unit in
// which it allocates (Block's) and its device, as Free gives it; ok is
// false where it cannot be asked.
func FreeOf(f *os.File) (free, block, dev uint64, ok bool) {
	var fs unix.Statfs_t
	var st unix.Stat_t
	if unix.Fstatfs(int(f.Fd()), &fs) != nil || unix.Fstat(int(f.Fd()), &st) != nil || blockSize(&fs) == 0 || fs.Blocks == 0 {
		return 0, 0, 0, false
	}
	blocks := uint64(max(int64(fs.Bavail), 0))
	if os.Geteuid() == 0 {
		blocks = fs.Bfree
	}
	return count.SatMul(blocks, blockSize(&fs)), blockSize(&fs), uint64(st.Dev), true
}

// Block returns the unit in which the file system of dir allocates a
// file's data (statfs(2)'s fragment size, f_frsize on Linux): a file of n
// bytes takes n rounded up to it, and the free space is counted in it. It
// is 1 where dir cannot be asked.
func Block(dir string) uint64 {
	var fs unix.Statfs_t
	if unix.Statfs(dir, &fs) != nil || blockSize(&fs) == 0 {
		return 1
	}
	return blockSize(&fs)
}

// FileLimit returns the largest file this process may write, in bytes:
// its file-size limit (RLIMIT_FSIZE, ulimit -f), past which a write fails
// with EFBIG ("file too large"; Go's runtime ignores the SIGXFSZ that comes
// with it); limited is false where no limit is set.
func FileLimit() (limit uint64, limited bool) {
	var rl unix.Rlimit
	if unix.Getrlimit(unix.RLIMIT_FSIZE, &rl) != nil || rl.Cur == unix.RLIM_INFINITY {
		return 0, false
	}
	return uint64(rl.Cur), true
}
