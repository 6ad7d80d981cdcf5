package cl

import (
	"sync"
	"time"
)

// A driver may install signal handlers of its own as it loads: pocl's LLVM
// (llvm::sys's RegisterHandlers, as pocl starts) replaces the handlers of
// SIGINT, SIGTERM, SIGHUP and SIGQUIT, among others, with one installed
// with SA_RESETHAND and SA_NODEFER, which removes the files LLVM writes,
// puts back the handlers it replaced and raises the signal again. The
// kernel resets the signal to its default action as it delivers it to that
// handler, so that a second signal in the microseconds before the handler
// has put back Go's killed the process by the default action: no message,
// status -1 to a parent and temporary files left (TestDoubleSignal's two
// SIGINTs at once, 2 runs in 30); and a first SIGQUIT went to LLVM's crash
// handler, which takes it for a crash of its own and drops it.
//
// Load therefore notes how the stop signals (keptSignals) are handled before
// it opens a library, and the calls where a driver may start its compiler
// (Load itself, listing a platform's devices, where pocl starts LLVM,
// creating a context and building a program) put back the handling it
// found for those a driver changed. LLVM's handler
// stays in place for crashes (SIGSEGV and the like), where it prints what
// it compiled; a stop no longer goes through it, so that LLVM does not
// remove its temporary files on a stop (a compile ended by the stop's
// forced exit may leave them in the driver's cache folder).
//
// Those calls put the handling back while they run, too (driverCall),
// every watchEvery: pocl 3.1 installs LLVM's handlers early in its first
// clGetDeviceIDs, which then runs for milliseconds more, and a SIGQUIT
// 20 ms into an OpenCL run (a warm start) went to LLVM's handler and was
// dropped in 1 to 3 runs of 10, the run going on to exit 0.

var kept struct {
	sync.Mutex
	restore func() // puts back the handling noted before Load; nil before
}

// keepSignals notes how the stop signals are handled, for restoreSignals.
func keepSignals() {
	kept.Lock()
	defer kept.Unlock()
	if kept.restore == nil {
		kept.restore = noteSignals()
	}
}

// restoreSignals puts back the handling of the stop signals that
// keepSignals noted where it has changed since.
func restoreSignals() {
	kept.Lock()
	defer kept.Unlock()
	if kept.restore != nil {
		kept.restore()
	}
	rearmCrash() // SIGABRT's handler (crash_linux_amd64.go)
}

// watchEvery is how often driverCall puts back the stop signals' handling
// while a driver's call runs: 5 reads of it (rt_sigaction) a time.
const watchEvery = 100 * time.Microsecond

// driverCall runs f, a call into the driver that may install signal
// handlers, putting back the handling of the stop signals that
// keepSignals noted every watchEvery while it runs, and once after.
func driverCall(f func()) {
	kept.Lock()
	watch := kept.restore != nil
	kept.Unlock()
	if watch {
		done := make(chan struct{})
		var wg sync.WaitGroup
		wg.Add(1)
		go func() {
			defer wg.Done()
			t := time.NewTicker(watchEvery)
			defer t.Stop()
			for {
				select {
				case <-done:
					return
				case <-t.C:
					restoreSignals()
				}
			}
		}()
		defer func() {
			close(done)
			wg.Wait()
		}()
	}
	f()
	restoreSignals()
}
