package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestKillPipeIgnored: a SIGPIPE sent with kill does not stop a run (Go
// hands a program that takes SIGPIPE every one, a failed write's to
// another pipe too, and gpusim stops only where stdout's pipe is closed):
// it writes its file and exits 0, and README says so, where it listed
// SIGPIPE among the signals that stop a run the same way as SIGTERM.
func TestKillPipeIgnored(t *testing.T) {
	readme, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	text := strings.Join(strings.Fields(string(readme)), " ")
	if strings.Contains(text, "SIGTERM, SIGHUP, SIGQUIT, SIGPIPE,") || !strings.Contains(text, "a SIGPIPE sent with kill is ignored") {
		t.Error("README lists SIGPIPE among the stops, or does not say that one sent with kill is ignored")
	}
	out := filepath.Join(t.TempDir(), "kp.npy")
	cmd := exec.Command("gpusim", "run", "--engine", "simd", "--lanes", "2e6", "--steps", "100", "--out", out, "-q")
	cmd.Env = append(os.Environ(), "GPUSIM_CACHE_DIR="+t.TempDir())
	var errb strings.Builder
	cmd.Stderr = &errb
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// Once gpusim takes SIGPIPE (its mask of caught signals in
	// /proc/PID/status), as its run's handler does: before, Go's runtime
	// drops it all the same.
	for deadline := time.Now().Add(time.Minute); ; time.Sleep(time.Millisecond) {
		if caught(cmd.Process.Pid, syscall.SIGPIPE) || time.Now().After(deadline) {
			break
		}
	}
	_ = cmd.Process.Signal(syscall.SIGPIPE)
	err = cmd.Wait()
	if _, serr := os.Stat(out); err != nil || serr != nil {
		t.Errorf("kill -PIPE: %v, --out: %v, stderr %q; want exit 0 and the file written", err, serr, errb.String())
	}
}

// caught says whether process pid catches signal s (SigCgt).
func caught(pid int, s syscall.Signal) bool {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return false
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "SigCgt:"); ok {
			m, err := strconv.ParseUint(strings.TrimSpace(v), 16, 64)
			return err == nil && m&(1<<(uint(s)-1)) != 0
		}
	}
	return false
}
