//go:build goexperiment.simd && amd64

#include "textflag.h"

// Philox4x32-10 (rng.Philox) on one or two groups of 16 lanes with
// AVX-512, for philox16 and philoxPair16 (simd_amd64.go). A round's 32x32-bit products come from
// VPMULUDQ (one uop, the even lanes' 64-bit products; the odd lanes' after
// VPSHUFD swaps the words of each pair), which archsimd has only up to 256
// bits; the high and low words are gathered back into lanes with VPSHUFD
// and moves under the odd-lanes mask K1. Two groups run side by side in
// Z0-Z9 and Z16-Z25 (Z15 is left alone: Go code expects it zero).

// ROUND is one round on (C0, C1, C2, C3) with the round keys at KOFF(DX);
// the new counter is (HI2, LO2, HI0, LO0). S0 and S2 are scratch.
#define ROUND(C0, C1, C2, C3, HI0, LO0, HI2, LO2, S0, S2, KOFF) \
	VPSHUFD    $0xb1, C0, S0; \
	VPMULUDQ   Z26, C0, LO0; \
	VPMULUDQ   Z26, S0, S0; \
	VPSHUFD    $0xb1, C2, S2; \
	VPMULUDQ   Z27, C2, LO2; \
	VPMULUDQ   Z27, S2, S2; \
	VPSHUFD    $0xb1, LO0, HI0; \
	VMOVDQA32  S0, K1, HI0; \
	VPSHUFD    $0xb1, S0, S0; \
	VMOVDQA32  S0, K1, LO0; \
	VPSHUFD    $0xb1, LO2, HI2; \
	VMOVDQA32  S2, K1, HI2; \
	VPSHUFD    $0xb1, S2, S2; \
	VMOVDQA32  S2, K1, LO2; \
	VPTERNLOGD $0x96, KOFF(DX), C1, HI2; \
	VPTERNLOGD $0x96, KOFF+64(DX), C3, HI0

// ROUNDA and ROUNDB are a round of group a (Z0-Z9) from the register set
// at Z0 to the one at Z4, and back; ROUNDA2 and ROUNDB2 add group b
// (Z16-Z25). TEN runs the ten rounds with the schedule's keys.
#define ROUNDA(KOFF) ROUND(Z0, Z1, Z2, Z3, Z6, Z7, Z4, Z5, Z8, Z9, KOFF)
#define ROUNDB(KOFF) ROUND(Z4, Z5, Z6, Z7, Z2, Z3, Z0, Z1, Z8, Z9, KOFF)

#define ROUNDA2(KOFF) \
	ROUNDA(KOFF); \
	ROUND(Z16, Z17, Z18, Z19, Z22, Z23, Z20, Z21, Z24, Z25, KOFF)

#define ROUNDB2(KOFF) \
	ROUNDB(KOFF); \
	ROUND(Z20, Z21, Z22, Z23, Z18, Z19, Z16, Z17, Z24, Z25, KOFF)

#define TEN(RA, RB) \
	RA(0); RB(128); RA(256); RB(384); RA(512); RB(640); RA(768); RB(896); RA(1024); RB(1152)

// START loads the arguments, group a's counter (b, ctr[0], ctr[1], 0) into
// Z0-Z3, the multipliers into Z26 and Z27 and the odd-lanes mask into K1.
#define START \
	MOVL         b+0(FP), AX; \
	MOVQ         ctr+8(FP), SI; \
	MOVQ         ks+16(FP), DX; \
	MOVQ         out+24(FP), DI; \
	VPBROADCASTD AX, Z0; \
	VMOVDQU32    0(SI), Z1; \
	VMOVDQU32    64(SI), Z2; \
	VPXORD       Z3, Z3, Z3; \
	MOVL         $0xd2511f53, AX; \
	VPBROADCASTD AX, Z26; \
	MOVL         $0xcd9e8d57, AX; \
	VPBROADCASTD AX, Z27; \
	MOVL         $0xaaaa, AX; \
	KMOVW        AX, K1

// STORE writes group a's words, Z0-Z3, to out.
#define STORE \
	VMOVDQU32 Z0, 0(DI); \
	VMOVDQU32 Z1, 64(DI); \
	VMOVDQU32 Z2, 128(DI); \
	VMOVDQU32 Z3, 192(DI)

// Both functions end with VZEROUPPER: the ABI wrapper that returns to Go
// clears X15 with a legacy SSE XORPS (see the comment above vc).

// func philox16x2(b uint32, ctr *[4][16]uint32, ks *keySchedule, out *[8][16]uint32)
TEXT ·philox16x2(SB), NOSPLIT, $0-32
	START
	VMOVDQA32 Z0, Z16
	VMOVDQU32 128(SI), Z17
	VMOVDQU32 192(SI), Z18
	VPXORD    Z19, Z19, Z19
	TEN(ROUNDA2, ROUNDB2)
	STORE
	VMOVDQU32 Z16, 256(DI)
	VMOVDQU32 Z17, 320(DI)
	VMOVDQU32 Z18, 384(DI)
	VMOVDQU32 Z19, 448(DI)
	VZEROUPPER
	RET

// func philox16x1(b uint32, ctr *[2][16]uint32, ks *keySchedule, out *[4][16]uint32)
TEXT ·philox16x1(SB), NOSPLIT, $0-32
	START
	TEN(ROUNDA, ROUNDB)
	STORE
	VZEROUPPER
	RET
