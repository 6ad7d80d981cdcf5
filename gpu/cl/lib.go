package cl

import (
	"errors"
	"fmt"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"unsafe"
)

// EnvLibrary names the environment variable that overrides the library path.
const EnvLibrary = "GPUSIM_OPENCL_LIBRARY"

var (
	// ErrNoLibrary matches errors for a missing or unusable OpenCL library.
	ErrNoLibrary = errors.New("cl: no usable OpenCL library")
	// ErrNoPlatform matches errors for a loader that reports no platform.
	ErrNoPlatform = errors.New("cl: no OpenCL platform")
)

// C prototypes; handles are uintptr, outputs are Go pointers that stay
// alive for the duration of the call.
var (
	clGetPlatformIDs          func(n uint32, ids *uintptr, nRet *uint32) int32
	clGetPlatformInfo         func(p uintptr, param uint32, size uintptr, val unsafe.Pointer, sizeRet *uintptr) int32
	clGetDeviceIDs            func(p uintptr, typ uint64, n uint32, ids *uintptr, nRet *uint32) int32
	clGetDeviceInfo           func(d uintptr, param uint32, size uintptr, val unsafe.Pointer, sizeRet *uintptr) int32
	clCreateContext           func(props *uintptr, n uint32, devs *uintptr, notify, user uintptr, errc *int32) uintptr
	clReleaseContext          func(h uintptr) int32
	clCreateCommandQueue      func(c, d uintptr, props uint64, errc *int32) uintptr
	clReleaseCommandQueue     func(h uintptr) int32
	clCreateProgramWithSource func(c uintptr, n uint32, strs *uintptr, lens *uintptr, errc *int32) uintptr
	clBuildProgram            func(p uintptr, n uint32, devs *uintptr, options string, notify, user uintptr) int32
	clGetProgramBuildInfo     func(p, d uintptr, param uint32, size uintptr, val unsafe.Pointer, sizeRet *uintptr) int32
	clGetProgramInfo          func(p uintptr, param uint32, size uintptr, val unsafe.Pointer, sizeRet *uintptr) int32
	clCreateProgramWithBinary func(c uintptr, n uint32, devs, lens, bins *uintptr, binSt, errc *int32) uintptr
	clReleaseProgram          func(h uintptr) int32
	clCreateKernel            func(p uintptr, name string, errc *int32) uintptr
	clSetKernelArg            func(k uintptr, idx uint32, size uintptr, val unsafe.Pointer) int32
	clGetKernelWorkGroupInfo  func(k, d uintptr, param uint32, size uintptr, val unsafe.Pointer, sizeRet *uintptr) int32
	clReleaseKernel           func(h uintptr) int32
	clCreateBuffer            func(c uintptr, flags uint64, size uintptr, host unsafe.Pointer, errc *int32) uintptr
	clReleaseMemObject        func(h uintptr) int32
	clEnqueueReadBuffer       func(q, m uintptr, blocking uint32, off, size uintptr, ptr unsafe.Pointer, nWait uint32, wait, ev *uintptr) int32
	clEnqueueWriteBuffer      func(q, m uintptr, blocking uint32, off, size uintptr, ptr unsafe.Pointer, nWait uint32, wait, ev *uintptr) int32
	clEnqueueFillBuffer       func(q, m uintptr, pat unsafe.Pointer, patSize, off, size uintptr, nWait uint32, wait, ev *uintptr) int32
	clEnqueueNDRangeKernel    func(q, k uintptr, dim uint32, off, global, local *uintptr, nWait uint32, wait, ev *uintptr) int32
	clWaitForEvents           func(n uint32, evs *uintptr) int32
	clGetEventInfo            func(e uintptr, param uint32, size uintptr, val unsafe.Pointer, sizeRet *uintptr) int32
	clGetEventProfilingInfo   func(e uintptr, param uint32, size uintptr, val unsafe.Pointer, sizeRet *uintptr) int32
	clReleaseEvent            func(h uintptr) int32
	clFinish                  func(q uintptr) int32
	clFlush                   func(q uintptr) int32
)

