//go:build linux || darwin || freebsd || netbsd || openbsd || dragonfly || solaris

package cachedir

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// TestLockFileShared: the lock file is made readable by every user, whatever
// the umask, so that the runs of all the users sharing a cache folder can
// open and lock it; under umask 077 it was made 0600, and the others'
// updates went ahead unlocked. An existing lock file is opened as it is.
func TestLockFileShared(t *testing.T) {
	old := syscall.Umask(0o077)
	defer syscall.Umask(old)
	path := filepath.Join(t.TempDir(), "auto.json.lock")
	unlock, ok := lock(path, time.Second)
	if !ok {
		t.Fatal("lock not taken")
	}
	unlock()
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o644 {
		t.Errorf("lock file mode %v, want 0644", st.Mode().Perm())
	}
	if err := os.Chmod(path, 0o444); err != nil {
		t.Fatal(err)
	}
	unlock, ok = lock(path, time.Second)
	if !ok {
		t.Fatal("lock of an existing read-only lock file not taken")
	}
	unlock()
}
