//go:build goexperiment.simd && amd64

package cpu

import (
	"simd/archsimd"
	"sync/atomic"

	"github.com/gpusim/gpusim/sim"
)

// batchAVX512 implements the loop of sim.Model.Final (Model.Path too, when
// path is not nil) on 16 lanes per instruction with AVX-512.
func batchAVX512(m *sim.Model, first uint64, out, path []float32, stop *atomic.Bool) {
	n := len(out)
	ks := newKeySchedule(m.Key)
	pp := archsimd.BroadcastFloat32x16(m.P)
	c := archsimd.BroadcastFloat32x16(m.C)
	sigma := archsimd.BroadcastFloat32x16(m.Sigma)
	for g := 0; g < n; g += 16 {
		var lo, hi [16]uint32
		for j := range lo {
			lane := first + uint64(g+j)
			lo[j], hi[j] = uint32(lane), uint32(lane>>32)
		}
		lov, hiv := archsimd.LoadUint32x16(&lo), archsimd.LoadUint32x16(&hi)
		t := archsimd.BroadcastFloat32x16(m.Start)
		for s := 0; s < m.Steps; s += 4 {
			if s%checkSteps == 0 && stop.Load() {
				archsimd.ClearAVXUpperBits()
				return
			}
			w0, w1, w2, w3 := philox16(uint32(s>>2), lov, hiv, ks)
			r0, r1 := radius16(w0, w2)
			s0, c0, s1, c1 := sinCos16(w1, w3)
			z0, z1, z2, z3 := r0.Mul(c0), r0.Mul(s0), r1.Mul(c1), r1.Mul(s1)
			if s+4 <= m.Steps && path == nil {
				t = pp.Mul(t).Add(c).Add(sigma.Mul(z0))
				t = pp.Mul(t).Add(c).Add(sigma.Mul(z1))
				t = pp.Mul(t).Add(c).Add(sigma.Mul(z2))
				t = pp.Mul(t).Add(c).Add(sigma.Mul(z3))
				continue
			}
			for q := 0; q < 4 && s+q < m.Steps; q++ {
				z := [4]archsimd.Float32x16{z0, z1, z2, z3}[q] // a partial block or a path: not the hot loop
				t = pp.Mul(t).Add(c).Add(sigma.Mul(z))
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
// rng.LogArg's masks, rng.LogPoly and the root.
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
