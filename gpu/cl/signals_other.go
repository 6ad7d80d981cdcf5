//go:build !(linux && (amd64 || arm64))

package cl

import "syscall"

// noteSignals does nothing here: the drivers' handlers are left as they
// are (see signals.go).
func noteSignals() (restore func()) { return func() {} }

// signalHandlers is nil: no handler is kept here.
func signalHandlers() map[syscall.Signal]uint64 { return nil }
