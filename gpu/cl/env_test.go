package cl_test

import (
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/gpusim/gpusim/gpu/cl"
	"github.com/gpusim/gpusim/gpu/cl/cltest"
	"github.com/gpusim/gpusim/internal/testenv"
)

// envChild is the environment variable that makes a test binary run one
// case of the tests below as a child: Load happens once per process, and
// pocl aborts the process it runs in on a bad environment.
const envChild = "GPUSIM_CL_TEST_CHILD"

// runChild runs test in a child process with env added and returns its
// output; the child's test fails the parent, and so does a child that has
// not returned after a minute (a loader held in open(2) for ever).
func runChild(t *testing.T, test, child string, env ...string) string {
	t.Helper()
	return testenv.RunTest(t, test, append(env, envChild+"="+child)...)
}

// loadNoting is a child's check: Load succeeds, with a note that holds
// want; with platforms, it lists some.
func loadNoting(t *testing.T, want string, platforms bool) {
	t.Helper()
	if err := cl.Load(); err != nil {
		t.Fatal(err)
	}
	if platforms {
		if ps, err := cl.Platforms(); err != nil || len(ps) == 0 {
			t.Fatalf("platforms: %v, %v", ps, err)
		}
	}
	notes := strings.Join(cl.LoadNotes(), "\n")
	if !strings.Contains(notes, want) {
		t.Fatalf("notes %q: want %q", notes, want)
	}
	t.Log(notes)
}

// poclVendors returns a new vendors folder (OCL_ICD_VENDORS) whose one
// .icd file names pocl.
func poclVendors(t *testing.T) string {
	t.Helper()
	lib := poclLibrary(t)
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "pocl.icd"), []byte(lib+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

// poclLibrary returns the pocl library an ICD file names, or ends the test
// as OpenCL tests do without OpenCL.
func poclLibrary(t *testing.T) string {
	t.Helper()
	files, _ := filepath.Glob("/etc/OpenCL/vendors/*pocl*.icd")
	for _, f := range files {
		if b, err := os.ReadFile(f); err == nil {
			return strings.TrimSpace(strings.SplitN(string(b), "\n", 2)[0])
		}
	}
	cltest.Unavailable(t, errors.New("pocl is not installed (no /etc/OpenCL/vendors/*pocl*.icd)"))
	return ""
}

// TestPoclEmptyCacheDir: with POCL_CACHE_DIR set to "", pocl 3.1 aborts
// the process in clGetPlatformIDs (issue 11, item 7). Load must not open
// OpenCL then, and say why and what to do.
func TestPoclEmptyCacheDir(t *testing.T) {
	if os.Getenv(envChild) == "empty" {
		_, err := cl.Platforms()
		if !errors.Is(err, cl.ErrEnvironment) || errors.Is(err, cl.ErrNoLibrary) ||
			!strings.Contains(err.Error(), "POCL_CACHE_DIR is set but empty") ||
			!strings.Contains(cl.HintFor(err), "POCL_CACHE_DIR to a writable directory") {
			t.Fatalf("got %v (hint %q)", err, cl.HintFor(err))
		}
		t.Log(err)
		return
	}
	poclLibrary(t)
	t.Log(runChild(t, "TestPoclEmptyCacheDir", "empty", "POCL_CACHE_DIR="))
}

// TestPoclUnwritableCacheDir: a cache directory that exists but cannot be
// written (/proc, even for root) makes pocl fail every build with an empty
// log; the build is refused before the compiler starts (seconds on pocl),
// with an error that names the directory and the fix.
func TestPoclUnwritableCacheDir(t *testing.T) {
	if os.Getenv(envChild) == "proc" {
		dev, ctx, _ := cltest.Setup(t)
		if err := cl.BuildLimitShort(dev); !errors.Is(err, cl.ErrEnvironment) {
			t.Fatalf("BuildLimitShort: %v, want the kernel cache's refusal", err)
		}
		_, err := cl.BuildProgram(ctx, dev, source, "")
		var be *cl.BuildError
		if !errors.Is(err, cl.ErrEnvironment) || errors.As(err, &be) ||
			!strings.Contains(err.Error(), "pocl cannot write its kernel cache /proc, which it writes to build a program") ||
			!strings.Contains(cl.HintFor(err), "POCL_CACHE_DIR") {
			t.Fatalf("got %v (hint %q)", err, cl.HintFor(err))
		}
		t.Log(err)
		return
	}
	if runtime.GOOS != "linux" {
		t.Skip("needs /proc")
	}
	poclLibrary(t)
	t.Log(runChild(t, "TestPoclUnwritableCacheDir", "proc", "POCL_CACHE_DIR=/proc"))
}

// TestPoclCacheDir checks the directory pocl would pick in each case of
// pocl_cache_init_topdir.
func TestPoclCacheDir(t *testing.T) {
	for _, c := range []struct {
		env  map[string]string
		want string
	}{
		{map[string]string{"POCL_CACHE_DIR": "/a", "XDG_CACHE_HOME": "/x", "HOME": "/h"}, "/a"},
		{map[string]string{"XDG_CACHE_HOME": "/x", "HOME": "/h"}, "/x/pocl/kcache"},
		{map[string]string{"XDG_CACHE_HOME": "", "HOME": "/h"}, "/h/.cache/pocl/kcache"},
		{map[string]string{"HOME": "/h", "POCL_KERNEL_CACHE": "0"}, "/h/.cache/pocl/uncached"},
		{map[string]string{}, "/tmp/pocl/kcache"},
	} {
		for _, k := range []string{"POCL_CACHE_DIR", "XDG_CACHE_HOME", "HOME", "POCL_KERNEL_CACHE"} {
			if v, ok := c.env[k]; ok {
				t.Setenv(k, v)
			} else {
				t.Setenv(k, "")
				os.Unsetenv(k)
			}
		}
		if got := cl.PoclCacheDir(); got != c.want {
			t.Errorf("%v: %q, want %q", c.env, got, c.want)
		}
	}
}
