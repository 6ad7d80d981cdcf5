package cl

import "unsafe"

var UnsupportedError = unsupportedError

var PoclCacheDir = poclCacheDir

// SetPoclNoStandIn records why no folder stood in for pocl's kernel cache,
// as poclCacheSetup does where none can.
func SetPoclNoStandIn(why string) { poclNoStandIn.Store(why) }

// OpenLibrary is the loader's open of one library, without Load's once.
var OpenLibrary = open

// HideLoader makes Load find no ICD loader and read ICD files from dir
// (none when dir is ""), as on a machine with drivers but no libOpenCL.
func HideLoader(dir string) {
	defaultLibraries = []string{"/nonexistent/libOpenCL.so.1"}
	vendorsDir = dir
	if dir == "" {
		vendorsDir = "/nonexistent/vendors"
	}
}

// NoWellKnownDrivers keeps Load from trying driver libraries by name.
func NoWellKnownDrivers() { wellKnownDrivers = nil }

// DispatchEntry returns the function the bound driver's dispatch table
// holds for name (after Load bound a driver without a loader).
func DispatchEntry(p *Platform, name string) (uintptr, error) {
	obj := *(*unsafe.Pointer)(unsafe.Pointer(&p.id))
	return dispatchEntry(*(*unsafe.Pointer)(obj), name)
}

// Symbol returns the address of name in the library lib.
func Symbol(lib, name string) (uintptr, error) {
	h, err := dlopen(lib)
	if err != nil {
		return 0, err
	}
	return dlsym(h, name)
}

// UserEvent creates a user event (OpenCL 1.1, which gpusim does not bind:
// taken here from the driver's dispatch table, which every object starts
// with) in ctx, and returns it with a function that sets its execution
// status, as a driver sets a command's.
func UserEvent(ctx *Context) (*Event, func(status int32) error, error) {
	h := ctx.h.Load()
	tbl := *(*unsafe.Pointer)(*(*unsafe.Pointer)(unsafe.Pointer(&h)))
	create, err := dispatchEntry(tbl, "clCreateUserEvent")
	if err != nil {
		return nil, nil, err
	}
	set, err := dispatchEntry(tbl, "clSetUserEventStatus")
	if err != nil {
		return nil, nil, err
	}
	var createFn func(c uintptr, errc *int32) uintptr
	var setFn func(e uintptr, status int32) int32
	register(&createFn, create)
	register(&setFn, set)
	var st int32
	ev := createFn(h, &st)
	if err := check("clCreateUserEvent", st); err != nil {
		return nil, nil, err
	}
	e := newEvent(ev)
	return e, func(status int32) error { return check("clSetUserEventStatus", setFn(e.h.Load(), status)) }, nil
}

// FakeAddressSpace makes Load and the hints see an address-space limit of
// limit bytes with mapped bytes mapped (none when limit is 0) on cpus
// CPUs, until the test ends.
func FakeAddressSpace(t interface{ Cleanup(func()) }, limit, mapped uint64, cpus int) {
	oldA, oldN := addressSpace, numCPU
	t.Cleanup(func() { addressSpace, numCPU = oldA, oldN })
	addressSpace = func() (uint64, uint64, bool) { return limit, mapped, limit != 0 }
	numCPU = func() int { return cpus }
}

// SignalHandlers are the handlers of the signals Load keeps (signals.go):
// nil where this system's are not kept.
var SignalHandlers = signalHandlers

// BuildAddressSpaceShort is buildAddressSpaceShort, for the tests.
var BuildAddressSpaceShort = buildAddressSpaceShort

// BufferSlack is bufferSlack, for the tests.
const BufferSlack = bufferSlack

// AddressSpaceShort is addressSpaceShort, for the tests.
var AddressSpaceShort = addressSpaceShort

// UnsupportedHint is the hint of Load's error on a build for goos/goarch
// without a library loader.
func UnsupportedHint(goos, goarch string) string { return HintFor(unsupportedError(goos, goarch)) }

// FakeMemAvailable makes RunMemoryShort see avail bytes of memory
// available (none known where ok is false).
func FakeMemAvailable(t interface{ Cleanup(func()) }, avail uint64, ok bool) {
	old := memAvailable
	t.Cleanup(func() { memAvailable = old })
	memAvailable = func() (uint64, bool) { return avail, ok }
}
