package gpu

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gpusim/gpusim/gpu/cl"
	"github.com/gpusim/gpusim/kernels"
	"github.com/gpusim/gpusim/rng"
	"github.com/gpusim/gpusim/sim"
)

// The subnormal job and its digests: with subnormals kept (the
// serial engine's), and with pocl built with -cl-denorms-are-zero.
const (
	subnormalDigest = 0x13403c0252643d7e
	flushedDigest   = 0x0ddb0b050d437f2c
)

func subnormalJob() *sim.Job {
	p := sim.Default()
	p.Lanes, p.Steps, p.Seed = 100000, 3, 7
	p.Start, p.Anchor, p.Persistence, p.Sigma = 1e-30, 0, 1e-9, 1e-32
	return &sim.Job{Params: p}
}

// forgetSelfTests empties the in-memory cache of self-test outcomes and
// points the disk cache at a fresh folder, so that Open runs the checks.
func forgetSelfTests(t testing.TB) string {
	t.Helper()
	waitBackground()
	dir := t.TempDir()
	t.Setenv(EnvCacheDir, dir)
	trusted.Lock()
	trusted.m = nil
	trusted.Unlock()
	return dir
}

func TestSelfTestPasses(t *testing.T) {
	forgetSelfTests(t)
	for _, opt := range []Options{{}, {VectorWidth: 1}} {
		opt.Device = testDevice(t)
		st, err := RunSelfTest(context.Background(), opt)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%s(took %v)", st, st.Took)
		names := map[string]bool{}
		for _, c := range st.Checks {
			names[c.Name] = true
			if c.Status == CheckFail {
				t.Errorf("%s: %s: got %s, want %s (%s)", st.Label, c.Name, c.Got, c.Want, c.Note)
			}
		}
		for _, n := range []string{"philox/random123-kat", "normals/edge-words", "normals/sample", "no-fma/p*t+c", "no-fma/m+sigma*z",
			"subnormals/product", "subnormals/input", "job/plain", "job/daily", "job/finals", "plain-program/plain", "plain-program/finals"} {
			if !names[n] {
				t.Errorf("%s: no check %s", st.Label, n)
			}
		}
		if st.Denormals != st.Device.Denormals {
			t.Errorf("Denormals %v, device reports CL_FP_DENORM %v", st.Denormals, st.Device.Denormals)
		}
		checkGotWant(t, st)
	}
}

// digestOfWords is the digest of docs/reproducibility.md section 5 over
// words, word k as lane k: what Check documents a passing check of the
// known answers or the normals to show.
func digestOfWords(words []uint32) string {
	var d uint64
	for k, w := range words {
		d += sim.DigestTerm(uint64(k), w)
	}
	return fmt.Sprintf("0x%016x", d)
}

// wantOfCheck is a passing check's want as Check documents it, computed
// here from the reference alone: the digest of the words of the known
// answers or of the normals, the probe's exact result, the job's digest.
// ok is false for a check it does not know.
func wantOfCheck(t *testing.T, name string) (want string, ok bool) {
	t.Helper()
	normals := func(blocks [][4]uint32) string {
		var words []uint32
		for _, b := range blocks {
			for _, z := range rng.Normals4(b) {
				words = append(words, math.Float32bits(z))
			}
		}
		return digestOfWords(words)
	}
	switch {
	case name == "philox/random123-kat":
		var words []uint32
		for i := range padRows(len(rng.PhiloxKAT)) {
			words = append(words, rng.PhiloxKAT[i%len(rng.PhiloxKAT)].Out[:]...)
		}
		return digestOfWords(words), true
	case name == "normals/edge-words":
		var blocks [][4]uint32
		for _, w := range normalEdges {
			blocks = append(blocks, [4]uint32{w, w, w, w})
		}
		return normals(blocks), true
	case name == "normals/sample":
		var blocks [][4]uint32
		for i := len(normalEdges); i < padRows(len(normalEdges)+sampleBlocks); i++ {
			blocks = append(blocks, rng.Philox4x32([4]uint32{uint32(i), 0, 0, 0}, [2]uint32{}))
		}
		return normals(blocks), true
	case strings.HasPrefix(name, "job/"), strings.HasPrefix(name, "plain-program/"):
		// The program without the daily kernels runs the jobs without
		// per-step statistics again (plainProgramChecks).
		job := name
		if rest, ok := strings.CutPrefix(name, "plain-program/"); ok {
			job = "job/" + rest
		}
		for _, j := range selfTestJobs() {
			if j.name == job && !(j.job.Daily && strings.HasPrefix(name, "plain-program/")) {
				return fmt.Sprintf("0x%016x", reference(t, j.job).Summary.Digest), true
			}
		}
	}
	for _, p := range probeCases {
		if p.name == name {
			return fmt.Sprintf("0x%08x", math.Float32bits(p.want)), true
		}
	}
	return "", false
}

// checkGotWant checks that every check of st shows got and want in hex, as
// Check documents them: for a pass, equal and the reference's value (a
// pass showed neither, so that a reader could not see what was compared);
// subnormals/reported's bits, which differ.
func checkGotWant(t *testing.T, st *SelfTest) {
	t.Helper()
	for _, c := range st.Checks {
		if !strings.HasPrefix(c.Got, "0x") || !strings.HasPrefix(c.Want, "0x") {
			t.Errorf("%s: %s check %s: got %q, want %q: want both in hex", st.Label, c.Status, c.Name, c.Got, c.Want)
			continue
		}
		if c.Name == "subnormals/reported" {
			if c.Got == c.Want || c.Want != fmt.Sprintf("%#x", 1<<(1+subnormalProbes())-1) {
				t.Errorf("%s: %s: got %s, want %s: want every bit, and a got without some", st.Label, c.Name, c.Got, c.Want)
			}
			continue
		}
		want, ok := wantOfCheck(t, c.Name)
		if !ok {
			t.Errorf("%s: check %s unknown to the test", st.Label, c.Name)
		}
		if c.Status == CheckPass && (c.Got != c.Want || c.Want != want) {
			t.Errorf("%s: pass %s: got %s, want %s; want both %s", st.Label, c.Name, c.Got, c.Want, want)
		}
		if c.Status == CheckPass && (strings.HasPrefix(c.Name, "job/") || strings.HasPrefix(c.Name, "plain-program/") || strings.HasPrefix(c.Name, "normals/") || strings.HasPrefix(c.Name, "philox/")) && !strings.Contains(c.Note, "digest of ") {
			t.Errorf("%s: pass %s: note %q does not say what got and want are the digest of", st.Label, c.Name, c.Note)
		}
	}
}

// subnormalProbes counts the probes of flushed subnormals.
func subnormalProbes() int {
	n := 0
	for _, p := range probeCases {
		if p.subnormal {
			n++
		}
	}
	return n
}

