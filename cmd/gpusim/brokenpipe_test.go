package main

import (
	"errors"
	"io/fs"
	"os"
	"testing"
)

// TestBrokenStdioPipe: the error of a real write to a pipe whose reader
// has gone, as the write to stdout or stderr would have it, is a broken
// stdio (exit 141, nothing said), on every system. Windows has no EPIPE:
// its error is ERROR_NO_DATA, and brokenStdio, which matched EPIPE alone,
// had gpusim run | a reader that exits early say "write /dev/stdout: The
// pipe is being closed." and exit 1.
func TestBrokenStdioPipe(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	r.Close()
	_, err = w.Write([]byte("x"))
	var pe *fs.PathError
	if !errors.As(err, &pe) {
		t.Fatalf("write to a pipe without a reader: %v, want a *fs.PathError", err)
	}
	for _, name := range []string{"/dev/stdout", "/dev/stderr"} {
		if werr := (&fs.PathError{Op: "write", Path: name, Err: pe.Err}); !brokenStdio(werr) {
			t.Errorf("brokenStdio(%v) = false, want true", werr)
		}
	}
	if werr := (&fs.PathError{Op: "write", Path: "report.json", Err: pe.Err}); brokenStdio(werr) {
		t.Errorf("brokenStdio(%v) = true, want false: not stdout or stderr", werr)
	}
}
