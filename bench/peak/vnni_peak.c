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
 * With AMX-INT8 (compiled with -march=native on a CPU that has it, and the
 * tiles granted by Linux's arch_prctl) it also times tdpbusd on four
 * independent 16x16 int32 tile accumulators (16 x 16 x 64 products each,
 * 2 operations per product) and reports the higher of the two, as
 * isa=amx: the peak the int8 GEMM can reach on this machine.
 *
 * Prints: "gops=<best of 5 reps> isa=<amx|avx512vnni|none> chains=<n>"
 */
#include <immintrin.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#if defined(__AMX_INT8__) && defined(__AMX_TILE__)
#include <sys/syscall.h>
#include <unistd.h>
#endif

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

#if defined(__AMX_INT8__) && defined(__AMX_TILE__)
struct tile_config {
  uint8_t palette, start_row, reserved[14];
  uint16_t colsb[16];
  uint8_t rows[16];
} __attribute__((aligned(64)));

/* GOP/s of tdpbusd on four independent accumulators for about `seconds`,
 * best of 5; 0 when the OS does not grant the tiles. */
static double amx_peak(double seconds) {
  if (syscall(SYS_arch_prctl, 0x1023 /* ARCH_REQ_XCOMP_PERM */,
              18 /* XFEATURE_XTILEDATA */) != 0)
    return 0;
  struct tile_config cfg = {0};
  cfg.palette = 1;
  for (int t = 0; t < 8; ++t) {
    cfg.colsb[t] = 64;
    cfg.rows[t] = 16;
  }
  _tile_loadconfig(&cfg);
  static int8_t buf[16 * 64] __attribute__((aligned(64)));
  for (int i = 0; i < 16 * 64; ++i) buf[i] = (int8_t)(i % 7 - 3);
  _tile_loadd(4, buf, 64);
  _tile_loadd(5, buf, 64);
  _tile_loadd(6, buf, 64);
  _tile_loadd(7, buf, 64);
  long iters = 1 << 12;
  double best = 0;
  for (int rep = -1; rep < 5; ++rep) {
    _tile_zero(0);
    _tile_zero(1);
    _tile_zero(2);
    _tile_zero(3);
    double t0 = now();
    for (long i = 0; i < iters; ++i) {
      _tile_dpbusd(0, 4, 6);
      _tile_dpbusd(1, 4, 7);
      _tile_dpbusd(2, 5, 6);
      _tile_dpbusd(3, 5, 7);
    }
    double t = now() - t0;
    if (rep < 0) { /* size the runs */
      iters = (long)(iters * seconds / (t > 1e-6 ? t : 1e-6)) + 1;
      continue;
    }
    double gops = (double)iters * 4 * 16 * 16 * 64 * 2 / t * 1e-9;
    if (gops > best) best = gops;
  }
  int32_t out[16 * 16];
  _tile_stored(0, out, 64);
  sink += out[0];
  _tile_release();
  return best;
}
#endif

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
#if defined(__AMX_INT8__) && defined(__AMX_TILE__)
  double amx = amx_peak(seconds);
  if (amx > best) {
    printf("gops=%.1f isa=amx chains=%d\n", amx, CHAINS);
    return sink == 42 ? 1 : 0;
  }
#endif
  printf("gops=%.1f isa=avx512vnni chains=%d\n", best, CHAINS);
  return sink == 42 ? 1 : 0; /* keep the result alive */
}
#else
int main(void) {
  printf("gops=0 isa=none chains=%d\n", CHAINS);
  return 0;
}
#endif
