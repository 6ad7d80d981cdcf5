//go:build unix

package main

import (
	"os/exec"
	"syscall"
	"testing"
	"time"

	"github.com/gpusim/gpusim/internal/interrupt"
	"github.com/gpusim/gpusim/internal/testenv"
)

// TestBenchInterruptEndsPythonWorkers interrupts bench during the Python
// baseline, whose interpreter (a fake here) has started workers as joblib's
// loky does, one ignoring SIGTERM as multiprocessing's resource tracker
// does: bench must exit 130 and leave none of them running. Four python3
// processes (LokyProcess, resource_tracker) used to outlive it, re-parented
// to PID 1.
func TestBenchInterruptEndsPythonWorkers(t *testing.T) {
	if testing.Short() {
		t.Skip("subprocess stop tests skipped in -short mode")
	}
	dir := t.TempDir()
	fake, pidFile := testenv.FakeWithWorkers(t, "python3", `case "$*" in *'import numpy'*) echo gpusim-numpy-ok; exit 0;; esac`, "wait")
	var pids []int
	cmd := exec.Command("gpusim", "bench", "--lanes", "100", "--steps", "2", "--reps", "1", "--warmup", "0",
		"--no-scaling", "--no-sweep", "--engines", "serial", "--python", fake)
	cmd.Dir = dir
	stderr := &syncBuffer{}
	cmd.Stderr = stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(30 * time.Second); len(pids) < 2; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			t.Fatalf("the fake python's workers did not start within 30 s; stderr:\n%s", stderr.String())
		}
		pids = testenv.ReadPIDs(t, pidFile, 2)
	}
	code, took, cpu := signalWait(t, cmd, syscall.SIGINT)
	if code != interrupt.ExitSIGINT || !stopWithin(took, cpu, stopLatency) {
		t.Errorf("exit %d after %v (%v of CPU); want %d within %v of CPU; stderr:\n%s", code, took, cpu, interrupt.ExitSIGINT, stopLatency, stderr.String())
	}
	testenv.CheckGone(t, pids, "the interrupted baseline")
}
