// Package diskfree tells how many bytes this process may still write on a
// folder's file system (statfs(2)), so that gpusim refuses an output before
// a run rather than failing to write it after: runfiles checks the run's
// outputs with it, and the OpenCL engine its program cache; and the largest
// file it may write (FileLimit: ulimit -f).
package diskfree

import (
	"fmt"
	"strconv"
)

// SizeText writes n bytes in SI units to three digits: 65.5 kB, 4 GB; the
// sizes of every message of gpusim's (disk, memory, address space).
func SizeText(n uint64) string { return sizeText(n, 3) }

// SizesText writes a and b as SizeText does, with as many more digits as
// tell them apart where they differ: a need of 15,812,345 bytes beside
// 15,798,000 free read "15.8 MB" twice, now "15.81 MB" and "15.8 MB".
func SizesText(a, b uint64) (string, string) {
	for digits := 3; ; digits++ {
		ta, tb := sizeText(a, digits), sizeText(b, digits)
		if ta != tb || a == b || digits >= 20 {
			return ta, tb
		}
	}
}

// sizeText is SizeText to digits significant digits: in the unit in
// which n rounds to less than a thousand (999,700,000 bytes is 1 GB, where
// it read 1e+03 MB), EB at the most, which holds 2^64-1 bytes (18.4 EB,
// where it read 1.84e+04 PB).
func sizeText(n uint64, digits int) string {
	if n < 1000 {
		return fmt.Sprintf("%d bytes", n)
	}
	x := float64(n) / 1000
	for _, u := range []string{"kB", "MB", "GB", "TB", "PB"} {
		s := strconv.FormatFloat(x, 'g', digits, 64)
		if v, _ := strconv.ParseFloat(s, 64); v < 1000 {
			return s + " " + u
		}
		x /= 1000
	}
	return strconv.FormatFloat(x, 'g', digits, 64) + " EB"
}
