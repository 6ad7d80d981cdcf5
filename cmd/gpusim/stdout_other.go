//go:build !unix

package main

import (
	"io"
	"os"
)

// closedAtStart is false where Go's runtime leaves a closed stdout closed.
func closedAtStart(*os.File) bool { return false }

// alwaysFull is false where there is no /dev/full.
func alwaysFull(*os.File) bool { return false }

// outputStart is false where the file's open flags are not read: a failed
// write is not undone.
func outputStart(*os.File) (int64, bool) { return 0, false }

// emptiedFile is false where the file's open flags are not read: a
// message is not written into a file the command names.
func emptiedFile(*os.File) bool { return false }

// isDevNull is false where there is no /dev/null to compare with.
func isDevNull(io.Reader) bool { return false }
