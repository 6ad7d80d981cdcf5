//go:build !unix

package interrupt

// stdoutBroken is false where no SIGPIPE is delivered.
func stdoutBroken() bool { return false }
