//go:build goexperiment.simd && amd64

#include "textflag.h"

// normals16x2 (simd_amd64.go): rng.Radius and rng.SinCos, and their
// products, on the 8 word vectors of a Philox block pair, as radius16 and
// sinCos16 (avx512_amd64.go) compute them, operation for operation, in
// straight-line code: every vector stays in a register (radius16 and
// sinCos16 are Go calls, not inlined, and spill). Constants are broadcast
// from normalConsts (C_ offsets below, TestNormalConstsLayout). Z15 is
// left alone: Go code expects it zero. Scratch: Z0-Z13 and Z16-Z31, masks
// K1-K6.
//
// RADIUS2 and SINCOS2 hold two copies of one chain, line for line: the
// first on Z0-Z7 and K1-K3, the second the same instruction on Z22-Z29
// and K4-K6 (Z0 -> Z22 ... Z7 -> Z29, K1 -> K4 ...). Written one chain
// after the other, the same code measured 1.04x the kernel's time against
// 0.925x interleaved: change both lines of a pair together. TestNormalsAsm
// checks every lane of both groups.

#define C_ONE 0
#define C_BYTEMASK 4
#define C_MANT 8
#define C_HALF 12
#define C_SQRTHALF 16
#define C_BIAS 20
#define C_NEARBITS 24
#define C_SIGN 28
#define C_K24 32
#define C_TWO 36
#define C_FOUR 40
#define C_F256 44
#define C_F2M33 48
#define C_F1 52
#define C_FHALF 56
#define C_FM2 60
#define C_LOGQ1 64
#define C_LOGQ2 68
#define C_PSISCALE 72
#define C_LOGP 76
#define C_SINS 112
#define C_COSC 124

