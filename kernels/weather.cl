// The gpusim stream on OpenCL devices: docs/reproducibility.md, bit for bit.
// The Go reference is rng/philox.go, rng/normal.go (the branchless mask form
// transcribed here operation by operation) and sim/model.go.
//
// Build defines (gpu/engine.go's buildOptions sets them):
//   VW=N          lanes per work-item in explicit vector types (1, 2, 4, 8, 16)
//   ACC_DOUBLE    accumulate moments in double (needs cl_khr_fp64), else float
//   SQRT_DOUBLE   radius = float(sqrt(double(s))) for devices without a
//                 correctly rounded float sqrt (needs cl_khr_fp64)
//   FAST_MATH     native_log/sin/cos/sqrt on a 24-bit uniform: fast, NOT the
//                 reproducible stream (its digest differs by device)
//   HIST_BINS     bins of the final histogram (sim.HistBins)
//   DAILY_BINS    bins of the per-step histograms (sim.DailyBins)
//   LOCAL_HIST    count the final histogram in local memory per work-group
//   HIST_SERIAL   with LOCAL_HIST, one histogram per work-item, counted
//                 without atomics and folded once (CPUs, where a work-group
//                 runs on one thread and a local atomic is a locked
//                 instruction)
//   DAILY_SERIAL  weather_daily sums per work-item, folded once per launch
//   DAILY_TILE    with DAILY_SERIAL, the vectors of lanes a work-item takes
//                 through the steps together (default 16)
//   WIDE_MULHI    Philox's high product words from a 64-bit multiply (CPUs)
//   NO_DAILY      leave out weather_daily and reduce_daily: the program of an
//                 engine that runs no job with per-step statistics, which a
//                 warm start on pocl builds from its binary in 4.1 ms where
//                 the whole program takes 5.3 ms (gpu.Options.NoDaily)
//   SELFTEST      the self-test's program: philox_kat and normals4 (and
//                 selftest.cl's selftest_step, appended), without weather,
//                 weather_daily and reduce_daily. The engines' program leaves
//                 them out: 196 kB on pocl 3.1 against 379 kB with them, 0.5
//                 ms less to build from its binary in every warm start, and
//                 the self-test's program is built only where no stored pass
//                 of the self-test spares its checks (gpu/selftest.go)
//
// A work-item handles VW consecutive lanes per iteration of a grid-stride
// loop over the chunk. Lanes past the chunk's count are computed but masked
// out of every statistic and store.

#ifndef FAST_MATH
#pragma OPENCL FP_CONTRACT OFF
#endif

#if defined(ACC_DOUBLE) || defined(SQRT_DOUBLE)
#pragma OPENCL EXTENSION cl_khr_fp64 : enable
#endif

#ifdef ACC_DOUBLE
#define ACC double
#define AS_ACC_BITS(x) as_ulong(x)
#define ACC_FROM_BITS(x) as_double(x)
#define ACC_OK(ok, ok64) (ok64)
#else
#define ACC float
#define AS_ACC_BITS(x) ((ulong)as_uint(x))
#define ACC_FROM_BITS(x) as_float((uint)(x))
#define ACC_OK(ok, ok64) (ok)
#endif

#ifndef VW
#define VW 1
#endif
#ifndef HIST_BINS
#define HIST_BINS 4096
#endif
#ifndef DAILY_BINS
#define DAILY_BINS 512
#endif
#if DAILY_BINS + 1 > 0xffff
#error "weather_daily counts the bins of a step as 16-bit words"
#endif
#ifndef DAILY_TILE
#define DAILY_TILE 16
#endif

#define CAT_(a, b) a##b
#define CAT(a, b) CAT_(a, b)

// Vector plumbing. Comparisons give 0/1 on scalars and 0/-1 on vectors, so
// SEL picks with ?: or select() accordingly; masks built with arithmetic
// shifts (as in the Go reference) are all-ones or zero either way.
#if VW == 1
#define V(t) t
#define CONVERT(t, x) CAT(convert_, t)(x)
#define AS(t, x) CAT(as_, t)(x)
#define VLOAD(p) (*(p))
#define VSTORE(v, p) (*(p) = (v))
#define SEL(a, b, c) ((c) ? (b) : (a))
#define IOTA 0u
#else
#define V(t) CAT(t, VW)
#define CONVERT(t, x) CAT(CAT(convert_, t), VW)(x)
#define AS(t, x) CAT(CAT(as_, t), VW)(x)
#define VLOAD(p) CAT(vload, VW)(0, p)
#define VSTORE(v, p) CAT(vstore, VW)(v, 0, p)
#define SEL(a, b, c) select(a, b, c)
#if VW == 2
#define IOTA ((uint2)(0, 1))
#elif VW == 4
#define IOTA ((uint4)(0, 1, 2, 3))
#elif VW == 8
#define IOTA ((uint8)(0, 1, 2, 3, 4, 5, 6, 7))
#elif VW == 16
#define IOTA ((uint16)(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15))
#else
#error "VW must be 1, 2, 4, 8 or 16"
#endif
#endif

// INLINE forces inlining: LLVM otherwise keeps philox and normals as calls
// (two call sites each), passing 64-byte vectors through the stack.
#define INLINE inline __attribute__((always_inline))

typedef V(uint) uintv;
typedef V(int) intv;
typedef V(float) floatv;
typedef V(ulong) ulongv;
#define accv V(ACC)

// Philox4x32-10 (Salmon et al., SC'11; Random123 philox.h).
#define PHILOX_M0 0xD2511F53u
#define PHILOX_M1 0xCD9E8D57u
#define PHILOX_W0 0x9E3779B9u
#define PHILOX_W1 0xBB67AE85u

