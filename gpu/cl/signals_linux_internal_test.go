//go:build linux && (amd64 || arm64)

package cl

import (
	"syscall"
	"testing"
	"time"
)

// TestDriverCallWatches: a handler a driver installs for a stop signal in
// the middle of a call (pocl's LLVM, early in its first clGetDeviceIDs) is
// replaced by the one noted before within milliseconds, while the call
// still runs: it stayed until the call returned, and a SIGQUIT 20 ms into
// an OpenCL run went to LLVM's handler, which dropped it (1 to 3 runs of
// 10 exited 0). Here the driver's handler is SIG_IGN.
func TestDriverCallWatches(t *testing.T) {
	keepSignals()
	var was sigaction
	if !rtSigaction(syscall.SIGQUIT, nil, &was) {
		t.Skip("rt_sigaction refused")
	}
	t.Cleanup(func() { rtSigaction(syscall.SIGQUIT, &was, nil) })
	var mid sigaction
	driverCall(func() {
		ign := sigaction{handler: 1} // SIG_IGN
		rtSigaction(syscall.SIGQUIT, &ign, nil)
		time.Sleep(20 * time.Millisecond)
		rtSigaction(syscall.SIGQUIT, nil, &mid)
	})
	if mid.handler != was.handler {
		t.Errorf("SIGQUIT's handler %#x 20 ms into the call, %#x before it: the driver's stayed", mid.handler, was.handler)
	}
	var after sigaction
	if rtSigaction(syscall.SIGQUIT, nil, &after); after.handler != was.handler {
		t.Errorf("SIGQUIT's handler %#x after the call, %#x before it", after.handler, was.handler)
	}
}
