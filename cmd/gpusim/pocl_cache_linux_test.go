package main

import (
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/gpusim/gpusim/gpu/cl/cltest"
	"github.com/gpusim/gpusim/internal/testenv"
)

// TestReadOnlyPoclCache: caches filled by a plain OpenCL run, then made
// read-only (a home shared read-only, a container's read-only root). pocl
// writes its kernel cache at a kernel's first launch even of a program
// loaded from gpusim's cache, and pocl 3.1 ends the process where it
// cannot: `gpusim run --engine opencl --daily` exited 134 (SIGABRT, "Final
// linking of kernel weather_daily failed"), and so did the auto path and
// `gpusim selftest`. Now pocl's own choice of folder that cannot be
// written is replaced by a folder of the user's alone, with a note, and
// the run gives the digest of a run with writable caches; a POCL_CACHE_DIR
// set to a folder that cannot be written is the user's choice, refused
// with exit 1 and the hint (auto runs on the CPU with a note). Root drops
// to testenv.Nobody for the children, as permissions do not bind root.
func TestReadOnlyPoclCache(t *testing.T) {
	if testing.Short() {
		t.Skip("compiles the OpenCL program with pocl (seconds)")
	}
	cltest.RequireDevice(t)
	bin := buildGpusim(t)
	root := t.TempDir()
	home := filepath.Join(root, "home")
	tmp := filepath.Join(root, "tmp")
	for _, d := range []string{home, tmp} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	var cred *syscall.Credential
	if os.Getuid() == 0 {
		testenv.LockNobody(t)
		cred = &syscall.Credential{Uid: testenv.Nobody, Gid: testenv.Nobody}
		// nobody must reach the binary and own its folders.
		for _, p := range []string{filepath.Dir(bin), root} {
			for d := p; d != "/" && d != os.TempDir(); d = filepath.Dir(d) {
				if err := os.Chmod(d, 0o755); err != nil {
					t.Fatal(err)
				}
			}
		}
		for _, d := range []string{home, tmp} {
			if err := os.Chown(d, testenv.Nobody, testenv.Nobody); err != nil {
				t.Skip(err)
			}
		}
	}
	gpusim := func(env []string, args ...string) (string, int) {
		t.Helper()
		cmd := exec.Command(bin, args...)
		cmd.Env = append([]string{"HOME=" + home, "TMPDIR=" + tmp, "PATH=/usr/bin:/bin"}, env...)
		cmd.Dir = home
		if cred != nil {
			cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
		}
		out, _ := cmd.CombinedOutput()
		return string(out), cmd.ProcessState.ExitCode()
	}
	digest := func(out string) string {
		if i := strings.Index(out, "digest "); i >= 0 {
			return strings.Fields(out[i:])[1]
		}
		return ""
	}
	daily := []string{"run", "--engine", "opencl", "--lanes", "1e4", "--daily", "-q"}
	// The reference on writable caches of its own.
	ref, code := gpusim([]string{"GPUSIM_CACHE_DIR=" + filepath.Join(tmp, "ref"), "POCL_CACHE_DIR=" + filepath.Join(tmp, "refpocl")}, daily...)
	if code != 0 || digest(ref) == "" {
		t.Fatalf("writable caches: exit %d\n%s", code, ref)
	}
	// Fill the user's caches with the plain kernel's start only: run's
	// program without the daily kernels, and the whole program, which
	// bench opens for its plain jobs (a --daily run would launch the daily
	// kernel, whose files pocl then writes).
	for _, args := range [][]string{{"run", "--engine", "opencl", "--lanes", "1e4", "-q"},
		{"bench", "--engines", "opencl", "--lanes", "1e4", "--steps", "2", "--reps", "1", "--warmup", "0", "--no-scaling", "--no-sweep", "--baseline", "none", "-q"}} {
		if out, code := gpusim(nil, args...); code != 0 {
			t.Fatalf("filling the caches: %v: exit %d\n%s", args, code, out)
		}
	}
	cache := filepath.Join(home, ".cache")
	kcache := filepath.Join(cache, "pocl", "kcache")
	if _, err := os.Stat(filepath.Join(cache, "gpusim", "programs")); err != nil {
		t.Fatalf("the run kept no program: %v", err)
	}
	readOnly := func(on bool) {
		t.Helper()
		err := filepath.WalkDir(cache, func(p string, d fs.DirEntry, err error) error {
			if err != nil || !d.IsDir() {
				return err
			}
			mode := fs.FileMode(0o755)
			if on {
				mode = 0o555
			}
			return os.Chmod(p, mode)
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	readOnly(true)
	t.Cleanup(func() { readOnly(false) })

	fallback := filepath.Join(tmp, fmt.Sprintf("gpusim-pocl-%d", testenv.Nobody))
	if cred == nil {
		fallback = filepath.Join(tmp, fmt.Sprintf("gpusim-pocl-%d", os.Getuid()))
	}
	// autoRun is gpusim run under auto on a job that makes it start the
	// device: auto measures again at each run (the cache is read-only),
	// and on a loaded machine its probe of simd took long enough that
	// starting the device could not pay (CI118: "opencl's devices not
	// started: ... deciding would have taken 966 ms or more"), so a job
	// where it did not is run again, larger.
	autoRun := func(env []string) (string, int) {
		t.Helper()
		var out string
		var code int
		for _, lanes := range []string{"5e7", "2e8", "5e8"} {
			out, code = gpusim(env, "run", "--lanes", lanes, "--daily", "-q")
			if !strings.Contains(out, "devices not started: with a device's start-up") {
				break
			}
			t.Logf("auto did not start the device for --lanes %s; again larger:\n%s", lanes, out)
		}
		return out, code
	}
	note := "gpusim: note: OpenCL: pocl cannot write its kernel cache " + kcache
	for _, args := range [][]string{daily, {"run", "--lanes", "5e7", "--daily", "-q"}} {
		run := func() (string, int) { return gpusim(nil, args...) }
		if args[2] != "opencl" {
			run = func() (string, int) { return autoRun(nil) }
		}
		out, code := run()
		if code != 0 || !strings.Contains(out, note) || !strings.Contains(out, "pocl keeps compiled kernels in "+fallback+" instead") {
			t.Fatalf("%v on read-only caches: exit %d; want 0 and the note that pocl's cache moved to %s\n%s", args, code, fallback, out)
		}
		if args[2] == "opencl" && digest(out) != digest(ref) {
			t.Fatalf("%v on read-only caches: digest %s, want %s\n%s", args, digest(out), digest(ref), out)
		}
		t.Logf("%v: exit %d\n%s", args, code, out)
	}
	if out, code := gpusim(nil, "selftest"); code != 0 || !strings.Contains(out, "every check passed") {
		t.Fatalf("selftest on read-only caches: exit %d, want 0\n%s", code, out)
	}

	// POCL_CACHE_DIR names the read-only folder: the user's choice,
	// refused before pocl is asked to write there, exit 2: it could not
	// run, no device failed (it exited 1).
	set := []string{"POCL_CACHE_DIR=" + kcache}
	refusal := "pocl cannot write its kernel cache " + kcache + ", which it writes to build a program and at a kernel's first launch"
	out, code := gpusim(set, daily...)
	if code != exitUsage || !strings.Contains(out, refusal) || !strings.Contains(out, "gpusim: hint: set POCL_CACHE_DIR to a writable directory") {
		t.Fatalf("opencl with POCL_CACHE_DIR read-only: exit %d; want 2, the cause and the hint\n%s", code, out)
	}
	out, code = autoRun(set)
	if code != 0 || !strings.Contains(out, "did not start") || !strings.Contains(out, refusal) {
		t.Fatalf("auto with POCL_CACHE_DIR read-only: exit %d; want 0, on the CPU with a note\n%s", code, out)
	}
	// Exit 2: the environment kept the device's checks from running
	// (not-run), no device failed one (7cd2a59).
	out, code = gpusim(set, "selftest")
	if code != 2 || !strings.Contains(out, refusal) || !strings.Contains(out, "could not run") {
		t.Fatalf("selftest with POCL_CACHE_DIR read-only: exit %d; want 2, could not run, and the cause\n%s", code, out)
	}
}

// TestFullPoclCache: pocl's kernel cache on a full file system (a home
// over its quota, a full /tmp). A build from source ended the process in
// LLVM ("LLVM ERROR: IO failure on output stream: No space left on
// device", exit 1) with no gpusim error or hint, and a run under auto that
// chose to compile died where it could have run on the CPU; a load from
// gpusim's cache with pocl's cold aborted (exit 134). Now each is refused
// before pocl writes, exit 2 (could not run, no fault of the device; it
// was exit 1) with the room and the hint, and auto runs on simd.
func TestFullPoclCache(t *testing.T) {
	if testing.Short() {
		t.Skip("compiles the OpenCL program with pocl (seconds)")
	}
	cltest.RequireDevice(t)
	full := testenv.SmallDisk(t, "64k", false, nil)
	cache := t.TempDir()
	gpusim := func(pocl string, args ...string) (string, int) {
		t.Helper()
		cmd := exec.Command("gpusim", args...)
		cmd.Env = append(os.Environ(), "GPUSIM_CACHE_DIR="+cache, "POCL_CACHE_DIR="+pocl)
		out, _ := cmd.CombinedOutput()
		return string(out), cmd.ProcessState.ExitCode()
	}
	run := []string{"run", "--engine", "opencl", "--lanes", "1e3", "--steps", "10", "-q"}
	out, code := gpusim(full, run...)
	if code != exitUsage || !strings.Contains(out, "gpusim: error: ") || !strings.Contains(out, "pocl cannot build the program: it writes the preprocessed source") ||
		!strings.Contains(out, "gpusim: hint: free space there, or point POCL_CACHE_DIR at a folder with room") || strings.Contains(out, "LLVM") {
		t.Errorf("a build on a full disk: exit %d\n%s\nwant exit 2 with the room and the hint", code, out)
	}
	out, code = gpusim(full, "run", "--lanes", "1e8", "--steps", "10", "-q")
	if code != 0 || !strings.Contains(out, "engine    simd (auto)") || !strings.Contains(out, "pocl cannot build the program") {
		t.Errorf("auto on a full disk: exit %d\n%s\nwant simd, naming why not OpenCL", code, out)
	}
	// gpusim's cache warm, pocl's cold on the full disk: the load writes
	// the binary's files there.
	if out, code := gpusim(filepath.Join(t.TempDir(), "pocl"), run...); code != 0 {
		t.Fatalf("a build with room: exit %d\n%s", code, out)
	}
	out, code = gpusim(full, run...)
	if code != exitUsage || !strings.Contains(out, "pocl cannot load the compiled program from gpusim's cache: it writes the ") || strings.Contains(out, "Generic WG") {
		t.Errorf("a load on a full disk: exit %d\n%s\nwant exit 2 with the room", code, out)
	}
}
