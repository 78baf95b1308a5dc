//===- W4gemmAvx512.cpp - AVX-512 micro-kernel of the 4-bit GEMM ----------===//
//
// Part of the Tessera runtime.
//
//===----------------------------------------------------------------------===//
//
// Up to 8 rows x 32 columns (2 panels) of f32 accumulators, or up to 2 rows
// x 64 columns (4 panels: decode). Per pair of k
// values and panel: one 16-byte load of packed nibbles, zero-extended to 16
// dwords, split into the low (k even) and high (k odd) nibbles, converted
// to f32 and dequantized with one fused multiply-add (q * s - z * s); then
// each row broadcasts its two A values into two FMAs per panel. Scales and
// zero points (f32, or halves widened by vcvtph2ps) reload at each group
// boundary. The same operations in the
// same order as the portable kernel, so the same floats.
//
//===----------------------------------------------------------------------===//
#include "kernels/W4gemm.h"
#include "kernels/VectorMath512.h"

#include <algorithm>
#include <immintrin.h>

using namespace tessera::runtime;

namespace {

constexpr int64_t kMr = 8;
/// Panels per tile: 4 for up to 2 rows (decode: the 4 x 2 independent
/// accumulator chains keep the FMA pipes busy where 2 panels left one row
/// latency-bound), 2 for more rows (whose accumulators fill the registers).
constexpr int kMaxPanels = 4;
constexpr int kMaxPanelsManyRows = 2;
constexpr int64_t kNr = kMaxPanels * TSR_W4GEMM_PANEL_WIDTH;

/// 16 group parameters from `params` (f32, or halves widened exactly by
/// vcvtph2ps, as the portable code widens them).
template <bool F16> __m512 loadParams(const void *params, int64_t i) {
  if constexpr (F16)
    return _mm512_cvtph_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i *>(
        static_cast<const uint16_t *>(params) + i)));
  else
    return _mm512_loadu_ps(static_cast<const float *>(params) + i);
}

template <int Rows, int Panels, bool F16> void w4Tile(const W4gemmTile &t) {
  __m512 acc[Rows][Panels];
  for (int i = 0; i < Rows; ++i)
    for (int p = 0; p < Panels; ++p)
      acc[i][p] = _mm512_setzero_ps();
  const int64_t panelBytes = t.k / 2 * TSR_W4GEMM_PANEL_WIDTH;
  const __m512i low4 = _mm512_set1_epi32(15);
  const __m512 eight = _mm512_set1_ps(8.0f);
  __m512 scale[Panels], negZs[Panels];
  for (int64_t g0 = 0; g0 < t.k; g0 += t.group) {
    const int64_t g = g0 / t.group;
    for (int p = 0; p < Panels; ++p) {
      const int64_t col = (p * (t.k / t.group) + g) * TSR_W4GEMM_PANEL_WIDTH;
      scale[p] = loadParams<F16>(t.scale, col);
      __m512 z = t.zero ? loadParams<F16>(t.zero, col) : eight;
      // -(z * s), as the portable kernel computes it.
      negZs[p] = _mm512_castsi512_ps(
          _mm512_xor_si512(_mm512_castps_si512(_mm512_mul_ps(z, scale[p])),
                           _mm512_set1_epi32(INT32_MIN)));
    }
    for (int64_t kk = g0; kk < g0 + t.group; kk += 2) {
      __m512 wlo[Panels], whi[Panels];
      for (int p = 0; p < Panels; ++p) {
        __m128i bytes = _mm_loadu_si128(reinterpret_cast<const __m128i *>(
            t.b + p * panelBytes + kk / 2 * TSR_W4GEMM_PANEL_WIDTH));
        __m512i v = _mm512_cvtepu8_epi32(bytes);
        __m512 qlo = _mm512_cvtepi32_ps(_mm512_and_si512(v, low4));
        __m512 qhi = _mm512_cvtepi32_ps(_mm512_srli_epi32(v, 4));
        wlo[p] = _mm512_fmadd_ps(qlo, scale[p], negZs[p]);
        whi[p] = _mm512_fmadd_ps(qhi, scale[p], negZs[p]);
      }
      for (int i = 0; i < Rows; ++i) {
        const float *a = t.a + i * t.aRowStride + kk * t.aColStride;
        __m512 a0 = _mm512_set1_ps(a[0]);
        for (int p = 0; p < Panels; ++p)
          acc[i][p] = _mm512_fmadd_ps(a0, wlo[p], acc[i][p]);
        __m512 a1 = _mm512_set1_ps(a[t.aColStride]);
        for (int p = 0; p < Panels; ++p)
          acc[i][p] = _mm512_fmadd_ps(a1, whi[p], acc[i][p]);
      }
    }
  }
  int64_t lastCols = t.cols - (Panels - 1) * TSR_W4GEMM_PANEL_WIDTH;
  __mmask16 lastMask = lastCols >= TSR_W4GEMM_PANEL_WIDTH
                           ? static_cast<__mmask16>(0xffff)
                           : static_cast<__mmask16>((1u << lastCols) - 1);
  for (int p = 0; p < Panels; ++p) {
    __mmask16 mask = p == Panels - 1 ? lastMask : 0xffff;
    __m512 bias = t.bias ? _mm512_maskz_loadu_ps(
                               mask, t.bias + p * TSR_W4GEMM_PANEL_WIDTH)
                         : _mm512_setzero_ps();
    for (int i = 0; i < Rows; ++i)
      _mm512_mask_storeu_ps(t.c + i * t.ldc + p * TSR_W4GEMM_PANEL_WIDTH, mask,
                            _mm512_add_ps(acc[i][p], bias));
  }
  applyEpilogueInPlace512(t.c, t.ldc, Rows, t.cols, t.epilogue);
}

