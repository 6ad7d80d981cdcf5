package gpu

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gpusim/gpusim/internal/testenv"
)

// TestCacheWritableProgramsReadOnly: a cache folder that can be written
// whose programs subfolder cannot (a folder shared by several users, mode
// 1777, whose programs subfolder another user made) cannot keep a compiled
// program, and CacheWritable says so, naming the subfolder: it said nil,
// so every start compiled with a note that the program "is cached for
// later runs", and auto advised gpusim selftest to compile it, which kept
// nothing either.
func TestCacheWritableProgramsReadOnly(t *testing.T) {
	dir := t.TempDir()
	programs := filepath.Join(dir, "programs")
	want := "write in " + programs + ": "
	if os.Geteuid() == 0 {
		// Root writes through a folder's mode: a read-only file system
		// in the subfolder's place, through a link, as the cache
		// follows links on the way to its folders.
		if err := os.Symlink(testenv.SmallDisk(t, "64k", true, nil), programs); err != nil {
			t.Fatal(err)
		}
		want += "read-only file system"
	} else {
		if err := os.Mkdir(programs, 0o555); err != nil {
			t.Fatal(err)
		}
		want += "permission denied"
	}
	t.Setenv(EnvCacheDir, dir)
	err := CacheWritable()
	if err == nil || !strings.Contains(err.Error(), want) || IsCacheRoom(err) {
		t.Errorf("CacheWritable() = %v; want an error with %q", err, want)
	}
	if ents, _ := os.ReadDir(programs); len(ents) != 0 {
		t.Errorf("CacheWritable left %d files in %s", len(ents), programs)
	}
}
