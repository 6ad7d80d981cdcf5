package interrupt

import (
	"math"

	"golang.org/x/sys/unix"
)

// systemTasks is the number of the system's threads, from sysinfo(2)
// (its procs field, 16 bits: false where it is full, or on an error).
func systemTasks() (uint64, bool) {
	var si unix.Sysinfo_t
	if unix.Sysinfo(&si) != nil || si.Procs == math.MaxUint16 {
		return 0, false
	}
	return uint64(si.Procs), true
}
