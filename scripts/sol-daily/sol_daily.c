// sol_daily.c - the C "speed of light" of `gpusim run --daily` (issue 12,
// item 3): ../shared/tools/c-speed-of-light/sol.c's stream, bit for bit
// (Philox4x32-10, the exact Box-Muller, the recurrence; copied from it
// unchanged below, lines marked), with the per-step statistics of --daily
// after every step instead of the final ones only.
//
// Per step and lane, as gpusim computes them (docs/reproducibility.md,
// sections 5 and 6): the deviation from the step's exact mean and its square
// in float64, min and max (on order-preserving integer keys, which
// vectorize), the digest term Mix64(Mix64(lane + 0x9e3779b97f4a7c15) ^
// bits(x)) (the inner Mix64 once per lane), and the 512-bin histogram over
// the step's exact mean +/- 8 sd. The lanes of a chunk (2048, in L1) go
// through each step together; the reduction is a vectorized loop over the
// chunk; the bins are computed in a vectorized loop and counted in a scalar
// one (a histogram's increments do not vectorize; counting straight from the
// float loop took 1.26x longer here, and 4 interleaved copies of each
// histogram to break store-to-load chains did not help).
//
// Build: clang -O3 -march=native -mprefer-vector-width=512 -ffp-contract=off \
//            -fno-math-errno -fopenmp sol_daily.c -o sol_daily -lm
// Usage: sol_daily LANES STEPS [REPS] [DAILY]   DAILY 0: only the last
//        step's statistics (the plain run, as sol.c), 1 (default): every step's.
// Prints one JSON line per rep: compute_s (the parallel region's wall), the
// final digest, and the sum of the steps' digests mod 2^64, which equals the
// sum of the `digest` fields of the `daily` list of a part that
// `gpusim run --daily --save part.json` writes for the same job (checked at
// 5e6 x 100: de66365dd75acee6).
#include <math.h>
#include <omp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHUNK 2048
#define DAILY_BINS 512

static inline uint32_t fbits(float f) { uint32_t u; memcpy(&u, &f, 4); return u; }
static inline float bitsf(uint32_t u) { float f; memcpy(&f, &u, 4); return f; }

// ---- from sol.c, unchanged: Philox4x32-10 and the exact normal transform.
#define M0 0xD2511F53u
#define M1 0xCD9E8D57u
#define W0 0x9E3779B9u
#define W1 0xBB67AE85u

#define ROUND(k0, k1)                                                    \
    do {                                                                 \
        uint64_t p0 = (uint64_t)c0 * M0, p1 = (uint64_t)c2 * M1;         \
        uint32_t n0 = (uint32_t)(p1 >> 32) ^ c1 ^ (k0);                  \
        uint32_t n2 = (uint32_t)(p0 >> 32) ^ c3 ^ (k1);                  \
        c1 = (uint32_t)p1; c3 = (uint32_t)p0; c0 = n0; c2 = n2;          \
    } while (0)

