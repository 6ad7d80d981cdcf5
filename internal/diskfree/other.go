//go:build !(linux || darwin || freebsd)

package diskfree

import "os"

// Free is not known on this system: outputs are not checked against
// the free space of their file systems.
func Free(dir string) (free, dev uint64, ok bool) { return 0, 0, false }

// FreeOf is not known on this system.
func FreeOf(f *os.File) (free, block, dev uint64, ok bool) { return 0, 0, 0, false }

// Block is not known on this system: 1.
func Block(dir string) uint64 { return 1 }

// FileLimit is not known on this system: no file-size limit.
func FileLimit() (limit uint64, limited bool) { return 0, false }
