//===- W4gemm.h - GEMM with 4-bit weights -----------------------*- C++ -*-===//
//
// Part of the Tessera runtime.
//
//===----------------------------------------------------------------------===//
//
// The runtime's implementation of tsr_w4gemm_args_t (tessera/abi.h): f32
// activations times 4-bit group-quantized weights that the micro-kernels
// dequantize in registers, one fused multiply-subtract per weight vector,
// shared by all the rows of a tile. Memory-bound at small M (decode), where
// the weights' bytes are what costs: an eighth of f32's.
//
//===----------------------------------------------------------------------===//
#ifndef TESSERA_RUNTIME_KERNELS_W4GEMM_H
#define TESSERA_RUNTIME_KERNELS_W4GEMM_H

#include "tessera/abi.h"

#include <cstdint>

namespace tessera::runtime {

class ThreadPool;

/// One micro-tile over the whole reduction: rows [0, rows) of A (row i at
/// a + i * aRowStride, element k at + k * aColStride) times the columns of
/// `panels` consecutive packed panels starting at `b` (panel stride
/// K / 2 * 16 bytes), `cols` of them real; C row i at c + i * ldc.
struct W4gemmTile {
  const float *a;
  int64_t aRowStride, aColStride;
  const uint8_t *b;
  const void *scale; // group 0 of the tile's first panel; panels
                     // K / group * 16 values apart, groups 16
  const void *zero;  // likewise, or null (8)
  bool paramsF16;    // scale and zero are IEEE halves, else f32
  int64_t k, group;
  int64_t rows, cols;
  float *c;
  int64_t ldc;
  const float *bias; // from the tile's first column, or null
  int64_t epilogue;
};

struct W4gemmKernelSet {
  const char *name;
  int64_t mr; // rows of a micro-tile
  int64_t nr; // columns of a micro-tile, a multiple of 16
  void (*tile)(const W4gemmTile &tile);
};

enum class W4gemmIsa { Generic, Avx512 };

const char *getW4gemmIsaName(W4gemmIsa isa);
bool isW4gemmIsaSupported(W4gemmIsa isa);
W4gemmIsa getBestW4gemmIsa();
const W4gemmKernelSet &getW4gemmKernels(W4gemmIsa isa);
const W4gemmKernelSet &getGenericW4gemmKernels();
#if defined(TESSERA_HAVE_X86_SGEMM_KERNELS)
const W4gemmKernelSet &getAvx512W4gemmKernels();
#endif

/// Computes `args` with `kernels` on `pool`. Nonsensical arguments
/// (negative sizes, a group that is odd or does not divide K) compute
/// nothing.
void runW4gemm(const tsr_w4gemm_args_t &args, const W4gemmKernelSet &kernels,
               ThreadPool &pool);

} // namespace tessera::runtime

#endif // TESSERA_RUNTIME_KERNELS_W4GEMM_H
