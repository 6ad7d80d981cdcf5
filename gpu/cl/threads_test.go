package cl

import (
	"errors"
	"strings"
	"testing"
)

// TestThreadsShort: Load is refused before any library is opened where the
// process limit (ulimit -u) leaves fewer threads than a driver's and Go's:
// pocl aborted the process starting its workers ("PTHREAD ERROR in
// pthread_scheduler_init()", exit 134). No limit, or room, refuses nothing.
func TestThreadsShort(t *testing.T) {
	oldFree, oldSelf, oldCPU := threadsFree, threadsSelf, numCPU
	defer func() { threadsFree, threadsSelf, numCPU = oldFree, oldSelf, oldCPU }()
	numCPU = func() int { return 4 }
	threadsSelf = func() uint64 { return 100 } // Go's runtime needs none more
	var asked uint64
	threadsFree = func(need uint64) (limit, used uint64, limited bool) { asked = need; return 20, 15, true }
	err := threadsShort()
	var ue *UnavailableError
	if !errors.Is(err, ErrThreads) || !errors.Is(err, ErrEnvironment) || !errors.As(err, &ue) {
		t.Fatalf("threadsShort: %v; want an *UnavailableError matching ErrThreads", err)
	}
	if asked != 6 {
		t.Errorf("asked Free for %d threads, want 6 (4 CPUs and 2)", asked)
	}
	if want := "the process limit (ulimit -u 20) leaves 5 threads free (the user's processes run 15), and loading a driver and opening a device starts about 6 here"; !strings.Contains(ue.Cause, want) {
		t.Errorf("cause %q; want %q", ue.Cause, want)
	}
	if want := "raise it to ulimit -u 21 or more"; !strings.HasPrefix(ue.Hint, want) {
		t.Errorf("hint %q; want %q", ue.Hint, want)
	}
	threadsFree = func(need uint64) (limit, used uint64, limited bool) { return 21, 15, true }
	if err := threadsShort(); err != nil {
		t.Errorf("with room: %v", err)
	}
	threadsFree = func(need uint64) (limit, used uint64, limited bool) { return 0, 0, false }
	if err := threadsShort(); err != nil {
		t.Errorf("without a limit: %v", err)
	}
}
