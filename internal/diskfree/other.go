//go:build !(linux || darwin || freebsd)

package diskfree

// Free is not known on this system: outputs are not checked against
// the free space of their file systems.
func Free(dir string) (free, dev uint64, ok bool) { return 0, 0, false }
