package cl

import (
	"fmt"
	"slices"
	"unsafe"
)

// dispatchOrder is the OpenCL 1.0 to 1.2 part of struct _cl_icd_dispatch
// (Khronos OpenCL-Headers, CL/cl_icd.h): the table of function pointers
// that is the first field of every object a driver (ICD) returns. A driver
// opened without a loader is called through it, as a loader would. "-"
// marks entries gpusim never names.
var dispatchOrder = []string{
	// OpenCL 1.0
	"clGetPlatformIDs", "clGetPlatformInfo", "clGetDeviceIDs", "clGetDeviceInfo",
	"clCreateContext", "clCreateContextFromType", "clRetainContext", "clReleaseContext",
	"clGetContextInfo", "clCreateCommandQueue", "clRetainCommandQueue", "clReleaseCommandQueue",
	"clGetCommandQueueInfo", "clSetCommandQueueProperty", "clCreateBuffer", "clCreateImage2D",
	"clCreateImage3D", "clRetainMemObject", "clReleaseMemObject", "clGetSupportedImageFormats",
	"clGetMemObjectInfo", "clGetImageInfo", "clCreateSampler", "clRetainSampler",
	"clReleaseSampler", "clGetSamplerInfo", "clCreateProgramWithSource", "clCreateProgramWithBinary",
	"clRetainProgram", "clReleaseProgram", "clBuildProgram", "clUnloadCompiler",
	"clGetProgramInfo", "clGetProgramBuildInfo", "clCreateKernel", "clCreateKernelsInProgram",
	"clRetainKernel", "clReleaseKernel", "clSetKernelArg", "clGetKernelInfo",
	"clGetKernelWorkGroupInfo", "clWaitForEvents", "clGetEventInfo", "clRetainEvent",
	"clReleaseEvent", "clGetEventProfilingInfo", "clFlush", "clFinish",
	"clEnqueueReadBuffer", "clEnqueueWriteBuffer", "clEnqueueCopyBuffer", "clEnqueueReadImage",
	"clEnqueueWriteImage", "clEnqueueCopyImage", "clEnqueueCopyImageToBuffer", "clEnqueueCopyBufferToImage",
	"clEnqueueMapBuffer", "clEnqueueMapImage", "clEnqueueUnmapMemObject", "clEnqueueNDRangeKernel",
	"clEnqueueTask", "clEnqueueNativeKernel", "clEnqueueMarker", "clEnqueueWaitForEvents",
	"clEnqueueBarrier", "clGetExtensionFunctionAddress",
	// cl_khr_gl_sharing (9 entries), cl_khr_d3d10_sharing (6)
	"-", "-", "-", "-", "-", "-", "-", "-", "-",
	"-", "-", "-", "-", "-", "-",
	// OpenCL 1.1
	"clSetEventCallback", "clCreateSubBuffer", "clSetMemObjectDestructorCallback", "clCreateUserEvent",
	"clSetUserEventStatus", "clEnqueueReadBufferRect", "clEnqueueWriteBufferRect", "clEnqueueCopyBufferRect",
	// cl_ext_device_fission (3), cl_khr_gl_event (1)
	"-", "-", "-", "-",
	// OpenCL 1.2
	"clCreateSubDevices", "clRetainDevice", "clReleaseDevice", "clCreateImage",
	"clCreateProgramWithBuiltInKernels", "clCompileProgram", "clLinkProgram", "clUnloadPlatformCompiler",
	"clGetKernelArgInfo", "clEnqueueFillBuffer", "clEnqueueFillImage", "clEnqueueMigrateMemObjects",
	"clEnqueueMarkerWithWaitList", "clEnqueueBarrierWithWaitList", "clGetExtensionFunctionAddressForPlatform",
}

// dispatchEntry returns the function the table at tbl holds for name.
func dispatchEntry(tbl unsafe.Pointer, name string) (uintptr, error) {
	i := slices.Index(dispatchOrder, name)
	if i < 0 || name == "-" {
		return 0, fmt.Errorf("%s is not in the OpenCL 1.2 dispatch table", name)
	}
	fn := *(*uintptr)(unsafe.Add(tbl, i*int(unsafe.Sizeof(uintptr(0)))))
	if fn == 0 {
		return 0, fmt.Errorf("the driver's dispatch table has no %s", name)
	}
	return fn, nil
}

// bindICD binds every symbol through the dispatch table of a driver library
// h that exports no clGetPlatformIDs, only the ICD entry point
// clIcdGetPlatformIDsKHR (directly or through clGetExtensionFunctionAddress,
// as NVIDIA's and pocl's do). It returns the number of platforms; with
// none there is no table to bind from. One driver's objects share one
// table, so one binding serves them all.
func bindICD(h uintptr) (uint32, error) {
	get, err := dlsym(h, "clIcdGetPlatformIDsKHR")
	if err != nil {
		ext, err2 := dlsym(h, "clGetExtensionFunctionAddress")
		if err2 != nil {
			return 0, fmt.Errorf("exports neither clGetPlatformIDs nor clIcdGetPlatformIDsKHR nor clGetExtensionFunctionAddress")
		}
		var lookup func(name string) uintptr
		register(&lookup, ext)
		if get = lookup("clIcdGetPlatformIDsKHR"); get == 0 {
			return 0, fmt.Errorf("has no clIcdGetPlatformIDsKHR (not an OpenCL driver)")
		}
	}
	register(&clGetPlatformIDs, get)
	var n uint32
	if st := clGetPlatformIDs(0, nil, &n); st != 0 || n == 0 {
		return 0, nil
	}
	if n > maxIDs {
		return 0, fmt.Errorf("clIcdGetPlatformIDsKHR reports %d platforms, more than %d: a broken driver", n, maxIDs)
	}
	ids := make([]unsafe.Pointer, n)
	var got uint32 // the ids written, which the first count may not match
	if err := check("clIcdGetPlatformIDsKHR", clGetPlatformIDs(n, (*uintptr)(unsafe.Pointer(&ids[0])), &got)); err != nil {
		return 0, err
	}
	if got == 0 || ids[0] == nil {
		return 0, nil
	}
	n = min(n, got)
	tbl := *(*unsafe.Pointer)(ids[0])
	for _, s := range symbols[1:] { // symbols[0] is clGetPlatformIDs
		fn, err := dispatchEntry(tbl, s.name)
		if err != nil {
			return 0, err
		}
		register(s.fn, fn)
	}
	return n, nil
}
