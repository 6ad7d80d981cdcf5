//go:build goexperiment.simd && amd64

package cpu

import (
	"math"

	"simd/archsimd"

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

// The vector paths below are rng/normal.go and rng/philox.go operation for
// operation: each float32 operation is one rounded vector instruction in the
// same order (never MulAdd, which would fuse), the branchless selects are the
// same bit masks, int32-to-float32 conversions are exact (values below
// 2^24), and the vector square root is correctly rounded as rng.Radius's.

// vc holds the vector paths' constants, each repeated across 16 lanes (the
// AVX2 path loads the first 8). As a memory operand a constant costs
// nothing, where Go 1.26 broadcasts an immediate in two or three
// instructions at every use.
var vc = struct {
	one, byteMask, mant, half, sqrtHalf, bias, nearBits, sign, ones, k24, two, four rep32
	m0, m1, m0Even, m1Even, lowEven                                                 rep32
	f256, f2m33, f1, fHalf, fm2, logQ1, logQ2, psiScale                             rep32
	logP                                                                            [9]rep32
	sinS, cosC                                                                      [3]rep32
}{
	one: r32(1), byteMask: r32(0xff), mant: r32(0x7fffff), half: r32(0x3f000000),
	sqrtHalf: r32(sqrtHalfBits), bias: r32(126), nearBits: r32(oneMinusSqrtHalBits + 1),
	sign: r32(1 << 31), ones: r32(0xffffffff), k24: r32(1 << 24), two: r32(2), four: r32(4),
	m0: r32(rng.PhiloxM0), m1: r32(rng.PhiloxM1),
	m0Even: r64(rng.PhiloxM0), m1Even: r64(rng.PhiloxM1), lowEven: r64(0xffffffff),
	f256: rf(256), f2m33: rf(0x1p-33), f1: rf(1), fHalf: rf(0.5), fm2: rf(-2),
	logQ1: rf(logQ1), logQ2: rf(logQ2), psiScale: rf(rng.PsiScale),
	logP: [9]rep32{rf(logP0), rf(logP1), rf(logP2), rf(logP3), rf(logP4), rf(logP5), rf(logP6), rf(logP7), rf(logP8)},
	sinS: [3]rep32{rf(sinS0), rf(sinS1), rf(sinS2)},
	cosC: [3]rep32{rf(cosC0), rf(cosC1), rf(cosC2)},
}

// rep32 is one 32-bit constant in every lane of a 512-bit vector.
type rep32 [16]uint32

func r32(x uint32) (r rep32) {
	for i := range r {
		r[i] = x
	}
	return r
}

// r64 is x in every 64-bit lane.
func r64(x uint32) (r rep32) {
	for i := 0; i < len(r); i += 2 {
		r[i] = x
	}
	return r
}

func rf(x float32) rep32 { return r32(math.Float32bits(x)) }

// keySchedule is the ten Philox round keys of key, repeated across lanes.
type keySchedule [10][2]rep32

func newKeySchedule(key [2]uint32) *keySchedule {
	ks := new(keySchedule)
	k0, k1 := key[0], key[1]
	for r := range ks {
		ks[r] = [2]rep32{r32(k0), r32(k1)}
		k0 += rng.PhiloxW0
		k1 += rng.PhiloxW1
	}
	return ks
}

// batchAVX512 implements the loop of sim.Model.Final (and Model.Path when
// path is not nil) on 16 lanes per instruction with AVX-512.
func batchAVX512(m *sim.Model, first uint64, out, path []float32) {
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
			w0, w1, w2, w3 := philox16(uint32(s>>2), lov, hiv, ks)
			r0, r1 := radius16(w0), radius16(w2)
			s0, c0 := sinCos16(w1)
			s1, c1 := sinCos16(w3)
			if s+4 <= m.Steps && path == nil {
				t = step16(t, pp, c, sigma, r0.Mul(c0))
				t = step16(t, pp, c, sigma, r0.Mul(s0))
				t = step16(t, pp, c, sigma, r1.Mul(c1))
				t = step16(t, pp, c, sigma, r1.Mul(s1))
				continue
			}
			for q := 0; q < 4 && s+q < m.Steps; q++ {
				var z archsimd.Float32x16
				switch q {
				case 0:
					z = r0.Mul(c0)
				case 1:
					z = r0.Mul(s0)
				case 2:
					z = r1.Mul(c1)
				default:
					z = r1.Mul(s1)
				}
				t = step16(t, pp, c, sigma, z)
				if path != nil {
					t.StoreSlicePart(path[(s+q)*n+g : (s+q+1)*n])
				}
			}
		}
		t.StoreSlicePart(out[g:])
	}
}

