package gpu

import (
	"bytes"
	"strings"
	"testing"
)

// TestSelfTestProgramApart: the engine's program holds none of the
// self-test's kernels, which are a program of their own, built where the
// checks run and never where a stored pass spares them: the probes had
// been compiled into every program, and every warm start built them from
// the binary (379 against 196 kB on pocl 3.1, 0.5 ms) to launch none.
func TestSelfTestProgramApart(t *testing.T) {
	dir := forgetSelfTests(t)
	want := reference(t, cacheJob())
	e := open(t, Options{})
	if e.kKAT == nil || e.kNorm == nil || e.st.kStep == nil || e.st.pass == nil || e.st.pass.Cached {
		t.Fatalf("a first start: the checks did not run (kernels %v %v %v, pass %+v)", e.kKAT, e.kNorm, e.st.kStep, e.st.pass)
	}
	if c := e.st.pass.Checks[len(e.st.pass.Checks)-1]; c.Name != openJobCheck || c.Status != CheckPass {
		t.Errorf("the checks end with %+v, want %s passed", c, openJobCheck)
	}
	sameFinals(t, "a first start", runJob(t, e, cacheJob()), want)
	e.Close()
	waitBackground()
	files := programEntries(dir)
	if len(files) != 1 {
		t.Fatalf("engine program entries %q, want 1", files)
	}
	file := files[0]
	if file != ProgramFile(Options{Device: testDevice(t)}) {
		t.Errorf("the entry %s is not ProgramFile's", file)
	}
	b := cacheLoad("programs", e.st.key)
	for _, k := range []string{"philox_kat", "normals4", "selftest_step"} {
		if bytes.Contains(b, []byte(k)) {
			t.Errorf("the engine's program binary names the self-test's kernel %s", k)
		}
	}
	if !bytes.Contains(b, []byte("weather")) {
		t.Fatal("the engine's program binary does not name its kernel weather: the test cannot tell kernels by name")
	}

	// A new process: the pass is on disk, so the self-test's program is
	// neither built nor loaded.
	trusted.Lock()
	trusted.m = nil
	trusted.Unlock()
	hits, stHits := binaryHits.Load(), selfTestHits.Load()
	e = open(t, Options{})
	if e.kKAT != nil || e.kNorm != nil || e.st.kStep != nil || e.st.options != "" {
		t.Error("a warm start with a stored pass built the self-test's kernels")
	}
	if e.st.pass == nil || !e.st.pass.Cached {
		t.Errorf("a warm start: pass %+v, want the stored one", e.st.pass)
	}
	if binaryHits.Load() != hits+1 || selfTestHits.Load() != stHits {
		t.Errorf("a warm start loaded %d engine programs and %d self-test programs from the cache, want 1 and 0",
			binaryHits.Load()-hits, selfTestHits.Load()-stHits)
	}
	sameFinals(t, "a warm start", runJob(t, e, cacheJob()), want)
	// The probes still run on demand (RunSelfTest, tests).
	if _, err := e.selfTestKernels(); err != nil || e.kKAT == nil {
		t.Fatalf("selfTestKernels: %v", err)
	}
	if selfTestHits.Load() != stHits+1 {
		t.Errorf("the self-test's program was not loaded from the cache (%d loads)", selfTestHits.Load()-stHits)
	}
}

// TestCachedSelfTestProgramFails: a cached self-test program that builds
// but computes another stream (the fast-math one, stored under the exact
// one's key) fails its check; that entry, not the engine's, is discarded
// and the self-test's program rebuilt from source, and the device is used.
func TestCachedSelfTestProgramFails(t *testing.T) {
	forgetSelfTests(t)
	forgetCacheNotes(t)
	forgetBypassed(t)
	want := reference(t, cacheJob())
	stKey := func(opt Options) (key, engineKey string) {
		e := open(t, opt)
		if _, err := e.selfTestKernels(); err != nil {
			t.Fatal(err)
		}
		defer e.Close()
		return programKey(e.desc, e.st.options, e.selfTestSource()), e.st.key
	}
	exact, engineKey := stKey(Options{})
	fast, _ := stKey(Options{Math: MathFast})
	waitBackground()
	bin := cacheLoad("programs", fast)
	if bin == nil {
		t.Fatal("no cached fast-math self-test program")
	}
	// A new cache folder, without the pass the opens above stored: the
	// checks run, on the planted binary first.
	forgetSelfTests(t)
	cacheStore("programs", exact, bin)
	stHits := selfTestHits.Load()
	e := open(t, Options{})
	sameFinals(t, "the fast-math self-test program under the exact one's key", runJob(t, e, cacheJob()), want)
	if n := selfTestHits.Load() - stHits; n != 1 {
		t.Errorf("the planted self-test program was loaded %d times, want 1", n)
	}
	notes := strings.Join(CacheNotes(), "\n")
	if !strings.Contains(notes, "failed the self-test check normals/") {
		t.Errorf("notes %q: want the self-test program's entry discarded for the normals' check", notes)
	}
	if got := cacheLoad("programs", exact); got == nil || bytes.Equal(got, bin) {
		t.Error("the self-test program's entry was not rebuilt")
	}
	if cacheLoad("programs", engineKey) == nil {
		t.Error("the engine's program, which passed its job, was not stored")
	}
}

// TestCachedSelfTestProgramWithoutKernels: a cached self-test program that
// the driver builds but that lacks the probe kernels (here the engine's
// own program, stored under the self-test program's key) is discarded and
// built from source, by Open and by RunSelfTest, which would otherwise
// blame the device for the cache's CL_INVALID_KERNEL_NAME.
func TestCachedSelfTestProgramWithoutKernels(t *testing.T) {
	forgetSelfTests(t)
	forgetBypassed(t)
	want := reference(t, cacheJob())
	e := open(t, Options{})
	stKey := programKey(e.desc, e.st.options, e.selfTestSource())
	engineKey := e.st.key
	e.Close()
	waitBackground()
	bin := cacheLoad("programs", engineKey)
	if bin == nil || e.st.options == "" {
		t.Fatal("a first start stored no program, or built no self-test program")
	}
	plant := func() {
		forgetSelfTests(t)
		forgetCacheNotes(t)
		cacheStore("programs", stKey, bin)
	}
	plant()
	e = open(t, Options{})
	sameFinals(t, "the engine's program under the self-test program's key", runJob(t, e, cacheJob()), want)
	if notes := strings.Join(CacheNotes(), "\n"); !strings.Contains(notes, "CL_INVALID_KERNEL_NAME") {
		t.Errorf("Open: notes %q, want the entry discarded for the missing kernel", notes)
	}
	if got := cacheLoad("programs", stKey); got == nil || bytes.Equal(got, bin) {
		t.Error("Open: the self-test program's entry was not rebuilt")
	}
	e.Close()
	waitBackground()

	plant()
	selfTestPasses(t, "the engine's program under the self-test program's key")
	if got := cacheLoad("programs", stKey); got == nil || bytes.Equal(got, bin) {
		t.Error("RunSelfTest: the self-test program's entry was not rebuilt")
	}
}
