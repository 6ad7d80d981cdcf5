//go:build goexperiment.simd && amd64

package cpu

import (
	"simd/archsimd"
	"sync/atomic"

	"github.com/gpusim/gpusim/sim"
)

// batchAVX512 implements the loop of sim.Model.Final (Model.PathFrom too, when
// path is not nil) on 16 lanes per instruction with AVX-512. It runs two
// groups of 16 lanes at a time, their blocks' calls one after the other:
// the log polynomial is a chain of dependent multiply-adds (Horner's order,
// which the digests fix), and the second group's chain fills the first's
// latency. The lanes past the last pair run one group at a time. With a
// path (--daily) the pairs ran one group at a time too, on the Go radius
// and sine: on the 512-bit path 1.02 s for --daily 5M x 100 on 2 cores,
// 3.1 times the run without it, where pocl's --daily took 0.72 s.
func batchAVX512(m *sim.Model, first uint64, s0, s1 int, out, path []float32, stop *atomic.Bool) {
	n := len(out)
	ks := newKeySchedule(m.Key)
	st := step16{archsimd.BroadcastFloat32x16(m.P), archsimd.BroadcastFloat32x16(m.C), archsimd.BroadcastFloat32x16(m.Sigma)}
	g := 0
	for ; g+2*16 <= n; g += 2 * 16 {
		if !pair16(m, st, ks, first+uint64(g), s0, s1, out[g:g+2*16], path, n, g, stop) {
			archsimd.ClearAVXUpperBits()
			return
		}
	}
	for ; g < n; g += 16 {
		lov, hiv := lanes16(first + uint64(g))
		t := archsimd.BroadcastFloat32x16(m.Start)
		if s0 > 0 {
			t = load16(out[g:])
		}
		for s := s0; s < s1; s += 4 {
			if (s-s0)%checkSteps == 0 && stop.Load() {
				archsimd.ClearAVXUpperBits()
				return
			}
			w0, w1, w2, w3 := philox16(uint32(s>>2), lov, hiv, ks)
			r0, r1 := radius16(w0, w2)
			sn0, c0, sn1, c1 := sinCos16(w1, w3)
			z := [4]archsimd.Float32x16{r0.Mul(c0), r0.Mul(sn0), r1.Mul(c1), r1.Mul(sn1)} // the tail or a path: not the hot loop
			for q := 0; q < 4 && s+q < s1; q++ {
				t = st.step(t, z[q])
				if path != nil {
					r := s + q - s0
					store16(t, path[r*n+g:(r+1)*n])
				}
			}
		}
		store16(t, out[g:])
	}
	// The scalar code that follows runs without SSE transition penalties.
	archsimd.ClearAVXUpperBits()
}

// step16 is sim.Model.Step on 16 lanes: p*t + c + sigma*z, four roundings.
type step16 struct{ p, c, sigma archsimd.Float32x16 }

func (st step16) step(t, z archsimd.Float32x16) archsimd.Float32x16 {
	return st.p.Mul(t).Add(st.c).Add(st.sigma.Mul(z))
}

// stepRow steps a pair's two groups of lanes, ta by za and tb by zb, and
// stores them in row's first 2*16 lanes (pair16's row of path).
func (st step16) stepRow(ta, tb, za, zb archsimd.Float32x16, row []float32) (archsimd.Float32x16, archsimd.Float32x16) {
	ta, tb = st.step(ta, za), st.step(tb, zb)
	ta.StoreSlice(row[:16])
	tb.StoreSlice(row[16 : 2*16])
	return ta, tb
}

// lanes16 returns the low and high words of the 16 lanes from first.
func lanes16(first uint64) (lov, hiv archsimd.Uint32x16) {
	var lo, hi [16]uint32
	laneWords16(first, &lo, &hi)
	return archsimd.LoadUint32x16(&lo), archsimd.LoadUint32x16(&hi)
}

// laneWords16 writes the low and high words of the 16 lanes from first.
func laneWords16(first uint64, lo, hi *[16]uint32) {
	for j := range lo {
		lane := first + uint64(j)
		lo[j], hi[j] = uint32(lane), uint32(lane>>32)
	}
}

