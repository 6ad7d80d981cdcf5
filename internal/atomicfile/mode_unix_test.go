//go:build unix

package atomicfile

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// TestMode: a new file gets 0666 less the umask, as os.Create would make it;
// overwriting keeps the old file's mode whatever the umask.
func TestMode(t *testing.T) {
	for _, c := range []struct {
		umask     int
		old, want os.FileMode // old: the existing file's mode, 0 for none
	}{
		{0o022, 0, 0o644}, {0o077, 0, 0o600}, {0o002, 0, 0o664},
		{0o022, 0o600, 0o600}, {0o022, 0o640, 0o640}, {0o022, 0o444, 0o444}, {0o022, 0o755, 0o755},
		{0o077, 0o644, 0o644},
	} {
		if c.old&0o200 == 0 && os.Geteuid() != 0 {
			continue // refused to its user (TestCreateReadOnlyFile); root replaces it
		}
		path := filepath.Join(t.TempDir(), "f.txt")
		if c.old != 0 {
			if err := os.WriteFile(path, []byte("old"), 0o600); err != nil {
				t.Fatal(err)
			}
			if err := os.Chmod(path, c.old); err != nil {
				t.Fatal(err)
			}
		}
		prev := syscall.Umask(c.umask)
		err := WriteFile(path, writeString("new"))
		syscall.Umask(prev)
		if err != nil {
			t.Fatal(err)
		}
		st, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if got := st.Mode().Perm(); got != c.want {
			t.Errorf("umask %#o, old file %#o: mode %#o, want %#o", c.umask, c.old, got, c.want)
		}
	}
}

// TestOwner: overwriting keeps the old file's owner and group, as writing
// it in place would: root (a batch job's, a container's on a bind-mounted
// folder) replacing a user's output left it root's, which the user could
// then no longer write. Only root can give a file to another user, so the
// test needs root (CI runs as root).
func TestOwner(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to give a file to another user")
	}
	const uid, gid = 65534, 65533 // nobody, and a group root is not in
	path := filepath.Join(t.TempDir(), "f.txt")
	if err := os.WriteFile(path, []byte("old"), 0o640); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(path, uid, gid); err != nil {
		t.Fatal(err)
	}
	if err := WriteFile(path, writeString("new")); err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	sys := st.Sys().(*syscall.Stat_t)
	if sys.Uid != uid || sys.Gid != gid || st.Mode().Perm() != 0o640 {
		t.Errorf("owner %d:%d mode %#o after the rewrite, want %d:%d %#o, as before it", sys.Uid, sys.Gid, st.Mode().Perm(), uid, gid, 0o640)
	}
	// A new file is the writer's, as os.Create makes it.
	fresh := filepath.Join(filepath.Dir(path), "g.txt")
	if err := WriteFile(fresh, writeString("new")); err != nil {
		t.Fatal(err)
	}
	if st, err := os.Stat(fresh); err != nil {
		t.Fatal(err)
	} else if sys := st.Sys().(*syscall.Stat_t); sys.Uid != 0 || sys.Gid != uint32(os.Getegid()) {
		t.Errorf("a new file is %d:%d, want 0:%d", sys.Uid, sys.Gid, os.Getegid())
	}
}
