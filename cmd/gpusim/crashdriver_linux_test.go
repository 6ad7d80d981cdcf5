//go:build amd64 || arm64

package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gpusim/gpusim/gpu/cl/cltest"
)

// TestCrashingDriver: under a driver whose clGetPlatformIDs faults
// (testdata/fakecl/crash.c), the commands that load it say so in two
// lines, the probe's child having died in gpusim's place: devices and
// selftest exit 1 with the error and its hint, their JSON one whole
// document saying so; run --engine opencl exits 1 with the error; run's
// auto, which lists the devices to choose, runs on simd with the error in
// its note; bench refuses --engines opencl. Each printed Go's trace of
// the fault (some 250 lines, "signal arrived during cgo execution") and
// exited 2, auto's run too. A fault as the driver lists its devices, an
// abort (Go's trace again, exit 2), an exit of the driver's own (exit
// status 3, with not a word) and the driver an .icd file names
// (OCL_ICD_VENDORS) are said likewise, the last by its own path, through
// the loader's, where the ICD loader reached it ("the OpenCL driver PATH
// (through the ICD loader libOpenCL.so.1) crashed"): "the OpenCL driver
// libOpenCL.so.1 crashed". The
// crash is not remembered: the next start probes again.
func TestCrashingDriver(t *testing.T) {
	lib := fakeDriver(t, "crash")
	// A folder of .icd files that names it, for the ICD loader's way.
	icds := t.TempDir()
	if err := os.WriteFile(filepath.Join(icds, "crash.icd"), []byte(lib+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	said := "the OpenCL driver " + lib + " crashed (SIGSEGV) when asked for its platforms"
	const hint = "gpusim: hint: a driver that crashes as it starts: clinfo -l shows whether it does so outside gpusim too, and GPUSIM_OPENCL_LIBRARY=PATH loads another libOpenCL.so; or run on a CPU engine (gpusim run --engine simd)\n"
	for _, c := range []struct {
		line   string
		code   int
		stderr string
	}{
		{"FAKECL_CRASH=devices devices", 1, "gpusim: error: " + strings.Replace(said, "platforms", "devices", 1) + "\n" + hint},
		{"FAKECL_CRASH=abort devices", 1, "gpusim: error: " + strings.Replace(said, "SIGSEGV", "SIGABRT", 1) + "\n" + hint},
		// The child's trace ends it at once under the user's
		// GOTRACEBACK=crash too, which would dump core first.
		{"GOTRACEBACK=crash devices", 1, "gpusim: error: " + said + "\n" + hint},
		// Named by an .icd file, where the library is not named: the
		// ICD loader (ocl-icd, where it is installed) faults in it.
		{"GPUSIM_OPENCL_LIBRARY= OCL_ICD_VENDORS=ICDS devices", 1, "gpusim: error: " + strings.Replace(said, lib, lib+" (through the ICD loader libOpenCL.so.1)", 1) + "\n" + hint},
		{"FAKECL_CRASH=exit devices", 1, "gpusim: error: " + strings.Replace(said, "crashed (SIGSEGV)", "ended the process (exit status 3)", 1) + "\n" + hint},
		{"devices", 1, "gpusim: error: " + said + "\n" + hint},
		{"devices --format json", 1, "gpusim: error: " + said + "\n" + hint},
		{"selftest", 1, "gpusim: error: " + said + "\n" + hint},
		{"selftest --format json", 1, "gpusim: error: " + said + "\n" + hint},
		{"run --engine opencl --lanes 1000 --steps 10", 1, "gpusim: error: start opencl: " + said + "\n" +
			strings.Replace(hint, "gpusim run --engine", "--engine", 1)},
		{"run --lanes 1e6 --steps 100 --format json", 0, "gpusim: note: opencl failed, running on simd: " + said + "\n"},
		{"bench --engines opencl --lanes 100 --steps 2", 1, "gpusim: error: --engines: opencl cannot run here: " + said + "\n" +
			strings.Replace(hint, "gpusim run --engine", "--engines", 1)},
	} {
		t.Run(c.line, func(t *testing.T) {
			t.Parallel()
			cache := t.TempDir()
			// The line's leading NAME=value words are its environment.
			args := strings.Fields(strings.ReplaceAll(c.line, "ICDS", icds))
			env := []string{"GPUSIM_CACHE_DIR=" + cache, "GPUSIM_OPENCL_LIBRARY=" + lib, "FAKECL_CRASH="}
			for ; strings.Contains(args[0], "="); args = args[1:] {
				env = append(env, args[0])
			}
			cmd := exec.Command("gpusim", args...)
			cmd.Env = append(os.Environ(), env...)
			var stdout, stderr strings.Builder
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			err := cmd.Run()
			if code := cmd.ProcessState.ExitCode(); code != c.code {
				t.Errorf("%v, want exit status %d", err, c.code)
			}
			if got := stderr.String(); !strings.HasPrefix(got, c.stderr) || c.code != 0 && got != c.stderr {
				t.Errorf("stderr %q, want %q", got, c.stderr)
			}
			if _, err := os.Stat(filepath.Join(cache, "opencl-probe")); err == nil {
				t.Errorf("the crash was remembered as a driver that works")
			}
			if !strings.Contains(c.line, "json") {
				return
			}
			var doc map[string]any
			if err := json.Unmarshal([]byte(stdout.String()), &doc); err != nil {
				t.Fatalf("stdout %q is not one JSON document: %v", stdout.String(), err)
			}
			if c.code != 0 && (doc["error"] != said || !strings.HasPrefix(doc["hint"].(string), "a driver that crashes")) {
				t.Errorf("document %v, want its error %q and the hint", doc, said)
			}
		})
	}
}

// TestProbeRemembered: a driver that works (pocl here) is probed in a
// child once, and the cache's record of it (opencl-probe, naming the
// libraries the child mapped) spares the next start the child: the record
// is not written again. No record was kept.
func TestProbeRemembered(t *testing.T) {
	cltest.RequireDevice(t)
	cache := t.TempDir()
	record := filepath.Join(cache, "opencl-probe")
	var first os.FileInfo
	for try := 1; try <= 2; try++ {
		cmd := exec.Command("gpusim", "devices")
		cmd.Env = append(os.Environ(), "GPUSIM_CACHE_DIR="+cache)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("try %d: %v\n%s", try, err, out)
		}
		b, err := os.ReadFile(record)
		if err != nil {
			t.Fatalf("try %d: no record of the probe: %v", try, err)
		}
		if !strings.Contains(string(b), "\nlib ") {
			t.Errorf("try %d: the record names no library:\n%s", try, b)
		}
		st, err := os.Stat(record)
		if err != nil {
			t.Fatal(err)
		}
		if first == nil {
			first = st
		} else if !os.SameFile(first, st) {
			t.Errorf("the record was written again: the second start probed the driver again")
		}
	}
}

// TestProbeRecordUnkept: a probe's record that cannot be written (a
// folder that is not empty in its place, a cache folder under a file) is
// said in one note, as the cache's other files are: every start probed
// the driver again, some 40 ms, without a word.
func TestProbeRecordUnkept(t *testing.T) {
	cltest.RequireDevice(t)
	const note = "gpusim: note: cache: not written (gpusim works without it; set GPUSIM_CACHE_DIR to a writable folder, or off): "
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "folder", "opencl-probe", "x"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "file"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	record := filepath.Join(dir, "folder", "opencl-probe")
	for cache, why := range map[string]string{
		filepath.Join(dir, "folder"):        record + " is a folder, not a cache entry: remove it (rm -r " + record + ")",
		filepath.Join(dir, "file", "cache"): "mkdir " + filepath.Join(dir, "file") + ": not a directory",
	} {
		cmd := exec.Command("gpusim", "devices")
		cmd.Env = append(os.Environ(), "GPUSIM_CACHE_DIR="+cache)
		var stderr strings.Builder
		cmd.Stderr = &stderr
		if err := cmd.Run(); err != nil {
			t.Fatalf("%s: %v\n%s", cache, err, stderr.String())
		}
		if got := stderr.String(); !strings.Contains(got, note+why+"\n") || strings.Count(got, "not written") != 1 {
			t.Errorf("%s: stderr %q, want the one note %q", cache, got, note+why)
		}
	}
}

// TestProbeVariableSet: a user who sets GPUSIM_OPENCL_PROBE (the probe's
// child's variable) gets the command they ran. Each command printed the child's report
// ("load libOpenCL.so.1", "lib ...", "done") and exited 0 without running.
func TestProbeVariableSet(t *testing.T) {
	for _, v := range []string{"1", "0", "yes"} {
		cache := t.TempDir()
		cmd := exec.Command("gpusim", "run", "--engine", "serial", "--lanes", "1000", "--steps", "10", "--format", "json")
		cmd.Env = append(os.Environ(), "GPUSIM_CACHE_DIR="+cache, "GPUSIM_OPENCL_PROBE="+v)
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("GPUSIM_OPENCL_PROBE=%s: %v\n%s", v, err, out)
		}
		var doc map[string]any
		if err := json.Unmarshal(out, &doc); err != nil {
			t.Errorf("GPUSIM_OPENCL_PROBE=%s: stdout %q is not the run's JSON document: %v", v, out, err)
		}
	}
}

