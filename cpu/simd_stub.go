//go:build !(goexperiment.simd && amd64)

package cpu

// Without GOEXPERIMENT=simd on amd64 there is no vector path: the switches
// stay false and SIMD runs the portable batch code.
var useAVX512, useAVX2 = false, false

func archBatch() (batchKernel, bool) { return batchKernel{}, false }
