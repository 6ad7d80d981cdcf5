//go:build goexperiment.simd && amd64

package cpu

import (
	"math"
	"simd/archsimd"

	"github.com/gpusim/gpusim/sim"
)

// reduceGroup is how many lanes reduceArch hands from its vector part to its
// scalar part at a time: their terms stay in L1.
const reduceGroup = 256

// reduceArch is reduceGeneric on 16 lanes per instruction with AVX-512, and
// reports whether it ran. Everything but the moments is exact and does not
// depend on order: the digest terms are sim.DigestTerm in 64-bit lanes
// (VPMULLQ) summed mod 2^64; the extremes are kept as order-preserving
// integers (float bits with the magnitude flipped when negative, so -0 <
// +0 as Go's min and max have it); histogram bins are sim.Histogram.Bin in
// float32 lanes. The moments' float64 sums must be added in lane order to
// keep their bits, so only their terms d = float64(x) - Shift are vector
// work; the sums, like the bin counts, run in a scalar loop as in
// sim.Block.Add, after the vector registers' upper halves are cleared (SSE
// code after AVX-512 code is slow otherwise). Groups of 16 lanes with a NaN
// go lane by lane. The chain of two dependent float64 additions per lane
// (a few cycles of latency each) is the floor of this reduction. AVX2 has
// no 64-bit multiply, so the AVX2 path keeps reduceGeneric.
func reduceArch(first uint64, xs []float32, b *sim.Block, h *sim.Histogram) bool {
	if !useAVX512 {
		return false
	}
	n := len(xs) &^ 15
	st := newReduceState(first, b, h)
	var d [reduceGroup]float64
	var bins [reduceGroup]int32
	for i := 0; i < n; i += reduceGroup {
		k := min(reduceGroup, n-i)
		nan := st.vector(xs[i:i+k], d[:k], bins[:k])
		for g := 0; g < k; g += 16 {
			if nan&(1<<(g>>4)) != 0 {
				reduceGeneric(first+uint64(i+g), xs[i+g:i+g+16], b, h)
				continue
			}
			// The next groups up to a NaN group or the end, in one chain.
			e := g + 16
			for e < k && nan&(1<<(e>>4)) == 0 {
				e += 16
			}
			b.S1, b.S2 = moments(b.S1, b.S2, d[g:e], bins[g:e], h.Bins)
			b.N += uint64(e - g)
			g = e - 16
		}
	}
	st.fold(b)
	reduceGeneric(first+uint64(n), xs[n:], b, h)
	return true
}

// moments adds the terms d and their squares to the sums s1 and s2 in
// order, as sim.Block.Add does, and counts the bins.
func moments(s1, s2 float64, d []float64, bins []int32, counts []uint64) (float64, float64) {
	bins = bins[:len(d)]
	for j, dj := range d {
		s1 += dj
		s2 += float64(dj * dj) // rounded, never fused: as sim.Block.Add
		counts[bins[j]]++
	}
	return s1, s2
}

// reduceState is the exact part of a reduction in flight, kept in memory
// between groups: the next lanes' digest keys, the digest, the extremes.
type reduceState struct {
	lanes      [8]uint64 // lane + 0x9e3779b97f4a7c15 of the next 8 lanes
	digest     [8]uint64
	minv, maxv [16]int32
	shift      float64
	lo, scale  float32
	top        float32 // histogram bins between the edges
	bins       int
}

func newReduceState(first uint64, b *sim.Block, h *sim.Histogram) *reduceState {
	nb := len(h.Bins) - 2
	st := &reduceState{shift: b.Shift, lo: h.Lo, scale: h.Scale, top: float32(nb), bins: nb}
	for i := range st.lanes {
		st.lanes[i] = first + uint64(i) + 0x9e3779b97f4a7c15
	}
	for i := range st.minv {
		st.minv[i], st.maxv[i] = ordered(float32(math.Inf(1))), ordered(float32(math.Inf(-1)))
	}
	return st
}

