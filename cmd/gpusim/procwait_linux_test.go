package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The waits of the subprocess tests for a state a process reports in /proc,
// where a fixed time after its start could be outlasted by a slow start on
// a loaded machine, or outrun by a fast one.

// partsReading waits until process pid has read 1 MiB (rchar of
// /proc/PID/io): a merge is then reading its parts of about 2 MB each,
// past its start and its stop's handlers. 20 s at most.
func partsReading(t *testing.T, pid int) {
	t.Helper()
	path := fmt.Sprintf("/proc/%d/io", pid)
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("the merge's reads: %v", err)
		}
		for line := range strings.Lines(string(b)) {
			if v, ok := strings.CutPrefix(strings.TrimSpace(line), "rchar:"); ok {
				if n, err := strconv.ParseUint(strings.TrimSpace(v), 10, 64); err == nil && n >= 1<<20 {
					return
				}
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("the merge has not read 1 MiB of its parts in 20 s:\n%s", b)
		}
	}
}

// waitCPU waits until process pid has used d of CPU time (procCPU): past
// its start, which takes a few tens of milliseconds, it is then running
// its job. 30 s at most.
// It reports false where the process ended first: a run past its
// --timeout on a loaded machine, which waited the 30 s on a zombie.
func waitCPU(t *testing.T, pid int, d time.Duration) bool {
	t.Helper()
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		cpu, alive := procCPU(t, pid)
		if cpu >= d {
			return true
		}
		if !alive {
			return false // it ended first (a zombie, not yet waited for)
		}
		if time.Now().After(deadline) {
			t.Fatalf("the process has not used %v of CPU in 30 s: %v", d, cpu)
		}
	}
}

// procCPUKnown: procCPU reads a process's CPU time here.
const procCPUKnown = true

// procCPU is the CPU time process pid has used so far, all its threads
// together and the children it has waited for (utime, stime, cutime and
// cstime of /proc/PID/stat, in clock ticks of 10 ms), as its rusage at
// its exit counts them (signalWait): without the children, the linkers
// pocl runs as it builds, waited for before a stop's signal, counted as
// CPU time used after it; and whether it still runs (false for a zombie
// not yet waited for). It fails the test where the file cannot be read:
// the process was waited for already.
func procCPU(t *testing.T, pid int) (time.Duration, bool) {
	t.Helper()
	path := fmt.Sprintf("/proc/%d/stat", pid)
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("the process's CPU time: %v", err)
	}
	// Fields after the command's parenthesis: state is 3, utime 14,
	// stime 15, cutime 16 and cstime 17 of proc(5).
	i := strings.LastIndexByte(string(b), ')')
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 15 {
		t.Fatalf("%s: %q", path, b)
	}
	var ticks uint64
	for _, field := range f[11:15] { // utime, stime, cutime, cstime
		n, err := strconv.ParseUint(field, 10, 64)
		if err != nil {
			t.Fatalf("%s: %q", path, b)
		}
		ticks += n
	}
	return time.Duration(ticks) * 10 * time.Millisecond, f[0] != "Z" && f[0] != "X"
}

// TestSignalWaitChildren: the CPU time signalWait says a process used
// after the signal leaves out a child it waited for before it (a busy
// subshell, as pocl's linkers in a cold build): its rusage at the exit
// counts the child, and procCPU did not, so the child's CPU time read as
// the stop's.
func TestSignalWaitChildren(t *testing.T) {
	dir := t.TempDir()
	done := filepath.Join(dir, "done")
	cmd := exec.Command("sh", "-c", `(i=0; while [ $i -lt 300000 ]; do i=$((i+1)); done); : > "$1"; exec sleep 30`, "sh", done)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(60 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		if _, err := os.Stat(done); err == nil {
			break
		}
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			cmd.Wait()
			t.Fatal("the busy subshell did not end within 60 s")
		}
	}
	_, _, cpu := signalWait(t, cmd, syscall.SIGTERM)
	if cpu > 100*time.Millisecond {
		t.Errorf("%v of CPU time after the signal, for a sleep: the child waited for before it was counted", cpu)
	}
}
