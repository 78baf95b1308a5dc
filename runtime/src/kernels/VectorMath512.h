//===- VectorMath512.h - AVX-512 math shared by the kernels -----*- C++ -*-===//
//
// Vector exp for the AVX-512 kernels (SGEMM's GELU/SiLU epilogues, the
// attention kernel's softmax), in one place. Include only from files built
// with AVX-512 enabled.
//
//===----------------------------------------------------------------------===//

#ifndef TESSERA_RUNTIME_KERNELS_VECTORMATH512_H
#define TESSERA_RUNTIME_KERNELS_VECTORMATH512_H

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

} // namespace tessera::runtime

#endif // TESSERA_RUNTIME_KERNELS_VECTORMATH512_H
