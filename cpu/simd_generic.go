package cpu

import (
	"math"
	"sync/atomic"

	"github.com/gpusim/gpusim/rng"
	"github.com/gpusim/gpusim/sim"
)

// genericWidth is the portable path's lanes per batch.
const genericWidth = 4

// u4 and f4 are genericWidth lanes of words and floats in plain Go: a struct
// of four fields, which the compiler keeps in registers, so the four lanes'
// independent dependency chains interleave in one instruction stream (the
// reference runs one lane's chain at a time). Every float32 operation is
// converted explicitly so that none is fused into an FMA (the Go spec allows
// fusion across statements otherwise).
type (
	u4 struct{ a, b, c, d uint32 }
	f4 struct{ a, b, c, d float32 }
)

func bf4(x float32) f4 { return f4{x, x, x, x} }

func (x u4) add(y u4) u4    { return u4{x.a + y.a, x.b + y.b, x.c + y.c, x.d + y.d} }
func (x u4) and(y u4) u4    { return u4{x.a & y.a, x.b & y.b, x.c & y.c, x.d & y.d} }
func (x u4) andNot(y u4) u4 { return u4{x.a &^ y.a, x.b &^ y.b, x.c &^ y.c, x.d &^ y.d} }
func (x u4) xor(y u4) u4    { return u4{x.a ^ y.a, x.b ^ y.b, x.c ^ y.c, x.d ^ y.d} }
func (x u4) shr(n uint) u4  { return u4{x.a >> n, x.b >> n, x.c >> n, x.d >> n} }
func (x u4) shl(n uint) u4  { return u4{x.a << n, x.b << n, x.c << n, x.d << n} }

// sar is the arithmetic shift of the words as int32.
func (x u4) sar(n uint) u4 {
	return u4{uint32(int32(x.a) >> n), uint32(int32(x.b) >> n), uint32(int32(x.c) >> n), uint32(int32(x.d) >> n)}
}

// float converts the words as int32 (exact below 2^24).
func (x u4) float() f4 {
	return f4{float32(int32(x.a)), float32(int32(x.b)), float32(int32(x.c)), float32(int32(x.d))}
}

func (x u4) asFloat() f4 {
	return f4{math.Float32frombits(x.a), math.Float32frombits(x.b), math.Float32frombits(x.c), math.Float32frombits(x.d)}
}

func (x f4) asBits() u4 {
	return u4{math.Float32bits(x.a), math.Float32bits(x.b), math.Float32bits(x.c), math.Float32bits(x.d)}
}

func (x f4) add(y f4) f4 {
	return f4{float32(x.a + y.a), float32(x.b + y.b), float32(x.c + y.c), float32(x.d + y.d)}
}

func (x f4) sub(y f4) f4 {
	return f4{float32(x.a - y.a), float32(x.b - y.b), float32(x.c - y.c), float32(x.d - y.d)}
}

func (x f4) mul(y f4) f4 {
	return f4{float32(x.a * y.a), float32(x.b * y.b), float32(x.c * y.c), float32(x.d * y.d)}
}

// The methods ending in S take one constant for all lanes, which stays an
// immediate or memory operand where a broadcast f4 would take registers.
func (x u4) andS(c uint32) u4 { return u4{x.a & c, x.b & c, x.c & c, x.d & c} }
func (x u4) orS(c uint32) u4  { return u4{x.a | c, x.b | c, x.c | c, x.d | c} }
func (x u4) xorS(c uint32) u4 { return u4{x.a ^ c, x.b ^ c, x.c ^ c, x.d ^ c} }
func (x u4) addS(c uint32) u4 { return u4{x.a + c, x.b + c, x.c + c, x.d + c} }
func (x u4) subS(c uint32) u4 { return u4{x.a - c, x.b - c, x.c - c, x.d - c} }

// rsubS is c - x.
func (x u4) rsubS(c uint32) u4 { return u4{c - x.a, c - x.b, c - x.c, c - x.d} }