// pair16 runs the 2*16 lanes from first through steps [s0, s1) of m into
// out, two groups of 16 lanes (a and b) interleaved block by block, and,
// where path is not nil, each step's temperatures into its row of path
// (step s's row at path[(s-s0)*stride:], the pair's lanes from column
// col); false when stop was set. The lanes start from m.Start where s0 is
// 0, else from their temperatures in out; s0 is a multiple of 4.
func pair16(m *sim.Model, st step16, ks *keySchedule, first uint64, s0, s1 int, out, path []float32, stride, col int, stop *atomic.Bool) bool {
	var ctr [4][16]uint32   // the counters' low and high words: a's, b's
	var words [8][16]uint32 // philoxPair16's scratch
	laneWords16(first, &ctr[0], &ctr[1])
	laneWords16(first+16, &ctr[2], &ctr[3])
	ta := archsimd.BroadcastFloat32x16(m.Start)
	tb := ta
	if s0 > 0 {
		ta, tb = load16(out[:16]), load16(out[16:])
	}
	for s := s0; s < s1; s += 4 {
		if (s-s0)%checkSteps == 0 && stop.Load() {
			return false
		}
		za0, za1, za2, za3, zb0, zb1, zb2, zb3 := normalsPair16(uint32(s>>2), &ctr, ks, &words)
		if s+4 <= s1 && path == nil {
			ta = st.step(st.step(st.step(st.step(ta, za0), za1), za2), za3)
			tb = st.step(st.step(st.step(st.step(tb, zb0), zb1), zb2), zb3)
			continue
		}
		if s+4 <= s1 {
			// Each step's temperatures into its row (--daily).
			// Unrolled: a loop over the block's normals (below) took
			// 1.06x the time (medians of 9, interleaved).
			row := path[(s-s0)*stride+col:]
			ta, tb = st.stepRow(ta, tb, za0, zb0, row)
			ta, tb = st.stepRow(ta, tb, za1, zb1, row[stride:])
			ta, tb = st.stepRow(ta, tb, za2, zb2, row[2*stride:])
			ta, tb = st.stepRow(ta, tb, za3, zb3, row[3*stride:])
			continue
		}
		za, zb := [4]archsimd.Float32x16{za0, za1, za2, za3}, [4]archsimd.Float32x16{zb0, zb1, zb2, zb3}
		for q := 0; s+q < s1; q++ { // a partial block: not the hot loop
			if path != nil {
				ta, tb = st.stepRow(ta, tb, za[q], zb[q], path[(s+q-s0)*stride+col:])
				continue
			}
			ta, tb = st.step(ta, za[q]), st.step(tb, zb[q])
		}
	}
	ta.StoreSlice(out[:16])
	tb.StoreSlice(out[16:])
	return true
}

// load16 loads the lanes of src that fit in a vector, the rest 0: store16's
// inverse, without LoadSlicePart for the same reason.
func load16(src []float32) archsimd.Float32x16 {
	if len(src) >= 16 {
		return archsimd.LoadFloat32x16((*[16]float32)(src))
	}
	var buf [16]float32
	copy(buf[:], src)
	return archsimd.LoadFloat32x16(&buf)
}

// store16 stores the lanes of t that fit in dst. It does not use
// StoreSlicePart: with -race, checkptr rejects archsimd's cast of a short
// slice to *[16]float32 (Go 1.26.8).
func store16(t archsimd.Float32x16, dst []float32) {
	if len(dst) >= 16 {
		t.StoreSlice(dst)
		return
	}
	var buf [16]float32
	t.Store(&buf)
	copy(dst, buf[:])
}

