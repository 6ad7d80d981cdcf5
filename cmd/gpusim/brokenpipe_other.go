//go:build !windows

package main

import (
	"errors"
	"syscall"
)

// pipeGone reports whether err is a write's to a pipe whose reader has
// gone: EPIPE.
func pipeGone(err error) bool { return errors.Is(err, syscall.EPIPE) }
