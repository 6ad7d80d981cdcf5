package cl

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
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
	{&clWaitForEvents, "clWaitForEvents"}, {&clGetEventProfilingInfo, "clGetEventProfilingInfo"},
	{&clReleaseEvent, "clReleaseEvent"}, {&clFinish, "clFinish"}, {&clFlush, "clFlush"},
}

var (
	loadOnce sync.Once
	loadErr  error
	libPath  string
)

// Load opens the OpenCL library and binds its functions, once per process.
// Other functions call it as needed; calling it first only probes early.
func Load() error {
	loadOnce.Do(func() { loadErr = load() })
	return loadErr
}

// LibraryPath reports the library that Load opened, or "" before a success.
func LibraryPath() string {
	if Load() != nil {
		return ""
	}
	return libPath
}

func load() error {
	tried := defaultLibraries
	if p := os.Getenv(EnvLibrary); p != "" {
		tried = []string{p}
	}
	var msgs []string
	for _, path := range tried {
		h, err := dlopen(path)
		if err != nil {
			msgs = append(msgs, err.Error())
			continue
		}
		for _, s := range symbols {
			if err := bind(h, s.fn, s.name); err != nil {
				dlclose(h)
				return fmt.Errorf("%w: %s lacks %s (OpenCL 1.2 needed): %v", ErrNoLibrary, path, s.name, err)
			}
		}
		libPath = path
		return nil
	}
	return fmt.Errorf("%w (tried %s; set %s to its path): %s",
		ErrNoLibrary, strings.Join(tried, ", "), EnvLibrary, strings.Join(msgs, "; "))
}
