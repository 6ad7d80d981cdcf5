//go:build amd64 || arm64

package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gpusim/gpusim/internal/quote"
)

// TestRememberedHang: an OpenCL driver that does not answer when asked
// for its platforms or its devices cost every auto run the whole driver
// wait, as nothing was kept of it. The first auto run waits (3 s here)
// and gpusim's cache keeps a mark of it, which its hint says; the next one does not ask the
// driver at all (the fake driver's FAKECL_HUNG file, which it makes as a
// call begins to hang, is not made), says so with the time and the rm -f
// that asks again, and runs on simd; --engine opencl still asks it (and
// the mark stays); the hint's rm -f, pasted into a shell, has auto ask it
// again; and gpusim devices, where the driver answers, removes the mark.
// The cache folder's name holds a space and a quote, which the rm -f
// quotes.
func TestRememberedHang(t *testing.T) {
	lib := fakeDriver(t, "fwd")
	real := loadedOpenCL(t)
	for _, fault := range []string{"hang:clGetDeviceIDs", "hang:clGetPlatformIDs"} {
		t.Run(fault, func(t *testing.T) {
			cache := filepath.Join(t.TempDir(), "it's cache")
			mark := filepath.Join(cache, "opencl-no-answer")
			hung := filepath.Join(t.TempDir(), "hung")
			env := slices.Concat(os.Environ(), []string{"GPUSIM_OPENCL_LIBRARY=" + lib, "FAKECL_REAL=" + real,
				"GPUSIM_CACHE_DIR=" + cache, "FAKECL_HUNG=" + hung})
			run := faultRun(t, env, hung)
			auto := []string{"run", "--lanes", "1e6", "--steps", "100"}
			// The wait in which the fake driver must reach its hang
			// (FAKECL_HUNG) on the runs that ask it: a process, the
			// probe's child and the driver's load; 1 s was passed on a
			// loaded machine, and asked read false.
			const wait = "3"
			said := "the OpenCL driver " + lib + " did not answer in " + wait + " s when asked for its devices"

			code, stderr, asked := run(fault, wait, auto...)
			if code != 0 || !asked || !strings.Contains(stderr, "gpusim: note: opencl failed, running on simd: "+said+"\n") {
				t.Fatalf("first auto run: exit status %d, asked %v, stderr %q: want 0, the driver asked, and the note %q", code, asked, stderr, said)
			}
			if _, err := os.Stat(mark); err != nil {
				t.Errorf("no mark of the hang: %v", err)
			}
			// The run that waited says that the hang is kept, and how to
			// have auto ask again: it said nothing of it.
			again := "rm -f " + quote.Shell(mark)
			if want := "; gpusim's cache keeps the hang: auto asks that driver no more for an hour (gpusim devices or --engine opencl asks it, and forgets the hang where it answers; to have auto ask it again: " + again + ")\n"; !strings.Contains(stderr, want) {
				t.Errorf("first auto run: stderr %q: want the hint to say %q", stderr, want)
			}

			code, stderr, asked = run(fault, wait, auto...)
			for _, want := range []string{
				"gpusim: note: opencl is not asked, running on simd: " + said + " on ",
				", which gpusim's cache remembers\n",
				"gpusim: note: hint for opencl: auto asks that driver no more for an hour from then (until ",
				"to have auto ask it again: " + again + "\n",
			} {
				if !strings.Contains(stderr, want) {
					t.Errorf("second auto run: stderr %q: want %q", stderr, want)
				}
			}
			if code != 0 || asked {
				t.Errorf("second auto run: exit status %d, asked %v: want 0, and the driver not asked", code, asked)
			}
			if !regexp.MustCompile(` on \d{4}-\d\d-\d\d \d\d:\d\d:\d\d `).MatchString(stderr) {
				t.Errorf("second auto run: stderr %q: want the time of the hang", stderr)
			}

			// The user asked for the driver: it is asked, and it hangs
			// again, so the mark stays.
			code, stderr, asked = run(fault, wait, "run", "--engine", "opencl", "--lanes", "1000", "--steps", "10")
			if code != 1 || !asked || !strings.Contains(stderr, "gpusim: error: start opencl: "+said+"\n") {
				t.Errorf("--engine opencl: exit status %d, asked %v, stderr %q: want 1, asked, and %q", code, asked, stderr, said)
			}
			if _, err := os.Stat(mark); err != nil {
				t.Errorf("--engine opencl removed the mark of a driver that hung again: %v", err)
			}

			// The hint's rm -f, as the user pastes it.
			if out, err := exec.Command("sh", "-c", again).CombinedOutput(); err != nil {
				t.Fatalf("%s: %v (%s)", again, err, out)
			}
			if code, stderr, asked = run(fault, wait, auto...); code != 0 || !asked || strings.Contains(stderr, "remembers") {
				t.Errorf("auto run after %s: exit status %d, asked %v, stderr %q: want 0 and the driver asked", again, code, asked, stderr)
			}

			// A listing that answers (a wait that a loaded machine does
			// not pass) forgets the hang.
			if code, stderr, _ = run("", "60", "devices"); code != 0 {
				t.Fatalf("devices with a driver that answers: exit status %d, stderr %q", code, stderr)
			}
			if _, err := os.Stat(mark); err == nil {
				t.Errorf("the mark stays after the driver answered gpusim devices")
			}
		})
	}
}

