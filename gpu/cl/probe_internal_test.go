package cl

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestProbeRemembered: the probe's record holds where its key does and
// each library it names is as it was (path, size, modification time); a
// library changed, removed or replaced, another key, or a line that is
// not a library's, makes the start probe again.
func TestProbeRemembered(t *testing.T) {
	dir := t.TempDir()
	lib := filepath.Join(dir, "lib driver.so") // a space, quoted
	if err := os.WriteFile(lib, []byte("v1"), 0o644); err != nil {
		t.Fatal(err)
	}
	key := probeKey(filepath.Join(dir, "gpusim"))
	record := filepath.Join(dir, "opencl-probe")
	write := func(s string) {
		t.Helper()
		if err := os.WriteFile(record, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(key + probeLibs("load x\nlib "+lib+"\ndone\n"))
	if !probeRemembered(record, key) {
		t.Fatalf("the record of the library as it is was not taken:\n%s", key)
	}
	if probeRemembered(record, strings.Replace(key, "probe 1", "probe 2", 1)) {
		t.Errorf("another key's record was taken")
	}
	later := time.Now().Add(time.Hour)
	if err := os.Chtimes(lib, later, later); err != nil {
		t.Fatal(err)
	}
	if probeRemembered(record, key) {
		t.Errorf("the record was taken for a library changed since")
	}
	write(key + probeLibs("lib "+lib+"\n"))
	os.Remove(lib)
	if probeRemembered(record, key) {
		t.Errorf("the record was taken for a library removed since")
	}
	write(key + "done\n")
	if probeRemembered(record, key) {
		t.Errorf("a record with a line not a library's was taken")
	}
}

// icdReport is a child's report as it tried an ICD loader whose two
// drivers' code is at [0x1000, 0x2000) and [0x3000, 0x4000).
const icdReport = "load libOpenCL.so.1\nvendor /v/a.so\ncode 1000 2000\nvendor /v/b.so\ncode 3000 4000\nvendors mapped\n"

// TestProbeDeath: a child's death names the library it was opening (the
// last "load" of its report), or the driver of an ICD loader that it was
// opening, asking, or whose code faulted (the trace's "PC=": faultLine),
// or the loader's one driver ("via"), through the loader, and its
// platforms or, after "devices", its devices; the signal Go's trace names
// from its first line or its "[signal" line.
func TestProbeDeath(t *testing.T) {
	for _, c := range []struct{ report, how, want string }{
		{"load libOpenCL.so.1\nload /usr/lib/libnv.so\n", "SIGSEGV",
			"the OpenCL driver /usr/lib/libnv.so crashed (SIGSEGV) when asked for its platforms"},
		{"load /a.so\ndevices\n", "SIGBUS", "the OpenCL driver /a.so crashed (SIGBUS) when asked for its devices"},
		{"", "exit status 3", "the OpenCL driver ended the process (exit status 3) when asked for its platforms"},
		// An ICD loader's drivers (traceVendors): the one whose code
		// faulted, the one that died as it was opened, else the loader.
		{icdReport + "fault 3419\n", "SIGSEGV", "the OpenCL driver /v/b.so (through the ICD loader libOpenCL.so.1) crashed (SIGSEGV) when asked for its platforms"},
		{icdReport + "devices\nfault 1000\n", "SIGSEGV", "the OpenCL driver /v/a.so (through the ICD loader libOpenCL.so.1) crashed (SIGSEGV) when asked for its devices"},
		{icdReport + "fault 4000\n", "SIGSEGV", "the OpenCL driver libOpenCL.so.1 crashed (SIGSEGV) when asked for its platforms"},
		{icdReport + "load libOpenCL.so\nfault 3419\n", "SIGSEGV", "the OpenCL driver /v/b.so (through the ICD loader libOpenCL.so) crashed (SIGSEGV) when asked for its platforms"},
		{"load libOpenCL.so.1\nvendor /v/a.so\ncode 1000 2000\nvendor /v/b.so\n", "SIGABRT", "the OpenCL driver /v/b.so (through the ICD loader libOpenCL.so.1) crashed (SIGABRT) when asked for its platforms"},
		// The driver the child asks for its platforms itself
		// (askVendor): an abort, an exit or a fault on a thread of
		// its own there, where no address names it.
		{icdReport + "ask /v/a.so\n", "SIGABRT", "the OpenCL driver /v/a.so (through the ICD loader libOpenCL.so.1) crashed (SIGABRT) when asked for its platforms"},
		{icdReport + "ask /v/a.so\nanswered\nask /v/b.so\n", "exit status 3", "the OpenCL driver /v/b.so (through the ICD loader libOpenCL.so.1) ended the process (exit status 3) when asked for its platforms"},
		{icdReport + "ask /v/a.so\nanswered\n", "SIGABRT", "the OpenCL driver libOpenCL.so.1 crashed (SIGABRT) when asked for its platforms"},
		// The loader's one driver that gives platforms (nameDriver's
		// "via"), past the listing: an abort, an exit, in a later call
		// (it was the loader's name); a fault in code no driver's
		// opening mapped stays the loader's, and a second load's names
		// its own.
		{icdReport + "ask /v/a.so\nanswered\nvia /v/a.so\ndevices\n", "SIGABRT", "the OpenCL driver /v/a.so (through the ICD loader libOpenCL.so.1) crashed (SIGABRT) when asked for its devices"},
		{icdReport + "via /v/b.so\ndevices\nset up 1\nqueue 0 X\n", "exit status 3", "the OpenCL driver /v/b.so (through the ICD loader libOpenCL.so.1) ended the process (exit status 3) when asked for a queue on device 0 (X)"},
		{icdReport + "via /v/b.so\ndevices\nfault 1000\n", "SIGSEGV", "the OpenCL driver /v/a.so (through the ICD loader libOpenCL.so.1) crashed (SIGSEGV) when asked for its devices"},
		{"load /a.so\nvia /v/b.so\nload /c.so\n", "SIGABRT", "the OpenCL driver /c.so crashed (SIGABRT) when asked for its platforms"},
	} {
		if got := probeDeath(c.report, c.how).Error(); got != c.want {
			t.Errorf("probeDeath(%q, %q) = %q, want %q", c.report, c.how, got, c.want)
		}
	}
	for trace, want := range map[string]string{
		"SIGSEGV: segmentation violation\nPC=0x7f signal arrived during cgo execution\n": "SIGSEGV",
		"fatal error: unexpected signal\n[signal SIGBUS: bus error code=0x2]\n":          "SIGBUS",
		"panic: x\n": "",
	} {
		got := ""
		if m := goCrash().FindStringSubmatch(trace); m != nil {
			got = m[1] + m[2]
		}
		if got != want {
			t.Errorf("the signal of %q: %q, want %q", trace, got, want)
		}
	}
	if got := faultLine("SIGSEGV: segmentation violation\nPC=0x7f9434ea8419 m=0 sigcode=1 addr=0x8\n"); got != "fault 7f9434ea8419\n" {
		t.Errorf("faultLine: %q, want the address", got)
	}
}

// TestProbeNoVerdict: a child that ends before it says it is a probe
// (probeHello: another program in the executable's place, as
// /proc/self/exe is ld.so under `ld.so gpusim`; a Go runtime that could
// not start) gives no verdict on the driver, however it ends, nor does one
// whose Go runtime, cgo or driver could not start a thread or map memory
// (a limit that counts the child beside its parent), one whose own checks
// refused to load it (its "refused" line: ulimit -u, which counts its
// parent's threads), or one that could not start: each is an error
// matching ErrEnvironment, of its limit's kind where one is named, and the
// driver is not loaded. Each was no error, and Load loaded the driver in
// gpusim's own process, where one that hung kept a thread of the run in
// it. One that said so and then died otherwise is the driver's crash.
// gpusim replaced by /bin/true while it started said "the OpenCL driver
// ended the process (exit status 0) when asked for its platforms", exit 1.
func TestProbeNoVerdict(t *testing.T) {
	if !probeSupported {
		t.Skip("no probe here")
	}
	for _, c := range []struct {
		script  string
		crashed bool
		kind    error  // the no verdict's kind, nil for a crash
		cause   string // what its cause holds
	}{
		{"exit 0", false, ErrProbeUnrun, "the child that probes it first ended before it started (exit status 0)"},
		{"echo usage >&2; exit 2", false, ErrProbeUnrun, "ended before it started (exit status 2: usage)"},
		{"kill -ABRT $$", false, ErrProbeUnrun, "ended before it started (SIGABRT)"},
		{"echo 'gpusim opencl probe'; echo 'fakecgo: pthread_create failed: 11' >&2; echo 'SIGABRT: abort' >&2; kill -ABRT $$", false, ErrEnvironment,
			"could not start a thread or map memory (fakecgo: pthread_create failed: 11)"},
		{"echo 'gpusim opencl probe'; printf 'runtime: failed to create new OS thread (have 5 already; errno=11)\\nfatal error: newosproc\\n' >&2; exit 2", false, ErrEnvironment,
			"could not start a thread or map memory (runtime: failed to create new OS thread (have 5 already; errno=11))"},
		{"echo 'gpusim opencl probe'; echo 'load /d.so'; echo 'PTHREAD ERROR in pthread_scheduler_init():130: Resource temporarily unavailable (11)' >&2; kill -ABRT $$", false, ErrEnvironment,
			"the OpenCL driver /d.so was not loaded: the child that probes it first could not start a thread or map memory (PTHREAD ERROR"},
		{"echo 'gpusim opencl probe'; echo 'fatal error: runtime: out of memory' >&2; exit 2", false, ErrEnvironment,
			"could not start a thread or map memory (fatal error: runtime: out of memory)"},
		{"echo 'gpusim opencl probe'; echo 'refused threads OpenCL not loaded: the process limit (ulimit -u 18) leaves 4 threads free'; echo done", false, ErrThreads,
			"the child that probes it first could not load it, a second process beside this one: the process limit (ulimit -u 18) leaves 4 threads free"},
		{"echo 'gpusim opencl probe'; echo 'refused env an empty POCL_CACHE_DIR'; echo done", false, ErrProbeUnrun, "could not load it, a second process beside this one: an empty POCL_CACHE_DIR"},
		{"echo 'gpusim opencl probe'; exit 0", true, nil, ""},
		{"echo 'gpusim opencl probe'; kill -SEGV $$", true, nil, ""},
	} {
		exe := filepath.Join(t.TempDir(), "gpusim")
		if err := os.WriteFile(exe, []byte("#!/bin/sh\n"+c.script+"\n"), 0o755); err != nil {
			t.Fatal(err)
		}
		_, lived, err := runProbe(exe)
		if lived || errors.Is(err, ErrCrashed) != c.crashed {
			t.Errorf("%q: lived %v, error %v; want crashed %v", c.script, lived, err, c.crashed)
		}
		if c.kind != nil && (!errors.Is(err, c.kind) || !strings.Contains(fmt.Sprint(err), c.cause)) {
			t.Errorf("%q: error %v; want one matching %v with %q", c.script, err, c.kind, c.cause)
		}
	}
	// One that could not start at all.
	_, lived, err := runProbe(filepath.Join(t.TempDir(), "absent"))
	if lived || !errors.Is(err, ErrProbeUnrun) || !strings.Contains(fmt.Sprint(err), "the child that probes it first could not start (fork/exec ") {
		t.Errorf("an absent executable: lived %v, error %v; want ErrProbeUnrun, could not start", lived, err)
	}
}

// TestRunChildHelper: the wait for the probe's child ends with the child,
// not with a process it left holding its stdout and stderr, in files in
// memory and with pipes alike; its report is whole.
func TestRunChildHelper(t *testing.T) {
	if !probeSupported {
		t.Skip("no probe here")
	}
	exe := filepath.Join(t.TempDir(), "gpusim")
	script := "#!/bin/sh\nsleep 10 &\necho $! > " + exe + ".pid\nprintf 'a\\nb\\n'\necho oops >&2\n"
	if err := os.WriteFile(exe, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, pipes := range []bool{false, true} {
		if pipes {
			childOutput = func(string) *os.File { return nil }
			t.Cleanup(func() { childOutput = probeOutput })
		}
		t0 := time.Now()
		stdout, stderr, err := runChild(exec.Command(exe))
		if b, err := os.ReadFile(exe + ".pid"); err == nil {
			if pid, err := strconv.Atoi(strings.TrimSpace(string(b))); err == nil {
				if p, err := os.FindProcess(pid); err == nil {
					p.Kill()
				}
			}
		}
		if took := time.Since(t0); err != nil || stdout != "a\nb\n" || stderr != "oops\n" || took > 5*time.Second {
			t.Errorf("pipes %v: stdout %q, stderr %q, error %v, %v; want a, b, oops, no error, at once", pipes, stdout, stderr, err, took)
		}
	}
}

// TestProbeKilled: a child that a signal from outside killed (SIGKILL: a
// kill -9, the out-of-memory killer), before or after it said it was a
// probe, is probed once more; one killed twice is ErrProbeKilled, naming
// the library (an ICD loader's one driver through it) and the step the
// second was in, and a second that lived is
// the verdict. A kill was no verdict, and Load loaded the driver in
// gpusim itself, where one that hung kept a thread of gpusim in it.
func TestProbeKilled(t *testing.T) {
	if !probeSupported {
		t.Skip("no probe here")
	}
	dir := t.TempDir()
	tries := filepath.Join(dir, "tries")
	for _, c := range []struct {
		script string // run with the tries so far in $n
		lived  bool
		want   string // the error, "" for none
	}{
		{"echo 'gpusim opencl probe'; echo 'load /d.so'; kill -KILL $$", false,
			"the OpenCL driver /d.so was not loaded: the child that probes it was killed from outside twice (SIGKILL) when asked for its platforms"},
		{"kill -KILL $$", false, "the OpenCL driver was not loaded: the child that probes it was killed from outside twice (SIGKILL) before it loaded one"},
		{"echo 'gpusim opencl probe'; echo 'load /d.so'; echo devices; echo 'context 0 cpu'; [ $n = 1 ] && kill -KILL $$; kill -TERM $$", false,
			"the OpenCL driver /d.so was not loaded: the child that probes it was killed from outside twice (SIGKILL, then SIGTERM) when asked for a context for device 0 (cpu)"},
		// An ICD loader's one driver that gives platforms ("via"),
		// named through the loader: the loader's name stood.
		{"echo 'gpusim opencl probe'; echo 'load libOpenCL.so.1'; echo 'via /v.so'; echo devices; kill -KILL $$", false,
			"the OpenCL driver /v.so (through the ICD loader libOpenCL.so.1) was not loaded: the child that probes it was killed from outside twice (SIGKILL) when asked for its devices"},
		{"[ $n = 1 ] && kill -KILL $$; echo 'gpusim opencl probe'; echo 'load /d.so'; echo done", true, ""},
		{"[ $n = 1 ] && kill -KILL $$; echo 'gpusim opencl probe'; echo 'load /d.so'; kill -SEGV $$", false,
			"the OpenCL driver /d.so crashed (SIGSEGV) when asked for its platforms"},
	} {
		os.Remove(tries)
		probeExe = filepath.Join(dir, "gpusim")
		t.Cleanup(func() { probeExe = "/proc/self/exe" })
		script := "#!/bin/sh\necho x >> " + tries + "\nn=$(wc -l < " + tries + ")\n" + c.script + "\n"
		if err := os.WriteFile(probeExe, []byte(script), 0o755); err != nil {
			t.Fatal(err)
		}
		_, lived, err := probeAgainIfKilled()
		got := ""
		if err != nil {
			got = err.Error()
		}
		if lived != c.lived || got != c.want {
			t.Errorf("%q: lived %v, error %q; want %v, %q", c.script, lived, got, c.lived, c.want)
		}
		if c.want != "" && strings.Contains(c.want, "killed") && !errors.Is(err, ErrProbeKilled) {
			t.Errorf("%q: %v does not match ErrProbeKilled", c.script, err)
		}
		if b, _ := os.ReadFile(tries); strings.Count(string(b), "x") != 2 {
			t.Errorf("%q: %d children, want 2", c.script, strings.Count(string(b), "x"))
		}
	}
}

// TestDistrustRecord: after DistrustRecord, the probe runs its child
// though the cache folder holds this set-up's record, and leaves the
// record as it is (a cache shared read-only, where gpu found a crash in a
// device's set-up under a record it could not remove); before it, the
// record spares the child.
func TestDistrustRecord(t *testing.T) {
	if !probeSupported {
		t.Skip("no probe here")
	}
	dir := t.TempDir()
	t.Setenv("GPUSIM_CACHE_DIR", filepath.Join(dir, "cache"))
	runs := filepath.Join(dir, "runs")
	probeExe = filepath.Join(dir, "gpusim")
	t.Cleanup(func() { probeExe = "/proc/self/exe" })
	script := "#!/bin/sh\necho x >> " + runs + "\necho '" + probeHello + "'\necho done\n"
	if err := os.WriteFile(probeExe, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	probeOn.Store(true)
	t.Cleanup(func() { probeOn.Store(false); probeDistrusted.Store(false) })
	children := func() int {
		b, _ := os.ReadFile(runs)
		return strings.Count(string(b), "x")
	}
	for i, want := range []int{1, 1} {
		if err := probeFirst(); err != nil || children() != want {
			t.Fatalf("probe %d: %v, %d children; want no error, %d", i+1, err, children(), want)
		}
	}
	file := probeFile()
	before, err := os.Stat(file)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Chtimes(file, before.ModTime().Add(-time.Hour), before.ModTime().Add(-time.Hour)); err != nil {
		t.Fatal(err)
	}
	DistrustRecord()
	if err := probeFirst(); err != nil || children() != 2 {
		t.Fatalf("probe after DistrustRecord: %v, %d children; want no error, 2", err, children())
	}
	if after, err := os.Stat(file); err != nil || !after.ModTime().Equal(before.ModTime().Add(-time.Hour)) {
		t.Errorf("the record after a distrusted probe: %v, %v; want it as it was", after, err)
	}
}

// TestProbeKeyPoclCache: the probe's key is the same for every
// POCL_CACHE_DIR that pocl can use at set-up (a folder, or one it can
// make) under 1000 bytes, so that a job that gives each run its own pocl
// cache folder probes the driver in a child once, where each start probed
// it again; it differs for an empty one, one that pocl cannot make (under
// a file), one of 1016 bytes (which pocl 3.1's set-up aborts on) and for
// none, which the child checks.
func TestProbeKeyPoclCache(t *testing.T) {
	dir := t.TempDir()
	exe := filepath.Join(dir, "gpusim")
	file := filepath.Join(dir, "file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	key := func(v string) string {
		t.Setenv(envPoclCacheDir, v)
		return probeKey(exe)
	}
	long := dir + "/" + strings.Repeat("d", 1016-len(dir)-1)
	base := key(filepath.Join(dir, "job1", "pocl"))
	for _, same := range []string{dir, filepath.Join(dir, "job22", "pocl"), filepath.Join(dir, "a", "b", "c")} {
		if got := key(same); got != base {
			t.Errorf("POCL_CACHE_DIR=%s: key\n%s\nwant the key of another folder pocl can use\n%s", same, got, base)
		}
	}
	for _, other := range []string{"", filepath.Join(file, "pocl"), long} {
		if key(other) == base {
			t.Errorf("POCL_CACHE_DIR=%q (%d bytes): the key of a folder pocl can use, which the child does not check", other, len(other))
		}
	}
	os.Unsetenv(envPoclCacheDir)
	if probeKey(exe) == base {
		t.Error("no POCL_CACHE_DIR: the key of a folder pocl can use")
	}
}

// TestTraceRefused: a probe's child whose own checks refuse to load the
// driver before it tries a library (ulimit -u, which counts its parent's
// threads beside its own) says so in its report ("refused KIND CAUSE"),
// which childRefused reads as no verdict; an error after a library was
// tried, or not of the environment, is not said. The child said only
// "done", and its parent loaded the driver itself.
func TestTraceRefused(t *testing.T) {
	var out bytes.Buffer
	probeTrace = bufio.NewWriter(&out)
	saved := trying.Load()
	t.Cleanup(func() { probeTrace = nil; trying.Store(saved) })
	trying.Store(nil)
	traceRefused(&UnavailableError{Kind: ErrThreads, Cause: "OpenCL not loaded: the process limit (ulimit -u 18) leaves 4 threads free"})
	traceRefused(errors.New("clGetPlatformIDs: CL_OUT_OF_HOST_MEMORY"))
	lib := "/d.so"
	trying.Store(&lib)
	traceRefused(&UnavailableError{Kind: ErrNoPlatform, Cause: "no OpenCL platform"})
	traceRefused(&UnavailableError{Kind: ErrEnvironment, Cause: "after a load"})
	const want = "refused threads OpenCL not loaded: the process limit (ulimit -u 18) leaves 4 threads free\n"
	if out.String() != want {
		t.Fatalf("report %q, want %q", out.String(), want)
	}
	if err := childRefused(probeHello + "\n" + want + "done\n"); !errors.Is(err, ErrThreads) || !strings.Contains(err.Error(), "the child that probes it first could not load it, a second process beside this one: the process limit (ulimit -u 18)") {
		t.Errorf("childRefused: %v; want ErrThreads naming the limit", err)
	}
	// The address-space refusal carries the child's hint, which names a
	// limit: its parent's said only "raise the limit or lift it".
	out.Reset()
	trying.Store(nil)
	const hint = "raise the limit to ulimit -v 2270000 or more, which leaves room to compile"
	traceRefused(&UnavailableError{Kind: ErrAddressSpace, Cause: "OpenCL not loaded: the address-space limit (ulimit -v 1800000, 1.84 GB) leaves 458 MB", Hint: hint})
	if want := "refused addrspace OpenCL not loaded: the address-space limit (ulimit -v 1800000, 1.84 GB) leaves 458 MB\t" + hint + "\n"; out.String() != want {
		t.Fatalf("report %q, want %q", out.String(), want)
	}
	var u *UnavailableError
	if err := childRefused(probeHello + "\n" + out.String() + "done\n"); !errors.Is(err, ErrAddressSpace) || !errors.As(err, &u) || u.Hint != hint || !strings.HasSuffix(u.Cause, "beside this one: the address-space limit (ulimit -v 1800000, 1.84 GB) leaves 458 MB") {
		t.Errorf("childRefused: %v (hint %q); want ErrAddressSpace with the child's hint %q", err, u.Hint, hint)
	}
}