var symbols = []struct {
	fn   any
	name string
}{
	{&clGetPlatformIDs, "clGetPlatformIDs"}, {&clGetPlatformInfo, "clGetPlatformInfo"},
	{&clGetDeviceIDs, "clGetDeviceIDs"}, {&clGetDeviceInfo, "clGetDeviceInfo"},
	{&clCreateContext, "clCreateContext"}, {&clReleaseContext, "clReleaseContext"},
	{&clCreateCommandQueue, "clCreateCommandQueue"}, {&clReleaseCommandQueue, "clReleaseCommandQueue"},
	{&clCreateProgramWithSource, "clCreateProgramWithSource"}, {&clBuildProgram, "clBuildProgram"},
	{&clGetProgramBuildInfo, "clGetProgramBuildInfo"}, {&clReleaseProgram, "clReleaseProgram"},
	{&clGetProgramInfo, "clGetProgramInfo"}, {&clCreateProgramWithBinary, "clCreateProgramWithBinary"},
	{&clCreateKernel, "clCreateKernel"}, {&clSetKernelArg, "clSetKernelArg"},
	{&clGetKernelWorkGroupInfo, "clGetKernelWorkGroupInfo"}, {&clReleaseKernel, "clReleaseKernel"},
	{&clCreateBuffer, "clCreateBuffer"}, {&clReleaseMemObject, "clReleaseMemObject"},
	{&clEnqueueReadBuffer, "clEnqueueReadBuffer"}, {&clEnqueueWriteBuffer, "clEnqueueWriteBuffer"},
	{&clEnqueueFillBuffer, "clEnqueueFillBuffer"}, {&clEnqueueNDRangeKernel, "clEnqueueNDRangeKernel"},
	{&clWaitForEvents, "clWaitForEvents"}, {&clGetEventInfo, "clGetEventInfo"},
	{&clGetEventProfilingInfo, "clGetEventProfilingInfo"},
	{&clReleaseEvent, "clReleaseEvent"}, {&clFinish, "clFinish"}, {&clFlush, "clFlush"},
}

var (
	loadOnce  sync.Once
	loadErr   error
	libPath   string
	attempted atomic.Bool
)

// Load opens the OpenCL library and binds its functions, once per process.
// Other functions call it as needed; calling it first only probes early.
func Load() error {
	loadOnce.Do(func() {
		attempted.Store(true)
		keepSignals()
		// A driver's handlers out of the way of a stop (signals.go).
		driverCall(func() { loadErr = load() })
	})
	return loadErr
}

// tryNamed is tryLibrary of path, which a driver's crash in gpusim's own
// process names from then on (crash.go); the probe's child has no crash
// handler, and dies of the crash for its parent to say.
func tryNamed(path string) (failed string, loaded bool) {
	if probeTrace == nil {
		armCrash()
		crashLibrary(path)
	}
	defer Crashing("for its platforms", CrashListing)()
	return tryLibrary(path)
}

// Attempted reports whether this process has tried to load OpenCL: a run
// on the CPU should not (loading pocl takes some 20 ms).
func Attempted() bool { return attempted.Load() }

// fromLoader is the reason Load tries an ICD loader library.
const fromLoader = "ICD loader"

// loadNotes are remarks from Load worth a line on stderr when it succeeded
// anyway: an .icd file it had to route around.
var loadNotes struct {
	sync.Mutex
	list []string
}

// LoadNotes returns the remarks of a Load that has run, for the CLI to
// print; it never loads OpenCL itself (a process that ran on the CPU asks
// too, and loading pocl takes some 20 ms).
func LoadNotes() []string {
	loadNotes.Lock()
	defer loadNotes.Unlock()
	return append([]string(nil), loadNotes.list...)
}

// LibraryTried is the driver that Load opened (DriverName: an ICD
// loader's one driver, through it), else the one it is
// trying while it has not returned (a driver that hangs as it is asked
// for its platforms) or tried last, else the one the probe's child had
// loaded when StopProbe ended it, else "" (none tried): it never waits
// for Load, as LibraryPath does. A wait for the devices that ended names
// it; a listing after StopProbe named none.
func LibraryTried() string {
	if p := driverName.Load(); p != nil {
		return *p // an ICD loader's one driver, through it (DriverName)
	}
	if p := trying.Load(); p != nil {
		return *p
	}
	return stoppedLib()
}

// trying is the library Load tries, tried last or opened (LibraryTried).
var trying atomic.Pointer[string]

// loadChecks is what load does before it tries a library: pocl's settings
// that abort it, PATH where it is unset (pathSetup), the limits a driver
// cannot load under (address space, threads, stacks), and the probe of the
// library in a child (probeFirst); the first error.
func loadChecks() error {
	if err := poclAborts(); err != nil {
		return err
	}
	pathSetup() // before the probe's child, which inherits it
	if err := addressSpaceShort(); err != nil {
		return err
	}
	if err := threadsShort(); err != nil {
		return err
	}
	if err := stackShort(); err != nil {
		return err
	}
	return probeFirst()
}

// LibraryPath reports the library that Load opened, or "" before a success.
func LibraryPath() string {
	if Load() != nil {
		return ""
	}
	return libPath
}

