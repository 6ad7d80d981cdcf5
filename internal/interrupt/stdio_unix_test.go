//go:build unix

package interrupt

import (
	"context"
	"errors"
	"os"
	"syscall"
	"testing"
	"time"
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
