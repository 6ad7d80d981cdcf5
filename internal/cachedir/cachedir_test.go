package cachedir

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestMkdirAllDanglingLink: a cache folder that is a link to nowhere is
// named as such; os.MkdirAll said only "file exists".
func TestMkdirAllDanglingLink(t *testing.T) {
	dir := t.TempDir()
	link := filepath.Join(dir, "cache")
	if err := os.Symlink(filepath.Join(dir, "gone"), link); err != nil {
		t.Fatal(err)
	}
	err := MkdirAll(filepath.Join(link, "programs"))
	if err == nil || !strings.Contains(err.Error(), link+" is a link to "+filepath.Join(dir, "gone")+", which does not exist") {
		t.Errorf("MkdirAll through a dangling link: %v", err)
	}
	if err := MkdirAll(filepath.Join(dir, "a", "b")); err != nil {
		t.Errorf("MkdirAll: %v", err)
	}
}
