//===- BgemmKernels.h - Micro-kernels behind the bf16 GEMM ------*- C++ -*-===//
//
// Part of the Tessera runtime.
//
//===----------------------------------------------------------------------===//
//
// The interface between the bf16 GEMM driver (Bgemm.cpp: rounding and
// packing A, blocking, threading) and the per-ISA micro-kernels
// (Bgemm.cpp's portable one, BgemmAvx2.cpp, BgemmAvx512.cpp), on the same
// terms as QgemmKernels.h.
//
// A packed A panel holds `mr` rows of A rounded to bf16, K padded with
// zeros to kPadded (a multiple of 2 and of the set's aGroup). Element
// (r, kk) is at ((kk / g) * mr + r) * g + kk % g, with g = aGroup: the f32
// sets (aElementBytes 4) keep the rounded values as f32 with g = 1, what
// they multiply; the bf16 sets (aElementBytes 2) keep the bf16 bits, in
// pairs (g = 2) for vdpbf16ps or in rows of 32 (g = 32, 64 bytes) for the
// AMX tiles.
//
//===----------------------------------------------------------------------===//
#ifndef TESSERA_RUNTIME_KERNELS_BGEMMKERNELS_H
#define TESSERA_RUNTIME_KERNELS_BGEMMKERNELS_H

#include "tessera/abi.h"

#include <cstdint>

namespace tessera::runtime {

/// One micro-tile over the whole reduction:
///   C[i, j] = epilogue(sum_k A[i, k] * B[k, j] + bias[j]).
struct BgemmTile {
  const void *a;      // the packed A panel (rows past `rows` are zero)
  const uint16_t *b;  // packed B (tessera/abi.h): the tile's first panel
  int64_t bPanelStride; // elements between panels
  int64_t kPairs;     // kPadded / 2: the pairs of the reduction
  int64_t rows;       // 1..mr
  int64_t cols;       // 1..nr
  float *c;
  int64_t ldc;
  const float *bias;  // from the tile's first column, or null
  int64_t epilogue;   // TSR_EPILOGUE_*
};

/// Rounds rows [0, rows) of A (row i at a + i * rowStride, element k at
/// + k * colStride) to bf16 and packs them into panels of `mr` rows
/// (the layout above, with the set's aGroup), zero past k up to kPadded
/// and past `rows` up to a multiple of mr.
using BgemmPackAFn = void (*)(const float *a, int64_t rowStride,
                              int64_t colStride, int64_t rows, int64_t k,
                              int64_t kPadded, int64_t mr, void *packed);

/// What one ISA provides to the driver.
struct BgemmKernelSet {
  const char *name;
  int64_t mr; // Rows of a micro-tile (and of a packed A panel).
  int64_t nr; // Columns of a micro-tile, a multiple of 16.
  void (*tile)(const BgemmTile &tile);
  BgemmPackAFn packA;
  int64_t aGroup;        // see above: 1, 2 or 32
  int64_t aElementBytes; // 4 (f32) or 2 (bf16)
  /// The largest K the set takes (a packed A block must hold mr rows).
  int64_t maxK = TSR_BGEMM_MAX_K;
  /// K must be a multiple of this (the AMX tiles read 32 k values per row
  /// of B); 2 takes every K.
  int64_t kMultiple = 2;
  /// Fewer rows than this run faster on the fallback.
  int64_t minRows = 0;
  /// What runs the calls the set cannot (K) or should not (M) take; null
  /// when it takes them all.
  const BgemmKernelSet *fallback = nullptr;
  /// Called on a thread before and after each block of its tiles (AMX:
  /// load the tile configuration, release the tiles); may be null.
  void (*begin)() = nullptr;
  void (*end)() = nullptr;
};

/// x rounded to bf16 (tsr_f32_to_bf16), as an f32.
float roundToBf16(float x);
/// The portable packers: f32 values (aGroup 1), and bf16 bits in groups of
/// `group` (2 or 32); the vector ones must match them.
void packBgemmAF32(const float *a, int64_t rowStride, int64_t colStride,
                   int64_t rows, int64_t k, int64_t kPadded, int64_t mr,
                   void *packed);
void packBgemmABf16(const float *a, int64_t rowStride, int64_t colStride,
                    int64_t rows, int64_t k, int64_t kPadded, int64_t mr,
                    int64_t group, void *packed);

const BgemmKernelSet &getGenericBgemmKernels();
#if defined(TESSERA_HAVE_X86_SGEMM_KERNELS)
const BgemmKernelSet &getAvx2BgemmKernels();
/// packBgemmAF32 with AVX2 (contiguous rows 8 values at a time), shared by
/// the AVX2 and the widening AVX-512 sets.
void packBgemmAF32Avx2(const float *a, int64_t rowStride, int64_t colStride,
                       int64_t rows, int64_t k, int64_t kPadded, int64_t mr,
                       void *packed);
const BgemmKernelSet &getAvx512BgemmKernels();
const BgemmKernelSet &getAvx512Bf16BgemmKernels();
/// AMX-BF16 tiles (K a multiple of 32, M >= 4; the AVX-512 set otherwise).
const BgemmKernelSet &getAmxBgemmKernels();
#endif

} // namespace tessera::runtime

#endif // TESSERA_RUNTIME_KERNELS_BGEMMKERNELS_H
