//===- QgemmGeneric.cpp - Portable int8 GEMM micro-kernel -----------------===//
//
// Part of the Tessera runtime.
//
//===----------------------------------------------------------------------===//
//
// A 4 x 16 micro-tile in plain C++: the reference the vector kernels must
// match exactly in their integer part (and to float rounding after the
// scales), and the kernel of CPUs without AVX2.
//
//===----------------------------------------------------------------------===//
#include "kernels/QgemmKernels.h"
#include "kernels/SgemmKernels.h"

#include "tessera/abi.h"

using namespace tessera::runtime;

namespace {

constexpr int64_t kMr = 4;
constexpr int64_t kNr = TSR_QGEMM_PANEL_WIDTH;

void genericTile(const QgemmTile &tile) {
  int32_t acc[kMr][kNr] = {};
  for (int64_t g = 0; g < tile.kGroups; ++g) {
    const uint8_t *a = tile.a + g * kMr * 4;
    const int8_t *b = tile.b + g * kNr * 4;
    for (int64_t i = 0; i < kMr; ++i)
      for (int64_t j = 0; j < kNr; ++j)
        for (int64_t q = 0; q < 4; ++q)
          acc[i][j] += int32_t(a[i * 4 + q]) * int32_t(b[j * 4 + q]);
  }
  finishQgemmTile(tile, &acc[0][0], kNr);
}

} // namespace

const QgemmKernelSet &tessera::runtime::getGenericQgemmKernels() {
  static const QgemmKernelSet kernels = {"generic", kMr, kNr, genericTile,
                                         packQgemmARows, qgemmMinMax};
  return kernels;
}
