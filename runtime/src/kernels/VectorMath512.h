//===- VectorMath512.h - AVX-512 math shared by the kernels -----*- C++ -*-===//
//
// Vector exp and the GEMM epilogues (GELU, tanh-GELU, SiLU, ReLU) for the
// AVX-512 kernels (the SGEMM and int8 GEMM epilogues, the attention kernel's
// softmax), in one place. Include only from files built with the AVX-512
// flags of runtime/CMakeLists.txt (all alike, so that the linker's choice
// among the copies of these inline functions cannot matter).
//
//===----------------------------------------------------------------------===//

#ifndef TESSERA_RUNTIME_KERNELS_VECTORMATH512_H
#define TESSERA_RUNTIME_KERNELS_VECTORMATH512_H

#include "tessera/abi.h"

#include <cstdint>
#include <immintrin.h>

namespace tessera::runtime {

/// e^x, within ~2 ulp over the float range (Cody-Waite reduction, degree-7
/// Taylor polynomial on |r| <= ln2/2, scalef for the exponent, which also
/// handles overflow to inf and gradual underflow).
inline __m512 exp512(__m512 x) {
  x = _mm512_min_ps(x, _mm512_set1_ps(88.72283935546875f));
  x = _mm512_max_ps(x, _mm512_set1_ps(-104.0f));
  __m512 n = _mm512_roundscale_ps(
      _mm512_mul_ps(x, _mm512_set1_ps(1.44269504088896341f)),
      _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m512 r = _mm512_fnmadd_ps(n, _mm512_set1_ps(0.693359375f), x);
  r = _mm512_fnmadd_ps(n, _mm512_set1_ps(-2.12194440e-4f), r);
  __m512 p = _mm512_set1_ps(1.0f / 5040);
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f / 720));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f / 120));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f / 24));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f / 6));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(0.5f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f));
  return _mm512_scalef_ps(p, n);
}

/// e^x, but exactly 0 below -87 (instead of a subnormal), -inf included:
/// softmax weights that small do not count, and subnormals are slow.
inline __m512 exp512FlushTiny(__m512 x) {
  __mmask16 tiny = _mm512_cmp_ps_mask(x, _mm512_set1_ps(-87.0f), _CMP_LT_OQ);
  return _mm512_maskz_mov_ps(static_cast<__mmask16>(~tiny), exp512(x));
}

/// x * Phi(x) = 0.5 x erfc(-x / sqrt 2). erfc(z) for z >= 0 is Numerical
/// Recipes' Chebyshev fit t * exp(-z^2 + P(t)), t = 1 / (1 + z / 2), whose
/// relative error is below 1.2e-7 everywhere, so the result stays accurate
/// relative to itself on both tails (not just relative to |x|).
inline __m512 geluErf512(__m512 x) {
  __m512 z =
      _mm512_mul_ps(_mm512_abs_ps(x), _mm512_set1_ps(0.70710678118654752f));
  __m512 one = _mm512_set1_ps(1.0f);
  __m512 t = _mm512_div_ps(one, _mm512_fmadd_ps(z, _mm512_set1_ps(0.5f), one));
  __m512 p = _mm512_set1_ps(0.17087277f);
  p = _mm512_fmadd_ps(p, t, _mm512_set1_ps(-0.82215223f));
  p = _mm512_fmadd_ps(p, t, _mm512_set1_ps(1.48851587f));
  p = _mm512_fmadd_ps(p, t, _mm512_set1_ps(-1.13520398f));
  p = _mm512_fmadd_ps(p, t, _mm512_set1_ps(0.27886807f));
  p = _mm512_fmadd_ps(p, t, _mm512_set1_ps(-0.18628806f));
  p = _mm512_fmadd_ps(p, t, _mm512_set1_ps(0.09678418f));
  p = _mm512_fmadd_ps(p, t, _mm512_set1_ps(0.37409196f));
  p = _mm512_fmadd_ps(p, t, _mm512_set1_ps(1.00002368f));
  p = _mm512_fmadd_ps(p, t, _mm512_set1_ps(-1.26551223f));
  __m512 halfErfc =
      _mm512_mul_ps(_mm512_mul_ps(t, exp512(_mm512_fnmadd_ps(z, z, p))),
                    _mm512_set1_ps(0.5f));
  // Phi(x) = erfc(z) / 2 for x < 0, 1 - erfc(z) / 2 otherwise.
  __mmask16 negative = _mm512_cmp_ps_mask(x, _mm512_setzero_ps(), _CMP_LT_OQ);
  __m512 phi =
      _mm512_mask_blend_ps(negative, _mm512_sub_ps(one, halfErfc), halfErfc);
  return _mm512_mul_ps(x, phi);
}

/// x * sigmoid(x * scale), the shape of both SiLU and tanh-GELU
/// (0.5 (1 + tanh(u)) = 1 / (1 + e^-2u)).
inline __m512 timesSigmoid512(__m512 x, __m512 u) {
  __m512 one = _mm512_set1_ps(1.0f);
  return _mm512_div_ps(
      x, _mm512_add_ps(one, exp512(_mm512_sub_ps(_mm512_setzero_ps(), u))));
}

inline __m512 applyEpilogue512(__m512 x, int64_t epilogue) {
  switch (epilogue) {
  case TSR_EPILOGUE_GELU:
    return geluErf512(x);
  case TSR_EPILOGUE_GELU_TANH: {
    // 2u = 2 sqrt(2/pi) (x + 0.044715 x^3)
    __m512 x2 = _mm512_mul_ps(x, x);
    __m512 poly =
        _mm512_fmadd_ps(x2, _mm512_set1_ps(0.044715f), _mm512_set1_ps(1.0f));
    __m512 twoU = _mm512_mul_ps(_mm512_mul_ps(x, poly),
                                _mm512_set1_ps(1.59576912160573071f));
    return timesSigmoid512(x, twoU);
  }
  case TSR_EPILOGUE_SILU:
    return timesSigmoid512(x, x);
  case TSR_EPILOGUE_RELU:
    // max returns its second operand when either is NaN: NaN propagates.
    return _mm512_max_ps(_mm512_setzero_ps(), x);
  default:
    return x;
  }
}

/// The epilogue over `rows` rows of `cols` floats at c (row stride ldc), in
/// place: for micro-kernels that store their sums first. Out of line on
/// purpose: inlined into every (rows x panels) shape of a tile, the
/// epilogues' vector math made those kernels several times larger for no
/// speed (the tile is in L1 when this reads it back).
[[gnu::noinline]] inline void applyEpilogueInPlace512(float *c, int64_t ldc,
                                                      int64_t rows,
                                                      int64_t cols,
                                                      int64_t epilogue) {
  if (epilogue == TSR_EPILOGUE_NONE)
    return;
  for (int64_t i = 0; i < rows; ++i)
    for (int64_t j = 0; j < cols; j += 16) {
      __mmask16 mask = cols - j >= 16
                           ? static_cast<__mmask16>(0xffff)
                           : static_cast<__mmask16>((1u << (cols - j)) - 1);
      float *p = c + i * ldc + j;
      _mm512_mask_storeu_ps(
          p, mask, applyEpilogue512(_mm512_maskz_loadu_ps(mask, p), epilogue));
    }
}

} // namespace tessera::runtime

#endif // TESSERA_RUNTIME_KERNELS_VECTORMATH512_H
