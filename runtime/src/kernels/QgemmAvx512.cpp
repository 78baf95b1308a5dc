//===- QgemmAvx512.cpp - AVX-512 VNNI int8 GEMM micro-kernel --------------===//
//
// Part of the Tessera runtime.
//
//===----------------------------------------------------------------------===//
//
// An 8 x 48 micro-tile of int32 accumulators (24 zmm: 8 rows x 3 panels of
// 16 columns), as the SGEMM kernel's 8 x 48 of floats: per group of 4 k
// values, three 64-byte B loads, eight 4-byte A broadcasts and 24 vpdpbusd,
// each 64 u8 x s8 products summed into 16 int32 lanes. The accumulators
// then become floats once: (acc - zero point x column sum) x row scale x column
// scale + bias, stored with masks at the right edge; then the epilogue over
// the stored tile, out of line (applyEpilogueInPlace512).
//
// Built with the same flags as the other AVX-512 kernels (so that the
// shared inline helpers of VectorMath512.h compile alike everywhere); the
// kernel functions alone enable VNNI, and the driver only picks them on
// CPUs that have it (isQgemmIsaSupported).
//
//===----------------------------------------------------------------------===//
#include "kernels/Amx.h"
#include "kernels/Qgemm.h"
#include "kernels/QgemmKernels.h"
#include "kernels/VectorMath512.h"

#include "tessera/abi.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <immintrin.h>

using namespace tessera::runtime;