using TileFn = void (*)(const W4gemmTile &);

template <int Rows, bool F16> struct TileRow {
  static constexpr int panels = Rows <= 2 ? kMaxPanels : kMaxPanelsManyRows;
  static constexpr TileFn fns[kMaxPanels] = {
      w4Tile<Rows, 1, F16>, w4Tile<Rows, 2, F16>,
      w4Tile<Rows, panels >= 3 ? 3 : 1, F16>,
      w4Tile<Rows, panels >= 4 ? 4 : 1, F16>};
};

template <bool F16>
constexpr const TileFn *kTiles[kMr] = {
    TileRow<1, F16>::fns, TileRow<2, F16>::fns, TileRow<3, F16>::fns,
    TileRow<4, F16>::fns, TileRow<5, F16>::fns, TileRow<6, F16>::fns,
    TileRow<7, F16>::fns, TileRow<8, F16>::fns};

void avx512Tile(const W4gemmTile &t) {
  const TileFn *const *tiles = t.paramsF16 ? kTiles<true> : kTiles<false>;
  if (t.rows <= 2) {
    tiles[t.rows - 1][(t.cols - 1) / TSR_W4GEMM_PANEL_WIDTH](t);
    return;
  }
  // More rows: the columns in tiles of two panels.
  const int64_t width = kMaxPanelsManyRows * TSR_W4GEMM_PANEL_WIDTH;
  const int64_t paramBytes = t.paramsF16 ? 2 : 4;
  const int64_t panelParams = t.k / t.group * TSR_W4GEMM_PANEL_WIDTH;
  for (int64_t j = 0; j < t.cols; j += width) {
    W4gemmTile part = t;
    const int64_t panel = j / TSR_W4GEMM_PANEL_WIDTH;
    part.cols = std::min(width, t.cols - j);
    part.b = t.b + panel * (t.k / 2) * TSR_W4GEMM_PANEL_WIDTH;
    part.scale = static_cast<const char *>(t.scale) +
                 panel * panelParams * paramBytes;
    part.zero = t.zero ? static_cast<const char *>(t.zero) +
                             panel * panelParams * paramBytes
                       : nullptr;
    part.bias = t.bias ? t.bias + j : nullptr;
    part.c = t.c + j;
    tiles[t.rows - 1][(part.cols - 1) / TSR_W4GEMM_PANEL_WIDTH](part);
  }
}

} // namespace

const W4gemmKernelSet &tessera::runtime::getAvx512W4gemmKernels() {
  static const W4gemmKernelSet kernels = {"avx512", kMr, kNr, avx512Tile};
  return kernels;
}
