//go:build !unix

package sysmem

// addressRoom reports no address-space limit where there is no RLIMIT_AS.
func addressRoom() (uint64, bool) { return 0, false }
