//go:build unix

package bench

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// TestRemoveStale: the check before a benchmark removes a processes
// engine's folder whose lock no process holds (its bench was killed), and
// leaves one a bench holds (running now) and one without a lock file (an
// older gpusim's, which may be running).
func TestRemoveStale(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	live, remove, err := partsDir()
	if err != nil {
		t.Fatal(err)
	}
	defer remove()
	stale, err := os.MkdirTemp(tmp, processesDirPrefix)
	if err != nil {
		t.Fatal(err)
	}
	unlock, err := lockDir(stale)
	if err != nil {
		t.Fatal(err)
	}
	unlock() // its bench died
	old := filepath.Join(tmp, processesDirPrefix+"old")
	if err := os.Mkdir(old, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := CheckTempDir(); err != nil {
		t.Fatal(err)
	}
	left, _ := filepath.Glob(filepath.Join(tmp, processesDirPrefix+"*"))
	if want := []string{live, old}; !slices.Equal(slices.Sorted(slices.Values(left)), slices.Sorted(slices.Values(want))) {
		t.Errorf("left %q; want %q (the live folder and the one without a lock), %q removed", left, want, stale)
	}
}
