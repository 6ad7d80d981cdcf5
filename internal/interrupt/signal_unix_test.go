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

// TestUserSignalBeforeNotifyContext: a SIGUSR2 that comes after
// TakeUserSignalsEarly (the first line of gpusim's main) and before
// NotifyContext (after gpusim's checks of its limits) is NotifyContext's
// stop. Go's runtime dropped it, and a run sent SIGUSR1 or SIGALRM in its
// first moments went on to its end and exited 0 (a fresh user's runs, 10
// to 40 ms after the start under load). It runs in a child, whose signal
// state it changes.
func TestUserSignalBeforeNotifyContext(t *testing.T) {
	if !threadsRoomEarly() {
		t.Skip("the process limit (ulimit -u) may be near: no early watch")
	}
	const env = "GPUSIM_TEST_USER_SIGNAL_EARLY"
	if os.Getenv(env) == "" {
		testenv.RunTest(t, "TestUserSignalBeforeNotifyContext", env+"=1")
		return
	}
	TakeUserSignalsEarly()
	if err := syscall.Kill(os.Getpid(), syscall.SIGUSR2); err != nil {
		t.Fatal(err)
	}
	time.Sleep(50 * time.Millisecond) // delivered before NotifyContext
	ctx, stop := NotifyContext(context.Background())
	defer stop()
	select {
	case <-ctx.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("a SIGUSR2 sent before NotifyContext was dropped: the run would go on and exit 0")
	}
	if se, ok := context.Cause(ctx).(*SignalError); !ok || se.Signal != syscall.SIGUSR2 {
		t.Fatalf("cause %v, want SIGUSR2's stop", context.Cause(ctx))
	}
}