// TestDriverHelperProcess: a driver that starts a helper process of its
// own, which outlives the probe's child with its stdout and stderr
// (testdata/fakecl/helper.c), is said at once for what it is, a library
// with no platform, exit 2. The probe waited for the helper too, past
// devices' 10 s wait: "the OpenCL driver did not answer in 10 s when
// asked for its devices", exit 1, after 10 s.
func TestDriverHelperProcess(t *testing.T) {
	lib := fakeDriver(t, "helper")
	pids := filepath.Join(t.TempDir(), "pids")
	t.Cleanup(func() {
		b, _ := os.ReadFile(pids)
		for _, f := range strings.Fields(string(b)) {
			if pid, err := strconv.Atoi(f); err == nil && pid > 0 {
				syscall.Kill(pid, syscall.SIGKILL)
			}
		}
	})
	cmd := exec.Command("gpusim", "devices")
	cmd.Env = append(os.Environ(), "GPUSIM_CACHE_DIR="+t.TempDir(), "GPUSIM_OPENCL_LIBRARY="+lib, "FAKECL_PIDFILE="+pids)
	// A file, not a pipe: the helper holds gpusim's stderr, and the
	// test's wait for a pipe's end would wait for it too.
	errFile, err := os.Create(filepath.Join(t.TempDir(), "stderr"))
	if err != nil {
		t.Fatal(err)
	}
	defer errFile.Close()
	cmd.Stderr = errFile
	t0 := time.Now()
	cmd.Run()
	took := time.Since(t0)
	stderr, _ := os.ReadFile(errFile.Name())
	if code := cmd.ProcessState.ExitCode(); code != 2 || !strings.Contains(string(stderr), "no OpenCL platform") {
		t.Errorf("exit status %d, stderr %q; want 2 and no OpenCL platform", code, stderr)
	}
	if took > 5*time.Second {
		t.Errorf("took %v: the probe waited for the driver's helper process", took)
	}
}
