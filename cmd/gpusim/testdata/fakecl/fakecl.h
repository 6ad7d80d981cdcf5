/* The entry points gpu/cl binds (lib.go's symbols) that no fake library
 * here calls its own way, each failing: a library that exports them all
 * is taken for a loader, and clGetPlatformIDs, which each fake defines, is
 * called. clGetDeviceIDs is a fake's own or FAIL(clGetDeviceIDs). */
#include <stdint.h>

#define FAIL(name) \
	int32_t name(void) { return -1; }
FAIL(clGetPlatformInfo) FAIL(clGetDeviceInfo)
FAIL(clCreateContext) FAIL(clReleaseContext) FAIL(clCreateCommandQueue)
FAIL(clReleaseCommandQueue) FAIL(clCreateProgramWithSource)
FAIL(clBuildProgram) FAIL(clGetProgramBuildInfo) FAIL(clGetProgramInfo)
FAIL(clCreateProgramWithBinary) FAIL(clReleaseProgram) FAIL(clCreateKernel)
FAIL(clSetKernelArg) FAIL(clGetKernelWorkGroupInfo) FAIL(clReleaseKernel)
FAIL(clCreateBuffer) FAIL(clReleaseMemObject) FAIL(clEnqueueReadBuffer)
FAIL(clEnqueueWriteBuffer) FAIL(clEnqueueFillBuffer)
FAIL(clEnqueueNDRangeKernel) FAIL(clWaitForEvents) FAIL(clGetEventInfo)
FAIL(clGetEventProfilingInfo) FAIL(clReleaseEvent) FAIL(clFinish)
FAIL(clFlush)
