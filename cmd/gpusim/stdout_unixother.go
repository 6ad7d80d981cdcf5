//go:build unix && !linux

package main

import "os"

// alwaysFull is false where there is no /dev/full of known device
// numbers (macOS and the BSDs have none).
func alwaysFull(*os.File) bool { return false }

// sameOpenFile is false where there is no kcmp(2) to tell.
func sameOpenFile(a, b int) bool { return false }
