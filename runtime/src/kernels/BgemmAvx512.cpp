//===- BgemmAvx512.cpp - AVX-512 BF16 and AMX-BF16 GEMM micro-kernels -----===//
//
// Part of the Tessera runtime.
//
//===----------------------------------------------------------------------===//
//
// AVX-512 BF16: an 8 x 48 tile of f32 accumulators (24 zmm), as the int8
// VNNI kernel's: per pair of k values, three 64-byte B loads (16 columns x
// 2 k), eight 4-byte A broadcasts (a row's pair) and 24 vdpbf16ps, each
// adding the two exact products of 16 columns to their f32 sums.
//
// AVX-512 without BF16 (or where vdpbf16ps is slow): the same tile with
// the weights widened to f32 in registers and f32 FMAs.
//
// AMX-BF16: a 32 x 32 tile of four 16 x 16 f32 tiles; per 32 k values, two
// A tiles (16 rows x 32 bf16 of the packed A, 64-byte rows), two B tiles
// (16 pairs x 16 columns of a packed B panel, which is the tile layout as
// it stands) and four tdpbf16ps. The sums go through memory into the same
// epilogue as the AVX-512 tile.
//
// Built with the flags of the other AVX-512 kernels; the kernel functions
// alone enable BF16 and AMX, and the driver picks them only on CPUs that
// have them (isBgemmIsaSupported).
//
//===----------------------------------------------------------------------===//
#include "kernels/Amx.h"
#include "kernels/BgemmKernels.h"
#include "kernels/Qgemm.h"
#include "kernels/VectorMath512.h"

#include "tessera/abi.h"
#include "tessera/pack.h"

#include <cstring>
#include <immintrin.h>

using namespace tessera::runtime;

