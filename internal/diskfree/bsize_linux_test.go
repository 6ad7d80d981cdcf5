package diskfree

import (
	"testing"

	"golang.org/x/sys/unix"
)

// TestBlockSize: statfs(2)'s block counts are in f_frsize on Linux; f_bsize
// is the preferred transfer size, which some FUSE and network file systems
// make larger, so free space read as blocks times f_bsize was overstated.
func TestBlockSize(t *testing.T) {
	for _, c := range []struct {
		frsize, bsize int
		want          uint64
	}{{4096, 1 << 20, 4096}, {4096, 4096, 4096}, {0, 4096, 4096}, {0, 0, 0}} {
		var fs unix.Statfs_t
		fs.Frsize, fs.Bsize = toField(fs.Frsize, c.frsize), toField(fs.Bsize, c.bsize)
		if got := blockSize(&fs); got != c.want {
			t.Errorf("frsize %d, bsize %d: block size %d, want %d", c.frsize, c.bsize, got, c.want)
		}
	}
}

// toField converts v to the type of f, which varies with the architecture.
func toField[T int32 | int64 | uint32 | uint64](_ T, v int) T { return T(v) }
