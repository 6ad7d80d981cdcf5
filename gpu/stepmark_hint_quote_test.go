//go:build unix

package gpu

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestCrashHintPastes: the rm -f of an EarlierCrashError's hint, pasted
// into a shell, removes the mark, also where the cache folder's path holds
// a space or a $ (GPUSIM_CACHE_DIR="/home/me/my cache"), and nothing else.
// Helper 350 found it unquoted: the shell split it and removed the mark
// not at all (and "c8" in the working folder instead).
func TestCrashHintPastes(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "my cache $HOME")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	mark := filepath.Join(dir, "f99d.setup.9cdb.123")
	if err := os.WriteFile(mark, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	e := &EarlierCrashError{Who: "process 123", Step: "set the device up", Marks: []string{mark}, Crashed: true}
	h := e.Hint()
	i := strings.Index(h, "rm -f ")
	if i < 0 {
		t.Fatalf("hint has no rm -f: %s", h)
	}
	cmd := h[i:]
	if j := strings.Index(cmd, "; or run"); j >= 0 {
		cmd = cmd[:j]
	}
	out, err := exec.Command("sh", "-c", cmd).CombinedOutput()
	if err != nil {
		t.Fatalf("sh -c %q: %v: %s", cmd, err, out)
	}
	if _, err := os.Stat(mark); err == nil {
		t.Errorf("the hint's command %q, pasted into sh, left the mark %s", cmd, mark)
	}
}