// TestSelfTestString: the text report shows got and want for every check
// that has them, a pass too, and a check without them (the job did not
// run) reads no "got , want". A pass showed its name alone.
func TestSelfTestString(t *testing.T) {
	st := &SelfTest{Label: "pthread", Checks: []Check{
		{Name: "job/plain", Status: CheckPass, Got: "0x034bc970af984795", Want: "0x034bc970af984795", Note: "digest of 1003 lanes"},
		{Name: "subnormals/product", Status: CheckLimited, Got: "0x00000000", Want: "0x00000200", Note: "flushes"},
		{Name: "job/daily", Status: CheckFail, Got: "0x3", Want: "0x4", Note: "count"},
		{Name: "job/finals", Status: CheckFail, Note: "the job did not run"},
	}}
	want := "pthread\n" +
		"  pass     job/plain: got 0x034bc970af984795, want 0x034bc970af984795 (digest of 1003 lanes)\n" +
		"  limited  subnormals/product: got 0x00000000, want 0x00000200 (flushes)\n" +
		"  fail     job/daily: got 0x3, want 0x4 (count)\n" +
		"  fail     job/finals (the job did not run)\n"
	if got := st.String(); got != want {
		t.Errorf("String:\n%s\nwant:\n%s", got, want)
	}
}

// brokenSource is the weather program with old replaced by new, which must
// occur in it.
func brokenSource(t *testing.T, old, new string) string {
	t.Helper()
	if !strings.Contains(kernels.Weather, old) {
		t.Fatalf("weather.cl has no %q to break", old)
	}
	return strings.Replace(kernels.Weather, old, new, 1)
}

// TestSelfTestRefuses breaks the kernels the way a driver could (a fused
// multiply-add, a wrong Philox constant, a wrong transform constant) and
// checks that Open refuses the device naming the failed check, with the
// check's note (what failed: the fused multiply-add, the counter, the
// words) and a hint (the full report, a CPU engine meanwhile). The message
// used to drop the note, and cl.HintFor gave none.
func TestSelfTestRefuses(t *testing.T) {
	forgetSelfTests(t)
	for _, tc := range []struct {
		name, old, new, check string
	}{
		{"fused p*t+c", "m_ = m_ + c;", "m_ = fma(p, (t), c);", "no-fma/p*t+c"},
		{"fused sigma*z", "(t) = m_ + n_;", "(t) = fma(sigma, (z), m_);", "no-fma/m+sigma*z"},
		{"philox", "#define PHILOX_W1 0xBB67AE85u", "#define PHILOX_W1 0xBB67AE84u", "philox/random123-kat"},
		{"transform", "#define LOG_Q1 as_float(0xb95e8083u)", "#define LOG_Q1 as_float(0xb95e8093u)", "normals/"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Open(Options{Device: testDevice(t), VectorWidth: 1, source: brokenSource(t, tc.old, tc.new)})
			var se *SelfTestError
			if !errors.As(err, &se) {
				t.Fatalf("Open: %v, want a *SelfTestError", err)
			}
			if !strings.HasPrefix(se.Check.Name, tc.check) || !strings.Contains(err.Error(), tc.check) {
				t.Errorf("failed check %q (%v), want %s", se.Check.Name, err, tc.check)
			}
			if se.Check.Note == "" || !strings.Contains(err.Error(), se.Check.Note) {
				t.Errorf("message %q lacks the check's note %q", err, se.Check.Note)
			}
			// Every got and want reads 0x, the known answers' vector of
			// words too (it read [6627e8d4 ...]).
			if hex := regexp.MustCompile(`^(0x[0-9a-f]{8}|\[0x[0-9a-f]{8}( 0x[0-9a-f]{8}){3}\])$`); !hex.MatchString(se.Check.Got) || !hex.MatchString(se.Check.Want) {
				t.Errorf("got %q, want %q: want a float's bits or a vector of words in hex, 0x and 8 digits each", se.Check.Got, se.Check.Want)
			}
			hint := cl.HintFor(err)
			if !strings.Contains(hint, fmt.Sprintf("gpusim selftest --device %d", testDevice(t))) || !strings.Contains(hint, "--engine simd") {
				t.Errorf("hint %q: want the selftest command and a CPU engine", hint)
			}
			t.Logf("%v\nhint: %s", err, hint)
		})
	}
}

// TestSubnormalsRefused runs the subnormal job on pocl with
// denormals forced off (-cl-denorms-are-zero, no CL_FP_DENORM): the engine
// refuses it, and without the refusal it would give the flushed digest.
func TestSubnormalsRefused(t *testing.T) {
	forgetSelfTests(t)
	job := subnormalJob()
	if r := runJob(t, open(t, Options{}), job); r.Summary.Digest != subnormalDigest {
		t.Fatalf("with subnormals: digest %016x, want %016x", r.Summary.Digest, uint64(subnormalDigest))
	}
	e := open(t, Options{noDenormals: true, VectorWidth: 1})
	_, err := e.Run(context.Background(), job)
	var se *SubnormalError
	if !errors.As(err, &se) {
		t.Fatalf("Run: %v, want a *SubnormalError", err)
	}
	t.Log(err)
	if !strings.Contains(se.Risk, "sigma") || !strings.Contains(se.Why, "CL_FP_DENORM") {
		t.Errorf("risk %q, why %q", se.Risk, se.Why)
	}
	// Refuses says so before any run, as auto asks it.
	if err := e.Refuses(job); !errors.As(err, &se) {
		t.Errorf("Refuses: %v, want a *SubnormalError", err)
	}
	if err := e.Refuses(&sim.Job{Params: sim.Default()}); err != nil {
		t.Errorf("Refuses(a safe job): %v", err)
	}
	// The refusal is needed: the device really flushes.
	e.st.denormals = true
	if r := runJob(t, e, job); r.Summary.Digest != flushedDigest {
		t.Errorf("flushed: digest %016x, want %016x", r.Summary.Digest, uint64(flushedDigest))
	}
	// A job that cannot reach subnormals runs, with the serial digest.
	ok := &sim.Job{Params: sim.Default()}
	ok.Params.Lanes, ok.Params.Steps = 10007, 5
	e.st.denormals = false
	if got, want := runJob(t, e, ok), reference(t, ok); got.Summary.Digest != want.Summary.Digest {
		t.Errorf("safe job: digest %016x, want %016x", got.Summary.Digest, want.Summary.Digest)
	}
}