// RADIUS2 sets R1 and R2 to rng.Radius of the words in W1 and W2 (kept),
// the two chains interleaved instruction by instruction: W1's in Z0-Z7 and
// K1-K3, W2's in Z22-Z29 and K4-K6. Each computes, in rng.LogArg's and
// rng.LogPoly's order: u = Half33(w, or ^w when w >= 2^31) in Z2; m in
// [0.5, 1) in Z3 and the case m < sqrt(1/2) in K1; x in Z5 and e in Z6
// for u = g (2m-1 or m-1, the exponent); x in Z7 and e in Z4 for u = 1-g
// (-g with e = 0 when g <= 1-sqrt(1/2), else 1-2g with e = -1); the half
// (Z0's sign) picks; then the polynomial and sqrt(-2 ln u).
#define RADIUS2(W1, R1, W2, R2) \
	VPSRAD          $31, W1, Z0; \
	VPSRAD          $31, W2, Z22; \
	VPXORD          Z0, W1, Z1; \
	VPXORD          Z22, W2, Z23; \
	VPSLLD          $1, Z1, Z1; \
	VPSLLD          $1, Z23, Z23; \
	VPORD.BCST      C_ONE(DX), Z1, Z1; \
	VPORD.BCST      C_ONE(DX), Z23, Z23; \
	VPSRLD          $8, Z1, Z2; \
	VPSRLD          $8, Z23, Z24; \
	VCVTDQ2PS       Z2, Z2; \
	VCVTDQ2PS       Z24, Z24; \
	VMULPS.BCST     C_F256(DX), Z2, Z2; \
	VMULPS.BCST     C_F256(DX), Z24, Z24; \
	VPANDD.BCST     C_BYTEMASK(DX), Z1, Z3; \
	VPANDD.BCST     C_BYTEMASK(DX), Z23, Z25; \
	VCVTDQ2PS       Z3, Z3; \
	VCVTDQ2PS       Z25, Z25; \
	VADDPS          Z3, Z2, Z2; \
	VADDPS          Z25, Z24, Z24; \
	VMULPS.BCST     C_F2M33(DX), Z2, Z2; \
	VMULPS.BCST     C_F2M33(DX), Z24, Z24; \
	VPANDD.BCST     C_MANT(DX), Z2, Z3; \
	VPANDD.BCST     C_MANT(DX), Z24, Z25; \
	VPORD.BCST      C_HALF(DX), Z3, Z3; \
	VPORD.BCST      C_HALF(DX), Z25, Z25; \
	VPCMPD.BCST     $1, C_SQRTHALF(DX), Z3, K1; \
	VPCMPD.BCST     $1, C_SQRTHALF(DX), Z25, K4; \
	VADDPS          Z3, Z3, Z4; \
	VADDPS          Z25, Z25, Z26; \
	VSUBPS.BCST     C_F1(DX), Z4, Z4; \
	VSUBPS.BCST     C_F1(DX), Z26, Z26; \
	VSUBPS.BCST     C_F1(DX), Z3, Z5; \
	VSUBPS.BCST     C_F1(DX), Z25, Z27; \
	VMOVAPS         Z4, K1, Z5; \
	VMOVAPS         Z26, K4, Z27; \
	VPSRLD          $23, Z2, Z6; \
	VPSRLD          $23, Z24, Z28; \
	VPSUBD.BCST     C_BIAS(DX), Z6, Z6; \
	VPSUBD.BCST     C_BIAS(DX), Z28, Z28; \
	VPSUBD.BCST     C_ONE(DX), Z6, K1, Z6; \
	VPSUBD.BCST     C_ONE(DX), Z28, K4, Z28; \
	VPCMPD.BCST     $1, C_NEARBITS(DX), Z2, K2; \
	VPCMPD.BCST     $1, C_NEARBITS(DX), Z24, K5; \
	VADDPS          Z2, Z2, Z7; \
	VADDPS          Z24, Z24, Z29; \
	VBROADCASTSS    C_F1(DX), Z4; \
	VBROADCASTSS    C_F1(DX), Z26; \
	VSUBPS          Z7, Z4, Z7; \
	VSUBPS          Z29, Z26, Z29; \
	VPORD.BCST      C_SIGN(DX), Z2, K2, Z7; \
	VPORD.BCST      C_SIGN(DX), Z24, K5, Z29; \
	KNOTW           K2, K3; \
	KNOTW           K5, K6; \
	VPMOVM2D        K3, Z4; \
	VPMOVM2D        K6, Z26; \
	VPMOVD2M        Z0, K3; \
	VPMOVD2M        Z22, K6; \
	VMOVAPS         Z7, K3, Z5; \
	VMOVAPS         Z29, K6, Z27; \
	VMOVDQA32       Z4, K3, Z6; \
	VMOVDQA32       Z26, K6, Z28; \
	VCVTDQ2PS       Z6, Z6; \
	VCVTDQ2PS       Z28, Z28; \
	VMULPS          Z5, Z5, Z7; \
	VMULPS          Z27, Z27, Z29; \
	VBROADCASTSS    C_LOGP(DX), Z4; \
	VBROADCASTSS    C_LOGP(DX), Z26; \
	VMULPS          Z5, Z4, Z4; \
	VMULPS          Z27, Z26, Z26; \
	VADDPS.BCST     C_LOGP+4(DX), Z4, Z4; \
	VADDPS.BCST     C_LOGP+4(DX), Z26, Z26; \
	VMULPS          Z5, Z4, Z4; \
	VMULPS          Z27, Z26, Z26; \
	VADDPS.BCST     C_LOGP+8(DX), Z4, Z4; \
	VADDPS.BCST     C_LOGP+8(DX), Z26, Z26; \
	VMULPS          Z5, Z4, Z4; \
	VMULPS          Z27, Z26, Z26; \
	VADDPS.BCST     C_LOGP+12(DX), Z4, Z4; \
	VADDPS.BCST     C_LOGP+12(DX), Z26, Z26; \
	VMULPS          Z5, Z4, Z4; \
	VMULPS          Z27, Z26, Z26; \
	VADDPS.BCST     C_LOGP+16(DX), Z4, Z4; \
	VADDPS.BCST     C_LOGP+16(DX), Z26, Z26; \
	VMULPS          Z5, Z4, Z4; \
	VMULPS          Z27, Z26, Z26; \
	VADDPS.BCST     C_LOGP+20(DX), Z4, Z4; \
	VADDPS.BCST     C_LOGP+20(DX), Z26, Z26; \
	VMULPS          Z5, Z4, Z4; \
	VMULPS          Z27, Z26, Z26; \
	VADDPS.BCST     C_LOGP+24(DX), Z4, Z4; \
	VADDPS.BCST     C_LOGP+24(DX), Z26, Z26; \
	VMULPS          Z5, Z4, Z4; \
	VMULPS          Z27, Z26, Z26; \
	VADDPS.BCST     C_LOGP+28(DX), Z4, Z4; \
	VADDPS.BCST     C_LOGP+28(DX), Z26, Z26; \
	VMULPS          Z5, Z4, Z4; \
	VMULPS          Z27, Z26, Z26; \
	VADDPS.BCST     C_LOGP+32(DX), Z4, Z4; \
	VADDPS.BCST     C_LOGP+32(DX), Z26, Z26; \
	VMULPS          Z5, Z4, Z4; \
	VMULPS          Z27, Z26, Z26; \
	VMULPS          Z7, Z4, Z4; \
	VMULPS          Z29, Z26, Z26; \
	VMULPS.BCST     C_LOGQ1(DX), Z6, Z1; \
	VMULPS.BCST     C_LOGQ1(DX), Z28, Z23; \
	VADDPS          Z1, Z4, Z4; \
	VADDPS          Z23, Z26, Z26; \
	VMULPS.BCST     C_FHALF(DX), Z7, Z1; \
	VMULPS.BCST     C_FHALF(DX), Z29, Z23; \
	VSUBPS          Z1, Z4, Z4; \
	VSUBPS          Z23, Z26, Z26; \
	VADDPS          Z4, Z5, Z4; \
	VADDPS          Z26, Z27, Z26; \
	VMULPS.BCST     C_LOGQ2(DX), Z6, Z1; \
	VMULPS.BCST     C_LOGQ2(DX), Z28, Z23; \
	VADDPS          Z1, Z4, Z4; \
	VADDPS          Z23, Z26, Z26; \
	VMULPS.BCST     C_FM2(DX), Z4, Z4; \
	VMULPS.BCST     C_FM2(DX), Z26, Z26; \
	VSQRTPS         Z4, R1; \
	VSQRTPS         Z26, R2

