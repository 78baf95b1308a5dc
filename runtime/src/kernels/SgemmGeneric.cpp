//===- SgemmGeneric.cpp - Portable SGEMM micro-kernel ---------------------===//
//
// Part of the Tessera runtime.
//
//===----------------------------------------------------------------------===//
//
// The micro-kernel for CPUs without AVX2 (and for other architectures), plus
// the scalar pieces every ISA shares: A packing for arbitrary strides and the
// libm-accurate epilogues. Plain loops over a 4 x 16 tile that the compiler
// vectorizes for the baseline ISA.
//
//===----------------------------------------------------------------------===//
#include "kernels/SgemmKernels.h"

#include "tessera/abi.h"
#include "tessera/pack.h"

#include <algorithm>
#include <cmath>

using namespace tessera::runtime;

namespace {

constexpr int64_t kGenericMr = 4;
constexpr int64_t kGenericNr = TSR_SGEMM_PANEL_WIDTH;

void genericTile(const SgemmTile &tile) {
  float acc[kGenericMr][kGenericNr] = {};
  const float *a = tile.a;
  const float *b = tile.b;
  for (int64_t k = 0; k < tile.kc; ++k, a += kGenericMr, b += kGenericNr)
    for (int64_t i = 0; i < kGenericMr; ++i)
      for (int64_t j = 0; j < kGenericNr; ++j)
        acc[i][j] += a[i] * b[j];
  for (int64_t i = 0; i < tile.rows; ++i) {
    float *c = tile.c + i * tile.ldc;
    for (int64_t j = 0; j < tile.cols; ++j) {
      float value = acc[i][j];
      if (tile.accumulate)
        value += c[j];
      if (tile.finish) {
        if (tile.bias)
          value += tile.bias[j];
        value = applySgemmEpilogue(value, tile.epilogue);
      }
      c[j] = value;
    }
  }
}

void genericPackA(const float *a, int64_t rowStride, int64_t colStride,
                  int64_t rows, int64_t kc, float *out) {
  packSgemmAPanels(a, rowStride, colStride, rows, kc, kGenericMr, out);
}

} // namespace

float tessera::runtime::applySgemmEpilogue(float x, int64_t epilogue) {
  switch (epilogue) {
  case TSR_EPILOGUE_GELU:
    // 0.5 x (1 + erf(x / sqrt 2)) written with erfc, which keeps its
    // relative accuracy where the result is tiny (x very negative).
    return 0.5f * x * std::erfc(x * -0.70710678118654752f);
  case TSR_EPILOGUE_GELU_TANH: {
    float inner = 0.79788456080286536f * (x + 0.044715f * x * x * x);
    return 0.5f * x * (1.0f + std::tanh(inner));
  }
  case TSR_EPILOGUE_SILU:
    return x / (1.0f + std::exp(-x));
  case TSR_EPILOGUE_RELU:
    return x < 0.0f ? 0.0f : x; // NaN stays NaN.
  default:
    return x;
  }
}

void tessera::runtime::packSgemmAPanels(const float *a, int64_t rowStride,
                                        int64_t colStride, int64_t rows,
                                        int64_t kc, int64_t mr, float *out) {
  for (int64_t i0 = 0; i0 < rows; i0 += mr, out += mr * kc) {
    int64_t panelRows = std::min(mr, rows - i0);
    const float *panel = a + i0 * rowStride;
    // Rows past `panelRows` stay unwritten: kernels never read them.
    if (colStride == 1) {
      for (int64_t i = 0; i < panelRows; ++i)
        for (int64_t k = 0; k < kc; ++k)
          out[k * mr + i] = panel[i * rowStride + k];
    } else {
      for (int64_t k = 0; k < kc; ++k)
        for (int64_t i = 0; i < panelRows; ++i)
          out[k * mr + i] = panel[i * rowStride + k * colStride];
    }
  }
}

const SgemmKernelSet &tessera::runtime::getGenericSgemmKernels() {
  static const SgemmKernelSet kernels = {"generic",    kGenericMr,
                                         kGenericNr,   genericTile,
                                         genericPackA, tsr_pack_b_panels};
  return kernels;
}
