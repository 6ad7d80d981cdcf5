package gpu

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
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

// TestCacheEntryIrregular: an entry that is a link to /dev/zero is a note
// and rebuilt, not read until memory runs out (the OOM killer ended every
// OpenCL run with a self-test entry linked there), and the store puts a
// file in its place.
func TestCacheEntryIrregular(t *testing.T) {
	forgetCacheNotes(t)
	t.Setenv(EnvCacheDir, t.TempDir())
	key := strings.Repeat("cd", 32)
	path := cachePath("selftest", key)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("/dev/zero", path); err != nil {
		t.Fatal(err)
	}
	done := make(chan []byte)
	go func() { done <- cacheLoad("selftest", key) }()
	select {
	case b := <-done:
		if b != nil {
			t.Fatalf("load of a link to /dev/zero gave %d bytes", len(b))
		}
	case <-time.After(5 * time.Second):
		t.Fatal("load of a link to /dev/zero has not returned after 5 s")
	}
	if !cacheStore("selftest", key, []byte("data")) {
		t.Fatalf("not stored over the link: %q", CacheNotes())
	}
	if b := cacheLoad("selftest", key); string(b) != "data" {
		t.Errorf("stored entry reads %q", b)
	}
}

// TestCacheSkipLoadNested: two retries from source of one entry at once
// (OpenMulti's devices of one model, whose cached binary did not start on
// either: retryFromSource) each skip its load, and the first to end leaves
// the second's skip on: the skip was one flag, which the first's end
// cleared, so that the second's open loaded the entry it was to build
// instead, and then discarded it as the binary that did not start.
func TestCacheSkipLoadNested(t *testing.T) {
	forgetCacheNotes(t)
	t.Setenv(EnvCacheDir, t.TempDir())
	key := strings.Repeat("ef", 32)
	if !cacheStore("programs", key, []byte("binary")) {
		t.Fatal("not stored")
	}
	cacheSkipLoad("programs", key, true) // the first device's retry
	cacheSkipLoad("programs", key, true) // the second's
	cacheSkipLoad("programs", key, false)
	if b := cacheLoad("programs", key); b != nil {
		t.Errorf("one retry of two ended: the entry loaded (%q), want it skipped for the other", b)
	}
	cacheSkipLoad("programs", key, false)
	if b := cacheLoad("programs", key); string(b) != "binary" {
		t.Errorf("both retries ended: the entry gave %q, want it loaded", b)
	}
}
