//go:build goexperiment.simd && amd64

package cpu

import (
	"math"
	"simd/archsimd"

	"github.com/gpusim/gpusim/sim"
)

// reduceArch is reduceGeneric on 16 lanes per instruction with AVX-512, and
// reports whether it ran. Everything but the moments is exact and does not
// depend on order: the digest terms are sim.DigestTerm in 64-bit lanes
// (VPMULLQ) summed mod 2^64; the extremes are kept as order-preserving
// integers (float bits with the magnitude flipped when negative, so -0 <
// +0 as Go's min and max have it); histogram bins are sim.Histogram.Bin in
// float32 lanes. The moments' float64 sums must be added in lane order to
// keep their bits: the terms d = float64(x) - Shift and d*d (rounded, as
// sim.Block.Add has them) are vector work, and the sums run as one chain of
// (S1, S2) pairs, lane by lane, in the low half of a 256-bit register (Go
// moves 128-bit vectors with legacy SSE instructions). The chain is VEX
// code like the rest, so it overlaps with the vector work: a legacy SSE
// instruction after AVX-512 code costs hundreds of cycles (see
// simd_amd64.go). A group of 16 lanes with a NaN goes lane by lane. AVX2
// has no 64-bit multiply, so the AVX2 path keeps reduceGeneric.
func reduceArch(first uint64, xs []float32, b *sim.Block, h *sim.Histogram) bool {
	if !useAVX512 {
		return false
	}
	n := len(xs) &^ 15
	st := newReduceState(first, b, h)
	for i := 0; i < n; {
		i += st.vector(xs[i:n], h.Bins)
		if i == n {
			break
		}
		// A group with a NaN: lane by lane, then on past it.
		st.flush(b)
		reduceGeneric(first+uint64(i), xs[i:i+16], b, h)
		st.sums = [4]float64{b.S1, b.S2}
		for k := range st.lanes {
			st.lanes[k] += 16
		}
		i += 16
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

// reduceState is a reduction in flight, kept in memory between calls of
// vector: the next lanes' digest keys, the digest, the extremes, the sums.
type reduceState struct {
	lanes      [8]uint64 // lane + 0x9e3779b97f4a7c15 of the next 8 lanes
	digest     [8]uint64
	minv, maxv [16]int32
	sums       [4]float64 // S1, S2 and two lanes of padding
	n          uint64     // lanes in sums not yet in the block's count
	// The histogram's and block's constants across lanes, loaded at each
	// use: kept in registers they would spill.
	lo, scale, top [16]float32 // top: the bins between the edges
	overflow, one  [16]int32
	shift          [8]float64
}

func newReduceState(first uint64, b *sim.Block, h *sim.Histogram) *reduceState {
	nb := len(h.Bins) - 2
	st := &reduceState{sums: [4]float64{b.S1, b.S2}}
	for i := range st.lanes {
		st.lanes[i] = first + uint64(i) + 0x9e3779b97f4a7c15
		st.shift[i] = b.Shift
	}
	for i := range st.lo {
		st.lo[i], st.scale[i], st.top[i] = h.Lo, h.Scale, float32(nb)
		st.overflow[i], st.one[i] = int32(nb+1), 1
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

// vector reduces the groups of 16 lanes of xs into st and counts, up to the
// first group with a NaN, and returns the number of lanes it reduced.
func (st *reduceState) vector(xs []float32, counts []uint64) int {
	lanes := archsimd.LoadUint64x8(&st.lanes)
	digest := archsimd.LoadUint64x8(&st.digest)
	minv, maxv := archsimd.LoadInt32x16(&st.minv), archsimd.LoadInt32x16(&st.maxv)
	sums := archsimd.LoadFloat64x4(&st.sums)
	var bins [16]int32
	var pairs [64]float64 // d, d*d of lane j at 4j (and again at 4j+2)
	i := 0
	for ; i+16 <= len(xs); i += 16 {
		x := archsimd.LoadFloat32x16((*[16]float32)(xs[i : i+16]))
		if x.IsNaN().ToBits() != 0 {
			break
		}
		u := x.AsUint32x16()
		t0 := mix64(mix64(lanes).Xor(u.GetLo().ExtendToUint64()))
		t1 := mix64(mix64(lanes.Add(archsimd.LoadUint64x8(&rc.eight))).Xor(u.GetHi().ExtendToUint64()))
		digest = digest.Add(t0).Add(t1)
		lanes = lanes.Add(archsimd.LoadUint64x8(&rc.sixteen))

		o := u.Xor(u.AsInt32x16().ShiftAllRight(31).AsUint32x16().And(archsimd.LoadUint32x16(&rc.magnitude))).AsInt32x16()
		minv, maxv = minv.Min(o), maxv.Max(o)

		f := x.Sub(archsimd.LoadFloat32x16(&st.lo)).Mul(archsimd.LoadFloat32x16(&st.scale))
		bin := f.ConvertToInt32().Add(archsimd.LoadInt32x16(&st.one))
		bin = bin.Merge(archsimd.LoadInt32x16(&st.overflow), f.Less(archsimd.LoadFloat32x16(&st.top)))
		var zero archsimd.Float32x16
		bin.Masked(f.GreaterEqual(zero)).Store(&bins)

		dl := x.GetLo().ConvertToFloat64().Sub(archsimd.LoadFloat64x8(&st.shift))
		dh := x.GetHi().ConvertToFloat64().Sub(archsimd.LoadFloat64x8(&st.shift))
		ddl, ddh := dl.Mul(dl), dh.Mul(dh)
		// Each lane's pair is loaded from within one store: a load that
		// spans two stores waits for both to retire instead of taking
		// its bytes from the store buffer.
		for k := range 4 {
			idx := archsimd.LoadUint64x8(&rc.pairs[k])
			dl.ConcatPermute(ddl, idx).Store((*[8]float64)(pairs[8*k : 8*k+8]))
			dh.ConcatPermute(ddh, idx).Store((*[8]float64)(pairs[32+8*k : 32+8*k+8]))
		}
		for j := range 16 {
			sums = sums.Add(archsimd.LoadFloat64x4((*[4]float64)(pairs[4*j : 4*j+4])))
			counts[bins[j]]++
		}
	}
	lanes.Store(&st.lanes)
	digest.Store(&st.digest)
	minv.Store(&st.minv)
	maxv.Store(&st.maxv)
	sums.Store(&st.sums)
	st.n += uint64(i)
	archsimd.ClearAVXUpperBits()
	return i
}

// rc holds reduceArch's vector constants.
var rc = struct {
	sh30, sh27, sh31, mix1, mix2, eight, sixteen [8]uint64
	pairs                                        [4][8]uint64 // ConcatPermute indices: d and d*d of two lanes, each twice
	magnitude                                    [16]uint32
}{
	sh30: rep64(30), sh27: rep64(27), sh31: rep64(31),
	mix1: rep64(0xbf58476d1ce4e5b9), mix2: rep64(0x94d049bb133111eb),
	eight: rep64(8), sixteen: rep64(16),
	pairs:     [4][8]uint64{{0, 8, 0, 8, 1, 9, 1, 9}, {2, 10, 2, 10, 3, 11, 3, 11}, {4, 12, 4, 12, 5, 13, 5, 13}, {6, 14, 6, 14, 7, 15, 7, 15}},
	magnitude: rep(0x7fffffff),
}

func rep64(x uint64) (r [8]uint64) {
	for i := range r {
		r[i] = x
	}
	return r
}

// mix64 is sim.Mix64 on 8 lanes. Its shifts take their counts from vectors
// (VPSRLVQ): see simd_amd64.go on ShiftAllRight.
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
