//go:build !(darwin || freebsd || linux || netbsd)

package cl

import (
	"errors"
	"runtime"
)

var defaultLibraries = []string{"OpenCL"}

var errUnsupported = errors.New("cl: run-time loading is not supported on " + runtime.GOOS)

func dlopen(string) (uintptr, error)  { return 0, errUnsupported }
func dlclose(uintptr)                 {}
func bind(uintptr, any, string) error { return errUnsupported }
