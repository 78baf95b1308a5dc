//===- SpgemmAvx512.cpp - AVX-512 sparse-weight GEMM micro-kernels --------===//
//
// Part of the Tessera runtime.
//
//===----------------------------------------------------------------------===//
//
// BLOCK16: 48 rows (three vectors of the packed A panel, along M) by one
// panel, 8 columns at a time: per k row of a stored block, 3 loads of A
// and 8 broadcasts of the block row's weights feed 24 FMAs, the dense
// kernel's ratio; zero blocks are never visited. (16 rows by the 16 columns
// of a block row, vectorized along N, would need one broadcast per FMA:
// measured 0.75-0.8 of the dense rate per stored weight, against 0.94-0.97
// for this tile.) The sums come out by column and are transposed into C.
//
// CSR: 128 rows (eight vectors of the packed panel) per column; each
// nonzero is one broadcast of its value and eight FMAs with the rows of A
// at its k (loads and FMAs nearly one to one). Two sets of accumulators
// (even and odd nonzeros) keep the FMA chains apart. The nonzeros pick
// panel rows in no order, so a tile goes through k one slice at a time
// (64 steps, 32 KiB of the panel, which stays in L1; 256 for very sparse
// weights, whose columns would otherwise spend a slice starting and
// ending), every column advancing its own cursor; the 16 columns' sums
// live in a 16 x 128 buffer meanwhile and are transposed into C at the
// end. Measured (tessera-spgemm-bench, one Xeon core): a stored weight
// costs 1.03-1.06x a dense one for BLOCK16, 1.7-1.9x for CSR at half
// density and about 3x at a tenth.
//
// Compiled with the AVX-512 flags of runtime/CMakeLists.txt; see
// SgemmKernels.h for why nothing here has external linkage but the getter.
//
//===----------------------------------------------------------------------===//
#include "kernels/SpgemmKernels.h"
#include "kernels/SgemmKernels.h"
#include "kernels/Transpose256.h"
#include "kernels/VectorMath512.h"

#include "tessera/abi.h"

#include <algorithm>
#include <immintrin.h>

using namespace tessera::runtime;