namespace {

constexpr int64_t kMr = 8;
constexpr int kMaxPanels = 3;
constexpr int64_t kNr = kMaxPanels * TSR_QGEMM_PANEL_WIDTH;

#define TSR_VNNI __attribute__((target("avx512vnni")))

/// The float part of a tile with `Panels` panels of 16 columns: (acc -
/// zero point x column sum) x row scale x column scale + bias, then the
/// epilogue, with masked stores at the right edge. Shared by the VNNI and
/// AMX tiles, so that equal int32 sums give equal floats.
template <int Panels> struct Epilogue512 {
  __m512 bScale[Panels], bias[Panels];
  __m512i offset[Panels];
  __mmask16 lastMask;

  explicit Epilogue512(const QgemmTile &tile) {
    int64_t lastCols = tile.cols - (Panels - 1) * TSR_QGEMM_PANEL_WIDTH;
    lastMask = lastCols >= TSR_QGEMM_PANEL_WIDTH
                   ? static_cast<__mmask16>(0xffff)
                   : static_cast<__mmask16>((1u << lastCols) - 1);
    for (int p = 0; p < Panels; ++p) {
      __mmask16 mask = p == Panels - 1 ? lastMask : 0xffff;
      int64_t col = p * TSR_QGEMM_PANEL_WIDTH;
      bScale[p] = _mm512_maskz_loadu_ps(mask, tile.bScale + col);
      // zero point x sum: what A's zero point added to every product.
      offset[p] = _mm512_mullo_epi32(
          _mm512_maskz_loadu_epi32(mask, tile.bSums + col),
          _mm512_set1_epi32(tile.aZero));
      bias[p] = tile.bias ? _mm512_maskz_loadu_ps(mask, tile.bias + col)
                          : _mm512_setzero_ps();
    }
  }

  void store(const QgemmTile &tile, int64_t i, int p, __m512i acc) const {
    __mmask16 mask = p == Panels - 1 ? lastMask : 0xffff;
    __m512 aScale = _mm512_set1_ps(tile.aScale[i]);
    __m512 product = _mm512_cvtepi32_ps(_mm512_sub_epi32(acc, offset[p]));
    __m512 value = _mm512_add_ps(
        _mm512_mul_ps(_mm512_mul_ps(aScale, bScale[p]), product), bias[p]);
    _mm512_mask_storeu_ps(tile.c + i * tile.ldc + p * TSR_QGEMM_PANEL_WIDTH,
                          mask, value);
  }
  /// The epilogue over the stored tile (out of line: see
  /// applyEpilogueInPlace512).
  static void finish(const QgemmTile &tile) {
    applyEpilogueInPlace512(tile.c, tile.ldc, tile.rows, tile.cols,
                            tile.epilogue);
  }
};

template <int Rows, int Panels> TSR_VNNI void vnniTile(const QgemmTile &tile) {
  __m512i acc[Rows][Panels];
  for (int i = 0; i < Rows; ++i)
    for (int p = 0; p < Panels; ++p)
      acc[i][p] = _mm512_setzero_si512();

  const uint8_t *a = tile.a;
  const int8_t *b = tile.b;
  const int64_t panelStride = tile.bPanelStride;
  for (int64_t g = tile.kGroups; g > 0; --g) {
    __m512i bGroup[Panels];
    for (int p = 0; p < Panels; ++p)
      bGroup[p] = _mm512_loadu_si512(b + p * panelStride);
    for (int i = 0; i < Rows; ++i) {
      int32_t quad;
      std::memcpy(&quad, a + i * 4, sizeof(quad));
      __m512i aQuad = _mm512_set1_epi32(quad);
      for (int p = 0; p < Panels; ++p)
        acc[i][p] = _mm512_dpbusd_epi32(acc[i][p], aQuad, bGroup[p]);
    }
    a += kMr * 4;
    b += TSR_QGEMM_PANEL_WIDTH * 4;
  }

  Epilogue512<Panels> epilogue(tile);
  for (int i = 0; i < Rows; ++i)
    for (int p = 0; p < Panels; ++p)
      epilogue.store(tile, i, p, acc[i][p]);
  Epilogue512<Panels>::finish(tile);
}

using TileFn = void (*)(const QgemmTile &);

template <int Rows> struct TileRow {
  static constexpr TileFn fns[kMaxPanels] = {
      vnniTile<Rows, 1>, vnniTile<Rows, 2>, vnniTile<Rows, 3>};
};

constexpr const TileFn *kTiles[kMr] = {
    TileRow<1>::fns, TileRow<2>::fns, TileRow<3>::fns, TileRow<4>::fns,
    TileRow<5>::fns, TileRow<6>::fns, TileRow<7>::fns, TileRow<8>::fns};

void vnniTile(const QgemmTile &tile) {
  kTiles[tile.rows - 1][(tile.cols - 1) / TSR_QGEMM_PANEL_WIDTH](tile);
}

/// qgemmMinMax 16 lanes at a time (vminps/vmaxps return their second
/// operand when the first is NaN, as the portable code).
void avx512MinMax(const float *x, int64_t n, float &lo, float &hi) {
  __m512 vlo = _mm512_set1_ps(lo), vhi = _mm512_set1_ps(hi);
  int64_t i = 0;
  for (; i + 16 <= n; i += 16) {
    __m512 v = _mm512_loadu_ps(x + i);
    vlo = _mm512_min_ps(v, vlo);
    vhi = _mm512_max_ps(v, vhi);
  }
  // The lanes hold no NaN (a NaN never replaces a number above).
  lo = _mm512_reduce_min_ps(vlo);
  hi = _mm512_reduce_max_ps(vhi);
  for (; i < n; ++i) {
    lo = x[i] < lo ? x[i] : lo;
    hi = x[i] > hi ? x[i] : hi;
  }
}

/// Stores the 16 bytes of k values kk..kk+15 (kk a multiple of 16) of row
/// r of a packed A panel (packedAOffset).
inline void store16(uint8_t *panel, int64_t kk, int64_t r, int64_t mr,
                    int64_t g, __m128i bytes) {
  if (g % 16 == 0) { // AMX: the 16 bytes are adjacent
    _mm_storeu_si128(
        reinterpret_cast<__m128i *>(panel + packedAOffset(kk, r, mr, g)),
        bytes);
    return;
  }
  alignas(16) uint32_t quads[4];
  _mm_store_si128(reinterpret_cast<__m128i *>(quads), bytes);
  for (int j = 0; j < 4; ++j)
    std::memcpy(panel + packedAOffset(kk + 4 * j, r, mr, g), &quads[j], 4);
}

/// Fills the rows that pad the last panel to mr with `pad`.
inline void padRows(uint8_t *packed, int64_t rows, int64_t kGroups,
                    int64_t mr, int64_t g, uint8_t pad) {
  for (int64_t i = rows; i < (rows + mr - 1) / mr * mr; ++i) {
    uint8_t *panel = packed + (i / mr) * kGroups * mr * 4;
    for (int64_t kk = 0; kk < kGroups * 4; kk += g)
      std::memset(panel + packedAOffset(kk, i % mr, mr, g), pad, g);
  }
}

/// 16 values of a row times the smoothing multipliers, if any (the same
/// float product as the portable code).
struct SmoothedRow {
  const float *smooth;
  __m512 operator()(const float *row, int64_t kk) const {
    __m512 x = _mm512_loadu_ps(row + kk);
    return smooth ? _mm512_mul_ps(x, _mm512_loadu_ps(smooth + kk)) : x;
  }
};

/// packQgemmARows' affine scheme for contiguous rows, 16 values at a
/// time: the same float operations (a division, the clamp to the range the
/// zero point leaves with NaN to its low end, rounding half to even, plus
/// the zero point), so the same bytes.
void avx512PackAffine(const float *a, int64_t rowStride, int64_t rows,
                      int64_t k, int64_t kGroups, int64_t mr, int64_t g,
                      const QgemmAQuant &quant, uint8_t *packed) {
  const int64_t kVector = k / 16 * 16;
  const __m512 scale = _mm512_set1_ps(quant.scale);
  const __m512 low = _mm512_set1_ps(static_cast<float>(-quant.zero));
  const __m512 high = _mm512_set1_ps(static_cast<float>(255 - quant.zero));
  const __m512i zero = _mm512_set1_epi32(quant.zero);
  const uint8_t pad = static_cast<uint8_t>(quant.zero);
  const SmoothedRow load{quant.smooth};
  const auto at = [&](const float *row, int64_t kk) {
    return quant.smooth ? row[kk] * quant.smooth[kk] : row[kk];
  };
  for (int64_t i = 0; i < rows; ++i) {
    const float *row = a + i * rowStride;
    uint8_t *panel = packed + (i / mr) * kGroups * mr * 4;
    const int64_t r = i % mr;
    for (int64_t kk = 0; kk < kVector; kk += 16) {
      __m512 q = _mm512_div_ps(load(row, kk), scale);
      // max returns its second operand when the first is NaN.
      q = _mm512_min_ps(_mm512_max_ps(q, low), high);
      store16(panel, kk, r, mr, g,
              _mm512_cvtepi32_epi8(
                  _mm512_add_epi32(_mm512_cvtps_epi32(q), zero)));
    }
    for (int64_t kk = kVector; kk < k; ++kk)
      panel[packedAOffset(kk, r, mr, g)] =
          quantizeAffineToU8(at(row, kk), quant.scale, quant.zero);
    for (int64_t kk = k; kk < kGroups * 4; ++kk)
      panel[packedAOffset(kk, r, mr, g)] = pad;
  }
  padRows(packed, rows, kGroups, mr, g, pad);
}

/// packQgemmARows for contiguous rows, 16 values at a time: the same
/// float operations (max |a|, the scalar scale and inverse, a * inverse
/// rounded half to even, clamped, NaN to 0), so the same bytes. Other
/// layouts and the k tail go through the portable code.
void avx512PackA(const float *a, int64_t rowStride, int64_t colStride,
                 int64_t rows, int64_t k, int64_t kGroups, int64_t mr,
                 int64_t g, const QgemmAQuant &quant, uint8_t *packed,
                 float *scales) {
  if (colStride != 1) {
    packQgemmARows(a, rowStride, colStride, rows, k, kGroups, mr, g, quant,
                   packed, scales);
    return;
  }
  if (!quant.perRow) {
    avx512PackAffine(a, rowStride, rows, k, kGroups, mr, g, quant, packed);
    return;
  }
  const int64_t kVector = k / 16 * 16;
  const __m512 low = _mm512_set1_ps(-127.0f), high = _mm512_set1_ps(127.0f);
  const __m512i offset = _mm512_set1_epi32(128);
  const SmoothedRow load{quant.smooth};
  const auto at = [&](const float *row, int64_t kk) {
    return quant.smooth ? row[kk] * quant.smooth[kk] : row[kk];
  };
  for (int64_t i = 0; i < rows; ++i) {
    const float *row = a + i * rowStride;
    __m512 vmax = _mm512_setzero_ps();
    for (int64_t kk = 0; kk < kVector; kk += 16)
      vmax = _mm512_max_ps(vmax, _mm512_abs_ps(load(row, kk)));
    float amax = _mm512_reduce_max_ps(vmax);
    for (int64_t kk = kVector; kk < k; ++kk)
      amax = std::max(amax, std::fabs(at(row, kk)));
    float inv;
    qgemmRowScale(amax, scales[i], inv);
    __m512 vinv = _mm512_set1_ps(inv);
    uint8_t *panel = packed + (i / mr) * kGroups * mr * 4;
    const int64_t r = i % mr;
    for (int64_t kk = 0; kk < kVector; kk += 16) {
      __m512 x = _mm512_mul_ps(load(row, kk), vinv);
      __mmask16 nan = _mm512_cmp_ps_mask(x, x, _CMP_UNORD_Q);
      __m512 q = _mm512_roundscale_ps(x, _MM_FROUND_TO_NEAREST_INT |
                                             _MM_FROUND_NO_EXC);
      q = _mm512_min_ps(_mm512_max_ps(q, low), high);
      q = _mm512_mask_mov_ps(q, nan, _mm512_setzero_ps());
      store16(panel, kk, r, mr, g,
              _mm512_cvtepi32_epi8(
                  _mm512_add_epi32(_mm512_cvtps_epi32(q), offset)));
    }
    for (int64_t kk = kVector; kk < k; ++kk)
      panel[packedAOffset(kk, r, mr, g)] = quantizeToU8(at(row, kk), inv);
    for (int64_t kk = k; kk < kGroups * 4; ++kk)
      panel[packedAOffset(kk, r, mr, g)] = 128;
  }
  padRows(packed, rows, kGroups, mr, g, 128);
}

//===----------------------------------------------------------------------===//
// AMX
//===----------------------------------------------------------------------===//

#define TSR_AMX __attribute__((target("amx-tile,amx-int8,avx512vnni")))

constexpr int64_t kAmxMr = 32; // two 16-row A tiles
constexpr int64_t kAmxNr = 32; // two 16-column B tiles (panels)
constexpr int64_t kAmxKBlock = 64;

/// A (16 * RowTiles) x (16 * ColTiles) micro-tile (amxProduct): per k
/// block of 64, each tdpbusd multiplies 16 rows by 16 columns over 64 k
/// values (u8 x s8, exact in int32); A's panel is packed in 64-byte k
/// groups (packedAOffset), the packed B panels load as they are. The int32
/// tiles go through memory into the VNNI kernel's float epilogue.
template <int RowTiles, int ColTiles>
TSR_AMX void amxTile(const QgemmTile &tile) {
  alignas(64) int32_t sums[kAmxMr][kAmxNr];
  amxProduct<RowTiles, ColTiles, AmxDotInt8>(
      tile.a, reinterpret_cast<const uint8_t *>(tile.b), tile.bPanelStride,
      tile.kGroups / (kAmxKBlock / 4), sums);
  Epilogue512<ColTiles> epilogue(tile);
  for (int64_t i = 0; i < tile.rows; ++i)
    for (int p = 0; p < ColTiles; ++p)
      epilogue.store(tile, i, p,
                     _mm512_load_si512(&sums[i][p * TSR_QGEMM_PANEL_WIDTH]));
  Epilogue512<ColTiles>::finish(tile);
}

void amxTileAny(const QgemmTile &tile) {
  bool twoRows = tile.rows > 16, twoCols = tile.cols > 16;
  if (twoRows)
    twoCols ? amxTile<2, 2>(tile) : amxTile<2, 1>(tile);
  else
    twoCols ? amxTile<1, 2>(tile) : amxTile<1, 1>(tile);
}

} // namespace

const QgemmKernelSet &tessera::runtime::getAmxQgemmKernels() {
  static const QgemmKernelSet kernels = [] {
    QgemmKernelSet set = {"amx", kAmxMr, kAmxNr, amxTileAny, avx512PackA,
                          avx512MinMax};
    set.groupBytes = kAmxKBlock;
    // The packed A block must hold kAmxMr rows of K bytes.
    set.maxK = static_cast<int64_t>(QgemmWorkspace::kPackedABytes) / kAmxMr;
    // Measured on one Emerald Rapids core (tessera-qgemm-bench, N 3072,
    // K 768): AMX 85/347/618 GOP/s at M 1/4/8, VNNI 104/318/573.
    set.minRows = 4;
    set.fallback = &getAvx512VnniQgemmKernels();
    set.begin = amxLoadTileConfig;
    set.end = amxReleaseTiles;
    return set;
  }();
  return kernels;
}

const QgemmKernelSet &tessera::runtime::getAvx512VnniQgemmKernels() {
  static const QgemmKernelSet kernels = {"avx512-vnni", kMr, kNr, vnniTile,
                                         avx512PackA, avx512MinMax};
  return kernels;
}
