package atomicfile

import (
	"path/filepath"
	"testing"

	"github.com/gpusim/gpusim/internal/testenv"
)

// TestWorkdirGone: a relative path is the deleted working folder's, a full
// one is not, and neither is in a working folder that is there.
func TestWorkdirGone(t *testing.T) {
	t.Run("there", func(t *testing.T) {
		t.Chdir(t.TempDir())
		if WorkdirGone("f.npy") {
			t.Errorf("WorkdirGone(f.npy) in a folder that is there: true")
		}
	})
	dir := testenv.DeletedWorkdir(t)
	for _, c := range []struct {
		path string
		want bool
	}{{"f.npy", true}, {"sub/f.npy", true}, {".", true}, {filepath.Join(filepath.Dir(dir), "f.npy"), false}} {
		if got := WorkdirGone(c.path); got != c.want {
			t.Errorf("WorkdirGone(%q) = %v, want %v", c.path, got, c.want)
		}
	}
}
