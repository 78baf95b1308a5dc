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
// registers on the last k block, with the same exp/erfc approximations as
// the AVX-512 kernel.
//
// Compiled with -mavx2 -mfma; see SgemmKernels.h for why nothing here has
// external linkage but the getter.
//
//===----------------------------------------------------------------------===//
#include "kernels/SgemmKernels.h"

#include "tessera/abi.h"
#include "tessera/pack.h"

#include <immintrin.h>

using namespace tessera::runtime;

namespace {

constexpr int64_t kMr = 6;
constexpr int64_t kNr = TSR_SGEMM_PANEL_WIDTH;

/// e^x for x in [-87.3, 88.3] (inputs are clamped there, which only moves
/// results that are ~0 or ~inf for our uses): Cody-Waite reduction, degree-7
/// Taylor polynomial, 2^n built in the exponent field.
inline __m256 exp256(__m256 x) {
  x = _mm256_min_ps(x, _mm256_set1_ps(88.3f));
  x = _mm256_max_ps(x, _mm256_set1_ps(-87.3f));
  __m256 n =
      _mm256_round_ps(_mm256_mul_ps(x, _mm256_set1_ps(1.44269504088896341f)),
                      _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m256 r = _mm256_fnmadd_ps(n, _mm256_set1_ps(0.693359375f), x);
  r = _mm256_fnmadd_ps(n, _mm256_set1_ps(-2.12194440e-4f), r);
  __m256 p = _mm256_set1_ps(1.0f / 5040);
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f / 720));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f / 120));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f / 24));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f / 6));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(0.5f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f));
  __m256i exponent = _mm256_slli_epi32(
      _mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(127)), 23);
  return _mm256_mul_ps(p, _mm256_castsi256_ps(exponent));
}

/// x * Phi(x) with Numerical Recipes' erfc (see SgemmAvx512.cpp).
inline __m256 geluErf256(__m256 x) {
  __m256 z = _mm256_mul_ps(_mm256_andnot_ps(_mm256_set1_ps(-0.0f), x),
                           _mm256_set1_ps(0.70710678118654752f));
  __m256 one = _mm256_set1_ps(1.0f);
  __m256 t = _mm256_div_ps(one, _mm256_fmadd_ps(z, _mm256_set1_ps(0.5f), one));
  __m256 p = _mm256_set1_ps(0.17087277f);
  p = _mm256_fmadd_ps(p, t, _mm256_set1_ps(-0.82215223f));
  p = _mm256_fmadd_ps(p, t, _mm256_set1_ps(1.48851587f));
  p = _mm256_fmadd_ps(p, t, _mm256_set1_ps(-1.13520398f));
  p = _mm256_fmadd_ps(p, t, _mm256_set1_ps(0.27886807f));
  p = _mm256_fmadd_ps(p, t, _mm256_set1_ps(-0.18628806f));
  p = _mm256_fmadd_ps(p, t, _mm256_set1_ps(0.09678418f));
  p = _mm256_fmadd_ps(p, t, _mm256_set1_ps(0.37409196f));
  p = _mm256_fmadd_ps(p, t, _mm256_set1_ps(1.00002368f));
  p = _mm256_fmadd_ps(p, t, _mm256_set1_ps(-1.26551223f));
  __m256 halfErfc =
      _mm256_mul_ps(_mm256_mul_ps(t, exp256(_mm256_fnmadd_ps(z, z, p))),
                    _mm256_set1_ps(0.5f));
  __m256 negative = _mm256_cmp_ps(x, _mm256_setzero_ps(), _CMP_LT_OQ);
  __m256 phi =
      _mm256_blendv_ps(_mm256_sub_ps(one, halfErfc), halfErfc, negative);
  return _mm256_mul_ps(x, phi);
}

/// x / (1 + e^-u): SiLU with u = x, tanh-GELU with u = 2 sqrt(2/pi)(...).
inline __m256 timesSigmoid256(__m256 x, __m256 u) {
  __m256 one = _mm256_set1_ps(1.0f);
  return _mm256_div_ps(
      x, _mm256_add_ps(one, exp256(_mm256_sub_ps(_mm256_setzero_ps(), u))));
}

inline __m256 applyEpilogue256(__m256 x, int64_t epilogue) {
  switch (epilogue) {
  case TSR_EPILOGUE_GELU:
    return geluErf256(x);
  case TSR_EPILOGUE_GELU_TANH: {
    __m256 poly = _mm256_fmadd_ps(
        _mm256_mul_ps(x, x), _mm256_set1_ps(0.044715f), _mm256_set1_ps(1.0f));
    __m256 twoU = _mm256_mul_ps(_mm256_mul_ps(x, poly),
                                _mm256_set1_ps(1.59576912160573071f));
    return timesSigmoid256(x, twoU);
  }
  case TSR_EPILOGUE_SILU:
    return timesSigmoid256(x, x);
  case TSR_EPILOGUE_RELU:
    // max returns its second operand when either is NaN: NaN propagates.
    return _mm256_max_ps(_mm256_setzero_ps(), x);
  default:
    return x;
  }
}

/// Lane mask of the first `count` (0..8) floats of a ymm.
inline __m256i firstLanes(int64_t count) {
  __m256i lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
  return _mm256_cmpgt_epi32(_mm256_set1_epi32(static_cast<int>(count)), lane);
}

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