// SINCOS2 sets S1, C1 and S2, C2 to rng.SinCos of the words in A1 and A2
// (kept), interleaved as RADIUS2: the octant in Z0, the reduced angle psi
// in Z1 (reflected in odd octants), z = psi^2 in Z2, the polynomials in Z3
// (sin) and Z4 (cos), then the octant's swap (K2) and signs (K3).
#define SINCOS2(A1, S1, C1, A2, S2, C2) \
	VPSRLD          $29, A1, Z0; \
	VPSRLD          $29, A2, Z22; \
	VPSRLD          $6, A1, Z1; \
	VPSRLD          $6, A2, Z23; \
	VPANDD.BCST     C_MANT(DX), Z1, Z1; \
	VPANDD.BCST     C_MANT(DX), Z23, Z23; \
	VPSLLD          $1, Z1, Z1; \
	VPSLLD          $1, Z23, Z23; \
	VPORD.BCST      C_ONE(DX), Z1, Z1; \
	VPORD.BCST      C_ONE(DX), Z23, Z23; \
	VPTESTMD.BCST   C_ONE(DX), Z0, K1; \
	VPTESTMD.BCST   C_ONE(DX), Z22, K4; \
	VPBROADCASTD    C_K24(DX), Z2; \
	VPBROADCASTD    C_K24(DX), Z24; \
	VPSUBD          Z1, Z2, Z2; \
	VPSUBD          Z23, Z24, Z24; \
	VMOVDQA32       Z2, K1, Z1; \
	VMOVDQA32       Z24, K4, Z23; \
	VCVTDQ2PS       Z1, Z1; \
	VCVTDQ2PS       Z23, Z23; \
	VMULPS.BCST     C_PSISCALE(DX), Z1, Z1; \
	VMULPS.BCST     C_PSISCALE(DX), Z23, Z23; \
	VMULPS          Z1, Z1, Z2; \
	VMULPS          Z23, Z23, Z24; \
	VBROADCASTSS    C_SINS(DX), Z3; \
	VBROADCASTSS    C_SINS(DX), Z25; \
	VMULPS          Z2, Z3, Z3; \
	VMULPS          Z24, Z25, Z25; \
	VADDPS.BCST     C_SINS+4(DX), Z3, Z3; \
	VADDPS.BCST     C_SINS+4(DX), Z25, Z25; \
	VMULPS          Z2, Z3, Z3; \
	VMULPS          Z24, Z25, Z25; \
	VADDPS.BCST     C_SINS+8(DX), Z3, Z3; \
	VADDPS.BCST     C_SINS+8(DX), Z25, Z25; \
	VMULPS          Z2, Z3, Z3; \
	VMULPS          Z24, Z25, Z25; \
	VMULPS          Z1, Z3, Z3; \
	VMULPS          Z23, Z25, Z25; \
	VADDPS          Z1, Z3, Z3; \
	VADDPS          Z23, Z25, Z25; \
	VBROADCASTSS    C_COSC(DX), Z4; \
	VBROADCASTSS    C_COSC(DX), Z26; \
	VMULPS          Z2, Z4, Z4; \
	VMULPS          Z24, Z26, Z26; \
	VADDPS.BCST     C_COSC+4(DX), Z4, Z4; \
	VADDPS.BCST     C_COSC+4(DX), Z26, Z26; \
	VMULPS          Z2, Z4, Z4; \
	VMULPS          Z24, Z26, Z26; \
	VADDPS.BCST     C_COSC+8(DX), Z4, Z4; \
	VADDPS.BCST     C_COSC+8(DX), Z26, Z26; \
	VMULPS          Z2, Z4, Z4; \
	VMULPS          Z24, Z26, Z26; \
	VMULPS          Z2, Z4, Z4; \
	VMULPS          Z24, Z26, Z26; \
	VMULPS.BCST     C_FHALF(DX), Z2, Z5; \
	VMULPS.BCST     C_FHALF(DX), Z24, Z27; \
	VSUBPS          Z5, Z4, Z4; \
	VSUBPS          Z27, Z26, Z26; \
	VADDPS.BCST     C_F1(DX), Z4, Z4; \
	VADDPS.BCST     C_F1(DX), Z26, Z26; \
	VPADDD.BCST     C_ONE(DX), Z0, Z5; \
	VPADDD.BCST     C_ONE(DX), Z22, Z27; \
	VPTESTMD.BCST   C_TWO(DX), Z5, K2; \
	VPTESTMD.BCST   C_TWO(DX), Z27, K5; \
	VMOVAPS         Z3, S1; \
	VMOVAPS         Z25, S2; \
	VMOVAPS         Z4, K2, S1; \
	VMOVAPS         Z26, K5, S2; \
	VMOVAPS         Z4, C1; \
	VMOVAPS         Z26, C2; \
	VMOVAPS         Z3, K2, C1; \
	VMOVAPS         Z25, K5, C2; \
	VPTESTMD.BCST   C_FOUR(DX), Z0, K3; \
	VPTESTMD.BCST   C_FOUR(DX), Z22, K6; \
	VPXORD.BCST     C_SIGN(DX), S1, K3, S1; \
	VPXORD.BCST     C_SIGN(DX), S2, K6, S2; \
	VPADDD.BCST     C_TWO(DX), Z0, Z5; \
	VPADDD.BCST     C_TWO(DX), Z22, Z27; \
	VPTESTMD.BCST   C_FOUR(DX), Z5, K3; \
	VPTESTMD.BCST   C_FOUR(DX), Z27, K6; \
	VPXORD.BCST     C_SIGN(DX), C1, K3, C1; \
	VPXORD.BCST     C_SIGN(DX), C2, K6, C2

