//go:build amd64

package main

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/gpusim/gpusim/internal/testenv"
)

// TestDriverThroughLoader: a driver that an .icd file names
// (OCL_ICD_VENDORS), reached by the ICD loader (testdata/fakecl/fwd.c
// serving it, pocl behind), that crashes or hangs in a call past the
// platforms' question is named by its own path, through the loader ("the
// OpenCL driver /path/libfwd.so (through the ICD loader libOpenCL.so.1)"):
// in gpusim's own process (the crash handler's build, a context's wait
// where the probe's record holds) and in the probe's child (an abort, a
// fault, a hang in the listing or a queue). Each but the fault was named
// by the loader's path ("the OpenCL driver libOpenCL.so.1 crashed
// (SIGSEGV) when asked to build the program ..."), and the fault by the
// driver's alone.
func TestDriverThroughLoader(t *testing.T) {
	loadedOpenCL(t) // the ICD loader is there
	real := poclDriver(t)
	lib := fakeDriver(t, "fwd")
	icds := t.TempDir()
	if err := os.WriteFile(filepath.Join(icds, "fwd.icd"), []byte(lib+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	env := slices.Concat(os.Environ(), []string{"GPUSIM_OPENCL_LIBRARY=", "OCL_ICD_FILENAMES=", "OCL_ICD_VENDORS=" + icds, "FAKECL_REAL=" + real})
	warm := filepath.Join(t.TempDir(), "cache")
	if r := runSetUpCase(setUpCase{line: "devices"}, slices.Concat(env, []string{"GPUSIM_CACHE_DIR=" + warm})); r.code != 0 {
		t.Fatalf("devices through the loader: exit status %d, stderr %q", r.code, r.stderr)
	}
	driver := "the OpenCL driver " + lib + " (through the ICD loader libOpenCL.so.1) "
	const dev = " device 0 ("
	const run = "run --device 0 --lanes 1e5 --steps 10"
	cases := []struct {
		fault string
		warm  bool // a copy of warm, whose probe's record holds
		line  string
		want  string
	}{
		{"crash:clBuildProgram", false, run, driver + "crashed (SIGSEGV) when asked to build the program for" + dev},
		{"abort:clFinish", true, run, driver + "crashed (SIGABRT) when asked to finish the run's commands on" + dev},
		{"hang:clCreateContext", true, run, driver + "did not answer in 10 s when asked for a context for" + dev},
		{"abort:clGetDeviceIDs", false, "devices", driver + "crashed (SIGABRT) when asked for its devices\n"},
		{"crash:clGetDeviceIDs", false, "devices", driver + "crashed (SIGSEGV) when asked for its devices\n"},
		{"hang:clCreateCommandQueue", false, "devices", driver + "did not answer in 10 s when asked for a queue on" + dev},
	}
	results := make([]setUpResult, len(cases))
	var wg sync.WaitGroup
	for i, c := range cases {
		cache := filepath.Join(t.TempDir(), "cache")
		if c.warm {
			if err := os.CopyFS(cache, os.DirFS(warm)); err != nil {
				t.Fatal(err)
			}
		}
		caseEnv := slices.Concat(env, []string{"GPUSIM_CACHE_DIR=" + cache, "FAKECL_FAULT=" + c.fault})
		wg.Go(func() { results[i] = runSetUpCase(setUpCase{line: c.line}, caseEnv) })
	}
	wg.Wait()
	for i, c := range cases {
		r := results[i]
		t.Run(c.fault+" "+c.line, func(t *testing.T) {
			if r.hung || r.code != 1 || !strings.Contains(r.stderr, c.want) {
				t.Errorf("exit status %d (hung: %v), stderr %q: want exit status 1 and %q", r.code, r.hung, r.stderr, c.want)
			}
		})
	}
}

// poclDriver is the path of pocl's driver library as its .icd file in
// /etc/OpenCL/vendors names it: a driver, not a loader, for fwd.c to
// serve an ICD loader with.
func poclDriver(t *testing.T) string {
	t.Helper()
	files, _ := filepath.Glob("/etc/OpenCL/vendors/*.icd")
	for _, f := range files {
		b, err := os.ReadFile(f)
		if lib := strings.TrimSpace(string(b)); err == nil && strings.Contains(filepath.Base(lib), "pocl") {
			return lib
		}
	}
	if testenv.CI() {
		t.Fatal("CI=true but no pocl .icd file in /etc/OpenCL/vendors")
	}
	t.Skip("no pocl .icd file in /etc/OpenCL/vendors")
	return ""
}

// TestDriverOfDevice: behind an ICD loader whose .icd files name two
// drivers that give platforms (fwd.c, and pocl's own), a crash in gpusim's
// process while it uses a device names that device's own driver, the one
// the loader calls for it (fwd.c, which hands on pocl's platform and puts
// its own entry points in its dispatch table), through the loader; and an
// .icd file's bare soname (libfwdname.so, found on LD_LIBRARY_PATH) is
// named by the path the dynamic loader mapped it from, with the soname.
// The first was named by the loader alone ("the OpenCL driver
// libOpenCL.so.1 crashed (SIGSEGV) ..."), where loaderDriver, finding two
// drivers, named none; the second by the soname as written.
func TestDriverOfDevice(t *testing.T) {
	loadedOpenCL(t) // the ICD loader is there
	real := poclDriver(t)
	lib := fakeDriver(t, "fwd")
	two, one, libs := t.TempDir(), t.TempDir(), t.TempDir()
	named := filepath.Join(libs, "libfwdname.so")
	copyFile(t, lib, named)
	for file, text := range map[string]string{
		filepath.Join(two, "fwd.icd"): lib, filepath.Join(two, "pocl.icd"): real,
		filepath.Join(one, "fwd.icd"): "libfwdname.so",
	} {
		if err := os.WriteFile(file, []byte(text+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	const run = "run --device 0 --lanes 1e5 --steps 10"
	const loader = " (through the ICD loader libOpenCL.so.1) crashed (SIGSEGV) when asked "
	cases := []struct {
		vendors, fault, line, want string
	}{
		{two, "crash:clBuildProgram", run, "the OpenCL driver " + lib + loader + "to build the program for device 0 ("},
		{one, "crash:clBuildProgram", run, "the OpenCL driver " + named + " (libfwdname.so)" + loader + "to build the program for device 0 ("},
		{one, "crash:clGetDeviceIDs", "devices", "the OpenCL driver " + named + " (libfwdname.so)" + loader + "for its devices\n"},
	}
	results := make([]setUpResult, len(cases))
	var wg sync.WaitGroup
	for i, c := range cases {
		env := slices.Concat(os.Environ(), []string{"GPUSIM_OPENCL_LIBRARY=", "OCL_ICD_FILENAMES=", "OCL_ICD_VENDORS=" + c.vendors,
			"FAKECL_REAL=" + real, "FAKECL_FAULT=" + c.fault, "LD_LIBRARY_PATH=" + libs, "GPUSIM_CACHE_DIR=" + filepath.Join(t.TempDir(), "cache")})
		wg.Go(func() { results[i] = runSetUpCase(setUpCase{line: c.line}, env) })
	}
	wg.Wait()
	for i, c := range cases {
		r := results[i]
		if r.hung || r.code != 1 || !strings.Contains(r.stderr, c.want) {
			t.Errorf("%s, %s: exit status %d (hung: %v), stderr %q: want exit status 1 and %q", c.fault, c.line, r.code, r.hung, r.stderr, c.want)
		}
	}
}
