//go:build unix && !linux

package main

import (
	"os"
	"testing"
	"time"
)

// listRead waits 400 ms for the merge to read what was written to w: the
// pipe's unread bytes (FIONREAD) are read on Linux alone.
func listRead(t *testing.T, w *os.File) { time.Sleep(400 * time.Millisecond) }