// GROUPS turns the word vectors of both groups (a's c0..c3 at 0(SI), b's
// at 256(SI)) into their normals in place: r0 = Radius(c0), r1 =
// Radius(c2), (s0, k0) = SinCos(c1), (s1, k1) = SinCos(c3); then r0*k0,
// r0*s0, r1*k1, r1*s1. Every word vector is loaded before its slot is
// written.
#define GROUPS \
	VMOVDQU32 0(SI), Z10; \
	VMOVDQU32 256(SI), Z11; \
	RADIUS2(Z10, Z16, Z11, Z17); \
	VMOVDQU32 128(SI), Z10; \
	VMOVDQU32 384(SI), Z11; \
	RADIUS2(Z10, Z18, Z11, Z19); \
	VMOVDQU32 64(SI), Z10; \
	VMOVDQU32 320(SI), Z11; \
	SINCOS2(Z10, Z20, Z21, Z11, Z30, Z31); \
	VMULPS    Z21, Z16, Z12; \
	VMULPS    Z20, Z16, Z13; \
	VMOVUPS   Z12, 0(SI); \
	VMOVUPS   Z13, 64(SI); \
	VMULPS    Z31, Z17, Z12; \
	VMULPS    Z30, Z17, Z13; \
	VMOVUPS   Z12, 256(SI); \
	VMOVUPS   Z13, 320(SI); \
	VMOVDQU32 192(SI), Z10; \
	VMOVDQU32 448(SI), Z11; \
	SINCOS2(Z10, Z20, Z21, Z11, Z30, Z31); \
	VMULPS    Z21, Z18, Z12; \
	VMULPS    Z20, Z18, Z13; \
	VMOVUPS   Z12, 128(SI); \
	VMOVUPS   Z13, 192(SI); \
	VMULPS    Z31, Z19, Z12; \
	VMULPS    Z30, Z19, Z13; \
	VMOVUPS   Z12, 384(SI); \
	VMOVUPS   Z13, 448(SI)

// func normals16x2(words *[8][16]uint32, c *normalConsts)
TEXT ·normals16x2(SB), NOSPLIT, $0-16
	MOVQ words+0(FP), SI
	MOVQ c+8(FP), DX
	GROUPS
	VZEROUPPER
	RET
