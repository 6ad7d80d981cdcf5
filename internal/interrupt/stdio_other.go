//go:build !unix

package interrupt

// stdioBroken is false where no SIGPIPE is delivered.
func stdioBroken() bool { return false }
