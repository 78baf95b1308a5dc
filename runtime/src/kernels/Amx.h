//===- Amx.h - What the AMX kernels share ------------------------*- C++ -*-===//
//
// Part of the Tessera runtime.
//
//===----------------------------------------------------------------------===//
//
// The int8 and bf16 AMX kernels (QgemmAvx512.cpp, BgemmAvx512.cpp) use one
// tile shape, every tile 16 rows of 64 bytes, and the same permission
// from the OS; this is where both live.
//
//===----------------------------------------------------------------------===//
#ifndef TESSERA_RUNTIME_KERNELS_AMX_H
#define TESSERA_RUNTIME_KERNELS_AMX_H

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

} // namespace tessera::runtime

#endif // TESSERA_RUNTIME_KERNELS_AMX_H
