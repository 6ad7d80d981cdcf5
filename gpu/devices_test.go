package gpu

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/gpusim/gpusim/gpu/cl"
	"github.com/gpusim/gpusim/gpu/cl/cltest"
)

// TestUnwritableHome: pocl with no writable kernel cache (HOME unwritable,
// as for user nobody, and no POCL_CACHE_DIR) reports no device. Load points
// pocl at a folder of the user's alone in the temporary folder instead,
// with a note, and the device is there; where no such folder can be made
// either, Devices must name the cause and the fix, not "no OpenCL device"
// with a hint to install a driver (issue 11, item 7). Even root cannot
// create a directory under a regular file, so HOME is one.
func TestUnwritableHome(t *testing.T) {
	switch os.Getenv(childEnv) {
	case "home":
		os.Unsetenv("POCL_CACHE_DIR") // which TestMain set
		ds, err := Devices()
		want := filepath.Join(os.TempDir(), fmt.Sprintf("gpusim-pocl-%d", os.Getuid()))
		if err != nil || len(ds) == 0 || os.Getenv("POCL_CACHE_DIR") != want ||
			!strings.Contains(strings.Join(Notes(), "\n"), "pocl keeps compiled kernels in "+want+" instead") {
			t.Fatalf("Devices: %v, %v; POCL_CACHE_DIR=%q, want %q; notes %q", ds, err, os.Getenv("POCL_CACHE_DIR"), want, Notes())
		}
		fmt.Println("child-checked:", Notes())
		return
	case "nowhere":
		os.Unsetenv("POCL_CACHE_DIR")
		os.Unsetenv("XDG_RUNTIME_DIR")
		_, err := Devices()
		if !errors.Is(err, cl.ErrEnvironment) || errors.Is(err, ErrNoDevice) ||
			!strings.Contains(err.Error(), "pocl cannot write its kernel cache "+os.Getenv("HOME")) ||
			!strings.Contains(cl.HintFor(err), "POCL_CACHE_DIR") {
			t.Fatalf("Devices: %v (hint %q)", err, cl.HintFor(err))
		}
		fmt.Println("child-checked:", err)
		return
	}
	if _, err := Devices(); err != nil {
		cltest.Unavailable(t, err)
	}
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, c := range [][]string{
		{"home", "TMPDIR=" + t.TempDir()},
		{"nowhere", "TMPDIR=" + file + "/tmp"},
	} {
		cmd := testCommand(t, "^TestUnwritableHome$")
		cmd.Env = append(cmd.Env, childEnv+"="+c[0], "HOME="+file+"/home", "XDG_CACHE_HOME=")
		cmd.Env = append(cmd.Env, c[1:]...)
		out, err := cmd.CombinedOutput()
		t.Logf("%s: %s", c[0], out)
		if err != nil || !strings.Contains(string(out), "child-checked:") {
			t.Fatalf("%s: %v\n%s", c[0], err, out)
		}
	}
}

// TestListingLessProbe: the listing's time that the first engine's
// start-up counts (enumerated.took, for auto's calibration) leaves out the
// probe's child (cl.ProbeTime), which only a first start with a driver's
// set-up pays, in a process that probes with the cache off: it is at most
// the listing's wall time less the probe's, and the probe ran.
func TestListingLessProbe(t *testing.T) {
	if os.Getenv(childEnv) == "probe" {
		cl.EnableProbe()
		t0 := time.Now()
		if _, err := devices(); err != nil {
			t.Fatalf("devices: %v", err)
		}
		wall, probe := time.Since(t0), cl.ProbeTime()
		if probe <= 0 || enumerated.took > wall-probe {
			t.Fatalf("listing counted %v of %v, the probe's child %v: want at most %v, the probe run", enumerated.took, wall, probe, wall-probe)
		}
		fmt.Println("child-checked:", enumerated.took, wall, probe)
		return
	}
	if runtime.GOOS != "linux" {
		t.Skip("the probe runs on Linux alone")
	}
	testDevice(t)
	cmd := testCommand(t, "^TestListingLessProbe$")
	cmd.Env = append(cmd.Env, childEnv+"=probe", "GPUSIM_CACHE_DIR=off")
	out, err := cmd.CombinedOutput()
	t.Logf("%s", out)
	if err != nil || !strings.Contains(string(out), "child-checked:") {
		t.Fatalf("%v\n%s", err, out)
	}
}
