//===- SgemmAvx2.cpp - AVX2 SGEMM micro-kernel ----------------------------===//
//
// Part of the Tessera runtime.
//
//===----------------------------------------------------------------------===//
//
// A 6 x 16 micro-tile: 12 ymm accumulators (6 rows x 2 halves of one 16-column
// panel), two B loads and six A broadcasts per k step, the classic shape for
// 16 ymm registers and two FMA pipes. Edge tiles get exactly sized
// instantiations and masked loads/stores. Bias and epilogue are applied in
// registers on the last k block (VectorMath256.h).
//
// Compiled with -mavx2 -mfma; see SgemmKernels.h for why nothing here has
// external linkage but the getter.
//
//===----------------------------------------------------------------------===//
#include "kernels/SgemmKernels.h"
#include "kernels/VectorMath256.h"

#include "tessera/abi.h"
#include "tessera/pack.h"

#include <immintrin.h>

using namespace tessera::runtime;

namespace {

constexpr int64_t kMr = 6;
constexpr int64_t kNr = TSR_SGEMM_PANEL_WIDTH;

template <int Rows> void avx2Tile(const SgemmTile &tile) {
  __m256 acc[Rows][2];
  for (int i = 0; i < Rows; ++i)
    acc[i][0] = acc[i][1] = _mm256_setzero_ps();

  const float *a = tile.a;
  const float *b = tile.b;
  for (int64_t k = tile.kc; k > 0; --k) {
    __m256 b0 = _mm256_loadu_ps(b);
    __m256 b1 = _mm256_loadu_ps(b + 8);
    for (int i = 0; i < Rows; ++i) {
      __m256 aValue = _mm256_broadcast_ss(a + i);
      acc[i][0] = _mm256_fmadd_ps(aValue, b0, acc[i][0]);
      acc[i][1] = _mm256_fmadd_ps(aValue, b1, acc[i][1]);
    }
    a += kMr;
    b += TSR_SGEMM_PANEL_WIDTH;
  }

  __m256i mask[2] = {firstLanes(tile.cols), firstLanes(tile.cols - 8)};
  bool addBias = tile.finish && tile.bias;
  __m256 bias[2];
  for (int h = 0; h < 2; ++h)
    bias[h] = addBias ? _mm256_maskload_ps(tile.bias + 8 * h, mask[h])
                      : _mm256_setzero_ps();
  bool full = tile.cols == kNr;
  for (int i = 0; i < Rows; ++i) {
    float *c = tile.c + i * tile.ldc;
    for (int h = 0; h < 2; ++h) {
      __m256 value = acc[i][h];
      if (tile.accumulate)
        value =
            _mm256_add_ps(value, full ? _mm256_loadu_ps(c + 8 * h)
                                      : _mm256_maskload_ps(c + 8 * h, mask[h]));
      if (tile.finish)
        value = applyEpilogue256(_mm256_add_ps(value, bias[h]), tile.epilogue);
      if (full)
        _mm256_storeu_ps(c + 8 * h, value);
      else
        _mm256_maskstore_ps(c + 8 * h, mask[h], value);
    }
  }
}

using TileFn = void (*)(const SgemmTile &);

constexpr TileFn kTiles[kMr] = {avx2Tile<1>, avx2Tile<2>, avx2Tile<3>,
                                avx2Tile<4>, avx2Tile<5>, avx2Tile<6>};

void avx2Tile(const SgemmTile &tile) { kTiles[tile.rows - 1](tile); }

void avx2PackA(const float *a, int64_t rowStride, int64_t colStride,
               int64_t rows, int64_t kc, float *out) {
  packSgemmAPanels(a, rowStride, colStride, rows, kc, kMr, out);
}

} // namespace

const SgemmKernelSet &tessera::runtime::getAvx2SgemmKernels() {
  static const SgemmKernelSet kernels = {
      "avx2", kMr, kNr, avx2Tile, avx2PackA, tsr_pack_b_panels};
  return kernels;
}