func (x f4) addS(c float32) f4 {
	return f4{float32(x.a + c), float32(x.b + c), float32(x.c + c), float32(x.d + c)}
}

func (x f4) subS(c float32) f4 {
	return f4{float32(x.a - c), float32(x.b - c), float32(x.c - c), float32(x.d - c)}
}

func (x f4) mulS(c float32) f4 {
	return f4{float32(x.a * c), float32(x.b * c), float32(x.c * c), float32(x.d * c)}
}

// rsubS is c - x.
func (x f4) rsubS(c float32) f4 {
	return f4{float32(c - x.a), float32(c - x.b), float32(c - x.c), float32(c - x.d)}
}

// sqrt is correctly rounded, as rng.Radius's.
func (x f4) sqrt() f4 {
	return f4{float32(math.Sqrt(float64(x.a))), float32(math.Sqrt(float64(x.b))), float32(math.Sqrt(float64(x.c))), float32(math.Sqrt(float64(x.d)))}
}

// philox4 is rng.Philox on four lanes' counters (b, lo, hi, 0), lane by
// lane: the four calls' chains of multiplies overlap in the CPU's
// out-of-order window as well as two lanes interleaved by hand do.
func philox4(b uint32, lo, hi u4, key [2]uint32) (c0, c1, c2, c3 u4) {
	c0.a, c1.a, c2.a, c3.a = rng.Philox(b, lo.a, hi.a, 0, key[0], key[1])
	c0.b, c1.b, c2.b, c3.b = rng.Philox(b, lo.b, hi.b, 0, key[0], key[1])
	c0.c, c1.c, c2.c, c3.c = rng.Philox(b, lo.c, hi.c, 0, key[0], key[1])
	c0.d, c1.d, c2.d, c3.d = rng.Philox(b, lo.d, hi.d, 0, key[0], key[1])
	return c0, c1, c2, c3
}

// half33 is rng.Half33.
func half33(v u4) f4 {
	q := v.shl(1).orS(1)
	hi := q.shr(8).float()
	lo := q.andS(0xff).float()
	return hi.mulS(256).add(lo).mulS(0x1p-33)
}

// radius4 is rng.Radius: rng.LogArg's masks, rng.LogPoly, the root.
func radius4(w u4) f4 {
	upper := w.sar(31)
	g := half33(w.xor(upper))
	gb := g.asBits()

	mb := gb.andS(0x7fffff).orS(0x3f000000)
	m := mb.asFloat()
	small := mb.subS(rng.SqrtHalfBits).sar(31)
	xl := m.add(m).subS(1).asBits()
	xl = xl.xor(xl.xor(m.subS(1).asBits()).andNot(small))
	el := gb.shr(23).subS(126).add(small)

	near := gb.subS(rng.OneMinusSqrtHalfBits + 1).sar(31)
	xu := g.add(g).rsubS(1).asBits()
	xu = xu.xor(xu.xor(gb.orS(1 << 31)).and(near))
	eu := near.xorS(0xffffffff)

	x := xl.xor(xl.xor(xu).and(upper)).asFloat()
	e := el.xor(el.xor(eu).and(upper))

	z := x.mul(x)
	p := x.mulS(rng.LogP0).addS(rng.LogP1)
	p = p.mul(x).addS(rng.LogP2)
	p = p.mul(x).addS(rng.LogP3)
	p = p.mul(x).addS(rng.LogP4)
	p = p.mul(x).addS(rng.LogP5)
	p = p.mul(x).addS(rng.LogP6)
	p = p.mul(x).addS(rng.LogP7)
	p = p.mul(x).addS(rng.LogP8)
	y := p.mul(x).mul(z)
	fe := e.float()
	y = y.add(fe.mulS(rng.LogQ1))
	y = y.sub(z.mulS(0.5))
	r := x.add(y)
	l := r.add(fe.mulS(rng.LogQ2))
	return l.mulS(-2).sqrt()
}

