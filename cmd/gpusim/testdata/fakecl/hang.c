/* An OpenCL library whose clGetPlatformIDs never returns, as a driver that
 * hangs as it starts: TestRefusalHangingDriver builds it with clang. The
 * other entry points gpu/cl binds fail (fakecl.h). */
#include "fakecl.h"
#include <stdint.h>
#include <unistd.h>

int32_t clGetPlatformIDs(uint32_t n, void **ids, uint32_t *n_ret) {
	(void)n, (void)ids, (void)n_ret;
	for (;;)
		pause();
}

FAIL(clGetDeviceIDs)
