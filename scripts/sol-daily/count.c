// count.c: what counting a histogram costs a CPU core, in the two forms
// --daily's kernel could take (issue 12, item 3; docs/benchmarks.md, "What
// bounds the missed targets"). Bins are 16-bit words of a normal spread
// over DAILY_BINS+2 = 514 counters (sd 40 bins), as weather_daily's tile
// stores them:
//
//   scalar   four bins from each 64-bit load, one increment each, into one
//            histogram of 32-bit counters (weather_daily's counting loop);
//   scatter  one private histogram per lane of a 16-lane vector, so that
//            the lanes never collide: vpgatherdd, vpaddd, vpscatterdd
//            (AVX-512 only; null without it).
//
//   clang -O3 -march=native count.c -o count && ./count [BATCHES [ROUNDS]]
//
// BATCHES of 65536 bins each (1..65535, default 2000) are counted in each
// of ROUNDS rounds (1..1000, default 3); anything else, a third argument
// or a number with trailing characters included, prints the usage and
// exits 2.
//
// Prints one JSON line a round: ns an increment of each form, and the
// counts' totals (each BATCHES * 65536, or the run is wrong). The
// fifty-second session's reading on the 2-core AMD EPYC (Zen 4) VM:
// scalar 0.273 ns, scatter 0.80 ns (2000 batches, 3 rounds).
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#ifdef __AVX512F__
#include <immintrin.h>
#endif

#define NB 514      // DAILY_BINS + 2
#define N (1 << 16) // bins a batch

static double now(void) {
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec * 1e-9;
}

// arg is argv[i] read as a whole decimal number in 1..max, or 0: atoi
// took "2000x" for 2000 and wrapped 99999999999 to 1215752191 batches
// (hours of counting).
static int arg(int argc, char **argv, int i, int def, long max) {
	if (argc <= i) return def;
	char *end;
	errno = 0;
	long v = strtol(argv[i], &end, 10);
	if (errno || end == argv[i] || *end || v < 1 || v > max) return 0;
	return (int)v;
}

int main(int argc, char **argv) {
	// BATCHES stays under 65536 so that no 32-bit counter can wrap (a
	// batch adds at most 65536 to one), which would break the totals.
	int batches = arg(argc, argv, 1, 2000, 65535), rounds = arg(argc, argv, 2, 3, 1000);
	if (argc > 3 || !batches || !rounds) {
		fprintf(stderr, "usage: count [BATCHES [ROUNDS]]: BATCHES 1..65535, ROUNDS 1..1000\n");
		return 2;
	}
	static uint16_t b[N] __attribute__((aligned(64)));
	srand(1);
	for (int i = 0; i < N; i++) { // Irwin-Hall: a sum of 12 uniforms, sd 1
		double s = 0;
		for (int k = 0; k < 12; k++) s += rand() / (double)RAND_MAX;
		int v = 256 + (int)((s - 6) * 40);
		b[i] = v < 0 ? 0 : v > NB - 1 ? NB - 1 : v;
	}
	static uint32_t h[NB], hs[NB * 16] __attribute__((aligned(64)));
	for (int r = 0; r < rounds; r++) {
		memset(h, 0, sizeof h);
		double t0 = now();
		for (int k = 0; k < batches; k++) {
			const uint64_t *q = (const uint64_t *)b;
			for (int i = 0; i < N / 4; i++) {
				uint64_t w = q[i];
				h[w & 0xffff]++;
				h[(w >> 16) & 0xffff]++;
				h[(w >> 32) & 0xffff]++;
				h[w >> 48]++;
			}
			__asm__ volatile("" ::"r"(h) : "memory");
		}
		double scalar = (now() - t0) / ((double)batches * N) * 1e9;
		uint64_t ts = 0, tv = 0;
		for (int i = 0; i < NB; i++) ts += h[i];
		printf("{\"scalar_ns\": %.3f, \"scalar_total\": %llu", scalar, (unsigned long long)ts);
#ifdef __AVX512F__
		memset(hs, 0, sizeof hs);
		const __m512i slot = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
		const __m512i one = _mm512_set1_epi32(1);
		t0 = now();
		for (int k = 0; k < batches; k++) {
			for (int i = 0; i < N; i += 16) {
				__m512i idx = _mm512_cvtepu16_epi32(_mm256_load_si256((const __m256i *)(b + i)));
				idx = _mm512_add_epi32(_mm512_slli_epi32(idx, 4), slot);
				__m512i c = _mm512_i32gather_epi32(idx, hs, 4);
				_mm512_i32scatter_epi32(hs, idx, _mm512_add_epi32(c, one), 4);
			}
			__asm__ volatile("" ::"r"(hs) : "memory");
		}
		double scatter = (now() - t0) / ((double)batches * N) * 1e9;
		for (int i = 0; i < NB * 16; i++) tv += hs[i];
		printf(", \"scatter_ns\": %.3f, \"scatter_total\": %llu}\n", scatter, (unsigned long long)tv);
#else
		printf(", \"scatter_ns\": null, \"scatter_total\": null}\n");
#endif
	}
	return 0;
}
