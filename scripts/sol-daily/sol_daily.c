// sol_daily.c - the C "speed of light" of `gpusim run --daily` (issue 12,
// item 3): ../c-speed-of-light/sol.c's stream, bit for bit (Philox4x32-10,
// the exact Box-Muller, the recurrence; sol.c is included below), with the
// per-step statistics of --daily after every step instead of the final ones
// only.
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

// sol.c's stream, included whole (its main renamed, unused): Philox4x32-10,
// the exact normal transform (normals4), mix64, fbits/bitsf, stats.
#define main sol_plain_main
#include "../c-speed-of-light/sol.c"
#undef main


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
