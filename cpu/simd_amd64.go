//go:build goexperiment.simd && amd64

package cpu

import (
	"simd/archsimd"

	"github.com/gpusim/gpusim/rng"
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
// not, so the AVX2 path has the same shape: avx2_amd64.go is generated
// from avx512_amd64.go (go generate; cpu/internal/gen says what it
// rewrites), all but Philox, written apart below. Bitwise operations are on unsigned
// vectors on purpose: Go 1.26.8 fuses those on signed vectors into
// VPTERNLOG, and gets x.AndNot(y) backwards there (x.Xor(x.Xor(y).AndNot(z))
// on Int32x16 computes the wrong select).
//
// No legacy SSE instruction runs in the loops: after AVX-512 (or AVX2)
// code has left the upper halves of the vector registers dirty, an SSE
// instruction that writes an XMM register costs hundreds of cycles on the
// Xeon this was measured on (a KVM guest). Go 1.26.8 compiles ShiftAllRight
// on unsigned lanes with its count moved into an XMM register by a legacy
// MOVQ, so logical right shifts here take their counts from vectors in vc
// (ShiftRight, VPSRLVD/VPSRLQ); ShiftAllLeft and the arithmetic
// ShiftAllRight on signed lanes compile to immediates and are kept.

// vc holds the vector paths' constants, each repeated across 16 lanes; the
// AVX2 path loads the first 8.
var vc = struct {
	one, byteMask, mant, half, sqrtHalf, bias, nearBits, sign, ones, k24, two, four [16]uint32
	sh6, sh8, sh23, sh29, sh32                                                      [16]uint32
	m0, m1, lowEven                                                                 [16]uint32
	f256, f2m33, f1, fHalf, fm2, logQ1, logQ2, psiScale                             [16]float32
	logP                                                                            [9][16]float32
	sinS, cosC                                                                      [3][16]float32
}{
	one: rep(1), byteMask: rep(0xff), mant: rep(0x7fffff), half: rep(0x3f000000),
	sqrtHalf: rep(rng.SqrtHalfBits), bias: rep(126), nearBits: rep(rng.OneMinusSqrtHalfBits + 1),
	sign: rep(1 << 31), ones: rep(0xffffffff), k24: rep(1 << 24), two: rep(2), four: rep(4),
	sh6: rep(6), sh8: rep(8), sh23: rep(23), sh29: rep(29), sh32: repEven(32),
	m0: rep(rng.PhiloxM0), m1: rep(rng.PhiloxM1), lowEven: repEven(0xffffffff),
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

// newKeySchedule fills the schedule with vector stores: the copies of
// [16]uint32 values Go compiles to legacy SSE moves, which cost hundreds of
// cycles each after AVX-512 code (see the comment above vc).
func newKeySchedule(key [2]uint32) *keySchedule {
	ks := new(keySchedule)
	k0, k1 := key[0], key[1]
	for r := range ks {
		// 8 lanes at a time: the AVX2 path uses the schedule too.
		for _, w := range [...]struct {
			k   uint32
			dst *[16]uint32
		}{{k0, &ks[r][0]}, {k1, &ks[r][1]}} {
			v := archsimd.BroadcastUint32x8(w.k)
			v.Store((*[8]uint32)(w.dst[:8]))
			v.Store((*[8]uint32)(w.dst[8:]))
		}
		k0 += rng.PhiloxW0
		k1 += rng.PhiloxW1
	}
	return ks
}

// philox16 is rng.Philox on 16 lanes' counters (b, lo, hi, 0), in assembly
// (philox16x1, philox_amd64.s; see philoxPair16).
func philox16(b uint32, lo, hi archsimd.Uint32x16, ks *keySchedule) (c0, c1, c2, c3 archsimd.Uint32x16) {
	var ctr [2][16]uint32
	var words [4][16]uint32
	lo.Store(&ctr[0])
	hi.Store(&ctr[1])
	philox16x1(b, &ctr, ks, &words)
	return archsimd.LoadUint32x16(&words[0]), archsimd.LoadUint32x16(&words[1]),
		archsimd.LoadUint32x16(&words[2]), archsimd.LoadUint32x16(&words[3])
}

// philox16x1 writes the words of philox16's block to out.
//
//go:noescape
func philox16x1(b uint32, ctr *[2][16]uint32, ks *keySchedule, out *[4][16]uint32)

// philoxPair16 is philox16 on two groups of 16 lanes, a and b, whose
// counters' low and high words are ctr[0] and ctr[1] (a), ctr[2] and ctr[3]
// (b): in assembly (philox16x2, philox_amd64.s), with VPMULUDQ on 512 bits,
// one uop, where archsimd multiplies 64-bit lanes with VPMULLQ, three uops
// of 15 cycles' latency. words is the assembly's scratch for its results.
func philoxPair16(b uint32, ctr *[4][16]uint32, ks *keySchedule, words *[8][16]uint32) (a0, a1, a2, a3, b0, b1, b2, b3 archsimd.Uint32x16) {
	philox16x2(b, ctr, ks, words)
	return archsimd.LoadUint32x16(&words[0]), archsimd.LoadUint32x16(&words[1]),
		archsimd.LoadUint32x16(&words[2]), archsimd.LoadUint32x16(&words[3]),
		archsimd.LoadUint32x16(&words[4]), archsimd.LoadUint32x16(&words[5]),
		archsimd.LoadUint32x16(&words[6]), archsimd.LoadUint32x16(&words[7])
}

// philox16x2 writes the words of philoxPair16's blocks to out: a's c0..c3,
// then b's.
//
//go:noescape
func philox16x2(b uint32, ctr *[4][16]uint32, ks *keySchedule, out *[8][16]uint32)

// normalsPair16 is the 4 normals of each of philoxPair16's blocks (a's,
// then b's): rng.Radius of the words c0 and c2, rng.SinCos of c1 and c3,
// and the products r0*cos, r0*sin, r1*cos, r1*sin, as radius16 and
// sinCos16 compute them. In assembly (philox16x2, then normals16x2 in
// normals_amd64.s, which turns the words in place into the normals'
// bits): there every vector of the two groups' Box-Muller stays in one of
// AVX-512's 32 registers, where Go's radius16 and sinCos16 are calls it
// does not inline and spill around (Go keeps 512-bit values in Z0-Z14).
func normalsPair16(b uint32, ctr *[4][16]uint32, ks *keySchedule, words *[8][16]uint32) (za0, za1, za2, za3, zb0, zb1, zb2, zb3 archsimd.Float32x16) {
	philox16x2(b, ctr, ks, words)
	normals16x2(words, &normalConst)
	return archsimd.LoadUint32x16(&words[0]).AsFloat32x16(), archsimd.LoadUint32x16(&words[1]).AsFloat32x16(),
		archsimd.LoadUint32x16(&words[2]).AsFloat32x16(), archsimd.LoadUint32x16(&words[3]).AsFloat32x16(),
		archsimd.LoadUint32x16(&words[4]).AsFloat32x16(), archsimd.LoadUint32x16(&words[5]).AsFloat32x16(),
		archsimd.LoadUint32x16(&words[6]).AsFloat32x16(), archsimd.LoadUint32x16(&words[7]).AsFloat32x16()
}

// normals16x2 replaces the 8 word vectors of a block pair in words (a's
// c0..c3, then b's) with the bits of their 4 normals each, as
// normalsPair16 says.
//
//go:noescape
func normals16x2(words *[8][16]uint32, c *normalConsts)

// normalConsts are normals16x2's constants, one lane each (the assembly
// broadcasts them): the same values as vc's, at the offsets
// normals_amd64.s names (TestNormalConstsLayout).
type normalConsts struct {
	one, byteMask, mant, half, sqrtHalf, bias, nearBits, sign, k24, two, four uint32
	f256, f2m33, f1, fHalf, fm2, logQ1, logQ2, psiScale                       float32
	logP                                                                      [9]float32
	sinS, cosC                                                                [3]float32
}

var normalConst = normalConsts{
	one: 1, byteMask: 0xff, mant: 0x7fffff, half: 0x3f000000, sqrtHalf: rng.SqrtHalfBits, bias: 126,
	nearBits: rng.OneMinusSqrtHalfBits + 1, sign: 1 << 31, k24: 1 << 24, two: 2, four: 4,
	f256: 256, f2m33: 0x1p-33, f1: 1, fHalf: 0.5, fm2: -2, logQ1: rng.LogQ1, logQ2: rng.LogQ2, psiScale: rng.PsiScale,
	logP: [9]float32{rng.LogP0, rng.LogP1, rng.LogP2, rng.LogP3, rng.LogP4, rng.LogP5, rng.LogP6, rng.LogP7, rng.LogP8},
	sinS: [3]float32{rng.SinS0, rng.SinS1, rng.SinS2},
	cosC: [3]float32{rng.CosC0, rng.CosC1, rng.CosC2},
}

// normalsPair8 is normalsPair16 on two groups of 8 lanes, in Go (the
// generated AVX2 path calls it): philoxPair8, radius8, sinCos8.
func normalsPair8(b uint32, ctr *[4][8]uint32, ks *keySchedule, words *[8][8]uint32) (za0, za1, za2, za3, zb0, zb1, zb2, zb3 archsimd.Float32x8) {
	a0, a1, a2, a3, b0, b1, b2, b3 := philoxPair8(b, ctr, ks, words)
	ra0, ra1 := radius8(a0, a2)
	rb0, rb1 := radius8(b0, b2)
	sa0, ca0, sa1, ca1 := sinCos8(a1, a3)
	sb0, cb0, sb1, cb1 := sinCos8(b1, b3)
	return ra0.Mul(ca0), ra0.Mul(sa0), ra1.Mul(ca1), ra1.Mul(sa1), rb0.Mul(cb0), rb0.Mul(sb0), rb1.Mul(cb1), rb1.Mul(sb1)
}

// philoxPair8 is philox8 on two groups of 8 lanes, as philoxPair16 is
// philox16 (the generated AVX2 path calls it; words is unused).
func philoxPair8(b uint32, ctr *[4][8]uint32, ks *keySchedule, _ *[8][8]uint32) (a0, a1, a2, a3, b0, b1, b2, b3 archsimd.Uint32x8) {
	a0, a1, a2, a3 = philox8(b, archsimd.LoadUint32x8(&ctr[0]), archsimd.LoadUint32x8(&ctr[1]), ks)
	b0, b1, b2, b3 = philox8(b, archsimd.LoadUint32x8(&ctr[2]), archsimd.LoadUint32x8(&ctr[3]), ks)
	return
}

// philox8 is rng.Philox on 8 lanes' counters (b, lo, hi, 0). A 32x32-bit
// product's high word comes from the 64-bit products of the even lanes and
// of the odd lanes shifted down; its low word from a 32-bit multiply.
func philox8(b uint32, lo, hi archsimd.Uint32x8, ks *keySchedule) (c0, c1, c2, c3 archsimd.Uint32x8) {
	c0, c1, c2 = archsimd.BroadcastUint32x8(b), lo, hi
	low := archsimd.LoadUint32x8((*[8]uint32)(vc.lowEven[:8])).AsUint64x4()
	for r := range ks {
		sh32 := archsimd.LoadUint32x8((*[8]uint32)(vc.sh32[:8])).AsUint64x4()
		m0 := archsimd.LoadUint32x8((*[8]uint32)(vc.m0[:8]))
		m1 := archsimd.LoadUint32x8((*[8]uint32)(vc.m1[:8]))
		e0 := c0.MulEvenWiden(m0)
		o0 := c0.AsUint64x4().ShiftRight(sh32).AsUint32x8().MulEvenWiden(m0)
		e2 := c2.MulEvenWiden(m1)
		o2 := c2.AsUint64x4().ShiftRight(sh32).AsUint32x8().MulEvenWiden(m1)
		h0 := e0.ShiftRight(sh32).Or(o0.AndNot(low)).AsUint32x8()
		h2 := e2.ShiftRight(sh32).Or(o2.AndNot(low)).AsUint32x8()
		l0 := c0.Mul(m0)
		l2 := c2.Mul(m1)
		c0 = h2.Xor(c1).Xor(archsimd.LoadUint32x8((*[8]uint32)(ks[r][0][:8])))
		c2 = h0.Xor(c3).Xor(archsimd.LoadUint32x8((*[8]uint32)(ks[r][1][:8])))
		c1, c3 = l2, l0
	}
	return c0, c1, c2, c3
}
