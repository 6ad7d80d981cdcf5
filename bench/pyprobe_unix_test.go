//go:build unix

package bench

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestPythonProbeHangs: an interpreter that does not answer the probe
// (a wrapper whose child waits on a lock) is refused within the probe's
// bound, by --python's check and by the search alike: CheckPython had no
// bound and bench hung before any work, and the search's 30 s did not end
// a wrapper whose child held the output pipe (exec waited for it).
func TestPythonProbeHangs(t *testing.T) {
	saved, savedCandidates := probeTimeout, PythonCandidates
	t.Cleanup(func() { probeTimeout, PythonCandidates = saved, savedCandidates })
	probeTimeout = 200 * time.Millisecond
	hang := filepath.Join(t.TempDir(), "python3")
	if err := os.WriteFile(hang, []byte("#!/bin/sh\nsleep 300\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	t0 := time.Now()
	err := CheckPython(context.Background(), hang)
	if err == nil || !strings.Contains(err.Error(), "did not answer within 200ms") {
		t.Errorf("CheckPython: %v; want it did not answer", err)
	}
	PythonCandidates = []string{hang}
	if _, err := FindPython(context.Background()); err == nil {
		t.Error("FindPython took an interpreter that does not answer")
	}
	if d := time.Since(t0); d > 5*time.Second {
		t.Errorf("the probes took %v, past their bound", d)
	}
}

// TestPythonProbeEndsItsChildren: the probe's interpreter runs in a
// process group of its own, ended whole when bench stops (Ctrl-C) or the
// probe's time runs out: a wrapper's child (sleep, before exec python3)
// was left running under init after bench had exited 130.
func TestPythonProbeEndsItsChildren(t *testing.T) {
	saved := probeTimeout
	t.Cleanup(func() { probeTimeout = saved })
	for _, stop := range []string{"cancel", "timeout"} {
		dir := t.TempDir()
		pidFile := filepath.Join(dir, "pid")
		wrapper := filepath.Join(dir, "python3")
		if err := os.WriteFile(wrapper, []byte("#!/bin/sh\nsleep 300 &\necho $! >"+pidFile+"\nwait\n"), 0o755); err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		probeTimeout = time.Minute
		if stop == "timeout" {
			probeTimeout = 300 * time.Millisecond
		} else {
			time.AfterFunc(300*time.Millisecond, cancel)
		}
		CheckPython(ctx, wrapper)
		cancel()
		b, err := os.ReadFile(pidFile)
		if err != nil {
			t.Fatalf("%s: the wrapper did not start its child: %v", stop, err)
		}
		pid, _ := strconv.Atoi(strings.TrimSpace(string(b)))
		gone := false
		for deadline := time.Now().Add(2*childGrace + time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
			// Gone, or a zombie init has not reaped yet (the
			// sandbox's init reaps late).
			st, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
			if syscall.Kill(pid, 0) != nil || err == nil && strings.Contains(string(st), ") Z ") {
				gone = true
				break
			}
		}
		if !gone {
			syscall.Kill(pid, syscall.SIGKILL)
			t.Errorf("%s: the wrapper's child %d outlived the probe", stop, pid)
		}
	}
}

// TestCommandInRemovedFolder: a bench whose working folder was removed
// starts its children in the temporary folder; joblib's set-up failed in
// the removed one.
func TestCommandInRemovedFolder(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "gone")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Chdir(dir)
	if err := os.Remove(dir); err != nil {
		t.Fatal(err)
	}
	if cmd := command(context.Background(), "true"); cmd.Dir != os.TempDir() {
		t.Errorf("a child's folder in a removed working folder: %q, want %q", cmd.Dir, os.TempDir())
	}
}

// TestPythonProbeFlood: an interpreter that floods the probe's output
// (`yes`) is refused, the flood named, by --python's check and by the
// search alike: its output was kept whole, and bench died out of memory
// before any work (under ulimit -v 3000000); the check's message quoted
// all of it.
func TestPythonProbeFlood(t *testing.T) {
	savedCandidates := PythonCandidates
	t.Cleanup(func() { PythonCandidates = savedCandidates })
	flood := filepath.Join(t.TempDir(), "python3")
	if err := os.WriteFile(flood, []byte("#!/bin/sh\nyes garbage-garbage-garbage | head -c 33554432\nexec sleep 300\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	err := CheckPython(ctx, flood)
	want := strconv.Quote(flood) + ", asked to import numpy, printed more than 4.19 MB on stdout and stderr, more than bench reads of a child's output: killed"
	if err == nil || err.Error() != want {
		t.Errorf("CheckPython: %.300v; want %q", err, want)
	}
	PythonCandidates = []string{flood}
	_, err = FindPython(ctx)
	want = "no python3 with numpy found (tried " + flood + "); " + strconv.Quote(flood) + " printed more than 4.19 MB on stdout, "
	if err == nil || !strings.HasPrefix(err.Error(), want) || !errors.Is(err, ErrNoNumPy) {
		t.Errorf("FindPython: %.300v; want %q...", err, want)
	}
}
