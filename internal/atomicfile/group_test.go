package atomicfile

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
)

// TestCommitAllRenameFails: a rename that fails at a group's commit (as on
// Windows, where nothing checks before the run that a read-only file or
// one open in another program can be replaced) leaves every target as it
// was: the earlier renames are undone, a new file is removed, and no
// temporary file or backup is left. Before, the files renamed before it
// stayed new beside the old ones.
func TestCommitAllRenameFails(t *testing.T) {
	eachKind(t, func(t *testing.T, _ bool) {
		for _, noLinks := range []bool{false, true} {
			for fail := range 4 {
				testRenameFails(t, fail, noLinks)
			}
		}
	})
}

// testRenameFails commits a group of two existing files and two new ones
// whose rename onto the fail-th target fails, with hard links or without
// (noLinks: the targets are moved aside, as on FAT).
func testRenameFails(t *testing.T, fail int, noLinks bool) {
	dir := t.TempDir()
	names := []string{"a.txt", "b.txt", "c.txt", "d.txt"}
	old := map[string]bool{"a.txt": true, "c.txt": true}
	files := newGroup(t, dir, names, func(n string) string {
		if old[n] {
			return "old " + n
		}
		return ""
	})
	target := filepath.Join(dir, names[fail])
	denied := &os.LinkError{Op: "rename", Err: syscall.EACCES}
	savedRename, savedLink := rename, link
	t.Cleanup(func() { rename, link = savedRename, savedLink })
	rename = func(from, to string) error {
		if to == target && strings.Contains(from, ".tmp-") {
			denied.Old, denied.New = from, to
			return denied
		}
		return os.Rename(from, to)
	}
	if noLinks {
		link = func(string, string) error { return &os.LinkError{Op: "link", Err: syscall.EPERM} }
	}
	errs, err := CommitAll(context.Background(), files, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i, e := range errs {
		switch {
		case e == nil:
			t.Errorf("fail %d links %v: %s committed", fail, !noLinks, names[i])
		case i == fail && !errors.Is(e, syscall.EACCES):
			t.Errorf("fail %d: %s: %v, want the rename's error", fail, names[i], e)
		case i != fail && !strings.Contains(e.Error(), "left as it was, as \""+target+"\" could not be put in place"):
			t.Errorf("fail %d: %s: %v", fail, names[i], e)
		}
		if files[i].Committed() {
			t.Errorf("fail %d: %s says it is committed", fail, names[i])
		}
	}
	var want []string
	for _, n := range names {
		b, err := os.ReadFile(filepath.Join(dir, n))
		switch {
		case old[n] && (err != nil || string(b) != "old "+n):
			t.Errorf("fail %d links %v: %s holds %q, %v; want it as it was", fail, !noLinks, n, b, err)
		case !old[n] && err == nil:
			t.Errorf("fail %d links %v: %s, new, was left", fail, !noLinks, n)
		}
		if old[n] {
			want = append(want, n)
		}
	}
	slices.Sort(want)
	noTemps(t, dir, want...)
}

// TestCommitAllBackups: a group committed whole leaves no backup, and a
// replaced file keeps its mode (the new file's, made from it), with
// hard links or without.
func TestCommitAllBackups(t *testing.T) {
	for _, noLinks := range []bool{false, true} {
		dir := t.TempDir()
		p := filepath.Join(dir, "a.txt")
		if err := os.WriteFile(p, []byte("old"), 0o640); err != nil {
			t.Fatal(err)
		}
		saved := link
		if noLinks {
			link = func(string, string) error { return &os.LinkError{Op: "link", Err: syscall.EPERM} }
		}
		f, err := Create(p)
		if err != nil {
			t.Fatal(err)
		}
		io.WriteString(f, "new")
		g, err := Create(filepath.Join(dir, "b.txt"))
		if err != nil {
			t.Fatal(err)
		}
		errs, err := CommitAll(context.Background(), []*File{f, g, f}, nil)
		link = saved
		if err != nil || errs[0] != nil || errs[1] != nil || !errors.Is(errs[2], errDone) {
			t.Fatalf("links %v: CommitAll: %v %v", !noLinks, err, errs)
		}
		if b, err := os.ReadFile(p); err != nil || string(b) != "new" {
			t.Errorf("links %v: a.txt holds %q, %v", !noLinks, b, err)
		}
		if st, err := os.Stat(p); err != nil || st.Mode().Perm() != 0o640 {
			t.Errorf("links %v: a.txt: %v %v, want mode 0640", !noLinks, st, err)
		}
		noTemps(t, dir, "a.txt", "b.txt")
	}
}
