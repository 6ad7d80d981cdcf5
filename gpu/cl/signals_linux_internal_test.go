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
//
// SIGXCPU, the soft CPU time limit's stop, is kept too: LLVM's handler,
// in its place from pocl's load on, took a first one for a crash; and
// SIGUSR1, SIGUSR2 and SIGALRM, stops since Go's runtime dropped them
// (Slurm's --signal=USR1@60): LLVM takes SIGUSR1 as its info signal and
// SIGUSR2 as an interrupt, and a SIGUSR1 into an OpenCL run's load was
// dropped (TestStop/opencl/SIGUSR1 ran on to exit 0).
func TestDriverCallWatches(t *testing.T) {
	keepSignals()
	for _, sig := range []syscall.Signal{syscall.SIGQUIT, syscall.SIGXCPU, syscall.SIGUSR1, syscall.SIGUSR2, syscall.SIGALRM} {
		var was sigaction
		if !rtSigaction(sig, nil, &was) {
			t.Skip("rt_sigaction refused")
		}
		t.Cleanup(func() { rtSigaction(sig, &was, nil) })
		var mid sigaction
		driverCall(func() {
			ign := sigaction{handler: 1} // SIG_IGN
			rtSigaction(sig, &ign, nil)
			time.Sleep(20 * time.Millisecond)
			rtSigaction(sig, nil, &mid)
		})
		if mid.handler != was.handler {
			t.Errorf("%v: handler %#x 20 ms into the call, %#x before it: the driver's stayed", sig, mid.handler, was.handler)
		}
		var after sigaction
		if rtSigaction(sig, nil, &after); after.handler != was.handler {
			t.Errorf("%v: handler %#x after the call, %#x before it", sig, after.handler, was.handler)
		}
	}
}
