//go:build unix

package testenv

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// ProcessGone says whether pid has exited: no such process, or a zombie
// that its new parent has not reaped yet (read from Linux's /proc; where
// there is none, a zombie counts as running).
func ProcessGone(pid int) bool {
	if err := syscall.Kill(pid, 0); errors.Is(err, syscall.ESRCH) {
		return true
	}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	_, after, _ := strings.Cut(string(b), ") ")
	return strings.HasPrefix(after, "Z")
}

// CheckGone fails t for each of pids (the workers of what of a stopped
// child, say) still running a second after.
func CheckGone(t testing.TB, pids []int, what string) {
	t.Helper()
	deadline := time.Now().Add(time.Second)
	for _, p := range pids {
		for !ProcessGone(p) {
			if time.Now().After(deadline) {
				t.Errorf("worker %d of %s is still running", p, what)
				break
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
}

// ReadPIDs returns the pids a child wrote to path, one a line, once there
// are n of them, else nil.
func ReadPIDs(t testing.TB, path string, n int) []int {
	t.Helper()
	b, _ := os.ReadFile(path)
	f := strings.Fields(string(b))
	if len(f) != n {
		return nil
	}
	pids := make([]int, n)
	for i, s := range f {
		p, err := strconv.Atoi(s)
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		pids[i] = p
	}
	return pids
}

// FakeWithWorkers writes an executable shell script named name, in a folder
// of its own, standing in for python3 or gpusim: it runs head, starts two
// workers as joblib's loky does, one of them ignoring SIGTERM (as
// multiprocessing's resource tracker does), writes their pids to pidFile,
// one a line (ReadPIDs), and runs tail. The workers are killed when the
// test ends, whatever it found.
func FakeWithWorkers(t testing.TB, name, head, tail string) (path, pidFile string) {
	t.Helper()
	dir := t.TempDir()
	pidFile = filepath.Join(dir, "pids")
	path = filepath.Join(dir, name)
	script := fmt.Sprintf("#!/bin/sh\n%[2]s\nsleep 300 &\necho $! >> %[1]q\n(trap '' TERM; exec sleep 301) &\necho $! >> %[1]q\n%[3]s\n", pidFile, head, tail)
	if err := os.WriteFile(path, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		b, _ := os.ReadFile(pidFile)
		for _, f := range strings.Fields(string(b)) {
			if p, err := strconv.Atoi(f); err == nil {
				syscall.Kill(p, syscall.SIGKILL)
			}
		}
	})
	return path, pidFile
}
