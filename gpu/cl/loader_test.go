package cl_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gpusim/gpusim/gpu/cl"
)

// TestBareMachine covers issue 12, item 6: a driver but no ICD loader
// (libOpenCL.so.1 hidden through a test hook), found through an ICD file
// in /etc/OpenCL/vendors or OCL_ICD_VENDORS (a directory, an .icd file or
// the library), OCL_ICD_FILENAMES, GPUSIM_OPENCL_LIBRARY naming the driver
// itself, or the driver's well-known name alone. pocl stands in for
// NVIDIA's driver: like it, it exports no clGetPlatformIDs, only
// clGetExtensionFunctionAddress, so every call goes through the ICD
// dispatch table. Each case loads in a child process, since Load happens
// once per process, and runs a kernel there.
func TestBareMachine(t *testing.T) {
	if c := os.Getenv(envChild); strings.HasPrefix(c, "bare-") {
		bareChild(t, strings.TrimPrefix(c, "bare-"))
		return
	}
	lib := poclLibrary(t)
	dir := t.TempDir()
	icd := filepath.Join(dir, "fake.icd")
	if err := os.WriteFile(icd, []byte(lib+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	empty := t.TempDir()
	text := filepath.Join(t.TempDir(), "passwd")
	if err := os.WriteFile(text, []byte("root:x:0:0:root:/root:/bin/sh\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for name, env := range map[string][]string{
		"vendors-dir":  {"GPUSIM_TEST_VENDORS_DIR=" + dir},
		"env-dir":      {cl.EnvVendors + "=" + dir},
		"env-icd":      {cl.EnvVendors + "=" + icd},
		"env-library":  {cl.EnvVendors + "=" + lib},
		"filenames":    {cl.EnvFilenames + "=/nonexistent/libnone.so:" + lib},
		"library":      {cl.EnvLibrary + "=" + lib},
		"well-known":   {},
		"none":         {cl.EnvVendors + "=" + empty},
		"missing":      {cl.EnvVendors + "=/nonexistent/vendors"},
		"not-driver":   {cl.EnvVendors + "=libm.so.6"},
		"not-library":  {cl.EnvVendors + "=" + text},
		"bad-filename": {cl.EnvFilenames + "=/nonexistent/libnone.so", cl.EnvVendors + "=" + empty},
	} {
		t.Run(name, func(t *testing.T) {
			if name != "library" {
				env = append(env, cl.EnvLibrary+"=")
			}
			out := runChild(t, "TestBareMachine", "bare-"+name, env...)
			t.Log(out)
		})
	}
}

func bareChild(t *testing.T, name string) {
	cl.HideLoader(os.Getenv("GPUSIM_TEST_VENDORS_DIR"))
	if name != "well-known" {
		cl.NoWellKnownDrivers()
	}
	err := cl.Load()
	switch name {
	case "not-driver", "not-library":
		// A library that is no driver in the variable's place, or a
		// file that is no library: the hint starts from the variable
		// (it said to install a driver, and to set OCL_ICD_VENDORS,
		// already set), and says what became of it: it said "which
		// gave no platform" of a file that never loaded.
		what := "=libm.so.6: taken for a driver library, which loads but is no OpenCL driver (exports neither clGetPlatformIDs "
		if name == "not-library" {
			what = "=" + os.Getenv(cl.EnvVendors) + ": taken for a driver library, which does not load ("
		}
		setting := cl.EnvVendors + what
		if err == nil || !strings.HasPrefix(cl.HintFor(err), setting) || strings.Contains(cl.HintFor(err), "set "+cl.EnvVendors) {
			t.Fatalf("got %v, hint %q; want the hint to start from %q", err, cl.HintFor(err), setting)
		}
		if h := cl.HintFor(err); !strings.Contains(h, ", and the ICD loader looks nowhere else: point it at a folder of .icd files or unset it; otherwise install ") || strings.Contains(h, "gave no platform") {
			t.Fatalf("hint %q: want the variable's fix, and no platform said of a library that gave none", h)
		}
		// The error's list of what was tried says what became of the
		// variable's library once: it said so first, then again as the
		// library's own entry, "FILE (OCL_ICD_VENDORS): ...".
		if strings.Contains(err.Error(), "("+cl.EnvVendors+")") {
			t.Fatalf("got %v: the library OCL_ICD_VENDORS names is listed twice", err)
		}
		t.Log(err, "\nhint:", cl.HintFor(err))
		return
	case "none", "missing":
		// The error says what is wrong with OCL_ICD_VENDORS' folder
		// (it was missing from the list of what was tried).
		want := cl.EnvVendors + "=" + os.Getenv(cl.EnvVendors) + ": a folder with no .icd files"
		if name == "missing" {
			want = cl.EnvVendors + "=/nonexistent/vendors: no such file or folder"
		}
		if !errors.Is(err, cl.ErrNoLibrary) || !strings.Contains(cl.HintFor(err), cl.EnvLibrary) || !strings.Contains(err.Error(), want) {
			t.Fatalf("got %v, want ErrNoLibrary with a hint, saying %q", err, want)
		}
		// The hint starts from the variable that cannot work (it
		// suggested setting OCL_ICD_VENDORS, already set).
		setting := want + ", and the ICD loader looks nowhere else: point it at a folder of .icd files or unset it"
		if h := cl.HintFor(err); !strings.HasPrefix(h, setting+"; otherwise install ") {
			t.Fatalf("hint %q, want it to start from %q", h, want)
		}
		// The variable's fix alone, as auto notes it.
		if s := cl.SettingFor(err); s != setting {
			t.Fatalf("setting %q, want %q", s, setting)
		}
		t.Log(err, "\nhint:", cl.HintFor(err))
		return
	case "bad-filename":
		if !errors.Is(err, cl.ErrNoLibrary) || !strings.Contains(err.Error(), "/nonexistent/libnone.so ("+cl.EnvFilenames+")") {
			t.Fatalf("got %v, want ErrNoLibrary naming the OCL_ICD_FILENAMES entry", err)
		}
		// Both variables' fixes, which auto notes, and the hint opens
		// with: it said only to install a driver.
		want := cl.EnvFilenames + "=/nonexistent/libnone.so: none of the drivers it names loaded: point it at a driver library or unset it"
		if s := cl.SettingFor(err); !strings.Contains(s, "a folder with no .icd files") || !strings.HasSuffix(s, want) || !strings.HasPrefix(cl.HintFor(err), s+"; otherwise install ") {
			t.Fatalf("setting %q, hint %q: want both variables' fixes, ending with %q", s, cl.HintFor(err), want)
		}
		t.Log(err, "\nhint:", cl.HintFor(err))
		return
	}
	if err != nil {
		t.Fatal(err)
	}
	if p := cl.LibraryPath(); strings.Contains(p, "libOpenCL") || !strings.Contains(p, "pocl") {
		t.Fatalf("loaded %q, want pocl's library", p)
	}
	TestVectorAdd(t)
	ps, err := cl.Platforms()
	if err != nil {
		t.Fatal(err)
	}
	// The dispatch table's order, checked against the few functions pocl
	// exports under their own names (CL/cl_icd.h has the order).
	for name, sym := range map[string]string{
		"clRetainEvent": "POclRetainEvent", "clReleaseEvent": "POclReleaseEvent",
		"clGetExtensionFunctionAddress": "POclGetExtensionFunctionAddress", "clReleaseDevice": "POclReleaseDevice",
	} {
		got, err := cl.DispatchEntry(ps[0], name)
		want, err2 := cl.Symbol(cl.LibraryPath(), sym)
		if err != nil || err2 != nil || got != want {
			t.Errorf("dispatch %s = %#x (%v), want %s = %#x (%v)", name, got, err, sym, want, err2)
		}
	}
	t.Logf("loaded %s", cl.LibraryPath())
}

// TestNULICD: an .icd file holding a NUL byte (zeroed by a crash or a power
// loss) crashes ocl-icd's loader, and the process with it (SIGSEGV, even
// for auto, which falls back to the CPU on any error). Load skips the
// loader then, loads the drivers the other .icd files name itself, and
// says so in a note. In a child process, since Load happens once.
func TestNULICD(t *testing.T) {
	if os.Getenv(envChild) == "nul-icd" {
		loadNoting(t, "x.icd holds a NUL byte, on which it crashes the process (remove or fix that file)", true)
		return
	}
	dir := poclVendors(t)
	if err := os.WriteFile(filepath.Join(dir, "x.icd"), make([]byte, 64), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Log(runChild(t, "TestNULICD", "nul-icd", cl.EnvVendors+"="+dir, cl.EnvLibrary+"="))
}

// TestFilenamesNotUsed: a driver that OCL_ICD_FILENAMES names and that does
// not load is said in a note when another library loads instead; it was
// passed over in silence.
func TestFilenamesNotUsed(t *testing.T) {
	if os.Getenv(envChild) == "filenames" {
		loadNoting(t, "OpenCL: OCL_ICD_FILENAMES names /nonexistent/libgpusim-nope.so, which was not used (", false)
		return
	}
	poclLibrary(t) // a driver that loads instead
	t.Log(runChild(t, "TestFilenamesNotUsed", "filenames", cl.EnvFilenames+"=/nonexistent/libgpusim-nope.so", cl.EnvLibrary+"="))
}

// TestEmptyVendorsLoader: with the ICD loader there and OCL_ICD_VENDORS an
// empty folder, the loader finds no platform; the hint starts from the
// variable and does not go on to suggest setting it (it read "point it at
// a folder of .icd files or unset it; ... or set OCL_ICD_VENDORS to a
// directory of .icd files").
func TestEmptyVendorsLoader(t *testing.T) {
	if os.Getenv(envChild) == "empty-vendors" {
		err := cl.Load()
		if errors.Is(err, cl.ErrNoLibrary) {
			t.Skip("no ICD loader here:", err)
		}
		if !errors.Is(err, cl.ErrNoPlatform) {
			t.Fatalf("got %v, want ErrNoPlatform", err)
		}
		h := cl.HintFor(err)
		if !strings.HasPrefix(h, cl.EnvVendors+"=") || strings.Count(h, cl.EnvVendors) != 1 {
			t.Fatalf("hint %q, want it to name %s once, first", h, cl.EnvVendors)
		}
		t.Log(err, "\nhint:", h)
		return
	}
	poclLibrary(t)
	t.Log(runChild(t, "TestEmptyVendorsLoader", "empty-vendors", cl.EnvVendors+"="+t.TempDir(), cl.EnvLibrary+"="))
}

// TestBrokenVendorsLoader: OCL_ICD_VENDORS a folder whose .icd files name
// no driver that loads (a library that is not there, none at all) is the
// setting the hint starts from, each file said: it told the user to
// install a driver and to set OCL_ICD_VENDORS, already set. A folder whose
// only .icd file holds a NUL byte says that no other names a driver (it
// said their drivers were loaded directly).
func TestBrokenVendorsLoader(t *testing.T) {
	switch os.Getenv(envChild) {
	case "broken-vendors":
		err := cl.Load()
		if errors.Is(err, cl.ErrNoLibrary) && !strings.Contains(err.Error(), "ICD loader") {
			t.Skip("no ICD loader here:", err)
		}
		want := cl.EnvVendors + "=" + os.Getenv(cl.EnvVendors) + ": none of its .icd files gave a platform (bad.icd names /nonexistent/libgpusim-nope.so, which is not there; e.icd names no library), and the ICD loader looks nowhere else"
		if h := cl.HintFor(err); err == nil || !strings.HasPrefix(h, want) || strings.Count(h, cl.EnvVendors) != 1 {
			t.Fatalf("error %v, hint %q; want it to start from %q and name %s once", err, h, want, cl.EnvVendors)
		}
		return
	case "nul-only":
		err := cl.Load()
		if want := "holds a NUL byte, on which it crashes the process (remove or fix that file); no other .icd file there names a driver"; err == nil || !strings.Contains(err.Error(), want) {
			t.Fatalf("error %v, want it to say %q", err, want)
		}
		return
	}
	poclLibrary(t)
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "bad.icd"), []byte("/nonexistent/libgpusim-nope.so\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "e.icd"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Log(runChild(t, "TestBrokenVendorsLoader", "broken-vendors", cl.EnvVendors+"="+dir, cl.EnvLibrary+"="))
	nul := t.TempDir()
	if err := os.WriteFile(filepath.Join(nul, "x.icd"), []byte("libpocl.so.2\x00\x00"), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Log(runChild(t, "TestBrokenVendorsLoader", "nul-only", cl.EnvVendors+"="+nul, cl.EnvLibrary+"="))
}