// Cephes logf, sinf and cosf constants as float bit patterns
// (docs/reproducibility.md, tables in 3.1 and 3.2; kernels_test.go checks
// them against the document).
#define SQRTHF_BITS 0x3f3504f3u
#define T_BITS 0x3e95f61au
#define LOG_P0 as_float(0x3d9021bbu)
#define LOG_P1 as_float(0xbdebd1b8u)
#define LOG_P2 as_float(0x3def251au)
#define LOG_P3 as_float(0xbdfe5d4fu)
#define LOG_P4 as_float(0x3e11e9bfu)
#define LOG_P5 as_float(0xbe2aae50u)
#define LOG_P6 as_float(0x3e4cceacu)
#define LOG_P7 as_float(0xbe7ffffcu)
#define LOG_P8 as_float(0x3eaaaaaau)
#define LOG_Q1 as_float(0xb95e8083u)
#define LOG_Q2 as_float(0x3f318000u)
#define SIN_S0 as_float(0xb94ca1f9u)
#define SIN_S1 as_float(0x3c08839eu)
#define SIN_S2 as_float(0xbe2aaaa3u)
#define COS_C0 as_float(0x37ccf5ceu)
#define COS_C1 as_float(0xbab6061au)
#define COS_C2 as_float(0x3d2aaaa5u)
#define PSI as_float(0x33490fdbu)
#define HALF as_float(0x3f000000u)
#define ONE as_float(0x3f800000u)
#define TWO as_float(0x40000000u)
#define P256 as_float(0x43800000u)
#define P2M33 as_float(0x2f000000u)

// MULHI is the high word of a 32x32-bit product. WIDE_MULHI spells it as a
// 64-bit product shifted down, which LLVM lowers to even/odd vpmuludq pairs
// on x86; pocl's mul_hi(uint16) library routine splits into 16-bit halves
// and takes four multiplies.
#ifdef WIDE_MULHI
#define MULHI(a, m) CONVERT(uint, (CONVERT(ulong, a) * (ulong)(m)) >> 32)
#else
#define MULHI(a, m) mul_hi(a, (uintv)(m))
#endif

// philox replaces the counter (w0, w1, w2, w3) by its ten-round block under
// the key (k0, k1). The key is a vector so that philox_kat can test many keys
// at once; weather passes a broadcast one. The round loop has a constant trip
// count, which the compiler unrolls: the key bump after the last round is
// dead code.
INLINE void philox(uintv *w0, uintv *w1, uintv *w2, uintv *w3, uintv k0, uintv k1) {
	uintv c0 = *w0, c1 = *w1, c2 = *w2, c3 = *w3;
#pragma unroll
	for (int r = 0; r < 10; r++) {
		uintv h0 = MULHI(c0, PHILOX_M0), l0 = c0 * PHILOX_M0;
		uintv h1 = MULHI(c2, PHILOX_M1), l1 = c2 * PHILOX_M1;
		c0 = h1 ^ c1 ^ k0;
		c1 = l1;
		c2 = h0 ^ c3 ^ k1;
		c3 = l0;
		k0 += PHILOX_W0;
		k1 += PHILOX_W1;
	}
	*w0 = c0; *w1 = c1; *w2 = c2; *w3 = c3;
}

#ifndef FAST_MATH

// half33 is rng.Half33: (2v+1) * 2^-33 with 2v+1 rounded to 24 bits as
// hi*256 + lo (exact conversions, one rounded add).
INLINE floatv half33(uintv v) {
	uintv q = (v << 1) | 1u;
	floatv hi = CONVERT(float, q >> 8);
	floatv lo = CONVERT(float, q & 0xffu);
	floatv s = hi * P256;
	s = s + lo;
	return s * P2M33;
}

// radius is rng.Radius: sqrt(-2 ln u) of u = (2w+1) * 2^-33, through
// rng.LogArg's mask form of the reduction and rng.LogPoly.
INLINE floatv radius(uintv w) {
	uintv upper = AS(uint, AS(int, w) >> 31);
	floatv g = half33(w ^ upper);
	uintv gb = AS(uint, g);

	uintv mb = (gb & 0x7fffffu) | 0x3f000000u;
	floatv m = AS(float, mb);
	uintv small = AS(uint, AS(int, mb - SQRTHF_BITS) >> 31);
	floatv mm = m + m;
	uintv xl = AS(uint, mm - ONE);
	xl = xl ^ ((xl ^ AS(uint, m - ONE)) & ~small);
	intv el = AS(int, gb >> 23) - 126 + AS(int, small);

	uintv near = AS(uint, AS(int, gb - T_BITS - 1u) >> 31);
	floatv gg = g + g;
	uintv xu = AS(uint, ONE - gg);
	xu = xu ^ ((xu ^ (gb | 0x80000000u)) & near);
	intv eu = AS(int, ~near);

	floatv x = AS(float, xl ^ ((xl ^ xu) & upper));
	intv e = el ^ ((el ^ eu) & AS(int, upper));

	floatv z = x * x;
	floatv p = (floatv)LOG_P0;
	p = p * x; p = p + LOG_P1;
	p = p * x; p = p + LOG_P2;
	p = p * x; p = p + LOG_P3;
	p = p * x; p = p + LOG_P4;
	p = p * x; p = p + LOG_P5;
	p = p * x; p = p + LOG_P6;
	p = p * x; p = p + LOG_P7;
	p = p * x; p = p + LOG_P8;
	floatv y = p * x;
	y = y * z;
	floatv fe = CONVERT(float, e);
	floatv t = LOG_Q1 * fe;
	y = y + t;
	t = HALF * z;
	y = y - t;
	floatv r = x + y;
	t = LOG_Q2 * fe;
	r = r + t;
	floatv s = -TWO * r;
#ifdef SQRT_DOUBLE
	// float(sqrt(double(s))) is correctly rounded: 53 >= 2*24 + 2.
	return CONVERT(float, sqrt(CONVERT(double, s)));
#else
	return sqrt(s); // correctly rounded under -cl-fp32-correctly-rounded-divide-sqrt
#endif
}

