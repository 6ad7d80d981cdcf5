package atomicfile

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
)

// TestCreateStickyOthersFile: another user's file in a sticky folder (as
// /tmp is) is refused by Create, before the run: the rename over it failed
// with EPERM at the commit point, after the whole run, even for a file
// anyone may write.
func TestCreateStickyOthersFile(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "shared")
	if err := os.Mkdir(dir, 0o777); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir, 0o777|os.ModeSticky); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "out.csv")
	if err := os.WriteFile(path, []byte("old\n"), 0o666); err != nil {
		t.Fatal(err)
	}
	defer func(f func() int) { geteuid = f }(geteuid)
	me := os.Geteuid()
	geteuid = func() int { return me + 1 } // owns neither the file nor the folder
	f, err := Create(path)
	var pe *fs.PathError
	if err == nil || !errors.Is(err, errSticky) || !errors.As(err, &pe) || pe.Path != path {
		if f != nil {
			f.Abort()
		}
		t.Errorf("Create of another user's file in a sticky folder: %v, want %v naming %s", err, errSticky, path)
	}
	noTemps(t, dir, "out.csv")
	geteuid = func() int { return me } // the file's owner
	f, err = Create(path)
	if err != nil {
		t.Fatalf("Create of one's own file in a sticky folder: %v", err)
	}
	f.Abort()
	if err := os.Chmod(dir, 0o777); err != nil {
		t.Fatal(err)
	}
	geteuid = func() int { return me + 1 }
	if f, err = Create(path); err != nil {
		t.Fatalf("Create of another user's file in a folder that is not sticky: %v", err)
	}
	f.Abort()
}