// TestSelfTestSubnormalProbes checks that the probes see the flushing, not
// only the reported FP config.
func TestSelfTestSubnormalProbes(t *testing.T) {
	forgetSelfTests(t)
	e := open(t, Options{noDenormals: true, VectorWidth: 1})
	st, err := e.cheapChecks()
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%s", st)
	for _, c := range st.Checks {
		if strings.HasPrefix(c.Name, "subnormals/") && c.Name != "subnormals/reported" && c.Status != CheckLimited {
			t.Errorf("%s: %s, want %s under -cl-denorms-are-zero", c.Name, c.Status, CheckLimited)
		}
		if c.Status == CheckFail {
			t.Errorf("%s failed: %+v", c.Name, c)
		}
	}
	if st.Denormals {
		t.Error("Denormals true under -cl-denorms-are-zero")
	}
	checkGotWant(t, st)
}

func TestSubnormalRisk(t *testing.T) {
	params := func(f func(p *sim.Params)) sim.Params {
		p := sim.Default()
		f(&p)
		return p
	}
	for _, tc := range []struct {
		name  string
		p     sim.Params
		daily bool
		risky bool
	}{
		{"default", sim.Default(), false, false},
		{"default daily", params(func(p *sim.Params) { p.Steps = 365 }), true, false},
		{"issue", subnormalJob().Params, false, true},
		{"tiny sigma", params(func(p *sim.Params) { p.Sigma = 1e-20 }), false, true},
		{"subnormal start", params(func(p *sim.Params) { p.Start = 1e-40 }), false, true},
		{"tiny persistence", params(func(p *sim.Params) { p.Persistence, p.Sigma = 1e-25, 1e-5 }), false, true},
		{"zero persistence", params(func(p *sim.Params) { p.Persistence = 0 }), false, false},
		{"huge sigma", params(func(p *sim.Params) { p.Sigma = 1e30 }), false, false},
		{"noiseless decay", params(func(p *sim.Params) { p.Sigma, p.Anchor, p.Start, p.Persistence, p.Steps = 0, 0, 1, 0.5, 200 }), false, true},
		{"noiseless short", params(func(p *sim.Params) { p.Sigma, p.Anchor, p.Start, p.Persistence, p.Steps = 0, 0, 1, 0.5, 20 }), true, false},
		{"noiseless settles", params(func(p *sim.Params) { p.Sigma, p.Steps = 0, 100000 }), false, false},
		// Paths that do not repeat within the host's walk of 2^16
		// steps are judged by bounds: they were all refused.
		{"noiseless slow", params(func(p *sim.Params) { p.Sigma, p.Persistence, p.Steps = 0, 0.99999, 100000 }), false, false},
		{"noiseless slow growth", params(func(p *sim.Params) { p.Sigma, p.Anchor, p.Persistence, p.Steps = 0, 0, 1.00001, 1000000 }), false, false},
		{"noiseless slow, negative", params(func(p *sim.Params) { p.Sigma, p.Persistence, p.Steps = 0, -0.99999, 100000 }), false, false},
		{"noiseless slow decay", params(func(p *sim.Params) { p.Sigma, p.Anchor, p.Persistence, p.Steps = 0, 0, 0.99999, 100000 }), false, true},
		{"noiseless slow, tiny anchor", params(func(p *sim.Params) { p.Sigma, p.Anchor, p.Persistence, p.Steps = 0, 1e-30, 0.99999, 100000 }), false, true},
	} {
		r := SubnormalRisk(tc.p, tc.daily)
		if (r != "") != tc.risky {
			t.Errorf("%s: risk %q, want risky %v", tc.name, r, tc.risky)
		}
	}
	// The parameter as typed, not float32's value in float64's digits
	// (1.000000023742228e-32).
	if r, want := SubnormalRisk(subnormalJob().Params, false), "|sigma| = 1e-32 is below 2^-103"; r != want {
		t.Errorf("the issue's job: risk %q, want %q", r, want)
	}
}

// TestSubnormalRiskSound runs jobs the rule calls safe, and some it calls
// risky, with denormals forced off: a safe job's digest must be the serial
// one (a risky one may or may not differ).
func TestSubnormalRiskSound(t *testing.T) {
	forgetSelfTests(t)
	e := open(t, Options{noDenormals: true, VectorWidth: 1})
	e.st.denormals = true // run whatever the rule says
	for _, sigma := range []float64{1, 1e-10, 1e-17, 1e-18, 1e-25, 1e-30} {
		job := subnormalJob()
		job.Params.Lanes, job.Params.Sigma, job.Params.Start, job.Params.Persistence = 20000, sigma, 1e-3, 0.5
		risk := SubnormalRisk(job.Params, false)
		got, want := runJob(t, e, job), reference(t, job)
		t.Logf("sigma %g: risk %q, same digest %v", sigma, risk, got.Summary.Digest == want.Summary.Digest)
		if risk == "" && got.Summary.Digest != want.Summary.Digest {
			t.Errorf("sigma %g: called safe, but the flushed digest %016x differs from %016x", sigma, got.Summary.Digest, want.Summary.Digest)
		}
	}
	// Noiseless paths too long for the host's walk, judged by bounds.
	for _, c := range []struct{ anchor, persistence float64 }{{72, 0.99999}, {72, -0.99999}, {1e-20, 0.9999}} {
		job := subnormalJob()
		job.Params.Lanes, job.Params.Steps, job.Params.Sigma, job.Params.Start = 64, 100000, 0, 75
		job.Params.Anchor, job.Params.Persistence = c.anchor, c.persistence
		risk := SubnormalRisk(job.Params, false)
		got, want := runJob(t, e, job), reference(t, job)
		t.Logf("noiseless %+v: risk %q, same digest %v", c, risk, got.Summary.Digest == want.Summary.Digest)
		if risk == "" && (got.Summary.Digest != want.Summary.Digest || !slices.Equal(got.Summary.Hist.Bins, want.Summary.Hist.Bins)) {
			t.Errorf("noiseless %+v: called safe, but the flushed digest %016x differs from %016x", c, got.Summary.Digest, want.Summary.Digest)
		}
	}
}

// TestMinAbsNormal checks the bound minAbsZ of the subnormal rule: the
// smallest radius (of word 0xffffffff: the radius falls as the word grows
// past 2^31) times the smallest sine (of the smallest angle, k = 1).
func TestMinAbsNormal(t *testing.T) {
	r := rng.Radius(0xffffffff)
	for w := uint32(0xffffffff); w > 0xffff0000; w-- {
		if rw := rng.Radius(w); rw < r {
			t.Fatalf("radius(%#x) = %g < radius(0xffffffff) = %g", w, rw, r)
		}
	}
	s, _ := rng.SinCos(0) // octant 0, k = 1: the smallest angle
	if low := float64(r) * float64(s); low < minAbsZ*2 {
		t.Errorf("smallest |z| about %g, bound %g leaves no margin", low, minAbsZ)
	}
	z := rng.Normals4([4]uint32{0xffffffff, 0, 0xffffffff, 0})
	for i, v := range z {
		if math.Abs(float64(v)) < minAbsZ {
			t.Errorf("z%d = %g is below the bound %g", i, v, minAbsZ)
		}
	}
}

