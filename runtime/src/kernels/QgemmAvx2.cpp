//===- QgemmAvx2.cpp - AVX2 int8 GEMM micro-kernel ------------------------===//
//
// Part of the Tessera runtime.
//
//===----------------------------------------------------------------------===//
//
// A 2 x 16 micro-tile for CPUs without VNNI. AVX2's u8 x s8 instruction
// (vpmaddubsw) saturates its 16-bit pair sums, which (qa + 128) x qb
// overflows, so both operands are widened to 16 bits instead and multiplied
// with vpmaddwd, which is exact: per group of 4 k values the 64 weight
// bytes become four vectors of 4 columns x 4 k, the row's 4 values are
// broadcast as 16-bit words, and each vpmaddwd leaves two partial sums per
// column that one horizontal add per tile combines. Half the throughput of
// a VNNI kernel, but the same integers; the float part (scales, bias,
// epilogue) is the portable kernel's, so results match it bit for bit.
//
// Compiled with -mavx2 -mfma; see SgemmKernels.h for the linkage rules.
//
//===----------------------------------------------------------------------===//
#include "kernels/QgemmKernels.h"
#include "kernels/SgemmKernels.h"

#include "tessera/abi.h"

#include <cstring>
#include <immintrin.h>

using namespace tessera::runtime;

namespace {

constexpr int64_t kMr = 2;
constexpr int64_t kNr = TSR_QGEMM_PANEL_WIDTH;

void avx2Tile(const QgemmTile &tile) {
  __m256i acc[kMr][4];
  for (auto &row : acc)
    for (__m256i &v : row)
      v = _mm256_setzero_si256();
  const uint8_t *a = tile.a;
  const int8_t *b = tile.b;
  for (int64_t g = tile.kGroups; g > 0; --g) {
    // Columns 4q..4q+3, their 4 k values each, as 16-bit words.
    __m256i bWords[4];
    for (int q = 0; q < 4; ++q)
      bWords[q] = _mm256_cvtepi8_epi16(
          _mm_loadu_si128(reinterpret_cast<const __m128i *>(b + q * 16)));
    for (int64_t i = 0; i < kMr; ++i) {
      uint64_t words = uint64_t(a[i * 4]) | uint64_t(a[i * 4 + 1]) << 16 |
                       uint64_t(a[i * 4 + 2]) << 32 |
                       uint64_t(a[i * 4 + 3]) << 48;
      __m256i aWords = _mm256_set1_epi64x(static_cast<long long>(words));
      for (int q = 0; q < 4; ++q)
        acc[i][q] =
            _mm256_add_epi32(acc[i][q], _mm256_madd_epi16(aWords, bWords[q]));
    }
    a += kMr * 4;
    b += TSR_QGEMM_PANEL_WIDTH * 4;
  }
  // acc[i][q] holds two partial sums per column of 4q..4q+3 (columns 4q,
  // 4q+1 in the low 128 bits, 4q+2, 4q+3 in the high); pairwise adds put
  // them in column order.
  int32_t sums[kMr][kNr];
  for (int64_t i = 0; i < kMr; ++i)
    for (int q = 0; q < 4; q += 2) {
      __m256i pairs = _mm256_hadd_epi32(acc[i][q], acc[i][q + 1]);
      _mm256_storeu_si256(reinterpret_cast<__m256i *>(&sums[i][q * 4]),
                          _mm256_permute4x64_epi64(pairs, 0xd8));
    }
  finishQgemmTile(tile, &sums[0][0], kNr);
}

} // namespace

const QgemmKernelSet &tessera::runtime::getAvx2QgemmKernels() {
  static const QgemmKernelSet kernels = {"avx2", kMr, kNr, avx2Tile, packQgemmARows,
                                         qgemmMinMax};
  return kernels;
}
