//go:build !unix

package cachedir

// openFlags: no named pipes to wait on here.
const openFlags = 0
