package cachedir

import (
	"bytes"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
	"testing/iotest"
)

// TestReadFileSizes: entries of every size around the buffer's edges read
// whole, an entry at the limit reads and one past it is refused, and a
// reader holding more than the size given (a file that grew after its
// Stat) is read to its end.
func TestReadFileSizes(t *testing.T) {
	dir := t.TempDir()
	for _, n := range []int{0, 1, 511, 512, 513, 4096, 535726} {
		want := make([]byte, n)
		for i := range want {
			want[i] = byte(rand.Uint32())
		}
		path := filepath.Join(dir, "entry")
		if err := os.WriteFile(path, want, 0o644); err != nil {
			t.Fatal(err)
		}
		got, err := ReadFile(path)
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("%d bytes: read %d, %v", n, len(got), err)
		}
		if got, err := ReadFileMax(path, int64(n)); err != nil || len(got) != n {
			t.Errorf("%d bytes at a limit of %d: read %d, %v", n, n, len(got), err)
		}
		if n > 0 {
			if _, err := ReadFileMax(path, int64(n-1)); err == nil {
				t.Errorf("%d bytes at a limit of %d: read, want refused", n, n-1)
			}
		}
	}
	want := bytes.Repeat([]byte("gpusim"), 1000)
	for _, size := range []int64{0, 1, 100, 6000, 7000} {
		got, err := readSized(iotest.HalfReader(bytes.NewReader(want)), size)
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("readSized with size %d: read %d of %d bytes, %v", size, len(got), len(want), err)
		}
	}
	if _, err := readSized(iotest.ErrReader(io.ErrUnexpectedEOF), 10); err != io.ErrUnexpectedEOF {
		t.Errorf("readSized of a failing reader: %v", err)
	}
}

// BenchmarkReadFile reads an entry of a warm OpenCL start's size (the
// program binary, 535 kB on pocl) with ReadFile and with io.ReadAll.
func BenchmarkReadFile(b *testing.B) {
	path := filepath.Join(b.TempDir(), "entry")
	if err := os.WriteFile(path, make([]byte, 535726), 0o644); err != nil {
		b.Fatal(err)
	}
	b.Run("ReadFile", func(b *testing.B) {
		for b.Loop() {
			if _, err := ReadFile(path); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("io.ReadAll", func(b *testing.B) {
		for b.Loop() {
			f, err := os.Open(path)
			if err != nil {
				b.Fatal(err)
			}
			if _, err := io.ReadAll(f); err != nil {
				b.Fatal(err)
			}
			f.Close()
		}
	})
}
