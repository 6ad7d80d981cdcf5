package rng

import "math"

// The polynomials below are Stephen L. Moshier's single-precision ones from the
// Cephes Math Library 2.2 (cephes/single/logf.c and sinf.c), evaluated in the
// exact order written in docs/reproducibility.md. Every float32(...) conversion
// marks one IEEE-754 rounding and keeps the compiler from fusing a multiply
// into an add (the Go spec allows fusion only where no conversion intervenes).
const (
	sqrtHalf        = float32(0.70710678118654752440) // Cephes SQRTHF
	oneMinusSqrtHal = float32(0.29289321881345247560) // 1 - SQRTHF

	LogP0 = float32(7.0376836292e-2)
	LogP1 = float32(-1.1514610310e-1)
	LogP2 = float32(1.1676998740e-1)
	LogP3 = float32(-1.2420140846e-1)
	LogP4 = float32(1.4249322787e-1)
	LogP5 = float32(-1.6668057665e-1)
	LogP6 = float32(2.0000714765e-1)
	LogP7 = float32(-2.4999993993e-1)
	LogP8 = float32(3.3333331174e-1)
	LogQ1 = float32(-2.12194440e-4) // ln 2 = LogQ2 - LogQ1 split (Cody-Waite)
	LogQ2 = float32(0.693359375)

	SinS0 = float32(-1.9515295891e-4)
	SinS1 = float32(8.3321608736e-3)
	SinS2 = float32(-1.6666654611e-1)
	CosC0 = float32(2.443315711809948e-5)
	CosC1 = float32(-1.388731625493765e-3)
	CosC2 = float32(4.166664568298827e-2)

	SqrtHalfBits         = 0x3f3504f3 // math.Float32bits(sqrtHalf)
	OneMinusSqrtHalfBits = 0x3e95f61a // math.Float32bits(oneMinusSqrtHal)

	// PsiScale is float32(pi/4) * 2^-24: an odd 24-bit integer k times it is
	// the angle within an octant, in (0, pi/4).
	PsiScale = float32(math.Pi/4) * 0x1p-24
)

// Normals4 turns one Philox block into four standard normals by Box-Muller on
// two pairs: w[0] gives the first radius and w[1] its angle, w[2] and w[3] the
// second pair. It returns (r0 cos a0, r0 sin a0, r1 cos a1, r1 sin a1), each
// product rounded once to float32 (docs/reproducibility.md, section 3).
func Normals4(w [4]uint32) [4]float32 {
	z0, z1, z2, z3 := Normals(w[0], w[1], w[2], w[3])
	return [4]float32{z0, z1, z2, z3}
}

// Normals is Normals4 on words in registers.
func Normals(w0, w1, w2, w3 uint32) (z0, z1, z2, z3 float32) {
	r0, r1 := Radius(w0), Radius(w2)
	s0, c0 := SinCos(w1)
	s1, c1 := SinCos(w3)
	return float32(r0 * c0), float32(r0 * s0), float32(r1 * c1), float32(r1 * s1)
}

// LaneBlock returns the four normals of lane's step block b under key: steps
// 4b..4b+3 of the lane use them in order. The counter is (b, low32(lane),
// high32(lane), 0) (docs/reproducibility.md, section 2, counter assignment).
func LaneBlock(lane uint64, b uint32, key [2]uint32) (z0, z1, z2, z3 float32) {
	return Normals(Philox(b, uint32(lane), uint32(lane>>32), 0, key[0], key[1]))
}

// Half33 returns (2v+1) * 2^-33 for v < 2^31, with 2v+1 rounded to float32 as
// hi*256 + lo: two exact conversions, an exact multiply and one rounded add.
func Half33(v uint32) float32 {
	q := v<<1 | 1
	hi := float32(q >> 8)
	lo := float32(q & 0xff)
	return float32(float32(float32(hi*256)+lo) * 0x1p-33)
}

