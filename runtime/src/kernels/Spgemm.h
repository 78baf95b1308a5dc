//===- Spgemm.h - GEMM with sparse f32 weights ------------------*- C++ -*-===//
//
// Part of the Tessera runtime.
//
//===----------------------------------------------------------------------===//
//
// The runtime's implementation of tsr_spgemm_args_t (tessera/abi.h): f32
// activations times weights of which only the nonzeros are stored, as
// 16 x 16 blocks (TSR_SPGEMM_BLOCK16) or element by element
// (TSR_SPGEMM_CSR). Zeros cost nothing: the time follows the stored
// blocks or elements, not N x K.
//
//===----------------------------------------------------------------------===//
#ifndef TESSERA_RUNTIME_KERNELS_SPGEMM_H
#define TESSERA_RUNTIME_KERNELS_SPGEMM_H

#include "tessera/abi.h"

#include <cstdint>
#include <cstdlib>
#include <memory>

namespace tessera::runtime {

class ThreadPool;
struct SpgemmKernelSet;

enum class SpgemmIsa { Generic, Avx2, Avx512 };

const char *getSpgemmIsaName(SpgemmIsa isa);
bool isSpgemmIsaSupported(SpgemmIsa isa);
SpgemmIsa getBestSpgemmIsa();
const SpgemmKernelSet &getSpgemmKernels(SpgemmIsa isa);

/// Per-thread buffers of packed A (one k block of up to kMc rows).
class SpgemmWorkspace {
public:
  explicit SpgemmWorkspace(unsigned numThreads);
  float *packedA(unsigned thread) const {
    return storage_.get() + thread * floatsPerThread_;
  }
  int64_t floatsPerThread() const { return int64_t(floatsPerThread_); }

private:
  struct Free {
    void operator()(float *p) const { std::free(p); }
  };
  std::unique_ptr<float, Free> storage_;
  size_t floatsPerThread_;
};

/// Computes `args` with `kernels` on `pool`. Nonsensical arguments
/// (negative sizes, an unknown format, K past TSR_SPGEMM_MAX_K) compute
/// nothing.
void runSpgemm(const tsr_spgemm_args_t &args, const SpgemmKernelSet &kernels,
               ThreadPool &pool, const SpgemmWorkspace &workspace);

} // namespace tessera::runtime

#endif // TESSERA_RUNTIME_KERNELS_SPGEMM_H