// sinCos4 is rng.SinCos: rng.AngleArg, rng.SinCosPoly and the octant's
// swap and signs as bit operations.
func sinCos4(a u4) (sin, cos f4) {
	o := a.shr(29)
	k := a.shr(6).andS(0x7fffff).shl(1).orS(1)
	odd := o.andS(1).rsubS(0)
	k = k.xor(k.xor(k.rsubS(1 << 24)).and(odd))
	psi := k.float().mulS(rng.PsiScale)

	z := psi.mul(psi)
	s := z.mulS(rng.SinS0).addS(rng.SinS1)
	s = s.mul(z).addS(rng.SinS2)
	s = s.mul(z).mul(psi)
	s = s.add(psi)
	c := z.mulS(rng.CosC0).addS(rng.CosC1)
	c = c.mul(z).addS(rng.CosC2)
	c = c.mul(z).mul(z)
	c = c.sub(z.mulS(0.5))
	c = c.addS(1)

	sb, cb := s.asBits(), c.asBits()
	swap := o.addS(1).shr(1).andS(1).rsubS(0)
	t := sb.xor(cb).and(swap)
	sb = sb.xor(t)
	cb = cb.xor(t)
	sb = sb.xor(o.andS(4).shl(29))
	cb = cb.xor(o.addS(2).andS(4).shl(29))
	return sb.asFloat(), cb.asFloat()
}

// batchGeneric is the portable batch path: the loop of sim.Model.Final
// (Model.PathFrom too, when path is not nil) on genericWidth lanes at a
// time, through rng's transform written on u4 and f4.
func batchGeneric(m *sim.Model, first uint64, s0, s1 int, out, path []float32, stop *atomic.Bool) {
	const G = genericWidth
	n := len(out)
	pp, c, sigma := m.P, m.C, m.Sigma
	for g := 0; g < n; g += G {
		lane := first + uint64(g)
		l := [G]uint64{lane, lane + 1, lane + 2, lane + 3}
		lo := u4{uint32(l[0]), uint32(l[1]), uint32(l[2]), uint32(l[3])}
		hi := u4{uint32(l[0] >> 32), uint32(l[1] >> 32), uint32(l[2] >> 32), uint32(l[3] >> 32)}
		t := bf4(m.Start)
		if s0 > 0 {
			var v [G]float32
			copy(v[:], out[g:])
			t = f4{v[0], v[1], v[2], v[3]}
		}
		for s := s0; s < s1; s += 4 {
			if (s-s0)%checkSteps == 0 && stop.Load() {
				return
			}
			w0, w1, w2, w3 := philox4(uint32(s>>2), lo, hi, m.Key)
			r0, r1 := radius4(w0), radius4(w2)
			sn0, c0 := sinCos4(w1)
			sn1, c1 := sinCos4(w3)
			z0, z1, z2, z3 := r0.mul(c0), r0.mul(sn0), r1.mul(c1), r1.mul(sn1)
			if s+4 <= s1 && path == nil {
				t = t.mulS(pp).addS(c).add(z0.mulS(sigma))
				t = t.mulS(pp).addS(c).add(z1.mulS(sigma))
				t = t.mulS(pp).addS(c).add(z2.mulS(sigma))
				t = t.mulS(pp).addS(c).add(z3.mulS(sigma))
				continue
			}
			for q := 0; q < 4 && s+q < s1; q++ {
				z := [4]f4{z0, z1, z2, z3}[q] // a partial block or a path: not the hot loop
				t = t.mulS(pp).addS(c).add(z.mulS(sigma))
				if path != nil {
					r := s + q - s0
					copy(path[r*n+g:(r+1)*n], []float32{t.a, t.b, t.c, t.d})
				}
			}
		}
		copy(out[g:], []float32{t.a, t.b, t.c, t.d})
	}
}
