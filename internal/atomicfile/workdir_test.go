package atomicfile

import (
	"os"
	"path/filepath"
	"testing"
)

// TestWorkdirGone: a relative path is the deleted working folder's, a full
// one is not, and neither is in a working folder that is there.
func TestWorkdirGone(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "gone")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Chdir(dir)
	if WorkdirGone("f.npy") {
		t.Errorf("WorkdirGone(f.npy) in a folder that is there: true")
	}
	if err := os.Remove(dir); err != nil {
		t.Skipf("the working folder cannot be removed here: %v", err)
	}
	for _, c := range []struct {
		path string
		want bool
	}{{"f.npy", true}, {"sub/f.npy", true}, {".", true}, {filepath.Join(filepath.Dir(dir), "f.npy"), false}} {
		if got := WorkdirGone(c.path); got != c.want {
			t.Errorf("WorkdirGone(%q) = %v, want %v", c.path, got, c.want)
		}
	}
}