// step16 is sim.Model.Step.
func step16(t, p, c, sigma, z archsimd.Float32x16) archsimd.Float32x16 {
	return p.Mul(t).Add(c).Add(sigma.Mul(z))
}

func u16(r *rep32) archsimd.Uint32x16  { return archsimd.LoadUint32x16((*[16]uint32)(r)) }
func f16(r *rep32) archsimd.Float32x16 { return u16(r).AsFloat32x16() }

// sar16 is the arithmetic right shift of words as int32.
func sar16(x archsimd.Uint32x16, n uint64) archsimd.Uint32x16 {
	return x.AsInt32x16().ShiftAllRight(n).AsUint32x16()
}

// float16 converts words as int32 (exact below 2^24).
func float16(x archsimd.Uint32x16) archsimd.Float32x16 {
	return x.AsInt32x16().ConvertToFloat32()
}

// mulHiLo16 returns the high and low words of x times m (m32 in every lane,
// m64 in every 64-bit lane): the 64-bit products of the even lanes and of
// the odd lanes shifted down.
func mulHiLo16(x archsimd.Uint32x16, m32, m64 *rep32) (hi, lo archsimd.Uint32x16) {
	low := u16(&vc.lowEven).AsUint64x8()
	x64 := x.AsUint64x8()
	even := x64.And(low).Mul(u16(m64).AsUint64x8())
	odd := x64.ShiftAllRight(32).Mul(u16(m64).AsUint64x8())
	hi = even.ShiftAllRight(32).Or(odd.AndNot(low)).AsUint32x16()
	lo = x.Mul(u16(m32))
	return hi, lo
}

// philox16 is rng.Philox on 16 lanes' counters (b, lo, hi, 0).
func philox16(b uint32, lo, hi archsimd.Uint32x16, ks *keySchedule) (c0, c1, c2, c3 archsimd.Uint32x16) {
	c0, c1, c2 = archsimd.BroadcastUint32x16(b), lo, hi
	for r := range ks {
		h0, l0 := mulHiLo16(c0, &vc.m0, &vc.m0Even)
		h1, l1 := mulHiLo16(c2, &vc.m1, &vc.m1Even)
		c0, c1, c2, c3 = h1.Xor(c1).Xor(u16(&ks[r][0])), l1, h0.Xor(c3).Xor(u16(&ks[r][1])), l0
	}
	return c0, c1, c2, c3
}

// radius16 is rng.Radius: rng.Half33, rng.LogArg's masks, rng.LogPoly and
// the root.
func radius16(w archsimd.Uint32x16) archsimd.Float32x16 {
	upper := sar16(w, 31)
	q := w.Xor(upper).ShiftAllLeft(1).Or(u16(&vc.one))
	g := float16(q.ShiftAllRight(8)).Mul(f16(&vc.f256)).Add(float16(q.And(u16(&vc.byteMask)))).Mul(f16(&vc.f2m33))
	gb := g.AsUint32x16()

	mb := gb.And(u16(&vc.mant)).Or(u16(&vc.half))
	m := mb.AsFloat32x16()
	small := sar16(mb.Sub(u16(&vc.sqrtHalf)), 31)
	xl := m.Add(m).Sub(f16(&vc.f1)).AsUint32x16()
	xl = xl.Xor(xl.Xor(m.Sub(f16(&vc.f1)).AsUint32x16()).AndNot(small))
	el := gb.ShiftAllRight(23).Sub(u16(&vc.bias)).Add(small)

	near := sar16(gb.Sub(u16(&vc.nearBits)), 31)
	xu := f16(&vc.f1).Sub(g.Add(g)).AsUint32x16()
	xu = xu.Xor(xu.Xor(gb.Or(u16(&vc.sign))).And(near))
	eu := near.Xor(u16(&vc.ones))

	x := xl.Xor(xl.Xor(xu).And(upper)).AsFloat32x16()
	e := el.Xor(el.Xor(eu).And(upper))

	z := x.Mul(x)
	p := f16(&vc.logP[0])
	for i := 1; i < len(vc.logP); i++ {
		p = p.Mul(x).Add(f16(&vc.logP[i]))
	}
	y := p.Mul(x).Mul(z)
	fe := float16(e)
	y = y.Add(f16(&vc.logQ1).Mul(fe))
	y = y.Sub(f16(&vc.fHalf).Mul(z))
	r := x.Add(y)
	l := r.Add(f16(&vc.logQ2).Mul(fe))
	return f16(&vc.fm2).Mul(l).Sqrt()
}

