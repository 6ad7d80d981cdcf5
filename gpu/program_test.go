package gpu

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/gpusim/gpusim/sim"
)

// cacheJob is small, with a partial last block of steps.
func cacheJob() *sim.Job {
	p := sim.Default()
	p.Lanes, p.Steps = 20011, 7
	return &sim.Job{Params: p, KeepFinals: true}
}

// openRun opens an engine, runs cacheJob, closes it (releasing the
// process's programs when it is the only engine) and returns the result.
func openRun(t testing.TB, opt Options) *sim.Result {
	t.Helper()
	opt.Device = testDevice(t)
	e, err := Open(opt)
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	r := runJob(t, e, cacheJob())
	if cachedPrograms() != 1 {
		t.Fatalf("%d programs alive: another engine is open, the disk cache is not tested", cachedPrograms())
	}
	return r
}

func sameFinals(t *testing.T, what string, got, want *sim.Result) {
	t.Helper()
	if got.Summary.Digest != want.Summary.Digest {
		t.Fatalf("%s: digest %016x, want %016x", what, got.Summary.Digest, want.Summary.Digest)
	}
	for i := range want.Finals {
		if got.Finals[i] != want.Finals[i] {
			t.Fatalf("%s: final #%d %#x, want %#x", what, i, got.Finals[i], want.Finals[i])
		}
	}
}

// TestProgramBinaryCache: a cached binary gives the serial digest; a corrupt
// entry and a binary the driver rejects are rebuilt from source.
// ProgramFile names the entry before it is written (auto tells a cold
// start from it).
func TestProgramBinaryCache(t *testing.T) {
	dir := forgetSelfTests(t)
	opt := Options{}
	want := reference(t, cacheJob())
	hits := binaryHits.Load()
	file := ProgramFile(Options{Device: testDevice(t)})
	if _, err := os.Stat(file); file == "" || err == nil {
		t.Fatalf("before the first build ProgramFile = %q (%v); want a file not there yet", file, err)
	}
	cold := openRun(t, opt)
	sameFinals(t, "from source", cold, want)
	files := programEntries(dir)
	if len(files) != 1 || binaryHits.Load() != hits {
		t.Fatalf("after a build from source: entries %v, binary hits %d", files, binaryHits.Load()-hits)
	}
	if files[0] != file {
		t.Errorf("the program was stored in %s, ProgramFile said %s", files[0], file)
	}
	if f := ProgramFile(Options{Device: testDevice(t), Math: MathFast}); f == "" || f == file {
		t.Errorf("ProgramFile with fast math = %q, want another file than exact math's %q", f, file)
	}
	warm := openRun(t, opt)
	sameFinals(t, "from the cached binary", warm, want)
	if binaryHits.Load() != hits+1 {
		t.Fatal("the second open did not use the cached binary")
	}
	t.Logf("startup: cold %v (compile %v), warm %v (compile %v)", cold.Timing.Startup, cold.Timing.Compile, warm.Timing.Startup, warm.Timing.Compile)

	// A flipped bit in the entry: rebuilt from source, and stored again.
	b, err := os.ReadFile(files[0])
	if err != nil {
		t.Fatal(err)
	}
	b[len(b)/2] ^= 0x10
	if err := os.WriteFile(files[0], b, 0o644); err != nil {
		t.Fatal(err)
	}
	sameFinals(t, "after corruption", openRun(t, opt), want)
	if binaryHits.Load() != hits+1 || !strings.Contains(strings.Join(CacheNotes(), "\n"), "corrupt") {
		t.Fatalf("a corrupt entry was used (hits %d) or not noted: %q", binaryHits.Load()-hits, CacheNotes())
	}
	sameFinals(t, "rebuilt entry", openRun(t, opt), want)
	if binaryHits.Load() != hits+2 {
		t.Fatal("the rebuilt entry was not stored")
	}

	// An entry that checks out but that the driver rejects (a stale
	// format): rebuilt from source.
	key := filepath.Base(files[0])
	e, err := Open(Options{Device: testDevice(t)})
	if err != nil {
		t.Fatal(err)
	}
	full := e.st.key
	e.Close()
	if !strings.HasPrefix(full, key) {
		t.Fatalf("entry %s is not the program's key %s", key, full)
	}
	cacheStore("programs", full, []byte("not a program binary"))
	sameFinals(t, "after a rejected binary", openRun(t, opt), want)
	if !strings.Contains(strings.Join(CacheNotes(), "\n"), "rejected by the driver") {
		t.Errorf("notes %q do not mention the rejected binary", CacheNotes())
	}
}

