//===- BgemmAvx2.cpp - AVX2 bf16 GEMM micro-kernel ------------------------===//
//
// Part of the Tessera runtime.
//
//===----------------------------------------------------------------------===//
//
// The SGEMM kernel's 6 x 16 tile of f32 accumulators over bf16 weights:
// a 64-byte row of a B panel holds 16 columns x 2 k values, and the two
// ymm of it become the even k values (shifted left by 16 bits: a bf16 is
// the high half of its f32) and the odd ones (the low half masked off),
// exactly, for two rounds of 12 FMAs with A broadcast from its packed f32
// panel (values already rounded to bf16). The epilogue is the SGEMM
// kernel's (VectorMath256.h), applied to the stored tile.
//
// Compiled with -mavx2 -mfma, as the other AVX2 kernels.
//
//===----------------------------------------------------------------------===//
#include "kernels/BgemmKernels.h"
#include "kernels/VectorMath256.h"

#include "tessera/abi.h"

#include <immintrin.h>

using namespace tessera::runtime;

namespace {

constexpr int64_t kMr = 6;
constexpr int64_t kNr = TSR_BGEMM_PANEL_WIDTH;

template <int Rows> void avx2Tile(const BgemmTile &tile) {
  __m256 acc[Rows][2];
  for (int i = 0; i < Rows; ++i)
    acc[i][0] = acc[i][1] = _mm256_setzero_ps();
  const float *a = static_cast<const float *>(tile.a);
  const uint16_t *b = tile.b;
  const __m256i high = _mm256_set1_epi32(static_cast<int>(0xffff0000u));
  for (int64_t p = tile.kPairs; p > 0; --p) {
    __m256i b0 = _mm256_loadu_si256(reinterpret_cast<const __m256i *>(b));
    __m256i b1 = _mm256_loadu_si256(reinterpret_cast<const __m256i *>(b + 16));
    __m256 even0 = _mm256_castsi256_ps(_mm256_slli_epi32(b0, 16));
    __m256 even1 = _mm256_castsi256_ps(_mm256_slli_epi32(b1, 16));
    for (int i = 0; i < Rows; ++i) {
      __m256 x = _mm256_broadcast_ss(a + i);
      acc[i][0] = _mm256_fmadd_ps(x, even0, acc[i][0]);
      acc[i][1] = _mm256_fmadd_ps(x, even1, acc[i][1]);
    }
    __m256 odd0 = _mm256_castsi256_ps(_mm256_and_si256(b0, high));
    __m256 odd1 = _mm256_castsi256_ps(_mm256_and_si256(b1, high));
    for (int i = 0; i < Rows; ++i) {
      __m256 x = _mm256_broadcast_ss(a + kMr + i);
      acc[i][0] = _mm256_fmadd_ps(x, odd0, acc[i][0]);
      acc[i][1] = _mm256_fmadd_ps(x, odd1, acc[i][1]);
    }
    a += 2 * kMr;
    b += 2 * TSR_BGEMM_PANEL_WIDTH;
  }

  // Bias in registers, masked stores at the right edge, then the epilogue.
  __m256i mask[2] = {firstLanes(tile.cols), firstLanes(tile.cols - 8)};
  __m256 bias[2] = {_mm256_setzero_ps(), _mm256_setzero_ps()};
  if (tile.bias)
    for (int h = 0; h < 2; ++h)
      bias[h] = _mm256_maskload_ps(tile.bias + 8 * h, mask[h]);
  for (int i = 0; i < Rows; ++i)
    for (int h = 0; h < 2; ++h)
      _mm256_maskstore_ps(tile.c + i * tile.ldc + 8 * h, mask[h],
                          _mm256_add_ps(acc[i][h], bias[h]));
  applyEpilogueInPlace256(tile.c, tile.ldc, Rows, tile.cols, tile.epilogue);
}

using TileFn = void (*)(const BgemmTile &);
constexpr TileFn kTiles[kMr] = {avx2Tile<1>, avx2Tile<2>, avx2Tile<3>,
                                avx2Tile<4>, avx2Tile<5>, avx2Tile<6>};

void avx2Tile(const BgemmTile &tile) { kTiles[tile.rows - 1](tile); }

} // namespace

/// packBgemmAF32 for contiguous rows, 8 values at a time: the same rounding
/// (add 0x7fff plus the lowest kept bit, clear the low half; NaN kept quiet).
void tessera::runtime::packBgemmAF32Avx2(const float *a, int64_t rowStride, int64_t colStride,
               int64_t rows, int64_t k, int64_t kPadded, int64_t mr,
               void *packed) {
  if (colStride != 1) {
    packBgemmAF32(a, rowStride, colStride, rows, k, kPadded, mr, packed);
    return;
  }
  float *out = static_cast<float *>(packed);
  const int64_t kVector = k / 8 * 8;
  const __m256i bias = _mm256_set1_epi32(0x7fff), one = _mm256_set1_epi32(1);
  const __m256i high = _mm256_set1_epi32(static_cast<int>(0xffff0000u));
  const __m256i quiet = _mm256_set1_epi32(0x400000);
  const int64_t paddedRows = (rows + mr - 1) / mr * mr;
  for (int64_t i = 0; i < paddedRows; ++i) {
    float *panel = out + (i / mr) * mr * kPadded + i % mr;
    if (i >= rows) {
      for (int64_t kk = 0; kk < kPadded; ++kk)
        panel[kk * mr] = 0.0f;
      continue;
    }
    const float *row = a + i * rowStride;
    for (int64_t kk = 0; kk < kVector; kk += 8) {
      __m256 x = _mm256_loadu_ps(row + kk);
      __m256i u = _mm256_castps_si256(x);
      __m256i lsb = _mm256_and_si256(_mm256_srli_epi32(u, 16), one);
      __m256i rounded = _mm256_and_si256(
          _mm256_add_epi32(u, _mm256_add_epi32(bias, lsb)), high);
      __m256i nan = _mm256_castps_si256(_mm256_cmp_ps(x, x, _CMP_UNORD_Q));
      rounded = _mm256_blendv_epi8(
          rounded, _mm256_and_si256(_mm256_or_si256(u, quiet), high), nan);
      alignas(32) float v[8];
      _mm256_store_ps(v, _mm256_castsi256_ps(rounded));
      for (int j = 0; j < 8; ++j)
        panel[(kk + j) * mr] = v[j];
    }
    for (int64_t kk = kVector; kk < kPadded; ++kk)
      panel[kk * mr] = kk < k ? roundToBf16(row[kk]) : 0.0f;
  }
}

const BgemmKernelSet &tessera::runtime::getAvx2BgemmKernels() {
  static const BgemmKernelSet kernels = {"avx2", kMr, kNr, avx2Tile,
                                         packBgemmAF32Avx2, 1, 4};
  return kernels;
}
