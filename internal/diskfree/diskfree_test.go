package diskfree

import (
	"path/filepath"
	"runtime"
	"testing"
)

func TestSizeText(t *testing.T) {
	for n, want := range map[uint64]string{0: "0 bytes", 999: "999 bytes", 1000: "1 kB", 65536: "65.5 kB", 1 << 20: "1.05 MB", 4e9: "4 GB", ^uint64(0): "1.84e+04 PB"} {
		if got := SizeText(n); got != want {
			t.Errorf("SizeText(%d) = %q, want %q", n, got, want)
		}
	}
}

// TestFree: a folder's file system answers with some free space; a folder
// that does not exist cannot be asked.
func TestFree(t *testing.T) {
	dir := t.TempDir()
	free, _, ok := Free(dir)
	switch runtime.GOOS {
	case "linux", "darwin", "freebsd":
		if !ok || free == 0 {
			t.Errorf("Free(%s) = %d, %v; want some free space", dir, free, ok)
		}
	default:
		if ok {
			t.Errorf("Free(%s) = %d, %v on %s, which cannot ask", dir, free, ok, runtime.GOOS)
		}
	}
	if _, _, ok := Free(filepath.Join(dir, "missing")); ok {
		t.Errorf("Free of a missing folder: ok, want not ok")
	}
}
