/* vnni_peak.c - single-thread int8 dot-product peak of this CPU, in GOP/s.
 *
 * The int8 counterpart of fma_peak.c: a tight loop of vpdpbusd (u8 x s8,
 * four products summed into each int32 lane) on CHAINS independent zmm
 * accumulators, enough to cover its latency x throughput, so the loop is
 * bound by the dot-product units alone. Counts 2 operations (a multiply and
 * an add) per byte product: 128 per zmm instruction. Needs AVX-512 VNNI
 * (compile with -march=native on a CPU that has it); elsewhere prints
 * isa=none and gops=0. Run one copy per thread, as fma_peak.
 *
 *   clang-22 -O2 -march=native vnni_peak.c -o vnni_peak && ./vnni_peak [seconds]
 *
 * Prints: "gops=<best of 5 reps> isa=<avx512vnni|none> chains=<n>"
 */
#include <immintrin.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define CHAINS 24

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec * 1e-9;
}

#if defined(__AVX512VNNI__)
static int sink;

/* Runs `iters` iterations of CHAINS dot products; returns seconds. */
static double run(long iters, int seed) {
  __m512i acc[CHAINS];
  for (int c = 0; c < CHAINS; ++c) acc[c] = _mm512_set1_epi32(seed + c);
  /* Small operands: the int32 lanes wrap harmlessly in any case. */
  __m512i a = _mm512_set1_epi8(1), b = _mm512_set1_epi8(-1);
  double t0 = now();
  for (long i = 0; i < iters; ++i) {
#pragma clang loop unroll(full)
    for (int c = 0; c < CHAINS; ++c) acc[c] = _mm512_dpbusd_epi32(acc[c], a, b);
  }
  double t = now() - t0;
  __m512i s = acc[0];
  for (int c = 1; c < CHAINS; ++c) s = _mm512_add_epi32(s, acc[c]);
  sink += _mm512_reduce_add_epi32(s);
  return t;
}

int main(int argc, char **argv) {
  double seconds = argc > 1 ? atof(argv[1]) : 0.3;
  if (seconds <= 0) seconds = 0.3;
  long iters = 1 << 16;
  for (;;) {
    double t = run(iters, 1);
    if (t > 0.05) {
      iters = (long)(iters * seconds / t);
      break;
    }
    iters *= 4;
  }
  double best = 0;
  for (int rep = 0; rep < 5; ++rep) {
    double t = run(iters, rep);
    double gops = (double)iters * CHAINS * 64 * 2 / t * 1e-9;
    if (gops > best) best = gops;
  }
  printf("gops=%.1f isa=avx512vnni chains=%d\n", best, CHAINS);
  return sink == 42 ? 1 : 0; /* keep the result alive */
}
#else
int main(void) {
  printf("gops=0 isa=none chains=%d\n", CHAINS);
  return 0;
}
#endif
