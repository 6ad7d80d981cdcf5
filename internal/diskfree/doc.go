// Package diskfree tells how many bytes this process may still write on a
// folder's file system (statfs(2)), so that gpusim refuses an output before
// a run rather than failing to write it after: runfiles checks the run's
// outputs with it, and the OpenCL engine its program cache.
package diskfree

import "fmt"

// SizeText writes n bytes in SI units to three digits: 65.5 kB, 4 GB.
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

// sizeText is SizeText to digits significant digits.
func sizeText(n uint64, digits int) string {
	x := float64(n)
	for _, u := range []string{"bytes", "kB", "MB", "GB", "TB", "PB"} {
		if x < 1000 || u == "PB" {
			if u == "bytes" {
				return fmt.Sprintf("%d bytes", n)
			}
			return fmt.Sprintf("%.*g %s", digits, x, u)
		}
		x /= 1000
	}
	return ""
}
