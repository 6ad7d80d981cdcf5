package cl

import "unsafe"

var UnsupportedError = unsupportedError

var PoclCacheDir = poclCacheDir

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