func load() error {
	if !supported {
		return unsupportedError(runtime.GOOS, runtime.GOARCH)
	}
	if err := loadChecks(); err != nil {
		return err
	}
	var tried []string
	var vendorsLib vendorsTry // OCL_ICD_VENDORS' library, as Load's own try found it
	vendorsAt := -1           // its entry in tried, which vendorsProblem's words replace
	noPlatform := ""
	notes := poclCacheSetup() // for LoadNotes, when a library loads
	bad, why, others := nulICD()
	for _, c := range candidates() {
		if c.from == fromLoader && bad != "" {
			if bad != "said" {
				msg := skippedLoader(c.path, bad, why, others)
				tried = append(tried, msg)
				notes = append(notes, "OpenCL: "+msg)
				bad = "said"
			}
			continue
		}
		traceLoad(c) // a probe's child (probe.go)
		failed, loaded := tryNamed(c.path)
		if failed == noPlatformFound && noPlatform == "" {
			noPlatform = c.path
		}
		if c.from == EnvVendors {
			vendorsLib = vendorsTry{tried: true, loaded: loaded, why: failed}
		}
		if failed != "" {
			if c.from == EnvVendors {
				vendorsAt = len(tried)
			}
			tried = append(tried, fmt.Sprintf("%s (%s): %s", shownPath(c.path), c.from, failed))
			if c.from == EnvFilenames {
				// The user named this driver: say so when another loads.
				notes = append(notes, fmt.Sprintf("OpenCL: %s names %s, which was not used (%s)", EnvFilenames, c.path, failed))
			}
			continue
		}
		nameDriver(c) // libPath, and an ICD loader's one driver (icdvendor.go)
		loadNotes.Lock()
		loadNotes.list = notes
		loadNotes.Unlock()
		return nil
	}
	vp := vendorsProblem(vendorsLib)
	tried = vendorsFirst(tried, vp, vendorsAt)
	if slices.ContainsFunc(tried, outOfMemory) {
		// A driver that could not be mapped under ulimit -v is there:
		// the fix is the limit, not an install.
		if h := addressSpaceHint("the driver is there but could not be mapped: "); h != "" {
			return &UnavailableError{Kind: ErrAddressSpace,
				Cause: "OpenCL not loaded: out of address space (tried " + strings.Join(tried, "; ") + ")", Hint: h}
		}
	}
	setting := envSetting(vp)
	otherwise := ""
	if setting != "" {
		otherwise = setting + "; otherwise "
	}
	if noPlatform != "" {
		// Where the setting already says to fix OCL_ICD_VENDORS, the
		// hint does not go on to suggest setting it.
		set := EnvVendors + " to a directory of .icd files, or "
		if vp != "" {
			set = ""
		}
		return &UnavailableError{Kind: ErrNoPlatform,
			Cause: fmt.Sprintf("no OpenCL platform: %s loaded but found no driver (tried %s)", noPlatform, strings.Join(tried, "; ")),
			Hint: otherwise + "install an OpenCL driver (ICD): pocl-opencl-icd for CPUs, the GPU vendor's OpenCL package; or set " +
				set + EnvLibrary + " to the driver library; " + cpuEngines, Setting: setting}
	}
	if p := os.Getenv(EnvLibrary); p != "" {
		// Only the named library was tried: the fix is the variable.
		setting = EnvLibrary + "=" + shownPath(p) + " cannot be used: point it at an existing libOpenCL.so.1 or driver library (such as libnvidia-opencl.so.1), or unset it to search the usual places"
		return &UnavailableError{Kind: ErrNoLibrary,
			Cause: "no usable OpenCL library (tried " + strings.Join(tried, "; ") + ")",
			Hint:  setting + "; " + cpuEngines, Setting: setting}
	}
	return &UnavailableError{Kind: ErrNoLibrary,
		Cause: "no usable OpenCL library (tried " + strings.Join(tried, "; ") + ")",
		Hint: otherwise + "install an OpenCL driver with its ICD loader (Debian/Ubuntu: ocl-icd-libopencl1 and pocl-opencl-icd for CPUs, " +
			"or the GPU vendor's OpenCL package), or set " + EnvLibrary + " to libOpenCL.so.1 or a driver such as libnvidia-opencl.so.1; " + cpuEngines,
		Setting: setting}
}

// skippedLoader says that the ICD loader at path was skipped for the .icd
// file bad, why, and whether others .icd files beside it name drivers,
// which Load then loads directly.
func skippedLoader(path, bad, why string, others int) string {
	rest := "the drivers the other .icd files name are loaded directly"
	if others == 0 {
		rest = "no other .icd file there names a driver"
	}
	return fmt.Sprintf("the ICD loader (%s) skipped: %s %s (remove or fix that file); %s", path, bad, why, rest)
}

