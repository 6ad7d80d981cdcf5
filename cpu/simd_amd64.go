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
			r := radius16(u16x2{w0, w2})
			sn, cs := sinCos16(u16x2{w1, w3})
			r0, r1, s0, s1, c0, c1 := r.a, r.b, sn.a, sn.b, cs.a, cs.b
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

// u16x2 and f16x2 are two vectors that every operation works on in
// lockstep: the two Box-Muller pairs of a Philox block, whose long
// dependency chains (the log polynomial, the square root) then interleave
// instead of waiting one behind the other.
type (
	u16x2 struct{ a, b archsimd.Uint32x16 }
	f16x2 struct{ a, b archsimd.Float32x16 }
)

func cu16(r *rep32) u16x2 { return u16x2{u16(r), u16(r)} }
func cf16(r *rep32) f16x2 { return f16x2{f16(r), f16(r)} }

func (x u16x2) Xor(y u16x2) u16x2    { return u16x2{x.a.Xor(y.a), x.b.Xor(y.b)} }
func (x u16x2) And(y u16x2) u16x2    { return u16x2{x.a.And(y.a), x.b.And(y.b)} }
func (x u16x2) AndNot(y u16x2) u16x2 { return u16x2{x.a.AndNot(y.a), x.b.AndNot(y.b)} }
func (x u16x2) Or(y u16x2) u16x2     { return u16x2{x.a.Or(y.a), x.b.Or(y.b)} }
func (x u16x2) Add(y u16x2) u16x2    { return u16x2{x.a.Add(y.a), x.b.Add(y.b)} }
func (x u16x2) Sub(y u16x2) u16x2    { return u16x2{x.a.Sub(y.a), x.b.Sub(y.b)} }
func (x u16x2) ShiftAllLeft(n uint64) u16x2 {
	return u16x2{x.a.ShiftAllLeft(n), x.b.ShiftAllLeft(n)}
}
func (x u16x2) ShiftAllRight(n uint64) u16x2 {
	return u16x2{x.a.ShiftAllRight(n), x.b.ShiftAllRight(n)}
}

// sar is the arithmetic right shift of words as int32.
func (x u16x2) sar(n uint64) u16x2 { return u16x2{sar16(x.a, n), sar16(x.b, n)} }

// float converts words as int32 (exact below 2^24).
func (x u16x2) float() f16x2      { return f16x2{float16(x.a), float16(x.b)} }
func (x u16x2) asFloat() f16x2    { return f16x2{x.a.AsFloat32x16(), x.b.AsFloat32x16()} }
func (x f16x2) asUint() u16x2     { return u16x2{x.a.AsUint32x16(), x.b.AsUint32x16()} }
func (x f16x2) Add(y f16x2) f16x2 { return f16x2{x.a.Add(y.a), x.b.Add(y.b)} }
func (x f16x2) Sub(y f16x2) f16x2 { return f16x2{x.a.Sub(y.a), x.b.Sub(y.b)} }
func (x f16x2) Mul(y f16x2) f16x2 { return f16x2{x.a.Mul(y.a), x.b.Mul(y.b)} }
func (x f16x2) Sqrt() f16x2       { return f16x2{x.a.Sqrt(), x.b.Sqrt()} }

// radius16 is rng.Radius on two vectors of words: rng.Half33, rng.LogArg's
// masks, rng.LogPoly and the root.
func radius16(w u16x2) f16x2 {
	upper := w.sar(31)
	q := w.Xor(upper).ShiftAllLeft(1).Or(cu16(&vc.one))
	g := q.ShiftAllRight(8).float().Mul(cf16(&vc.f256)).Add(q.And(cu16(&vc.byteMask)).float()).Mul(cf16(&vc.f2m33))
	gb := g.asUint()

	mb := gb.And(cu16(&vc.mant)).Or(cu16(&vc.half))
	m := mb.asFloat()
	small := mb.Sub(cu16(&vc.sqrtHalf)).sar(31)
	xl := m.Add(m).Sub(cf16(&vc.f1)).asUint()
	xl = xl.Xor(xl.Xor(m.Sub(cf16(&vc.f1)).asUint()).AndNot(small))
	el := gb.ShiftAllRight(23).Sub(cu16(&vc.bias)).Add(small)

	near := gb.Sub(cu16(&vc.nearBits)).sar(31)
	xu := cf16(&vc.f1).Sub(g.Add(g)).asUint()
	xu = xu.Xor(xu.Xor(gb.Or(cu16(&vc.sign))).And(near))
	eu := near.Xor(cu16(&vc.ones))

	x := xl.Xor(xl.Xor(xu).And(upper)).asFloat()
	e := el.Xor(el.Xor(eu).And(upper))

	z := x.Mul(x)
	p := cf16(&vc.logP[0])
	p = p.Mul(x).Add(cf16(&vc.logP[1]))
	p = p.Mul(x).Add(cf16(&vc.logP[2]))
	p = p.Mul(x).Add(cf16(&vc.logP[3]))
	p = p.Mul(x).Add(cf16(&vc.logP[4]))
	p = p.Mul(x).Add(cf16(&vc.logP[5]))
	p = p.Mul(x).Add(cf16(&vc.logP[6]))
	p = p.Mul(x).Add(cf16(&vc.logP[7]))
	p = p.Mul(x).Add(cf16(&vc.logP[8]))
	y := p.Mul(x).Mul(z)
	fe := e.float()
	y = y.Add(cf16(&vc.logQ1).Mul(fe))
	y = y.Sub(cf16(&vc.fHalf).Mul(z))
	r := x.Add(y)
	l := r.Add(cf16(&vc.logQ2).Mul(fe))
	return cf16(&vc.fm2).Mul(l).Sqrt()
}