// sincos_w is rng.SinCos: the angle 2 pi ((a>>6) + 1/2) / 2^26 reduced to
// an octant by integer operations, Cephes polynomials, then octant symmetry
// by swaps and sign flips on the bit patterns.
INLINE void sincos_w(uintv a, floatv *sn, floatv *cs) {
	uintv o = a >> 29;
	uintv k = (((a >> 6) & 0x7fffffu) << 1) | 1u;
	uintv odd = 0u - (o & 1u);
	k ^= (k ^ ((1u << 24) - k)) & odd;
	floatv psi = CONVERT(float, k) * PSI;

	floatv z = psi * psi;
	floatv s = (floatv)SIN_S0;
	s = s * z; s = s + SIN_S1;
	s = s * z; s = s + SIN_S2;
	s = s * z; s = s * psi;
	s = s + psi;
	floatv c = (floatv)COS_C0;
	c = c * z; c = c + COS_C1;
	c = c * z; c = c + COS_C2;
	c = c * z; c = c * z;
	floatv h = HALF * z;
	c = c - h;
	c = c + ONE;

	uintv sb = AS(uint, s), cb = AS(uint, c);
	uintv swap = 0u - (((o + 1u) >> 1) & 1u);
	uintv t = (sb ^ cb) & swap;
	sb ^= t;
	cb ^= t;
	sb ^= (o & 4u) << 29;
	cb ^= ((o + 2u) & 4u) << 29;
	*sn = AS(float, sb);
	*cs = AS(float, cb);
}

#else // FAST_MATH: native functions on 24-bit uniforms, not reproducible.

INLINE floatv radius(uintv w) {
	floatv u = (CONVERT(float, w >> 8) + 0.5f) * 0x1p-24f;
	return native_sqrt(-2.0f * native_log(u));
}

INLINE void sincos_w(uintv a, floatv *sn, floatv *cs) {
	floatv ang = (CONVERT(float, a >> 8) + 0.5f) * (6.28318530717958648f * 0x1p-24f);
	*sn = native_sin(ang);
	*cs = native_cos(ang);
}

#endif

// normals is rng.Normals: Box-Muller on (w0, w1) and (w2, w3).
INLINE void normals(uintv w0, uintv w1, uintv w2, uintv w3,
                    floatv *z0, floatv *z1, floatv *z2, floatv *z3) {
	floatv r0 = radius(w0), r1 = radius(w2);
	floatv s0, c0, s1, c1;
	sincos_w(w1, &s0, &c0);
	sincos_w(w3, &s1, &c1);
	*z0 = r0 * c0;
	*z1 = r0 * s0;
	*z2 = r1 * c1;
	*z3 = r1 * s1;
}

// lane_block returns the normals of block b of the lanes (lo, hi): counter
// (b, lo, hi, 0), docs/reproducibility.md section 2.
INLINE void lane_block(uint b, uintv lo, uintv hi, uint k0, uint k1,
                       floatv *z0, floatv *z1, floatv *z2, floatv *z3) {
	uintv w0 = (uintv)b, w1 = lo, w2 = hi, w3 = (uintv)0u;
	philox(&w0, &w1, &w2, &w3, (uintv)k0, (uintv)k1);
	normals(w0, w1, w2, w3, z0, z1, z2, z3);
}

// STEP is sim.Model.Step: m = p*t; m = m + c; t = m + sigma*z, four roundings.
#define STEP(t, z)                      \
	{                               \
		floatv m_ = p * (t);    \
		m_ = m_ + c;            \
		floatv n_ = sigma * (z); \
		(t) = m_ + n_;          \
	}

// mix64 is sim.Mix64, the SplitMix64 finalizer.
INLINE ulongv mix64(ulongv x) {
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9UL;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebUL;
	x ^= x >> 31;
	return x;
}

// mix64_pre is mix64(h ^ x) for lanes of 32-bit words x, given
// a = h ^ (h >> 30): (h ^ x) >> 30 = (h >> 30) ^ (x >> 30), so mix64's first
// xor-shift is a per-lane constant and a 32-bit x ^ (x >> 30): one
// instruction fewer a vector of 16 lanes on pocl (sim.TestDigestTermSplit
// checks the algebra).
INLINE ulongv mix64_pre(ulongv a, uintv x) {
	x ^= x >> 30;
	ulongv y = a ^ CONVERT(ulong, x);
	y *= 0xbf58476d1ce4e5b9UL;
	y ^= y >> 27;
	y *= 0x94d049bb133111ebUL;
	y ^= y >> 31;
	return y;
}

// HRED folds the lanes of a vector with OP by halving (lo with hi) down to
// a scalar; the repeated subexpressions are one computation after CSE.
#define ADD(a, b) ((a) + (b))
#define R1(OP, v) (v)
#define R2(OP, v) OP((v).s0, (v).s1)
#define R4(OP, v) R2(OP, OP((v).lo, (v).hi))
#define R8(OP, v) R4(OP, OP((v).lo, (v).hi))
#define R16(OP, v) R8(OP, OP((v).lo, (v).hi))
#define HRED(OP, v) CAT(R, VW)(OP, v)

