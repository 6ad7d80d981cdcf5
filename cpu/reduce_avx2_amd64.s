//go:build goexperiment.simd && amd64

#include "textflag.h"
#include "reduce_amd64.h"

// reduce8 (reduce_amd64.go) in AVX2: reduce16's loop (reduce_amd64.s) on
// groups of 8 finals. AVX2 has no 64-bit multiply, so the digest's products
// by a constant c are built from three 32x32-bit ones (VPMULUDQ):
// x*c mod 2^64 = lo(x)*lo(c) + ((hi(x)*lo(c) + lo(x)*hi(c)) << 32).
// Y8-Y13 hold the state (Y15 is left alone: Go code expects it zero), the
// constants sit in a 32-byte-aligned frame as whole vectors.

// Frame offsets from DI (32-byte aligned).
#define F_BINS 0
#define F_PAIRS 32
#define F_LO 160
#define F_SCALE 192
#define F_TOP 224
#define F_OVERFLOW 256
#define F_ONE 288
#define F_MAGNITUDE 320
#define F_SHIFT 352
#define F_EIGHT 384
#define F_M1 416
#define F_M1HI 448
#define F_M2 480
#define F_M2HI 512

// MUL64 sets X to X*c mod 2^64 on 4 lanes, c's words at C(DI) and its high
// words at CHI(DI); T and U are scratch.
#define MUL64(X, T, U, C, CHI) \
	VPSRLQ   $32, X, T; \
	VPMULUDQ C(DI), T, T; \
	VPMULUDQ CHI(DI), X, U; \
	VPADDQ   U, T, T; \
	VPSLLQ   $32, T, T; \
	VPMULUDQ C(DI), X, X; \
	VPADDQ   T, X, X

// MIX64 is sim.Mix64 on the 4 lanes of X (in place).
#define MIX64(X, T, U) \
	VPSRLQ $30, X, T; \
	VPXOR  T, X, X; \
	MUL64(X, T, U, F_M1, F_M1HI); \
	VPSRLQ $27, X, T; \
	VPXOR  T, X, X; \
	MUL64(X, T, U, F_M2, F_M2HI); \
	VPSRLQ $31, X, T; \
	VPXOR  T, X, X

// BCASTQ broadcasts the 64-bit constant K to the frame at OFF.
#define BCASTQ(K, OFF) \
	MOVQ         K, AX; \
	VMOVQ        AX, X0; \
	VPBROADCASTQ X0, Y0; \
	VMOVDQA      Y0, OFF(DI)

// BCASTD broadcasts the 32-bit constant K to the frame at OFF.
#define BCASTD(K, OFF) \
	MOVL         K, AX; \
	VMOVD        AX, X0; \
	VPBROADCASTD X0, Y0; \
	VMOVDQA      Y0, OFF(DI)

// func reduce8(xs *float32, groups int, st *reduceState, counts *uint64) int
TEXT ·reduce8(SB), NOSPLIT, $576-40
	MOVQ xs+0(FP), SI
	MOVQ groups+8(FP), CX
	MOVQ st+16(FP), DX
	MOVQ counts+24(FP), BX
	LEAQ 31(SP), DI
	ANDQ $~31, DI

	VBROADCASTSS ST_LO(DX), Y0
	VMOVAPS      Y0, F_LO(DI)
	VBROADCASTSS ST_SCALE(DX), Y0
	VMOVAPS      Y0, F_SCALE(DI)
	VBROADCASTSS ST_TOP(DX), Y0
	VMOVAPS      Y0, F_TOP(DI)
	VBROADCASTSS ST_OVERFLOW(DX), Y0
	VMOVAPS      Y0, F_OVERFLOW(DI)
	VBROADCASTSD ST_SHIFT(DX), Y0
	VMOVAPD      Y0, F_SHIFT(DI)
	BCASTD($1, F_ONE)
	BCASTD($0x7fffffff, F_MAGNITUDE)
	BCASTQ($8, F_EIGHT)
	BCASTQ($0xbf58476d1ce4e5b9, F_M1)
	BCASTQ($0xbf58476d, F_M1HI)
	BCASTQ($0x94d049bb133111eb, F_M2)
	BCASTQ($0x94d049bb, F_M2HI)

	VMOVDQU ST_LANES(DX), Y8
	VMOVDQU ST_LANES+32(DX), Y9
	VMOVDQU ST_DIGEST(DX), Y10
	VMOVDQU ST_MIN(DX), Y11
	VMOVDQU ST_MAX(DX), Y12
	VMOVUPD ST_SUMS(DX), X13

	XORQ R9, R9

