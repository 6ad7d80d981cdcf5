// Shared by reduce_amd64.s (reduce16) and reduce_avx2_amd64.s (reduce8).

// The reduceState fields, as laid out in reduce_amd64.go
// (TestReduceStateLayout).
#define ST_LANES 0
#define ST_DIGEST 64
#define ST_MIN 128
#define ST_MAX 192
#define ST_SUMS 256
#define ST_SHIFT 272
#define ST_LO 280
#define ST_SCALE 284
#define ST_TOP 288
#define ST_OVERFLOW 292

// COUNT adds one to the histogram bin (counts at BX) whose index is the
// int32 at OFF(DI).
#define COUNT(OFF) \
	MOVLQSX OFF(DI), AX; \
	INCQ    (BX)(AX*8)

// COUNT4 counts the 4 bins at OFF(DI), in lane order.
#define COUNT4(OFF) \
	COUNT(OFF); \
	COUNT(OFF+4); \
	COUNT(OFF+8); \
	COUNT(OFF+12)

// ADD2 adds to the sums S (S1, S2) the (d, d*d) pairs of two lanes, the
// 16-byte pairs at A(DI) then B(DI), in that order.
#define ADD2(A, B, S) \
	VADDPD A(DI), S, S; \
	VADDPD B(DI), S, S
