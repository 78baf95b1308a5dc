//===- Transpose256.h - 8 x 8 float transposes for packing ------*- C++ -*-===//
//
// Part of the Tessera runtime.
//
//===----------------------------------------------------------------------===//
//
// The transpose the packers of row-major A (and of transposed B) are made
// of, in AVX (256-bit) instructions, for the AVX2 and AVX-512 kernel
// files. Internal linkage on purpose: each including file gets its own
// copy compiled with its own -m flags (see SgemmKernels.h).
//
//===----------------------------------------------------------------------===//
#ifndef TESSERA_RUNTIME_KERNELS_TRANSPOSE256_H
#define TESSERA_RUNTIME_KERNELS_TRANSPOSE256_H

#include <cstdint>
#include <immintrin.h>

namespace {

/// Transposes an 8 x 8 block: dst[j * dstStride + i] = src[i * srcStride +
/// j] (the classic unpack/shuffle/permute sequence). Packs row-major A and
/// transposed B, whose packed forms are the transposes of their storage.
inline void transpose8x8(const float *src, int64_t srcStride, float *dst,
                         int64_t dstStride) {
  __m256 r[8], t[8], s[8];
  for (int i = 0; i < 8; ++i)
    r[i] = _mm256_loadu_ps(src + i * srcStride);
  for (int i = 0; i < 8; i += 2) {
    t[i] = _mm256_unpacklo_ps(r[i], r[i + 1]);
    t[i + 1] = _mm256_unpackhi_ps(r[i], r[i + 1]);
  }
  for (int i = 0; i < 8; i += 4) {
    s[i] = _mm256_shuffle_ps(t[i], t[i + 2], 0x44);
    s[i + 1] = _mm256_shuffle_ps(t[i], t[i + 2], 0xee);
    s[i + 2] = _mm256_shuffle_ps(t[i + 1], t[i + 3], 0x44);
    s[i + 3] = _mm256_shuffle_ps(t[i + 1], t[i + 3], 0xee);
  }
  for (int j = 0; j < 4; ++j) {
    _mm256_storeu_ps(dst + j * dstStride,
                     _mm256_permute2f128_ps(s[j], s[j + 4], 0x20));
    _mm256_storeu_ps(dst + (j + 4) * dstStride,
                     _mm256_permute2f128_ps(s[j], s[j + 4], 0x31));
  }
}

} // namespace

#endif // TESSERA_RUNTIME_KERNELS_TRANSPOSE256_H
