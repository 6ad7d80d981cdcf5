package cachedir

import (
	"os"
	"path/filepath"
	"strings"
	"sync"
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
	// Two links to each other: a loop, not a link to a file that does not
	// exist (loop2, which does).
	loop1, loop2 := filepath.Join(dir, "loop1"), filepath.Join(dir, "loop2")
	if err := os.Symlink(loop2, loop1); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(loop1, loop2); err != nil {
		t.Fatal(err)
	}
	err = MkdirAll(filepath.Join(loop1, "programs"))
	if err == nil || !strings.Contains(err.Error(), loop1+" is a link to "+loop2+", in a loop of links that ends nowhere") {
		t.Errorf("MkdirAll through a loop of links: %v", err)
	}
}

// TestDirHome: the user cache folder is used only where it can be: an
// absolute path whose parent exists (HOME=/nonexistent made
// /nonexistent/.cache as root, HOME=relative ./relative/.cache).
func TestDirHome(t *testing.T) {
	t.Setenv(Env, "")
	t.Setenv("XDG_CACHE_HOME", "")
	home := t.TempDir()
	for _, c := range []struct{ home, want string }{
		{home, filepath.Join(home, ".cache", "gpusim")},
		{filepath.Join(home, "nonexistent"), ""},
		{"relative", ""},
		{filepath.Join(home, "gone"), ""},
	} {
		t.Setenv("HOME", c.home)
		if got := Dir(); got != c.want {
			t.Errorf("HOME=%s: Dir() = %q, want %q", c.home, got, c.want)
		}
	}
	t.Setenv("XDG_CACHE_HOME", filepath.Join(home, "xdg"))
	if got, want := Dir(), filepath.Join(home, "xdg", "gpusim"); got != want {
		t.Errorf("XDG_CACHE_HOME: Dir() = %q, want %q", got, want)
	}
}

// TestPin: Dir keeps the answer Pin gave while the environment is the same,
// though pocl has since made a missing HOME (it creates $HOME/.cache/pocl),
// and reads afresh when the environment changes.
func TestPin(t *testing.T) {
	t.Setenv(Env, "")
	t.Setenv("XDG_CACHE_HOME", "")
	missing := filepath.Join(t.TempDir(), "home")
	t.Setenv("HOME", missing)
	Pin()
	if err := os.MkdirAll(filepath.Join(missing, ".cache", "pocl"), 0o755); err != nil {
		t.Fatal(err)
	}
	if got := Dir(); got != "" {
		t.Errorf("after pocl made HOME: Dir() = %q, want \"\" as pinned", got)
	}
	other := t.TempDir()
	t.Setenv("HOME", other)
	if got, want := Dir(), filepath.Join(other, ".cache", "gpusim"); got != want {
		t.Errorf("another HOME: Dir() = %q, want %q", got, want)
	}
}

// TestWritable: a folder that can be made and written is fine; a file in
// its place, or caching off, says why not.
func TestWritable(t *testing.T) {
	d := filepath.Join(t.TempDir(), "a", "b")
	t.Setenv(Env, d)
	if err := Writable(); err != nil {
		t.Errorf("%s: %v", d, err)
	}
	if ents, _ := os.ReadDir(d); len(ents) != 0 {
		t.Errorf("Writable left %d files in %s", len(ents), d)
	}
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv(Env, file)
	if err := Writable(); err == nil {
		t.Errorf("a file as the cache folder: no error")
	}
	t.Setenv(Env, "off")
	if err := Writable(); err == nil || !strings.Contains(err.Error(), "off") {
		t.Errorf("off: %v", err)
	}
	// A relative path is off too (it made ./rel in whatever folder gpusim
	// ran from), and Writable says why.
	t.Chdir(t.TempDir())
	t.Setenv(Env, "rel")
	if d := Dir(); d != "" {
		t.Errorf("%s=rel: Dir %q, want the cache off", Env, d)
	}
	if err := Writable(); err == nil || !strings.Contains(err.Error(), "not an absolute path") {
		t.Errorf("%s=rel: %v", Env, err)
	}
	if _, err := os.Stat("rel"); err == nil {
		t.Errorf("%s=rel made ./rel", Env)
	}
}

