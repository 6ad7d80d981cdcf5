//go:build goexperiment.simd && amd64

package cpu

import (
	"simd/archsimd"
	"sync/atomic"

	"github.com/gpusim/gpusim/sim"
)

// batchAVX512 implements the loop of sim.Model.Final (Model.Path too, when
// path is not nil) on 16 lanes per instruction with AVX-512. Without a path
// it runs two groups of 16 lanes at a time, their blocks' calls one after
// the other: the log polynomial is a chain of dependent multiply-adds
// (Horner's order, which the digests fix), and the second group's chain
// fills the first's latency.
func batchAVX512(m *sim.Model, first uint64, out, path []float32, stop *atomic.Bool) {
	n := len(out)
	ks := newKeySchedule(m.Key)
	st := step16{archsimd.BroadcastFloat32x16(m.P), archsimd.BroadcastFloat32x16(m.C), archsimd.BroadcastFloat32x16(m.Sigma)}
	g := 0
	if path == nil {
		for ; g+2*16 <= n; g += 2 * 16 {
			if !pair16(m, st, ks, first+uint64(g), out[g:g+2*16], stop) {
				archsimd.ClearAVXUpperBits()
				return
			}
		}
	}
	for ; g < n; g += 16 {
		lov, hiv := lanes16(first + uint64(g))
		t := archsimd.BroadcastFloat32x16(m.Start)
		for s := 0; s < m.Steps; s += 4 {
			if s%checkSteps == 0 && stop.Load() {
				archsimd.ClearAVXUpperBits()
				return
			}
			w0, w1, w2, w3 := philox16(uint32(s>>2), lov, hiv, ks)
			r0, r1 := radius16(w0, w2)
			s0, c0, s1, c1 := sinCos16(w1, w3)
			z := [4]archsimd.Float32x16{r0.Mul(c0), r0.Mul(s0), r1.Mul(c1), r1.Mul(s1)} // the tail or a path: not the hot loop
			for q := 0; q < 4 && s+q < m.Steps; q++ {
				t = st.step(t, z[q])
				if path != nil {
					store16(t, path[(s+q)*n+g:(s+q+1)*n])
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

// lanes16 returns the low and high words of the 16 lanes from first.
func lanes16(first uint64) (lov, hiv archsimd.Uint32x16) {
	var lo, hi [16]uint32
	for j := range lo {
		lane := first + uint64(j)
		lo[j], hi[j] = uint32(lane), uint32(lane>>32)
	}
	return archsimd.LoadUint32x16(&lo), archsimd.LoadUint32x16(&hi)
}

// pair16 runs the 2*16 lanes from first through m's steps into out, two
// groups of 16 lanes (a and b) interleaved block by block; false when stop
// was set.
func pair16(m *sim.Model, st step16, ks *keySchedule, first uint64, out []float32, stop *atomic.Bool) bool {
	loa, hia := lanes16(first)
	lob, hib := lanes16(first + 16)
	ta := archsimd.BroadcastFloat32x16(m.Start)
	tb := ta
	for s := 0; s < m.Steps; s += 4 {
		if s%checkSteps == 0 && stop.Load() {
			return false
		}
		a0, a1, a2, a3 := philox16(uint32(s>>2), loa, hia, ks)
		b0, b1, b2, b3 := philox16(uint32(s>>2), lob, hib, ks)
		ra0, ra1 := radius16(a0, a2)
		rb0, rb1 := radius16(b0, b2)
		sa0, ca0, sa1, ca1 := sinCos16(a1, a3)
		sb0, cb0, sb1, cb1 := sinCos16(b1, b3)
		za0, za1, za2, za3 := ra0.Mul(ca0), ra0.Mul(sa0), ra1.Mul(ca1), ra1.Mul(sa1)
		zb0, zb1, zb2, zb3 := rb0.Mul(cb0), rb0.Mul(sb0), rb1.Mul(cb1), rb1.Mul(sb1)
		if s+4 <= m.Steps {
			ta = st.step(st.step(st.step(st.step(ta, za0), za1), za2), za3)
			tb = st.step(st.step(st.step(st.step(tb, zb0), zb1), zb2), zb3)
			continue
		}
		za, zb := [4]archsimd.Float32x16{za0, za1, za2, za3}, [4]archsimd.Float32x16{zb0, zb1, zb2, zb3}
		for q := 0; s+q < m.Steps; q++ { // a partial block: not the hot loop
			ta, tb = st.step(ta, za[q]), st.step(tb, zb[q])
		}
	}
	ta.StoreSlice(out[:16])
	tb.StoreSlice(out[16:])
	return true
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
// generated AVX2 path (the calls are not inlined).
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

	// u = g: m in [0.5, 1), x = 2m-1 or m-1, and the exponent.
	f1 := archsimd.LoadFloat32x16(&vc.f1)
	mant := archsimd.LoadUint32x16(&vc.mant)
	half := archsimd.LoadUint32x16(&vc.half)
	mba := gba.And(mant).Or(half)
	mbb := gbb.And(mant).Or(half)
	ma, mb := mba.AsFloat32x16(), mbb.AsFloat32x16()
	sqrtHalf := archsimd.LoadUint32x16(&vc.sqrtHalf)
	smalla := mba.Sub(sqrtHalf).AsInt32x16().ShiftAllRight(31).AsUint32x16()
	smallb := mbb.Sub(sqrtHalf).AsInt32x16().ShiftAllRight(31).AsUint32x16()
	xla := ma.Add(ma).Sub(f1).AsUint32x16()
	xlb := mb.Add(mb).Sub(f1).AsUint32x16()
	xla = xla.Xor(xla.Xor(ma.Sub(f1).AsUint32x16()).AndNot(smalla))
	xlb = xlb.Xor(xlb.Xor(mb.Sub(f1).AsUint32x16()).AndNot(smallb))
	bias := archsimd.LoadUint32x16(&vc.bias)
	ela := gba.ShiftRight(archsimd.LoadUint32x16(&vc.sh23)).Sub(bias).Add(smalla)
	elb := gbb.ShiftRight(archsimd.LoadUint32x16(&vc.sh23)).Sub(bias).Add(smallb)

	// u = 1-g: x = -g, or 1-2g with e = -1 when g <= 1-sqrt(1/2) (near).
	nearBits := archsimd.LoadUint32x16(&vc.nearBits)
	neara := gba.Sub(nearBits).AsInt32x16().ShiftAllRight(31).AsUint32x16()
	nearb := gbb.Sub(nearBits).AsInt32x16().ShiftAllRight(31).AsUint32x16()
	xua := f1.Sub(ga.Add(ga)).AsUint32x16()
	xub := f1.Sub(gb.Add(gb)).AsUint32x16()
	sign := archsimd.LoadUint32x16(&vc.sign)
	xua = xua.Xor(xua.Xor(gba.Or(sign)).And(neara))
	xub = xub.Xor(xub.Xor(gbb.Or(sign)).And(nearb))
	ones := archsimd.LoadUint32x16(&vc.ones)
	eua := neara.Xor(ones)
	eub := nearb.Xor(ones)

	xa := xla.Xor(xla.Xor(xua).And(uppera)).AsFloat32x16()
	xb := xlb.Xor(xlb.Xor(xub).And(upperb)).AsFloat32x16()
	ea := ela.Xor(ela.Xor(eua).And(uppera)).AsInt32x16().ConvertToFloat32()
	eb := elb.Xor(elb.Xor(eub).And(upperb)).AsInt32x16().ConvertToFloat32()

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
// rng.AngleArg, rng.SinCosPoly and the octant's swap and signs as bit
// operations.
func sinCos16(aa, ab archsimd.Uint32x16) (sa, ca, sb, cb archsimd.Float32x16) {
	var zero archsimd.Uint32x16
	one := archsimd.LoadUint32x16(&vc.one)
	mant := archsimd.LoadUint32x16(&vc.mant)
	oa, ob := aa.ShiftRight(archsimd.LoadUint32x16(&vc.sh29)), ab.ShiftRight(archsimd.LoadUint32x16(&vc.sh29))
	ka := aa.ShiftRight(archsimd.LoadUint32x16(&vc.sh6)).And(mant).ShiftAllLeft(1).Or(one)
	kb := ab.ShiftRight(archsimd.LoadUint32x16(&vc.sh6)).And(mant).ShiftAllLeft(1).Or(one)
	k24 := archsimd.LoadUint32x16(&vc.k24)
	ka = ka.Xor(ka.Xor(k24.Sub(ka)).And(zero.Sub(oa.And(one))))
	kb = kb.Xor(kb.Xor(k24.Sub(kb)).And(zero.Sub(ob.And(one))))
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
	sba, cba := sa.AsUint32x16(), ca.AsUint32x16()
	sbb, cbb := sb.AsUint32x16(), cb.AsUint32x16()
	ta := sba.Xor(cba).And(zero.Sub(oa.Add(one).ShiftRight(archsimd.LoadUint32x16(&vc.sh1)).And(one)))
	tb := sbb.Xor(cbb).And(zero.Sub(ob.Add(one).ShiftRight(archsimd.LoadUint32x16(&vc.sh1)).And(one)))
	sba, cba = sba.Xor(ta), cba.Xor(ta)
	sbb, cbb = sbb.Xor(tb), cbb.Xor(tb)
	four := archsimd.LoadUint32x16(&vc.four)
	two := archsimd.LoadUint32x16(&vc.two)
	sba = sba.Xor(oa.And(four).ShiftAllLeft(29))
	sbb = sbb.Xor(ob.And(four).ShiftAllLeft(29))
	cba = cba.Xor(oa.Add(two).And(four).ShiftAllLeft(29))
	cbb = cbb.Xor(ob.Add(two).And(four).ShiftAllLeft(29))
	return sba.AsFloat32x16(), cba.AsFloat32x16(), sbb.AsFloat32x16(), cbb.AsFloat32x16()
}
