//go:build !unix

package main

import "os"

// closedAtStart is false where Go's runtime leaves a closed stdout closed.
func closedAtStart(*os.File) bool { return false }
