//go:build !unix

package gpu

import "time"

// cpuTime is not measured here.
func cpuTime() time.Duration { return 0 }