// sinCos16 is rng.SinCos: rng.AngleArg, rng.SinCosPoly and the octant's swap
// and signs as bit operations.
func sinCos16(a archsimd.Uint32x16) (sin, cos archsimd.Float32x16) {
	var zero archsimd.Uint32x16
	one := u16(&vc.one)
	o := a.ShiftAllRight(29)
	k := a.ShiftAllRight(6).And(u16(&vc.mant)).ShiftAllLeft(1).Or(one)
	odd := zero.Sub(o.And(one))
	k = k.Xor(k.Xor(u16(&vc.k24).Sub(k)).And(odd))
	psi := float16(k).Mul(f16(&vc.psiScale))

	z := psi.Mul(psi)
	s := f16(&vc.sinS[0])
	s = s.Mul(z).Add(f16(&vc.sinS[1]))
	s = s.Mul(z).Add(f16(&vc.sinS[2]))
	s = s.Mul(z).Mul(psi)
	s = s.Add(psi)
	c := f16(&vc.cosC[0])
	c = c.Mul(z).Add(f16(&vc.cosC[1]))
	c = c.Mul(z).Add(f16(&vc.cosC[2]))
	c = c.Mul(z).Mul(z)
	c = c.Sub(f16(&vc.fHalf).Mul(z))
	c = c.Add(f16(&vc.f1))

	sb, cb := s.AsUint32x16(), c.AsUint32x16()
	swap := zero.Sub(o.Add(one).ShiftAllRight(1).And(one))
	t := sb.Xor(cb).And(swap)
	sb = sb.Xor(t)
	cb = cb.Xor(t)
	four := u16(&vc.four)
	sb = sb.Xor(o.And(four).ShiftAllLeft(29))
	cb = cb.Xor(o.Add(u16(&vc.two)).And(four).ShiftAllLeft(29))
	return sb.AsFloat32x16(), cb.AsFloat32x16()
}

// batchAVX2 is batchAVX512 on 8 lanes per instruction with AVX2.
func batchAVX2(m *sim.Model, first uint64, out, path []float32) {
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
			w0, w1, w2, w3 := philox8(uint32(s>>2), lov, hiv, ks)
			r0, r1 := radius8(w0), radius8(w2)
			s0, c0 := sinCos8(w1)
			s1, c1 := sinCos8(w3)
			if s+4 <= m.Steps && path == nil {
				t = step8(t, pp, c, sigma, r0.Mul(c0))
				t = step8(t, pp, c, sigma, r0.Mul(s0))
				t = step8(t, pp, c, sigma, r1.Mul(c1))
				t = step8(t, pp, c, sigma, r1.Mul(s1))
				continue
			}
			for q := 0; q < 4 && s+q < m.Steps; q++ {
				var z archsimd.Float32x8
				switch q {
				case 0:
					z = r0.Mul(c0)
				case 1:
					z = r0.Mul(s0)
				case 2:
					z = r1.Mul(c1)
				default:
					z = r1.Mul(s1)
				}
				t = step8(t, pp, c, sigma, z)
				if path != nil {
					t.StoreSlicePart(path[(s+q)*n+g : (s+q+1)*n])
				}
			}
		}
		t.StoreSlicePart(out[g:])
	}
}

// step8 is sim.Model.Step.
func step8(t, p, c, sigma, z archsimd.Float32x8) archsimd.Float32x8 {
	return p.Mul(t).Add(c).Add(sigma.Mul(z))
}

func u8(r *rep32) archsimd.Uint32x8  { return archsimd.LoadUint32x8((*[8]uint32)(r[:8])) }
func f8(r *rep32) archsimd.Float32x8 { return u8(r).AsFloat32x8() }

// sar8 is the arithmetic right shift of words as int32.
func sar8(x archsimd.Uint32x8, n uint64) archsimd.Uint32x8 {
	return x.AsInt32x8().ShiftAllRight(n).AsUint32x8()
}

// float8 converts words as int32 (exact below 2^24).
func float8(x archsimd.Uint32x8) archsimd.Float32x8 {
	return x.AsInt32x8().ConvertToFloat32()
}

// mulHiLo8 returns the high and low words of x times m (m32 in every lane):
// the 64-bit products of the even lanes and of the odd lanes shifted down.
func mulHiLo8(x archsimd.Uint32x8, m32, _ *rep32) (hi, lo archsimd.Uint32x8) {
	m := u8(m32)
	even := x.MulEvenWiden(m)
	odd := x.AsUint64x4().ShiftAllRight(32).AsUint32x8().MulEvenWiden(m)
	hi = even.ShiftAllRight(32).Or(odd.AndNot(u8(&vc.lowEven).AsUint64x4())).AsUint32x8()
	lo = x.Mul(m)
	return hi, lo
}

