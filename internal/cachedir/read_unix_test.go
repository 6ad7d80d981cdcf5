//go:build unix

package cachedir

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// within runs f and fails the test if it has not returned within a few
// seconds: the reads and updates below waited forever on a named pipe.
func within(t *testing.T, what string, f func()) {
	t.Helper()
	done := make(chan struct{})
	go func() {
		defer close(done)
		f()
	}()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatalf("%s has not returned after 5 s", what)
	}
}

// TestReadFileIrregular: a cache entry that is a named pipe, a link to
// /dev/zero or a file larger than any entry is refused at once, unread:
// os.ReadFile waited for the pipe's writer for ever, and read /dev/zero
// until the OOM killer ended the run (every OpenCL run, with a self-test
// entry linked there). Update replaces such an entry, so the cache heals.
func TestReadFileIrregular(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo")
	if err := unix.Mkfifo(fifo, 0o644); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	zero := filepath.Join(dir, "zero")
	if err := os.Symlink("/dev/zero", zero); err != nil {
		t.Fatal(err)
	}
	big := filepath.Join(dir, "big")
	if err := os.WriteFile(big, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(big, MaxEntry+1); err != nil { // sparse
		t.Fatal(err)
	}
	for _, path := range []string{fifo, zero, big} {
		within(t, "ReadFile of "+filepath.Base(path), func() {
			if b, err := ReadFile(path); err == nil {
				t.Errorf("ReadFile(%s) read %d bytes, want an error", filepath.Base(path), len(b))
			}
		})
		within(t, "Update of "+filepath.Base(path), func() {
			if err := Update(path, MaxEntry, func(old []byte) []byte {
				if old != nil {
					t.Errorf("Update of %s: change got %d bytes, want none", filepath.Base(path), len(old))
				}
				return []byte("new")
			}); err != nil {
				t.Errorf("Update of %s: %v", filepath.Base(path), err)
			}
		})
		if b, err := ReadFile(path); err != nil || string(b) != "new" {
			t.Errorf("after the Update, %s reads %q, %v; want \"new\"", filepath.Base(path), b, err)
		}
	}
	if _, err := os.Stat("/dev/zero"); err != nil {
		t.Errorf("/dev/zero: %v", err)
	}
}

// TestLockFilePipe: a named pipe where the lock file goes is not waited on
// (open(2) of a pipe blocks until a writer comes): the update goes ahead
// unlocked, as where locks are not available.
func TestLockFilePipe(t *testing.T) {
	path := filepath.Join(t.TempDir(), "f")
	if err := unix.Mkfifo(path+".lock", 0o644); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	within(t, "Update with a pipe as its lock file", func() {
		if err := Update(path, MaxEntry, func([]byte) []byte { return []byte("x") }); err != nil {
			t.Error(err)
		}
	})
	if b, err := ReadFile(path); err != nil || string(b) != "x" {
		t.Errorf("got %q, %v", b, err)
	}
}