loop:
	CMPQ      R9, CX
	JGE       done
	VMOVUPS   (SI), Y0
	VCMPPS    $3, Y0, Y0, Y1 // unordered: a NaN
	VMOVMSKPS Y1, AX
	TESTL     AX, AX
	JNZ       done

	// Digest: mix64(mix64(lane + golden) ^ bits), lanes 0-3 and 4-7.
	VPMOVZXDQ    X0, Y1
	VEXTRACTI128 $1, Y0, X2
	VPMOVZXDQ    X2, Y2
	VMOVDQA      Y8, Y3
	MIX64(Y3, Y4, Y5)
	VPXOR        Y1, Y3, Y3
	MIX64(Y3, Y4, Y5)
	VPADDQ       Y3, Y10, Y10
	VMOVDQA      Y9, Y3
	MIX64(Y3, Y4, Y5)
	VPXOR        Y2, Y3, Y3
	MIX64(Y3, Y4, Y5)
	VPADDQ       Y3, Y10, Y10
	VPADDQ       F_EIGHT(DI), Y8, Y8
	VPADDQ       F_EIGHT(DI), Y9, Y9

	// Extremes: the bits with the magnitude flipped when negative.
	VPSRAD  $31, Y0, Y3
	VPAND   F_MAGNITUDE(DI), Y3, Y3
	VPXOR   Y0, Y3, Y3
	VPMINSD Y3, Y11, Y11
	VPMAXSD Y3, Y12, Y12

	// Bins: f = (x - lo) * scale; 1 + int(f), the overflow unless f < top,
	// the underflow (0) unless f >= 0.
	VSUBPS     F_LO(DI), Y0, Y4
	VMULPS     F_SCALE(DI), Y4, Y4
	VCVTTPS2DQ Y4, Y5
	VPADDD     F_ONE(DI), Y5, Y5
	VCMPPS     $0x11, F_TOP(DI), Y4, Y6 // f < top (LT_OQ)
	VMOVDQA    F_OVERFLOW(DI), Y7
	VBLENDVPS  Y6, Y5, Y7, Y5
	VXORPS     Y7, Y7, Y7
	VCMPPS     $0x1d, Y7, Y4, Y6 // f >= 0 (GE_OQ)
	VPAND      Y6, Y5, Y5
	VMOVDQA    Y5, F_BINS(DI)

	// Moments' terms, paired (d, d*d) in lane order 0, 2 (Y1), 1, 3
	// (Y2), 4, 6 (Y3), 5, 7 (Y4).
	VCVTPS2PD    X0, Y4
	VEXTRACTF128 $1, Y0, X5
	VCVTPS2PD    X5, Y5
	VSUBPD       F_SHIFT(DI), Y4, Y4
	VSUBPD       F_SHIFT(DI), Y5, Y5
	VMULPD       Y4, Y4, Y6
	VMULPD       Y5, Y5, Y7
	VUNPCKLPD    Y6, Y4, Y1
	VUNPCKHPD    Y6, Y4, Y2
	VUNPCKLPD    Y7, Y5, Y3
	VUNPCKHPD    Y7, Y5, Y4
	VMOVAPD      Y1, F_PAIRS(DI)
	VMOVAPD      Y2, F_PAIRS+32(DI)
	VMOVAPD      Y3, F_PAIRS+64(DI)
	VMOVAPD      Y4, F_PAIRS+96(DI)

	ADD2(F_PAIRS, F_PAIRS+32, X13) // lanes 0 and 1
	ADD2(F_PAIRS+16, F_PAIRS+48, X13)
	ADD2(F_PAIRS+64, F_PAIRS+96, X13) // lanes 4 and 5
	ADD2(F_PAIRS+80, F_PAIRS+112, X13)

	// Counts.
	COUNT4(F_BINS)
	COUNT4(F_BINS+16)

	ADDQ $32, SI
	INCQ R9
	JMP  loop

done:
	VMOVDQU Y8, ST_LANES(DX)
	VMOVDQU Y9, ST_LANES+32(DX)
	VMOVDQU Y10, ST_DIGEST(DX)
	VMOVDQU Y11, ST_MIN(DX)
	VMOVDQU Y12, ST_MAX(DX)
	VMOVUPD X13, ST_SUMS(DX)
	VZEROUPPER
	MOVQ    R9, ret+32(FP)
	RET