// TestWritableSaysWhyOff: with the cache off for want of a user cache
// folder, Writable names the setting behind it: it said "GPUSIM_CACHE_DIR=off
// or there is no user cache folder" for a service started without HOME, a
// relative XDG_CACHE_HOME or a HOME that does not exist, where
// GPUSIM_CACHE_DIR was not set at all.
func TestWritableSaysWhyOff(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "gone")
	for _, c := range []struct{ env, xdg, home, want string }{
		{"off", "", t.TempDir(), Env + "=off"},
		{"", "", "", "none of " + Env + ", XDG_CACHE_HOME and HOME is set"},
		{"", "", "rel", "HOME=rel is not an absolute path"},
		{"", "rel", t.TempDir(), "XDG_CACHE_HOME=rel is not an absolute path"},
		{"", "", missing, "HOME=" + missing + " was not a folder"},
		{"", filepath.Join(missing, "cache"), "", "the parent folder of XDG_CACHE_HOME=" + filepath.Join(missing, "cache") + " was not there"},
	} {
		t.Setenv(Env, c.env)
		t.Setenv("XDG_CACHE_HOME", c.xdg)
		t.Setenv("HOME", c.home)
		err := Writable()
		if Dir() != "" || err == nil || !strings.Contains(err.Error(), c.want) || strings.ContainsAny(err.Error(), ":()") {
			t.Errorf("%s=%q XDG_CACHE_HOME=%q HOME=%q: Dir %q, Writable %v; want the cache off, saying %q, without a colon or parentheses",
				Env, c.env, c.xdg, c.home, Dir(), err, c.want)
		}
	}
}

