//===- QgemmKernels.h - Micro-kernels behind the int8 GEMM ------*- C++ -*-===//
//
// Part of the Tessera runtime.
//
//===----------------------------------------------------------------------===//
//
// The interface between the int8 GEMM driver (Qgemm.cpp: quantizing and
// packing A, blocking, threading) and the per-ISA micro-kernels
// (QgemmGeneric.cpp, QgemmAvx2.cpp, QgemmAvx512.cpp), on the same terms as
// SgemmKernels.h: the ISA files talk to the rest of the runtime only through
// the plain function pointers below.
//
//===----------------------------------------------------------------------===//
#ifndef TESSERA_RUNTIME_KERNELS_QGEMMKERNELS_H
#define TESSERA_RUNTIME_KERNELS_QGEMMKERNELS_H

#include "tessera/abi.h"

#include <cstdint>

namespace tessera::runtime {

/// One micro-tile over the whole reduction:
///   C[i, j] = epilogue(aScale[i] * bScale[j] * (acc[i, j] - aZero * bSums[j])
///                      + bias[j]),  acc[i, j] = sum_g dot4(A[i, g], B[g, j])
/// with A unsigned (the quantized activations with their zero point aZero:
/// qa + 128 for the per-row scheme) and B signed.
struct QgemmTile {
  /// Packed A: kGroups groups of `mr` rows x 4 bytes (row i of group g at
  /// a[(g * mr + i) * 4]); rows past `rows` hold 128 (a zero).
  const uint8_t *a;
  /// Packed B (tessera/abi.h): the first panel of the tile's columns;
  /// panels are bPanelStride bytes apart, columns past `cols` readable.
  const int8_t *b;
  int64_t bPanelStride;
  int64_t kGroups;
  int64_t rows; // 1..mr
  int64_t cols; // 1..nr
  float *c;
  int64_t ldc;
  const float *aScale;  // rows entries
  const float *bScale;  // from the tile's first column
  const int32_t *bSums; // from the tile's first column
  const float *bias;    // from the tile's first column, or null
  int64_t epilogue;     // TSR_EPILOGUE_*
  int32_t aZero;        // the zero point of A's bytes
};

/// How A becomes bytes (tessera/abi.h, TSR_QGEMM_A_*): per row, or with one
/// affine scale and zero point for the whole call.
struct QgemmAQuant {
  bool perRow = true;
  float scale = 1.0f; // affine only
  int32_t zero = 128; // the bytes' zero point (128 per row)
  /// Per-k multipliers applied to A before it is quantized (SmoothQuant's
  /// 1 / s[k]), or null.
  const float *smooth = nullptr;
};

/// Quantizes rows [0, rows) of A (row i at a + i * rowStride, element k at
/// + k * colStride) as `quant` says (tessera/abi.h: per row, scale max |a|
/// / 127, round half to even, +128; or affine) into panels of `mr` rows by
/// `kGroups` 4-byte groups (QgemmTile::a), padding with the zero point;
/// per row it also stores the row scales (the affine scheme's single scale
/// the driver sets).
/// `groupBytes` consecutive k values of a row are adjacent: 4 for the
/// dot-product instructions (QgemmTile::a), 64 for AMX tiles (a panel's k
/// block of 64 is then mr rows of 64 bytes: packedAOffset).
using QgemmPackAFn = void (*)(const float *a, int64_t rowStride,
                              int64_t colStride, int64_t rows, int64_t k,
                              int64_t kGroups, int64_t mr, int64_t groupBytes,
                              const QgemmAQuant &quant, uint8_t *packed,
                              float *scales);

/// Where A[r, kk] of a panel of mr rows goes, with k groups of groupBytes.
inline int64_t packedAOffset(int64_t kk, int64_t r, int64_t mr,
                             int64_t groupBytes) {
  return ((kk / groupBytes) * mr + r) * groupBytes + kk % groupBytes;
}

/// Folds the n contiguous floats at `x` into [lo, hi] (NaN skipped), for
/// DynamicQuantizeLinear's range (TSR_QGEMM_A_DYNAMIC).
using QgemmMinMaxFn = void (*)(const float *x, int64_t n, float &lo,
                               float &hi);

/// What one ISA provides to the driver.
struct QgemmKernelSet {
  const char *name;
  int64_t mr; // Rows of a micro-tile (and of a packed A panel).
  int64_t nr; // Columns of a micro-tile, a multiple of 16.
  void (*tile)(const QgemmTile &tile);
  QgemmPackAFn packA;
  QgemmMinMaxFn minMax;
  /// The packed A's k group (QgemmPackAFn); K must be a multiple of it.
  int64_t groupBytes = 4;
  /// The largest K the set takes (its packed A block must hold mr rows).
  int64_t maxK = TSR_QGEMM_MAX_K;
  /// Fewer rows than this run faster on the fallback (AMX: a 16-row tile
  /// for one token wastes most of it).
  int64_t minRows = 0;
  /// What runs the calls the set cannot (K not a multiple of groupBytes or
  /// over maxK) or should not (M under minRows); null when it takes them
  /// all.
  const QgemmKernelSet *fallback = nullptr;
  /// Called on a thread before and after each block of its tiles (AMX:
  /// load the tile configuration, release the tiles); may be null.
  void (*begin)() = nullptr;
  void (*end)() = nullptr;
};

/// The portable QgemmPackAFn: the definition the vector ones must match
/// byte for byte.
void packQgemmARows(const float *a, int64_t rowStride, int64_t colStride,
                    int64_t rows, int64_t k, int64_t kGroups, int64_t mr,
                    int64_t groupBytes, const QgemmAQuant &quant,
                    uint8_t *packed, float *scales);
/// The portable QgemmMinMaxFn.
void qgemmMinMax(const float *x, int64_t n, float &lo, float &hi);
/// The float part of a tile from its int32 sums (sums[i * sumsStride + j] =
/// sum_k ua * qb): scales, bias and the scalar epilogue, in the order the
/// vector kernels use ((aScale * bScale) * (sum - aZero * bSum) + bias), so
/// that they match.
void finishQgemmTile(const QgemmTile &tile, const int32_t *sums,
                     int64_t sumsStride);
/// A row's scale and the inverse the quantization multiplies by (0 for a
/// row of zeros, or of values too small to scale).
void qgemmRowScale(float amax, float &scale, float &inverse);

const QgemmKernelSet &getGenericQgemmKernels();
#if defined(TESSERA_HAVE_X86_SGEMM_KERNELS)
const QgemmKernelSet &getAvx2QgemmKernels();
const QgemmKernelSet &getAvx512VnniQgemmKernels();
/// AMX int8 tiles (K a multiple of 64; the VNNI set otherwise).
const QgemmKernelSet &getAmxQgemmKernels();
#endif

} // namespace tessera::runtime

#endif // TESSERA_RUNTIME_KERNELS_QGEMMKERNELS_H
