//===- SgemmAvx512.cpp - AVX-512 SGEMM micro-kernel -----------------------===//
//
// Part of the Tessera runtime.
//
//===----------------------------------------------------------------------===//
//
// An 8 x 48 micro-tile: 24 zmm accumulators (8 rows x 3 panels of 16
// columns), three B loads and eight A broadcasts per k step: enough
// independent FMAs to hide their latency at full rate (one zmm FMA per cycle
// on Zen 4, two on cores with two 512-bit FMA units) while leaving registers
// for the loads; measured at the FMA peak when the operands are in L2. 8 rows
// divide the common token counts (128, 384, ...) and 48 columns divide 768
// and 3072, so transformer GEMMs rarely hit an edge tile; edge tiles get an
// exactly sized instantiation (and masked stores) rather than padding.
//
// Bias and epilogue are applied in registers on the last k block, with
// vectorized exp and erfc whose relative error stays near 1e-7.
//
// Compiled with -mavx512f -mavx512bw -mavx512dq -mavx512vl -mfma; see
// SgemmKernels.h for why nothing here has external linkage but the getter.
//
//===----------------------------------------------------------------------===//
#include "kernels/SgemmKernels.h"
#include "kernels/Transpose256.h"
#include "kernels/VectorMath512.h"

#include "tessera/abi.h"
#include "tessera/pack.h"

#include <immintrin.h>

using namespace tessera::runtime;

