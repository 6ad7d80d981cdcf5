//go:build unix

package sysmem

import (
	"os"
	"strconv"
	"strings"
	"syscall"
)

// addressRoom returns the address space left under the process's
// RLIMIT_AS (ulimit -v) less what it has mapped (VmSize of
// /proc/self/status), and whether a limit is set: a run that fits in
// memory but not under the limit dies with Go's "fatal error: out of
// memory", leaving its temporary files.
func addressRoom() (uint64, bool) {
	limit, mapped, limited := addressSpace()
	if !limited || mapped >= limit {
		return 0, limited
	}
	return limit - mapped, true
}

// addressSpace returns the process's RLIMIT_AS and VmSize, and whether a
// limit is set.
func addressSpace() (limit, mapped uint64, limited bool) {
	limit, limited = rlimitAS()
	if !limited {
		return 0, 0, false
	}
	return limit, vmSize(), true
}

// rlimitAS is the soft RLIMIT_AS, and whether one is set; tests replace it.
var rlimitAS = func() (uint64, bool) {
	var rl syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_AS, &rl); err != nil {
		return 0, false
	}
	// Cur is uint64 on Linux and int64 on the BSDs, whose RLIM_INFINITY
	// is 2^63-1; no real limit is near 2^62.
	limit := uint64(rl.Cur)
	if limit >= 1<<62 {
		return 0, false
	}
	return limit, true
}

// vmSize is the process's mapped address space in bytes, 0 when unknown.
func vmSize() uint64 {
	b, err := os.ReadFile(status)
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Fields(line); len(f) == 3 && f[0] == "VmSize:" && f[2] == "kB" {
			if kb, err := strconv.ParseUint(f[1], 10, 64); err == nil && kb <= ^uint64(0)>>10 {
				return kb << 10
			}
		}
	}
	return 0
}