namespace {

constexpr int64_t kMr = 8;
constexpr int kMaxPanels = 3;
constexpr int64_t kNr = kMaxPanels * TSR_BGEMM_PANEL_WIDTH;

#define TSR_BF16 __attribute__((target("avx512bf16")))

/// Bias and epilogue of a tile with `Panels` panels of 16 columns, with
/// masked stores at the right edge.
template <int Panels> struct Epilogue512 {
  __m512 bias[Panels];
  __mmask16 lastMask;

  explicit Epilogue512(const BgemmTile &tile) {
    int64_t lastCols = tile.cols - (Panels - 1) * TSR_BGEMM_PANEL_WIDTH;
    lastMask = lastCols >= TSR_BGEMM_PANEL_WIDTH
                   ? static_cast<__mmask16>(0xffff)
                   : static_cast<__mmask16>((1u << lastCols) - 1);
    for (int p = 0; p < Panels; ++p) {
      __mmask16 mask = p == Panels - 1 ? lastMask : 0xffff;
      bias[p] = tile.bias ? _mm512_maskz_loadu_ps(
                                mask, tile.bias + p * TSR_BGEMM_PANEL_WIDTH)
                          : _mm512_setzero_ps();
    }
  }

  /// Stores acc + bias; finish() applies the epilogue to the stored tile.
  void store(const BgemmTile &tile, int64_t i, int p, __m512 acc) const {
    __mmask16 mask = p == Panels - 1 ? lastMask : 0xffff;
    _mm512_mask_storeu_ps(tile.c + i * tile.ldc + p * TSR_BGEMM_PANEL_WIDTH,
                          mask, _mm512_add_ps(acc, bias[p]));
  }
  static void finish(const BgemmTile &tile) {
    applyEpilogueInPlace512(tile.c, tile.ldc, tile.rows, tile.cols,
                            tile.epilogue);
  }
};

template <int Rows, int Panels> TSR_BF16 void bf16Tile(const BgemmTile &tile) {
  __m512 acc[Rows][Panels];
  for (int i = 0; i < Rows; ++i)
    for (int p = 0; p < Panels; ++p)
      acc[i][p] = _mm512_setzero_ps();

  const uint16_t *a = static_cast<const uint16_t *>(tile.a);
  const uint16_t *b = tile.b;
  const int64_t panelStride = tile.bPanelStride;
  for (int64_t g = tile.kPairs; g > 0; --g) {
    __m512bh bPair[Panels];
    for (int p = 0; p < Panels; ++p)
      bPair[p] = (__m512bh)_mm512_loadu_si512(b + p * panelStride);
    for (int i = 0; i < Rows; ++i) {
      int32_t pair;
      std::memcpy(&pair, a + i * 2, sizeof(pair));
      __m512bh aPair = (__m512bh)_mm512_set1_epi32(pair);
      for (int p = 0; p < Panels; ++p)
        acc[i][p] = _mm512_dpbf16_ps(acc[i][p], aPair, bPair[p]);
    }
    a += kMr * 2;
    b += TSR_BGEMM_PANEL_WIDTH * 2;
  }

  Epilogue512<Panels> epilogue(tile);
  for (int i = 0; i < Rows; ++i)
    for (int p = 0; p < Panels; ++p)
      epilogue.store(tile, i, p, acc[i][p]);
  Epilogue512<Panels>::finish(tile);
}

using TileFn = void (*)(const BgemmTile &);

template <int Rows> struct TileRow {
  static constexpr TileFn fns[kMaxPanels] = {
      bf16Tile<Rows, 1>, bf16Tile<Rows, 2>, bf16Tile<Rows, 3>};
};

constexpr const TileFn *kTiles[kMr] = {
    TileRow<1>::fns, TileRow<2>::fns, TileRow<3>::fns, TileRow<4>::fns,
    TileRow<5>::fns, TileRow<6>::fns, TileRow<7>::fns, TileRow<8>::fns};

void bf16Tile(const BgemmTile &tile) {
  kTiles[tile.rows - 1][(tile.cols - 1) / TSR_BGEMM_PANEL_WIDTH](tile);
}

/// packBgemmABf16 for contiguous rows, 16 values at a time with
/// vcvtneps2bf16 (round to nearest even, as the portable code; it may
/// flush denormals, which tessera/abi.h allows).
template <int64_t Group>
TSR_BF16 void avx512PackA(const float *a, int64_t rowStride,
                          int64_t colStride, int64_t rows, int64_t k,
                          int64_t kPadded, int64_t mr, void *packed) {
  if (colStride != 1) {
    packBgemmABf16(a, rowStride, colStride, rows, k, kPadded, mr, Group,
                   packed);
    return;
  }
  uint16_t *out = static_cast<uint16_t *>(packed);
  const int64_t kVector = k / 16 * 16;
  const int64_t paddedRows = (rows + mr - 1) / mr * mr;
  for (int64_t i = 0; i < paddedRows; ++i) {
    uint16_t *panel = out + (i / mr) * mr * kPadded;
    const int64_t r = i % mr;
    auto at = [&](int64_t kk) {
      return ((kk / Group) * mr + r) * Group + kk % Group;
    };
    if (i >= rows) {
      for (int64_t kk = 0; kk < kPadded; kk += Group)
        std::memset(panel + at(kk), 0, Group * sizeof(uint16_t));
      continue;
    }
    const float *row = a + i * rowStride;
    for (int64_t kk = 0; kk < kVector; kk += 16) {
      __m256i v = (__m256i)_mm512_cvtneps_pbh(_mm512_loadu_ps(row + kk));
      if constexpr (Group % 16 == 0) { // the 16 values are adjacent
        _mm256_storeu_si256(reinterpret_cast<__m256i *>(panel + at(kk)), v);
      } else {
        alignas(32) uint32_t pairs[8];
        _mm256_store_si256(reinterpret_cast<__m256i *>(pairs), v);
        for (int j = 0; j < 8; ++j)
          std::memcpy(panel + at(kk + 2 * j), &pairs[j], 4);
      }
    }
    for (int64_t kk = kVector; kk < kPadded; ++kk)
      panel[at(kk)] = kk < k ? tsr_f32_to_bf16(row[kk]) : 0;
  }
}

//===----------------------------------------------------------------------===//
// AVX-512 without the bf16 instructions
//===----------------------------------------------------------------------===//

/// The same 8 x 48 tile with the weights widened to f32 in registers, as
/// the AVX2 kernel does (the even k values shifted into the high half, the
/// odd ones with the low half cleared), and f32 FMAs over A packed as f32:
/// 48 FMAs and 6 integer ops per pair of k, for CPUs where vdpbf16ps runs
/// at half the FMA rate or not at all.
template <int Rows, int Panels> void widenTile(const BgemmTile &tile) {
  __m512 acc[Rows][Panels];
  for (int i = 0; i < Rows; ++i)
    for (int p = 0; p < Panels; ++p)
      acc[i][p] = _mm512_setzero_ps();
  const float *a = static_cast<const float *>(tile.a);
  const uint16_t *b = tile.b;
  const int64_t panelStride = tile.bPanelStride;
  const __m512i high = _mm512_set1_epi32(static_cast<int>(0xffff0000u));
  for (int64_t g = tile.kPairs; g > 0; --g) {
    __m512i raw[Panels];
    for (int p = 0; p < Panels; ++p)
      raw[p] = _mm512_loadu_si512(b + p * panelStride);
    __m512 w[Panels];
    for (int p = 0; p < Panels; ++p)
      w[p] = _mm512_castsi512_ps(_mm512_slli_epi32(raw[p], 16));
    for (int i = 0; i < Rows; ++i) {
      __m512 x = _mm512_set1_ps(a[i]);
      for (int p = 0; p < Panels; ++p)
        acc[i][p] = _mm512_fmadd_ps(x, w[p], acc[i][p]);
    }
    for (int p = 0; p < Panels; ++p)
      w[p] = _mm512_castsi512_ps(_mm512_and_si512(raw[p], high));
    for (int i = 0; i < Rows; ++i) {
      __m512 x = _mm512_set1_ps(a[kMr + i]);
      for (int p = 0; p < Panels; ++p)
        acc[i][p] = _mm512_fmadd_ps(x, w[p], acc[i][p]);
    }
    a += 2 * kMr;
    b += TSR_BGEMM_PANEL_WIDTH * 2;
  }

  Epilogue512<Panels> epilogue(tile);
  for (int i = 0; i < Rows; ++i)
    for (int p = 0; p < Panels; ++p)
      epilogue.store(tile, i, p, acc[i][p]);
  Epilogue512<Panels>::finish(tile);
}

template <int Rows> struct WidenRow {
  static constexpr TileFn fns[kMaxPanels] = {
      widenTile<Rows, 1>, widenTile<Rows, 2>, widenTile<Rows, 3>};
};

constexpr const TileFn *kWidenTiles[kMr] = {
    WidenRow<1>::fns, WidenRow<2>::fns, WidenRow<3>::fns, WidenRow<4>::fns,
    WidenRow<5>::fns, WidenRow<6>::fns, WidenRow<7>::fns, WidenRow<8>::fns};

void widenTile(const BgemmTile &tile) {
  kWidenTiles[tile.rows - 1][(tile.cols - 1) / TSR_BGEMM_PANEL_WIDTH](tile);
}

//===----------------------------------------------------------------------===//
// AMX
//===----------------------------------------------------------------------===//

#define TSR_AMX __attribute__((target("amx-tile,amx-bf16,avx512bf16")))

constexpr int64_t kAmxMr = 32; // two 16-row A tiles
constexpr int64_t kAmxNr = 32; // two 16-column B tiles (panels)
constexpr int64_t kAmxKBlock = 32; // k values per tile row (64 bytes)

/// A (16 * RowTiles) x (16 * ColTiles) micro-tile (amxProduct): per k
/// block of 32, each tdpbf16ps adds 16 rows x 16 columns of bf16 pair
/// products to f32 sums.
template <int RowTiles, int ColTiles>
TSR_AMX void amxTile(const BgemmTile &tile) {
  alignas(64) float sums[kAmxMr][kAmxNr];
  amxProduct<RowTiles, ColTiles, AmxDotBf16>(
      static_cast<const uint8_t *>(tile.a),
      reinterpret_cast<const uint8_t *>(tile.b),
      tile.bPanelStride * static_cast<int64_t>(sizeof(uint16_t)),
      tile.kPairs / (kAmxKBlock / 2), sums);
  Epilogue512<ColTiles> epilogue(tile);
  for (int64_t i = 0; i < tile.rows; ++i)
    for (int p = 0; p < ColTiles; ++p)
      epilogue.store(tile, i, p,
                     _mm512_load_ps(&sums[i][p * TSR_BGEMM_PANEL_WIDTH]));
  Epilogue512<ColTiles>::finish(tile);
}

void amxTileAny(const BgemmTile &tile) {
  bool twoRows = tile.rows > 16, twoCols = tile.cols > 16;
  if (twoRows)
    twoCols ? amxTile<2, 2>(tile) : amxTile<2, 1>(tile);
  else
    twoCols ? amxTile<1, 2>(tile) : amxTile<1, 1>(tile);
}

} // namespace

