package main

import (
	"os"
	"strings"
	"syscall"
	"testing"

	"github.com/gpusim/gpusim/internal/testenv"
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

// TestTrackedWriterStopsAfterFailure: once a write to stdout's file has
// failed and been cut back out, a later, shorter write that would fit in
// the room the cut left is not written either: selftest >> r on a full
// disk failed at its device's checks and then wrote its summary line, and
// the file held that line alone beside an error that said it held none of
// the report.
func TestTrackedWriterStopsAfterFailure(t *testing.T) {
	const held = 4000 // bytes of the file before, in its one page
	disk := testenv.SmallDisk(t, "64k", false, map[string]string{"r": strings.Repeat("x", held)})
	if err := os.WriteFile(disk+"/fill", make([]byte, 60<<10), 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := os.OpenFile(disk+"/r", os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	w := &trackedWriter{w: f}
	if _, err := w.Write(make([]byte, 1000)); err == nil {
		t.Fatal("a write past the disk's room did not fail")
	}
	n, err := w.Write([]byte("selftest: 1 device, every check passed\n"))
	st, _ := f.Stat()
	if n != 0 || err == nil || !w.cut || st.Size() != held {
		t.Errorf("the later write: %d bytes, %v; cut %v, the file %d bytes; want 0 bytes, the first error, cut, %d bytes", n, err, w.cut, st.Size(), held)
	}
}
