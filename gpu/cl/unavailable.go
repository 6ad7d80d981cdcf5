package cl

import (
	"errors"
	"fmt"
)

// ErrUnsupported matches Load's error where this build of gpusim cannot load
// OpenCL at all (a GOOS/GOARCH that purego does not support without cgo). It
// also matches ErrNoLibrary: to a caller, OpenCL is absent.
var ErrUnsupported = fmt.Errorf("%w: OpenCL is not supported on this GOOS/GOARCH", ErrNoLibrary)

// ErrEnvironment matches errors for a driver that is installed but cannot
// work in this environment, such as pocl without a writable kernel cache.
// OpenCL is broken here, not absent, so it matches none of the other
// sentinels.
var ErrEnvironment = errors.New("cl: the OpenCL driver cannot work in this environment")

// UnavailableError says why OpenCL cannot be used here and what would fix
// it. errors.Is matches its Kind (ErrNoLibrary, ErrNoPlatform,
// ErrUnsupported, ErrEnvironment or a caller's sentinel) and Err.
type UnavailableError struct {
	Kind  error  // the sentinel it matches
	Cause string // what is wrong, one line
	Hint  string // the fix, or ""
	Err   error  // the underlying failure, or nil
	// Setting is the fix of the OpenCL environment variables the user set
	// that caused it (GPUSIM_OPENCL_LIBRARY, OCL_ICD_VENDORS,
	// OPENCL_VENDOR_PATH, OCL_ICD_FILENAMES), one line that Hint opens,
	// without its advice for a machine without OpenCL; "" where no
	// variable did.
	Setting string
}

func (e *UnavailableError) Error() string {
	if e.Err != nil {
		return e.Cause + ": " + e.Err.Error()
	}
	return e.Cause
}

func (e *UnavailableError) Unwrap() []error {
	if e.Err != nil {
		return []error{e.Kind, e.Err}
	}
	return []error{e.Kind}
}

// HintFor returns the advice for err: the Hint of the first
// *UnavailableError in its chain, else that of the first error in it with a
// Hint method (an *Error, or another package's error such as gpu's
// SelfTestError), else "".
func HintFor(err error) string {
	var u *UnavailableError
	if errors.As(err, &u) && u.Hint != "" {
		return u.Hint
	}
	var h interface{ Hint() string }
	if errors.As(err, &h) {
		return h.Hint()
	}
	return ""
}

// SettingFor is the Setting of the first *UnavailableError in err's chain:
// the fix of the OpenCL variables the user set that caused it, or "".
func SettingFor(err error) string {
	var u *UnavailableError
	if errors.As(err, &u) {
		return u.Setting
	}
	return ""
}

const cpuEngines = "the CPU engines (serial, parallel, simd) run without it"

// CPUEnginesRun is the remedy of a hint that OpenCL cannot work here: the
// CPU engines run without it. WithoutCPU drops it.
const CPUEnginesRun = "the CPU engines run without OpenCL"

// unsupportedError is Load's error on a build without a library loader
// (dl_other.go); its hint names the build that has one.
func unsupportedError(goos, goarch string) error {
	e := &UnavailableError{Kind: ErrUnsupported, Cause: fmt.Sprintf("OpenCL is not supported on %s/%s by this build of gpusim", goos, goarch)}
	switch goos {
	case "linux", "darwin", "android", "ios":
		e.Hint = "build gpusim with CGO_ENABLED=1 for OpenCL here; " + cpuEngines
	case "freebsd", "netbsd":
		e.Hint = "build gpusim with CGO_ENABLED=1, or with CGO_ENABLED=0 and -tags gpusim_fakecgo " +
			"-gcflags=github.com/ebitengine/purego/internal/fakecgo=-std, for OpenCL here; " + cpuEngines
	default:
		e.Hint = "gpusim has no OpenCL loader for " + goos + "; " + cpuEngines
	}
	return e
}
