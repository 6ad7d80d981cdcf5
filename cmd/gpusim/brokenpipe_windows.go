package main

import (
	"errors"

	"golang.org/x/sys/windows"
)

// pipeGone reports whether err is a write's to a pipe whose reader has
// gone: Windows has no EPIPE, and WriteFile fails with ERROR_NO_DATA
// ("The pipe is being closed", 232) or ERROR_BROKEN_PIPE (109). Matching
// EPIPE alone, gpusim run | a reader that exits early said "write
// /dev/stdout: The pipe is being closed." and exited 1, not 141.
func pipeGone(err error) bool {
	return errors.Is(err, windows.ERROR_NO_DATA) || errors.Is(err, windows.ERROR_BROKEN_PIPE)
}
