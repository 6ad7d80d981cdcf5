package testenv

import (
	"testing"

	"github.com/gpusim/gpusim/internal/threads"
)

// Nobody is the uid (and gid) the process-limit tests run a command as
// when the test runs as root: the process limit (ulimit -u, RLIMIT_NPROC)
// does not bind root, and a limit on the test's own user would count the
// test's threads.
const Nobody = 65534

// UserThreads counts the threads of uid's processes, as the kernel counts
// them against that user's process limit (threads.User), for a limit just
// above them; it skips t where /proc cannot be listed.
func UserThreads(t *testing.T, uid int) int {
	t.Helper()
	n, ok := threads.User(uid)
	if !ok {
		t.Skip("/proc cannot be listed")
	}
	return int(n)
}