// TestRememberedSetUpHang: a driver that lists its devices and then hangs
// in a device's opening in this process (its kernel's creation here; a
// context or queue where the probe's record lets the listing skip the
// child) was not kept: every auto run whose calibration chose the device
// waited the whole driver wait again. The run that waited keeps it, as a
// listing's hang, and says so; the next auto run does not ask the driver
// (FAKECL_HUNG is not made); gpusim devices, whose listing answers,
// leaves the mark (it opened no device); a start of the device that
// answers removes it.
func TestRememberedSetUpHang(t *testing.T) {
	lib, mark, run := fwdFaultRun(t)
	const fault, wait = "hang:clCreateKernel", "3"
	opencl := []string{"run", "--engine", "opencl", "--lanes", "1000", "--steps", "10"}
	said := "the OpenCL driver " + lib + " did not answer in " + wait + " s when asked for the kernel weather for device 0 ("
	code, stderr, asked := run(fault, wait, opencl...)
	again := "rm -f " + quote.Shell(mark)
	if code != 1 || !asked || !strings.Contains(stderr, "gpusim: error: start opencl: "+said) {
		t.Fatalf("--engine opencl: exit status %d, asked %v, stderr %q: want 1, asked, and %q", code, asked, stderr, said)
	}
	if want := "gpusim's cache keeps the hang: auto asks that driver no more for an hour (--engine opencl asks it, and forgets the hang where the device starts; to have auto ask it again: " + again + ")"; !strings.Contains(stderr, want) {
		t.Errorf("--engine opencl: stderr %q: want the hint to say %q", stderr, want)
	}
	code, stderr, asked = run(fault, wait, "run", "--lanes", "1e6", "--steps", "100")
	if code != 0 || asked || !strings.Contains(stderr, "gpusim: note: opencl is not asked, running on simd: "+said) {
		t.Errorf("auto run after the hang: exit status %d, asked %v, stderr %q: want 0, the driver not asked, and the note %q", code, asked, stderr, said)
	}
	if code, stderr, _ = run("", "60", "devices"); code != 0 {
		t.Fatalf("devices: exit status %d, stderr %q", code, stderr)
	}
	if _, err := os.Stat(mark); err != nil {
		t.Errorf("gpusim devices, which opens no device, removed the mark of a device's opening: %v", err)
	}
	if code, stderr, _ = run("", "60", opencl...); code != 0 {
		t.Fatalf("--engine opencl with a driver that answers: exit status %d, stderr %q", code, stderr)
	}
	if _, err := os.Stat(mark); err == nil {
		t.Errorf("the mark stays after the device started")
	}
}

