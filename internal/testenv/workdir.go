package testenv

import (
	"os"
	"path/filepath"
	"testing"
)

// DeletedWorkdir makes the test's working folder a new folder and deletes
// it (t.Chdir restores the old one when the test ends), so that relative
// paths resolve in a folder that is gone. It skips the test where the
// system cannot delete a folder in use, and returns the deleted folder's
// path.
func DeletedWorkdir(t *testing.T) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "gone")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Chdir(dir)
	if err := os.Remove(dir); err != nil {
		t.Skipf("the working folder cannot be removed here: %v", err)
	}
	return dir
}
