/*===- tessera/pack.h - The packed-B layouts of the GEMM kernels ---*- C -*-===*
 *
 * Packs a [K, N] float matrix into the panel layout that TSR_SGEMM_B_PACKED
 * means (see tessera/abi.h): ceil(N / 16) panels, each K rows of 16
 * contiguous floats, columns past N zero-filled; element (k, n) lands at
 * ((n / 16) * K + k) * 16 + n % 16.
 *
 * The compiler packs constant weights with this function at compile time and
 * the runtime packs strided operands with it at run time, so both produce
 * exactly the same bytes. Also the int8, 4-bit and bf16 layouts of the
 * other GEMMs (TSR_QGEMM_*, TSR_W4GEMM_*, TSR_BGEMM_*) and the sparse
 * formats (TSR_SPGEMM_*), packed at compile time only. Header-only C, no
 * dependencies.
 *
 *===----------------------------------------------------------------------===*/
#ifndef TESSERA_PACK_H
#define TESSERA_PACK_H

#include <stdint.h>
#include <string.h>

#include "tessera/abi.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Number of floats of the packed form of a [k, n] matrix. */
static inline int64_t tsr_packed_b_size(int64_t k, int64_t n) {
  return (n + TSR_SGEMM_PANEL_WIDTH - 1) / TSR_SGEMM_PANEL_WIDTH *
         TSR_SGEMM_PANEL_WIDTH * k;
}

/* Packs b (element (k, n) at b[k * row_stride + n * col_stride]) into `out`,
 * which has room for tsr_packed_b_size(k, n) floats. Any strides work; the
 * loops follow whichever of them is 1 so that reads stay sequential. */
static inline void tsr_pack_b_panels(const float *b, int64_t k, int64_t n,
                                     int64_t row_stride, int64_t col_stride,
                                     float *out) {
  const int64_t width = TSR_SGEMM_PANEL_WIDTH;
  const int64_t full_panels = n / width;
  if (col_stride == 1) {
    /* Row-major B: walk B row by row (sequential reads, which the hardware
     * prefetcher follows), scattering each row's 16-float pieces to their
     * panels; memcpy says the pieces do not overlap, so it becomes vector
     * moves. */
    for (int64_t kk = 0; kk < k; ++kk)
      for (int64_t p = 0; p < full_panels; ++p)
        memcpy(out + (p * k + kk) * width, b + kk * row_stride + p * width,
               sizeof(float) * width);
  } else {
    /* Column by column: sequential reads when B is transposed
     * (row_stride == 1), and no worse than row order otherwise. */
    for (int64_t p = 0; p < full_panels; ++p)
      for (int64_t j = 0; j < width; ++j)
        for (int64_t kk = 0; kk < k; ++kk)
          out[(p * k + kk) * width + j] =
              b[kk * row_stride + (p * width + j) * col_stride];
  }
  /* The last, partial panel, zero-padded. */
  if (full_panels * width < n) {
    int64_t n0 = full_panels * width, cols = n - n0;
    float *panel = out + full_panels * k * width;
    for (int64_t kk = 0; kk < k; ++kk)
      for (int64_t j = 0; j < width; ++j)
        panel[kk * width + j] =
            j < cols ? b[kk * row_stride + (n0 + j) * col_stride] : 0.0f;
  }
}

/* Bytes of the packed int8 form of a [k, n] matrix (TSR_QGEMM panels). */
static inline int64_t tsr_packed_qb_size(int64_t k, int64_t n) {
  return (n + TSR_QGEMM_PANEL_WIDTH - 1) / TSR_QGEMM_PANEL_WIDTH *
         ((k + TSR_QGEMM_K_GROUP - 1) / TSR_QGEMM_K_GROUP) *
         (TSR_QGEMM_PANEL_WIDTH * TSR_QGEMM_K_GROUP);
}

/* Packs the int8 matrix b (element (k, n) at b[k * row_stride + n *
 * col_stride]) into `out` (tsr_packed_qb_size(k, n) bytes, zero-padded) and
 * writes each column's sum to sums[n] (the kernels' zero-point
 * compensation). */
static inline void tsr_pack_qb_panels(const int8_t *b, int64_t k, int64_t n,
                                      int64_t row_stride, int64_t col_stride,
                                      int8_t *out, int32_t *sums) {
  const int64_t width = TSR_QGEMM_PANEL_WIDTH, group = TSR_QGEMM_K_GROUP;
  const int64_t groups = (k + group - 1) / group;
  memset(out, 0, (size_t)tsr_packed_qb_size(k, n));
  for (int64_t j = 0; j < n; ++j) {
    int8_t *panel = out + (j / width) * groups * width * group;
    int32_t sum = 0;
    for (int64_t kk = 0; kk < k; ++kk) {
      int8_t v = b[kk * row_stride + j * col_stride];
      panel[(kk / group) * width * group + (j % width) * group + kk % group] = v;
      sum += v;
    }
    sums[j] = sum;
  }
}

/* Bytes of the packed 4-bit form of a [k, n] matrix (TSR_W4GEMM panels;
 * k even). */