// TestSelfTestCache checks that a pass is stored on disk for the binary
// stored beside it and reused with that binary only, and that a corrupt
// entry is run again, never trusted.
func TestSelfTestCache(t *testing.T) {
	dir := forgetSelfTests(t)
	openRun(t, Options{}) // built from source: stores the binary and its pass
	files, _ := filepath.Glob(filepath.Join(dir, "selftest", "*"))
	if len(files) != 1 {
		t.Fatalf("cache files %v, want one", files)
	}
	trusted.Lock()
	trusted.m = nil
	trusted.Unlock()
	e, err := Open(Options{Device: testDevice(t)})
	if err != nil {
		t.Fatal(err)
	}
	key, binSum, pass := e.st.key, e.st.binSum, e.st.pass
	e.Close()
	if binSum == "" || pass == nil || !pass.Cached {
		t.Fatalf("second open: binary checksum %q, pass %+v; want the cached binary and its stored pass", binSum, pass)
	}
	if st := loadSelfTest(selfTestKey(key, binSum, e.desc)); st == nil {
		t.Fatal("the stored pass does not load")
	} else if st.Label == "" || st.Label != e.label {
		// Open's checks ran before the engine had its label: every
		// stored pass said "".
		t.Errorf("the stored pass's label is %q, want the engine's %q", st.Label, e.label)
	}
	if loadSelfTest(selfTestKey(key, sum([]byte("another binary")), e.desc)) != nil {
		t.Fatal("a pass vouches for another binary")
	}
	b, err := os.ReadFile(files[0])
	if err != nil {
		t.Fatal(err)
	}
	b[len(b)-2] ^= 1 // a flipped bit in the data
	if err := os.WriteFile(files[0], b, 0o644); err != nil {
		t.Fatal(err)
	}
	if loadSelfTest(selfTestKey(key, binSum, e.desc)) != nil {
		t.Fatal("a corrupt entry was trusted")
	}
	if n := strings.Join(CacheNotes(), "\n"); !strings.Contains(n, "corrupt") {
		t.Errorf("notes %q do not mention the corrupt entry", n)
	}
}

// TestSelfTestLoadedBinaryPass: gpusim selftest on a device whose program
// it loads from the disk cache, with no pass stored for that device (here
// the pass removed; with two devices of one model, the second loads the
// binary the first built), stores its pass, which the next Open trusts.
// It stored one only for a binary it built, so that `gpusim run` on the
// second device ran the cheap checks again.
func TestSelfTestLoadedBinaryPass(t *testing.T) {
	dir := forgetSelfTests(t)
	opt := Options{Device: testDevice(t)}
	if st, err := RunSelfTest(context.Background(), opt); err != nil || st.Failed() != nil {
		t.Fatalf("RunSelfTest built from source: %v\n%s", err, st)
	}
	waitBackground()
	passes, _ := filepath.Glob(filepath.Join(dir, "selftest", "*"))
	for _, f := range passes {
		if err := os.Remove(f); err != nil {
			t.Fatal(err)
		}
	}
	trusted.Lock()
	trusted.m = nil
	trusted.Unlock()
	if st, err := RunSelfTest(context.Background(), opt); err != nil || st.Failed() != nil {
		t.Fatalf("RunSelfTest of the cached binary: %v\n%s", err, st)
	}
	waitBackground()
	trusted.Lock()
	trusted.m = nil
	trusted.Unlock()
	e, err := Open(opt)
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	if e.st.binSum == "" || e.st.pass == nil || !e.st.pass.Cached {
		t.Errorf("Open after selftest of the cached binary: binary sum %q, pass %+v: want the cached binary and the pass selftest stored", e.st.binSum, e.st.pass)
	}
}

// TestSelfTestCompileApart: gpusim selftest's checks' time (Took) leaves
// out the program's build and each kernel's first launch, where pocl
// generates machine code (Compile): on a program new to pocl's kernel
// cache (a source of its own), the checks took 0.32 s against 0.012 s
// once its code was generated, and selftest's JSON "seconds" counted it.
func TestSelfTestCompileApart(t *testing.T) {
	forgetSelfTests(t)
	const slack = 250 * time.Millisecond // a loaded machine's wake-ups (CI: 2 cores, other packages testing); pocl's code generation took 0.3 to 1 s of the old cold time
	src := kernels.Weather + fmt.Sprintf("\n__constant uint selftest_compile_nonce = %du;\n", time.Now().UnixNano()%1e9)
	opt := Options{Device: testDevice(t), source: src}
	cold, err := RunSelfTest(context.Background(), opt)
	if err != nil || cold.Failed() != nil {
		t.Fatalf("cold RunSelfTest: %v\n%s", err, cold)
	}
	waitBackground()
	warm, err := RunSelfTest(context.Background(), opt)
	if err != nil || warm.Failed() != nil {
		t.Fatalf("warm RunSelfTest: %v\n%s", err, warm)
	}
	t.Logf("cold: checks %v, compile %v; warm: checks %v, compile %v", cold.Took, cold.Compile, warm.Took, warm.Compile)
	if cold.Compile <= 0 || warm.Compile <= 0 {
		t.Errorf("compile %v cold, %v warm: want the build and first launches timed", cold.Compile, warm.Compile)
	}
	if cold.Took > 5*warm.Took+slack || cold.Took > cold.Compile {
		t.Errorf("checks took %v cold (compile %v), %v warm: want the cold checks' time without the code generation", cold.Took, cold.Compile, warm.Took)
	}
}

