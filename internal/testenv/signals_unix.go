//go:build unix

package testenv

import (
	"context"
	"os"
	"os/signal"
	"syscall"
	"testing"
	"time"
)

// UnignoreStopSignals makes the stop signals (SIGHUP, SIGINT, SIGQUIT,
// SIGTERM) that this test process was started with ignored reach the
// processes it starts with their default action, where they would inherit
// the ignoring: gpusim leaves a signal it was started with ignored ignored
// (nohup's SIGHUP, a background job's SIGINT), so its stop tests, run under
// nohup or from a script's background job, saw no stop. It catches them
// (signal.Notify), as a caught signal is reset to its default by exec(2),
// and drops them, as the process ignored them. Call it in TestMain of a
// test binary that signals gpusim children, not in the children.
func UnignoreStopSignals() {
	var sigs []os.Signal
	for _, s := range []os.Signal{syscall.SIGHUP, syscall.SIGINT, syscall.SIGQUIT, syscall.SIGTERM} {
		if signal.Ignored(s) {
			sigs = append(sigs, s)
		}
	}
	if len(sigs) == 0 {
		return
	}
	c := make(chan os.Signal, 1)
	signal.Notify(c, sigs...)
	go func() {
		for range c {
		}
	}()
}

// SignalSelf sends sig to this test process and waits, at most 5 s, for
// ctx (a context the signal should end, such as interrupt.NotifyContext's)
// to end, failing t otherwise.
func SignalSelf(t testing.TB, ctx context.Context, sig syscall.Signal) {
	t.Helper()
	if err := syscall.Kill(os.Getpid(), sig); err != nil {
		t.Fatal(err)
	}
	select {
	case <-ctx.Done():
	case <-time.After(5 * time.Second):
		t.Fatalf("%v did not end the context", sig)
	}
}
