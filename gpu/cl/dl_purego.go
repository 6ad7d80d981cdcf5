// purego loads libraries without cgo on these systems (purego v0.11.3's
// README, "Supported Platforms", and the build tags of its syscall files):
// Linux on 386, amd64, arm, arm64, loong64, ppc64le and riscv64, macOS, and
// with cgo every Unix it knows. Without cgo, s390x needs Go 1.27, and
// FreeBSD and NetBSD need purego's fake cgo compiled as part of the runtime,
// which only a flag can ask for: build with
//
//	-tags gpusim_fakecgo -gcflags=github.com/ebitengine/purego/internal/fakecgo=-std
//
// Everywhere else dl_other.go stands in and OpenCL is unsupported.

//go:build (darwin && !ios) || (linux && !android && (386 || amd64 || arm || arm64 || loong64 || ppc64le || riscv64 || (s390x && go1.27))) || ((darwin || freebsd || linux || netbsd) && cgo) || ((freebsd || netbsd) && (amd64 || arm64) && gpusim_fakecgo)

package cl

import (
	"runtime"

	"github.com/ebitengine/purego"
)

const supported = true

var defaultLibraries = func() []string {
	if runtime.GOOS == "darwin" {
		return []string{"/System/Library/Frameworks/OpenCL.framework/OpenCL"}
	}
	return []string{"libOpenCL.so.1", "libOpenCL.so"}
}()

// dlopen and dlsym hold the goroutine on its thread: purego reads
// dlerror, which is per thread, in a second call after dlopen or dlsym, and
// a goroutine moved to another thread in between read no reason (9 of 3200
// failed loads in TestDlerrorSameThread; 1 in 16 gpusim runs with an empty
// OCL_ICD_VENDORS said "the dynamic loader gave no reason").
func dlopen(path string) (uintptr, error) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	return purego.Dlopen(path, purego.RTLD_NOW|purego.RTLD_GLOBAL)
}

// dlopenLocal opens path as ICD loaders open a driver (ocl-icd:
// RTLD_LAZY|RTLD_LOCAL), its symbols kept from the process's global scope.
func dlopenLocal(path string) (uintptr, error) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	return purego.Dlopen(path, purego.RTLD_LAZY|purego.RTLD_LOCAL)
}

// dlopenLoaded opens path only where it is loaded already (RTLD_NOLOAD,
// Linux's flag: loaderDriver asks only there), as an ICD loader opens a
// driver; an error where it is not.
func dlopenLoaded(path string) (uintptr, error) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	return purego.Dlopen(path, purego.RTLD_LAZY|purego.RTLD_LOCAL|rtldNoload)
}

// rtldNoload is Linux's RTLD_NOLOAD.
const rtldNoload = 0x4

func dlclose(h uintptr) { _ = purego.Dlclose(h) }

func dlsym(h uintptr, name string) (uintptr, error) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	return purego.Dlsym(h, name)
}

// register makes *fn call the C function at addr.
func register(fn any, addr uintptr) { purego.RegisterFunc(fn, addr) }
