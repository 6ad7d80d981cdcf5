package bench

import (
	"fmt"

	"github.com/gpusim/gpusim/internal/count"
)

// pythonThreads is about the most threads the baseline starts on cores
// CPUs beyond what the user runs already: joblib's worker processes, a
// core each, with their threads and loky's resource trackers, NumPy's
// OpenBLAS threads and Numba's workers, a core each, and the interpreter's
// own. Measured: 12 at the peak on 2 cores.
func pythonThreads(cores int) uint64 { return 4*uint64(max(cores, 1)) + 8 }

// limitNote says which limit a baseline's failure ran into (the script's
// "limit": "threads" or "memory"), with value, the limit's soft value as the
// script read it (0: none, or one that does not bind, as root's), and the
// fix, for a baseline on cores CPUs; "" for another failure. Under the
// process limit (ulimit -u, which counts every thread of the user's
// processes) joblib's workers did not start and read as a joblib to
// install, and Numba died in libgomp; under the address-space limit
// (ulimit -v) joblib and Numba did not import and read the same.
func limitNote(limit string, value uint64, cores int) string {
	switch limit {
	case "threads":
		if value == 0 {
			return "a thread or process could not start: the system's limit on threads (kernel.threads-max, a cgroup's pids.max) is reached"
		}
		more := pythonThreads(cores)
		return fmt.Sprintf("a thread or process could not start: the process limit (ulimit -u %d) counts every thread of the user's processes, and the baseline starts up to about %d on %s: raise it to ulimit -u %d or more, or lift it (ulimit -u unlimited)",
			value, more, count.Noun(max(cores, 1), "core"), value+more)
	case "memory":
		if value > 0 {
			return fmt.Sprintf("memory was refused under the address-space limit (ulimit -v %d, in KiB): raise it, or lift it (ulimit -v unlimited)", value>>10)
		}
	}
	return ""
}
