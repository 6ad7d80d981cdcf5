// Package diskfree tells how many bytes this process may still write on a
// folder's file system (statfs(2)), so that gpusim refuses an output before
// a run rather than failing to write it after: runfiles checks the run's
// outputs with it, and the OpenCL engine its program cache.
package diskfree

import "fmt"

// SizeText writes n bytes in SI units to three digits: 65.5 kB, 4 GB.
func SizeText(n uint64) string {
	x := float64(n)
	for _, u := range []string{"bytes", "kB", "MB", "GB", "TB", "PB"} {
		if x < 1000 || u == "PB" {
			if u == "bytes" {
				return fmt.Sprintf("%d bytes", n)
			}
			return fmt.Sprintf("%.3g %s", x, u)
		}
		x /= 1000
	}
	return ""
}
