/* An OpenCL library whose clGetPlatformIDs never returns, as a driver that
 * hangs as it starts: TestRefusalHangingDriver builds it with clang. So
 * does its clIcdGetPlatformIDsKHR, which an ICD loader calls where an .icd
 * file names it (clGetExtensionFunctionAddress gives it, as ocl-icd asks).
 * The other entry points gpu/cl binds fail (fakecl.h). */
#include "fakecl.h"
#include <stdint.h>
#include <string.h>
#include <unistd.h>

/* hang never returns (static: a call of the library's own, which no other
 * library's symbol takes the place of). */
static int32_t hang(void) {
	for (;;)
		pause();
}

int32_t clGetPlatformIDs(uint32_t n, void **ids, uint32_t *n_ret) {
	(void)n, (void)ids, (void)n_ret;
	return hang();
}

int32_t clIcdGetPlatformIDsKHR(uint32_t n, void **ids, uint32_t *n_ret) {
	(void)n, (void)ids, (void)n_ret;
	return hang();
}

void *clGetExtensionFunctionAddress(const char *name) {
	return strcmp(name, "clIcdGetPlatformIDsKHR") == 0 ? (void *)clIcdGetPlatformIDsKHR : NULL;
}

FAIL(clGetDeviceIDs)