// TestSelfTestKey: a pass stored for one program on one device and driver
// vouches for nothing else: another driver version, device, platform,
// build option, kernel source or binary finds no pass and runs the checks.
// It needs no OpenCL.
func TestSelfTestKey(t *testing.T) {
	forgetSelfTests(t)
	base := DeviceDesc{DeviceInfo: cl.DeviceInfo{Name: "NVIDIA H200", Vendor: "NVIDIA Corporation", DriverVersion: "550.54.15",
		Version: "OpenCL 3.0 CUDA", PlatformName: "NVIDIA CUDA", PlatformVersion: "OpenCL 3.0 CUDA 12.4.89"}}
	const options = "-cl-std=CL1.2 -DVW=1"
	source := kernels.Weather
	binSum := sum([]byte("the binary"))
	saveSelfTest(selfTestKey(programKey(base, options, source), binSum, base), &SelfTest{Device: base, Denormals: true,
		Checks: []Check{{Name: "philox/random123-kat", Status: CheckPass}}})
	if loadSelfTest(selfTestKey(programKey(base, options, source), binSum, base)) == nil {
		t.Fatal("the stored pass does not load for its own program")
	}
	// A pass without the known answers passed is none: {} under a valid
	// checksum was trusted.
	for _, st := range []*SelfTest{{Device: base}, {Device: base, Checks: []Check{{Name: "philox/random123-kat", Status: CheckLimited}}}} {
		saveSelfTest(selfTestKey(programKey(base, options, source), sum([]byte("another")), base), st)
		if loadSelfTest(selfTestKey(programKey(base, options, source), sum([]byte("another")), base)) != nil {
			t.Errorf("a stored pass of checks %+v was trusted", st.Checks)
		}
	}
	other := func(f func(d *DeviceDesc)) DeviceDesc {
		d := base
		f(&d)
		return d
	}
	for _, c := range []struct {
		name            string
		d               DeviceDesc
		options, source string
		binSum          string
	}{
		{"driver version", other(func(d *DeviceDesc) { d.DriverVersion = "555.42.02" }), options, source, binSum},
		{"device", other(func(d *DeviceDesc) { d.Name = "NVIDIA H100" }), options, source, binSum},
		{"device version", other(func(d *DeviceDesc) { d.Version = "OpenCL 3.0 CUDA 2" }), options, source, binSum},
		{"platform version", other(func(d *DeviceDesc) { d.PlatformVersion = "OpenCL 3.0 CUDA 12.5.40" }), options, source, binSum},
		{"vendor", other(func(d *DeviceDesc) { d.Vendor = "Other" }), options, source, binSum},
		{"build options", base, options + " -cl-denorms-are-zero", source, binSum},
		{"kernel source", base, options, strings.Replace(source, "0xBB67AE85u", "0xBB67AE84u", 1), binSum},
		{"binary", base, options, source, sum([]byte("another binary"))},
		// Another GPU of the same model: it trusted the first's pass.
		{"device index", other(func(d *DeviceDesc) { d.Index = 1 }), options, source, binSum},
	} {
		if loadSelfTest(selfTestKey(programKey(c.d, c.options, c.source), c.binSum, c.d)) != nil {
			t.Errorf("another %s: the stored pass was trusted", c.name)
		}
	}
	// A driver's setting that may change its code (DriverEnv) is another
	// program: pocl under POCL_EXTRA_BUILD_FLAGS=-cl-denorms-are-zero
	// flushed subnormals on the binary the pass vouched for. Settings of
	// where files go, what is printed or which devices are listed, and
	// empty ones, are not.
	for _, c := range []struct {
		name, value string
		trusted     bool
	}{
		{"POCL_EXTRA_BUILD_FLAGS", "-cl-denorms-are-zero", false},
		{"AMD_OCL_BUILD_OPTIONS_APPEND", "-cl-denorms-are-zero", false},
		{"CUDA_FORCE_PTX_JIT", "1", false},
		{"POCL_EXTRA_BUILD_FLAGS", "", true},
		{"POCL_CACHE_DIR", "/tmp/elsewhere", true},
		{"POCL_DEBUG", "all", true},
		// Which physical device an index names: another device, whose
		// pass is its own (the program is the same: programKey leaves
		// them out).
		{"CUDA_VISIBLE_DEVICES", "3", false},
		{"POCL_DEVICES", "pthread pthread", false},
		{"GPUSIM_CACHE_DIR", os.Getenv("GPUSIM_CACHE_DIR"), true},
	} {
		t.Run(c.name+"="+c.value, func(t *testing.T) {
			t.Setenv(c.name, c.value)
			if got := loadSelfTest(selfTestKey(programKey(base, options, source), binSum, base)) != nil; got != c.trusted {
				t.Errorf("%s=%q: the stored pass trusted %v, want %v", c.name, c.value, got, c.trusted)
			}
		})
	}
	// Another gpusim whose checks differ (its kernels the same) runs its
	// own: a stricter check was never run on a device with a pass.
	defer func(f func() string) { selfTestChecks = f }(selfTestChecks)
	selfTestChecks = func() string { return sum([]byte("checks of another build")) }
	if loadSelfTest(selfTestKey(programKey(base, options, source), binSum, base)) != nil {
		t.Error("another build's checks: the stored pass was trusted")
	}
}

// plantFastBinary stores the fast-math program's binary, with a valid
// checksum, under the exact program's key in the disk cache (as a damaged
// cache or another driver could leave it) and returns that key and the
// binary.
func plantFastBinary(t *testing.T) (exact string, bin []byte) {
	t.Helper()
	keyOf := func(opt Options) string {
		opt.Device = testDevice(t)
		e, err := Open(opt)
		if err != nil {
			t.Fatal(err)
		}
		defer e.Close()
		return e.st.key
	}
	exact = keyOf(Options{})
	bin = cacheLoad("programs", keyOf(Options{Math: MathFast}))
	if bin == nil {
		t.Fatal("no cached fast-math binary")
	}
	cacheStore("programs", exact, bin)
	return exact, bin
}

// TestCachedBinaryFailsSelfTest: a cached binary that builds but computes
// another stream (here the fast-math program's, stored with a valid
// checksum under the exact program's key, as a damaged cache or another
// driver could leave it) is caught by the self-test, discarded and rebuilt
// from source: the run gives the serial digest. The stored pass used to be
// keyed by the program's key alone and vouched for whatever binary a later
// process found there: the run printed the fast-math digest.
func TestCachedBinaryFailsSelfTest(t *testing.T) {
	forgetSelfTests(t)
	want := reference(t, cacheJob())
	exact, bin := plantFastBinary(t)
	trusted.Lock()
	trusted.m = nil
	trusted.Unlock()
	sameFinals(t, "the fast-math binary under the exact program's key", openRun(t, Options{}), want)
	if n := strings.Join(CacheNotes(), "\n"); !strings.Contains(n, "failed the self-test check") {
		t.Errorf("notes %q do not mention the binary that failed the self-test", n)
	}
	if got := cacheLoad("programs", exact); got == nil || bytes.Equal(got, bin) {
		t.Error("the exact program's cache entry was not rebuilt")
	}

	// gpusim selftest too: it used to blame the device for the cached
	// binary's failures, and leave the entry to fail every later call.
	cacheStore("programs", exact, bin)
	selfTestPasses(t, "the fast-math binary cached")
	if got := cacheLoad("programs", exact); got != nil && bytes.Equal(got, bin) {
		t.Error("selftest left the fast-math binary in the cache")
	}
}

// forgetCacheNotes empties the process's cache notes for the test, so that
// its checks see only the notes it caused.
func forgetCacheNotes(t *testing.T) {
	t.Helper()
	all := func(string) bool { return true }
	saved := cacheNotes.Drop(all)
	t.Cleanup(func() {
		for _, n := range slices.Concat(saved, cacheNotes.Drop(all)) {
			cacheNotes.Add("%s", n)
		}
	})
}

