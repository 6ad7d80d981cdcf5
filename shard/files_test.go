package shard_test

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gpusim/gpusim/shard"
)

// TestCheckFiles requires CheckFiles to pass a part that is there (its
// content unread: a damaged one too) and to name, each on its line, every
// file that is not there, a folder and a file that cannot be opened.
func TestCheckFiles(t *testing.T) {
	dir := t.TempDir()
	part := filepath.Join(dir, "p0.json")
	if err := os.WriteFile(part, []byte("not a part"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := shard.CheckFiles([]string{part}); err != nil {
		t.Fatalf("a file that is there: %v", err)
	}
	gone := filepath.Join(dir, "gone.json")
	_, cause := os.Stat(gone) // the system's words: Windows' are not Unix's
	err := shard.CheckFiles([]string{part, gone})
	if want := fmt.Sprintf("%q: %v", gone, cause.(*fs.PathError).Err); err == nil || err.Error() != want || !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("a file not there: %v, want %s (fs.ErrNotExist)", err, want)
	}
	err = shard.CheckFiles([]string{dir, part, gone, gone})
	if err == nil || !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("a folder and a file not there: %v, want fs.ErrNotExist", err)
	}
	lines := strings.Split(err.Error(), "\n")
	if len(lines) != 4 || lines[0] != "3 of 4 part files are not there or cannot be read:" || !strings.HasPrefix(lines[1], fmt.Sprintf("  %q: a folder, not a part file", dir)) {
		t.Fatalf("a folder and a file not there twice: got %q", err)
	}
	if err := shard.CheckFiles([]string{dir}); err == nil || errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("a folder: %v, want an error that is not fs.ErrNotExist", err)
	}
	many := []string{part}
	for i := range 10 {
		many = append(many, filepath.Join(dir, fmt.Sprintf("gone-%d.json", i)))
	}
	if err := shard.CheckFiles(many); err == nil || !strings.HasSuffix(err.Error(), "\n  and 2 more") {
		t.Fatalf("10 files not there: %v, want the first 8 and 2 more", err)
	}
}

// TestCheckFilesUnreadable requires CheckFiles to name a file this process
// may not open: one made unreadable, or, where the process reads it
// anyway (root), one of /proc that refuses even root (gVisor, Yama).
func TestCheckFilesUnreadable(t *testing.T) {
	f := filepath.Join(t.TempDir(), "p0.json")
	if err := os.WriteFile(f, []byte("{}"), 0o000); err != nil {
		t.Fatal(err)
	}
	if r, err := os.Open(f); err == nil {
		r.Close()
		f = "/proc/1/environ"
		if r, err := os.Open(f); err == nil || !errors.Is(err, fs.ErrPermission) {
			if err == nil {
				r.Close()
			}
			t.Skip("this process opens a file of mode 0 and /proc/1/environ: nothing here it may not open")
		}
	}
	err := shard.CheckFiles([]string{f})
	if want := fmt.Sprintf("%q: permission denied", f); err == nil || err.Error() != want || errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("a file that cannot be opened: %v, want %s", err, want)
	}
}

// TestCheckFilesSame requires CheckFiles to refuse a file named more than
// once, by one name or by two (a path through ".", a symbolic link),
// naming each such file and its places, and to pass a copy, which is
// another file.
func TestCheckFilesSame(t *testing.T) {
	dir := t.TempDir()
	p0, p1, cp := filepath.Join(dir, "p0.json"), filepath.Join(dir, "p1.json"), filepath.Join(dir, "copy.json")
	for _, f := range []string{p0, p1, cp} {
		if err := os.WriteFile(f, []byte("{}"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if err := shard.CheckFiles([]string{p0, p1, cp}); err != nil {
		t.Fatalf("three files, a copy among them: %v", err)
	}
	err := shard.CheckFiles([]string{p0, p1, p1})
	if want := fmt.Sprintf("%q is given twice (parts 2 and 3)", p1); err == nil || err.Error() != want || errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("a name twice: %v, want %s", err, want)
	}
	dotted := dir + string(filepath.Separator) + "." + string(filepath.Separator) + "p0.json"
	err = shard.CheckFiles([]string{p0, p1, dotted, p0})
	if want := fmt.Sprintf("%q and %q are the same file (parts 1, 3 and 4)", p0, dotted); err == nil || err.Error() != want {
		t.Fatalf("two names of one file: %v, want %s", err, want)
	}
	link := filepath.Join(dir, "link.json")
	if err := os.Symlink(p1, link); err == nil {
		err = shard.CheckFiles([]string{link, p0, p1})
		if want := fmt.Sprintf("%q and %q are the same file (parts 1 and 3)", link, p1); err == nil || err.Error() != want {
			t.Fatalf("a link and its file: %v, want %s", err, want)
		}
	}
	var many []string
	for i := range 10 {
		f := filepath.Join(dir, fmt.Sprintf("p%d-twice.json", i))
		if err := os.WriteFile(f, []byte("{}"), 0o600); err != nil {
			t.Fatal(err)
		}
		many = append(many, f, f)
	}
	err = shard.CheckFiles(many)
	if err == nil || !strings.HasPrefix(err.Error(), "10 part files are named more than once:\n  ") || !strings.HasSuffix(err.Error(), "\n  and 2 more") {
		t.Fatalf("10 files twice each: %v, want the first 8 and 2 more", err)
	}
}
