package cl

import (
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"unsafe"
)

// An ICD loader (libOpenCL.so.1) hands each call on to the driver that
// made the platform, device, context or other object it is given, through
// that driver's dispatch table: a driver that crashed or hung in any of
// them was named by the loader's path ("the OpenCL driver libOpenCL.so.1
// crashed (SIGSEGV) when asked to build the program ..."), where on an
// NVIDIA machine libnvidia-opencl.so.1 had. Where exactly one driver of
// the loader's .icd files gives platforms (loaderDriver), every note that
// names the driver names it instead, through the loader
// (throughLoader): the crash handler's (crash.go), the probe's child's
// death and hang (its report's "via" line: probeDeath, ProbeAsked), and a
// wait in this process (LibraryTried, DriverName).

// driverName is the name of the driver Load opened (DriverName), nil
// before it did.
var driverName atomic.Pointer[string]

// DriverName is the name that gpusim's notes give the OpenCL driver Load
// opened: its path, or, for an ICD loader whose .icd files name one driver
// that gives platforms, "DRIVER (through the ICD loader LOADER)"; "" where
// Load failed. It loads OpenCL where Load has not run, as LibraryPath does.
func DriverName() string {
	if Load() != nil {
		return ""
	}
	if p := driverName.Load(); p != nil {
		return *p
	}
	return libPath
}

// throughLoader is the name of driver, reached through the ICD loader
// loader: "DRIVER (through the ICD loader LOADER)".
func throughLoader(driver, loader string) string {
	name := driver + " (through the ICD loader " + loader + ")"
	keepNameFiles(name, append(NameFiles(driver), loader))
	return name
}

// nameFiles holds the files of each name that stands for more than its
// own path (vendorPath's, throughLoader's), made in this process or read
// from a probe's child's report ("file" lines: reportNameFiles): the name
// alone cannot be split back, as a path may hold " (" and end with ")"
// (a copy "libOpenCL.so.1 (copy)", a folder "/opt/x (y)/").
var nameFiles struct {
	sync.Mutex
	m map[string][]string
}

// keepNameFiles records files as those of name (NameFiles).
func keepNameFiles(name string, files []string) {
	nameFiles.Lock()
	defer nameFiles.Unlock()
	if nameFiles.m == nil {
		nameFiles.m = map[string][]string{}
	}
	nameFiles.m[name] = slices.Clone(files)
}

// NameFiles are the files a driver's name in gpusim's notes (DriverName,
// LibraryTried, a probe's report) stands for: the driver's file, for a
// name of vendorPath's "FILE (WRITTEN)" the file it was mapped from, and,
// for one through the ICD loader (throughLoader), the loader's too. The
// files are those recorded as the name was made, here or in a probe's
// child (keepNameFiles), not read back from the name, which a path
// holding " (" made ambiguous; any other name is a path alone, that path.
func NameFiles(name string) []string {
	nameFiles.Lock()
	defer nameFiles.Unlock()
	if f, ok := nameFiles.m[name]; ok {
		return slices.Clone(f)
	}
	return []string{name}
}

// reportNameFiles takes line, a line of a probe's child's report, where
// it is a "file" line (traceNameFile): the name and file it gives are
// recorded (keepNameFiles), and ok is true.
func reportNameFiles(line string) (ok bool) {
	rest, ok := strings.CutPrefix(line, "file ")
	if !ok {
		return false
	}
	q, err := strconv.QuotedPrefix(rest)
	if err != nil {
		return true
	}
	name, _ := strconv.Unquote(q)
	file, err := strconv.Unquote(strings.TrimPrefix(rest[len(q):], " "))
	if err == nil && name != "" && file != "" {
		keepNameFiles(name, []string{file})
	}
	return true
}

// isICDLoader says whether c is tried as an ICD loader: a default loader
// library, or GPUSIM_OPENCL_LIBRARY naming one (libOpenCL.so*).
func isICDLoader(c candidate) bool {
	return c.from == fromLoader || c.from == EnvLibrary && strings.HasPrefix(filepath.Base(c.path), "libOpenCL.so")
}

