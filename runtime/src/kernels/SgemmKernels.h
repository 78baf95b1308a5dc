//===- SgemmKernels.h - Micro-kernels behind the SGEMM driver ---*- C++ -*-===//
//
// Part of the Tessera runtime.
//
//===----------------------------------------------------------------------===//
//
// The interface between the ISA-independent SGEMM driver (Sgemm.cpp: blocking,
// packing, threading) and the per-ISA micro-kernels (SgemmGeneric.cpp,
// SgemmAvx2.cpp, SgemmAvx512.cpp). Each ISA file is compiled with its own
// -m flags; to keep code of one ISA from leaking into another through the
// linker's choice among duplicate inline functions, the ISA files use only
// intrinsics and their own internal-linkage code, and talk to the rest of the
// runtime through the plain function pointers below.
//
//===----------------------------------------------------------------------===//
#ifndef TESSERA_RUNTIME_KERNELS_SGEMMKERNELS_H
#define TESSERA_RUNTIME_KERNELS_SGEMMKERNELS_H

#include <cstdint>

namespace tessera::runtime {

/// One micro-tile: C[0:rows, 0:cols] (+)= Apanel · Bpanels over kc steps.
struct SgemmTile {
  /// Packed A: kc groups of `mr` floats (row i of step k at a[k * mr + i]).
  const float *a;
  /// Packed B: ceil(cols / 16) panels of 16 floats per step, `bPanelStride`
  /// floats apart (column j of step k at b[(j / 16) * bPanelStride + k * 16
  /// + j % 16]); columns past `cols` are readable (zero padding).
  const float *b;
  int64_t bPanelStride;
  float *c;
  int64_t ldc;
  int64_t kc;
  int64_t rows; // 1..mr
  int64_t cols; // 1..nr
  /// Bias of C's first column, or null; used only when `finish` is set.
  const float *bias;
  int64_t epilogue; // TSR_EPILOGUE_*, used only when `finish` is set.
  /// Add C's current value (a later k block) instead of overwriting it.
  bool accumulate;
  /// Last k block: add the bias and apply the epilogue before storing.
  bool finish;
};

/// What one ISA provides to the driver.
struct SgemmKernelSet {
  const char *name;
  int64_t mr; // Rows of a micro-tile (and of a packed A panel).
  int64_t nr; // Columns of a micro-tile, a multiple of 16.
  void (*tile)(const SgemmTile &tile);
  /// Packs A[0:rows, 0:kc] (element (i, k) at a[i * rowStride + k *
  /// colStride]) into ceil(rows / mr) panels of kc * mr floats.
  void (*packA)(const float *a, int64_t rowStride, int64_t colStride,
                int64_t rows, int64_t kc, float *out);
  /// tsr_pack_b_panels (tessera/pack.h), compiled for this ISA.
  void (*packB)(const float *b, int64_t k, int64_t n, int64_t rowStride,
                int64_t colStride, float *out);
};

const SgemmKernelSet &getGenericSgemmKernels();
#if defined(TESSERA_HAVE_X86_SGEMM_KERNELS)
const SgemmKernelSet &getAvx2SgemmKernels();
const SgemmKernelSet &getAvx512SgemmKernels();
#endif

/// Scalar epilogue (libm accuracy): the generic kernel's, and the empty
/// reduction's (C = epilogue(bias)).
float applySgemmEpilogue(float x, int64_t epilogue);
/// Portable A packing for any mr and strides.
void packSgemmAPanels(const float *a, int64_t rowStride, int64_t colStride,
                      int64_t rows, int64_t kc, int64_t mr, float *out);

} // namespace tessera::runtime

#endif // TESSERA_RUNTIME_KERNELS_SGEMMKERNELS_H
