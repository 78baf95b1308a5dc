/* fma_peak.c - single-thread fp32 FMA peak of this CPU, in GFLOP/s.
 *
 * A tight loop of fused multiply-adds on CHAINS independent vector
 * accumulators: enough chains to cover FMA latency x FMA throughput (4-5
 * cycles x 2 pipes on current x86 cores), so the loop is bound by FMA
 * throughput alone. AVX-512 (zmm, 16 floats) when compiled with it
 * (-march=native on a CPU that has it), AVX2+FMA (ymm, 8 floats) otherwise.
 * Counts 2 FLOPs per FMA lane. Run one copy per thread to measure several
 * cores; the harness (bench/bench.py) sums them.
 *
 *   clang-22 -O2 -march=native fma_peak.c -o fma_peak && ./fma_peak [seconds]
 *
 * Prints: "gflops=<best of 5 reps> isa=<avx512|avx2> chains=<n>"
 */
#include <immintrin.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#if defined(__AVX512F__)
typedef __m512 vec;
#define VLEN 16
#define CHAINS 24 /* 24 + 2 operands of 32 zmm registers */
#define VSET1 _mm512_set1_ps
#define VFMA _mm512_fmadd_ps
#define VADD _mm512_add_ps
#define VSTORE _mm512_storeu_ps
#define ISA "avx512"
#elif defined(__AVX2__) && defined(__FMA__)
typedef __m256 vec;
#define VLEN 8
#define CHAINS 12 /* 12 + 2 operands of 16 ymm registers */
#define VSET1 _mm256_set1_ps
#define VFMA _mm256_fmadd_ps
#define VADD _mm256_add_ps
#define VSTORE _mm256_storeu_ps
#define ISA "avx2"
#else
#error "fma_peak needs AVX2+FMA or AVX-512 (compile with -march=native)"
#endif

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static float sink;

/* Runs `iters` iterations of CHAINS FMAs; returns seconds. */
static double run(long iters, float seed) {
  vec acc[CHAINS];
  for (int c = 0; c < CHAINS; ++c) acc[c] = VSET1(seed + 0.001f * c);
  /* x <- x * a + b converges to b / (1 - a) = 0.1: no overflow, no denormals. */
  vec a = VSET1(0.999999f), b = VSET1(1e-7f);
  double t0 = now();
  for (long i = 0; i < iters; ++i) {
#pragma clang loop unroll(full)
    for (int c = 0; c < CHAINS; ++c) acc[c] = VFMA(acc[c], a, b);
  }
  double t = now() - t0;
  vec s = acc[0];
  for (int c = 1; c < CHAINS; ++c) s = VADD(s, acc[c]);
  float out[VLEN];
  VSTORE(out, s);
  sink += out[0];
  return t;
}

int main(int argc, char **argv) {
  double seconds = argc > 1 ? atof(argv[1]) : 0.3;
  if (seconds <= 0) seconds = 0.3;
  /* Calibrate the iteration count to about `seconds` per rep. */
  long iters = 1 << 16;
  for (;;) {
    double t = run(iters, 1.0f);
    if (t > 0.05) {
      iters = (long)(iters * seconds / t);
      break;
    }
    iters *= 4;
  }
  double best = 0;
  for (int rep = 0; rep < 5; ++rep) {
    double t = run(iters, 1.0f + rep);
    double gflops = 2.0 * VLEN * CHAINS * (double)iters / t * 1e-9;
    if (gflops > best) best = gflops;
  }
  printf("gflops=%.2f isa=%s chains=%d\n", best, ISA, CHAINS);
  return sink == 12345.0f; /* keeps `sink` alive */
}