// nameDriver makes c, the library Load opened, libPath, and records its
// name (driverName): for an ICD loader with one driver that gives
// platforms (loaderDriver), throughLoader's, which a probe's child reports
// ("via DRIVER") and a crash in this process names from then on.
func nameDriver(c candidate) {
	libPath = c.path
	name := c.path
	if isICDLoader(c) {
		defer Crashing("for its platforms", CrashListing)()
		if v := loaderDriver(); v != "" {
			name = throughLoader(v, c.path)
			traceLine("via %s", v)
		}
		loaderName.Lock()
		loaderName.name = name // UseDevice's
		loaderName.Unlock()
	}
	driverName.Store(&name)
	if probeTrace == nil {
		crashLibrary(name)
	}
}

// loaderDriver is the one driver, of those the ICD loader's .icd files
// name (vendorCandidates, as traceVendors), that the loader has loaded
// and that gives platforms when asked (its clIcdGetPlatformIDsKHR, as
// the loader asked it), by the path it was mapped from (vendorPath); ""
// where none or several do, or where this system cannot say which are
// loaded (Linux's RTLD_NOLOAD). A driver the loader has not loaded is not
// opened.
func loaderDriver() string {
	if !isLinux {
		return ""
	}
	var answered []string
	loadedVendors(func(path string, h uintptr) {
		name := vendorPath(path, libFile(h))
		if vendorPlatforms(h) > 0 && !slices.Contains(answered, name) {
			answered = append(answered, name)
		}
	})
	if len(answered) != 1 {
		return ""
	}
	return answered[0]
}

// loadedVendors calls each with the path and a handle of every driver the
// ICD loader's .icd files name (vendorCandidates, as traceVendors: not
// OCL_ICD_FILENAMES', nor a path that is not a regular file, which the
// loader does not open) that the loader has loaded (Linux's RTLD_NOLOAD:
// none is opened here); the handle is closed when each returns.
func loadedVendors(each func(path string, h uintptr)) {
	for _, v := range vendorCandidates() {
		if v.from == EnvFilenames || irregular(v.path) != nil {
			continue
		}
		h, err := dlopenLoaded(v.path)
		if err != nil || h == 0 {
			continue
		}
		each(v.path, h)
		dlclose(h)
	}
}

// vendorEntry is the driver h's entry point that an ICD loader asks for
// its platforms: clIcdGetPlatformIDsKHR, which its
// clGetExtensionFunctionAddress gives, or its own symbol; 0 where it has
// none (the loader skips it).
func vendorEntry(h uintptr) uintptr {
	if ext, err := dlsym(h, "clGetExtensionFunctionAddress"); err == nil && ext != 0 {
		var getExt func(name string) uintptr
		register(&getExt, ext)
		if fn := getExt("clIcdGetPlatformIDsKHR"); fn != 0 {
			return fn
		}
	}
	if fn, err := dlsym(h, "clIcdGetPlatformIDsKHR"); err == nil {
		return fn
	}
	return 0
}

// vendorPlatforms is the number of platforms the driver h gives when asked
// as an ICD loader asks (vendorEntry), 0 where it has no such entry point
// or its answer is an error.
func vendorPlatforms(h uintptr) uint32 {
	fn := vendorEntry(h)
	if fn == 0 {
		return 0
	}
	var getPlatforms func(n uint32, ids unsafe.Pointer, nRet *uint32) int32
	register(&getPlatforms, fn)
	var n uint32
	if getPlatforms(0, nil, &n) != 0 {
		return 0
	}
	return n
}

// reportDriver follows a probe's child's report line by line for the
// driver it is in: the library of its last "load" line (loaded), or, for
// an ICD loader, the loader's driver that the child asks for its
// platforms itself ("ask PATH" to "answered": askVendor) or the loader's
// one driver that gives platforms ("via PATH": nameDriver), each through
// the loader (throughLoader).
type reportDriver struct{ loaded, lib string }

// line takes the report's next line, without its newline.
func (r *reportDriver) line(line string) {
	if reportNameFiles(line) {
		return
	}
	word, rest, _ := strings.Cut(line, " ")
	switch word {
	case "load":
		r.loaded, r.lib = rest, rest
	case "ask", "via":
		r.lib = throughLoader(rest, r.loaded)
	case "answered":
		r.lib = r.loaded
	}
}
