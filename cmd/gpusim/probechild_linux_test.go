//go:build amd64 || arm64

package main

import (
	"debug/elf"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gpusim/gpusim/internal/quote"
)

// TestProbeChildKilled: a probe's child killed from outside (kill -9, the
// out-of-memory killer) under a driver that hangs in clGetPlatformIDs is
// probed once more, in a second child, and gpusim does not load the driver
// itself; a second kill ends devices, selftest, run --device 0 and bench
// --engines opencl with exit 1 and the error that the child was killed
// twice (auto runs on simd with it in its note), and a first kill alone
// leaves devices to its 10 s wait on the second child. The kill was no
// verdict: gpusim loaded the driver itself, and one of its threads hung in
// it for the run (the driver in its /proc/PID/maps).
func TestProbeChildKilled(t *testing.T) {
	lib := hangingDriver(t)
	killed := "the OpenCL driver " + lib + " was not loaded: the child that probes it was killed from outside twice (SIGKILL) when asked for its platforms\n"
	const hint = "gpusim: hint: gpusim loads a driver it has not seen work in a child first, and a child that another process or the out-of-memory killer ended (dmesg says whether it did) gives no verdict: run the command again to probe it again; the CPU engines run without OpenCL\n"
	for _, c := range []struct {
		line   string
		kills  int
		code   int
		stderr string
	}{
		{"devices", 2, 1, "gpusim: error: " + killed + hint},
		{"selftest", 2, 1, "gpusim: error: " + killed + hint},
		{"run --device 0 --lanes 1000 --steps 10", 2, 1, "gpusim: error: start opencl: " + killed + hint},
		{"bench --engines opencl --lanes 1000 --steps 10 --reps 1 --warmup 0 --baseline none", 2, 1, "gpusim: error: --engines: opencl cannot run here: " + killed + hint},
		{"run --lanes 1e7 --steps 100", 2, 0, "gpusim: note: opencl failed, running on simd: " + killed},
		{"devices", 1, 1, "gpusim: error: the OpenCL driver " + lib + " did not answer in 10 s when asked for its devices\n" +
			"gpusim: hint: a driver that hangs as it starts: clinfo -l says whether it answers, and GPUSIM_OPENCL_LIBRARY=PATH loads another libOpenCL.so; a driver that is only slow (a GPU set up on first use, a loaded node) gets longer with GPUSIM_DRIVER_WAIT=SECONDS (now 10); gpusim's cache keeps the hang: auto asks that driver no more for an hour (gpusim devices or --engine opencl asks it, and forgets the hang where it answers; to have auto ask it again: rm -f CACHE/opencl-no-answer); the CPU engines run without OpenCL\n"},
	} {
		t.Run(fmt.Sprintf("%s/%d", c.line, c.kills), func(t *testing.T) {
			t.Parallel()
			cache := t.TempDir()
			want := strings.ReplaceAll(c.stderr, "CACHE/opencl-no-answer", quote.Shell(filepath.Join(cache, "opencl-no-answer")))
			cmd := exec.Command("gpusim", strings.Fields(c.line)...)
			cmd.Env = append(os.Environ(), "GPUSIM_CACHE_DIR="+cache, "GPUSIM_OPENCL_LIBRARY="+lib)
			var stderr strings.Builder
			cmd.Stderr = &stderr
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			defer cmd.Process.Kill()
			pid := cmd.Process.Pid
			child := ""
			for range c.kills {
				child = liveChild(t, pid, child)
				// Killed once it has the driver loaded, which hangs
				// in clGetPlatformIDs: a kill before the load (under
				// load) read "before it loaded one", not "when asked
				// for its platforms".
				mappedIn(t, child, lib)
				if n, err := strconv.Atoi(child); err == nil {
					syscall.Kill(n, syscall.SIGKILL)
				}
				// The driver's load in gpusim itself comes at once
				// after the kill, where it came.
				time.Sleep(300 * time.Millisecond)
				if maps, _ := os.ReadFile(fmt.Sprintf("/proc/%d/maps", pid)); strings.Contains(string(maps), lib) {
					t.Fatalf("gpusim loaded the driver itself after its probe's child was killed (%s in its maps)", lib)
				}
			}
			done := make(chan error, 1)
			go func() { done <- cmd.Wait() }()
			select {
			case <-done:
			case <-time.After(30 * time.Second):
				cmd.Process.Kill()
				<-done
				t.Fatalf("no end in 30 s: stderr %q", stderr.String())
			}
			if code := cmd.ProcessState.ExitCode(); code != c.code {
				t.Errorf("exit status %d, want %d", code, c.code)
			}
			if got := stderr.String(); !strings.HasPrefix(got, want) || c.code != 0 && got != want {
				t.Errorf("stderr %q, want %q", got, want)
			}
		})
	}
}