// TestUnwritableCache: a cache folder that cannot be made is a note, never a
// failure.
func TestUnwritableCache(t *testing.T) {
	forgetSelfTests(t)
	file := filepath.Join(t.TempDir(), "a-file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv(EnvCacheDir, filepath.Join(file, "cache"))
	sameFinals(t, "unwritable cache", openRun(t, Options{}), reference(t, cacheJob()))
	if !strings.Contains(strings.Join(CacheNotes(), "\n"), "not written") {
		t.Errorf("notes %q do not mention the unwritable cache", CacheNotes())
	}
}

// TestRejectedBinarySourceFails: a cached binary the driver rejects is
// rebuilt from source, and where that build fails too (pocl with a
// POCL_CACHE_DIR it cannot write rejects both) the note says so rather
// than that the program was rebuilt: it read "rebuilt from source" beside
// the error of the failed build.
func TestRejectedBinarySourceFails(t *testing.T) {
	forgetSelfTests(t)
	forgetCacheNotes(t)
	forgetBypassed(t)
	e := open(t, Options{})
	defer e.Close()
	key := strings.Repeat("5e", 32) // a key of the programs' form, no program's
	cacheStore("programs", key, []byte("not a program binary"))
	p, _, _, _, err := buildCached(e.sh.ctx, e.sh.dev, key, "__kernel void broken( {", e.options)
	if err == nil {
		p.Release()
		t.Fatal("a source that does not compile built")
	}
	notes := strings.Join(CacheNotes(), "\n")
	if !strings.Contains(notes, "rejected by the driver") || strings.Contains(notes, "rebuilt from source") || !strings.Contains(notes, "the build from source failed too") {
		t.Errorf("notes %q: want the rejected binary, and the failed build from source, not a rebuild", notes)
	}
	forgetCacheNotes(t)
	p, _, _, _, err = buildCached(e.sh.ctx, e.sh.dev, key, "__kernel void fine(__global int *p) { p[0] = 1; }", e.options)
	if err != nil {
		t.Fatal(err)
	}
	p.Release()
	if notes := strings.Join(CacheNotes(), "\n"); !strings.Contains(notes, "rejected by the driver") || !strings.Contains(notes, "rebuilt from source") {
		t.Errorf("notes %q: want the rejected binary rebuilt from source", notes)
	}
}

// programEntries lists the engines' program entries in the cache folder
// dir: its programs folder's files but the locks (ENTRY.lock,
// ENTRY.build.lock), loading marks and the self-test's programs
// (isSelfTestEntry).
func programEntries(dir string) []string {
	files, _ := filepath.Glob(filepath.Join(dir, "programs", "*"))
	return slices.DeleteFunc(files, func(f string) bool {
		return strings.HasSuffix(f, ".lock") || strings.Contains(f, loadingSuffix) || isSelfTestEntry(f)
	})
}

// isSelfTestEntry says whether the cache entry at path holds a self-test
// program: a binary that names its kernel selftest_step (pocl's binaries
// hold their kernels' names), which the engines' programs leave out.
func isSelfTestEntry(path string) bool {
	b, err := os.ReadFile(path)
	return err == nil && bytes.Contains(b, []byte("selftest_step"))
}