INLINE ACC hsum(accv v) { return HRED(ADD, v); }
INLINE ulong hsum_ul(ulongv v) { return HRED(ADD, v); }
// ZMIN and ZMAX are fmin and fmax with -0 below +0, as Go's min and max
// order them (sim.Block.Add): fmin(-0.0f, 0.0f) may return either, so the
// extremes of a run ending on signed zeros changed with the vector width.
// They work on floats and float vectors alike (relational operators and
// signbit give 1 or 0 on scalars, -1 or 0 on vectors, as select wants).
// Finals are never NaN: sim.Params.Bound keeps every run finite.
#define ZMIN(a, b) select((b), (a), ((a) < (b)) | (((a) == (b)) & signbit(a)))
#define ZMAX(a, b) select((b), (a), ((a) > (b)) | (((a) == (b)) & signbit(b)))
INLINE float zmin(float a, float b) { return ZMIN(a, b); }
INLINE float zmax(float a, float b) { return ZMAX(a, b); }
INLINE floatv vzmin(floatv a, floatv b) { return ZMIN(a, b); }
INLINE floatv vzmax(floatv a, floatv b) { return ZMAX(a, b); }

// ORDKEY is the order-preserving integer key of a float's bits (and its
// own inverse): the sign bit kept, the others flipped on negatives, so
// that integer order is float order with -0 below +0, as ZMIN and ZMAX
// order them (never on NaN).
#define ORDKEY(x) (AS(int, x) ^ ((AS(int, x) >> 31) & 0x7fffffff))
#define ORDKEY_FLOAT(k) AS(float, (k) ^ (((k) >> 31) & 0x7fffffff))
#define ORDKEY_INF 0x7f800000          // ORDKEY(+infinity)
#define ORDKEY_NINF ((int)0x807fffffu) // ORDKEY(-infinity)

INLINE float hmin(floatv v) { return HRED(ZMIN, v); }
INLINE float hmax(floatv v) { return HRED(ZMAX, v); }

// bins returns sim.Histogram.Bin of x: f = (x - lo) * scale in float, then
// 0 (underflow or NaN), nb+1 (overflow) or floor(f)+1. From f capped at nb,
// truncation is floor on [0, nb] (nb gives nb+1), and a negative f (whose
// conversion is discarded) or NaN gives 0: a min, a conversion, a compare
// and a masked add on AVX-512, where selecting the bin in range, over and
// under took three compares and two selects (weather_daily took 1.01x and
// 1.03x the time with them on pocl, two runs).
INLINE intv bins(floatv x, float lo, float scale, int nb) {
	floatv f = x - lo;
	f = f * scale;
	const floatv g = SEL((floatv)nb, f, f < (float)nb);
	return SEL((intv)0, CONVERT(int, g) + 1, f >= 0.0f);
}

// COUNT_BINS counts vector i's VW bins of the union bb (16-bit words h, w
// their pairs as 32-bit words) into the counters dh, two words from each
// 32-bit load (a movzwl and a shift part them): on pocl the step loop is
// bound by its increments, not by its vector instructions (without the
// increments its kernel's samples per sample of the Philox blocks read
// 0.84x), and half the loads of the words leave more of the load units to
// them. The order of a pair's words is the device's, which a count does not
// see.
#if VW > 1
#define COUNT_BINS(dh, bb, i)                                          \
	_Pragma("unroll") for (uint k_ = 0; k_ < VW / 2; k_++) {       \
		const uint w_ = (bb).w[(i) * (VW / 2) + k_];            \
		(dh)[w_ & 0xffffu]++;                                    \
		(dh)[w_ >> 16]++;                                        \
	}
#else
#define COUNT_BINS(dh, bb, i) ((dh)[(bb).h[i]]++)
#endif

// A record is one accumulator of sim.Block: count, sums of deviations from
// the shift and of their squares (ACC bits), min, max (float bits) and the
// digest, as REC ulongs.
#define REC 6

INLINE void rec_add(__global ulong *r, ulong n, ACC s1, ACC s2, float mn, float mx, ulong dg) {
	r[0] += n;
	r[1] = AS_ACC_BITS(ACC_FROM_BITS(r[1]) + s1);
	r[2] = AS_ACC_BITS(ACC_FROM_BITS(r[2]) + s2);
	r[3] = as_uint(zmin(as_float((uint)r[3]), mn));
	r[4] = as_uint(zmax(as_float((uint)r[4]), mx));
	r[5] += dg;
}

INLINE void rec_init(__global ulong *r) {
	r[0] = 0;
	r[1] = AS_ACC_BITS((ACC)0);
	r[2] = AS_ACC_BITS((ACC)0);
	r[3] = as_uint(INFINITY);
	r[4] = as_uint(-INFINITY);
	r[5] = 0;
}

// Phase bits of a launch that covers part of the steps: LOAD starts each
// lane from temps (the temperature a previous launch stored) instead of
// start; LAST marks the launch that ends at the last step, which counts the
// statistics; the others store the temperature into temps.
#define LOAD 1u
#define LAST 2u

