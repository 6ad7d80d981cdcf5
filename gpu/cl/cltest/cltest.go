// Package cltest holds the OpenCL test policy shared by gpusim's test suites.
//
// Without an OpenCL library or platform, tests are skipped, except when the
// environment has CI=true: there a missing OpenCL fails the test.
package cltest

import (
	"errors"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/gpusim/gpusim/gpu/cl"
)

// Main runs the tests of a package with a private pocl kernel cache
// (POCL_CACHE_DIR) unless one is already set (even to "", which tests of
// broken environments set), so that parallel test processes do not share
// it, and with gpusim's own disk cache off (GPUSIM_CACHE_DIR) unless set, so
// that no test reads or writes the user's (~/.cache/gpusim: a calibration
// there steered auto, and compiled programs and self-test passes were left
// there), and with the waits on the driver long (DriverWait, Run). Call it
// from TestMain.
func Main(m *testing.M, setWait ...func(time.Duration)) { os.Exit(Run(m, setWait...)) }

// DriverWait is the wait on the OpenCL driver's calls in the tests
// (GPUSIM_DRIVER_WAIT, 60 s, as the testscripts set it): pocl answers, but
// on a machine under load (other tests, other processes) more slowly than
// the default 10 s, which turned its slow answer into "the driver did not
// answer" and failed the test. A test that means a short wait (a driver
// that hangs) sets its own.
const DriverWait = 60 * time.Second

// Run is Main for a TestMain that exits by itself (testscript.Main, which
// takes m): it sets the caches up as Main does, runs m and returns its exit
// status. It sets GPUSIM_DRIVER_WAIT to DriverWait where it is not set,
// and the waits on the driver to its value in the package's own process (each
// setWait: gpu.SetAnswerWait, engines.SetDriverWait, which cltest cannot
// import; cl's wait for a failed build's log) and for the gpusim processes
// its tests start (the variable).
func Run(m interface{ Run() int }, setWait ...func(time.Duration)) int {
	if os.Getenv("GPUSIM_DRIVER_WAIT") == "" { // unset, as gpusim reads it
		os.Setenv("GPUSIM_DRIVER_WAIT", strconv.Itoa(int(DriverWait.Seconds())))
	}
	// As the CLI reads it (whole seconds, 1..3600); a value it refuses
	// leaves the defaults.
	if n, err := strconv.Atoi(os.Getenv("GPUSIM_DRIVER_WAIT")); err == nil && n >= 1 && n <= 3600 {
		d := time.Duration(n) * time.Second
		cl.SetBuildLogWait(d)
		for _, set := range setWait {
			set(d)
		}
	}
	if os.Getenv("GPUSIM_CACHE_DIR") == "" {
		os.Setenv("GPUSIM_CACHE_DIR", "off") // tests that use the cache set their own
	}
	if _, ok := os.LookupEnv("POCL_CACHE_DIR"); ok {
		return m.Run()
	}
	dir, err := os.MkdirTemp("", "gpusim-pocl-cache-")
	if err == nil {
		os.Setenv("POCL_CACHE_DIR", dir)
	}
	code := m.Run()
	if err == nil {
		os.RemoveAll(dir)
	}
	return code
}

// CheckOwnCaches fails t when the process would use the user's gpusim
// cache folder or pocl's shared kernel cache: its TestMain did not call
// Main or Run.
func CheckOwnCaches(t testing.TB) {
	t.Helper()
	if d := os.Getenv("GPUSIM_CACHE_DIR"); d == "" {
		t.Errorf("GPUSIM_CACHE_DIR is not set: the tests use the user's cache folder (TestMain must call cltest.Main or cltest.Run)")
	}
	if _, ok := os.LookupEnv("POCL_CACHE_DIR"); !ok {
		t.Errorf("POCL_CACHE_DIR is not set: the tests share pocl's kernel cache in ~/.cache/pocl (TestMain must call cltest.Main or cltest.Run)")
	}
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