// sinCos16 is rng.SinCos on two vectors of words: rng.AngleArg,
// rng.SinCosPoly and the octant's swap and signs as bit operations.
func sinCos16(a u16x2) (sin, cos f16x2) {
	var zero u16x2
	one := cu16(&vc.one)
	o := a.ShiftAllRight(29)
	k := a.ShiftAllRight(6).And(cu16(&vc.mant)).ShiftAllLeft(1).Or(one)
	odd := zero.Sub(o.And(one))
	k = k.Xor(k.Xor(cu16(&vc.k24).Sub(k)).And(odd))
	psi := k.float().Mul(cf16(&vc.psiScale))

	z := psi.Mul(psi)
	s := cf16(&vc.sinS[0])
	s = s.Mul(z).Add(cf16(&vc.sinS[1]))
	s = s.Mul(z).Add(cf16(&vc.sinS[2]))
	s = s.Mul(z).Mul(psi)
	s = s.Add(psi)
	c := cf16(&vc.cosC[0])
	c = c.Mul(z).Add(cf16(&vc.cosC[1]))
	c = c.Mul(z).Add(cf16(&vc.cosC[2]))
	c = c.Mul(z).Mul(z)
	c = c.Sub(cf16(&vc.fHalf).Mul(z))
	c = c.Add(cf16(&vc.f1))

	sb, cb := s.asUint(), c.asUint()
	swap := zero.Sub(o.Add(one).ShiftAllRight(1).And(one))
	t := sb.Xor(cb).And(swap)
	sb = sb.Xor(t)
	cb = cb.Xor(t)
	four := cu16(&vc.four)
	sb = sb.Xor(o.And(four).ShiftAllLeft(29))
	cb = cb.Xor(o.Add(cu16(&vc.two)).And(four).ShiftAllLeft(29))
	return sb.asFloat(), cb.asFloat()
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
			r := radius8(u8x2{w0, w2})
			sn, cs := sinCos8(u8x2{w1, w3})
			r0, r1, s0, s1, c0, c1 := r.a, r.b, sn.a, sn.b, cs.a, cs.b
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

// u8x2 and f8x2 are u16x2 and f16x2 for AVX2.
type (
	u8x2 struct{ a, b archsimd.Uint32x8 }
	f8x2 struct{ a, b archsimd.Float32x8 }
)

func cu8(r *rep32) u8x2 { return u8x2{u8(r), u8(r)} }
func cf8(r *rep32) f8x2 { return f8x2{f8(r), f8(r)} }

func (x u8x2) Xor(y u8x2) u8x2    { return u8x2{x.a.Xor(y.a), x.b.Xor(y.b)} }
func (x u8x2) And(y u8x2) u8x2    { return u8x2{x.a.And(y.a), x.b.And(y.b)} }
func (x u8x2) AndNot(y u8x2) u8x2 { return u8x2{x.a.AndNot(y.a), x.b.AndNot(y.b)} }
func (x u8x2) Or(y u8x2) u8x2     { return u8x2{x.a.Or(y.a), x.b.Or(y.b)} }
func (x u8x2) Add(y u8x2) u8x2    { return u8x2{x.a.Add(y.a), x.b.Add(y.b)} }
func (x u8x2) Sub(y u8x2) u8x2    { return u8x2{x.a.Sub(y.a), x.b.Sub(y.b)} }
func (x u8x2) ShiftAllLeft(n uint64) u8x2 {
	return u8x2{x.a.ShiftAllLeft(n), x.b.ShiftAllLeft(n)}
}
func (x u8x2) ShiftAllRight(n uint64) u8x2 {
	return u8x2{x.a.ShiftAllRight(n), x.b.ShiftAllRight(n)}
}

// sar is the arithmetic right shift of words as int32.
func (x u8x2) sar(n uint64) u8x2 { return u8x2{sar8(x.a, n), sar8(x.b, n)} }

// float converts words as int32 (exact below 2^24).
func (x u8x2) float() f8x2     { return f8x2{float8(x.a), float8(x.b)} }
func (x u8x2) asFloat() f8x2   { return f8x2{x.a.AsFloat32x8(), x.b.AsFloat32x8()} }
func (x f8x2) asUint() u8x2    { return u8x2{x.a.AsUint32x8(), x.b.AsUint32x8()} }
func (x f8x2) Add(y f8x2) f8x2 { return f8x2{x.a.Add(y.a), x.b.Add(y.b)} }
func (x f8x2) Sub(y f8x2) f8x2 { return f8x2{x.a.Sub(y.a), x.b.Sub(y.b)} }
func (x f8x2) Mul(y f8x2) f8x2 { return f8x2{x.a.Mul(y.a), x.b.Mul(y.b)} }
func (x f8x2) Sqrt() f8x2      { return f8x2{x.a.Sqrt(), x.b.Sqrt()} }

// radius8 is rng.Radius on two vectors of words: rng.Half33, rng.LogArg's
// masks, rng.LogPoly and the root.
func radius8(w u8x2) f8x2 {
	upper := w.sar(31)
	q := w.Xor(upper).ShiftAllLeft(1).Or(cu8(&vc.one))
	g := q.ShiftAllRight(8).float().Mul(cf8(&vc.f256)).Add(q.And(cu8(&vc.byteMask)).float()).Mul(cf8(&vc.f2m33))
	gb := g.asUint()

	mb := gb.And(cu8(&vc.mant)).Or(cu8(&vc.half))
	m := mb.asFloat()
	small := mb.Sub(cu8(&vc.sqrtHalf)).sar(31)
	xl := m.Add(m).Sub(cf8(&vc.f1)).asUint()
	xl = xl.Xor(xl.Xor(m.Sub(cf8(&vc.f1)).asUint()).AndNot(small))
	el := gb.ShiftAllRight(23).Sub(cu8(&vc.bias)).Add(small)

	near := gb.Sub(cu8(&vc.nearBits)).sar(31)
	xu := cf8(&vc.f1).Sub(g.Add(g)).asUint()
	xu = xu.Xor(xu.Xor(gb.Or(cu8(&vc.sign))).And(near))
	eu := near.Xor(cu8(&vc.ones))

	x := xl.Xor(xl.Xor(xu).And(upper)).asFloat()
	e := el.Xor(el.Xor(eu).And(upper))

	z := x.Mul(x)
	p := cf8(&vc.logP[0])
	p = p.Mul(x).Add(cf8(&vc.logP[1]))
	p = p.Mul(x).Add(cf8(&vc.logP[2]))
	p = p.Mul(x).Add(cf8(&vc.logP[3]))
	p = p.Mul(x).Add(cf8(&vc.logP[4]))
	p = p.Mul(x).Add(cf8(&vc.logP[5]))
	p = p.Mul(x).Add(cf8(&vc.logP[6]))
	p = p.Mul(x).Add(cf8(&vc.logP[7]))
	p = p.Mul(x).Add(cf8(&vc.logP[8]))
	y := p.Mul(x).Mul(z)
	fe := e.float()
	y = y.Add(cf8(&vc.logQ1).Mul(fe))
	y = y.Sub(cf8(&vc.fHalf).Mul(z))
	r := x.Add(y)
	l := r.Add(cf8(&vc.logQ2).Mul(fe))
	return cf8(&vc.fm2).Mul(l).Sqrt()
}

// sinCos8 is rng.SinCos on two vectors of words: rng.AngleArg,
// rng.SinCosPoly and the octant's swap and signs as bit operations.
func sinCos8(a u8x2) (sin, cos f8x2) {
	var zero u8x2
	one := cu8(&vc.one)
	o := a.ShiftAllRight(29)
	k := a.ShiftAllRight(6).And(cu8(&vc.mant)).ShiftAllLeft(1).Or(one)
	odd := zero.Sub(o.And(one))
	k = k.Xor(k.Xor(cu8(&vc.k24).Sub(k)).And(odd))
	psi := k.float().Mul(cf8(&vc.psiScale))

	z := psi.Mul(psi)
	s := cf8(&vc.sinS[0])
	s = s.Mul(z).Add(cf8(&vc.sinS[1]))
	s = s.Mul(z).Add(cf8(&vc.sinS[2]))
	s = s.Mul(z).Mul(psi)
	s = s.Add(psi)
	c := cf8(&vc.cosC[0])
	c = c.Mul(z).Add(cf8(&vc.cosC[1]))
	c = c.Mul(z).Add(cf8(&vc.cosC[2]))
	c = c.Mul(z).Mul(z)
	c = c.Sub(cf8(&vc.fHalf).Mul(z))
	c = c.Add(cf8(&vc.f1))

	sb, cb := s.asUint(), c.asUint()
	swap := zero.Sub(o.Add(one).ShiftAllRight(1).And(one))
	t := sb.Xor(cb).And(swap)
	sb = sb.Xor(t)
	cb = cb.Xor(t)
	four := cu8(&vc.four)
	sb = sb.Xor(o.And(four).ShiftAllLeft(29))
	cb = cb.Xor(o.Add(cu8(&vc.two)).And(four).ShiftAllLeft(29))
	return sb.asFloat(), cb.asFloat()
}
