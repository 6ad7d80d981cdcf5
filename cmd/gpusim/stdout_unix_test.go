//go:build unix

package main

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestClosedAtStart: /dev/null opened read-write, as Go's runtime opens it
// for a closed stdout, counts as closed; /dev/null written only (a shell's
// >/dev/null), a pipe and a file opened read-write do not.
func TestClosedAtStart(t *testing.T) {
	open := func(path string, flag int) *os.File {
		f, err := os.OpenFile(path, flag|os.O_CREATE, 0o666)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { f.Close() })
		return f
	}
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	file := filepath.Join(t.TempDir(), "report.txt")
	for _, c := range []struct {
		name string
		f    *os.File
		want bool
	}{
		{"/dev/null read-write", open(os.DevNull, os.O_RDWR), true},
		{"/dev/null write-only", open(os.DevNull, os.O_WRONLY), false},
		{"/dev/null append", open(os.DevNull, os.O_WRONLY|os.O_APPEND), false},
		{"pipe", w, false},
		{"file read-write", open(file, os.O_RDWR), false},
	} {
		if got := closedAtStart(c.f); got != c.want {
			t.Errorf("%s: closedAtStart %v, want %v", c.name, got, c.want)
		}
	}
}

// TestStdoutNameQuoted: the file stdout goes to, as the errors of a disk
// too full for the report name it, is quoted where it is not plain (a
// name that ends in a space printed as if it had none), as the report
// quotes its files, and is itself where it is plain.
func TestStdoutNameQuoted(t *testing.T) {
	dir, err := filepath.EvalSymlinks(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name   string
		quoted bool
	}{{"r.json", false}, {"r.json ", true}, {"r\u00a0.json", true}} {
		path := filepath.Join(dir, c.name)
		f, err := os.Create(path)
		if err != nil {
			t.Fatal(err)
		}
		got := stdoutName(f)
		f.Close()
		want := path
		if c.quoted {
			want = strconv.Quote(path)
		}
		if got != want {
			t.Errorf("stdoutName(%q) = %s, want %s", path, got, want)
		}
	}
}

// TestFilesFromDevNull: merge --files-from - with stdin closed (<&-, which
// Go's runtime replaces with /dev/null) or redirected from /dev/null says
// so, and how to pipe the list in: it read ""-" names no part files", as
// an empty list does, which it still reads for an empty pipe.
func TestFilesFromDevNull(t *testing.T) {
	for _, flag := range []int{os.O_RDONLY, os.O_RDWR} {
		null, err := os.OpenFile(os.DevNull, flag, 0)
		if err != nil {
			t.Fatal(err)
		}
		var stdout, stderr strings.Builder
		code := runContext(context.Background(), []string{"merge", "--files-from", "-"}, null, &stdout, &stderr)
		null.Close()
		const want = `gpusim: error: --files-from: "-" names no part files: standard input is /dev/null (closed, <&-, or redirected from it), not a list; pipe the list in: printf '%s\n' part-*.json | gpusim merge --files-from -` + "\n"
		if code != exitUsage || stdout.String() != "" || stderr.String() != want {
			t.Errorf("stdin /dev/null (flags %#x): exit %d, stdout %q, stderr %q; want 2 and %q", flag, code, stdout.String(), stderr.String(), want)
		}
	}
	code, _, stderr := run(context.Background(), "merge", "--files-from", "-")
	if code != exitUsage || !strings.HasSuffix(stderr, `"-" names no part files (one a line, or NUL-separated as find -print0 writes them)`+"\n") {
		t.Errorf("an empty stdin: exit %d, stderr %q", code, stderr)
	}
}
