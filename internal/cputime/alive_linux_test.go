package cputime

import (
	"os"
	"os/exec"
	"runtime"
	"strconv"
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

// TestChildrenAlive: the process's running children's time alive is read
// (bench's parent waits for each child it starts to exec, which adds
// nothing to its own threads' time), and a child waited for counts its CPU
// time.
func TestChildrenAlive(t *testing.T) {
	if _, err := os.Stat("/proc/self/task/" + strconv.Itoa(unix.Gettid()) + "/children"); err != nil {
		t.Skipf("no children files here (CONFIG_PROC_CHILDREN): %v", err)
	}
	before, reaped := childrenAlive(), reapedCPU()
	cmd := exec.Command("sh", "-c", "while :; do :; done")
	if err := cmd.Start(); err != nil {
		t.Skip(err)
	}
	time.Sleep(100 * time.Millisecond)
	during := childrenAlive()
	cmd.Process.Kill()
	cmd.Wait()
	if during-before < 30*time.Millisecond {
		t.Errorf("a child spinning 100 ms: children's time alive grew by %v", during-before)
	}
	if r := reapedCPU() - reaped; r <= 0 {
		t.Errorf("a child waited for: reaped CPU time grew by %v", r)
	}
}
