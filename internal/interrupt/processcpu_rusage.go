//go:build unix && !(linux || android || darwin || ios || freebsd || openbsd || dragonfly || solaris)

package interrupt

// systemCPU is rusageCPU: x/sys has no CLOCK_PROCESS_CPUTIME_ID (NetBSD)
// or no clock_gettime (AIX) for these systems, and gpusim did not build
// on them while it read that clock everywhere.
var systemCPU = rusageCPU
