//go:build unix

package main

import (
	"context"
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// TestOutputModes checks that outputs honour the umask when new and keep
// an existing file's mode when replaced (a 0600 file once became 0644).
func TestOutputModes(t *testing.T) {
	dir := t.TempDir()
	kept := filepath.Join(dir, "kept.csv")
	if err := os.WriteFile(kept, []byte("old\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	old := syscall.Umask(0o027)
	defer syscall.Umask(old)
	fresh := filepath.Join(dir, "fresh.npy")
	code, _, stderr := run(context.Background(), "run", "--lanes", "100", "--steps", "2", "--engine", "serial", "--out", kept, "--plot", filepath.Join(dir, "p.svg"))
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	code, _, stderr = run(context.Background(), "run", "--lanes", "100", "--steps", "2", "--engine", "serial", "--out", fresh)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for path, want := range map[string]os.FileMode{kept: 0o600, fresh: 0o640, filepath.Join(dir, "p.svg"): 0o640} {
		st, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if got := st.Mode().Perm(); got != want {
			t.Errorf("%s: mode %#o, want %#o", filepath.Base(path), got, want)
		}
	}
}