// TestUpdateExclusive: updates at once (goroutines here, processes in use:
// flock(2) locks of separate opens exclude each other) take turns, so none
// is lost; nil from change leaves the file.
func TestUpdateExclusive(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sub", "f")
	const n = 20
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() {
			if err := Update(path, MaxEntry, func(old []byte) []byte { return append(old, 'x') }); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if err := Update(path, MaxEntry, func([]byte) []byte { return nil }); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil || len(b) != n {
		t.Errorf("got %q, %v; want %d updates", b, err, n)
	}
}

// TestWriteFileLink: a cache entry that is a link to a regular file, or to
// one that does not exist, is replaced by a file of its own: WriteFile wrote
// through it (atomicfile follows a link, as an output named by the user
// should), so a program found corrupt under a link to another file was
// written over that file (534 KB of pocl binary over a user's file), and a
// dangling link made the file it named.
func TestWriteFileLink(t *testing.T) {
	dir := t.TempDir()
	victim := filepath.Join(dir, "victim")
	if err := os.WriteFile(victim, []byte("keep"), 0o644); err != nil {
		t.Fatal(err)
	}
	gone := filepath.Join(dir, "gone")
	for _, target := range []string{victim, gone} {
		entry := filepath.Join(dir, "cache", "programs", "entry-"+filepath.Base(target))
		if err := os.MkdirAll(filepath.Dir(entry), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(target, entry); err != nil {
			t.Fatal(err)
		}
		if err := WriteFile(entry, []byte("entry")); err != nil {
			t.Fatalf("WriteFile over a link to %s: %v", filepath.Base(target), err)
		}
		if st, err := os.Lstat(entry); err != nil || !st.Mode().IsRegular() {
			t.Errorf("entry linked to %s: not replaced by a regular file (%v, %v)", filepath.Base(target), st, err)
		}
		if b, err := os.ReadFile(entry); err != nil || string(b) != "entry" {
			t.Errorf("entry linked to %s reads %q, %v", filepath.Base(target), b, err)
		}
	}
	if b, err := os.ReadFile(victim); err != nil || string(b) != "keep" {
		t.Errorf("the link's target was written: %q, %v", b, err)
	}
	if _, err := os.Lstat(gone); !os.IsNotExist(err) {
		t.Errorf("the dangling link's target was made: %v", err)
	}
}

// TestWriteFileFolder: an empty folder in an entry's place is replaced by
// the entry; one that holds files stays, and the error says to remove it
// (the cache's note had advised a writable cache folder, which it was).
func TestWriteFileFolder(t *testing.T) {
	dir := t.TempDir()
	empty := filepath.Join(dir, "programs", "empty")
	full := filepath.Join(dir, "programs", "full")
	for _, d := range []string{empty, filepath.Join(full, "sub")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := WriteFile(empty, []byte("entry")); err != nil {
		t.Fatalf("over an empty folder: %v", err)
	}
	if b, err := os.ReadFile(empty); err != nil || string(b) != "entry" {
		t.Errorf("over an empty folder: reads %q, %v", b, err)
	}
	err := WriteFile(full, []byte("entry"))
	if err == nil || !strings.Contains(err.Error(), full+" is a folder, not a cache entry: remove it") {
		t.Errorf("over a folder with files: %v", err)
	}
	if _, err := os.Stat(filepath.Join(full, "sub")); err != nil {
		t.Errorf("the folder's files were removed: %v", err)
	}
}

// withFree makes the file systems report free bytes free for the test.
func withFree(t *testing.T, free uint64) {
	saved := freeSpace
	freeSpace = func(string) (uint64, uint64, bool) { return free, 1, true }
	t.Cleanup(func() { freeSpace = saved })
}

// TestWriteFileRoom: an entry is written only where its file system keeps
// Margin free beside it, checked against the entry's own size: the write
// took whatever space there was, filling the disk before it failed ("no
// space left on device"), and the check before a compile was a flat 1 MB,
// whatever the entry. Margin is as much again as the entry, at least
// MinFreeMargin and at most FreeMargin: a flat FreeMargin kept a
// calibration of a few hundred bytes from being written with under 1 MiB
// free, and auto measured again on every run.
func TestWriteFileRoom(t *testing.T) {
	dir := t.TempDir()
	t.Setenv(Env, dir)
	path := filepath.Join(dir, "programs", "entry")
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		size, margin uint64
		text         string
	}{
		{600, MinFreeMargin, "under the 600 bytes entry takes and the 65.5 kB the cache leaves free"}, // auto.json
		{300_000, 300_000, "under the 300 kB entry takes and the 300 kB the cache leaves free"},
		{3 << 20, FreeMargin, "under the 3.15 MB entry takes and the 1.05 MB the cache leaves free"},
	} {
		if err := os.WriteFile(path, []byte("old"), 0o644); err != nil {
			t.Fatal(err)
		}
		if m := Margin(c.size); m != c.margin {
			t.Errorf("Margin(%d) = %d, want %d", c.size, m, c.margin)
		}
		data := make([]byte, c.size)
		short := c.size + c.margin - 1
		withFree(t, short)
		err := WriteFile(path, data)
		if err == nil || !strings.Contains(err.Error(), c.text) {
			t.Errorf("with %d bytes free: WriteFile of %d bytes: %v; want the room's error", short, c.size, err)
		}
		if b, err := os.ReadFile(path); err != nil || string(b) != "old" {
			t.Errorf("the refused write left %q, %v; want the old entry", b, err)
		}
		if err := Room(c.size, "a compiled program"); err == nil {
			t.Errorf("Room(%d) with %d bytes free: nil, want an error", c.size, short)
		}
		withFree(t, short+1)
		if err := WriteFile(path, data); err != nil {
			t.Errorf("with %d bytes free: WriteFile of %d bytes: %v", short+1, c.size, err)
		}
		if err := Room(c.size, "a compiled program"); err != nil {
			t.Errorf("Room(%d) with %d bytes free: %v", c.size, short+1, err)
		}
		if st, err := os.Stat(path); err != nil || uint64(st.Size()) != c.size {
			t.Errorf("the entry after the write: %v, %v; want %d bytes", st, err, c.size)
		}
	}
}

// TestOffAnyCase: GPUSIM_CACHE_DIR=OFF turns the cache off by name, as off
// does: it was taken for a relative path, with a note saying so.
func TestOffAnyCase(t *testing.T) {
	for _, v := range []string{"off", "OFF", "Off"} {
		t.Setenv(Env, v)
		if d, off := Dir(), Off(); d != "" || !off {
			t.Errorf("%s=%s: Dir %q, Off %v; want \"\" and true", Env, v, d, off)
		}
		if err := Writable(); err == nil || err.Error() != "the cache is off, as "+Env+"="+v {
			t.Errorf("%s=%s: Writable %v", Env, v, err)
		}
	}
	t.Setenv(Env, "offline")
	if Off() {
		t.Errorf("%s=offline: Off true", Env)
	}
}

// TestOffCauseOn: the cause of a cache that is off names the variable
// os.UserCacheDir reads on each system: on macOS HOME (its cache folder is
// ~/Library/Caches whatever XDG_CACHE_HOME says), on Windows LocalAppData;
// the note blamed XDG_CACHE_HOME on both.
func TestOffCauseOn(t *testing.T) {
	t.Setenv(Env, "")
	t.Setenv("XDG_CACHE_HOME", "/x")
	t.Setenv("HOME", "")
	t.Setenv("LocalAppData", "")
	for goos, want := range map[string]string{
		"linux":   "the parent folder of XDG_CACHE_HOME=/x was not there when gpusim started",
		"darwin":  "neither " + Env + " nor HOME is set",
		"windows": "neither " + Env + " nor LocalAppData is set",
	} {
		if got := offCauseOn(goos); got != want {
			t.Errorf("%s: %q, want %q", goos, got, want)
		}
	}
	t.Setenv("HOME", "/home/u")
	t.Setenv("LocalAppData", `C`)
	for goos, want := range map[string]string{
		"darwin":  "HOME=/home/u had no Library folder when gpusim started",
		"windows": "LocalAppData=C is not an absolute path",
	} {
		if got := offCauseOn(goos); got != want {
			t.Errorf("%s: %q, want %q", goos, got, want)
		}
	}
	t.Setenv("XDG_CACHE_HOME", "")
	t.Setenv("HOME", "")
	if got, want := offCauseOn("linux"), "none of "+Env+", XDG_CACHE_HOME and HOME is set"; got != want {
		t.Errorf("linux: %q, want %q", got, want)
	}
}
