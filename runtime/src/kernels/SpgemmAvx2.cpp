//===- SpgemmAvx2.cpp - AVX2 sparse-weight GEMM micro-kernels -------------===//
//
// Part of the Tessera runtime.
//
//===----------------------------------------------------------------------===//
//
// The AVX2 counterparts of SpgemmAvx512.cpp's tiles: BLOCK16 as 6 rows x 16
// columns (12 ymm accumulators, two vector loads of a block row and six
// broadcasts per k), CSR as 32 rows (four ymm vectors) per column with
// even/odd accumulator sets, 256 steps (32 KiB of the panel) at a time.
//
// Compiled with -mavx2 -mfma; see SgemmKernels.h for why nothing here has
// external linkage but the getter.
//
//===----------------------------------------------------------------------===//
#include "kernels/SpgemmKernels.h"
#include "kernels/SgemmKernels.h"
#include "kernels/Transpose256.h"
#include "kernels/VectorMath256.h"

#include "tessera/abi.h"

#include <algorithm>
#include <immintrin.h>

using namespace tessera::runtime;

namespace {

constexpr int64_t kB = TSR_SPGEMM_BLOCK;
constexpr int kBlockMr = 6;
constexpr int kCsrVectors = 4;
constexpr int kCsrMr = kCsrVectors * 8;
/// Steps of the packed panel a CSR tile works through at a time: 128 (a
/// 32 KiB slice of the panel, which stays in L1) where a column has many
/// nonzeros there, 512 where it has few and the time per slice would go
/// to starting and ending its columns.
constexpr int64_t kCsrSliceSteps = 128, kCsrSparseSliceSteps = 512;

/// Stores rows of 16 sums (two vectors each) into C, accumulating, adding
/// the bias when finishing, then the epilogue.
inline void storeRows(const SpgemmTile &t, const __m256 (*acc)[2],
                      int64_t rows) {
  __m256i mask[2] = {firstLanes(t.cols), firstLanes(t.cols - 8)};
  __m256 bias[2];
  for (int h = 0; h < 2; ++h)
    bias[h] = t.finish && t.bias ? _mm256_maskload_ps(t.bias + 8 * h, mask[h])
                                 : _mm256_setzero_ps();
  for (int64_t i = 0; i < rows; ++i)
    for (int h = 0; h < 2; ++h) {
      float *c = t.c + i * t.ldc + 8 * h;
      __m256 value = _mm256_add_ps(acc[i][h], bias[h]);
      if (t.accumulate)
        value = _mm256_add_ps(value, _mm256_maskload_ps(c, mask[h]));
      _mm256_maskstore_ps(c, mask[h], value);
    }
  if (t.finish)
    applyEpilogueInPlace256(t.c, t.ldc, rows, t.cols, t.epilogue);
}

template <int Rows> void blockTile(const SpgemmTile &t) {
  __m256 acc[Rows][2];
  for (int i = 0; i < Rows; ++i)
    acc[i][0] = acc[i][1] = _mm256_setzero_ps();
  for (int64_t j = 0; j < t.count; ++j) {
    const float *a = t.a + (t.indices[j] * kB - t.kBase) * kBlockMr;
    const float *v = t.values + j * kB * kB;
    for (int r = 0; r < kB; ++r) {
      __m256 lo = _mm256_loadu_ps(v + r * kB);
      __m256 hi = _mm256_loadu_ps(v + r * kB + 8);
      for (int i = 0; i < Rows; ++i) {
        __m256 x = _mm256_broadcast_ss(a + r * kBlockMr + i);
        acc[i][0] = _mm256_fmadd_ps(x, lo, acc[i][0]);
        acc[i][1] = _mm256_fmadd_ps(x, hi, acc[i][1]);
      }
    }
  }
  storeRows(t, acc, Rows);
}

using TileFn = void (*)(const SpgemmTile &);

void avx2BlockTile(const SpgemmTile &t) {
  static constexpr TileFn tiles[kBlockMr] = {blockTile<1>, blockTile<2>,
                                             blockTile<3>, blockTile<4>,
                                             blockTile<5>, blockTile<6>};
  tiles[t.rows - 1](t);
}

/// Adds column nonzeros [j, ...) with k < kEnd times the packed panel's
/// rows [0, 8 * Vectors) into `sums`; returns the first nonzero not taken.
template <int Vectors>
inline int64_t csrColumn(const float *a, const int32_t *indices,
                         const float *values, int64_t j, int64_t end,
                         int64_t kEnd, float *sums) {
  __m256 even[Vectors], odd[Vectors];
  for (int v = 0; v < Vectors; ++v) {
    even[v] = _mm256_load_ps(sums + 8 * v);
    odd[v] = _mm256_setzero_ps();
  }
  for (; j + 1 < end && indices[j + 1] < kEnd; j += 2) {
    const float *a0 = a + int64_t(indices[j]) * kCsrMr;
    const float *a1 = a + int64_t(indices[j + 1]) * kCsrMr;
    __m256 w0 = _mm256_broadcast_ss(values + j);
    __m256 w1 = _mm256_broadcast_ss(values + j + 1);
    for (int v = 0; v < Vectors; ++v) {
      even[v] = _mm256_fmadd_ps(_mm256_loadu_ps(a0 + 8 * v), w0, even[v]);
      odd[v] = _mm256_fmadd_ps(_mm256_loadu_ps(a1 + 8 * v), w1, odd[v]);
    }
  }
  if (j < end && indices[j] < kEnd) {
    const float *a0 = a + int64_t(indices[j]) * kCsrMr;
    __m256 w0 = _mm256_broadcast_ss(values + j);
    for (int v = 0; v < Vectors; ++v)
      even[v] = _mm256_fmadd_ps(_mm256_loadu_ps(a0 + 8 * v), w0, even[v]);
    ++j;
  }
  for (int v = 0; v < Vectors; ++v)
    _mm256_store_ps(sums + 8 * v, _mm256_add_ps(even[v], odd[v]));
  return j;
}

template <int Vectors> void csrTile(const SpgemmTile &t) {
  alignas(32) float sums[kB][kCsrMr] = {};
  int64_t next[kB], end[kB];
  for (int64_t c = 0; c < t.cols; ++c) {
    end[c] = t.offsets[c + 1];
    next[c] = firstNonzeroAtOrAfter(t.indices, t.offsets[c], end[c], t.kBase);
  }
  const float *a = t.a - t.kBase * kCsrMr;
  const int64_t slice =
      t.density > 0.25 ? kCsrSliceSteps : kCsrSparseSliceSteps;
  for (int64_t k0 = t.kBase; k0 < t.kEnd; k0 += slice) {
    int64_t k1 = std::min(t.kEnd, k0 + slice);
    for (int64_t c = 0; c < t.cols; ++c)
      next[c] = csrColumn<Vectors>(a, t.indices, t.values, next[c], end[c], k1,
                                   sums[c]);
  }
  alignas(32) float rowsOut[kCsrMr][kB];
  for (int i = 0; i < Vectors * 8; i += 8)
    for (int c = 0; c < kB; c += 8)
      transpose8x8(&sums[c][i], kCsrMr, &rowsOut[i][c], kB);
  __m256 acc[kCsrMr][2];
  for (int64_t i = 0; i < t.rows; ++i) {
    acc[i][0] = _mm256_load_ps(rowsOut[i]);
    acc[i][1] = _mm256_load_ps(rowsOut[i] + 8);
  }
  storeRows(t, acc, t.rows);
}

void avx2CsrTile(const SpgemmTile &t) {
  static constexpr TileFn tiles[kCsrVectors] = {csrTile<1>, csrTile<2>,
                                                csrTile<3>, csrTile<4>};
  tiles[(t.rows - 1) / 8](t);
}

void avx2PackA(const float *a, int64_t rowStride, int64_t colStride,
               int64_t rows, int64_t kc, int64_t kcPadded, int64_t mr,
               float *out) {
  if (colStride != 1 || mr % 8 != 0) {
    packSpgemmAPanels(a, rowStride, colStride, rows, kc, kcPadded, mr, out);
    return;
  }
  int64_t fullRows = rows / mr * mr, kVector = kc / 8 * 8;
  for (int64_t i0 = 0; i0 < fullRows; i0 += mr, out += mr * kcPadded) {
    const float *panel = a + i0 * rowStride;
    for (int64_t i = 0; i < mr; i += 8)
      for (int64_t k = 0; k < kVector; k += 8)
        transpose8x8(panel + i * rowStride + k, rowStride, out + k * mr + i,
                     mr);
    if (kVector < kcPadded)
      packSpgemmAPanels(panel + kVector, rowStride, 1, mr, kc - kVector,
                        kcPadded - kVector, mr, out + kVector * mr);
  }
  if (fullRows < rows)
    packSpgemmAPanels(a + fullRows * rowStride, rowStride, 1, rows - fullRows,
                      kc, kcPadded, mr, out);
}

} // namespace

const SpgemmKernelSet &tessera::runtime::getAvx2SpgemmKernels() {
  static const SpgemmKernelSet kernels = {
      "avx2",      kBlockMr, kCsrMr,  1024, 6144, avx2BlockTile,
      avx2CsrTile, avx2PackA};
  return kernels;
}
