package sim

import "math"

// dd is a double-double, the unevaluated sum hi + lo of two float64 with
// |lo| at most half an ulp of hi: about 106 bits (Dekker, "A floating-point
// technique for extending the available precision", Numer. Math. 18, 1971;
// the algorithms of Bailey's QD library, Hida, Li and Bailey, 2001). The
// exact law is computed in it, so that 1 - p^(2n) and anchor + p^n (start -
// anchor) keep float64's digits where their terms cancel.
type dd struct{ hi, lo float64 }

// twoSum returns a + b exactly (Knuth, TAOCP vol. 2, 4.2.2, theorem B).
func twoSum(a, b float64) dd {
	s := a + b
	bb := s - a
	return dd{s, (a - (s - bb)) + (b - bb)}
}

// fastTwoSum returns a + b exactly when |a| >= |b| or a is 0 (Dekker).
func fastTwoSum(a, b float64) dd {
	s := a + b
	return dd{s, b - (s - a)}
}

// twoProd returns a b exactly (its low part by a fused multiply-add) unless
// it underflows. math.FMA is the one fused operation in the package: the
// high part is rounded explicitly (float64(a * b)), as every product is
// that meets an addition in the package, because the Go spec lets the
// compiler fuse x*y + z across statements unless a conversion rounds the
// product, and it does on arm64, ppc64le, s390x and riscv64; a product
// fused into a caller's sum (twoSum of p*p and -1, or of a product's high
// part and its carried low part) counted the low part twice, and the law
// of --persistence -1.0000001 over 2^28 steps erred by 1.4e6 ulps there.
func twoProd(a, b float64) dd {
	p := float64(a * b)
	return dd{p, math.FMA(a, b, -p)}
}

// add returns x + y, with a relative error of a few 2^-106 (QD's
// ieee_add).
func (x dd) add(y dd) dd {
	s, t := twoSum(x.hi, y.hi), twoSum(x.lo, y.lo)
	s = fastTwoSum(s.hi, s.lo+t.hi)
	return fastTwoSum(s.hi, s.lo+t.lo)
}

// mul returns x y, with a relative error of a few 2^-106.
func (x dd) mul(y dd) dd {
	p := twoProd(x.hi, y.hi)
	return fastTwoSum(p.hi, p.lo+(float64(x.hi*y.lo)+float64(x.lo*y.hi)))
}

// div returns x / y, y != 0: a quotient and one correction.
func (x dd) div(y dd) dd {
	q := x.hi / y.hi
	r := x.add(y.mul(dd{-q, 0}))
	return fastTwoSum(q, r.hi/y.hi)
}

// neg returns -x.
func (x dd) neg() dd { return dd{-x.hi, -x.lo} }

// ldexp returns x 2^e, 0 below float64's least and +-Inf past its
// largest, with one rounding more where it lands among the subnormals.
func (x dd) ldexp(e int64) dd {
	e = max(min(e, 1<<12), -1<<12) // beyond either end whatever hi's exponent
	return dd{math.Ldexp(x.hi, int(e)), math.Ldexp(x.lo, int(e))}
}

// powDD returns |x|^n as m 2^e, m in [0.5, 1) (0 when x is 0), for x a
// finite float64 and n >= 0: by squaring, as math.Pow does, but in
// double-double, whose errors a squaring doubles from about 2^-104, so
// that after the 32 squarings of n = 2^32 the power errs by about 2^-72
// of itself where math.Pow's erred by 2^32 float64 ulps (5e-7 relative).
// The exponent is kept apart (an int64, also on 32-bit platforms), so that
// neither overflows nor underflows on the way.
func powDD(x float64, n int) (m dd, e int64) {
	f, fe := math.Frexp(math.Abs(x))
	b, be := dd{f, 0}, int64(fe)
	m, e = dd{0.5, 0}, 1
	for ; n > 0; n >>= 1 {
		if n&1 == 1 {
			m, e = m.mul(b).norm(e + be)
		}
		if n > 1 {
			b, be = b.mul(b).norm(2 * be)
		}
	}
	return m, e
}

// norm returns x with hi scaled into [0.5, 1) and e adjusted to keep x 2^e
// (x 0 stays 0).
func (x dd) norm(e int64) (dd, int64) {
	f, k := math.Frexp(x.hi)
	return dd{f, math.Ldexp(x.lo, -k)}, e + int64(k)
}
