//go:build unix

package interrupt

import (
	"context"
	"os"
	"os/signal"
	"syscall"
	"testing"
	"time"

	"github.com/gpusim/gpusim/internal/testenv"
)

// TestSignalAfterStop: a signal that comes after a stop, once the stop's
// context is done and NotifyContext's func called (the process on its way
// out with the first signal's status), is dropped. signal.Stop there gave
// it the default action, which killed the process without a word: a stop
// delivered twice (timeout(1), TestDoubleSignal's two SIGINTs) whose second
// came late on a loaded machine, once the run had returned within a few
// milliseconds of the first (1 in 180 OpenCL runs). It runs in a child,
// which the default action would kill.
func TestSignalAfterStop(t *testing.T) {
	const env = "GPUSIM_TEST_SIGNAL_AFTER_STOP"
	if os.Getenv(env) == "" {
		testenv.RunTest(t, "TestSignalAfterStop", env+"=1")
		return
	}
	if signal.Ignored(os.Interrupt) {
		t.Skip("SIGINT is ignored in this process")
	}
	ctx, stop := NotifyContext(context.Background())
	testenv.SignalSelf(t, ctx, syscall.SIGINT)
	stop()
	for range 3 {
		if err := syscall.Kill(os.Getpid(), syscall.SIGINT); err != nil {
			t.Fatal(err)
		}
	}
	time.Sleep(100 * time.Millisecond) // the signals are delivered
}
