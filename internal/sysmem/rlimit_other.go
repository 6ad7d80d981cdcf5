//go:build !unix || openbsd

package sysmem

import "runtime"

// addressRoom reports no address-space limit where there is no RLIMIT_AS.
func addressRoom() (uint64, bool) { return 0, false }

// addressSpace reports no address-space limit where there is no RLIMIT_AS.
func addressSpace() (limit, mapped uint64, limited bool) { return 0, 0, false }

// hardAS reports no hard address-space limit where there is no RLIMIT_AS.
func hardAS() (uint64, bool) { return 0, false }

// RunRoom is 0 where there is no RLIMIT_AS.
func RunRoom() uint64 { return 0 }

// LeastRunRoom is 0 where there is no RLIMIT_AS.
func LeastRunRoom() uint64 { return 0 }

// ShortOfRoom is never short where there is no RLIMIT_AS.
func ShortOfRoom() (limit, mapped, need uint64, short bool) { return 0, 0, 0, false }

// FitProcs is GOMAXPROCS, uncapped, where there is no RLIMIT_AS.
func FitProcs() (procs int, capped bool) { return runtime.GOMAXPROCS(0), false }

// ThreadStack is 0, not known, where there is no RLIMIT_STACK.
func ThreadStack() uint64 { return 0 }

// vmSize reports the mapped address space unknown where there is no
// /proc/self/status to read it from.
func vmSize() (uint64, bool) { return 0, false }