// philox8 is rng.Philox on 8 lanes' counters (b, lo, hi, 0).
func philox8(b uint32, lo, hi archsimd.Uint32x8, ks *keySchedule) (c0, c1, c2, c3 archsimd.Uint32x8) {
	c0, c1, c2 = archsimd.BroadcastUint32x8(b), lo, hi
	for r := range ks {
		h0, l0 := mulHiLo8(c0, &vc.m0, &vc.m0Even)
		h1, l1 := mulHiLo8(c2, &vc.m1, &vc.m1Even)
		c0, c1, c2, c3 = h1.Xor(c1).Xor(u8(&ks[r][0])), l1, h0.Xor(c3).Xor(u8(&ks[r][1])), l0
	}
	return c0, c1, c2, c3
}

// radius8 is rng.Radius: rng.Half33, rng.LogArg's masks, rng.LogPoly and
// the root.
func radius8(w archsimd.Uint32x8) archsimd.Float32x8 {
	upper := sar8(w, 31)
	q := w.Xor(upper).ShiftAllLeft(1).Or(u8(&vc.one))
	g := float8(q.ShiftAllRight(8)).Mul(f8(&vc.f256)).Add(float8(q.And(u8(&vc.byteMask)))).Mul(f8(&vc.f2m33))
	gb := g.AsUint32x8()

	mb := gb.And(u8(&vc.mant)).Or(u8(&vc.half))
	m := mb.AsFloat32x8()
	small := sar8(mb.Sub(u8(&vc.sqrtHalf)), 31)
	xl := m.Add(m).Sub(f8(&vc.f1)).AsUint32x8()
	xl = xl.Xor(xl.Xor(m.Sub(f8(&vc.f1)).AsUint32x8()).AndNot(small))
	el := gb.ShiftAllRight(23).Sub(u8(&vc.bias)).Add(small)

	near := sar8(gb.Sub(u8(&vc.nearBits)), 31)
	xu := f8(&vc.f1).Sub(g.Add(g)).AsUint32x8()
	xu = xu.Xor(xu.Xor(gb.Or(u8(&vc.sign))).And(near))
	eu := near.Xor(u8(&vc.ones))

	x := xl.Xor(xl.Xor(xu).And(upper)).AsFloat32x8()
	e := el.Xor(el.Xor(eu).And(upper))

	z := x.Mul(x)
	p := f8(&vc.logP[0])
	for i := 1; i < len(vc.logP); i++ {
		p = p.Mul(x).Add(f8(&vc.logP[i]))
	}
	y := p.Mul(x).Mul(z)
	fe := float8(e)
	y = y.Add(f8(&vc.logQ1).Mul(fe))
	y = y.Sub(f8(&vc.fHalf).Mul(z))
	r := x.Add(y)
	l := r.Add(f8(&vc.logQ2).Mul(fe))
	return f8(&vc.fm2).Mul(l).Sqrt()
}

// sinCos8 is rng.SinCos: rng.AngleArg, rng.SinCosPoly and the octant's swap
// and signs as bit operations.
func sinCos8(a archsimd.Uint32x8) (sin, cos archsimd.Float32x8) {
	var zero archsimd.Uint32x8
	one := u8(&vc.one)
	o := a.ShiftAllRight(29)
	k := a.ShiftAllRight(6).And(u8(&vc.mant)).ShiftAllLeft(1).Or(one)
	odd := zero.Sub(o.And(one))
	k = k.Xor(k.Xor(u8(&vc.k24).Sub(k)).And(odd))
	psi := float8(k).Mul(f8(&vc.psiScale))

	z := psi.Mul(psi)
	s := f8(&vc.sinS[0])
	s = s.Mul(z).Add(f8(&vc.sinS[1]))
	s = s.Mul(z).Add(f8(&vc.sinS[2]))
	s = s.Mul(z).Mul(psi)
	s = s.Add(psi)
	c := f8(&vc.cosC[0])
	c = c.Mul(z).Add(f8(&vc.cosC[1]))
	c = c.Mul(z).Add(f8(&vc.cosC[2]))
	c = c.Mul(z).Mul(z)
	c = c.Sub(f8(&vc.fHalf).Mul(z))
	c = c.Add(f8(&vc.f1))

	sb, cb := s.AsUint32x8(), c.AsUint32x8()
	swap := zero.Sub(o.Add(one).ShiftAllRight(1).And(one))
	t := sb.Xor(cb).And(swap)
	sb = sb.Xor(t)
	cb = cb.Xor(t)
	four := u8(&vc.four)
	sb = sb.Xor(o.And(four).ShiftAllLeft(29))
	cb = cb.Xor(o.Add(u8(&vc.two)).And(four).ShiftAllLeft(29))
	return sb.AsFloat32x8(), cb.AsFloat32x8()
}
