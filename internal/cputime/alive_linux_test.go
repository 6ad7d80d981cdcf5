package cputime

import (
	"runtime"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// TestThreadsAlive reads this process's threads: the one running the test
// among them, alive for some time, and a busy thread's time growing by
// about what it spins (half of it at least, loaded or not: the wait for a CPU counts too).
func TestThreadsAlive(t *testing.T) {
	before, ok := threadsAlive()
	if !ok || len(before) == 0 {
		t.Fatalf("threadsAlive() = %v, %v: want this process's threads", before, ok)
	}
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	tid := unix.Gettid()
	for start := time.Now(); time.Since(start) < 50*time.Millisecond; {
	}
	after, _ := threadsAlive()
	if g := after[tid] - before[tid]; g < int64(25*time.Millisecond) {
		t.Errorf("thread %d spun 50 ms and its time alive grew by %v (before %v, after %v)", tid, time.Duration(g), before[tid], after[tid])
	}
}