// LogArg reduces the uniform u = (2w+1) * 2^-33 of word w to the Cephes form
// ln u = ln(1+x) + e ln 2 with x in [sqrt(1/2)-1, sqrt(2)-1]. Words below 2^31
// reduce u itself; the others reduce through 1-u, which keeps full relative
// precision of ln u near u = 1. The four cases are selected with bit masks:
// the results are those of the branches in docs/reproducibility.md, without
// the mispredicted jumps (each condition is a coin flip).
func LogArg(w uint32) (x float32, e int32) {
	upper := uint32(int32(w) >> 31) // all ones when w >= 2^31
	g := Half33(w ^ upper)          // u or 1-u, in [2^-33, 0.5]
	gb := math.Float32bits(g)

	// u = g: frexp-style split into m in [0.5, 1) and its exponent.
	mb := gb&0x7fffff | 0x3f000000
	m := math.Float32frombits(mb)
	small := uint32(int32(mb-SqrtHalfBits) >> 31) // m < sqrt(1/2): positive floats order as integers
	xl := math.Float32bits(float32(m+m) - 1)
	xl = xl ^ ((xl ^ math.Float32bits(m-1)) &^ small)
	el := int32(gb>>23) - 126 + int32(small) // small is 0 or -1

	// u = 1-g: x = -g when u >= sqrt(1/2), else 2u-1 = 1-2g with e = -1.
	near := uint32(int32(gb-OneMinusSqrtHalfBits-1) >> 31) // g <= 1-sqrt(1/2)
	xu := math.Float32bits(1 - float32(g+g))
	xu = xu ^ ((xu ^ (gb | 1<<31)) & near)
	eu := int32(^near) // -1 unless near

	x = math.Float32frombits(xl ^ ((xl ^ xu) & upper))
	e = el ^ ((el ^ eu) & int32(upper))
	return x, e
}

// LogPoly is Cephes logf's core: ln(1+x) + e ln 2 for x reduced by LogArg,
// with the polynomial LogP0..LogP8 and the split ln 2 = LogQ2 + LogQ1.
func LogPoly(x float32, e int32) float32 {
	z := float32(x * x)
	p := LogP0
	p = float32(float32(p*x) + LogP1)
	p = float32(float32(p*x) + LogP2)
	p = float32(float32(p*x) + LogP3)
	p = float32(float32(p*x) + LogP4)
	p = float32(float32(p*x) + LogP5)
	p = float32(float32(p*x) + LogP6)
	p = float32(float32(p*x) + LogP7)
	p = float32(float32(p*x) + LogP8)
	y := float32(float32(p*x) * z)
	fe := float32(e)
	y = float32(y + float32(LogQ1*fe))
	y = float32(y - float32(0.5*z))
	r := float32(x + y)
	return float32(r + float32(LogQ2*fe))
}

// Radius is sqrt(-2 ln u) for the uniform u = (2w+1) * 2^-33 of word w. It
// reaches 6.76 (w = 0), so normals are not cut off at the 5.77 of 24-bit
// uniforms. The square root is correctly rounded: float32 of the float64 root
// of a float32 is (53 >= 2*24+2). Section 3.1 of docs/reproducibility.md
// specifies it, 3.3 bounds its error (3.96e-7 absolute).
func Radius(w uint32) float32 {
	x, e := LogArg(w)
	s := float32(-2 * LogPoly(x, e))
	return float32(math.Sqrt(float64(s)))
}

// AngleArg splits word a into its octant o = a>>29 and an odd 24-bit k from
// bits 6..28 such that the angle is (o + k/2^24) pi/4 for even octants; odd
// octants reflect k to 2^24-k and measure from the octant's upper end.
func AngleArg(a uint32) (o uint32, k uint32) {
	o = a >> 29
	k = ((a>>6)&0x7fffff)<<1 | 1
	odd := -(o & 1)
	k ^= (k ^ (1<<24 - k)) & odd
	return o, k
}

// SinCosPoly is Cephes sinf/cosf's pair of polynomials for psi in [0, pi/4].
func SinCosPoly(psi float32) (s, c float32) {
	z := float32(psi * psi)
	s = SinS0
	s = float32(float32(s*z) + SinS1)
	s = float32(float32(s*z) + SinS2)
	s = float32(float32(s*z) * psi)
	s = float32(s + psi)
	c = CosC0
	c = float32(float32(c*z) + CosC1)
	c = float32(float32(c*z) + CosC2)
	c = float32(float32(c*z) * z)
	c = float32(c - float32(0.5*z))
	c = float32(c + 1)
	return s, c
}

// SinCos returns sin and cos of the angle 2 pi ((a>>6) + 1/2) / 2^26 radians
// of word a (docs/reproducibility.md, section 3.2). Octants 1, 2, 5, 6 trade sin and cos, octants 4..7 negate sin and 2..5
// negate cos; all three are bit operations.
func SinCos(a uint32) (sin, cos float32) {
	o, k := AngleArg(a)
	psi := float32(float32(k) * PsiScale)
	s, c := SinCosPoly(psi)
	sb, cb := math.Float32bits(s), math.Float32bits(c)
	swap := -(((o + 1) >> 1) & 1)
	t := (sb ^ cb) & swap
	sb ^= t
	cb ^= t
	sb ^= (o & 4) << 29
	cb ^= ((o + 2) & 4) << 29
	return math.Float32frombits(sb), math.Float32frombits(cb)
}
