//go:build unix

package testenv

import (
	"errors"
	"fmt"
	"os"
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