// vector adds the digest terms and extremes of xs (a multiple of 16 lanes,
// at most 256) to st, and writes each lane's moment term into d and its bin
// into bins; the groups of 16 lanes with a NaN are left out and returned
// as bits.
func (st *reduceState) vector(xs []float32, d []float64, bins []int32) (nan uint16) {
	lanes := archsimd.LoadUint64x8(&st.lanes)
	digest := archsimd.LoadUint64x8(&st.digest)
	minv, maxv := archsimd.LoadInt32x16(&st.minv), archsimd.LoadInt32x16(&st.maxv)
	shift := archsimd.BroadcastFloat64x8(st.shift)
	lo, scale := archsimd.BroadcastFloat32x16(st.lo), archsimd.BroadcastFloat32x16(st.scale)
	top := archsimd.BroadcastFloat32x16(st.top)
	overflow, one := archsimd.BroadcastInt32x16(int32(st.bins+1)), archsimd.BroadcastInt32x16(1)
	var zero archsimd.Float32x16
	for i := 0; i+16 <= len(xs); i += 16 {
		x := archsimd.LoadFloat32x16((*[16]float32)(xs[i : i+16]))
		next := lanes.Add(archsimd.BroadcastUint64x8(16))
		if x.IsNaN().ToBits() != 0 {
			nan |= 1 << (i >> 4)
			lanes = next
			continue
		}
		u := x.AsUint32x16()
		t0 := mix64(mix64(lanes).Xor(u.GetLo().ExtendToUint64()))
		t1 := mix64(mix64(lanes.Add(archsimd.BroadcastUint64x8(8))).Xor(u.GetHi().ExtendToUint64()))
		digest = digest.Add(t0).Add(t1)
		lanes = next

		o := u.Xor(u.AsInt32x16().ShiftAllRight(31).AsUint32x16().And(archsimd.LoadUint32x16(&rc.magnitude))).AsInt32x16()
		minv, maxv = minv.Min(o), maxv.Max(o)

		f := x.Sub(lo).Mul(scale)
		bin := f.ConvertToInt32().Add(one).Merge(overflow, f.Less(top)).Masked(f.GreaterEqual(zero))
		bin.Store((*[16]int32)(bins[i : i+16]))
		x.GetLo().ConvertToFloat64().Sub(shift).Store((*[8]float64)(d[i : i+8]))
		x.GetHi().ConvertToFloat64().Sub(shift).Store((*[8]float64)(d[i+8 : i+16]))
	}
	lanes.Store(&st.lanes)
	digest.Store(&st.digest)
	minv.Store(&st.minv)
	maxv.Store(&st.maxv)
	archsimd.ClearAVXUpperBits()
	return nan
}

// fold adds st's digest and extremes to b.
func (st *reduceState) fold(b *sim.Block) {
	for i := range st.digest {
		b.Digest += st.digest[i]
	}
	for i := range st.minv {
		b.Min = min(b.Min, unordered(st.minv[i]))
		b.Max = max(b.Max, unordered(st.maxv[i]))
	}
}

// rc holds reduceArch's vector constants.
var rc = struct {
	sh30, sh27, sh31, mix1, mix2 [8]uint64
	magnitude                    [16]uint32
}{
	sh30: rep64(30), sh27: rep64(27), sh31: rep64(31),
	mix1: rep64(0xbf58476d1ce4e5b9), mix2: rep64(0x94d049bb133111eb),
	magnitude: rep(0x7fffffff),
}

func rep64(x uint64) (r [8]uint64) {
	for i := range r {
		r[i] = x
	}
	return r
}

// mix64 is sim.Mix64 on 8 lanes. Its shifts take their counts from vectors
// (VPSRLQ by a vector): Go 1.26.8 compiles ShiftAllRight on unsigned lanes
// with the count moved into an XMM register by a legacy SSE MOVQ, and an SSE
// instruction among AVX-512 code costs hundreds of cycles on the Xeons
// measured (see simd_amd64.go).
func mix64(x archsimd.Uint64x8) archsimd.Uint64x8 {
	x = x.Xor(x.ShiftRight(archsimd.LoadUint64x8(&rc.sh30))).Mul(archsimd.LoadUint64x8(&rc.mix1))
	x = x.Xor(x.ShiftRight(archsimd.LoadUint64x8(&rc.sh27))).Mul(archsimd.LoadUint64x8(&rc.mix2))
	return x.Xor(x.ShiftRight(archsimd.LoadUint64x8(&rc.sh31)))
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
