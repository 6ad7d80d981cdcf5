package cpu

import "github.com/gpusim/gpusim/sim"

// reduce counts the finals xs of lanes first, first+1, ... into b and h, as
// b.Add and h.Add do lane by lane (reduceGeneric, the reference): a vector
// path where the build and CPU have one (reduceArch), which gives the same
// bits.
func reduce(first uint64, xs []float32, b *sim.Block, h *sim.Histogram) {
	if !reduceArch(first, xs, b, h) {
		reduceGeneric(first, xs, b, h)
	}
}

// reduceGeneric is reduce lane by lane.
func reduceGeneric(first uint64, xs []float32, b *sim.Block, h *sim.Histogram) {
	for i, x := range xs {
		b.Add(first+uint64(i), x)
		h.Add(x)
	}
}
