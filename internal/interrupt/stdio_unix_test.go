//go:build unix

package interrupt

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gpusim/gpusim/internal/testenv"
)

// TestSIGPIPEOtherPipe: a write to a pipe other than stdout or stderr (a
// child's stdin, the child gone) fails with EPIPE and stops nothing. Go
// delivers every SIGPIPE once notified of one, and it cancelled the run:
// bench, feeding its script to a Python that died at once, exited 141 with
// its measurements lost.
func TestSIGPIPEOtherPipe(t *testing.T) {
	ctx, stop := NotifyContext(context.Background())
	defer stop()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	r.Close()
	defer w.Close()
	if _, err := w.Write([]byte("x")); !errors.Is(err, syscall.EPIPE) {
		t.Fatalf("write to a pipe without a reader: %v, want EPIPE", err)
	}
	select {
	case <-ctx.Done():
		t.Fatalf("a SIGPIPE from another pipe stopped the run: %v", context.Cause(ctx))
	case <-time.After(200 * time.Millisecond):
	}
}

// TestIgnoredSignalsStayIgnored: a process started with SIGHUP and SIGINT
// ignored (nohup, a shell's background job) is not stopped by them: the
// handler NotifyContext installed took their place, and nohup gpusim run
// ... & was stopped with exit 129 when its ssh session closed. SIGTERM,
// not ignored, still stops it. In a child started through sh with the two
// ignored.
func TestIgnoredSignalsStayIgnored(t *testing.T) {
	if os.Getenv("GPUSIM_INTERRUPT_TEST_CHILD") == "ignored" {
		ctx, stop := NotifyContext(context.Background())
		defer stop()
		for _, s := range []syscall.Signal{syscall.SIGHUP, syscall.SIGINT} {
			if err := syscall.Kill(os.Getpid(), s); err != nil {
				t.Fatal(err)
			}
		}
		select {
		case <-ctx.Done():
			t.Fatalf("an ignored signal stopped the run: %v", context.Cause(ctx))
		case <-time.After(300 * time.Millisecond):
		}
		testenv.SignalSelf(t, ctx, syscall.SIGTERM)
		return
	}
	cmd := exec.Command("sh", "-c", `trap '' HUP INT; exec "$0" -test.run='^TestIgnoredSignalsStayIgnored$' -test.v`, os.Args[0])
	cmd.Env = append(os.Environ(), "GPUSIM_INTERRUPT_TEST_CHILD=ignored")
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "--- PASS") {
		t.Errorf("child: %v\n%s", err, out)
	}
}
