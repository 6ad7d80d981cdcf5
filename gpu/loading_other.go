//go:build !unix

package gpu

import "time"

// running reports every process as running where gpusim cannot check: a
// mark is then never taken for a crash.
func running(pid int, made time.Time) bool { return true }
