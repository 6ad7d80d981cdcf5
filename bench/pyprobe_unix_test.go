//go:build unix

package bench

import (
	"context"
	"os"
	"path/filepath"
	"strings"
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
