//go:build darwin || freebsd || linux || netbsd

package cl

import (
	"runtime"

	"github.com/ebitengine/purego"
)

var defaultLibraries = func() []string {
	if runtime.GOOS == "darwin" {
		return []string{"/System/Library/Frameworks/OpenCL.framework/OpenCL"}
	}
	return []string{"libOpenCL.so.1", "libOpenCL.so"}
}()

func dlopen(path string) (uintptr, error) {
	return purego.Dlopen(path, purego.RTLD_NOW|purego.RTLD_GLOBAL)
}

func dlclose(h uintptr) { _ = purego.Dlclose(h) }

// bind resolves name first so that a missing symbol is an error, not the
// panic of purego.RegisterLibFunc.
func bind(h uintptr, fn any, name string) error {
	sym, err := purego.Dlsym(h, name)
	if err != nil {
		return err
	}
	purego.RegisterFunc(fn, sym)
	return nil
}
