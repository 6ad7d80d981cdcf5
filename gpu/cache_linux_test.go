package gpu

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
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

// TestCacheLoadFaultSaid: a load that fails for the cause the engine's note
// said (CacheFaultSaid: the folder cannot keep programs) adds no note of
// its own. A cache folder this user cannot search (HOME=/nonexistent, as
// for nobody) or a name too long read "cache: open DIR/programs/...:
// permission denied" (or "file name too long") once for each program after
// "every start compiles it, as gpusim's cache folder cannot keep it", the
// loads before that note too. A load that fails for another cause is
// still a note.
func TestCacheLoadFaultSaid(t *testing.T) {
	forgetCacheNotes(t)
	said, errno := faultSaid.Load(), faultErrno.Load()
	t.Cleanup(func() {
		if said == nil {
			said = ""
		}
		if errno == nil {
			errno = syscall.Errno(0)
		}
		faultSaid.Store(said)
		faultErrno.Store(errno)
	})
	// A name too long fails the same way for root, whom a folder's mode
	// does not stop.
	dir := filepath.Join(t.TempDir(), strings.Repeat("x", 300))
	t.Setenv(EnvCacheDir, dir)
	werr := CacheWritable()
	if !errors.Is(werr, syscall.ENAMETOOLONG) {
		t.Fatalf("CacheWritable of a folder of a 300-byte name: %v, want ENAMETOOLONG", werr)
	}
	// A load before the note (the self-test's program is looked for
	// first) and loads after it.
	cacheLoad("programs", strings.Repeat("01", 32))
	CacheFaultSaid(werr)
	for _, key := range []string{strings.Repeat("ab", 32), strings.Repeat("cd", 32)} {
		if b := cacheLoad("programs", key); b != nil {
			t.Fatalf("load from %s gave %d bytes", dir, len(b))
		}
	}
	if n := CacheNotes(); len(n) != 0 {
		t.Errorf("the loads noted %q after the engine's note said why the cache cannot keep programs", n)
	}
	faultSaid.Store("")
	faultErrno.Store(syscall.Errno(0))
	cacheLoad("programs", strings.Repeat("ef", 32))
	if n := CacheNotes(); len(n) != 1 || !strings.Contains(n[0], "file name too long") {
		t.Errorf("notes %q, want the load's, its cause unsaid", n)
	}
}
