//go:build goexperiment.simd && amd64

package cpu

import (
	"math"

	"github.com/gpusim/gpusim/sim"
)

// reduceArch is reduceGeneric on 16 lanes per iteration with AVX-512, 8
// with AVX2, and reports whether it ran. Everything but the moments is
// exact and does not depend on order: the digest terms are sim.DigestTerm
// in 64-bit lanes summed mod 2^64; the extremes are kept as
// order-preserving integers (float bits with the magnitude flipped when
// negative, so -0 < +0 as Go's min and max have it); histogram bins are
// sim.Histogram.Bin in float32 lanes. The moments' float64 sums must be
// added in lane order to keep their bits: the terms d = float64(x) - Shift
// and d*d (rounded, as sim.Block.Add has them) are vector work, and the
// sums run as one chain of (S1, S2) pairs, lane by lane. The loops are
// assembly (reduce16 in reduce_amd64.s, reduce8 in reduce_avx2_amd64.s):
// Go keeps 512-bit values in 15 registers and spilled half of them, each
// count took a bounds check, and archsimd has no 64-bit multiply on AVX2.
// A group with a NaN goes lane by lane.
func reduceArch(first uint64, xs []float32, b *sim.Block, h *sim.Histogram) bool {
	kernel, w := reduce16, 16
	switch {
	case useAVX512:
	case useAVX2:
		kernel, w = reduce8, 8
	default:
		return false
	}
	n := len(xs) &^ (w - 1)
	st := newReduceState(first, b, h)
	for i := 0; i < n; {
		g := kernel(&xs[i], (n-i)/w, &st, &h.Bins[0])
		st.n += uint64(w * g)
		i += w * g
		if i == n {
			break
		}
		// A group with a NaN: lane by lane, then on past it.
		st.flush(b)
		reduceGeneric(first+uint64(i), xs[i:i+w], b, h)
		st.sums = [2]float64{b.S1, b.S2}
		for k := range st.lanes {
			st.lanes[k] += uint64(w)
		}
		i += w
	}
	st.flush(b)
	for i := range st.digest {
		b.Digest += st.digest[i]
	}
	for i := range st.minv {
		b.Min = min(b.Min, unordered(st.minv[i]))
		b.Max = max(b.Max, unordered(st.maxv[i]))
	}
	reduceGeneric(first+uint64(n), xs[n:], b, h)
	return true
}

// reduce16 reduces up to groups groups of 16 finals from xs into st and
// counts (the histogram's bins, underflow and overflow included), stopping
// before the first group with a NaN, and returns the number of groups it
// reduced. It leaves st.n to the caller. AVX-512, in assembly:
// reduce_amd64.s.
//
//go:noescape
func reduce16(xs *float32, groups int, st *reduceState, counts *uint64) int

// reduce8 is reduce16 on groups of 8 finals with AVX2, in assembly:
// reduce_avx2_amd64.s. It uses the first 4 digest and 8 extreme entries
// of st.
//
//go:noescape
func reduce8(xs *float32, groups int, st *reduceState, counts *uint64) int

// reduceState is a reduction in flight between calls of reduce16: the next
// lanes' digest keys, the digest, the extremes, the sums, and the block's
// and histogram's constants. reduce_amd64.s reads it by offset
// (TestReduceStateLayout).
type reduceState struct {
	lanes      [8]uint64 // lane + 0x9e3779b97f4a7c15 of the next 8 lanes
	digest     [8]uint64
	minv, maxv [16]int32
	sums       [2]float64 // S1, S2
	shift      float64    // the block's Shift
	lo, scale  float32    // the histogram's Lo and Scale
	top        float32    // the bins between the edges, as a float
	overflow   int32      // the overflow bin's index
	n          uint64     // lanes in sums not yet in the block's count
}

func newReduceState(first uint64, b *sim.Block, h *sim.Histogram) reduceState {
	nb := len(h.Bins) - 2
	st := reduceState{sums: [2]float64{b.S1, b.S2}, shift: b.Shift,
		lo: h.Lo, scale: h.Scale, top: float32(nb), overflow: int32(nb + 1)}
	for i := range st.lanes {
		st.lanes[i] = first + uint64(i) + 0x9e3779b97f4a7c15
	}
	for i := range st.minv {
		st.minv[i], st.maxv[i] = ordered(float32(math.Inf(1))), ordered(float32(math.Inf(-1)))
	}
	return st
}

// flush moves the sums and count into b.
func (st *reduceState) flush(b *sim.Block) {
	b.S1, b.S2 = st.sums[0], st.sums[1]
	b.N += st.n
	st.n = 0
}

// ordered maps a float's bits to an int32 with the same order (for non-NaN
// floats, -0 below +0); unordered is its inverse.
func ordered(x float32) int32 {
	u := math.Float32bits(x)
	return int32(u ^ uint32(int32(u)>>31)>>1)
}

func unordered(o int32) float32 {
	return math.Float32frombits(uint32(o) ^ uint32(o>>31)>>1)
}