// One lane's 4 normals of block b: everything inline so the loop vectorizes.
static inline __attribute__((always_inline)) void normals4(
    uint32_t b, uint64_t lane, const uint32_t *ks, float z[4]) {
    uint32_t c0 = b, c1 = (uint32_t)lane, c2 = (uint32_t)(lane >> 32), c3 = 0;
    ROUND(ks[0], ks[1]); ROUND(ks[2], ks[3]); ROUND(ks[4], ks[5]);
    ROUND(ks[6], ks[7]); ROUND(ks[8], ks[9]); ROUND(ks[10], ks[11]);
    ROUND(ks[12], ks[13]); ROUND(ks[14], ks[15]); ROUND(ks[16], ks[17]);
    ROUND(ks[18], ks[19]);
    uint32_t w[4] = {c0, c1, c2, c3};
    float r[2], s[2], c[2];
    for (int h = 0; h < 2; h++) {
        // ---- radius of w[2h]: Half33, LogArg (mask form), LogPoly, sqrt
        uint32_t wr = w[2 * h];
        uint32_t upper = (uint32_t)((int32_t)wr >> 31);
        uint32_t q = ((wr ^ upper) << 1) | 1u;
        float hi = (float)(int32_t)(q >> 8), lo = (float)(int32_t)(q & 0xffu);
        float g = ((hi * 256.0f) + lo) * 0x1p-33f;
        uint32_t gb = fbits(g);
        uint32_t mb = (gb & 0x7fffffu) | 0x3f000000u;
        float m = bitsf(mb);
        uint32_t small = (uint32_t)((int32_t)(mb - 0x3f3504f3u) >> 31);
        uint32_t xl = fbits((m + m) - 1.0f);
        xl = xl ^ ((xl ^ fbits(m - 1.0f)) & ~small);
        int32_t el = (int32_t)(gb >> 23) - 126 + (int32_t)small;
        uint32_t near = (uint32_t)((int32_t)(gb - 0x3e95f61au - 1u) >> 31);
        uint32_t xu = fbits(1.0f - (g + g));
        xu = xu ^ ((xu ^ (gb | 0x80000000u)) & near);
        int32_t eu = (int32_t)~near;
        float x = bitsf(xl ^ ((xl ^ xu) & upper));
        int32_t e = el ^ ((el ^ eu) & (int32_t)upper);
        float zz = x * x;
        float p = 7.0376836292E-2f;
        p = p * x + -1.1514610310E-1f;
        p = p * x + 1.1676998740E-1f;
        p = p * x + -1.2420140846E-1f;
        p = p * x + 1.4249322787E-1f;
        p = p * x + -1.6668057665E-1f;
        p = p * x + 2.0000714765E-1f;
        p = p * x + -2.4999993993E-1f;
        p = p * x + 3.3333331174E-1f;
        float y = (p * x) * zz;
        float fe = (float)e;
        y = y + (-2.12194440E-4f * fe);
        y = y - (0.5f * zz);
        float lr = x + y;
        lr = lr + (0.693359375f * fe);
        r[h] = sqrtf(-2.0f * lr);
        // ---- sin/cos of w[2h+1]: AngleArg, Cephes polynomials, octant bits
        uint32_t a = w[2 * h + 1];
        uint32_t o = a >> 29;
        uint32_t k = (((a >> 6) & 0x7fffffu) << 1) | 1u;
        uint32_t odd = -(o & 1u);
        k ^= (k ^ ((1u << 24) - k)) & odd;
        float psi = (float)(int32_t)k * bitsf(0x33490fdbu);
        float z2 = psi * psi;
        float sn = -1.9515295891E-4f;
        sn = sn * z2 + 8.3321608736E-3f;
        sn = sn * z2 + -1.6666654611E-1f;
        sn = (sn * z2) * psi;
        sn = sn + psi;
        float cs = 2.443315711809948E-5f;
        cs = cs * z2 + -1.388731625493765E-3f;
        cs = cs * z2 + 4.166664568298827E-2f;
        cs = (cs * z2) * z2;
        cs = cs - (0.5f * z2);
        cs = cs + 1.0f;
        uint32_t sb = fbits(sn), cb = fbits(cs);
        uint32_t swap = -(((o + 1u) >> 1) & 1u);
        uint32_t tt = (sb ^ cb) & swap;
        sb ^= tt; cb ^= tt;
        sb ^= (o & 4u) << 29;
        cb ^= ((o + 2u) & 4u) << 29;
        s[h] = bitsf(sb); c[h] = bitsf(cb);
    }
    z[0] = r[0] * c[0]; z[1] = r[0] * s[0];
    z[2] = r[1] * c[1]; z[3] = r[1] * s[1];
}

static inline uint64_t mix64(uint64_t x) {
    x ^= x >> 30; x *= 0xbf58476d1ce4e5b9ull;
    x ^= x >> 27; x *= 0x94d049bb133111ebull;
    x ^= x >> 31; return x;
}

// ---- end of sol.c's code.

typedef struct { double sum, sumsq; float mn, mx; uint64_t dig; } stats;

// reduce_step adds the chunk's n temperatures t after one step into that
// step's statistics st and histogram h (DAILY_BINS+2 counters: underflow,
// the bins, overflow); hl[i] is Mix64(lane + 0x9e3779b97f4a7c15) of lane i.
static inline __attribute__((always_inline)) void reduce_step(const float *restrict t, const uint64_t *restrict hl,
        int n, double shift, float lo, float scale, stats *restrict st, uint32_t *restrict h) {
    double s1 = 0, s2 = 0; int32_t kmn = INT32_MAX, kmx = INT32_MIN; uint64_t dg = 0;
#pragma omp simd reduction(+ : s1, s2, dg) reduction(min : kmn) reduction(max : kmx)
    for (int i = 0; i < n; i++) {
        float x = t[i];
        double d = (double)x - shift;
        s1 += d; s2 += d * d;
        int32_t key = (int32_t)fbits(x);
        key ^= (key >> 31) & 0x7fffffff;
        kmn = key < kmn ? key : kmn; kmx = key > kmx ? key : kmx;
        dg += mix64(hl[i] ^ (uint64_t)fbits(x));
    }
    kmn ^= (kmn >> 31) & 0x7fffffff; kmx ^= (kmx >> 31) & 0x7fffffff;
    float mn = bitsf((uint32_t)kmn), mx = bitsf((uint32_t)kmx);
    int bins[CHUNK] __attribute__((aligned(64)));
    for (int i = 0; i < n; i++) {
        float f = (t[i] - lo) * scale;
        bins[i] = !(f >= 0.0f) ? 0 : (f >= (float)DAILY_BINS ? DAILY_BINS + 1 : 1 + (int)f);
    }
    for (int i = 0; i < n; i++) h[bins[i]]++;
    st->sum += s1; st->sumsq += s2; st->dig += dg;
    st->mn = mn < st->mn ? mn : st->mn; st->mx = mx > st->mx ? mx : st->mx;
}