static inline int64_t tsr_packed_w4_size(int64_t k, int64_t n) {
  return (n + TSR_W4GEMM_PANEL_WIDTH - 1) / TSR_W4GEMM_PANEL_WIDTH * (k / 2) *
         TSR_W4GEMM_PANEL_WIDTH;
}

/* Packs the unsigned 4-bit values q (0..15, one per byte; element (k, n) at
 * q[k * row_stride + n * col_stride]) into `out` (tsr_packed_w4_size(k, n)
 * bytes, zero-padded); k must be even. */
static inline void tsr_pack_w4_panels(const uint8_t *q, int64_t k, int64_t n,
                                      int64_t row_stride, int64_t col_stride,
                                      uint8_t *out) {
  const int64_t width = TSR_W4GEMM_PANEL_WIDTH, rows = k / 2;
  memset(out, 0, (size_t)tsr_packed_w4_size(k, n));
  for (int64_t j = 0; j < n; ++j) {
    uint8_t *panel = out + (j / width) * rows * width;
    for (int64_t r = 0; r < rows; ++r) {
      uint8_t lo = q[(2 * r) * row_stride + j * col_stride] & 15;
      uint8_t hi = q[(2 * r + 1) * row_stride + j * col_stride] & 15;
      panel[r * width + j % width] = (uint8_t)(lo | (hi << 4));
    }
  }
}

/* f32 to bf16, rounded to nearest even; NaN stays a (quiet) NaN. */
static inline uint16_t tsr_f32_to_bf16(float x) {
  uint32_t u;
  memcpy(&u, &x, sizeof(u));
  if ((u & 0x7fffffffu) > 0x7f800000u)
    return (uint16_t)((u >> 16) | 0x40u);
  return (uint16_t)((u + 0x7fffu + ((u >> 16) & 1u)) >> 16);
}

/* f32 to IEEE half, rounded to nearest even (overflow to infinity,
 * gradual underflow; NaN stays a quiet NaN). */
static inline uint16_t tsr_f32_to_f16(float x) {
  uint32_t u;
  memcpy(&u, &x, sizeof(u));
  uint32_t sign = (u >> 16) & 0x8000u;
  uint32_t a = u & 0x7fffffffu;
  if (a > 0x7f800000u) /* NaN */
    return (uint16_t)(sign | 0x7e00u | ((a >> 13) & 0x3ffu));
  if (a >= 0x477ff000u) /* rounds to 65520 or more: infinity */
    return (uint16_t)(sign | 0x7c00u);
  if (a < 0x38800000u) { /* below 2^-14: a subnormal half (or zero) */
    if (a < 0x33000000u) /* below half the smallest subnormal: zero */
      return (uint16_t)sign;
    uint32_t mant = (a & 0x7fffffu) | 0x800000u;
    uint32_t shift = 126u - (a >> 23); /* 14..24: to units of 2^-24 */
    uint32_t q = mant >> shift, rest = mant & ((1u << shift) - 1u);
    uint32_t half = 1u << (shift - 1u);
    if (rest > half || (rest == half && (q & 1u)))
      ++q;
    return (uint16_t)(sign | q);
  }
  /* Normal: rebias the exponent, round the 13 dropped mantissa bits. */
  uint32_t h = ((a - 0x38000000u) >> 13);
  uint32_t rest = a & 0x1fffu;
  if (rest > 0x1000u || (rest == 0x1000u && (h & 1u)))
    ++h;
  return (uint16_t)(sign | h);
}

/* IEEE half to f32 (exact). */
static inline float tsr_f16_to_f32(uint16_t h) {
  uint32_t sign = (uint32_t)(h & 0x8000u) << 16;
  uint32_t exp = (h >> 10) & 0x1fu, mant = h & 0x3ffu, u;
  if (exp == 0x1fu) {
    u = sign | 0x7f800000u | (mant << 13);
  } else if (exp != 0) {
    u = sign | ((exp + 112u) << 23) | (mant << 13);
  } else if (mant == 0) {
    u = sign;
  } else { /* subnormal: normalize */
    exp = 113u;
    while (!(mant & 0x400u)) {
      mant <<= 1;
      --exp;
    }
    u = sign | (exp << 23) | ((mant & 0x3ffu) << 13);
  }
  float f;
  memcpy(&f, &u, sizeof(f));
  return f;
}

/* Elements (bf16) of the packed bf16 form of a [k, n] matrix (TSR_BGEMM
 * panels). */
static inline int64_t tsr_packed_bf16_size(int64_t k, int64_t n) {
  return (n + TSR_BGEMM_PANEL_WIDTH - 1) / TSR_BGEMM_PANEL_WIDTH *
         ((k + TSR_BGEMM_K_GROUP - 1) / TSR_BGEMM_K_GROUP) *
         (TSR_BGEMM_PANEL_WIDTH * TSR_BGEMM_K_GROUP);
}

