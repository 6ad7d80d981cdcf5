// Where purego cannot load libraries (see dl_purego.go), gpusim builds
// without OpenCL: Load fails with ErrUnsupported and the CPU engines run.

//go:build !((darwin && !ios) || (linux && !android && (386 || amd64 || arm || arm64 || loong64 || ppc64le || riscv64 || (s390x && go1.27))) || ((darwin || freebsd || linux || netbsd) && cgo) || ((freebsd || netbsd) && (amd64 || arm64) && gpusim_fakecgo))

package cl

import "errors"

const supported = false

var defaultLibraries []string

var errUnsupported = errors.New("cl: run-time loading is not built in")

func dlopen(string) (uintptr, error)         { return 0, errUnsupported }
func dlopenLocal(string) (uintptr, error)    { return 0, errUnsupported }
func dlopenLoaded(string) (uintptr, error)   { return 0, errUnsupported }
func dlclose(uintptr)                        {}
func dlsym(uintptr, string) (uintptr, error) { return 0, errUnsupported }
func register(any, uintptr)                  { panic(errUnsupported) }
