package cl

import "fmt"

// fsizeRaise is the hint's "raise the limit to ..." for a file-size limit
// (RLIMIT_FSIZE) of at least need bytes, named as size: shells differ in
// ulimit -f's unit (bash counts KiB, POSIX sh such as dash 512-byte
// blocks), so it gives the figure for both, rounded up, beside lifting it.
func fsizeRaise(size string, need uint64) string {
	kib := (need + 1023) >> 10
	blocks := (need + 511) >> 9
	return fmt.Sprintf("raise the limit to %s or more (ulimit -f %d in bash, which counts KiB; ulimit -f %d in sh, which counts 512-byte blocks; or ulimit -f unlimited)", size, kib, blocks)
}
