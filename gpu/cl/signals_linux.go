//go:build linux && (amd64 || arm64)

package cl

import (
	"syscall"
	"unsafe"
)

// keptSignals are the signals internal/interrupt takes as a stop: SIGXCPU
// too, the soft CPU time limit's (ulimit -t), which LLVM's handler, put in
// place of Go's as pocl loads, took for a crash and dropped, and SIGUSR1,
// SIGUSR2 and SIGALRM (Slurm's --signal, timeout -s ALRM): LLVM takes
// SIGUSR1 as its info signal and SIGUSR2 as an interrupt of its own.
var keptSignals = []syscall.Signal{syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP, syscall.SIGQUIT, syscall.SIGPIPE, syscall.SIGXCPU,
	syscall.SIGUSR1, syscall.SIGUSR2, syscall.SIGALRM}

// sigaction is the kernel's struct sigaction on linux/amd64 and arm64
// (rt_sigaction(2); Go's runtime's sigactiont).
type sigaction struct {
	handler, flags, restorer, mask uint64
}

// rtSigaction is rt_sigaction(2) with the kernel's signal set size.
func rtSigaction(sig syscall.Signal, act, old *sigaction) bool {
	_, _, errno := syscall.RawSyscall6(syscall.SYS_RT_SIGACTION, uintptr(sig),
		uintptr(unsafe.Pointer(act)), uintptr(unsafe.Pointer(old)), 8, 0, 0)
	return errno == 0
}

// noteSignals notes how keptSignals are handled now and returns the func
// that puts that back for each whose handler has changed since.
func noteSignals() (restore func()) {
	was := make([]sigaction, len(keptSignals))
	ok := make([]bool, len(keptSignals))
	for i, s := range keptSignals {
		ok[i] = rtSigaction(s, nil, &was[i])
	}
	return func() {
		for i, s := range keptSignals {
			var now sigaction
			if ok[i] && rtSigaction(s, nil, &now) && now.handler != was[i].handler {
				rtSigaction(s, &was[i], nil)
			}
		}
	}
}

// signalHandlers are the handlers of keptSignals now (for tests).
func signalHandlers() map[syscall.Signal]uint64 {
	m := map[syscall.Signal]uint64{}
	for _, s := range keptSignals {
		var a sigaction
		if rtSigaction(s, nil, &a) {
			m[s] = a.handler
		}
	}
	return m
}