// weather runs lanes [first, first+count) through Philox blocks b0 ..
// b0+nblocks-1 and then rem steps of block b0+nblocks. With phase LAST it
// adds their statistics into one record per work-group (rec, accumulated
// over the chunks of a run; init resets it first), their bins into hist and,
// when keep, their finals into finals[0..count); without LAST it stores each
// lane's temperature into temps[0..count). lhist is the local histogram:
// HIST_BINS+2 counters, one set per work-item with HIST_SERIAL.
#ifndef SELFTEST
__kernel void weather(ulong first, uint count, uint b0, uint nblocks, uint rem,
                      float start, float p, float c, float sigma, uint k0, uint k1,
                      ACC shift, float hlo, float hscale, uint init,
                      __global ulong *rec, __global uint *hist,
                      __global float *finals, uint keep,
                      __global float *temps, uint phase,
                      __local ACC *ls1, __local ACC *ls2, __local float *lmin,
                      __local float *lmax, __local ulong *ldig, __local uint *ln,
                      __local uint *lhist) {
	const uint lid = get_local_id(0), wg = get_local_size(0);
#ifdef HIST_SERIAL
	__local uint *myh = lhist + lid * (HIST_BINS + 2);
	if (phase & LAST) {
		for (uint i = 0; i < HIST_BINS + 2; i++) myh[i] = 0;
	}
#elif defined(LOCAL_HIST)
	for (uint i = lid; i < HIST_BINS + 2; i += wg) lhist[i] = 0;
	barrier(CLK_LOCAL_MEM_FENCE);
#endif
	accv s1 = (accv)0, s2 = (accv)0;
	floatv vmin = (floatv)INFINITY, vmax = (floatv)(-INFINITY);
	ulongv dig = (ulongv)0;
	uint n = 0;

	const uint nvec = count / VW + (count % VW != 0);
	for (uint v = get_global_id(0); v < nvec; v += get_global_size(0)) {
		const uint off = v * VW;
		const uintv offv = off + IOTA;
		const ulongv lane = first + CONVERT(ulong, offv);
		const uintv lo = CONVERT(uint, lane & 0xffffffffUL), hi = CONVERT(uint, lane >> 32);

		floatv t = (phase & LOAD) ? VLOAD(temps + off) : (floatv)start;
		for (uint b = b0; b < b0 + nblocks; b++) {
			floatv z0, z1, z2, z3;
			lane_block(b, lo, hi, k0, k1, &z0, &z1, &z2, &z3);
			STEP(t, z0);
			STEP(t, z1);
			STEP(t, z2);
			STEP(t, z3);
		}
		if (rem) {
			floatv z0, z1, z2, z3;
			lane_block(b0 + nblocks, lo, hi, k0, k1, &z0, &z1, &z2, &z3);
			STEP(t, z0);
			if (rem > 1) STEP(t, z1);
			if (rem > 2) STEP(t, z2);
		}
		if (!(phase & LAST)) {
			VSTORE(t, temps + off); // temps holds a whole vector past count
			continue;
		}

		const uint valid = min((uint)VW, count - off);
		n += valid;
		const intv ok = offv < count;
		const V(long) ok64 = CONVERT(ulong, offv) < (ulongv)count;
		accv d = CONVERT(ACC, t) - shift;
		d = SEL((accv)0, d, ACC_OK(ok, ok64));
		s1 += d;
		s2 += d * d;
		vmin = vzmin(vmin, SEL((floatv)INFINITY, t, ok));
		vmax = vzmax(vmax, SEL((floatv)(-INFINITY), t, ok));
		ulongv h = mix64(lane + 0x9e3779b97f4a7c15UL);
		h = mix64(h ^ CONVERT(ulong, AS(uint, t)));
		dig += SEL((ulongv)0, h, ok64);

		int bv[VW];
		VSTORE(bins(t, hlo, hscale, HIST_BINS), bv);
		float tv[VW];
		VSTORE(t, tv);
		for (uint j = 0; j < valid; j++) {
#ifdef HIST_SERIAL
			myh[bv[j]]++;
#elif defined(LOCAL_HIST)
			atomic_inc(&lhist[bv[j]]);
#else
			atomic_inc(&hist[bv[j]]);
#endif
			if (keep) finals[off + j] = tv[j];
		}
	}

	if (!(phase & LAST)) return; // the same for every work-item
	ls1[lid] = hsum(s1);
	ls2[lid] = hsum(s2);
	lmin[lid] = hmin(vmin);
	lmax[lid] = hmax(vmax);
	ldig[lid] = hsum_ul(dig);
	ln[lid] = n;
	barrier(CLK_LOCAL_MEM_FENCE);
#ifdef LOCAL_HIST
	for (uint i = lid; i < HIST_BINS + 2; i += wg) {
		uint h = lhist[i];
#ifdef HIST_SERIAL
		for (uint w = 1; w < wg; w++) h += lhist[w * (HIST_BINS + 2) + i];
#endif
		if (h) atomic_add(&hist[i], h);
	}
#endif
	if (lid == 0) {
		ulong gn = 0, gd = 0;
		ACC g1 = 0, g2 = 0;
		float gmin = INFINITY, gmax = -INFINITY;
		for (uint i = 0; i < wg; i++) {
			gn += ln[i];
			g1 += ls1[i];
			g2 += ls2[i];
			gmin = zmin(gmin, lmin[i]);
			gmax = zmax(gmax, lmax[i]);
			gd += ldig[i];
		}
		__global ulong *r = rec + REC * get_group_id(0);
		if (init) rec_init(r);
		rec_add(r, gn, g1, g2, gmin, gmax, gd);
	}
}

#endif // SELFTEST

