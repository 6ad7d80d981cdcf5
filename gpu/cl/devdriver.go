package cl

import (
	"slices"
	"strconv"
	"strings"
	"sync"
	"unsafe"
)

// Where several of an ICD loader's drivers give platforms, loaderDriver
// names none, and a crash in gpusim's process while a device was used
// named the loader ("the OpenCL driver libOpenCL.so.1 crashed (SIGSEGV)
// when asked to build the program for device 0 ..."). The device belongs
// to one platform, and the loader hands each call to the driver that gave
// it: UseDevice names that driver from then on.

// loaderName is the name nameDriver gave the ICD loader Load opened (the
// loader's path, or its one driver through it), "" where Load opened no
// loader: what UseDevice names where the devices used are not one
// driver's.
var loaderName struct {
	sync.Mutex
	name string
	used []string // the drivers of the devices used (UseDevice), "" for one not known
}

// UseDevice is for a command about to use d, a device of the ICD loader
// Load opened: the driver that gave d's platform (deviceDriver) becomes the
// one that gpusim's notes (DriverName, LibraryTried) and a crash's error
// name, through the loader, while every device used is that driver's;
// where two drivers' devices are used, or one's driver is not known, the
// name nameDriver gave stands. Nothing where Load opened no loader.
func UseDevice(d *Device) {
	loaderName.Lock()
	defer loaderName.Unlock()
	if loaderName.name == "" || d == nil {
		return
	}
	drv := deviceDriver(d)
	if !slices.Contains(loaderName.used, drv) {
		loaderName.used = append(loaderName.used, drv)
	}
	name := loaderName.name
	if len(loaderName.used) == 1 && drv != "" {
		name = throughLoader(drv, libPath)
	}
	driverName.Store(&name)
	crashLibrary(name)
}

// deviceDriver is the driver, of those the ICD loader's .icd files name
// and the loader has loaded, that gave the platform d belongs to (its
// clIcdGetPlatformIDsKHR, as the loader asked it, returns that handle,
// which the loader passes on as its own), named by its path (vendorPath);
// where several give that handle (a driver that hands on another's
// platforms), the one whose code d's dispatch table calls, which the
// loader calls; "" where none can be told.
func deviceDriver(d *Device) string {
	if !isLinux || d.platform == nil {
		return ""
	}
	defer Crashing("for its platforms", CrashListing)() // as the loader asked
	type owner struct{ path, file string }
	var owners []owner
	loadedVendors(func(path string, h uintptr) {
		if slices.Contains(vendorPlatformIDs(h), d.platform.id) && !slices.ContainsFunc(owners, func(o owner) bool { return o.path == path }) {
			owners = append(owners, owner{path, mappedFileAt(vendorEntry(h))})
		}
	})
	if len(owners) == 1 {
		return vendorPath(owners[0].path, owners[0].file)
	}
	called := mappedFileAt(deviceEntry(d.id))
	for _, o := range owners {
		if called != "" && o.file == called {
			return vendorPath(o.path, o.file)
		}
	}
	return ""
}

// vendorPlatformIDs is the platforms the driver h gives when asked as an
// ICD loader asks (vendorEntry), none where it has no such entry point or
// its answer is an error.
func vendorPlatformIDs(h uintptr) []uintptr {
	n := vendorPlatforms(h)
	if n == 0 || n > maxIDs {
		return nil
	}
	var getPlatforms func(n uint32, ids unsafe.Pointer, nRet *uint32) int32
	register(&getPlatforms, vendorEntry(h))
	ids := make([]uintptr, n)
	var got uint32
	if getPlatforms(n, unsafe.Pointer(&ids[0]), &got) != 0 {
		return nil
	}
	return ids[:min(got, n)]
}

// deviceEntry is clGetDeviceInfo's entry in the dispatch table of the
// device id (its first field, as the loader reads it), which the loader
// calls for its details; 0 for id 0 or none.
func deviceEntry(id uintptr) uintptr {
	if id == 0 {
		return 0
	}
	tbl := *(*unsafe.Pointer)(unsafe.Add(unsafe.Pointer(nil), id))
	if tbl == nil {
		return 0
	}
	fn, _ := dispatchEntry(tbl, "clGetDeviceInfo")
	return fn
}

// mappedFileAt is the file mapped at addr in this process
// (/proc/self/maps), "" where none is or addr is 0.
func mappedFileAt(addr uintptr) string {
	if addr == 0 {
		return ""
	}
	for f := range mapsFields() {
		if len(f) != 6 || !strings.HasPrefix(f[5], "/") {
			continue
		}
		lo, hi, ok := strings.Cut(f[0], "-")
		start, err1 := strconv.ParseUint(lo, 16, 64)
		end, err2 := strconv.ParseUint(hi, 16, 64)
		if ok && err1 == nil && err2 == nil && uint64(addr) >= start && uint64(addr) < end {
			return f[5]
		}
	}
	return ""
}

// vendorPath is the name of a driver an .icd file names as written, at
// file, the path the dynamic loader mapped it from: written, where it is
// that path or file is not known; else file with the name as written,
// "/usr/lib/x86_64-linux-gnu/libpocl.so.2.10.0 (libpocl.so.2)", where the
// .icd file's bare soname or link named it.
//
// The name's file is recorded (keepNameFiles, NameFiles), and a probe's
// child reports it on a line of its own (traceNameFile), which its parent
// records as it reads the report: the name cannot be split back.
func vendorPath(written, file string) string {
	if file == "" || file == written {
		return written
	}
	name := file + " (" + written + ")"
	keepNameFiles(name, []string{file})
	traceNameFile(name, file)
	return name
}

// traceNameFile is a probe's child's report of name's file: "file NAME
// FILE", each quoted as Go quotes a string (reportNameFiles reads it).
func traceNameFile(name, file string) {
	traceLine("file %s %s", strconv.Quote(name), strconv.Quote(file))
}

// libFile is the file the library h was mapped from (mappedFileAt of one
// of its OpenCL symbols, looked up, not called), "" where none is found.
func libFile(h uintptr) string {
	for _, sym := range []string{"clGetExtensionFunctionAddress", "clIcdGetPlatformIDsKHR", "clGetPlatformInfo"} {
		if addr, err := dlsym(h, sym); err == nil && addr != 0 {
			if f := mappedFileAt(addr); f != "" {
				return f
			}
		}
	}
	return ""
}
