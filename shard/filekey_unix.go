//go:build unix

package shard

import (
	"io/fs"
	"syscall"
)

// fileKey is fi's device and inode, which os.SameFile compares on Unix.
func fileKey(fi fs.FileInfo) any {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		return [2]uint64{uint64(st.Dev), uint64(st.Ino)}
	}
	return sizeTime(fi)
}
