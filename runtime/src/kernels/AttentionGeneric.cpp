//===- AttentionGeneric.cpp - Portable attention kernel -------------------===//
//
// Part of the Tessera runtime.
//
//===----------------------------------------------------------------------===//
//
// The attention key-block kernel for CPUs without AVX2 (and for other
// architectures): AttentionPortable.inc compiled for the baseline ISA.
//
//===----------------------------------------------------------------------===//
#include "kernels/AttentionKernels.h"

using namespace tessera::runtime;

#include "kernels/AttentionPortable.inc"

const AttentionKernelSet &tessera::runtime::getGenericAttentionKernels() {
  static const AttentionKernelSet kernels = {"generic", portableAttentionBlock,
                                                nullptr};
  return kernels;
}
