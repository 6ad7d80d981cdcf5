//go:build amd64

package main

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gpusim/gpusim/gpu"
)

// releaseHint is the hint of a driver's crash in a release, without the
// command's own wording of its remedy.
const releaseHint = "gpusim: hint: a driver that lists its devices and then crashes releasing what gpusim made on one (clinfo -l lists them all the same): GPUSIM_OPENCL_LIBRARY=PATH loads another libOpenCL.so; or run on a CPU engine (--engine simd)\n"

// runFaulted runs gpusim with args under env, the cache cache and the
// fault fault ("" for none), within 60 s: its exit status and stderr.
func runFaulted(t *testing.T, env []string, cache, fault string, args ...string) (code int, stderr string) {
	t.Helper()
	return runWithin(t, slices.Concat(env, []string{"GPUSIM_CACHE_DIR=" + cache, "FAKECL_FAULT=" + fault}), 60*time.Second, args...)
}

// TestCrashReleasingFailedBuild: a driver that fails gpusim's build
// (clBuildProgram) and then crashes releasing the failed program
// (clReleaseProgram) ends run --device 0 with exit 1 and an error that
// names that release, with the build's failure and the hint of a crash in
// a release; no mark of the build is left, and the next start without the
// fault builds and runs (exit 0). The program was released in the
// background: the crash was named as the build ("when asked to build the
// program for device 0"), with the build's hint, and the mark of the build
// it left refused the device at every later start ("process N ended while
// the OpenCL driver built one of gpusim's programs"). A load from gpusim's
// cache that the driver fails (clBuildProgram of the binary) names the
// release so too. A release that hangs there is waited for 10 s, and the
// build's error says so, where the wait (now before the error) would
// have been without a word.
func TestCrashReleasingFailedBuild(t *testing.T) {
	lib := fakeDriver(t, "fwd")
	env := slices.Concat(os.Environ(), []string{"GPUSIM_OPENCL_LIBRARY=" + lib, "FAKECL_REAL=" + loadedOpenCL(t)})
	label := deviceZero(t)
	want := "gpusim: error: the OpenCL driver " + lib + " crashed (SIGSEGV) when asked for the release of the program that failed to build for " + label +
		"; the build had failed: clBuildProgram: CL_BUILD_PROGRAM_FAILURE (-11)\n" + releaseHint
	const fault = "fail:clBuildProgram,crash:clReleaseProgram"
	run := strings.Fields("run --device 0 --lanes 1000 --steps 10")
	hung := make(chan string, 1)
	go func() {
		code, stderr := runFaulted(t, env, filepath.Join(t.TempDir(), "cache"), "fail:clBuildProgram,hang:clReleaseProgram", run...)
		const said = "clBuildProgram: CL_BUILD_PROGRAM_FAILURE (-11); the OpenCL driver did not answer in 10 s when asked for the release of the program that failed to build\n"
		if code != 1 || !strings.Contains(stderr, said) {
			hung <- fmt.Sprintf("a release that hangs: exit status %d, stderr %q: want 1 and %q", code, stderr, said)
			return
		}
		hung <- ""
	}()
	defer func() {
		if msg := <-hung; msg != "" {
			t.Error(msg)
		}
	}()
	cache := filepath.Join(t.TempDir(), "cache")
	for _, step := range []string{"build from source", "load from the cache"} {
		code, stderr := runFaulted(t, env, cache, fault, run...)
		if code != 1 || !strings.HasSuffix(stderr, want) {
			t.Errorf("%s: exit status %d, stderr %q: want 1, ending %q", step, code, stderr, want)
		}
		_ = filepath.WalkDir(cache, func(path string, d fs.DirEntry, err error) error {
			if err == nil && strings.Contains(d.Name(), ".building.") {
				t.Errorf("%s: the mark of a build %s is left, which refuses the device at the next start", step, path)
			}
			return nil
		})
		if code, stderr := runFaulted(t, env, cache, "", run...); code != 0 {
			t.Fatalf("%s: the start after, without the fault: exit status %d, stderr %q: want 0", step, code, stderr)
		}
	}
}

// TestProbeChildNamesSteps: the probe's child (a first start: no record)
// names a device as gpusim's own process does, "device 0 (NAME, PLATFORM,
// TYPE)", where it named it "(NAME)"; and a crash in its release of the
// queue or the context it made gets the hint of a crash in a release,
// where it got the set-up's.
func TestProbeChildNamesSteps(t *testing.T) {
	lib := fakeDriver(t, "fwd")
	env := slices.Concat(os.Environ(), []string{"GPUSIM_OPENCL_LIBRARY=" + lib, "FAKECL_REAL=" + loadedOpenCL(t)})
	label := deviceZero(t)
	said := "gpusim: error: start opencl: the OpenCL driver " + lib + " crashed (SIGSEGV) when asked for "
	const setUpHint = "gpusim: hint: a driver that lists its devices and then crashes setting one up (clinfo -l lists them all the same): GPUSIM_OPENCL_LIBRARY=PATH loads another libOpenCL.so; or run on a CPU engine (--engine simd)\n"
	cases := []struct{ fault, want string }{
		{"crash:clCreateContext", said + "a context for " + label + "\n" + setUpHint},
		{"crash:clCreateCommandQueue", said + "a queue on " + label + "\n" + setUpHint},
		{"crash:clReleaseCommandQueue", said + "the release of the queue on " + label + " after the set-up check\n" + releaseHint},
		{"crash:clReleaseContext", said + "the release of the context for " + label + " after the set-up check\n" + releaseHint},
	}
	got := make([]string, len(cases))
	codes := make([]int, len(cases))
	var wg sync.WaitGroup
	for i, c := range cases {
		cache := filepath.Join(t.TempDir(), "cache")
		wg.Go(func() {
			codes[i], got[i] = runFaulted(t, env, cache, c.fault, "run", "--device", "0", "--lanes", "1000", "--steps", "10")
		})
	}
	wg.Wait()
	for i, c := range cases {
		if codes[i] != 1 || got[i] != c.want {
			t.Errorf("%s: exit status %d, stderr %q: want 1 and %q", c.fault, codes[i], got[i], c.want)
		}
	}
}

// deviceZero is device 0's label as gpusim's own process names it
// ("device 0 (NAME, PLATFORM, TYPE)"), listed through the OpenCL library
// this process loads, which the forwarding driver forwards to.
func deviceZero(t *testing.T) string {
	t.Helper()
	ds, err := gpu.Devices()
	if err != nil || len(ds) == 0 {
		t.Skipf("no OpenCL device: %v", err)
	}
	return ds[0].Named()
}