// candidates lists the libraries Load tries, in order: only
// GPUSIM_OPENCL_LIBRARY when it is set; else the drivers OCL_ICD_FILENAMES
// names, the ICD loader, the drivers the ICD files name, and well-known
// driver libraries (unless the environment names drivers: OCL_ICD_VENDORS,
// OPENCL_VENDOR_PATH or OCL_ICD_FILENAMES). The first that reports a
// platform wins.
func candidates() []candidate {
	if p := os.Getenv(EnvLibrary); p != "" {
		return []candidate{{p, EnvLibrary}}
	}
	var cs, rest []candidate
	for _, c := range vendorCandidates() {
		if c.from == EnvFilenames {
			cs = append(cs, c)
		} else {
			rest = append(rest, c)
		}
	}
	for _, l := range defaultLibraries {
		cs = append(cs, candidate{l, fromLoader})
	}
	cs = append(cs, rest...)
	// Well-known names only where sonames are Linux-style, and only when
	// the environment names no drivers itself.
	if len(defaultLibraries) > 0 && os.Getenv(EnvVendors) == "" && os.Getenv(envVendorPath) == "" && os.Getenv(EnvFilenames) == "" {
		cs = append(cs, wellKnownDrivers...)
	}
	seen := map[string]bool{}
	return slices.DeleteFunc(cs, func(c candidate) bool {
		dup := seen[c.path]
		seen[c.path] = true
		return dup
	})
}

// noPlatformFound is tryLibrary's word for a library that loaded and
// reported no platform.
const noPlatformFound = "no platform"

// tryLibrary opens path (open) and says why it is of no use, or "" where
// it gave a platform: the dynamic loader's reason, the binding's, or
// noPlatformFound; and whether it loaded.
func tryLibrary(path string) (failed string, loaded bool) {
	trying.Store(&path) // LibraryTried, while open has not returned
	n, err := open(path)
	loaded = !errors.As(err, new(*notLoadedError))
	switch {
	case err != nil && err.Error() == "":
		return "cannot be loaded (the dynamic loader gave no reason)", loaded
	case err != nil:
		return err.Error(), loaded
	case n == 0:
		return noPlatformFound, true
	}
	return "", true
}

// notLoadedError is open's error for a library that did not load (dlopen
// failed, or the path is no regular file), as against one that loaded and
// is no OpenCL library: its message is the cause's.
type notLoadedError struct{ err error }

func (e *notLoadedError) Error() string { return e.err.Error() }
func (e *notLoadedError) Unwrap() error { return e.err }

// open loads path and binds every symbol: directly when it exports
// clGetPlatformIDs (a loader, or a driver such as Oclgrind's runtime), else
// through the ICD dispatch table of its platforms. It returns the number of
// platforms; a library that reports none stays open, since a loader may
// have initialized drivers that cannot be unloaded safely. A library that
// does not load gives a *notLoadedError.
func open(path string) (uint32, error) {
	if err := irregular(path); err != nil {
		return 0, &notLoadedError{err}
	}
	h, err := dlopen(path)
	if err != nil {
		return 0, &notLoadedError{err}
	}
	if _, err := dlsym(h, "clGetPlatformIDs"); err != nil {
		return bindICD(h)
	}
	for _, s := range symbols {
		addr, err := dlsym(h, s.name)
		if err != nil {
			dlclose(h)
			return 0, fmt.Errorf("lacks %s (OpenCL 1.2 needed): %v", s.name, err)
		}
		register(s.fn, addr)
	}
	if needsOneThread(path) {
		onOneThread()
		shadowQuirks = true
	}
	var n uint32
	if st := clGetPlatformIDs(0, nil, &n); st != 0 {
		n = 0
	}
	return n, nil
}

// vendorsFirst puts vp, what is wrong with OCL_ICD_VENDORS (vendorsProblem),
// first in tried, Load's list of what it tried, and drops the entry at
// vendorsAt (-1: none), the library the variable names, whose outcome vp
// says: the error said it twice.
func vendorsFirst(tried []string, vp string, vendorsAt int) []string {
	if vp == "" {
		return tried
	}
	if vendorsAt >= 0 {
		tried = slices.Delete(tried, vendorsAt, vendorsAt+1)
	}
	return append([]string{vp}, tried...)
}

// shownPath is p as a message shows it: as it is where it holds only
// letters, digits and / . _ + - : @ , =, and Go-quoted otherwise, so a
// space (a trailing one in GPUSIM_OPENCL_LIBRARY="lib.so "), a tab or a
// control character can be seen.
func shownPath(p string) string {
	for _, r := range p {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("/._+-:@,=", r)) {
			return strconv.Quote(p)
		}
	}
	return p
}
