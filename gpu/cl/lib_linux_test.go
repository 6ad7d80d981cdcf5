package cl_test

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gpusim/gpusim/gpu/cl"
)

// TestLibraryPipe: a library or .icd file that is a named pipe is refused
// at once (GPUSIM_OPENCL_LIBRARY=fifo held gpusim devices, and auto on a
// large job, in dlopen's open(2) for ever, waiting for a writer), as is a
// device; a folder is still dlopen's to name.
func TestLibraryPipe(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "libOpenCL.so.1")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	for path, want := range map[string]string{
		fifo:         fifo + ": a named pipe, not a regular file",
		"/dev/zero":  "/dev/zero: a device, not a regular file",
		dir:          dir,
		"/dev/null/": "/dev/null/",
	} {
		done := make(chan error, 1)
		go func() { _, err := cl.OpenLibrary(path); done <- err }()
		select {
		case err := <-done:
			if err == nil || !strings.Contains(err.Error(), want) {
				t.Errorf("open %s: %v, want an error saying %q", path, err, want)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("open %s has not returned after 5 s", path)
		}
	}
}

// TestPipeICD: an .icd file that is a named pipe holds ocl-icd's loader in
// open(2) for ever, waiting for a writer, and the process with it (auto
// too, whose probe cannot be stopped there). Load skips the loader then, as
// for an .icd file with a NUL byte, loads the drivers the other .icd files
// name itself, and says so in a note. In a child process, since Load
// happens once, with a time limit.
func TestPipeICD(t *testing.T) {
	if os.Getenv(envChild) == "pipe-icd" {
		loadNoting(t, "x.icd is not a regular file, which it waits on for ever (remove or fix that file)", false)
		return
	}
	dir := poclVendors(t)
	if err := syscall.Mkfifo(filepath.Join(dir, "x.icd"), 0o644); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	t.Log(runChild(t, "TestPipeICD", "pipe-icd", cl.EnvVendors+"="+dir, cl.EnvLibrary+"="))
}

// TestICDNamingPipe: an .icd file that names a named pipe for its library
// held ocl-icd's dlopen in open(2) for ever, with the dynamic loader's
// lock, so that no signal ended the process (only SIGKILL did). Load skips
// the loader then, as for an .icd file that is a pipe itself.
func TestICDNamingPipe(t *testing.T) {
	if os.Getenv(envChild) == "icd-naming-pipe" {
		loadNoting(t, "x.icd names "+os.Getenv("GPUSIM_TEST_FIFO")+", which is not a regular file and which it waits on for ever (remove or fix that file)", false)
		return
	}
	dir := poclVendors(t)
	fifo := filepath.Join(t.TempDir(), "libfifo.so")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	if err := os.WriteFile(filepath.Join(dir, "x.icd"), []byte(fifo+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Log(runChild(t, "TestICDNamingPipe", "icd-naming-pipe", cl.EnvVendors+"="+dir, cl.EnvLibrary+"=", "GPUSIM_TEST_FIFO="+fifo))
}

// TestDuplicateICD: two .icd files that name one driver (a copy, as a
// package and an admin may each install one) make the ICD loader list its
// platform twice; gpusim listed every device twice, so one CPU read as
// devices 0 and 1, and --device all ran it twice over. Each platform and
// device is listed once.
func TestDuplicateICD(t *testing.T) {
	if os.Getenv(envChild) == "duplicate-icd" {
		ps, err := cl.Platforms()
		if err != nil {
			t.Fatal(err)
		}
		if len(ps) != 1 {
			t.Fatalf("%d platforms, want 1: both .icd files name one library", len(ps))
		}
		ds, err := ps[0].Devices()
		if err != nil || len(ds) == 0 {
			t.Fatalf("devices: %v, %v", ds, err)
		}
		t.Logf("1 platform, %d devices", len(ds))
		return
	}
	dir := poclVendors(t)
	lib := poclLibrary(t)
	for _, name := range []string{"pocl-copy.icd", "zz-pocl.icd"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(lib+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	t.Log(runChild(t, "TestDuplicateICD", "duplicate-icd", cl.EnvVendors+"="+dir, cl.EnvLibrary+"="))
}
