//go:build !linux

package cl

import "syscall"

// isLinux is false: EnableProbe leaves the probe off here (probe_linux.go).
const isLinux = false

func dieWithParent(*syscall.SysProcAttr) {}

func limitsKey() string { return "" }
