package atomicfile

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
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

// TestCreateReadOnlyFile: a file this user may not write (chmod a-w, to
// keep a result) is refused by Create, before the run, naming its mode, as
// a shell's > refuses it: the rename, which asks only the folder's
// permission, replaced it without a word. Root, who may write any file,
// replaces it (TestMode), as cp does; the refusal is then played by
// writeAccess.
func TestCreateReadOnlyFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "out.csv")
	if err := os.WriteFile(path, []byte("old\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, 0o444); err != nil {
		t.Fatal(err)
	}
	old := writeAccess
	defer func() { writeAccess = old }()
	if os.Geteuid() == 0 {
		writeAccess = func(string) error { return unix.EACCES }
	}
	f, err := Create(path)
	var pe *fs.PathError
	if err == nil || !errors.Is(err, errReadOnly) || !errors.As(err, &pe) || pe.Path != path || !strings.Contains(err.Error(), "(mode 0444): make it writable (chmod u+w) or remove it first") {
		if f != nil {
			f.Abort()
		}
		t.Errorf("Create of a read-only file: %v, want %v naming %s and its mode", err, errReadOnly, path)
	}
	noTemps(t, dir, "out.csv")
	if b, _ := os.ReadFile(path); string(b) != "old\n" {
		t.Errorf("the read-only file holds %q, want it kept", b)
	}
	// Another user's file, which this one may not write whatever its mode
	// (root's 0644): chmod u+w is not this user's to do.
	defer func(f func() int) { geteuid = f }(geteuid)
	me := os.Geteuid()
	geteuid = func() int { return me + 1 }
	writeAccess = func(string) error { return unix.EACCES }
	if f, err := Create(path); err == nil || !strings.Contains(err.Error(), fmt.Sprintf("(mode 0444, the file of uid %d): remove it first, or write elsewhere", me)) {
		if f != nil {
			f.Abort()
		}
		t.Errorf("Create of another user's read-only file: %v", err)
	}
	geteuid = func() int { return me }
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	writeAccess = old
	if f, err = Create(path); err != nil {
		t.Fatalf("Create of a writable file: %v", err)
	}
	f.Abort()
}

// TestCreateKernelFiles: a path that links to a file of the kernel's (a
// /proc or /sys file, which stats as a regular file; /dev/stdout or
// /proc/self/fd/N on a pipe, a magic link that names no path) is not a
// regular file, and Create says so. They read "no such file or directory":
// the temporary file /proc refuses, and the link's text "pipe:[N]" taken
// for a path.
func TestCreateKernelFiles(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	dir := t.TempDir()
	for _, to := range []string{
		"/proc/version",
		"/sys/kernel/mm/transparent_hugepage/enabled",
		fmt.Sprintf("/proc/self/fd/%d", w.Fd()),
	} {
		if _, err := os.Stat(to); err != nil {
			t.Logf("%s: %v", to, err)
			continue
		}
		link := filepath.Join(dir, "out.npy")
		os.Remove(link)
		if err := os.Symlink(to, link); err != nil {
			t.Fatal(err)
		}
		for _, p := range []string{link, to} {
			f, err := Create(p)
			if err == nil {
				f.Abort()
				t.Fatalf("Create(%q) succeeded", p)
			}
			if !errors.Is(err, errNotRegular) || strings.Contains(err.Error(), "no such file") {
				t.Errorf("Create(%q) (to %s): %v, want not a regular file", p, to, err)
			}
		}
		if st, err := os.Lstat(link); err != nil || st.Mode()&fs.ModeSymlink == 0 {
			t.Errorf("%s is no longer the link to %s", link, to)
		}
	}
}
