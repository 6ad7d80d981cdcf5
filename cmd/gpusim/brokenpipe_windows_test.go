package main

import (
	"io/fs"
	"testing"

	"golang.org/x/sys/windows"
)

// TestBrokenStdioWindows: both of the errors WriteFile gives for a pipe
// whose reader has gone are a broken stdio (TestBrokenStdioPipe meets
// one of them, ERROR_NO_DATA, for an anonymous pipe; a named pipe's
// reader gone gives ERROR_BROKEN_PIPE too). brokenStdio matched EPIPE
// alone, which no write on Windows returns.
func TestBrokenStdioWindows(t *testing.T) {
	for _, errno := range []error{windows.ERROR_NO_DATA, windows.ERROR_BROKEN_PIPE} {
		if err := (&fs.PathError{Op: "write", Path: "/dev/stdout", Err: errno}); !brokenStdio(err) {
			t.Errorf("brokenStdio(%v) = false, want true", err)
		}
	}
}
