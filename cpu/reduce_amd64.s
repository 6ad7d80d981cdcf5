//go:build goexperiment.simd && amd64

#include "textflag.h"
#include "reduce_amd64.h"

// reduce16 (reduce_amd64.go) in AVX-512: groups of 16 finals per
// iteration, every vector value in a register (Z0-Z14 scratch, Z16-Z31 the
// state and constants; Z15 is left alone: Go code expects it zero), no
// bounds checks. Per group: the digest terms as sim.DigestTerm in 64-bit
// lanes (VPMULLQ), the extremes as order-preserving integers, the bins as
// sim.Histogram.Bin in float32 lanes, counted with one INCQ each through
// a 64-byte scratch, and the terms d = float64(x) - shift and d*d (rounded)
// interleaved into (d, d*d) pairs, written to scratch and added to (S1, S2)
// in lane order: the one loop-carried chain, 16 additions of 128 bits.

// MIX64 is sim.Mix64 on the 8 lanes of X (in place); T is scratch.
#define MIX64(X, T) \
	VPSRLQ  $30, X, T; \
	VPXORQ  T, X, X; \
	VPMULLQ Z26, X, X; \
	VPSRLQ  $27, X, T; \
	VPXORQ  T, X, X; \
	VPMULLQ Z27, X, X; \
	VPSRLQ  $31, X, T; \
	VPXORQ  T, X, X

// func reduce16(xs *float32, groups int, st *reduceState, counts *uint64) int
TEXT ·reduce16(SB), NOSPLIT, $384-40
	MOVQ xs+0(FP), SI
	MOVQ groups+8(FP), CX
	MOVQ st+16(FP), DX
	MOVQ counts+24(FP), BX

	// Scratch, 64-byte aligned so that each load is served from one store:
	// the bins at 0(DI), the (d, d*d) pairs at 64(DI) to 319(DI).
	LEAQ 63(SP), DI
	ANDQ $~63, DI

	VMOVDQU64    ST_LANES(DX), Z20
	VMOVDQU64    ST_DIGEST(DX), Z17
	VMOVDQU32    ST_MIN(DX), Z16
	VMOVDQU32    ST_MAX(DX), Z18
	VMOVUPD      ST_SUMS(DX), X19
	VBROADCASTSD ST_SHIFT(DX), Z21
	VBROADCASTSS ST_LO(DX), Z22
	VBROADCASTSS ST_SCALE(DX), Z23
	VBROADCASTSS ST_TOP(DX), Z24
	VPBROADCASTD ST_OVERFLOW(DX), Z25
	MOVQ         $0xbf58476d1ce4e5b9, AX
	VPBROADCASTQ AX, Z26
	MOVQ         $0x94d049bb133111eb, AX
	VPBROADCASTQ AX, Z27
	MOVQ         $8, AX
	VPBROADCASTQ AX, Z28
	MOVQ         $16, AX
	VPBROADCASTQ AX, Z29
	MOVL         $0x7fffffff, AX
	VPBROADCASTD AX, Z30
	MOVL         $1, AX
	VPBROADCASTD AX, Z31

	XORQ R9, R9

loop:
	CMPQ     R9, CX
	JGE      done
	VMOVUPS  (SI), Z0
	VCMPPS   $3, Z0, Z0, K1 // unordered: a NaN
	KORTESTW K1, K1
	JNZ      done

	// Digest: mix64(mix64(lane + golden) ^ bits), lanes 0-7 and 8-15.
	VPMOVZXDQ     Y0, Z1
	VEXTRACTI64X4 $1, Z0, Y2
	VPMOVZXDQ     Y2, Z2
	VPADDQ        Z28, Z20, Z3
	VMOVDQA64     Z20, Z4
	MIX64(Z4, Z5)
	VPXORQ        Z1, Z4, Z4
	MIX64(Z4, Z5)
	MIX64(Z3, Z6)
	VPXORQ        Z2, Z3, Z3
	MIX64(Z3, Z6)
	VPADDQ        Z4, Z17, Z17
	VPADDQ        Z3, Z17, Z17
	VPADDQ        Z29, Z20, Z20

	// Extremes: the bits with the magnitude flipped when negative.
	VPSRAD  $31, Z0, Z7
	VPANDD  Z30, Z7, Z7
	VPXORD  Z0, Z7, Z7
	VPMINSD Z7, Z16, Z16
	VPMAXSD Z7, Z18, Z18

	// Bins: f = (x - lo) * scale; 1 + int(f), the overflow unless f < top,
	// the underflow (0) unless f >= 0.
	VSUBPS        Z22, Z0, Z8
	VMULPS        Z23, Z8, Z8
	VCVTTPS2DQ    Z8, Z9
	VPADDD        Z31, Z9, Z9
	VCMPPS        $0x11, Z24, Z8, K2 // f < top (LT_OQ)
	VPBLENDMD     Z9, Z25, K2, Z10
	VPXORD        Z14, Z14, Z14
	VCMPPS        $0x1d, Z14, Z8, K3 // f >= 0 (GE_OQ)
	VMOVDQA32.Z   Z10, K3, Z10
	VMOVDQA32     Z10, (DI)

	// Moments' terms, paired (d, d*d) in lane order 0, 2, 4, 6 (Z1),
	// 1, 3, 5, 7 (Z2), 8, 10, 12, 14 (Z3), 9, 11, 13, 15 (Z4).
	VCVTPS2PD     Y0, Z10
	VEXTRACTF64X4 $1, Z0, Y11
	VCVTPS2PD     Y11, Z11
	VSUBPD        Z21, Z10, Z10
	VSUBPD        Z21, Z11, Z11
	VMULPD        Z10, Z10, Z12
	VMULPD        Z11, Z11, Z13
	VUNPCKLPD     Z12, Z10, Z1
	VUNPCKHPD     Z12, Z10, Z2
	VUNPCKLPD     Z13, Z11, Z3
	VUNPCKHPD     Z13, Z11, Z4
	VMOVAPD       Z1, 64(DI)
	VMOVAPD       Z2, 128(DI)
	VMOVAPD       Z3, 192(DI)
	VMOVAPD       Z4, 256(DI)

	ADD2(64, 128, X19) // lanes 0 and 1
	ADD2(80, 144, X19)
	ADD2(96, 160, X19)
	ADD2(112, 176, X19)
	ADD2(192, 256, X19) // lanes 8 and 9
	ADD2(208, 272, X19)
	ADD2(224, 288, X19)
	ADD2(240, 304, X19)

	// Counts.
	COUNT4(0)
	COUNT4(16)
	COUNT4(32)
	COUNT4(48)

	ADDQ $64, SI
	INCQ R9
	JMP  loop

done:
	VMOVDQU64 Z20, ST_LANES(DX)
	VMOVDQU64 Z17, ST_DIGEST(DX)
	VMOVDQU32 Z16, ST_MIN(DX)
	VMOVDQU32 Z18, ST_MAX(DX)
	VMOVUPD   X19, ST_SUMS(DX)
	VZEROUPPER
	MOVQ      R9, ret+32(FP)
	RET
