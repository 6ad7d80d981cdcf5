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
