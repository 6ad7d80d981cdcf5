package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gpusim/gpusim/gpu"
)

// TestPoclWithoutPath: gpusim started without PATH (env -i, a cron job or
// a service without one) builds and runs on pocl, whose build of the
// program runs the linker ld that clang's driver looks up in PATH alone:
// pocl aborted the process ("Executable "ld" doesn't exist!"), gpusim
// exited 1 with "the OpenCL driver ... crashed (SIGABRT) when asked to run
// the self-test's checks", and the mark it left refused the device at the
// next start, PATH set again ("process N ended while the OpenCL driver ran
// a first launch of the program ... not asked again"), until rm -f. PATH
// unset is now execvp's default path. So too with PATH set to a folder
// that holds no ld, which aborted pocl the same way: the folder of
// defaultPath that holds ld is added at PATH's end. pocl's kernel cache is
// a new folder at each run, so that pocl links (where it holds the kernels
// it does not).
func TestPoclWithoutPath(t *testing.T) {
	ds, err := gpu.Devices()
	if err != nil || len(ds) == 0 || ds[0].PlatformName != "Portable Computing Language" {
		t.Skipf("device 0 is not pocl's: %v", err)
	}
	run := func(cache string, env ...string) (int, string) {
		cmd := exec.Command("gpusim", "run", "--lanes", "10", "--device", "0", "-q")
		cmd.Env = append(env, "GPUSIM_CACHE_DIR="+cache, "POCL_CACHE_DIR="+t.TempDir(), "GPUSIM_DRIVER_WAIT=60")
		var errb strings.Builder
		cmd.Stderr = &errb
		kill := time.AfterFunc(120*time.Second, func() { _ = cmd.Process.Kill() })
		defer kill.Stop()
		_ = cmd.Run()
		return cmd.ProcessState.ExitCode(), errb.String()
	}
	// Without PATH, and with a PATH whose folders hold no ld, each on a
	// new cache (a program cached by gpusim is loaded with its kernels
	// linked), then with PATH.
	for _, env := range [][]string{nil, {"PATH=" + t.TempDir()}} {
		cache := t.TempDir()
		if code, stderr := run(cache, env...); code != 0 {
			t.Errorf("%q: exit %d, stderr:\n%s\nwant 0", env, code, stderr)
		}
		marks, _ := filepath.Glob(filepath.Join(cache, "programs", "*.*.*.*"))
		for _, m := range marks {
			if !strings.HasSuffix(m, ".lock") {
				t.Errorf("%q: mark left: %s", env, filepath.Base(m))
			}
		}
		if code, stderr := run(cache, "PATH="+os.Getenv("PATH")); code != 0 {
			t.Errorf("with PATH after %q: exit %d, stderr:\n%s\nwant 0: the device was not refused", env, code, stderr)
		}
	}
}