// radius16 is rng.Radius of the words in wa and of those in wb: rng.Half33,
// rng.LogArg's masks, rng.LogPoly and the root. It and sinCos16 take two
// vectors and interleave their chains line by line on purpose: one vector
// a call, called twice, measured 2% slower here and 10% slower in the
// generated AVX2 path (the calls are not inlined). The 512-bit kernel
// runs assembly that mirrors this function and the next operation for
// operation (normals16x2 in normals_amd64.s): the Go code is what the
// 256-bit path is generated from, and the text the assembly follows.
//
// Live vectors are what costs here: Go 1.26 keeps every 512-bit value
// that is loaded, stored or passed in Z0-Z14 (its VMOVDQU64 load and store
// take the fp register class; Z15 is ABIInternal's zero), not the 32
// registers AVX-512 has, and spills the rest. The selections are blends
// under compare masks, which live in K registers: with the earlier
// (a^b)&m^a bit selects this path was 1.05x slower (median of paired
// runs of BenchmarkBatchKernel). In the generated AVX2 path (VPBLENDVB, 3
// uops on this CPU, masks in vectors) the blends measured 1.02x slower than
// the bit selects, within the noise.
func radius16(wa, wb archsimd.Uint32x16) (ra, rb archsimd.Float32x16) {
	// Half33 of w, or of ^w when w >= 2^31 (upper): g is u or 1-u.
	one := archsimd.LoadUint32x16(&vc.one)
	uppera := wa.AsInt32x16().ShiftAllRight(31).AsUint32x16()
	upperb := wb.AsInt32x16().ShiftAllRight(31).AsUint32x16()
	qa := wa.Xor(uppera).ShiftAllLeft(1).Or(one)
	qb := wb.Xor(upperb).ShiftAllLeft(1).Or(one)
	byteMask := archsimd.LoadUint32x16(&vc.byteMask)
	f256 := archsimd.LoadFloat32x16(&vc.f256)
	f2m33 := archsimd.LoadFloat32x16(&vc.f2m33)
	ga := qa.ShiftRight(archsimd.LoadUint32x16(&vc.sh8)).AsInt32x16().ConvertToFloat32().Mul(f256).Add(qa.And(byteMask).AsInt32x16().ConvertToFloat32()).Mul(f2m33)
	gb := qb.ShiftRight(archsimd.LoadUint32x16(&vc.sh8)).AsInt32x16().ConvertToFloat32().Mul(f256).Add(qb.And(byteMask).AsInt32x16().ConvertToFloat32()).Mul(f2m33)
	gba, gbb := ga.AsUint32x16(), gb.AsUint32x16()

	// u = g: m in [0.5, 1), x = 2m-1 or m-1, and the exponent. The
	// selections are blends under masks from compares of the positive
	// words as signed integers.
	f1 := archsimd.LoadFloat32x16(&vc.f1)
	mant := archsimd.LoadUint32x16(&vc.mant)
	half := archsimd.LoadUint32x16(&vc.half)
	mba := gba.And(mant).Or(half)
	mbb := gbb.And(mant).Or(half)
	ma, mb := mba.AsFloat32x16(), mbb.AsFloat32x16()
	sqrtHalf := archsimd.LoadUint32x16(&vc.sqrtHalf).AsInt32x16()
	smalla := mba.AsInt32x16().Less(sqrtHalf)
	smallb := mbb.AsInt32x16().Less(sqrtHalf)
	xla := ma.Add(ma).Sub(f1).Merge(ma.Sub(f1), smalla)
	xlb := mb.Add(mb).Sub(f1).Merge(mb.Sub(f1), smallb)
	bias := archsimd.LoadUint32x16(&vc.bias)
	ela := gba.ShiftRight(archsimd.LoadUint32x16(&vc.sh23)).Sub(bias)
	elb := gbb.ShiftRight(archsimd.LoadUint32x16(&vc.sh23)).Sub(bias)
	ela = ela.Sub(one).Merge(ela, smalla)
	elb = elb.Sub(one).Merge(elb, smallb)

	// u = 1-g: x = -g with e = 0 when g <= 1-sqrt(1/2) (near), else x = 1-2g
	// with e = -1.
	nearBits := archsimd.LoadUint32x16(&vc.nearBits).AsInt32x16()
	neara := gba.AsInt32x16().Less(nearBits)
	nearb := gbb.AsInt32x16().Less(nearBits)
	sign := archsimd.LoadUint32x16(&vc.sign)
	xua := gba.Or(sign).AsFloat32x16().Merge(f1.Sub(ga.Add(ga)), neara)
	xub := gbb.Or(sign).AsFloat32x16().Merge(f1.Sub(gb.Add(gb)), nearb)
	var zero archsimd.Uint32x16
	ones := archsimd.LoadUint32x16(&vc.ones)
	eua := zero.Merge(ones, neara)
	eub := zero.Merge(ones, nearb)

	upa, upb := uppera.AsInt32x16().Less(zero.AsInt32x16()), upperb.AsInt32x16().Less(zero.AsInt32x16())
	xa := xua.Merge(xla, upa)
	xb := xub.Merge(xlb, upb)
	ea := eua.Merge(ela, upa).AsInt32x16().ConvertToFloat32()
	eb := eub.Merge(elb, upb).AsInt32x16().ConvertToFloat32()

	// LogPoly, then sqrt(-2 ln u).
	za, zb := xa.Mul(xa), xb.Mul(xb)
	pa := archsimd.LoadFloat32x16(&vc.logP[0])
	pb := pa
	for i := 1; i < len(vc.logP); i++ {
		pa = pa.Mul(xa).Add(archsimd.LoadFloat32x16(&vc.logP[i]))
		pb = pb.Mul(xb).Add(archsimd.LoadFloat32x16(&vc.logP[i]))
	}
	ya := pa.Mul(xa).Mul(za)
	yb := pb.Mul(xb).Mul(zb)
	logQ1 := archsimd.LoadFloat32x16(&vc.logQ1)
	ya = ya.Add(logQ1.Mul(ea))
	yb = yb.Add(logQ1.Mul(eb))
	fHalf := archsimd.LoadFloat32x16(&vc.fHalf)
	ya = ya.Sub(fHalf.Mul(za))
	yb = yb.Sub(fHalf.Mul(zb))
	logQ2 := archsimd.LoadFloat32x16(&vc.logQ2)
	la := xa.Add(ya).Add(logQ2.Mul(ea))
	lb := xb.Add(yb).Add(logQ2.Mul(eb))
	fm2 := archsimd.LoadFloat32x16(&vc.fm2)
	return fm2.Mul(la).Sqrt(), fm2.Mul(lb).Sqrt()
}