// undeletable makes the file at path impossible to remove until the test
// ends: immutable (chattr +i, which stops root too), or, where that cannot
// be done, through removeFile.
func undeletable(t *testing.T, path string) {
	t.Helper()
	if out, err := exec.Command("chattr", "+i", path).CombinedOutput(); err != nil {
		t.Logf("chattr +i %s: %v %s; removeFile refuses it instead", path, err, out)
		removeFile = func(p string) error {
			if p == path {
				return &os.PathError{Op: "remove", Path: p, Err: syscall.EPERM}
			}
			return os.Remove(p)
		}
		t.Cleanup(func() { removeFile = os.Remove })
		return
	}
	t.Cleanup(func() { exec.Command("chattr", "-i", path).Run() })
	if err := os.Remove(path); err == nil {
		t.Fatalf("%s was removed despite chattr +i", path)
	}
}

// TestCachedBinaryFailsSelfTestUndeletable: a cached binary that fails the
// self-test and whose entry cannot be removed (an immutable file, a folder
// the user cannot write) is bypassed: Open builds the source instead, the
// process never loads the entry again, and the note says it is bad and how
// to remove it. Open used to return the self-test error, blaming the
// device, for every process, while the note claimed the entry was
// discarded and rebuilt.
func TestCachedBinaryFailsSelfTestUndeletable(t *testing.T) {
	dir := forgetSelfTests(t)
	forgetCacheNotes(t)
	want := reference(t, cacheJob())
	exact, _ := plantFastBinary(t)
	path := cachePath("programs", exact)
	if !strings.HasPrefix(path, dir) {
		t.Fatalf("entry %s is not in the test's cache %s", path, dir)
	}
	undeletable(t, path)
	hits := openRunLoadingOnce(t, "the fast-math binary, undeletable, under the exact program's key", want)
	notes := strings.Join(CacheNotes(), "\n")
	if strings.Contains(notes, "discarded") || !strings.Contains(notes, "failed the self-test check") ||
		!strings.Contains(notes, "bypassed") || !strings.Contains(notes, "rm -f "+path) {
		t.Errorf("notes %q: want the bad entry bypassed, and how to remove it, not discarded", notes)
	}
	t.Log(notes)
	// Later opens in the process do not load the entry again.
	sameFinals(t, "a second open", openRun(t, Options{}), want)
	if n := binaryHits.Load() - hits; n != 1 {
		t.Errorf("the bad binary was loaded %d times, want once", n)
	}

	// gpusim selftest in a later process: the same, and the device is not
	// blamed.
	forgetBypassed(t)
	selfTestPasses(t, "the fast-math binary cached and undeletable")
}

// openRunLoadingOnce forgets the process's self-test passes, runs cacheJob
// on a new engine (openRun), compares it with want and checks that it
// loaded the cached binary once; hits is binaryHits before the run. what
// says what the cache holds.
func openRunLoadingOnce(t *testing.T, what string, want *sim.Result) (hits int64) {
	t.Helper()
	trusted.Lock()
	trusted.m = nil
	trusted.Unlock()
	hits = binaryHits.Load()
	sameFinals(t, what, openRun(t, Options{}), want)
	if n := binaryHits.Load() - hits; n != 1 {
		t.Errorf("%s: the cached binary was loaded %d times, want once", what, n)
	}
	return hits
}

// selfTestPasses runs gpusim selftest on the test device and fails the test
// where a check fails; with says what the cache holds.
func selfTestPasses(t *testing.T, with string) {
	t.Helper()
	st, err := RunSelfTest(context.Background(), Options{Device: testDevice(t)})
	if err != nil {
		t.Fatal(err)
	}
	if c := st.Failed(); c != nil {
		t.Errorf("selftest with %s: check %s failed", with, c.Name)
	}
}

// TestHexOf: a failed check shows a digest in 16 hex digits and a float's
// bits in 8, at full width (it showed 0x34bc970af984795).
func TestHexOf(t *testing.T) {
	for _, c := range []struct {
		v    any
		want string
	}{
		{digestBits(0x34bc970af984795), "0x034bc970af984795"},
		{floatBits(0x3f80), "0x00003f80"},
		{uint64(1000), "0x3e8"},
		{uint32(7), "0x7"},
	} {
		if got := hexOf(c.v); got != c.want {
			t.Errorf("hexOf(%v) = %s, want %s", c.v, got, c.want)
		}
	}
}

// TestSelfTestJobFails: a job the device fails to run fails its own check,
// with the reason, and the self-test goes on to report every check; it
// ended with the error alone, so that gpusim selftest showed no report.
// The check keeps the error (Check.Err), whose hint its note's text lost.
func TestSelfTestJobFails(t *testing.T) {
	fail := &cl.Error{Code: -5, Op: "clEnqueueNDRangeKernel"}
	st, err := RunSelfTest(context.Background(), Options{Device: testDevice(t), runErr: fail})
	if err != nil {
		t.Fatalf("RunSelfTest: %v, want a report", err)
	}
	jobs := 0
	for _, c := range st.Checks {
		if !strings.HasPrefix(c.Name, "job/") {
			if c.Status == CheckFail {
				t.Errorf("check %s failed: %s", c.Name, c.Note)
			}
			continue
		}
		jobs++
		if c.Status != CheckFail || c.Note != "the job did not run, so it has no got or want: clEnqueueNDRangeKernel: CL_OUT_OF_RESOURCES (-5)" || c.Got != "" || c.Want != "" {
			t.Errorf("check %s: %s %q (got %q, want %q), want a failure saying the job did not run, without got or want", c.Name, c.Status, c.Note, c.Got, c.Want)
		}
		if h := cl.HintFor(c.Err); !strings.Contains(h, "the device ran out of resources") {
			t.Errorf("check %s: hint %q, want the launch's", c.Name, h)
		}
	}
	if jobs != 3 || st.Failed() == nil {
		t.Errorf("%d job checks, failed %v: want 3, failed", jobs, st.Failed())
	}
}