namespace {

constexpr int64_t kMr = 8;
constexpr int kMaxPanels = 3;
constexpr int64_t kNr = kMaxPanels * TSR_SGEMM_PANEL_WIDTH;

template <int Rows, int Panels> void avx512Tile(const SgemmTile &tile) {
  __m512 acc[Rows][Panels];
  for (int i = 0; i < Rows; ++i)
    for (int p = 0; p < Panels; ++p)
      acc[i][p] = _mm512_setzero_ps();

  const float *a = tile.a;
  const float *b = tile.b;
  const int64_t panelStride = tile.bPanelStride;
  for (int64_t k = tile.kc; k > 0; --k) {
    __m512 bRow[Panels];
    for (int p = 0; p < Panels; ++p)
      bRow[p] = _mm512_loadu_ps(b + p * panelStride);
    for (int i = 0; i < Rows; ++i) {
      __m512 aValue = _mm512_set1_ps(a[i]);
      for (int p = 0; p < Panels; ++p)
        acc[i][p] = _mm512_fmadd_ps(aValue, bRow[p], acc[i][p]);
    }
    a += kMr;
    b += TSR_SGEMM_PANEL_WIDTH;
  }

  int64_t lastCols = tile.cols - (Panels - 1) * TSR_SGEMM_PANEL_WIDTH;
  __mmask16 lastMask = lastCols >= TSR_SGEMM_PANEL_WIDTH
                           ? static_cast<__mmask16>(0xffff)
                           : static_cast<__mmask16>((1u << lastCols) - 1);
  __m512 bias[Panels];
  bool addBias = tile.finish && tile.bias;
  for (int p = 0; p < Panels; ++p) {
    __mmask16 mask = p == Panels - 1 ? lastMask : 0xffff;
    bias[p] =
        addBias
            ? _mm512_maskz_loadu_ps(mask, tile.bias + p * TSR_SGEMM_PANEL_WIDTH)
            : _mm512_setzero_ps();
  }
  for (int i = 0; i < Rows; ++i) {
    float *c = tile.c + i * tile.ldc;
    for (int p = 0; p < Panels; ++p) {
      __mmask16 mask = p == Panels - 1 ? lastMask : 0xffff;
      float *cp = c + p * TSR_SGEMM_PANEL_WIDTH;
      __m512 value = acc[i][p];
      if (tile.accumulate)
        value = _mm512_add_ps(value, _mm512_maskz_loadu_ps(mask, cp));
      if (tile.finish)
        value = _mm512_add_ps(value, bias[p]);
      _mm512_mask_storeu_ps(cp, mask, value);
    }
  }
  // The epilogue over the stored tile, out of line (see
  // applyEpilogueInPlace512: inlined into each tile shape it was most of
  // this file's code).
  if (tile.finish)
    applyEpilogueInPlace512(tile.c, tile.ldc, Rows, tile.cols, tile.epilogue);
}

using TileFn = void (*)(const SgemmTile &);

template <int Rows> struct TileRow {
  static constexpr TileFn fns[kMaxPanels] = {
      avx512Tile<Rows, 1>, avx512Tile<Rows, 2>, avx512Tile<Rows, 3>};
};

constexpr const TileFn *kTiles[kMr] = {
    TileRow<1>::fns, TileRow<2>::fns, TileRow<3>::fns, TileRow<4>::fns,
    TileRow<5>::fns, TileRow<6>::fns, TileRow<7>::fns, TileRow<8>::fns};

void avx512Tile(const SgemmTile &tile) {
  kTiles[tile.rows - 1][(tile.cols - 1) / TSR_SGEMM_PANEL_WIDTH](tile);
}

/// Row-major A (the common case) is packed 8 x 8 blocks at a time; other
/// layouts, partial panels and the k tail go through the portable packer.
void avx512PackA(const float *a, int64_t rowStride, int64_t colStride,
                 int64_t rows, int64_t kc, float *out) {
  if (colStride != 1) {
    packSgemmAPanels(a, rowStride, colStride, rows, kc, kMr, out);
    return;
  }
  int64_t fullRows = rows / kMr * kMr, kVector = kc / 8 * 8;
  for (int64_t i0 = 0; i0 < fullRows; i0 += kMr, out += kMr * kc) {
    const float *panel = a + i0 * rowStride;
    for (int64_t k = 0; k < kVector; k += 8)
      transpose8x8(panel + k, rowStride, out + k * kMr, kMr);
    if (kVector < kc)
      packSgemmAPanels(panel + kVector, rowStride, 1, kMr, kc - kVector, kMr,
                       out + kVector * kMr);
  }
  if (fullRows < rows)
    packSgemmAPanels(a + fullRows * rowStride, rowStride, 1, rows - fullRows,
                     kc, kMr, out);
}

/// Transposed B (row stride 1: K^T in attention scores) is packed 8 x 8
/// blocks at a time; other layouts go through tsr_pack_b_panels, which
/// already copies row-major B with vector moves.
void avx512PackB(const float *b, int64_t k, int64_t n, int64_t rowStride,
                 int64_t colStride, float *out) {
  const int64_t width = TSR_SGEMM_PANEL_WIDTH;
  if (rowStride != 1 || colStride == 1) {
    tsr_pack_b_panels(b, k, n, rowStride, colStride, out);
    return;
  }
  int64_t fullPanels = n / width, kVector = k / 8 * 8;
  for (int64_t p = 0; p < fullPanels; ++p) {
    const float *columns = b + p * width * colStride;
    float *panel = out + p * k * width;
    for (int64_t kk = 0; kk < kVector; kk += 8) {
      transpose8x8(columns + kk, colStride, panel + kk * width, width);
      transpose8x8(columns + 8 * colStride + kk, colStride,
                   panel + kk * width + 8, width);
    }
    for (int64_t kk = kVector; kk < k; ++kk)
      for (int64_t j = 0; j < width; ++j)
        panel[kk * width + j] = columns[j * colStride + kk];
  }
  if (fullPanels * width < n)
    tsr_pack_b_panels(b + fullPanels * width * colStride, k,
                      n - fullPanels * width, rowStride, colStride,
                      out + fullPanels * k * width);
}

} // namespace

const SgemmKernelSet &tessera::runtime::getAvx512SgemmKernels() {
  static const SgemmKernelSet kernels = {"avx512",   kMr,         kNr,
                                         avx512Tile, avx512PackA, avx512PackB};
  return kernels;
}