// fwdFaultRun sets up the forwarding fake driver over the real OpenCL
// library, with a cache folder of its own, and returns the fake driver's
// path, that cache's opencl-no-answer mark and faultRun's run under them.
func fwdFaultRun(t *testing.T) (lib, mark string, run func(fault, wait string, args ...string) (code int, stderr string, asked bool)) {
	lib = fakeDriver(t, "fwd")
	real := loadedOpenCL(t)
	cache := t.TempDir()
	hung := filepath.Join(t.TempDir(), "hung")
	env := slices.Concat(os.Environ(), []string{"GPUSIM_OPENCL_LIBRARY=" + lib, "FAKECL_REAL=" + real,
		"GPUSIM_CACHE_DIR=" + cache, "FAKECL_HUNG=" + hung})
	return lib, filepath.Join(cache, "opencl-no-answer"), faultRun(t, env, hung)
}

// faultRun returns run, which runs gpusim with args under env, the fake
// driver's fault (none where fault is "") and GPUSIM_DRIVER_WAIT=wait, and
// says whether the driver was asked: its call began to hang (the fake
// driver made hung, FAKECL_HUNG). A run past 2 minutes is killed.
func faultRun(t *testing.T, env []string, hung string) func(fault, wait string, args ...string) (code int, stderr string, asked bool) {
	return func(fault, wait string, args ...string) (code int, stderr string, asked bool) {
		t.Helper()
		os.Remove(hung)
		code, stderr = runWithin(t, slices.Concat(env, []string{"FAKECL_FAULT=" + fault, "GPUSIM_DRIVER_WAIT=" + wait}), 2*time.Minute, args...)
		_, err := os.Stat(hung)
		return code, stderr, err == nil
	}
}

// TestSelftestKeepsSetUpHang: selftest's start of a device is a device's
// opening as a run's is: a hang in it (the kernel's creation) is kept in
// opencl-no-answer, and a start that answers removes the mark. selftest
// kept nothing (auto's next run waited the whole wait again) and left a
// mark standing after its device started, where docs/auto.md names it
// among the starts that remove it.
func TestSelftestKeepsSetUpHang(t *testing.T) {
	_, mark, run := fwdFaultRun(t)
	code, stderr, asked := run("hang:clCreateKernel", "3", "selftest")
	if code == 0 || !asked || !strings.Contains(stderr, "did not answer in 3 s when asked for the kernel weather for device 0 (") {
		t.Fatalf("selftest under a hang in the kernel's creation: exit status %d, asked %v, stderr %q: want a failure that names the hang", code, asked, stderr)
	}
	if _, err := os.Stat(mark); err != nil {
		t.Errorf("selftest's hang in a device's start left no mark: %v", err)
	}
	// The mark of a run's start, which kept it before, for the start
	// that answers to remove.
	run("hang:clCreateKernel", "3", "run", "--engine", "opencl", "--lanes", "1000", "--steps", "10")
	if _, err := os.Stat(mark); err != nil {
		t.Fatalf("--engine opencl's hang in a device's start left no mark: %v", err)
	}
	if code, stderr, _ = run("", "60", "selftest"); code != 0 {
		t.Fatalf("selftest with a driver that answers: exit status %d, stderr %q", code, stderr)
	}
	if _, err := os.Stat(mark); err == nil {
		t.Errorf("the mark stays after selftest started the device")
	}
}

// runWithin runs gpusim with args under env, killed past limit (which only
// ends a hang): its exit status and stderr.
func runWithin(t *testing.T, env []string, limit time.Duration, args ...string) (code int, stderr string) {
	t.Helper()
	cmd := exec.Command("gpusim", args...)
	cmd.Env = env
	var errb strings.Builder
	cmd.Stderr = &errb
	kill := time.AfterFunc(limit, func() { _ = cmd.Process.Kill() })
	defer kill.Stop()
	_ = cmd.Run()
	return cmd.ProcessState.ExitCode(), errb.String()
}
