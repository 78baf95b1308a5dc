//===- AttentionAvx2.cpp - AVX2 attention kernel --------------------------===//
//
// Part of the Tessera runtime.
//
//===----------------------------------------------------------------------===//
//
// AttentionPortable.inc compiled with -mavx2 -mfma: its lane loops become
// 8-wide FMAs. See SgemmKernels.h for why nothing here has external linkage
// but the getter.
//
//===----------------------------------------------------------------------===//
#include "kernels/AttentionKernels.h"

using namespace tessera::runtime;

#include "kernels/AttentionPortable.inc"

const AttentionKernelSet &tessera::runtime::getAvx2AttentionKernels() {
  static const AttentionKernelSet kernels = {"avx2", portableAttentionBlock,
                                                nullptr};
  return kernels;
}