#if !defined(NO_DAILY) && !defined(SELFTEST)
// weather_daily is weather with statistics after each of the steps
// [s0, s0+ns), reduced inside the work-group in local memory into the
// group's record for each step, grec[REC * (s * groups + group)]
// (accumulated over the chunks of a run from the empty records the host
// writes before the first launch), which reduce_daily folds per step. Each step's DAILY_BINS+2
// counters are counted in local memory (ldh) and added into dhist at the
// end. phase is as for weather: the LAST launch of a chunk counts the final
// histogram and finals, the others store temperatures. With DAILY_HIST_SERIAL
// (which comes with DAILY_SERIAL) the final histogram is counted as weather
// counts it with HIST_SERIAL, one set of HIST_BINS+2 counters per work-item
// in lfh (a locked increment per lane was 5% of the daily run's time on
// pocl); otherwise lfh is unused.
//
// On GPUs every step is reduced by a tree over the work-group after a
// barrier, and counted with local atomics; the grid-stride loop runs
// equally often in every work-item of a group, so that all reach each
// step's barrier (work-items past the lanes compute masked lanes), and the
// reduction arrays hold two steps (by step parity), so one step's results
// are read while the next step's are written. With DAILY_SERIAL (CPUs,
// where a work-group runs on one thread and a barrier per step costs more
// than the step) each work-item keeps its own per-step sums and histograms
// in local memory, folded per step after one barrier at the end; it takes
// DAILY_TILE vectors of lanes through the steps together, as
// scripts/sol-daily/sol_daily.c takes its chunks: 0.97x the daily run's
// time on pocl at 5M x 100 against one vector at a time through every
// step (interleaved, medians of 9), tiles of 4 to 64 alike within the noise.
__kernel void weather_daily(ulong first, uint count, uint s0, uint ns,
                            float start, float p, float c, float sigma, uint k0, uint k1,
                            __global const ACC *shift, __global const float *dlo,
                            __global const float *dscale, float hlo, float hscale,
                            __global ulong *grec, __global uint *dhist, __global uint *hist,
                            __global float *finals, uint keep, __global float *temps, uint phase,
                            __local ACC *ls1, __local ACC *ls2, __local float *lmin,
                            __local float *lmax, __local ulong *ldig, __local uint *ln,
                            __local uint *ldh, __local uint *lfh) {
	const uint lid = get_local_id(0), wg = get_local_size(0);
	const uint g = get_group_id(0), groups = get_num_groups(0);
	const uint nb = DAILY_BINS + 2;
#ifdef DAILY_HIST_SERIAL
	__local uint *myfh = lfh + lid * (HIST_BINS + 2);
	if (phase & LAST) {
		for (uint i = 0; i < HIST_BINS + 2; i++) myfh[i] = 0;
	}
#endif
#ifdef DAILY_SERIAL
	// Each work-item's sums are vectors of VW lanes, folded at the end.
	for (uint s = 0; s < ns; s++) {
		const uint k = (s * wg + lid) * VW;
		VSTORE((accv)0, ls1 + k);
		VSTORE((accv)0, ls2 + k);
		VSTORE((floatv)INFINITY, lmin + k);
		VSTORE((floatv)(-INFINITY), lmax + k);
		VSTORE((ulongv)0, ldig + k);
	}
	__local uint *myh = ldh + lid * ns * nb;
	for (uint i = 0; i < ns * nb; i++) myh[i] = 0;
	uint n = 0;
#else
	for (uint i = lid; i < ns * nb; i += wg) ldh[i] = 0;
	uint top = 1; // the largest power of two below wg
	while (top < wg) top <<= 1;
	top >>= 1;
	barrier(CLK_LOCAL_MEM_FENCE);
#endif
	const uint nvec = count / VW + (count % VW != 0);
#ifdef DAILY_SERIAL
	// A work-item takes DAILY_TILE vectors of lanes at a time through the
	// launch's steps together, step by step: each step's sums stay in
	// registers over the tile and its histogram in L1, where running each
	// vector through every step touched every step's counters per
	// lane-step.
	const uint ntiles = nvec / DAILY_TILE + (nvec % DAILY_TILE != 0);
	for (uint tile = get_global_id(0); tile < ntiles; tile += get_global_size(0)) {
		const uint v0 = tile * DAILY_TILE, nv = min((uint)DAILY_TILE, nvec - v0);
		// The tile's vectors whose lanes are all below count; the one
		// after them (if nv is more) is masked.
		const uint nfull = min(nv, (count - v0 * VW) / VW);
		floatv t[DAILY_TILE], z[4][DAILY_TILE];
		ulongv hl[DAILY_TILE];
		for (uint i = 0; i < nv; i++) {
			const uint off = (v0 + i) * VW;
			hl[i] = mix64(first + CONVERT(ulong, off + IOTA) + 0x9e3779b97f4a7c15UL);
			hl[i] ^= hl[i] >> 30; // for mix64_pre
			t[i] = (phase & LOAD) ? VLOAD(temps + off) : (floatv)start;
		}
		n += min(nv * VW, count - v0 * VW);
		for (uint s = s0; s < s0 + ns; s++) {
			const uint j = s & 3;
			if (j == 0) {
				for (uint i = 0; i < nv; i++) {
					// The lanes' words of first + off in 32-bit lanes: the
					// high word takes the low word's carry (lo < off). The
					// 64-bit sum and its halves took 13 more of the block
					// loop's instructions on pocl (384, 16 lanes).
					const uintv off = (v0 + i) * VW + IOTA;
					const uintv lo = (uint)first + off;
					const uintv hi = (uint)(first >> 32) + SEL((uintv)0u, (uintv)1u, lo < off);
					lane_block(s >> 2, lo, hi, k0, k1, &z[0][i], &z[1][i], &z[2][i], &z[3][i]);
				}
			}
			const ACC sh = shift[s];
			const float hl0 = dlo[s], hsc = dscale[s];
			__local uint *dh = myh + (s - s0) * nb;
			accv a1 = (accv)0, a2 = (accv)0;
			// min and max on order-preserving integer keys: one integer
			// min or max a vector, where ZMIN takes two compares and a
			// select; from the keys of +-infinity.
			intv kmn = (intv)ORDKEY_INF, kmx = (intv)ORDKEY_NINF;
			ulongv dg = (ulongv)0;
			// The bins as 16-bit words (one vpmovdw a vector), each vector's
			// stored by the vector loop and counted in the loop's next pass
			// (COUNT_BINS: two words from each 32-bit load, 0.96x the
			// kernel's samples per sample of its Philox blocks on pocl
			// against one load a word): the scalar increments run on the integer
			// and load-store units while the next vector's statistics keep
			// the vector units busy. Counting the whole tile after the loop,
			// four words from each 64-bit load, took 1.07x the kernel's
			// samples per sample of its Philox blocks on pocl (Zen 4);
			// LLVM extracted each lane from the register in two vector
			// instructions, and 32-bit words took 1.06x the time (a
			// vector's three partial stores).
			union {
				V(ushort) v[DAILY_TILE];
				ushort h[DAILY_TILE * VW];
#if VW > 1
				uint w[DAILY_TILE * VW / 2];
#endif
			} bb;
			for (uint i = 0; i < nfull; i++) {
				floatv x = t[i];
				STEP(x, z[j][i]);
				t[i] = x;
				const accv d = CONVERT(ACC, x) - sh;
				a1 += d;
				a2 += d * d;
				const intv key = ORDKEY(x);
				kmn = min(kmn, key);
				kmx = max(kmx, key);
				dg += mix64_pre(hl[i], AS(uint, x));
				bb.v[i] = CONVERT(ushort, bins(x, hl0, hsc, DAILY_BINS));
				if (i > 0) {
					COUNT_BINS(dh, bb, i - 1);
				}
			}
			if (nfull > 0) {
				COUNT_BINS(dh, bb, nfull - 1);
			}
			if (nfull < nv) {
				// The chunk's last vector, past count in part.
				const uint off = (v0 + nfull) * VW;
				const uintv offv = off + IOTA;
				const intv ok = offv < count;
				const V(long) ok64 = CONVERT(ulong, offv) < (ulongv)count;
				floatv x = t[nfull];
				STEP(x, z[j][nfull]);
				t[nfull] = x;
				const accv d = SEL((accv)0, CONVERT(ACC, x) - sh, ACC_OK(ok, ok64));
				a1 += d;
				a2 += d * d;
				const intv key = ORDKEY(x);
				kmn = min(kmn, SEL((intv)ORDKEY_INF, key, ok));
				kmx = max(kmx, SEL((intv)ORDKEY_NINF, key, ok));
				dg += SEL((ulongv)0, mix64_pre(hl[nfull], AS(uint, x)), ok64);
				bb.v[nfull] = CONVERT(ushort, bins(x, hl0, hsc, DAILY_BINS));
				for (uint k = 0; k < count - off; k++) dh[bb.h[nfull * VW + k]]++;
			}
			const floatv mn = ORDKEY_FLOAT(kmn), mx = ORDKEY_FLOAT(kmx);
			const uint k = ((s - s0) * wg + lid) * VW;
			VSTORE(VLOAD(ls1 + k) + a1, ls1 + k);
			VSTORE(VLOAD(ls2 + k) + a2, ls2 + k);
			VSTORE(vzmin(VLOAD(lmin + k), mn), lmin + k);
			VSTORE(vzmax(VLOAD(lmax + k), mx), lmax + k);
			VSTORE(VLOAD(ldig + k) + dg, ldig + k);
		}
		for (uint i = 0; i < nv; i++) {
			const uint off = (v0 + i) * VW, valid = min((uint)VW, count - off);
			if (!(phase & LAST)) {
				VSTORE(t[i], temps + off); // temps holds a whole vector past count
				continue;
			}
			int bv[VW];
			VSTORE(bins(t[i], hlo, hscale, HIST_BINS), bv);
			float tv[VW];
			VSTORE(t[i], tv);
			for (uint k = 0; k < valid; k++) {
#ifdef DAILY_HIST_SERIAL
				myfh[bv[k]]++;
#else
				atomic_inc(&hist[bv[k]]);
#endif
				if (keep) finals[off + k] = tv[k];
			}
		}
	}
#else
	for (uint base = g * wg; base < nvec; base += get_global_size(0)) {
		const uint v = base + lid, off = v * VW;
		const uintv offv = off + IOTA;
		const ulongv lane = first + CONVERT(ulong, offv);
		const uintv lo = CONVERT(uint, lane & 0xffffffffUL), hi = CONVERT(uint, lane >> 32);
		const uint valid = v < nvec ? min((uint)VW, count - off) : 0;
		const intv ok = offv < count;
		const V(long) ok64 = CONVERT(ulong, offv) < (ulongv)count;
		const ulongv hl = mix64(lane + 0x9e3779b97f4a7c15UL);

		floatv t = (phase & LOAD) && v < nvec ? VLOAD(temps + off) : (floatv)start;
		floatv z[4];
		for (uint s = s0; s < s0 + ns; s++) {
			const uint j = s & 3;
			if (j == 0) lane_block(s >> 2, lo, hi, k0, k1, &z[0], &z[1], &z[2], &z[3]);
			STEP(t, z[j]);

			accv d = CONVERT(ACC, t) - shift[s];
			d = SEL((accv)0, d, ACC_OK(ok, ok64));
			ulongv h = mix64(hl ^ CONVERT(ulong, AS(uint, t)));
			h = SEL((ulongv)0, h, ok64);
			int bv[VW];
			VSTORE(bins(t, dlo[s], dscale[s], DAILY_BINS), bv);
			const uint x = (s & 1) * wg;
			ls1[x + lid] = hsum(d);
			ls2[x + lid] = hsum(d * d);
			lmin[x + lid] = hmin(SEL((floatv)INFINITY, t, ok));
			lmax[x + lid] = hmax(SEL((floatv)(-INFINITY), t, ok));
			ldig[x + lid] = hsum_ul(h);
			__local uint *dh = ldh + (s - s0) * nb;
			for (uint i = 0; i < valid; i++) atomic_inc(&dh[bv[i]]);
			barrier(CLK_LOCAL_MEM_FENCE);
			for (uint w = top; w > 0; w >>= 1) {
				if (lid < w && lid + w < wg) {
					const uint a = x + lid, b = a + w;
					ls1[a] += ls1[b];
					ls2[a] += ls2[b];
					lmin[a] = zmin(lmin[a], lmin[b]);
					lmax[a] = zmax(lmax[a], lmax[b]);
					ldig[a] += ldig[b];
				}
				barrier(CLK_LOCAL_MEM_FENCE);
			}
			if (lid == 0) {
				// The group's lanes in this pass: its first ones.
				const uint gvalid = min(count - base * VW, wg * VW);
				rec_add(grec + REC * (s * groups + g), gvalid, ls1[x], ls2[x], lmin[x], lmax[x], ldig[x]);
			}
		}
		if (!(phase & LAST)) {
			if (v < nvec) VSTORE(t, temps + off); // temps holds a whole vector past count
			continue;
		}
		int bv[VW];
		VSTORE(bins(t, hlo, hscale, HIST_BINS), bv);
		float tv[VW];
		VSTORE(t, tv);
		for (uint i = 0; i < valid; i++) {
			atomic_inc(&hist[bv[i]]);
			if (keep) finals[off + i] = tv[i];
		}
	}
#endif
#ifdef DAILY_SERIAL
	ln[lid] = n;
	barrier(CLK_LOCAL_MEM_FENCE);
#ifdef DAILY_HIST_SERIAL
	if (phase & LAST) {
		for (uint i = lid; i < HIST_BINS + 2; i += wg) {
			uint h = 0;
			for (uint w = 0; w < wg; w++) h += lfh[w * (HIST_BINS + 2) + i];
			if (h) atomic_add(&hist[i], h);
		}
	}
#endif
	ulong gn = 0;
	for (uint i = 0; i < wg; i++) gn += ln[i];
	for (uint s = lid; s < ns; s += wg) {
		ACC g1 = 0, g2 = 0;
		float gmin = INFINITY, gmax = -INFINITY;
		ulong gd = 0;
		for (uint i = s * wg * VW; i < (s + 1) * wg * VW; i++) {
			g1 += ls1[i];
			g2 += ls2[i];
			gmin = zmin(gmin, lmin[i]);
			gmax = zmax(gmax, lmax[i]);
			gd += ldig[i];
		}
		rec_add(grec + REC * ((s0 + s) * groups + g), gn, g1, g2, gmin, gmax, gd);
		for (uint b = 0; b < nb; b++) {
			uint h = 0;
			for (uint i = 0; i < wg; i++) h += ldh[(i * ns + s) * nb + b];
			if (h) atomic_add(&dhist[(s0 + s) * nb + b], h);
		}
	}
#else
	barrier(CLK_LOCAL_MEM_FENCE);
	for (uint i = lid; i < ns * nb; i += wg) {
		uint h = ldh[i];
		if (h) atomic_add(&dhist[s0 * nb + i], h);
	}
#endif
}

