//go:build goexperiment.simd && amd64

package cpu

import (
	"simd/archsimd"
	"sync/atomic"

	"github.com/gpusim/gpusim/rng"
	"github.com/gpusim/gpusim/sim"
)

// The switches of the dispatcher: tests turn them off in turn to run every
// path the CPU has against the reference.
var (
	useAVX512 = archsimd.X86.AVX512()
	useAVX2   = archsimd.X86.AVX2()
)

func archBatch() (batchKernel, bool) {
	switch {
	case useAVX512:
		return batchKernel{"avx512", 16, batchAVX512}, true
	case useAVX2:
		return batchKernel{"avx2", 8, batchAVX2}, true
	}
	return batchKernel{}, false
}

// The vector paths are rng/philox.go and rng/normal.go operation for
// operation: each float32 operation is one rounded vector instruction in the
// same order (never MulAdd, which would fuse), the branchless selects are
// the same bit masks, int32-to-float32 conversions are exact (the values are
// below 2^24), and the vector square root is correctly rounded as
// rng.Radius's is.
//
// The code is written for Go 1.26's compiler: archsimd's methods are
// intrinsics, but every call of a small helper of ours that the compiler
// inlines leaves a nop behind (its inlining mark), so there are no helpers;
// constants come from vc as memory operands, since a broadcast of an
// immediate takes two or three instructions at every use; and the two
// Box-Muller pairs of a Philox block are computed side by side, statement
// by statement, so that their long dependency chains (the log polynomial,
// the square root) overlap. Go allocates 15 vector registers, AVX-512 or
// not, so the AVX2 path has the same shape. Bitwise operations are on unsigned
// vectors on purpose: Go 1.26.8 fuses those on signed vectors into
// VPTERNLOG, and gets x.AndNot(y) backwards there (x.Xor(x.Xor(y).AndNot(z))
// on Int32x16 computes the wrong select).

// vc holds the vector paths' constants, each repeated across 16 lanes; the
// AVX2 path loads the first 8.
var vc = struct {
	one, byteMask, mant, half, sqrtHalf, bias, nearBits, sign, ones, k24, two, four [16]uint32
	m0, m1, m0Even, m1Even, lowEven                                                 [16]uint32
	f256, f2m33, f1, fHalf, fm2, logQ1, logQ2, psiScale                             [16]float32
	logP                                                                            [9][16]float32
	sinS, cosC                                                                      [3][16]float32
}{
	one: rep(1), byteMask: rep(0xff), mant: rep(0x7fffff), half: rep(0x3f000000),
	sqrtHalf: rep(rng.SqrtHalfBits), bias: rep(126), nearBits: rep(rng.OneMinusSqrtHalfBits + 1),
	sign: rep(1 << 31), ones: rep(0xffffffff), k24: rep(1 << 24), two: rep(2), four: rep(4),
	m0: rep(rng.PhiloxM0), m1: rep(rng.PhiloxM1),
	m0Even: repEven(rng.PhiloxM0), m1Even: repEven(rng.PhiloxM1), lowEven: repEven(0xffffffff),
	f256: repf(256), f2m33: repf(0x1p-33), f1: repf(1), fHalf: repf(0.5), fm2: repf(-2),
	logQ1: repf(rng.LogQ1), logQ2: repf(rng.LogQ2), psiScale: repf(rng.PsiScale),
	logP: [9][16]float32{repf(rng.LogP0), repf(rng.LogP1), repf(rng.LogP2), repf(rng.LogP3), repf(rng.LogP4), repf(rng.LogP5), repf(rng.LogP6), repf(rng.LogP7), repf(rng.LogP8)},
	sinS: [3][16]float32{repf(rng.SinS0), repf(rng.SinS1), repf(rng.SinS2)},
	cosC: [3][16]float32{repf(rng.CosC0), repf(rng.CosC1), repf(rng.CosC2)},
}

