//go:build unix

package main

import (
	"bufio"
	"os/exec"
	"strings"
	"syscall"
	"testing"

	"github.com/gpusim/gpusim/internal/earlyquit"
	"github.com/gpusim/gpusim/internal/interrupt"
)

// TestQuitAtStart: a SIGQUIT (Ctrl-\) that comes after gpusim's packages
// are initialised but before its stop handler (interrupt.NotifyContext)
// ends it with SIGQUIT's status and message, as one later does. It had
// Go's default there, a dump of every goroutine and exit 2, the status of
// bad input, in gpusim's first 5 to 15 ms. gpusim-held is gpusim held at
// that point until its stdin ends.
func TestQuitAtStart(t *testing.T) {
	if earlyquit.Status != interrupt.ExitSIGQUIT {
		t.Fatalf("earlyquit.Status %d, interrupt.ExitSIGQUIT %d: one status for SIGQUIT", earlyquit.Status, interrupt.ExitSIGQUIT)
	}
	cmd := exec.Command("gpusim-held", "version")
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	defer stdin.Close() // held: it never runs on
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	if line, err := bufio.NewReader(stdout).ReadString('\n'); line != "held\n" {
		cmd.Process.Kill()
		cmd.Wait()
		t.Fatalf("gpusim-held wrote %q (%v), want held", line, err)
	}
	if err := cmd.Process.Signal(syscall.SIGQUIT); err != nil {
		t.Fatal(err)
	}
	code, _ := exitCode(t, cmd)
	if code != interrupt.ExitSIGQUIT || stderr.String() != "gpusim: quit\n" {
		t.Errorf("exit %d, stderr %.200q; want %d and %q", code, stderr.String(), interrupt.ExitSIGQUIT, "gpusim: quit\n")
	}
}