// mappedIn waits up to 8 s for process pid to have lib in its maps, and
// 200 ms more for it to ask lib for its platforms (the hanging driver's
// clGetPlatformIDs, where it stays).
func mappedIn(t *testing.T, pid, lib string) {
	t.Helper()
	for deadline := time.Now().Add(8 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if maps, _ := os.ReadFile("/proc/" + pid + "/maps"); strings.Contains(string(maps), lib) {
			time.Sleep(200 * time.Millisecond)
			return
		}
	}
	t.Fatalf("the probe's child %s did not load %s in 8 s", pid, lib)
}

// liveChild waits up to 8 s for a child of pid, not a zombie, other than
// not, and returns its process id.
func liveChild(t *testing.T, pid int, not string) string {
	t.Helper()
	for deadline := time.Now().Add(8 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		for _, stat := range childrenOf(pid) {
			kid, rest, _ := strings.Cut(stat, " ")
			_, rest, _ = strings.Cut(rest, ") ")
			if kid != not && !strings.HasPrefix(rest, "Z") {
				return kid
			}
		}
	}
	t.Fatalf("no probe's child (other than %q) within 8 s", not)
	return ""
}

// TestCrashingDriverByLoader: a driver that an .icd file names
// (OCL_ICD_VENDORS), reached by the ICD loader, that aborts, exits or
// faults on a thread of its own when asked for its platforms
// (testdata/fakecl/crash.c's FAKECL_CRASH=abort, exit, thread) is named by
// its own path, through the loader's, as one whose code faulted is: the
// probe's child asks it
// for its platforms itself before the loader does. Each was named by the
// loader's path, "the OpenCL driver libOpenCL.so.1 crashed (SIGABRT)",
// where Go's trace had no address in the driver's code.
func TestCrashingDriverByLoader(t *testing.T) {
	lib := fakeDriver(t, "crash")
	icds := t.TempDir()
	if err := os.WriteFile(filepath.Join(icds, "crash.icd"), []byte(lib+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	const hint = "gpusim: hint: a driver that crashes as it starts: clinfo -l shows whether it does so outside gpusim too, and GPUSIM_OPENCL_LIBRARY=PATH loads another libOpenCL.so; or run on a CPU engine (gpusim run --engine simd)\n"
	for how, died := range map[string]string{
		"abort":  "crashed (SIGABRT)",
		"exit":   "ended the process (exit status 3)",
		"thread": "crashed (SIGSEGV)",
	} {
		t.Run(how, func(t *testing.T) {
			t.Parallel()
			cmd := exec.Command("gpusim", "devices")
			cmd.Env = append(os.Environ(), "GPUSIM_CACHE_DIR="+t.TempDir(), "GPUSIM_OPENCL_LIBRARY=", "OCL_ICD_VENDORS="+icds, "FAKECL_CRASH="+how)
			var stderr strings.Builder
			cmd.Stderr = &stderr
			err := cmd.Run()
			want := "gpusim: error: the OpenCL driver " + lib + " (through the ICD loader libOpenCL.so.1) " + died + " when asked for its platforms\n" + hint
			if code := cmd.ProcessState.ExitCode(); code != 1 || stderr.String() != want {
				t.Errorf("%v, stderr %q; want exit status 1 and %q", err, stderr.String(), want)
			}
		})
	}
}

// TestHangingDriverByLoader: a driver that an .icd file names, reached by
// the ICD loader, that hangs when asked for its platforms
// (testdata/fakecl/hang.c's clIcdGetPlatformIDsKHR) is named by its own
// path, through the loader's, when devices' 10 s wait ends: the probe's child asks it itself
// before the loader does. It was named by the loader's path ("the OpenCL
// driver libOpenCL.so.1 did not answer in 10 s").
func TestHangingDriverByLoader(t *testing.T) {
	lib := hangingDriver(t)
	icds := t.TempDir()
	if err := os.WriteFile(filepath.Join(icds, "hang.icd"), []byte(lib+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("gpusim", "devices")
	cmd.Env = append(os.Environ(), "GPUSIM_CACHE_DIR="+t.TempDir(), "GPUSIM_OPENCL_LIBRARY=", "OCL_ICD_VENDORS="+icds)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	err := cmd.Run()
	want := "gpusim: error: the OpenCL driver " + lib + " (through the ICD loader libOpenCL.so.1) did not answer in 10 s when asked for its devices\n"
	if code := cmd.ProcessState.ExitCode(); code != 1 || !strings.HasPrefix(stderr.String(), want) {
		t.Errorf("%v, stderr %q; want exit status 1 and first %q", err, stderr.String(), want)
	}
}

// TestProbeChildThroughLoader: gpusim started through its dynamic loader
// (/lib64/ld-linux-x86-64.so.2 bin/gpusim ...), where /proc/self/exe is
// the loader, runs its probe's child as the loader running gpusim's file
// (cl's loadedProgram): devices lists the driver's devices (run --device
// 0 runs on them, as by hand), and a driver that hangs in
// clGetPlatformIDs is the child's verdict (devices exits 1, the driver did
// not answer), not loaded in gpusim's own process. The
// child was /proc/self/exe alone, the loader without a program ("missing
// program name"): every driver was refused untried, exit 2, "could not
// run: the OpenCL driver was not loaded: the child that probes it first
// ended before it started".
func TestProbeChildThroughLoader(t *testing.T) {
	hanging := hangingDriver(t)
	real := loadedOpenCL(t)
	exe, err := exec.LookPath("gpusim")
	if err != nil {
		t.Fatal(err)
	}
	interp := elfInterp(t, exe)
	for i, c := range []struct {
		line, lib, wait string
		code            int
		stdout, stderr  string
	}{
		{"devices", real, "60", 0, "\n  [0] ", ""},
		{"devices", hanging, "2", 1, "", "gpusim: error: the OpenCL driver " + hanging + " did not answer in 2 s when asked for its devices\n"},
	} {
		t.Run(fmt.Sprint(i, " ", c.line), func(t *testing.T) {
			t.Parallel()
			cmd := exec.Command(interp, append([]string{exe}, strings.Fields(c.line)...)...)
			cmd.Env = append(os.Environ(), "GPUSIM_CACHE_DIR="+t.TempDir(), "GPUSIM_OPENCL_LIBRARY="+c.lib, "GPUSIM_DRIVER_WAIT="+c.wait)
			var stdout, stderr strings.Builder
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			t0 := time.Now()
			cmd.Run()
			if took := time.Since(t0); cmd.ProcessState.ExitCode() != c.code || !strings.Contains(stdout.String(), c.stdout) || !strings.HasPrefix(stderr.String(), c.stderr) {
				t.Errorf("exit status %d after %v, stdout %q, stderr %q; want %d, %q in stdout and stderr starting %q", cmd.ProcessState.ExitCode(), took, stdout.String(), stderr.String(), c.code, c.stdout, c.stderr)
			}
		})
	}
}

// elfInterp is the ELF interpreter (the dynamic loader) of exe; the test
// skips where it has none (a static build).
func elfInterp(t *testing.T, exe string) string {
	t.Helper()
	f, err := elf.Open(exe)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			b, err := io.ReadAll(p.Open())
			if err != nil {
				t.Fatal(err)
			}
			return strings.TrimRight(string(b), "\x00")
		}
	}
	t.Skip("gpusim has no ELF interpreter here")
	return ""
}
