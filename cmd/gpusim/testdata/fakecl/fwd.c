/* An OpenCL library that forwards every entry point gpu/cl binds to the
 * real one (FAKECL_REAL, else libOpenCL.so.1), opened with dlopen, and
 * hangs or faults in one of them: FAKECL_FAULT=hang:NAME never returns
 * from NAME, FAKECL_FAULT=crash:NAME faults (SIGSEGV) in it and
 * FAKECL_FAULT=abort:NAME calls abort(3) in it (exit:NAME _exit(2) with
 * status 3, a driver that ends the process without a signal), as a driver
 * that lists its devices and then hangs or crashes creating a context or
 * a queue, building a program or running a kernel; fail:NAME returns -11
 * (CL_BUILD_PROGRAM_FAILURE, for clBuildProgram) without calling it.
 * Several, comma-separated, apply each to its call:
 * FAKECL_FAULT=fail:clBuildProgram,hang:clGetProgramBuildInfo fails the
 * build and hangs asked for its log. An entry faults every call of its
 * name, or, as HOW:NAME@N (N from 1), its Nth call alone, counted in the
 * process: FAKECL_FAULT=hang:clSetKernelArg@400 hangs in a run's later
 * launch, past the start's calls. TestFaultingDriver builds it with
 * clang.
 *
 * It serves an ICD loader too, where an .icd file names it and FAKECL_REAL
 * the real driver (libpocl.so, not a loader, which would load this library
 * again): its clIcdGetPlatformIDsKHR, which its
 * clGetExtensionFunctionAddress gives, hands on the real driver's
 * platforms, and first puts its own entry points in the real driver's
 * dispatch table (slots), through which the loader calls the driver of
 * each object it is given: the loader's calls then reach them, and
 * FAKECL_FAULT applies as to direct calls (TestDriverThroughLoader). */
#include <dlfcn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

/* reallib is the real library (FAKECL_REAL, else libOpenCL.so.1), opened
 * once; it ends the process with exit status 4 where it does not load. */
static void *reallib(void) {
	static void *lib;
	if (lib == NULL) {
		const char *path = getenv("FAKECL_REAL");
		lib = dlopen(path != NULL ? path : "libOpenCL.so.1", RTLD_NOW | RTLD_LOCAL);
		if (lib == NULL) {
			fprintf(stderr, "fakecl: %s\n", dlerror());
			exit(4);
		}
	}
	return lib;
}

static void *dispatched(const char *name);

/* real is the entry point name of the real library: the real driver's
 * dispatch table's entry, where this library serves an ICD loader, else
 * its symbol; it ends the process with exit status 4 where there is none. */
static void *real(const char *name) {
	void *f = dispatched(name);
	if (f != NULL)
		return f;
	f = dlsym(reallib(), name);
	if (f == NULL) {
		fprintf(stderr, "fakecl: no %s\n", name);
		exit(4);
	}
	return f;
}

/* hung makes the file FAKECL_HUNG names, where it is set, as a call
 * begins to hang: a test waits for it before it stops the process, so
 * that the stop comes inside the hung call however loaded the machine. */
static void hung(void) {
	const char *m = getenv("FAKECL_HUNG");
	if (m == NULL || *m == 0)
		return;
	FILE *f = fopen(m, "w");
	if (f != NULL)
		fclose(f);
}

/* fault hangs or faults where an entry of FAKECL_FAULT (HOW:NAME or
 * HOW:NAME@N, comma-separated) names how and name, and, with @N, call is
 * the Nth call of name; it returns 1 where the call is to fail
 * (fail:NAME), else 0. */
static int fault(const char *name, long call) {
	const char *s = getenv("FAKECL_FAULT");
	size_t n = strlen(name);
	while (s != NULL && *s != 0) {
		const char *end = strchr(s, ',');
		size_t len = end != NULL ? (size_t)(end - s) : strlen(s);
		const char *at = memchr(s, ':', len);
		const char *nth = at != NULL ? memchr(at, '@', (size_t)(s + len - at)) : NULL;
		const char *named = nth != NULL ? nth : s + len;
		if (at != NULL && (size_t)(named - (at + 1)) == n && strncmp(at + 1, name, n) == 0 &&
		    (nth == NULL || strtol(nth + 1, NULL, 10) == call)) {
			if (strncmp(s, "hang:", 5) == 0) {
				hung();
				for (;;)
					pause();
			}
			if (strncmp(s, "crash:", 6) == 0)
				*(volatile uint32_t *)(uintptr_t)8 = 0;
			if (strncmp(s, "abort:", 6) == 0)
				abort();
			if (strncmp(s, "exit:", 5) == 0)
				_exit(3);
			if (strncmp(s, "fail:", 5) == 0)
				return 1;
		}
		s = end != NULL ? end + 1 : NULL;
	}
	return 0;
}

typedef uintptr_t H; /* a handle */
typedef void *P;     /* a pointer */