/* Packs the bf16 matrix b (element (k, n) at b[k * row_stride + n *
 * col_stride]) into `out` (tsr_packed_bf16_size(k, n) elements,
 * zero-padded). */
static inline void tsr_pack_bf16_panels(const uint16_t *b, int64_t k,
                                        int64_t n, int64_t row_stride,
                                        int64_t col_stride, uint16_t *out) {
  const int64_t width = TSR_BGEMM_PANEL_WIDTH, group = TSR_BGEMM_K_GROUP;
  const int64_t rows = (k + group - 1) / group;
  memset(out, 0, (size_t)tsr_packed_bf16_size(k, n) * sizeof(uint16_t));
  for (int64_t j = 0; j < n; ++j) {
    uint16_t *panel = out + (j / width) * rows * width * group;
    for (int64_t kk = 0; kk < k; ++kk)
      panel[(kk / group) * width * group + (j % width) * group + kk % group] =
          b[kk * row_stride + j * col_stride];
  }
}

/* The sparse formats of tsr_spgemm_args_t (TSR_SPGEMM_*), from a [k, n]
 * float matrix b (element (k, n) at b[k * row_stride + n * col_stride]).
 * An element counts as zero when it compares equal to 0 (so -0 does; NaN
 * does not). */

/* Number of the 16 x 16 blocks of b that hold a nonzero. */
static inline int64_t tsr_sparse_block16_count(const float *b, int64_t k,
                                               int64_t n, int64_t row_stride,
                                               int64_t col_stride) {
  const int64_t size = TSR_SPGEMM_BLOCK;
  int64_t count = 0;
  for (int64_t p = 0; p * size < n; ++p)
    for (int64_t kb = 0; kb * size < k; ++kb) {
      const int64_t k_end = k < (kb + 1) * size ? k : (kb + 1) * size;
      const int64_t n_end = n < (p + 1) * size ? n : (p + 1) * size;
      int nonzero = 0;
      for (int64_t kk = kb * size; kk < k_end && !nonzero; ++kk)
        for (int64_t j = p * size; j < n_end; ++j)
          nonzero |= b[kk * row_stride + j * col_stride] != 0.0f;
      count += nonzero;
    }
  return count;
}

/* Packs b as TSR_SPGEMM_BLOCK16: `offsets` has room for ceil(n / 16) + 1
 * values, `indices` for tsr_sparse_block16_count(...) and `values` for 256
 * times that. */
static inline void tsr_pack_sparse_block16(const float *b, int64_t k,
                                           int64_t n, int64_t row_stride,
                                           int64_t col_stride,
                                           int32_t *offsets, int32_t *indices,
                                           float *values) {
  const int64_t size = TSR_SPGEMM_BLOCK;
  int32_t count = 0;
  int64_t p = 0;
  for (; p * size < n; ++p) {
    offsets[p] = count;
    for (int64_t kb = 0; kb * size < k; ++kb) {
      const int64_t k_end = k < (kb + 1) * size ? k : (kb + 1) * size;
      const int64_t n_end = n < (p + 1) * size ? n : (p + 1) * size;
      int nonzero = 0;
      for (int64_t kk = kb * size; kk < k_end && !nonzero; ++kk)
        for (int64_t j = p * size; j < n_end; ++j)
          nonzero |= b[kk * row_stride + j * col_stride] != 0.0f;
      if (!nonzero)
        continue;
      float *block = values + (int64_t)count * size * size;
      for (int64_t r = 0; r < size; ++r)
        for (int64_t c = 0; c < size; ++c) {
          int64_t kk = kb * size + r, j = p * size + c;
          block[r * size + c] =
              kk < k_end && j < n_end ? b[kk * row_stride + j * col_stride]
                                      : 0.0f;
        }
      indices[count++] = (int32_t)kb;
    }
  }
  offsets[p] = count;
}

/* Number of nonzeros of b. */
static inline int64_t tsr_sparse_nonzeros(const float *b, int64_t k,
                                          int64_t n, int64_t row_stride,
                                          int64_t col_stride) {
  int64_t count = 0;
  for (int64_t j = 0; j < n; ++j)
    for (int64_t kk = 0; kk < k; ++kk)
      count += b[kk * row_stride + j * col_stride] != 0.0f;
  return count;
}

/* Packs b as TSR_SPGEMM_CSR: `offsets` has room for n + 1 values,
 * `indices` and `values` for tsr_sparse_nonzeros(...). */
static inline void tsr_pack_sparse_csr(const float *b, int64_t k, int64_t n,
                                       int64_t row_stride, int64_t col_stride,
                                       int32_t *offsets, int32_t *indices,
                                       float *values) {
  int32_t count = 0;
  for (int64_t j = 0; j < n; ++j) {
    offsets[j] = count;
    for (int64_t kk = 0; kk < k; ++kk) {
      float x = b[kk * row_stride + j * col_stride];
      if (x != 0.0f) {
        indices[count] = (int32_t)kk;
        values[count++] = x;
      }
    }
  }
  offsets[n] = count;
}

#ifdef __cplusplus
}
#endif

#endif /* TESSERA_PACK_H */
