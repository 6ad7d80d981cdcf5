//go:build !(goexperiment.simd && amd64)

package cpu

import "github.com/gpusim/gpusim/sim"

// Without GOEXPERIMENT=simd on amd64 there is no vector path: the switches
// stay false and SIMD runs the portable batch code.
var useAVX512, useAVX2 = false, false

func archBatch() (batchKernel, bool) { return batchKernel{}, false }

func reduceArch(uint64, []float32, *sim.Block, *sim.Histogram) bool { return false }
