//===- VectorMath256.h - AVX2 math shared by the kernels --------*- C++ -*-===//
//
// Vector exp and the GEMM epilogues (GELU, tanh-GELU, SiLU, ReLU) for the
// AVX2 kernels (the SGEMM and bf16 GEMM epilogues), the counterparts of
// VectorMath512.h. Include only from files built with the
// AVX2 flags of runtime/CMakeLists.txt (-mavx2 -mfma, all alike, so that
// the linker's choice among the copies of these inline functions cannot
// matter).
//
//===----------------------------------------------------------------------===//

#ifndef TESSERA_RUNTIME_KERNELS_VECTORMATH256_H
#define TESSERA_RUNTIME_KERNELS_VECTORMATH256_H

#include "tessera/abi.h"

#include <cstdint>
#include <immintrin.h>

namespace tessera::runtime {

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

/// The epilogue over `rows` rows of `cols` floats at c (row stride ldc), in
/// place, out of line: the AVX2 counterpart of applyEpilogueInPlace512.
[[gnu::noinline]] inline void applyEpilogueInPlace256(float *c, int64_t ldc,
                                                      int64_t rows,
                                                      int64_t cols,
                                                      int64_t epilogue) {
  if (epilogue == TSR_EPILOGUE_NONE)
    return;
  for (int64_t i = 0; i < rows; ++i)
    for (int64_t j = 0; j < cols; j += 8) {
      __m256i mask = firstLanes(cols - j);
      float *p = c + i * ldc + j;
      _mm256_maskstore_ps(
          p, mask, applyEpilogue256(_mm256_maskload_ps(p, mask), epilogue));
    }
}

} // namespace tessera::runtime

#endif // TESSERA_RUNTIME_KERNELS_VECTORMATH256_H
