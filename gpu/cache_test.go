package gpu

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestCacheFolderIsFile: a cache folder that is a file is one note, from the
// store: the load's "cache: open .../programs/...: not a directory" was a
// second note of that cause (and the engine's compile note a third).
func TestCacheFolderIsFile(t *testing.T) {
	forgetCacheNotes(t)
	file := filepath.Join(t.TempDir(), "a-file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv(EnvCacheDir, file)
	if b := cacheLoad("programs", strings.Repeat("ab", 32)); b != nil {
		t.Fatalf("load from a file as the folder gave %d bytes", len(b))
	}
	if n := CacheNotes(); len(n) != 0 {
		t.Errorf("the load noted %q", n)
	}
	if cacheStore("programs", strings.Repeat("ab", 32), []byte("data")) {
		t.Fatal("stored under a file")
	}
	if n := CacheNotes(); len(n) != 1 || !strings.Contains(n[0], "not written") || !strings.Contains(n[0], "not a directory") {
		t.Errorf("notes %q, want one saying the cache is not written, and why", n)
	}
}