/* Each entry point counts its calls (from 1) for HOW:NAME@N. Its body is
 * own_NAME, static: the address that slots puts in a dispatch table is
 * this library's own, where NAME's would be the ICD loader's (the process's
 * global scope comes first). */
#define FWD(ret, name, params, args)                                  \
	static ret own_##name params {                                \
		static long calls;                                    \
		if (fault(#name, __atomic_add_fetch(&calls, 1, __ATOMIC_SEQ_CST))) \
			return (ret)-11;                              \
		return ((ret(*) params)real(#name))args;              \
	}                                                             \
	ret name params { return own_##name args; }

FWD(int32_t, clGetPlatformIDs, (uint32_t n, P ids, P n_ret), (n, ids, n_ret))
FWD(int32_t, clGetPlatformInfo, (H p, uint32_t k, size_t s, P v, P r), (p, k, s, v, r))
FWD(int32_t, clGetDeviceIDs, (H p, uint64_t t, uint32_t n, P ids, P r), (p, t, n, ids, r))
FWD(int32_t, clGetDeviceInfo, (H d, uint32_t k, size_t s, P v, P r), (d, k, s, v, r))
FWD(H, clCreateContext, (P props, uint32_t n, P devs, P cb, P user, P e), (props, n, devs, cb, user, e))
FWD(int32_t, clReleaseContext, (H h), (h))
FWD(H, clCreateCommandQueue, (H c, H d, uint64_t props, P e), (c, d, props, e))
FWD(int32_t, clReleaseCommandQueue, (H h), (h))
FWD(H, clCreateProgramWithSource, (H c, uint32_t n, P strs, P lens, P e), (c, n, strs, lens, e))
FWD(int32_t, clBuildProgram, (H p, uint32_t n, P devs, P opts, P cb, P user), (p, n, devs, opts, cb, user))
FWD(int32_t, clGetProgramBuildInfo, (H p, H d, uint32_t k, size_t s, P v, P r), (p, d, k, s, v, r))
FWD(int32_t, clGetProgramInfo, (H p, uint32_t k, size_t s, P v, P r), (p, k, s, v, r))
FWD(H, clCreateProgramWithBinary, (H c, uint32_t n, P devs, P lens, P bins, P st, P e), (c, n, devs, lens, bins, st, e))
FWD(int32_t, clReleaseProgram, (H h), (h))
FWD(H, clCreateKernel, (H p, P name, P e), (p, name, e))
FWD(int32_t, clSetKernelArg, (H k, uint32_t i, size_t s, P v), (k, i, s, v))
FWD(int32_t, clGetKernelWorkGroupInfo, (H k, H d, uint32_t p, size_t s, P v, P r), (k, d, p, s, v, r))
FWD(int32_t, clReleaseKernel, (H h), (h))
FWD(H, clCreateBuffer, (H c, uint64_t f, size_t s, P host, P e), (c, f, s, host, e))
FWD(int32_t, clReleaseMemObject, (H h), (h))
FWD(int32_t, clEnqueueReadBuffer, (H q, H m, uint32_t b, size_t o, size_t s, P p, uint32_t n, P w, P ev), (q, m, b, o, s, p, n, w, ev))
FWD(int32_t, clEnqueueWriteBuffer, (H q, H m, uint32_t b, size_t o, size_t s, P p, uint32_t n, P w, P ev), (q, m, b, o, s, p, n, w, ev))
FWD(int32_t, clEnqueueFillBuffer, (H q, H m, P pat, size_t ps, size_t o, size_t s, uint32_t n, P w, P ev), (q, m, pat, ps, o, s, n, w, ev))
FWD(int32_t, clEnqueueNDRangeKernel, (H q, H k, uint32_t dim, P off, P g, P l, uint32_t n, P w, P ev), (q, k, dim, off, g, l, n, w, ev))
FWD(int32_t, clWaitForEvents, (uint32_t n, P evs), (n, evs))
FWD(int32_t, clGetEventInfo, (H e, uint32_t k, size_t s, P v, P r), (e, k, s, v, r))
FWD(int32_t, clGetEventProfilingInfo, (H e, uint32_t k, size_t s, P v, P r), (e, k, s, v, r))
FWD(int32_t, clReleaseEvent, (H h), (h))
FWD(int32_t, clFinish, (H q), (q))
FWD(int32_t, clFlush, (H q), (q))

/* slots are the entry points above by their index in an ICD driver's
 * dispatch table (struct _cl_icd_dispatch, Khronos' CL/cl_icd.h), which
 * patch puts in the real driver's; orig holds the entries they replaced. */
static const struct {
	const char *name;
	int slot;
	void *own;
} slots[] = {
	{"clGetPlatformIDs", 0, (void *)own_clGetPlatformIDs}, {"clGetPlatformInfo", 1, (void *)own_clGetPlatformInfo},
	{"clGetDeviceIDs", 2, (void *)own_clGetDeviceIDs}, {"clGetDeviceInfo", 3, (void *)own_clGetDeviceInfo},
	{"clCreateContext", 4, (void *)own_clCreateContext}, {"clReleaseContext", 7, (void *)own_clReleaseContext},
	{"clCreateCommandQueue", 9, (void *)own_clCreateCommandQueue}, {"clReleaseCommandQueue", 11, (void *)own_clReleaseCommandQueue},
	{"clCreateBuffer", 14, (void *)own_clCreateBuffer}, {"clReleaseMemObject", 18, (void *)own_clReleaseMemObject},
	{"clCreateProgramWithSource", 26, (void *)own_clCreateProgramWithSource},
	{"clCreateProgramWithBinary", 27, (void *)own_clCreateProgramWithBinary},
	{"clReleaseProgram", 29, (void *)own_clReleaseProgram}, {"clBuildProgram", 30, (void *)own_clBuildProgram},
	{"clGetProgramInfo", 32, (void *)own_clGetProgramInfo}, {"clGetProgramBuildInfo", 33, (void *)own_clGetProgramBuildInfo},
	{"clCreateKernel", 34, (void *)own_clCreateKernel}, {"clReleaseKernel", 37, (void *)own_clReleaseKernel},
	{"clSetKernelArg", 38, (void *)own_clSetKernelArg}, {"clGetKernelWorkGroupInfo", 40, (void *)own_clGetKernelWorkGroupInfo},
	{"clWaitForEvents", 41, (void *)own_clWaitForEvents}, {"clGetEventInfo", 42, (void *)own_clGetEventInfo},
	{"clReleaseEvent", 44, (void *)own_clReleaseEvent}, {"clGetEventProfilingInfo", 45, (void *)own_clGetEventProfilingInfo},
	{"clFlush", 46, (void *)own_clFlush}, {"clFinish", 47, (void *)own_clFinish},
	{"clEnqueueReadBuffer", 48, (void *)own_clEnqueueReadBuffer}, {"clEnqueueWriteBuffer", 49, (void *)own_clEnqueueWriteBuffer},
	{"clEnqueueNDRangeKernel", 59, (void *)own_clEnqueueNDRangeKernel}, {"clEnqueueFillBuffer", 102, (void *)own_clEnqueueFillBuffer},
};
#define NSLOTS (sizeof slots / sizeof slots[0])
static void *orig[NSLOTS];
static int patched;

/* dispatched is the real driver's entry point name from its dispatch
 * table, once patch replaced it; NULL before (a direct load). */
static void *dispatched(const char *name) {
	if (!__atomic_load_n(&patched, __ATOMIC_ACQUIRE))
		return NULL;
	for (size_t i = 0; i < NSLOTS; i++)
		if (strcmp(slots[i].name, name) == 0)
			return orig[i];
	return NULL;
}

/* patch puts this library's entry points in table, the real driver's
 * dispatch table (made writable: it lies in read-only data), once. */
static void patch(void **table) {
	if (__atomic_load_n(&patched, __ATOMIC_ACQUIRE))
		return;
	uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE);
	uintptr_t lo = (uintptr_t)table & ~(page - 1);
	if (mprotect((void *)lo, (uintptr_t)(table + 103) - lo, PROT_READ | PROT_WRITE) != 0) {
		perror("fakecl: mprotect");
		exit(4);
	}
	for (size_t i = 0; i < NSLOTS; i++) {
		orig[i] = table[slots[i].slot];
		table[slots[i].slot] = slots[i].own;
	}
	__atomic_store_n(&patched, 1, __ATOMIC_RELEASE);
}

typedef int32_t (*icdget)(uint32_t, void **, uint32_t *);

/* realext is the real driver's clGetExtensionFunctionAddress of name. */
static void *realext(const char *name) {
	void *(*ext)(const char *) = (void *(*)(const char *))dlsym(reallib(), "clGetExtensionFunctionAddress");
	return ext != NULL ? ext(name) : NULL;
}

/* icdPlatforms is clIcdGetPlatformIDsKHR's body (static, as own_NAME). */
static int32_t icdPlatforms(uint32_t n, void **ids, uint32_t *n_ret) {
	icdget get = (icdget)realext("clIcdGetPlatformIDsKHR");
	if (get == NULL) {
		fprintf(stderr, "fakecl: no clIcdGetPlatformIDsKHR\n");
		exit(4);
	}
	void *first[1];
	uint32_t k = 0;
	if (get(1, first, &k) == 0 && k > 0)
		patch(*(void ***)first[0]);
	return get(n, ids, n_ret);
}

int32_t clIcdGetPlatformIDsKHR(uint32_t n, void **ids, uint32_t *n_ret) { return icdPlatforms(n, ids, n_ret); }

void *clGetExtensionFunctionAddress(const char *name) {
	if (strcmp(name, "clIcdGetPlatformIDsKHR") == 0)
		return (void *)icdPlatforms;
	return realext(name);
}