// sinCos16 is rng.SinCos of the words in aa and of those in ab:
// rng.AngleArg, rng.SinCosPoly and the octant's reflection, swap and signs
// as blends and masked operations under compare masks.
func sinCos16(aa, ab archsimd.Uint32x16) (sa, ca, sb, cb archsimd.Float32x16) {
	one := archsimd.LoadUint32x16(&vc.one)
	mant := archsimd.LoadUint32x16(&vc.mant)
	oa, ob := aa.ShiftRight(archsimd.LoadUint32x16(&vc.sh29)), ab.ShiftRight(archsimd.LoadUint32x16(&vc.sh29))
	ka := aa.ShiftRight(archsimd.LoadUint32x16(&vc.sh6)).And(mant).ShiftAllLeft(1).Or(one)
	kb := ab.ShiftRight(archsimd.LoadUint32x16(&vc.sh6)).And(mant).ShiftAllLeft(1).Or(one)
	// Odd octants reflect: k = 2^24 - k.
	k24 := archsimd.LoadUint32x16(&vc.k24)
	ka = k24.Sub(ka).Merge(ka, oa.And(one).Equal(one))
	kb = k24.Sub(kb).Merge(kb, ob.And(one).Equal(one))
	psiScale := archsimd.LoadFloat32x16(&vc.psiScale)
	psia := ka.AsInt32x16().ConvertToFloat32().Mul(psiScale)
	psib := kb.AsInt32x16().ConvertToFloat32().Mul(psiScale)

	za, zb := psia.Mul(psia), psib.Mul(psib)
	sa = archsimd.LoadFloat32x16(&vc.sinS[0])
	sb = sa
	sa = sa.Mul(za).Add(archsimd.LoadFloat32x16(&vc.sinS[1]))
	sb = sb.Mul(zb).Add(archsimd.LoadFloat32x16(&vc.sinS[1]))
	sa = sa.Mul(za).Add(archsimd.LoadFloat32x16(&vc.sinS[2]))
	sb = sb.Mul(zb).Add(archsimd.LoadFloat32x16(&vc.sinS[2]))
	sa = sa.Mul(za).Mul(psia).Add(psia)
	sb = sb.Mul(zb).Mul(psib).Add(psib)
	ca = archsimd.LoadFloat32x16(&vc.cosC[0])
	cb = ca
	ca = ca.Mul(za).Add(archsimd.LoadFloat32x16(&vc.cosC[1]))
	cb = cb.Mul(zb).Add(archsimd.LoadFloat32x16(&vc.cosC[1]))
	ca = ca.Mul(za).Add(archsimd.LoadFloat32x16(&vc.cosC[2]))
	cb = cb.Mul(zb).Add(archsimd.LoadFloat32x16(&vc.cosC[2]))
	fHalf := archsimd.LoadFloat32x16(&vc.fHalf)
	f1 := archsimd.LoadFloat32x16(&vc.f1)
	ca = ca.Mul(za).Mul(za).Sub(fHalf.Mul(za)).Add(f1)
	cb = cb.Mul(zb).Mul(zb).Sub(fHalf.Mul(zb)).Add(f1)

	// Octants 1, 2, 5, 6 swap sin and cos; 4..7 negate sin, 2..5 cos.
	two := archsimd.LoadUint32x16(&vc.two)
	swapa, swapb := oa.Add(one).And(two).Equal(two), ob.Add(one).And(two).Equal(two)
	sba, cba := ca.Merge(sa, swapa).AsUint32x16(), sa.Merge(ca, swapa).AsUint32x16()
	sbb, cbb := cb.Merge(sb, swapb).AsUint32x16(), sb.Merge(cb, swapb).AsUint32x16()
	four := archsimd.LoadUint32x16(&vc.four)
	sign := archsimd.LoadUint32x16(&vc.sign)
	sba = sba.Xor(sign).Merge(sba, oa.And(four).Equal(four))
	sbb = sbb.Xor(sign).Merge(sbb, ob.And(four).Equal(four))
	cba = cba.Xor(sign).Merge(cba, oa.Add(two).And(four).Equal(four))
	cbb = cbb.Xor(sign).Merge(cbb, ob.Add(two).And(four).Equal(four))
	return sba.AsFloat32x16(), cba.AsFloat32x16(), sbb.AsFloat32x16(), cbb.AsFloat32x16()
}
