package threads

import (
	"os"
	"testing"

	"golang.org/x/sys/unix"
)

// TestCounts: this process's threads (Self) are among its user's
// (userThreads), which are among the system's (systemThreads), and Free
// reports no limit for root, which the limit does not bind, and none where
// RLIMIT_NPROC is unlimited. The three are read one after another while
// other processes start and end threads (go test runs packages' binaries at
// once), so a system count read after a process of the user ended can be
// below the user's count read before it: the order is checked on up to 20
// readings, and fails only where no reading holds it.
func TestCounts(t *testing.T) {
	var self, user, all uint64
	var ok, okAll bool
	for range 20 {
		self = Self()
		user, ok = userThreads(os.Getuid())
		all, okAll = systemThreads()
		if self >= 1 && ok && okAll && user >= self && all >= user {
			break
		}
	}
	if self < 1 || !ok || !okAll || user < self || all < user {
		t.Fatalf("self %d, user %d (%v), system %d (%v); want 1 <= self <= user <= system", self, user, ok, all, okAll)
	}
	var rl unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_NPROC, &rl); err != nil {
		t.Skip(err)
	}
	if _, _, limited := Free(1); (os.Getuid() == 0 || rl.Cur == unix.RLIM_INFINITY) && limited {
		t.Errorf("Free: limited as root or without a limit (soft %d)", rl.Cur)
	}
}

// TestGoNeed: a process needs GOMAXPROCS and GoSpare threads in all, less
// those it runs, and never fewer than 0.
func TestGoNeed(t *testing.T) {
	for _, c := range []struct {
		procs int
		self  uint64
		want  uint64
	}{{1, 5, GoSpare - 4}, {16, 5, 16 + GoSpare - 5}, {1, 100, 0}, {0, 0, 1 + GoSpare}} {
		if got := GoNeed(c.procs, c.self); got != c.want {
			t.Errorf("GoNeed(%d, %d) = %d, want %d", c.procs, c.self, got, c.want)
		}
	}
}