func rep(x uint32) (r [16]uint32) {
	for i := range r {
		r[i] = x
	}
	return r
}

// repEven is x in every 64-bit lane: in the even 32-bit lanes, zero in the
// odd ones.
func repEven(x uint32) (r [16]uint32) {
	for i := 0; i < len(r); i += 2 {
		r[i] = x
	}
	return r
}

func repf(x float32) (r [16]float32) {
	for i := range r {
		r[i] = x
	}
	return r
}

// keySchedule is the Philox key of each of the ten rounds, across lanes.
type keySchedule [10][2][16]uint32

func newKeySchedule(key [2]uint32) *keySchedule {
	ks := new(keySchedule)
	k0, k1 := key[0], key[1]
	for r := range ks {
		ks[r] = [2][16]uint32{rep(k0), rep(k1)}
		k0 += rng.PhiloxW0
		k1 += rng.PhiloxW1
	}
	return ks
}

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
				z := z3
				switch q {
				case 0:
					z = z0
				case 1:
					z = z1
				case 2:
					z = z2
				}
				t = pp.Mul(t).Add(c).Add(sigma.Mul(z))
				if path != nil {
					store16(t, path[(s+q)*n+g:(s+q+1)*n])
				}
			}
		}
		store16(t, out[g:])
	}
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

