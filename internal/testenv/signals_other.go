//go:build !unix

package testenv

// UnignoreStopSignals does nothing where signals are not inherited ignored.
func UnignoreStopSignals() {}
