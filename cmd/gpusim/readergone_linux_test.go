package main

import (
	"bytes"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/gpusim/gpusim/internal/interrupt"
)

// TestStdoutReaderGone: a run or bench whose stdout is a pipe whose
// reader goes away mid-work stops at once, as a write to the pipe would
// stop it (exit 141, silent, no file), on every engine. A run writes
// stdout only at its end, so gpusim run ... | a reader that died computed
// on to the end (hours for a big job) and only then met the closed pipe:
// this run of 1e10 lane-steps ran past the test's 30 s.
func TestStdoutReaderGone(t *testing.T) {
	cases := map[string][]string{
		"bench": {"bench", "--engines", "serial", "--lanes", "1e6", "--steps", "10000", "--baseline", "none", "--no-scaling", "--no-sweep", "--html", "r.html"},
	}
	for _, name := range stopBackendsHere(t) {
		cases[name] = append(append([]string(nil), longRun...), "--engine", name, "--out", "finals.npy")
	}
	for name, args := range cases {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			r, w, err := os.Pipe()
			if err != nil {
				t.Fatal(err)
			}
			cmd := exec.Command("gpusim", args...)
			cmd.Dir = dir
			var stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = w, &stderr
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			w.Close()
			time.Sleep(500 * time.Millisecond) // the work under way
			r.Close()
			code, took := exitCode(t, cmd)
			if code != interrupt.ExitSIGPIPE || strings.Contains(stderr.String(), "broken pipe") {
				t.Errorf("exit %d %v after the reader went; want %d, silent; stderr:\n%s", code, took, interrupt.ExitSIGPIPE, stderr.String())
			}
			assertEmptyDir(t, dir)
		})
	}
}
