/* The floor of an OpenCL warm start, for docs/benchmarks.md: what any program pays to load
 * the OpenCL driver, list its device, make a context and build gpusim's program from the
 * binary gpusim cached (no kernel, no launch). Run with no argument it does nothing (the
 * empty process); with the cache entry's path it does the above. run.py times it beside
 * gpusim. Declares the few OpenCL calls it makes, so it needs no OpenCL headers. */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdint.h>
typedef int32_t cl_int; typedef uint32_t cl_uint; typedef void *ptr;
int main(int argc, char **argv) {
  if (argc < 2) return 0; /* the empty program */
  FILE *f = fopen(argv[1], "rb"); fseek(f, 0, SEEK_END); long n = ftell(f); fseek(f, 0, SEEK_SET);
  unsigned char *b = malloc(n); fread(b, 1, n, f); fclose(f);
  /* header: magic line, key line, sum line */
  int lines = 0; long off = 0; while (lines < 3) { if (b[off++] == '\n') lines++; }
  void *h = dlopen("libOpenCL.so.1", RTLD_NOW);
  cl_int (*getPlat)(cl_uint, ptr*, cl_uint*) = dlsym(h, "clGetPlatformIDs");
  cl_int (*getDev)(ptr, uint64_t, cl_uint, ptr*, cl_uint*) = dlsym(h, "clGetDeviceIDs");
  ptr (*mkCtx)(ptr, cl_uint, ptr*, ptr, ptr, cl_int*) = dlsym(h, "clCreateContext");
  ptr (*mkProg)(ptr, cl_uint, ptr*, size_t*, const unsigned char**, cl_int*, cl_int*) = dlsym(h, "clCreateProgramWithBinary");
  cl_int (*build)(ptr, cl_uint, ptr*, const char*, ptr, ptr) = dlsym(h, "clBuildProgram");
  ptr plat; cl_uint np; getPlat(1, &plat, &np);
  ptr dev; getDev(plat, 0xFFFFFFFF, 1, &dev, NULL);
  cl_int err; ptr ctx = mkCtx(NULL, 1, &dev, NULL, NULL, &err);
  size_t len = n - off; const unsigned char *bin = b + off; cl_int st;
  ptr p = mkProg(ctx, 1, &dev, &len, &bin, &st, &err);
  cl_int e = build(p, 1, &dev, "", NULL, NULL);
  if (err || e) { fprintf(stderr, "err %d %d %d\n", err, st, e); return 1; }
  return 0;
}
