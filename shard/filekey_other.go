//go:build !unix

package shard

import "io/fs"

// fileKey is fi's size and modification time: os.FileInfo gives no
// identity of its file here (Windows' os.SameFile reads it itself).
func fileKey(fi fs.FileInfo) any { return sizeTime(fi) }
