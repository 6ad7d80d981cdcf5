//go:build linux || darwin || freebsd || netbsd || openbsd || dragonfly || solaris

package bench

import (
	"os"
	"path/filepath"
	"slices"
	"syscall"
	"testing"
)

// TestRemoveStale: the check before a benchmark removes a processes
// engine's folder whose lock no process holds (its bench was killed), and
// leaves one a bench holds (running now) and one without a lock file (an
// older gpusim's, which may be running).
func TestRemoveStale(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	live, remove, err := partsDir()
	if err != nil {
		t.Fatal(err)
	}
	defer remove()
	stale, err := os.MkdirTemp(tmp, processesDirPrefix)
	if err != nil {
		t.Fatal(err)
	}
	unlock, err := lockDir(stale)
	if err != nil {
		t.Fatal(err)
	}
	unlock() // its bench died
	old := filepath.Join(tmp, processesDirPrefix+"old")
	if err := os.Mkdir(old, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := CheckTempDir(); err != nil {
		t.Fatal(err)
	}
	left, _ := filepath.Glob(filepath.Join(tmp, processesDirPrefix+"*"))
	if want := []string{live, old}; !slices.Equal(slices.Sorted(slices.Values(left)), slices.Sorted(slices.Values(want))) {
		t.Errorf("left %q; want %q (the live folder and the one without a lock), %q removed", left, want, stale)
	}
}

// TestPartsDirNoFlock: where the temporary folder takes no flock (Lustre
// mounted without -o flock gives ENOSYS, some NFS set-ups ENOLCK), the
// processes engine still gets its folder, unlocked, with no lock file, so
// that removeStale leaves it as it does an older gpusim's: the lock is a
// way to find a dead bench's folder, not a condition of a run.
func TestPartsDirNoFlock(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	sys := flock
	for _, errno := range []syscall.Errno{syscall.ENOSYS, syscall.ENOLCK, syscall.EOPNOTSUPP} {
		flock = func(int, int) error { return errno }
		dir, remove, err := partsDir()
		flock = sys
		if err != nil {
			t.Fatalf("%v: partsDir: %v; want a folder without a lock", errno, err)
		}
		if _, err := os.Lstat(filepath.Join(dir, lockName)); err == nil {
			t.Errorf("%v: %s has a lock file no process holds, which removeStale removes", errno, dir)
		}
		if left, _ := filepath.Glob(filepath.Join(dir, "*")); len(left) > 0 {
			t.Errorf("%v: %s holds %q; want it empty", errno, dir, left)
		}
		removeStale()
		if _, err := os.Stat(dir); err != nil {
			t.Errorf("%v: removeStale removed the live folder: %v", errno, err)
		}
		remove()
	}
}

// TestRemoveStaleOtherHost: a processes engine's folder whose lock file
// names another host is left, unlocked as it looks: in a temporary folder
// shared by several machines (a home or scratch file system, TMPDIR set
// there for a cluster's jobs) whose locks each machine keeps to itself
// (NFS mounted with local_lock=flock, Lustre with -o localflock), a bench
// on one node removed the folder of a bench running on another.
func TestRemoveStaleOtherHost(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	other, err := os.MkdirTemp(tmp, processesDirPrefix)
	if err != nil {
		t.Fatal(err)
	}
	unlock, err := lockDir(other)
	if err != nil {
		t.Fatal(err)
	}
	unlock() // its lock held on the other host, which this one does not see
	if err := os.WriteFile(filepath.Join(other, lockName), []byte("host another-node\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	removeStale()
	if _, err := os.Stat(other); err != nil {
		t.Errorf("removeStale removed the folder of a bench on another host: %v", err)
	}
	// This host's own, unlocked, is removed.
	own, err := os.MkdirTemp(tmp, processesDirPrefix)
	if err != nil {
		t.Fatal(err)
	}
	if unlock, err = lockDir(own); err != nil {
		t.Fatal(err)
	}
	unlock()
	removeStale()
	if _, err := os.Stat(own); !os.IsNotExist(err) {
		t.Errorf("removeStale left this host's stale folder: %v", err)
	}
}
