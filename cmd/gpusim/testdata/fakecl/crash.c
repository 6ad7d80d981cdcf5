/* An OpenCL library that crashes as it starts: TestCrashingDriver builds
 * it with clang. Its clGetPlatformIDs faults (SIGSEGV); with
 * FAKECL_CRASH=devices it reports one platform and clGetDeviceIDs
 * faults, with FAKECL_CRASH=abort it aborts (SIGABRT), and with
 * FAKECL_CRASH=exit it ends the process with exit status 3. It exports
 * every function gpu/cl binds (lib.go's symbols), so that the binding
 * takes it for a loader and calls clGetPlatformIDs; the others are never
 * called and fail. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* crash is whether FAKECL_CRASH is how. */
static int crash(const char *how) {
	const char *s = getenv("FAKECL_CRASH");
	return s != NULL && strcmp(s, how) == 0;
}

/* fault writes through a pointer the driver took for its own: volatile,
 * so that the compiler keeps the fault. */
static int32_t fault(void) {
	*(volatile uint32_t *)(uintptr_t)8 = 0;
	return -1;
}

int32_t clGetPlatformIDs(uint32_t n, void **ids, uint32_t *n_ret) {
	if (crash("abort"))
		abort();
	if (crash("exit"))
		exit(3);
	if (!crash("devices"))
		return fault();
	if (ids != NULL && n > 0)
		ids[0] = (void *)1;
	if (n_ret != NULL)
		*n_ret = 1;
	return 0;
}

int32_t clGetDeviceIDs(void *p, uint64_t type, uint32_t n, void **ids, uint32_t *n_ret) {
	(void)p, (void)type, (void)n, (void)ids, (void)n_ret;
	return fault();
}

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
