package testenv

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// SmallDisk mounts a tmpfs of size (mount's size=, such as "64k") on a
// folder of the test's, writes files (name: contents) into it, remounts it
// read-only when ro, and unmounts it at the end of the test; it returns
// the folder. It skips where mounting is not permitted (not root, or a
// container without CAP_SYS_ADMIN). For the tests of full and read-only
// file systems.
func SmallDisk(t testing.TB, size string, ro bool, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	if err := syscall.Mount("tmpfs", dir, "tmpfs", 0, "size="+size); err != nil {
		t.Skipf("cannot mount a tmpfs here: %v", err)
	}
	t.Cleanup(func() { syscall.Unmount(dir, 0) })
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if ro {
		if err := syscall.Mount("tmpfs", dir, "tmpfs", syscall.MS_REMOUNT|syscall.MS_RDONLY, "size="+size); err != nil {
			t.Skipf("cannot remount the tmpfs read-only: %v", err)
		}
	}
	return dir
}
