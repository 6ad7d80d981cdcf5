//go:build !linux

package cputime

// affinityMask is not read here: Idle counts every CPU.
func affinityMask() (mine func(cpu int) bool, ok bool) { return nil, false }
