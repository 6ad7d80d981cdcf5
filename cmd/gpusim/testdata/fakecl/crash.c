/* An OpenCL library that crashes as it starts: TestCrashingDriver builds
 * it with clang. Its clGetPlatformIDs faults (SIGSEGV), and so does its
 * clIcdGetPlatformIDsKHR, which an ICD loader calls where an .icd file
 * names it (clGetExtensionFunctionAddress gives it, as ocl-icd asks); with
 * FAKECL_CRASH=devices it reports one platform and clGetDeviceIDs
 * faults, with FAKECL_CRASH=abort it aborts (SIGABRT), with
 * FAKECL_CRASH=exit it ends the process with exit status 3, and with
 * FAKECL_CRASH=thread it faults on a thread of its own; the last three
 * in clIcdGetPlatformIDsKHR too. The other entry points gpu/cl binds
 * fail (fakecl.h). */
#include "fakecl.h"
#include <pthread.h>
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

/* faulter faults, on the thread of its own that ends starts. */
static void *faulter(void *arg) {
	(void)arg;
	fault();
	return NULL;
}

/* ends aborts, exits or faults on a thread of its own where FAKECL_CRASH
 * says so (static: a call of the library's own, which no other library's
 * symbol takes the place of). */
static void ends(void) {
	pthread_t t;
	if (crash("abort"))
		abort();
	if (crash("exit"))
		exit(3);
	if (crash("thread") && pthread_create(&t, NULL, faulter, NULL) == 0)
		pthread_join(t, NULL);
}

int32_t clGetPlatformIDs(uint32_t n, void **ids, uint32_t *n_ret) {
	ends();
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


int32_t clIcdGetPlatformIDsKHR(uint32_t n, void **ids, uint32_t *n_ret) {
	(void)n, (void)ids, (void)n_ret;
	ends();
	return fault();
}

void *clGetExtensionFunctionAddress(const char *name) {
	return strcmp(name, "clIcdGetPlatformIDsKHR") == 0 ? (void *)clIcdGetPlatformIDsKHR : NULL;
}
