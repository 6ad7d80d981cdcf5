//go:build amd64 || arm64

package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestStopWhileListing: a stop (SIGTERM) while auto waits on the OpenCL
// driver to list its devices (the fake driver hangs in clGetDeviceIDs)
// ends the run with 143 and "gpusim: terminated" as stderr's last line,
// and no note that the run goes on: it said "opencl failed, running on
// simd: stopped while the OpenCL driver listed its devices", before the
// stop's line or after it, of a run that never went on to simd.
func TestStopWhileListing(t *testing.T) {
	lib := fakeDriver(t, "fwd")
	real := loadedOpenCL(t)
	hung := filepath.Join(t.TempDir(), "hung")
	for _, args := range [][]string{
		{"run", "--lanes", "2e7", "--steps", "100"},
		{"run", "--lanes", "2e7", "--steps", "100", "--out", filepath.Join(t.TempDir(), "q.npy")},
	} {
		os.Remove(hung)
		cmd := exec.Command("gpusim", args...)
		// The driver's wait longer than the test's: only the stop ends it.
		cmd.Env = slices.Concat(os.Environ(), []string{"GPUSIM_OPENCL_LIBRARY=" + lib, "FAKECL_REAL=" + real,
			"GPUSIM_CACHE_DIR=" + t.TempDir(), "FAKECL_HUNG=" + hung, "FAKECL_FAULT=hang:clGetDeviceIDs", "GPUSIM_DRIVER_WAIT=300"})
		var errb strings.Builder
		cmd.Stderr = &errb
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		kill := time.AfterFunc(2*time.Minute, func() { _ = cmd.Process.Kill() })
		for deadline := time.Now().Add(time.Minute); ; time.Sleep(10 * time.Millisecond) {
			if _, err := os.Stat(hung); err == nil {
				break
			}
			if time.Now().After(deadline) {
				_ = cmd.Process.Kill()
				_ = cmd.Wait()
				t.Fatalf("%v: the driver never hung in clGetDeviceIDs; stderr %q", args, errb.String())
			}
		}
		_ = cmd.Process.Signal(syscall.SIGTERM)
		_ = cmd.Wait()
		kill.Stop()
		stderr := errb.String()
		if code := cmd.ProcessState.ExitCode(); code != 143 || strings.Contains(stderr, "running on") || !strings.HasSuffix(stderr, "gpusim: terminated\n") {
			t.Errorf("%v, SIGTERM in the listing: exit %d, stderr %q; want 143, no note of a run that goes on, and gpusim: terminated last", args, code, stderr)
		}
	}
}
