package main

import (
	"bytes"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gpusim/gpusim/gpu/cl/cltest"
)

// TestEarlyLoadBadInput: a run that names the device engine starts loading
// the driver before it checks its command line (opensDevice); a bad one
// is refused as before, exit 2 with the one error line and nothing on
// stdout, and leaves no probe file of gpusim's (cl.Quiesce) in pocl's
// cache folder or above it, wherever the exit falls in the load (40 runs).
func TestEarlyLoadBadInput(t *testing.T) {
	cltest.RequireDevice(t)
	bin := buildGpusim(t)
	home := t.TempDir()
	if err := os.MkdirAll(filepath.Join(home, ".cache", "pocl", "kcache"), 0o755); err != nil {
		t.Fatal(err)
	}
	const want = `gpusim: error: --lanes: invalid value "-1": -1 is negative (valid range 1..2^64-1)` + "\n"
	for i := range 40 {
		cmd := exec.Command(bin, "run", "--engine", "opencl", "--lanes", "-1")
		cmd.Env = []string{"HOME=" + home, "PATH=/usr/bin:/bin", "GPUSIM_CACHE_DIR=" + filepath.Join(home, "gpusim")}
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		cmd.Run()
		if code := cmd.ProcessState.ExitCode(); code != exitUsage || stdout.Len() > 0 || stderr.String() != want {
			t.Fatalf("run %d: exit %d, stdout %q, stderr %q; want %d, nothing, %q", i, code, stdout.String(), stderr.String(), exitUsage, want)
		}
	}
	filepath.WalkDir(home, func(path string, d fs.DirEntry, err error) error {
		if err == nil && strings.HasPrefix(d.Name(), ".gpusim-probe-") {
			t.Errorf("probe file left: %s", path)
		}
		return nil
	})
}
