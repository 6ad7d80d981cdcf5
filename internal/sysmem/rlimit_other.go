//go:build !unix

package sysmem

// addressRoom reports no address-space limit where there is no RLIMIT_AS.
func addressRoom() (uint64, bool) { return 0, false }

// addressSpace reports no address-space limit where there is no RLIMIT_AS.
func addressSpace() (limit, mapped uint64, limited bool) { return 0, 0, false }