const BgemmKernelSet &tessera::runtime::getAvx512BgemmKernels() {
  // The AVX2 set's f32 packer: every AVX-512 CPU runs it, and packing is
  // a small share of the call.
  static const BgemmKernelSet kernels = {"avx512",        kMr,
                                         kNr,             widenTile,
                                         packBgemmAF32Avx2, 1,
                                         4};
  return kernels;
}

const BgemmKernelSet &tessera::runtime::getAvx512Bf16BgemmKernels() {
  static const BgemmKernelSet kernels = {"avx512-bf16", kMr,
                                         kNr,           bf16Tile,
                                         avx512PackA<2>, 2,
                                         2};
  return kernels;
}

const BgemmKernelSet &tessera::runtime::getAmxBgemmKernels() {
  static const BgemmKernelSet kernels = [] {
    BgemmKernelSet set = {"amx",          kAmxMr, kAmxNr, amxTileAny,
                          avx512PackA<kAmxKBlock>, kAmxKBlock, 2};
    // The packed A block must hold kAmxMr rows of K bf16 values.
    set.maxK = static_cast<int64_t>(QgemmWorkspace::kPackedABytes) /
               (kAmxMr * 2);
    set.kMultiple = kAmxKBlock;
    set.minRows = 4;
    // The widening set, not vdpbf16ps: on the Intel cores with AMX
    // measured, vdpbf16ps runs at half the FMA rate.
    set.fallback = &getAvx512BgemmKernels();
    set.begin = amxLoadTileConfig;
    set.end = amxReleaseTiles;
    return set;
  }();
  return kernels;
}
