package main

import (
	"os"
	"syscall"
	"testing"
)

// TestSameOpenFile: a descriptor dup'ed from another holds the same open
// file (as /dev/null dup'ed onto stdin and stdout by daemon(3) or Python's
// subprocess.DEVNULL), a second open of the same path does not (as Go's
// runtime opens each closed standard descriptor).
func TestSameOpenFile(t *testing.T) {
	a, err := os.OpenFile(os.DevNull, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	b, err := os.OpenFile(os.DevNull, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	dup, err := syscall.Dup(int(a.Fd()))
	if err != nil {
		t.Fatal(err)
	}
	defer syscall.Close(dup)
	if !sameOpenFile(int(a.Fd()), dup) {
		t.Skip("kcmp(2) is not allowed here")
	}
	if sameOpenFile(int(a.Fd()), int(b.Fd())) {
		t.Errorf("two opens of %s: sameOpenFile true, want false", os.DevNull)
	}
}
