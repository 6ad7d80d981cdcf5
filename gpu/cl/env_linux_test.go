package cl_test

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/gpusim/gpusim/gpu/cl"
	"github.com/gpusim/gpusim/gpu/cl/cltest"
)

// TestPoclFullCacheDir: a kernel cache on a full file system takes a new
// file but not its contents, so pocl's builds fail with an empty log, which
// read as the compiler rejecting the kernel; PoclCacheProblem (which
// explains a failed build) must say the cache cannot be written. The child
// stands a file size limit of 1 MiB in for the full disk (Go ignores
// SIGXFSZ, so a write past it fails with EFBIG).
func TestPoclFullCacheDir(t *testing.T) {
	if os.Getenv(envChild) == "fsize" {
		if err := syscall.Setrlimit(syscall.RLIMIT_FSIZE, &syscall.Rlimit{Cur: 1 << 20, Max: 1 << 20}); err != nil {
			t.Fatal(err)
		}
		err := cl.PoclCacheProblem()
		dir := os.Getenv("POCL_CACHE_DIR")
		if !errors.Is(err, cl.ErrEnvironment) || !strings.Contains(err.Error(), "pocl cannot write its kernel cache "+dir) ||
			!strings.Contains(err.Error(), "cannot write 8 MiB in "+dir+": file too large") || !strings.Contains(cl.HintFor(err), "POCL_CACHE_DIR") {
			t.Fatalf("got %v (hint %q)", err, cl.HintFor(err))
		}
		t.Log(err)
		return
	}
	poclLibrary(t)
	t.Log(runChild(t, "TestPoclFullCacheDir", "fsize", "POCL_CACHE_DIR="+t.TempDir()))
}

// TestPoclCacheRedirect: where POCL_CACHE_DIR is not set, Load points pocl
// at a kernel cache it can write, with a note, in place of the one pocl
// would pick: one that cannot be written (a file where $HOME/.cache should
// be, which binds root too) made pocl end the process at a kernel's first
// launch, and a relative XDG_CACHE_HOME made pocl's cache in the working
// folder. A POCL_CACHE_DIR that is set stays, and a program is not loaded
// from a binary where it cannot be written: pocl would end the process
// later, at a kernel's first launch.
func TestPoclCacheRedirect(t *testing.T) {
	switch os.Getenv(envChild) {
	case "unwritable":
		os.Unsetenv("POCL_CACHE_DIR")
		want := filepath.Join(os.Getenv("TMPDIR"), fmt.Sprintf("gpusim-pocl-%d", os.Getuid()))
		loadNoting(t, "OpenCL: pocl cannot write its kernel cache "+os.Getenv("HOME")+"/.cache/pocl/kcache", true)
		loadNoting(t, "pocl keeps compiled kernels in "+want+" instead", true)
		if got := os.Getenv("POCL_CACHE_DIR"); got != want {
			t.Fatalf("POCL_CACHE_DIR=%q, want %q", got, want)
		}
		dev, ctx, _ := cltest.Setup(t)
		if _, err := cl.BuildProgram(ctx, dev, source, ""); err != nil {
			t.Fatal(err)
		}
		if ents, err := os.ReadDir(want); err != nil || len(ents) == 0 {
			t.Fatalf("%s holds %d files (%v): pocl did not use it", want, len(ents), err)
		}
		return
	case "relative":
		os.Unsetenv("POCL_CACHE_DIR")
		if err := os.Chdir(os.Getenv("WORK")); err != nil {
			t.Fatal(err)
		}
		want := filepath.Join(os.Getenv("HOME"), ".cache", "pocl", "kcache")
		loadNoting(t, "OpenCL: XDG_CACHE_HOME=rel is not an absolute path: pocl keeps compiled kernels in "+want, true)
		dev, ctx, _ := cltest.Setup(t)
		if _, err := cl.BuildProgram(ctx, dev, source, ""); err != nil {
			t.Fatal(err)
		}
		if _, err := os.Stat("rel"); err == nil {
			t.Fatal("pocl made its cache in the working folder")
		}
		if ents, err := os.ReadDir(want); err != nil || len(ents) == 0 {
			t.Fatalf("%s holds %d files (%v): pocl did not use it", want, len(ents), err)
		}
		return
	case "set":
		dev, ctx, _ := cltest.Setup(t)
		if got := os.Getenv("POCL_CACHE_DIR"); got != "/proc" {
			t.Fatalf("POCL_CACHE_DIR=%q, want /proc as set", got)
		}
		_, err := cl.BuildProgramFromBinary(ctx, dev, []byte("not a binary"), "")
		if !errors.Is(err, cl.ErrEnvironment) || !strings.Contains(err.Error(), "pocl cannot write its kernel cache /proc") ||
			!strings.Contains(cl.HintFor(err), "POCL_CACHE_DIR") {
			t.Fatalf("got %v (hint %q)", err, cl.HintFor(err))
		}
		t.Log(err)
		// Where no folder could stand in for pocl's own, the error says
		// why: run --engine opencl said only that pocl's cache could not
		// be written, the reason in a note it did not print.
		cl.SetPoclNoStandIn("no folder of this user's alone could stand in for it ($TMPDIR: why)")
		_, err = cl.BuildProgramFromBinary(ctx, dev, []byte("not a binary"), "")
		if !strings.Contains(err.Error(), "/proc: no such file or directory, and no folder of this user's alone could stand in for it ($TMPDIR: why)") {
			t.Fatalf("got %v", err)
		}
		return
	}
	poclLibrary(t)
	dir := t.TempDir()
	home := filepath.Join(dir, "home")
	tmp := filepath.Join(dir, "tmp")
	for _, d := range []string{home, tmp} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(home, ".cache"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Log(runChild(t, "TestPoclCacheRedirect", "unwritable", "HOME="+home, "XDG_CACHE_HOME=", "TMPDIR="+tmp))
	home2 := t.TempDir()
	t.Log(runChild(t, "TestPoclCacheRedirect", "relative", "HOME="+home2, "XDG_CACHE_HOME=rel", "WORK="+t.TempDir()))
	t.Log(runChild(t, "TestPoclCacheRedirect", "set", "POCL_CACHE_DIR=/proc"))
}
