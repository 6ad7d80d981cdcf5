//go:build !unix

package atomicfile

import (
	"io/fs"
	"os"
)

// keepOwner is the Unix owner and group a replaced file keeps
// (owner_unix.go); elsewhere a file has no such owner to keep.
func keepOwner(*os.File, fs.FileInfo) {}