// philox16 is rng.Philox on 16 lanes' counters (b, lo, hi, 0). A 32x32-bit
// product's high word comes from the 64-bit products of the even lanes and
// of the odd lanes shifted down; its low word from a 32-bit multiply.
func philox16(b uint32, lo, hi archsimd.Uint32x16, ks *keySchedule) (c0, c1, c2, c3 archsimd.Uint32x16) {
	c0, c1, c2 = archsimd.BroadcastUint32x16(b), lo, hi
	low := archsimd.LoadUint32x16(&vc.lowEven).AsUint64x8()
	for r := range ks {
		x0, x2 := c0.AsUint64x8(), c2.AsUint64x8()
		e0 := x0.And(low).Mul(archsimd.LoadUint32x16(&vc.m0Even).AsUint64x8())
		o0 := x0.ShiftAllRight(32).Mul(archsimd.LoadUint32x16(&vc.m0Even).AsUint64x8())
		e2 := x2.And(low).Mul(archsimd.LoadUint32x16(&vc.m1Even).AsUint64x8())
		o2 := x2.ShiftAllRight(32).Mul(archsimd.LoadUint32x16(&vc.m1Even).AsUint64x8())
		h0 := e0.ShiftAllRight(32).Or(o0.AndNot(low)).AsUint32x16()
		h2 := e2.ShiftAllRight(32).Or(o2.AndNot(low)).AsUint32x16()
		l0 := c0.Mul(archsimd.LoadUint32x16(&vc.m0))
		l2 := c2.Mul(archsimd.LoadUint32x16(&vc.m1))
		c0 = h2.Xor(c1).Xor(archsimd.LoadUint32x16(&ks[r][0]))
		c2 = h0.Xor(c3).Xor(archsimd.LoadUint32x16(&ks[r][1]))
		c1, c3 = l2, l0
	}
	return c0, c1, c2, c3
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
	ga := qa.ShiftAllRight(8).AsInt32x16().ConvertToFloat32().Mul(f256).Add(qa.And(byteMask).AsInt32x16().ConvertToFloat32()).Mul(f2m33)
	gb := qb.ShiftAllRight(8).AsInt32x16().ConvertToFloat32().Mul(f256).Add(qb.And(byteMask).AsInt32x16().ConvertToFloat32()).Mul(f2m33)
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
	ela := gba.ShiftAllRight(23).Sub(bias).Add(smalla)
	elb := gbb.ShiftAllRight(23).Sub(bias).Add(smallb)

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
	oa, ob := aa.ShiftAllRight(29), ab.ShiftAllRight(29)
	ka := aa.ShiftAllRight(6).And(mant).ShiftAllLeft(1).Or(one)
	kb := ab.ShiftAllRight(6).And(mant).ShiftAllLeft(1).Or(one)
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
	ta := sba.Xor(cba).And(zero.Sub(oa.Add(one).ShiftAllRight(1).And(one)))
	tb := sbb.Xor(cbb).And(zero.Sub(ob.Add(one).ShiftAllRight(1).And(one)))
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

// batchAVX2 is batchAVX512 on 8 lanes per instruction with AVX2.
func batchAVX2(m *sim.Model, first uint64, out, path []float32, stop *atomic.Bool) {
	n := len(out)
	ks := newKeySchedule(m.Key)
	pp := archsimd.BroadcastFloat32x8(m.P)
	c := archsimd.BroadcastFloat32x8(m.C)
	sigma := archsimd.BroadcastFloat32x8(m.Sigma)
	for g := 0; g < n; g += 8 {
		var lo, hi [8]uint32
		for j := range lo {
			lane := first + uint64(g+j)
			lo[j], hi[j] = uint32(lane), uint32(lane>>32)
		}
		lov, hiv := archsimd.LoadUint32x8(&lo), archsimd.LoadUint32x8(&hi)
		t := archsimd.BroadcastFloat32x8(m.Start)
		for s := 0; s < m.Steps; s += 4 {
			if s%checkSteps == 0 && stop.Load() {
				return
			}
			w0, w1, w2, w3 := philox8(uint32(s>>2), lov, hiv, ks)
			r0, r1 := radius8(w0, w2)
			s0, c0, s1, c1 := sinCos8(w1, w3)
			z0, z1, z2, z3 := r0.Mul(c0), r0.Mul(s0), r1.Mul(c1), r1.Mul(s1)
			if s+4 <= m.Steps && path == nil {
				t = pp.Mul(t).Add(c).Add(sigma.Mul(z0))
				t = pp.Mul(t).Add(c).Add(sigma.Mul(z1))
				t = pp.Mul(t).Add(c).Add(sigma.Mul(z2))
				t = pp.Mul(t).Add(c).Add(sigma.Mul(z3))
				continue
			}
			for q := 0; q < 4 && s+q < m.Steps; q++ {
				z := z3
				switch q {
				case 0:
					z = z0
				case 1:
					z = z1
				case 2:
					z = z2
				}
				t = pp.Mul(t).Add(c).Add(sigma.Mul(z))
				if path != nil {
					store8(t, path[(s+q)*n+g:(s+q+1)*n])
				}
			}
		}
		store8(t, out[g:])
	}
}

// store8 is store16 for 8 lanes.
func store8(t archsimd.Float32x8, dst []float32) {
	if len(dst) >= 8 {
		t.StoreSlice(dst)
		return
	}
	var buf [8]float32
	t.Store(&buf)
	copy(dst, buf[:])
}

// philox8 is rng.Philox on 8 lanes' counters (b, lo, hi, 0). A 32x32-bit
// product's high word comes from the 64-bit products of the even lanes and
// of the odd lanes shifted down; its low word from a 32-bit multiply.
func philox8(b uint32, lo, hi archsimd.Uint32x8, ks *keySchedule) (c0, c1, c2, c3 archsimd.Uint32x8) {
	c0, c1, c2 = archsimd.BroadcastUint32x8(b), lo, hi
	low := archsimd.LoadUint32x8((*[8]uint32)(vc.lowEven[:8])).AsUint64x4()
	for r := range ks {
		m0 := archsimd.LoadUint32x8((*[8]uint32)(vc.m0[:8]))
		m1 := archsimd.LoadUint32x8((*[8]uint32)(vc.m1[:8]))
		e0 := c0.MulEvenWiden(m0)
		o0 := c0.AsUint64x4().ShiftAllRight(32).AsUint32x8().MulEvenWiden(m0)
		e2 := c2.MulEvenWiden(m1)
		o2 := c2.AsUint64x4().ShiftAllRight(32).AsUint32x8().MulEvenWiden(m1)
		h0 := e0.ShiftAllRight(32).Or(o0.AndNot(low)).AsUint32x8()
		h2 := e2.ShiftAllRight(32).Or(o2.AndNot(low)).AsUint32x8()
		l0 := c0.Mul(m0)
		l2 := c2.Mul(m1)
		c0 = h2.Xor(c1).Xor(archsimd.LoadUint32x8((*[8]uint32)(ks[r][0][:8])))
		c2 = h0.Xor(c3).Xor(archsimd.LoadUint32x8((*[8]uint32)(ks[r][1][:8])))
		c1, c3 = l2, l0
	}
	return c0, c1, c2, c3
}

// radius8 is rng.Radius of the words in wa and of those in wb: rng.Half33,
// rng.LogArg's masks, rng.LogPoly and the root.
func radius8(wa, wb archsimd.Uint32x8) (ra, rb archsimd.Float32x8) {
	// Half33 of w, or of ^w when w >= 2^31 (upper): g is u or 1-u.
	one := archsimd.LoadUint32x8((*[8]uint32)(vc.one[:8]))
	uppera := wa.AsInt32x8().ShiftAllRight(31).AsUint32x8()
	upperb := wb.AsInt32x8().ShiftAllRight(31).AsUint32x8()
	qa := wa.Xor(uppera).ShiftAllLeft(1).Or(one)
	qb := wb.Xor(upperb).ShiftAllLeft(1).Or(one)
	byteMask := archsimd.LoadUint32x8((*[8]uint32)(vc.byteMask[:8]))
	f256 := archsimd.LoadFloat32x8((*[8]float32)(vc.f256[:8]))
	f2m33 := archsimd.LoadFloat32x8((*[8]float32)(vc.f2m33[:8]))
	ga := qa.ShiftAllRight(8).AsInt32x8().ConvertToFloat32().Mul(f256).Add(qa.And(byteMask).AsInt32x8().ConvertToFloat32()).Mul(f2m33)
	gb := qb.ShiftAllRight(8).AsInt32x8().ConvertToFloat32().Mul(f256).Add(qb.And(byteMask).AsInt32x8().ConvertToFloat32()).Mul(f2m33)
	gba, gbb := ga.AsUint32x8(), gb.AsUint32x8()

	// u = g: m in [0.5, 1), x = 2m-1 or m-1, and the exponent.
	f1 := archsimd.LoadFloat32x8((*[8]float32)(vc.f1[:8]))
	mant := archsimd.LoadUint32x8((*[8]uint32)(vc.mant[:8]))
	half := archsimd.LoadUint32x8((*[8]uint32)(vc.half[:8]))
	mba := gba.And(mant).Or(half)
	mbb := gbb.And(mant).Or(half)
	ma, mb := mba.AsFloat32x8(), mbb.AsFloat32x8()
	sqrtHalf := archsimd.LoadUint32x8((*[8]uint32)(vc.sqrtHalf[:8]))
	smalla := mba.Sub(sqrtHalf).AsInt32x8().ShiftAllRight(31).AsUint32x8()
	smallb := mbb.Sub(sqrtHalf).AsInt32x8().ShiftAllRight(31).AsUint32x8()
	xla := ma.Add(ma).Sub(f1).AsUint32x8()
	xlb := mb.Add(mb).Sub(f1).AsUint32x8()
	xla = xla.Xor(xla.Xor(ma.Sub(f1).AsUint32x8()).AndNot(smalla))
	xlb = xlb.Xor(xlb.Xor(mb.Sub(f1).AsUint32x8()).AndNot(smallb))
	bias := archsimd.LoadUint32x8((*[8]uint32)(vc.bias[:8]))
	ela := gba.ShiftAllRight(23).Sub(bias).Add(smalla)
	elb := gbb.ShiftAllRight(23).Sub(bias).Add(smallb)

	// u = 1-g: x = -g, or 1-2g with e = -1 when g <= 1-sqrt(1/2) (near).
	nearBits := archsimd.LoadUint32x8((*[8]uint32)(vc.nearBits[:8]))
	neara := gba.Sub(nearBits).AsInt32x8().ShiftAllRight(31).AsUint32x8()
	nearb := gbb.Sub(nearBits).AsInt32x8().ShiftAllRight(31).AsUint32x8()
	xua := f1.Sub(ga.Add(ga)).AsUint32x8()
	xub := f1.Sub(gb.Add(gb)).AsUint32x8()
	sign := archsimd.LoadUint32x8((*[8]uint32)(vc.sign[:8]))
	xua = xua.Xor(xua.Xor(gba.Or(sign)).And(neara))
	xub = xub.Xor(xub.Xor(gbb.Or(sign)).And(nearb))
	ones := archsimd.LoadUint32x8((*[8]uint32)(vc.ones[:8]))
	eua := neara.Xor(ones)
	eub := nearb.Xor(ones)

	xa := xla.Xor(xla.Xor(xua).And(uppera)).AsFloat32x8()
	xb := xlb.Xor(xlb.Xor(xub).And(upperb)).AsFloat32x8()
	ea := ela.Xor(ela.Xor(eua).And(uppera)).AsInt32x8().ConvertToFloat32()
	eb := elb.Xor(elb.Xor(eub).And(upperb)).AsInt32x8().ConvertToFloat32()

	// LogPoly, then sqrt(-2 ln u).
	za, zb := xa.Mul(xa), xb.Mul(xb)
	pa := archsimd.LoadFloat32x8((*[8]float32)(vc.logP[0][:8]))
	pb := pa
	for i := 1; i < len(vc.logP); i++ {
		pa = pa.Mul(xa).Add(archsimd.LoadFloat32x8((*[8]float32)(vc.logP[i][:8])))
		pb = pb.Mul(xb).Add(archsimd.LoadFloat32x8((*[8]float32)(vc.logP[i][:8])))
	}
	ya := pa.Mul(xa).Mul(za)
	yb := pb.Mul(xb).Mul(zb)
	logQ1 := archsimd.LoadFloat32x8((*[8]float32)(vc.logQ1[:8]))
	ya = ya.Add(logQ1.Mul(ea))
	yb = yb.Add(logQ1.Mul(eb))
	fHalf := archsimd.LoadFloat32x8((*[8]float32)(vc.fHalf[:8]))
	ya = ya.Sub(fHalf.Mul(za))
	yb = yb.Sub(fHalf.Mul(zb))
	logQ2 := archsimd.LoadFloat32x8((*[8]float32)(vc.logQ2[:8]))
	la := xa.Add(ya).Add(logQ2.Mul(ea))
	lb := xb.Add(yb).Add(logQ2.Mul(eb))
	fm2 := archsimd.LoadFloat32x8((*[8]float32)(vc.fm2[:8]))
	return fm2.Mul(la).Sqrt(), fm2.Mul(lb).Sqrt()
}

// sinCos8 is rng.SinCos of the words in aa and of those in ab:
// rng.AngleArg, rng.SinCosPoly and the octant's swap and signs as bit
// operations.
func sinCos8(aa, ab archsimd.Uint32x8) (sa, ca, sb, cb archsimd.Float32x8) {
	var zero archsimd.Uint32x8
	one := archsimd.LoadUint32x8((*[8]uint32)(vc.one[:8]))
	mant := archsimd.LoadUint32x8((*[8]uint32)(vc.mant[:8]))
	oa, ob := aa.ShiftAllRight(29), ab.ShiftAllRight(29)
	ka := aa.ShiftAllRight(6).And(mant).ShiftAllLeft(1).Or(one)
	kb := ab.ShiftAllRight(6).And(mant).ShiftAllLeft(1).Or(one)
	k24 := archsimd.LoadUint32x8((*[8]uint32)(vc.k24[:8]))
	ka = ka.Xor(ka.Xor(k24.Sub(ka)).And(zero.Sub(oa.And(one))))
	kb = kb.Xor(kb.Xor(k24.Sub(kb)).And(zero.Sub(ob.And(one))))
	psiScale := archsimd.LoadFloat32x8((*[8]float32)(vc.psiScale[:8]))
	psia := ka.AsInt32x8().ConvertToFloat32().Mul(psiScale)
	psib := kb.AsInt32x8().ConvertToFloat32().Mul(psiScale)

	za, zb := psia.Mul(psia), psib.Mul(psib)
	sa = archsimd.LoadFloat32x8((*[8]float32)(vc.sinS[0][:8]))
	sb = sa
	sa = sa.Mul(za).Add(archsimd.LoadFloat32x8((*[8]float32)(vc.sinS[1][:8])))
	sb = sb.Mul(zb).Add(archsimd.LoadFloat32x8((*[8]float32)(vc.sinS[1][:8])))
	sa = sa.Mul(za).Add(archsimd.LoadFloat32x8((*[8]float32)(vc.sinS[2][:8])))
	sb = sb.Mul(zb).Add(archsimd.LoadFloat32x8((*[8]float32)(vc.sinS[2][:8])))
	sa = sa.Mul(za).Mul(psia).Add(psia)
	sb = sb.Mul(zb).Mul(psib).Add(psib)
	ca = archsimd.LoadFloat32x8((*[8]float32)(vc.cosC[0][:8]))
	cb = ca
	ca = ca.Mul(za).Add(archsimd.LoadFloat32x8((*[8]float32)(vc.cosC[1][:8])))
	cb = cb.Mul(zb).Add(archsimd.LoadFloat32x8((*[8]float32)(vc.cosC[1][:8])))
	ca = ca.Mul(za).Add(archsimd.LoadFloat32x8((*[8]float32)(vc.cosC[2][:8])))
	cb = cb.Mul(zb).Add(archsimd.LoadFloat32x8((*[8]float32)(vc.cosC[2][:8])))
	fHalf := archsimd.LoadFloat32x8((*[8]float32)(vc.fHalf[:8]))
	f1 := archsimd.LoadFloat32x8((*[8]float32)(vc.f1[:8]))
	ca = ca.Mul(za).Mul(za).Sub(fHalf.Mul(za)).Add(f1)
	cb = cb.Mul(zb).Mul(zb).Sub(fHalf.Mul(zb)).Add(f1)

	// Octants 1, 2, 5, 6 swap sin and cos; 4..7 negate sin, 2..5 cos.
	sba, cba := sa.AsUint32x8(), ca.AsUint32x8()
	sbb, cbb := sb.AsUint32x8(), cb.AsUint32x8()
	ta := sba.Xor(cba).And(zero.Sub(oa.Add(one).ShiftAllRight(1).And(one)))
	tb := sbb.Xor(cbb).And(zero.Sub(ob.Add(one).ShiftAllRight(1).And(one)))
	sba, cba = sba.Xor(ta), cba.Xor(ta)
	sbb, cbb = sbb.Xor(tb), cbb.Xor(tb)
	four := archsimd.LoadUint32x8((*[8]uint32)(vc.four[:8]))
	two := archsimd.LoadUint32x8((*[8]uint32)(vc.two[:8]))
	sba = sba.Xor(oa.And(four).ShiftAllLeft(29))
	sbb = sbb.Xor(ob.And(four).ShiftAllLeft(29))
	cba = cba.Xor(oa.Add(two).And(four).ShiftAllLeft(29))
	cbb = cbb.Xor(ob.Add(two).And(four).ShiftAllLeft(29))
	return sba.AsFloat32x8(), cba.AsFloat32x8(), sbb.AsFloat32x8(), cbb.AsFloat32x8()
}
