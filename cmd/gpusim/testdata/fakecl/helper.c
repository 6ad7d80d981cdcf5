/* An OpenCL library that starts a helper process of its own as it starts,
 * which outlives the call and holds the process's stdout and stderr, and
 * then finds no platform: TestDriverHelperProcess builds it with clang.
 * The helper sleeps 30 s; its process id is written to the file that
 * FAKECL_PIDFILE names, for the test to end it. The other entry
 * points gpu/cl binds fail (fakecl.h). */
#include "fakecl.h"
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int32_t clGetPlatformIDs(uint32_t n, void **ids, uint32_t *n_ret) {
	(void)n, (void)ids;
	static int started;
	if (!started++) {
		pid_t pid = fork();
		if (pid == 0) {
			execl("/bin/sleep", "sleep", "30", (char *)0);
			_exit(127);
		}
		const char *file = getenv("FAKECL_PIDFILE");
		FILE *f = file != NULL && pid > 0 ? fopen(file, "a") : NULL;
		if (f != NULL) {
			fprintf(f, "%d\n", (int)pid);
			fclose(f);
		}
	}
	if (n_ret != NULL)
		*n_ret = 0;
	return -1001; /* CL_PLATFORM_NOT_FOUND_KHR */
}

FAIL(clGetDeviceIDs)
