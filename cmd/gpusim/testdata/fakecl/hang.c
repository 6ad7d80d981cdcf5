/* An OpenCL library whose clGetPlatformIDs never returns, as a driver that
 * hangs as it starts: TestRefusalHangingDriver builds it with clang. It
 * exports every function gpu/cl binds (lib.go's symbols), so that the
 * binding takes it for a loader and calls clGetPlatformIDs; the others
 * are never called and fail. */
#include <stdint.h>
#include <unistd.h>

int32_t clGetPlatformIDs(uint32_t n, void **ids, uint32_t *n_ret) {
	(void)n, (void)ids, (void)n_ret;
	for (;;)
		pause();
}

#define FAIL(name) \
	int32_t name(void) { return -1; }
FAIL(clGetPlatformInfo) FAIL(clGetDeviceIDs) FAIL(clGetDeviceInfo)
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