// TestSelfTestJobEnvironment: a job that did not run for its environment
// (the host out of memory: CL_OUT_OF_HOST_MEMORY, ENOMEM) could not run
// (CheckNotRun, "could not run:" and the cause), no failure of the device:
// it failed its check, and selftest exited 1.
func TestSelfTestJobEnvironment(t *testing.T) {
	for _, fail := range []error{&cl.Error{Code: -6, Op: "clEnqueueNDRangeKernel"}, fmt.Errorf("opencl: allocate: %w", syscall.ENOMEM)} {
		st, err := RunSelfTest(context.Background(), Options{Device: testDevice(t), runErr: fail})
		if err != nil {
			t.Fatalf("%v: RunSelfTest: %v, want a report", fail, err)
		}
		jobs := 0
		for _, c := range st.Checks {
			if !strings.HasPrefix(c.Name, "job/") {
				continue
			}
			jobs++
			if c.Status != CheckNotRun || !strings.HasPrefix(c.Note, "could not run: ") || !strings.Contains(c.Note, fail.Error()) || c.Err == nil {
				t.Errorf("%v: check %s: %s %q, want not-run, could not run: and the cause", fail, c.Name, c.Status, c.Note)
			}
		}
		if jobs != 3 || st.Failed() != nil || st.NotRun() == nil {
			t.Errorf("%v: %d job checks, failed %v, not run %v: want 3, none failed, not run", fail, jobs, st.Failed(), st.NotRun())
		}
	}
}

// TestCachedBinaryWithoutKernels: a cached binary that the driver builds
// but under which Open fails before any check can run (here another
// program's binary, stored with a valid checksum under the exact program's
// key, which has none of the engine's kernels: clCreateKernel fails) is
// discarded and the source built, as a binary that fails a check is. Open
// used to return CL_INVALID_KERNEL_NAME, and so did every later process,
// which found the entry again, until the cache was removed by hand.
func TestCachedBinaryWithoutKernels(t *testing.T) {
	forgetSelfTests(t)
	forgetCacheNotes(t)
	forgetBypassed(t)
	want := reference(t, cacheJob())
	key, bin := otherBinary(t)
	openRunLoadingOnce(t, "another program's binary under the exact program's key", want)
	if got := cacheLoad("programs", key); got == nil || bytes.Equal(got, bin) {
		t.Error("the exact program's cache entry was not rebuilt")
	}
	notes := strings.Join(CacheNotes(), "\n")
	if !strings.Contains(notes, "CL_INVALID_KERNEL_NAME") || !strings.Contains(notes, "discarded, rebuilt from source") {
		t.Errorf("notes %q: want the entry discarded, with the reason", notes)
	}
	t.Log(notes)

	// gpusim selftest, which opens the device without the cheap checks.
	cacheStore("programs", key, bin)
	selfTestPasses(t, "another program's binary cached")
}

// TestCachedBinaryDeviceFails: a device that does not start whatever the
// program (its launches fail: memory another process holds, a device
// lost) leaves the cached binary alone; it was discarded on any failure,
// and every start after a passing one compiled the program again. Open
// fails with the source's error, the entry stays as it was, and no mark is
// left.
func TestCachedBinaryDeviceFails(t *testing.T) {
	dir := forgetSelfTests(t)
	forgetCacheNotes(t)
	forgetBypassed(t)
	openRun(t, Options{}) // a first start caches the binary
	file := ProgramFile(Options{Device: testDevice(t)})
	before, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	fail := errors.New("CL_OUT_OF_RESOURCES (-5)")
	if _, err := Open(Options{Device: testDevice(t), startErr: fail}); !errors.Is(err, fail) {
		t.Fatalf("Open with failing launches: %v, want %v", err, fail)
	}
	after, err := os.ReadFile(file)
	if err != nil || !bytes.Equal(after, before) {
		t.Errorf("the cached binary was not kept (%v): a device that fails from source too discarded it", err)
	}
	if notes := strings.Join(CacheNotes(), "\n"); strings.Contains(notes, "discarded") {
		t.Errorf("notes %q: nothing discarded", notes)
	}
	if m, _ := filepath.Glob(filepath.Join(dir, "programs", "*"+loadingSuffix+"*")); len(m) != 0 {
		t.Errorf("marks left: %q", m)
	}
	hits := binaryHits.Load()
	openRun(t, Options{})
	if n := binaryHits.Load() - hits; n != 1 {
		t.Errorf("the start after loaded %d cached binaries, want 1", n)
	}
}

// TestSelfTestJobsCatchMiscompile: a device that miscompiles the kernels'
// own code (binning, digest, per-step counts: code the cheap checks'
// probes do not run) passes the cheap checks, and gpusim selftest's jobs
// fail it, naming what differed with got and want in hex.
func TestSelfTestJobsCatchMiscompile(t *testing.T) {
	forgetSelfTests(t)
	for _, tc := range []struct {
		name, old, new string
		fails          []string // the job checks that must fail
	}{
		{"binning", "\tf = f * scale;\n", "\tf = f * scale * 1.01f;\n", []string{"job/plain", "job/daily", "job/finals"}},
		{"digest", "h = mix64(h ^ CONVERT(ulong, AS(uint, t)));", "h = mix64(h ^ CONVERT(ulong, AS(uint, t)) ^ 1UL);", []string{"job/plain", "job/finals"}},
		{"daily count", "rec_add(grec + REC * ((s0 + s) * groups + g), gn,", "rec_add(grec + REC * ((s0 + s) * groups + g), gn + 1,", []string{"job/daily"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st, err := RunSelfTest(context.Background(), Options{Device: testDevice(t), VectorWidth: 1, source: brokenSource(t, tc.old, tc.new)})
			if err != nil {
				t.Fatalf("RunSelfTest: %v, want a report", err)
			}
			t.Logf("%s", st)
			status := map[string]Check{}
			for _, c := range st.Checks {
				status[c.Name] = c
				if c.Status == CheckFail && !strings.HasPrefix(c.Name, "job/") {
					t.Errorf("cheap check %s failed: the mutation is not in the probes' code", c.Name)
				}
			}
			for _, name := range tc.fails {
				c, ok := status[name]
				if !ok || c.Status != CheckFail || !strings.HasPrefix(c.Got, "0x") || !strings.HasPrefix(c.Want, "0x") || c.Got == c.Want || c.Note == "" {
					t.Errorf("check %s: %+v, want a failure with got and want in hex and what differed", name, c)
				}
			}
			if st.Failed() == nil {
				t.Error("no failed check")
			}
			checkGotWant(t, st)
		})
	}
}

// otherBinary stores, under the exact program's key, the binary of a
// program without the engine's kernels (with a valid checksum, as another
// driver could leave it): Open builds it, fails at clCreateKernel and
// starts again from source (retryFromSource). It returns the key and the
// binary stored.
func otherBinary(t *testing.T) (key string, bin []byte) {
	t.Helper()
	e := open(t, Options{})
	other, err := cl.BuildProgram(e.sh.ctx, e.sh.dev, "__kernel void other(__global int *p) { p[0] = 1; }", e.options)
	if err != nil {
		t.Fatal(err)
	}
	bin, err = other.Binary()
	other.Release()
	if err != nil {
		t.Fatal(err)
	}
	key = e.st.key
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
	cacheStore("programs", key, bin)
	return key, bin
}

