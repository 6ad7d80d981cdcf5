//go:build !(linux && amd64)

package cl

// crashSupported is false: a driver's crash in the process is Go's, with
// its trace and exit status 2 (crash.go); the probe's child covers the
// listing and the set-up.
const crashSupported = false

func armCrash() {}

func rearmCrash() {}

// crashArmed is false: no handler writes to the marks of CrashMark.
func crashArmed() bool { return false }
