package testenv

import (
	"os"
	"sync"
	"syscall"
	"testing"

	"github.com/gpusim/gpusim/internal/threads"
)

// Nobody is the uid (and gid) the process-limit tests run a command as
// when the test runs as root: the process limit (ulimit -u) does not bind
// root, and a limit on the test's own user would count the test's threads.
const Nobody = 65534

// nobodyLockFile is the lock LockNobody takes: one path for every test
// binary, as go test runs packages' binaries at once.
const nobodyLockFile = "/tmp/gpusim-tests-nobody.lock"

// nobodyLock holds LockNobody's flock while any test of this process
// needs it (held counts them).
var nobodyLock struct {
	sync.Mutex
	held int
	f    *os.File
}

// LockNobody gives t the user Nobody to itself among every test binary of
// the suite until t ends (flock(2) on one file in /tmp): a process-limit
// test sets a limit just above Nobody's threads (UserThreads), so another
// package's test starting processes as Nobody at the same time made the
// limit bind where it must not, or not where it must (bench's
// TestNumPyThreadLimit failed in CI beside cmd/gpusim's TestThreadsLimit).
// Tests of one binary run in turn, so nested calls share the lock.
func LockNobody(t *testing.T) {
	t.Helper()
	nobodyLock.Lock()
	defer nobodyLock.Unlock()
	if nobodyLock.held == 0 {
		f, err := os.OpenFile(nobodyLockFile, os.O_RDWR|os.O_CREATE, 0o666)
		if err != nil {
			t.Fatalf("the lock on the user nobody: %v", err)
		}
		if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
			f.Close()
			t.Fatalf("the lock on the user nobody: %v", err)
		}
		nobodyLock.f = f
	}
	nobodyLock.held++
	t.Cleanup(func() {
		nobodyLock.Lock()
		defer nobodyLock.Unlock()
		if nobodyLock.held--; nobodyLock.held == 0 {
			nobodyLock.f.Close()
			nobodyLock.f = nil
		}
	})
}

// UserThreads counts the threads of uid's processes, as the kernel counts
// them against that user's process limit (threads.User), for a limit just
// above them; it skips t where /proc cannot be listed. A test that counts
// Nobody's holds LockNobody first.
func UserThreads(t *testing.T, uid int) int {
	t.Helper()
	n, ok := threads.User(uid)
	if !ok {
		t.Skip("/proc cannot be listed")
	}
	return int(n)
}