// TestReopenTimed: where Open starts again after a first attempt under a
// cached binary did not go ahead (a binary that fails a self-test check,
// one without the engine's kernels), the engine's start-up and compile
// time count both attempts, as those of the local-memory rebuild do
// (TestOwnRebuildTimed): the second attempt's clock started afresh, so
// timing.startup_s left out the first (here its openDelay of 150 ms
// besides the binary's loading and checks). So does gpusim selftest's
// time (SelfTest.Took) where its checks ran again built from source.
func TestReopenTimed(t *testing.T) {
	const delay = 150 * time.Millisecond
	for _, c := range []struct {
		name  string
		plant func(*testing.T)
	}{
		{"fails a check", func(t *testing.T) { plantFastBinary(t) }},
		{"without the kernels", func(t *testing.T) { otherBinary(t) }},
	} {
		t.Run(c.name, func(t *testing.T) {
			forgetSelfTests(t)
			forgetCacheNotes(t)
			forgetBypassed(t)
			c.plant(t)
			trusted.Lock()
			trusted.m = nil
			trusted.Unlock()
			hits := binaryHits.Load()
			t0 := time.Now()
			e, err := Open(Options{Device: testDevice(t), openDelay: delay})
			wall := time.Since(t0)
			if err != nil {
				t.Fatal(err)
			}
			defer e.Close()
			if n := binaryHits.Load() - hits; n != 1 || wall < 2*delay {
				t.Fatalf("the planted binary loaded %d times, Open took %v: want once, then a second attempt", n, wall)
			}
			startup, compile := e.takeStartup()
			t.Logf("Open took %v: start-up %v, compile %v", wall, startup, compile)
			if wall-startup > delay/2 {
				t.Errorf("start-up %v, want Open's %v (both attempts)", startup, wall)
			}
			if compile <= 0 || compile > startup {
				t.Errorf("compile %v, want within the start-up %v", compile, startup)
			}
		})
	}
	t.Run("selftest", func(t *testing.T) {
		forgetSelfTests(t)
		forgetCacheNotes(t)
		plantFastBinary(t)
		// Each job check's run waits it: more than the checks' own time
		// (1.7 s on pocl on two cores), which one try's alone exceeded.
		const run = time.Second
		st, err := RunSelfTest(context.Background(), Options{Device: testDevice(t), runDelay: run})
		if err != nil {
			t.Fatal(err)
		}
		if c := st.Failed(); c != nil {
			t.Fatalf("check %s failed built from source", c.Name)
		}
		jobs := time.Duration(len(selfTestJobs())) * run
		t.Logf("selftest took %v", st.Took)
		if st.Took < 2*jobs {
			t.Errorf("selftest took %v: want both tries' checks, at least %v", st.Took, 2*jobs)
		}
	})
}

// TestSelfTestFailureNotStored: gpusim selftest on a device whose program
// fails a check (here the kernels miscompiled in their binning, which only
// the jobs catch) stores no binary of it. It stored one, and the next
// selftest loaded it, failed again and blamed the cache ("discarded,
// rebuilt from source") for what the driver does to every build. A program
// that passes is stored with its pass, which the next Open trusts.
func TestSelfTestFailureNotStored(t *testing.T) {
	forgetSelfTests(t)
	forgetCacheNotes(t)
	broken := Options{Device: testDevice(t), VectorWidth: 1, source: brokenSource(t, "\tf = f * scale;\n", "\tf = f * scale * 1.01f;\n")}
	for try := 1; try <= 2; try++ {
		st, err := RunSelfTest(context.Background(), broken)
		if err != nil {
			t.Fatalf("try %d: RunSelfTest: %v, want a report", try, err)
		}
		if st.Failed() == nil {
			t.Fatalf("try %d: the miscompiled program passed:\n%s", try, st)
		}
		waitBackground()
		if f := ProgramFile(broken); f == "" {
			t.Fatalf("try %d: no cache path", try)
		} else if _, err := os.Stat(f); err == nil {
			t.Errorf("try %d: the failing program's binary was stored at %s", try, f)
		}
		if n := strings.Join(CacheNotes(), "\n"); strings.Contains(n, "discarded") {
			t.Errorf("try %d: notes %q blame the cache for the program's failure", try, n)
		}
	}

	good := Options{Device: testDevice(t), VectorWidth: 1}
	if st, err := RunSelfTest(context.Background(), good); err != nil || st.Failed() != nil {
		t.Fatalf("RunSelfTest of the kernels: %v\n%s", err, st)
	}
	waitBackground()
	if _, err := os.Stat(ProgramFile(good)); err != nil {
		t.Fatalf("the passing program's binary was not stored: %v", err)
	}
	trusted.Lock()
	trusted.m = nil
	trusted.Unlock()
	e, err := Open(good)
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	if e.st.binSum == "" || e.st.pass == nil || !e.st.pass.Cached {
		t.Errorf("Open after a passing selftest: binary sum %q, pass %+v: want the stored binary and its stored pass", e.st.binSum, e.st.pass)
	}
}

// TestSelfTestErrorHintDriverEnv: a device that fails the self-test under a
// driver's setting in the environment (pocl under
// POCL_EXTRA_BUILD_FLAGS=-cl-fast-relaxed-math fails the normals) has a
// hint that names the setting first; without one, the hint is as it was.
func TestSelfTestErrorHintDriverEnv(t *testing.T) {
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		if DriverEnv() != "" && strings.Contains(DriverEnv(), name+"=") {
			t.Setenv(name, "")
		}
	}
	e := &SelfTestError{Device: "device 1 (x)", Index: 1, Check: Check{Name: "normals/edge-words"}}
	plain := "run gpusim selftest --device 1 for the full report; run on a CPU engine (--engine simd, parallel or serial) meanwhile"
	if h := e.Hint(); h != plain {
		t.Errorf("hint %q, want %q", h, plain)
	}
	t.Setenv("POCL_EXTRA_BUILD_FLAGS", "-cl-fast-relaxed-math")
	want := "the environment sets POCL_EXTRA_BUILD_FLAGS=-cl-fast-relaxed-math, which a driver may apply to gpusim's program: unset it and run again; " + plain
	if h := e.Hint(); h != want {
		t.Errorf("hint %q, want %q", h, want)
	}
	// selftest's own failed check, whose report is printed: the setting,
	// and no word of the report.
	e.Reported = true
	want = "the environment sets POCL_EXTRA_BUILD_FLAGS=-cl-fast-relaxed-math, which a driver may apply to gpusim's program: unset it and run again; run on a CPU engine (--engine simd, parallel or serial) meanwhile"
	if h := e.Hint(); h != want {
		t.Errorf("reported: hint %q, want %q", h, want)
	}
}