int main(int argc, char **argv) {
    if (argc < 3) { fprintf(stderr, "usage: sol_daily LANES STEPS [REPS] [DAILY]\n"); return 2; }
    uint64_t lanes = (uint64_t)strtod(argv[1], 0);
    int steps = atoi(argv[2]);
    int reps = argc > 3 ? atoi(argv[3]) : 1;
    int daily = argc > 4 ? atoi(argv[4]) : 1;
    if (lanes < 1 || steps < 1) { fprintf(stderr, "sol_daily: LANES and STEPS must be at least 1\n"); return 2; }
    const float p = 0.5f, sg = 5.0f, start = 75.0f, c = (1.0f - p) * 72.0f;
    uint32_t ks[20], k0 = 1, k1 = 0; // seed 1
    for (int r = 0; r < 10; r++) { ks[2 * r] = k0; ks[2 * r + 1] = k1; k0 += W0; k1 += W1; }
    // Each step's exact law (as sim.Exact): the shift of its sums and the
    // range of its histogram.
    double *shift = malloc(sizeof(double) * steps);
    float *dlo = malloc(sizeof(float) * steps), *dsc = malloc(sizeof(float) * steps);
    for (int s = 0; s < steps; s++) {
        double pn = pow(p, s + 1), mean = pn * 75.0 + (1 - pn) * 72.0;
        double sd = sqrt(25.0 * (1 - pn * pn) / (1 - 0.25));
        shift[s] = mean; dlo[s] = (float)(mean - 8 * sd); dsc[s] = (float)(DAILY_BINS / (16 * sd));
    }
    uint64_t nchunks = (lanes + CHUNK - 1) / CHUNK;
    uint64_t *dig = malloc(sizeof(uint64_t) * steps);
    for (int rep = 0; rep < reps; rep++) {
        memset(dig, 0, sizeof(uint64_t) * steps);
        double t0 = omp_get_wtime();
#pragma omp parallel
        {
            float t[CHUNK] __attribute__((aligned(64)));
            float z[4][CHUNK] __attribute__((aligned(64)));
            uint64_t hl[CHUNK] __attribute__((aligned(64)));
            stats *st = calloc(steps, sizeof(stats));
            uint32_t *h = calloc((size_t)steps * (DAILY_BINS + 2), 4);
            for (int s = 0; s < steps; s++) { st[s].mn = INFINITY; st[s].mx = -INFINITY; }
#pragma omp for schedule(dynamic, 8) nowait
            for (uint64_t ch = 0; ch < nchunks; ch++) {
                uint64_t first = ch * CHUNK;
                int n = (int)(lanes - first < CHUNK ? lanes - first : CHUNK);
                for (int i = 0; i < n; i++) { t[i] = start; hl[i] = mix64(first + (uint64_t)i + 0x9e3779b97f4a7c15ull); }
                for (int b = 0; b * 4 < steps; b++) {
                    for (int i = 0; i < n; i++) {
                        float zz[4];
                        normals4((uint32_t)b, first + (uint64_t)i, ks, zz);
                        z[0][i] = zz[0]; z[1][i] = zz[1]; z[2][i] = zz[2]; z[3][i] = zz[3];
                    }
                    for (int j = 0; j < 4 && b * 4 + j < steps; j++) {
                        int s = b * 4 + j;
                        for (int i = 0; i < n; i++) t[i] = ((p * t[i]) + c) + (sg * z[j][i]);
                        if (daily || s == steps - 1)
                            reduce_step(t, hl, n, shift[s], dlo[s], dsc[s], &st[s], h + (size_t)s * (DAILY_BINS + 2));
                    }
                }
            }
#pragma omp critical
            for (int s = 0; s < steps; s++) dig[s] += st[s].dig;
            free(st); free(h);
        }
        double t1 = omp_get_wtime();
        uint64_t sum = 0;
        for (int s = 0; s < steps; s++) sum += dig[s];
        printf("{\"lanes\": %llu, \"steps\": %d, \"daily\": %d, \"threads\": %d, \"chunk\": %d, \"compute_s\": %.6f, "
               "\"digest\": \"%016llx\", \"daily_digest_sum\": \"%016llx\"}\n",
               (unsigned long long)lanes, steps, daily, omp_get_max_threads(), CHUNK, t1 - t0,
               (unsigned long long)dig[steps - 1], daily ? (unsigned long long)sum : 0ULL);
        fflush(stdout);
    }
    return 0;
}
