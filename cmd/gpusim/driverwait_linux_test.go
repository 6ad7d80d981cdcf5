//go:build amd64 || arm64

package main

import (
	"context"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// TestDriverWaitSetting: GPUSIM_DRIVER_WAIT sets how long gpusim waits
// for the OpenCL driver, and its words say so: under a driver that hangs
// in clGetPlatformIDs, GPUSIM_DRIVER_WAIT=1 ends devices after 1 s, not
// the default 10 s, with "did not answer in 1 s" and a hint that names
// the setting. There was no setting: a slow driver (a GPU set up on first
// use, a loaded node) could not be given longer.
func TestDriverWaitSetting(t *testing.T) {
	lib := hangingDriver(t)
	ctx, cancel := context.WithTimeout(context.Background(), 40*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "gpusim", "devices")
	cmd.Env = append(os.Environ(), "GPUSIM_CACHE_DIR="+t.TempDir(), "GPUSIM_OPENCL_LIBRARY="+lib, "GPUSIM_DRIVER_WAIT=1")
	var stderr strings.Builder
	cmd.Stderr = &stderr
	t0 := time.Now()
	err := cmd.Run()
	took := time.Since(t0)
	if code := cmd.ProcessState.ExitCode(); code != 1 {
		t.Errorf("%v, want exit status 1 (stderr %q)", err, stderr.String())
	}
	for _, want := range []string{
		"gpusim: error: the OpenCL driver " + lib + " did not answer in 1 s when asked for its devices\n",
		"gets longer with GPUSIM_DRIVER_WAIT=SECONDS (now 1)",
	} {
		if !strings.Contains(stderr.String(), want) {
			t.Errorf("stderr %q: want %q", stderr.String(), want)
		}
	}
	// 1 s and the start; the default waited 10 s.
	if took > 7*time.Second {
		t.Errorf("took %v, want about 1 s (GPUSIM_DRIVER_WAIT=1)", took)
	}
}

// TestDriverWaitBad: a GPUSIM_DRIVER_WAIT that is not a whole number of
// seconds within 1..3600 is refused before any work, exit 2, with the
// valid range; a bad command line is refused first, as for the other
// variables. It was not read at all.
func TestDriverWaitBad(t *testing.T) {
	for _, c := range []struct{ value, args, want string }{
		{"0", "run --lanes 1000 --steps 10", "gpusim: error: GPUSIM_DRIVER_WAIT: 0 is out of range (valid range 1..3600)"},
		{"3601", "devices", "gpusim: error: GPUSIM_DRIVER_WAIT: 3601 is out of range (valid range 1..3600)"},
		{"-1", "selftest", "gpusim: error: GPUSIM_DRIVER_WAIT: -1 is negative (valid range 1..3600)"},
		{"ten", "bench --lanes 100 --steps 2", "gpusim: error: GPUSIM_DRIVER_WAIT: "},
		{"1.5", "run --lanes 1000 --steps 10", "gpusim: error: GPUSIM_DRIVER_WAIT: "},
		{"abc", "run --engine opencl --lanes 1000 --steps 10", "gpusim: error: GPUSIM_DRIVER_WAIT: "},
		{"abc", "run --device 0 --lanes 1000 --steps 10", "gpusim: error: GPUSIM_DRIVER_WAIT: "},
		{"abc", "bench --engines serial,opencl --lanes 100 --steps 2", "gpusim: error: GPUSIM_DRIVER_WAIT: "},
		{"0", "run --lanes -5", "gpusim: error: --lanes"},
		{"0", "bench --engines nosuch", "gpusim: error: --engines"},
	} {
		t.Run(c.value+" "+c.args, func(t *testing.T) {
			t.Parallel()
			cmd := exec.Command("gpusim", strings.Fields(c.args)...)
			cmd.Env = append(os.Environ(), "GPUSIM_CACHE_DIR="+t.TempDir(), "GPUSIM_DRIVER_WAIT="+c.value)
			var stdout, stderr strings.Builder
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			err := cmd.Run()
			if code := cmd.ProcessState.ExitCode(); code != 2 {
				t.Errorf("%v, want exit status 2 (stderr %q)", err, stderr.String())
			}
			if !strings.HasPrefix(stderr.String(), c.want) {
				t.Errorf("stderr %q: want it to start %q", stderr.String(), c.want)
			}
			if strings.HasPrefix(c.want, "gpusim: error: GPUSIM_DRIVER_WAIT") && !strings.Contains(stderr.String(), "valid range 1..3600") {
				t.Errorf("stderr %q: want the valid range 1..3600", stderr.String())
			}
			if stdout.Len() != 0 {
				t.Errorf("stdout %q, want nothing: refused before any work", stdout.String())
			}
		})
	}
}

// TestDriverWaitOnlyWhereDriverLoads: a bad GPUSIM_DRIVER_WAIT concerns
// the commands that may load an OpenCL driver alone (the refusals above);
// the others run as without it. GPUSIM_DRIVER_WAIT=abc gpusim merge, which
// only reads part files, exited 2 with the setting's error, as did run
// --engine simd and bench --engines serial.
func TestDriverWaitOnlyWhereDriverLoads(t *testing.T) {
	dir := t.TempDir()
	part := dir + "/p0.json"
	save := exec.Command("gpusim", "run", "--engine", "serial", "--lanes", "1000", "--steps", "10", "--shard", "0/1", "--save", part)
	save.Env = append(os.Environ(), "GPUSIM_CACHE_DIR="+t.TempDir())
	if out, err := save.CombinedOutput(); err != nil {
		t.Fatalf("saving a part: %v\n%s", err, out)
	}
	for _, args := range []string{
		"version",
		"--help",
		"run --help",
		"merge " + part,
		"run --engine serial --lanes 1000 --steps 10",
		"run --engine simd --lanes 1000 --steps 10",
		"bench --engines serial --lanes 100 --steps 2 --reps 1 --warmup 0 --no-scaling --no-sweep --baseline none",
	} {
		t.Run(args, func(t *testing.T) {
			t.Parallel()
			cmd := exec.Command("gpusim", strings.Fields(args)...)
			cmd.Env = append(os.Environ(), "GPUSIM_CACHE_DIR="+t.TempDir(), "GPUSIM_DRIVER_WAIT=abc")
			var stdout, stderr strings.Builder
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			if err := cmd.Run(); err != nil {
				t.Errorf("%v, want exit status 0 (stderr %q)", err, stderr.String())
			}
			if strings.Contains(stderr.String(), "GPUSIM_DRIVER_WAIT") {
				t.Errorf("stderr %q names GPUSIM_DRIVER_WAIT, which this command does not use", stderr.String())
			}
			if stdout.Len() == 0 {
				t.Errorf("no report on stdout")
			}
		})
	}
}
