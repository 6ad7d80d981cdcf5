package main

import (
	"os"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// listRead waits until the pipe of write end w holds nothing unread
// (FIONREAD, TIOCINQ on Linux): the merge has read what was written, its stop's handlers
// installed, and waits for more. 20 s at most.
func listRead(t *testing.T, w *os.File) {
	t.Helper()
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		n, err := unix.IoctlGetInt(int(w.Fd()), unix.TIOCINQ)
		if err != nil {
			t.Fatalf("FIONREAD: %v", err)
		}
		if n == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the merge has not read its list's first line in 20 s (%d bytes unread)", n)
		}
	}
}
