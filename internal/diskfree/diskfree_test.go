package diskfree

import (
	"path/filepath"
	"runtime"
	"testing"
)

func TestSizeText(t *testing.T) {
	for n, want := range map[uint64]string{0: "0 bytes", 999: "999 bytes", 1000: "1 kB", 65536: "65.5 kB", 1 << 20: "1.05 MB", 4e9: "4 GB", ^uint64(0): "18.4 EB", 999_700_000_000_000_000: "1 EB", 1_234_000_000_000_000_000: "1.23 EB"} {
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

// TestSizesText: two sizes that differ are written with digits enough to
// tell them apart (a disk refusal read "needs about 15.8 MB ... has 15.8
// MB free"); equal ones, and ones three digits tell apart, as SizeText.
func TestSizesText(t *testing.T) {
	for _, c := range []struct {
		a, b   uint64
		ta, tb string
	}{
		{15812345, 15798000, "15.81 MB", "15.8 MB"},
		{15800001, 15800000, "15.800001 MB", "15.8 MB"},
		{15800000, 15800000, "15.8 MB", "15.8 MB"},
		{65500, 4000000000, "65.5 kB", "4 GB"},
		{999, 998, "999 bytes", "998 bytes"},
	} {
		if ta, tb := SizesText(c.a, c.b); ta != c.ta || tb != c.tb {
			t.Errorf("SizesText(%d, %d) = %q, %q; want %q, %q", c.a, c.b, ta, tb, c.ta, c.tb)
		}
	}
}

// TestBlock: a folder's file system allocates in blocks of a power of two
// bytes; a folder that does not exist is counted in bytes.
func TestBlock(t *testing.T) {
	b := Block(t.TempDir())
	switch runtime.GOOS {
	case "linux", "darwin", "freebsd":
		if b < 512 || b&(b-1) != 0 {
			t.Errorf("Block of a temporary folder = %d, want a power of two of 512 or more", b)
		}
	}
	if b := Block(filepath.Join(t.TempDir(), "missing")); b != 1 {
		t.Errorf("Block of a missing folder = %d, want 1", b)
	}
}

// TestSizeTextRoundsToNextUnit: a size that rounds to a thousand of its
// unit is written in the next one, at every number of digits: 999,700,000
// bytes read "1e+03 MB".
func TestSizeTextRoundsToNextUnit(t *testing.T) {
	for n, want := range map[uint64]string{999_700_000: "1 GB", 999_999: "1 MB", 999_499: "999 kB", 999_600_000_000_000: "1 PB"} {
		if got := SizeText(n); got != want {
			t.Errorf("SizeText(%d) = %q, want %q", n, got, want)
		}
	}
	if a, b := SizesText(999_999_999, 999_994_000); a != "1 GB" || b != "999.99 MB" {
		t.Errorf("SizesText(999999999, 999994000) = %q, %q; want 1 GB, 999.99 MB", a, b)
	}
}
