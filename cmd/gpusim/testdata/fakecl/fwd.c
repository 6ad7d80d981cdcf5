/* An OpenCL library that forwards every entry point gpu/cl binds to the
 * real one (FAKECL_REAL, else libOpenCL.so.1), opened with dlopen, and
 * hangs or faults in one of them: FAKECL_FAULT=hang:NAME never returns
 * from NAME, FAKECL_FAULT=crash:NAME faults (SIGSEGV) in it and
 * FAKECL_FAULT=abort:NAME calls abort(3) in it, as a driver
 * that lists its devices and then hangs or crashes creating a context or
 * a queue, building a program or running a kernel; fail:NAME returns -11
 * (CL_BUILD_PROGRAM_FAILURE, for clBuildProgram) without calling it.
 * Several, comma-separated, apply each to its call:
 * FAKECL_FAULT=fail:clBuildProgram,hang:clGetProgramBuildInfo fails the
 * build and hangs asked for its log. An entry faults every call of its
 * name, or, as HOW:NAME@N (N from 1), its Nth call alone, counted in the
 * process: FAKECL_FAULT=hang:clSetKernelArg@400 hangs in a run's later
 * launch, past the start's calls. TestFaultingDriver builds it with
 * clang. */
#include <dlfcn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* real is the entry point name of the real library; it ends the process
 * with exit status 4 where there is none. */
static void *real(const char *name) {
	static void *lib;
	if (lib == NULL) {
		const char *path = getenv("FAKECL_REAL");
		lib = dlopen(path != NULL ? path : "libOpenCL.so.1", RTLD_NOW | RTLD_LOCAL);
		if (lib == NULL) {
			fprintf(stderr, "fakecl: %s\n", dlerror());
			exit(4);
		}
	}
	void *f = dlsym(lib, name);
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
			if (strncmp(s, "fail:", 5) == 0)
				return 1;
		}
		s = end != NULL ? end + 1 : NULL;
	}
	return 0;
}

typedef uintptr_t H; /* a handle */
typedef void *P;     /* a pointer */

/* Each entry point counts its calls (from 1) for HOW:NAME@N. */
#define FWD(ret, name, params, args)                                  \
	ret name params {                                             \
		static long calls;                                    \
		if (fault(#name, __atomic_add_fetch(&calls, 1, __ATOMIC_SEQ_CST))) \
			return (ret)-11;                              \
		return ((ret(*) params)real(#name))args;              \
	}

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
