package cl_test

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

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
			!strings.Contains(err.Error(), "cannot write 8.39 MB in "+dir+": file too large") || !strings.Contains(cl.HintFor(err), "POCL_CACHE_DIR") {
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

// TestPoclRedirectLeftovers: pocl 3.1 makes an empty tempfile_XXXXXX in
// its kernel cache as it starts, in every process, and never removes it;
// in the kernel cache gpusim gives pocl (gpusim-pocl-UID), chosen by this
// process or by the gpusim that started it, Load removes those older than
// ten minutes, and nothing else: not a fresh one (a pocl may be using it),
// one that holds bytes, one with a suffix, nor any file of a kernel cache
// that is not gpusim's.
func TestPoclRedirectLeftovers(t *testing.T) {
	if c := os.Getenv(envChild); c == "load" || c == "redirect" {
		if c == "redirect" {
			os.Unsetenv("POCL_CACHE_DIR")
		}
		// pocl starts (and makes its tempfile) as it lists devices.
		ps, err := cl.Platforms()
		if err != nil || len(ps) == 0 {
			t.Fatalf("platforms: %v, %v", ps, err)
		}
		for _, p := range ps {
			p.Devices()
		}
		return
	}
	poclLibrary(t)
	old := time.Now().Add(-time.Hour)
	files := func(dir string) {
		for name, body := range map[string]string{"tempfile_Old123": "", "tempfile_New123": "", "tempfile_Big123": "x", "tempfile_Src123.cl": ""} {
			p := filepath.Join(dir, name)
			if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
				t.Fatal(err)
			}
			if name != "tempfile_New123" {
				if err := os.Chtimes(p, old, old); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	left := func(dir string, swept bool) {
		t.Helper()
		for _, name := range []string{"tempfile_Old123", "tempfile_New123", "tempfile_Big123", "tempfile_Src123.cl"} {
			_, err := os.Stat(filepath.Join(dir, name))
			if gone := err != nil; gone != (swept && name == "tempfile_Old123") {
				t.Errorf("%s/%s: removed %v, want %v", dir, name, gone, swept && name == "tempfile_Old123")
			}
		}
	}
	dir := t.TempDir()
	home, tmp := filepath.Join(dir, "home"), filepath.Join(dir, "tmp")
	redirect := filepath.Join(tmp, fmt.Sprintf("gpusim-pocl-%d", os.Getuid()))
	for _, d := range []string{home, tmp} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Mkdir(redirect, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(home, ".cache"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	files(redirect)
	runChild(t, "TestPoclRedirectLeftovers", "redirect", "HOME="+home, "XDG_CACHE_HOME=", "TMPDIR="+tmp)
	left(redirect, true)
	files(redirect)
	runChild(t, "TestPoclRedirectLeftovers", "load", "POCL_CACHE_DIR="+redirect)
	left(redirect, true)
	own := t.TempDir()
	files(own)
	runChild(t, "TestPoclRedirectLeftovers", "load", "POCL_CACHE_DIR="+own)
	left(own, false)
	// pocl's own leftover, made as it started: the next process's to remove.
	if m, _ := filepath.Glob(filepath.Join(own, "tempfile_??????")); len(m) < 4 {
		t.Logf("pocl left no empty tempfile in %s (%v): a pocl other than 3.1's", own, m)
	}
}