namespace {

constexpr int64_t kB = TSR_SPGEMM_BLOCK;
constexpr int kBlockVectors = 3;
constexpr int kBlockMr = kBlockVectors * 16;
constexpr int kCsrVectors = 8;
constexpr int kCsrMr = kCsrVectors * 16;
/// Steps of the packed panel a CSR tile works through at a time: 64 (a
/// 32 KiB slice of the panel, which stays in L1) where a column has many
/// nonzeros there, 256 where it has few and the time per slice would go
/// to starting and ending its columns.
constexpr int64_t kCsrSliceSteps = 64, kCsrSparseSliceSteps = 256;
/// Rows of the largest tile whose sums go through storeColumnSums.
constexpr int64_t kMaxColumnRows = kCsrMr;

inline __mmask16 firstLanes(int64_t count) {
  return count >= 16 ? static_cast<__mmask16>(0xffff)
                     : static_cast<__mmask16>((1u << count) - 1);
}

/// Stores the tile's column sums (column c, row i at sums[c * stride + i],
/// rows padded to `paddedRows`, a multiple of 8 covering t.rows, columns
/// past t.cols zero) into C's rows: 8 x 8 transposes into rows of 16
/// columns, then as storePanel (accumulating, bias, epilogue).
inline void storeColumnSums(const SpgemmTile &t, const float *sums,
                            int64_t stride, int64_t paddedRows) {
  alignas(64) float rowsOut[kMaxColumnRows][kB];
  for (int64_t i = 0; i < paddedRows; i += 8)
    for (int64_t c = 0; c < kB; c += 8)
      transpose8x8(sums + c * stride + i, stride, &rowsOut[i][c], kB);
  __mmask16 mask = firstLanes(t.cols);
  __m512 bias = t.finish && t.bias ? _mm512_maskz_loadu_ps(mask, t.bias)
                                   : _mm512_setzero_ps();
  for (int64_t i = 0; i < t.rows; ++i) {
    float *c = t.c + i * t.ldc;
    __m512 value = _mm512_add_ps(_mm512_load_ps(rowsOut[i]), bias);
    if (t.accumulate)
      value = _mm512_add_ps(value, _mm512_maskz_loadu_ps(mask, c));
    _mm512_mask_storeu_ps(c, mask, value);
  }
  if (t.finish)
    applyEpilogueInPlace512(t.c, t.ldc, t.rows, t.cols, t.epilogue);
}

/// The BLOCK16 tile: 16 * Vectors rows (at most 48) by one panel, in two
/// halves of 8 columns. Per k row of a stored block: Vectors loads of the
/// packed A panel (rows along the vector) and 8 broadcasts of the block
/// row's weights, 8 x Vectors FMAs: the dense kernel's ratio of loads to
/// FMAs (11 to 24), where 16 rows by 16 columns would need a broadcast per
/// FMA. The sums come out by column and are transposed into C.
template <int Vectors> void blockTile(const SpgemmTile &t) {
  alignas(64) float sums[kB][kBlockMr] = {};
  for (int64_t half = 0; half * 8 < t.cols; ++half) {
    __m512 acc[8][Vectors];
    for (int c = 0; c < 8; ++c)
      for (int v = 0; v < Vectors; ++v)
        acc[c][v] = _mm512_setzero_ps();
    for (int64_t j = 0; j < t.count; ++j) {
      const float *a = t.a + (t.indices[j] * kB - t.kBase) * kBlockMr;
      const float *w = t.values + j * kB * kB + 8 * half;
      for (int r = 0; r < kB; ++r) {
        __m512 rows[Vectors];
        for (int v = 0; v < Vectors; ++v)
          rows[v] = _mm512_loadu_ps(a + r * kBlockMr + 16 * v);
        for (int c = 0; c < 8; ++c) {
          __m512 weight = _mm512_set1_ps(w[r * kB + c]);
          for (int v = 0; v < Vectors; ++v)
            acc[c][v] = _mm512_fmadd_ps(rows[v], weight, acc[c][v]);
        }
      }
    }
    for (int c = 0; c < 8; ++c)
      for (int v = 0; v < Vectors; ++v)
        _mm512_store_ps(&sums[8 * half + c][16 * v], acc[c][v]);
  }
  storeColumnSums(t, &sums[0][0], kBlockMr, Vectors * 16);
}

using TileFn = void (*)(const SpgemmTile &);

void avx512BlockTile(const SpgemmTile &t) {
  static constexpr TileFn tiles[kBlockVectors] = {blockTile<1>, blockTile<2>,
                                                  blockTile<3>};
  tiles[(t.rows - 1) / 16](t);
}

/// Adds column nonzeros [j, ...) with k < kEnd times the packed panel's
/// rows [0, 16 * Vectors) into `sums`; returns the first nonzero not taken.
template <int Vectors>
inline int64_t csrColumn(const float *a, const int32_t *indices,
                         const float *values, int64_t j, int64_t end,
                         int64_t kEnd, float *sums) {
  __m512 even[Vectors], odd[Vectors];
  for (int v = 0; v < Vectors; ++v) {
    even[v] = _mm512_load_ps(sums + 16 * v);
    odd[v] = _mm512_setzero_ps();
  }
  for (; j + 1 < end && indices[j + 1] < kEnd; j += 2) {
    const float *a0 = a + int64_t(indices[j]) * kCsrMr;
    const float *a1 = a + int64_t(indices[j + 1]) * kCsrMr;
    __m512 w0 = _mm512_set1_ps(values[j]), w1 = _mm512_set1_ps(values[j + 1]);
    for (int v = 0; v < Vectors; ++v) {
      even[v] = _mm512_fmadd_ps(_mm512_loadu_ps(a0 + 16 * v), w0, even[v]);
      odd[v] = _mm512_fmadd_ps(_mm512_loadu_ps(a1 + 16 * v), w1, odd[v]);
    }
  }
  if (j < end && indices[j] < kEnd) {
    const float *a0 = a + int64_t(indices[j]) * kCsrMr;
    __m512 w0 = _mm512_set1_ps(values[j]);
    for (int v = 0; v < Vectors; ++v)
      even[v] = _mm512_fmadd_ps(_mm512_loadu_ps(a0 + 16 * v), w0, even[v]);
    ++j;
  }
  for (int v = 0; v < Vectors; ++v)
    _mm512_store_ps(sums + 16 * v, _mm512_add_ps(even[v], odd[v]));
  return j;
}

template <int Vectors> void csrTile(const SpgemmTile &t) {
  // sums[c][i]: column c, row i; columns past cols stay zero.
  alignas(64) float sums[kB][kCsrMr] = {};
  int64_t next[kB], end[kB];
  for (int64_t c = 0; c < t.cols; ++c) {
    end[c] = t.offsets[c + 1];
    next[c] = firstNonzeroAtOrAfter(t.indices, t.offsets[c], end[c], t.kBase);
  }
  // A slice of steps at a time, so that the panel rows the nonzeros pick
  // (in no order) come from L1.
  const float *a = t.a - t.kBase * kCsrMr;
  const int64_t slice =
      t.density > 0.25 ? kCsrSliceSteps : kCsrSparseSliceSteps;
  for (int64_t k0 = t.kBase; k0 < t.kEnd; k0 += slice) {
    int64_t k1 = std::min(t.kEnd, k0 + slice);
    for (int64_t c = 0; c < t.cols; ++c)
      next[c] = csrColumn<Vectors>(a, t.indices, t.values, next[c], end[c], k1,
                                   sums[c]);
  }
  storeColumnSums(t, &sums[0][0], kCsrMr, Vectors * 16);
}

void avx512CsrTile(const SpgemmTile &t) {
  static constexpr TileFn tiles[kCsrVectors] = {
      csrTile<1>, csrTile<2>, csrTile<3>, csrTile<4>,
      csrTile<5>, csrTile<6>, csrTile<7>, csrTile<8>};
  tiles[(t.rows - 1) / 16](t);
}

} // namespace

const SpgemmKernelSet &tessera::runtime::getAvx512SpgemmKernels() {
  // A is packed by the AVX2 set's packer: every AVX-512 CPU runs it, and
  // packing is a transpose that 256-bit vectors already do at the speed of
  // memory.
  static const SpgemmKernelSet kernels = {
      "avx512",      kBlockMr, kCsrMr, 1024, 1536, avx512BlockTile,
      avx512CsrTile, getAvx2SpgemmKernels().packA};
  return kernels;
}
