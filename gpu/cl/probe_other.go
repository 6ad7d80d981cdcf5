//go:build !linux

package cl

import (
	"os"
	"syscall"
)

// isLinux is false: EnableProbe leaves the probe off here (probe_linux.go).
const isLinux = false

func dieWithParent(*syscall.SysProcAttr) {}

func nameAfterParent() {}

func limitsKey() string { return "" }

// poclCacheUsable is false: the probe does not run here, and its key
// keeps POCL_CACHE_DIR's value (poclCacheKey).
func poclCacheUsable(string) bool { return false }

// probeOutput is nil: the probe does not run here.
func probeOutput(string) *os.File { return nil }

// loadedProgram is "": the probe is off here.
func loadedProgram() string { return "" }