// reduce_daily folds the items records of each step s < steps into out[s].
__kernel void reduce_daily(__global const ulong *drec, uint items, uint steps, __global ulong *out) {
	const uint s = get_global_id(0);
	if (s >= steps) return;
	__global ulong *o = out + REC * s;
	rec_init(o);
	for (uint i = 0; i < items; i++) {
		__global const ulong *r = drec + REC * (s * items + i);
		rec_add(o, r[0], ACC_FROM_BITS(r[1]), ACC_FROM_BITS(r[2]), as_float((uint)r[3]),
		        as_float((uint)r[4]), r[5]);
	}
}

#endif // NO_DAILY, SELFTEST

#ifdef SELFTEST
// philox_kat runs the device's Philox4x32-10 on n counter/key pairs, given as
// rows of n words (in: c0, c1, c2, c3, k0, k1; out: w0, w1, w2, w3), VW
// pairs per work-item; n is a multiple of VW.
__kernel void philox_kat(__global const uint *in, __global uint *out, uint n) {
	const uint i = get_global_id(0) * VW;
	if (i >= n) return;
	uintv w0 = VLOAD(in + i), w1 = VLOAD(in + n + i), w2 = VLOAD(in + 2 * n + i), w3 = VLOAD(in + 3 * n + i);
	philox(&w0, &w1, &w2, &w3, VLOAD(in + 4 * n + i), VLOAD(in + 5 * n + i));
	VSTORE(w0, out + i);
	VSTORE(w1, out + n + i);
	VSTORE(w2, out + 2 * n + i);
	VSTORE(w3, out + 3 * n + i);
}

// normals4 applies the transform to n blocks of four words (rows w0..w3 of n
// words in, rows z0..z3 out), VW blocks per work-item; n is a multiple of VW.
__kernel void normals4(__global const uint *in, __global float *out, uint n) {
	const uint i = get_global_id(0) * VW;
	if (i >= n) return;
	floatv z0, z1, z2, z3;
	normals(VLOAD(in + i), VLOAD(in + n + i), VLOAD(in + 2 * n + i), VLOAD(in + 3 * n + i), &z0, &z1, &z2, &z3);
	VSTORE(z0, out + i);
	VSTORE(z1, out + n + i);
	VSTORE(z2, out + 2 * n + i);
	VSTORE(z3, out + 3 * n + i);
}

#endif // SELFTEST
