package testenv

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/gpusim/gpusim/internal/threads"
)

// Nobody is the uid (and gid) the process-limit tests run a command as
// when the test runs as root: the process limit (ulimit -u) does not bind
// root, and a limit on the test's own user would count the test's threads.
// It is a uid of no account (65531, below the 65536 a container's user
// namespace maps), not the user nobody (65534), under which daemons of the
// machine may run: the tests set a limit a few threads above Nobody's
// (UserThreads), and a thread another process of the uid starts or ends
// between the count and the check moves the limit's room (a nobody
// process toggling 3 threads failed cmd/gpusim's TestThreadsLimit and
// bench's TestNumPyThreadLimit). The suite's own processes as Nobody are
// kept to one test at a time by LockNobody.
const Nobody = 65531

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
		SettleNobody(t)
	}
	nobodyLock.held++
	t.Cleanup(func() {
		nobodyLock.Lock()
		defer nobodyLock.Unlock()
		if nobodyLock.held--; nobodyLock.held == 0 {
			SettleNobody(t)
			nobodyLock.f.Close()
			nobodyLock.f = nil
		}
	})
}

// nobodySettle is the longest SettleNobody waits.
const nobodySettle = 30 * time.Second

// SettleNobody waits until Nobody runs no thread (nobodySettle at most,
// then logs the threads left): LockNobody's holder counts Nobody's threads
// for its limits, and processes a test started as Nobody can outlive it.
// LockNobody calls it as the lock is taken and released, and a holder
// before each count (UserThreads) that sets a limit.
// bench's baseline under a limit left a Python child (a worker or loky's
// resource tracker that failed to start, reparented to init) for seconds
// after the script, which moved the next test's limit by a thread (bench's
// TestNumPyThreadLimit imported numpy where it must not).
func SettleNobody(t *testing.T) {
	t.Helper()
	n, _ := threads.User(Nobody)
	for deadline := time.Now().Add(nobodySettle); n > 0 && time.Now().Before(deadline); n, _ = threads.User(Nobody) {
		time.Sleep(20 * time.Millisecond)
	}
	if n > 0 {
		t.Logf("the user %d still runs %d threads after %v", Nobody, n, nobodySettle)
	}
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

// UserProcesses names uid's processes as the kernel counts them against
// its process limit ("1234 gpusim (6 threads), 1240 sh (1 thread)";
// "none"): what a test whose count of the user's threads (UserThreads)
// moved under it logs, so that its failure says which process moved it.
func UserProcesses(uid int) string {
	ents, err := os.ReadDir("/proc")
	if err != nil {
		return "/proc cannot be listed"
	}
	var procs []string
	for _, e := range ents {
		b, err := os.ReadFile("/proc/" + e.Name() + "/status")
		if err != nil || e.Name()[0] < '0' || e.Name()[0] > '9' {
			continue // not a process, or gone since it was listed
		}
		f := map[string]string{}
		for _, line := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok {
				f[k] = strings.TrimSpace(v)
			}
		}
		if ids := strings.Fields(f["Uid"]); len(ids) == 0 || ids[0] != strconv.Itoa(uid) {
			continue
		}
		procs = append(procs, fmt.Sprintf("%s %s (%s threads)", e.Name(), f["Name"], f["Threads"]))
	}
	if len(procs) == 0 {
		return "none"
	}
	return strings.Join(procs, ", ")
}
