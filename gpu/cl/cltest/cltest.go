// Package cltest holds the OpenCL test policy shared by gpusim's test suites.
//
// Without an OpenCL library or platform, tests are skipped, except when the
// environment has CI=true: there a missing OpenCL fails the test.
package cltest

import (
	"errors"
	"os"
	"testing"

	"github.com/gpusim/gpusim/gpu/cl"
)

// Main runs the tests of a package with a private pocl kernel cache
// (POCL_CACHE_DIR) unless one is already set, so that parallel test
// processes do not share it, and with gpusim's own disk cache off
// (GPUSIM_CACHE_DIR) unless set. Call it from TestMain.
func Main(m *testing.M) {
	if os.Getenv("GPUSIM_CACHE_DIR") == "" {
		os.Setenv("GPUSIM_CACHE_DIR", "off") // tests that use the cache set their own
	}
	if os.Getenv("POCL_CACHE_DIR") != "" {
		os.Exit(m.Run())
	}
	dir, err := os.MkdirTemp("", "gpusim-pocl-cache-")
	if err == nil {
		os.Setenv("POCL_CACHE_DIR", dir)
	}
	code := m.Run()
	if err == nil {
		os.RemoveAll(dir)
	}
	os.Exit(code)
}

// Unavailable ends the test when OpenCL is missing: Skip normally, Fatal
// when CI=true.
func Unavailable(t testing.TB, err error) {
	t.Helper()
	if os.Getenv("CI") == "true" {
		t.Fatalf("OpenCL is required when CI=true: %v", err)
	}
	t.Skipf("OpenCL unavailable: %v", err)
}

// RequireDevice returns the first GPU of any platform, else the first device,
// applying the missing-OpenCL policy of Unavailable.
func RequireDevice(t testing.TB) *cl.Device {
	t.Helper()
	ps, err := cl.Platforms()
	if errors.Is(err, cl.ErrNoLibrary) || errors.Is(err, cl.ErrNoPlatform) {
		Unavailable(t, err)
	}
	if err != nil {
		t.Fatal(err)
	}
	var first *cl.Device
	for _, p := range ps {
		ds, err := p.Devices()
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range ds {
			in, err := d.Info()
			if err != nil {
				t.Fatal(err)
			}
			if in.Type == "GPU" {
				return d
			}
			if first == nil {
				first = d
			}
		}
	}
	if first == nil {
		Unavailable(t, errors.New("no OpenCL device on any platform"))
	}
	return first
}

// Setup returns a device with a context and a profiling queue that are
// released when the test ends.
func Setup(t testing.TB) (*cl.Device, *cl.Context, *cl.Queue) {
	t.Helper()
	dev := RequireDevice(t)
	ctx, err := cl.CreateContext(dev)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ctx.Release() })
	q, err := cl.CreateQueue(ctx, dev)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { q.Release() })
	return dev, ctx, q
}
