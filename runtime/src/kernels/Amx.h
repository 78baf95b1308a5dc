//===- Amx.h - What the AMX kernels share ------------------------*- C++ -*-===//
//
// Part of the Tessera runtime.
//
//===----------------------------------------------------------------------===//
//
// The int8 and bf16 AMX kernels (QgemmAvx512.cpp, BgemmAvx512.cpp) use one
// tile shape, every tile 16 rows of 64 bytes, one loop of tile products
// and the same permission from the OS; this is where they live. Include
// only from files built with the AVX-512 flags (runtime/CMakeLists.txt).
//
//===----------------------------------------------------------------------===//
#ifndef TESSERA_RUNTIME_KERNELS_AMX_H
#define TESSERA_RUNTIME_KERNELS_AMX_H

#include <cstdint>
#include <immintrin.h>

namespace tessera::runtime {

enum class AmxFeature { Int8, Bf16 };

/// Whether the CPU has AMX-TILE and `feature`, and the OS lets this process
/// use the tile registers (asked once, with arch_prctl).
bool isAmxUsable(AmxFeature feature);

/// Loads palette 1 with all 8 tiles 16 rows x 64 bytes on this thread.
void amxLoadTileConfig();
/// Releases the tiles, so that the thread carries no tile state into other
/// code.
void amxReleaseTiles();

/// The tile instructions of the two kernels, for amxProduct.
struct AmxDotInt8 { // u8 x s8 -> s32
  template <int C, int A, int B>
  __attribute__((target("amx-tile,amx-int8"))) static void run() {
    _tile_dpbusd(C, A, B);
  }
};
struct AmxDotBf16 { // bf16 pairs -> f32
  template <int C, int A, int B>
  __attribute__((target("amx-tile,amx-bf16"))) static void run() {
    _tile_dpbf16ps(C, A, B);
  }
};

/// The product of a (16 * RowTiles) x (16 * ColTiles) micro-tile into
/// `sums` (32 x 32 four-byte elements, row stride 32; only the tiles' parts
/// written): C tiles 0-3, A tiles 4-5, B tiles 6-7 (amxLoadTileConfig's
/// shape). A k block of the packed A panel is 32 rows of 64 bytes, at `a`
/// + block * 2048; of a packed B panel 16 rows of 64 bytes, at `b` + block
/// * 1024, the second panel bPanelBytes further: both load as tiles with a
/// 64-byte stride. Dot::run<C, A, B>() multiplies (tdpbusd, tdpbf16ps).
template <int RowTiles, int ColTiles, typename Dot>
__attribute__((target("amx-tile,amx-int8,amx-bf16"))) inline void
amxProduct(const uint8_t *a, const uint8_t *b, int64_t bPanelBytes,
           int64_t kBlocks, void *sums) {
  _tile_zero(0);
  _tile_zero(1);
  _tile_zero(2);
  _tile_zero(3);
  for (int64_t block = 0; block < kBlocks; ++block) {
    const uint8_t *ak = a + block * 32 * 64;
    const uint8_t *bk = b + block * 16 * 64;
    _tile_loadd(4, ak, 64);
    _tile_loadd(6, bk, 64);
    Dot::template run<0, 4, 6>();
    if constexpr (ColTiles == 2) {
      _tile_loadd(7, bk + bPanelBytes, 64);
      Dot::template run<1, 4, 7>();
    }
    if constexpr (RowTiles == 2) {
      _tile_loadd(5, ak + 16 * 64, 64);
      Dot::template run<2, 5, 6>();
      if constexpr (ColTiles == 2)
        Dot::template run<3, 5, 7>();
    }
  }
  auto *out = static_cast<uint8_t *>(sums);
  constexpr int64_t ld = 32 * 4;
  _tile_stored(0, out, ld);
  if constexpr (ColTiles == 2)
    _tile_stored(1, out + 16 * 4, ld);
  if constexpr (RowTiles == 2) {
    _tile_stored(2, out + 16 * ld, ld);
    if constexpr (ColTiles == 2)
      _tile_stored(3, out + 16 * ld + 16 * 4, ld);
  }
}

} // namespace tessera::runtime

#endif // TESSERA_RUNTIME_KERNELS_AMX_H
