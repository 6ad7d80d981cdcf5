//go:build !linux

package atomicfile

// replaceable is the Linux check for a file that cannot be renamed over
// (replace_linux.go); elsewhere the rename says so.
func replaceable(string) error { return nil }

// pseudoFS is the Linux check for a file of the kernel's (replace_linux.go).
func pseudoFS(string) string { return "" }
