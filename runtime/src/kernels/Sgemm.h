//===- Sgemm.h - Batched SGEMM for generated code ---------------*- C++ -*-===//
//
// Part of the Tessera runtime.
//
//===----------------------------------------------------------------------===//
//
// The runtime's implementation of tsr_sgemm_args_t (tessera/abi.h): a
// BLIS-style driver (k blocks, packed A panels, B used in place when the
// compiler packed it, packed per block otherwise) over per-ISA micro-kernels
// picked at run time from CPUID, split over the session's thread pool.
//
//===----------------------------------------------------------------------===//
#ifndef TESSERA_RUNTIME_KERNELS_SGEMM_H
#define TESSERA_RUNTIME_KERNELS_SGEMM_H

#include "tessera/abi.h"

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>

namespace tessera::runtime {

class ThreadPool;
struct SgemmKernelSet;

/// Instruction sets with an SGEMM micro-kernel.
enum class SgemmIsa { Generic, Avx2, Avx512 };

const char *getSgemmIsaName(SgemmIsa isa);
/// Whether this build has the kernel and this CPU can run it.
bool isSgemmIsaSupported(SgemmIsa isa);
/// The fastest supported ISA.
SgemmIsa getBestSgemmIsa();
/// The kernels of a supported ISA.
const SgemmKernelSet &getSgemmKernels(SgemmIsa isa);

/// Per-thread packing buffers, allocated once per session so that no GEMM
/// allocates. Pages are only touched (committed) by the GEMMs that need them.
class SgemmWorkspace {
public:
  /// Throws std::bad_alloc.
  explicit SgemmWorkspace(unsigned numThreads);

  float *packedA(unsigned thread) const {
    return storage_.get() + thread * floatsPerThread_;
  }
  float *packedB(unsigned thread) const {
    return packedA(thread) + packedAFloats_;
  }

private:
  struct FreeDeleter {
    void operator()(float *p) const { std::free(p); }
  };
  std::unique_ptr<float, FreeDeleter> storage_;
  size_t packedAFloats_ = 0;
  size_t floatsPerThread_ = 0;
};

/// Computes `args` (see tessera/abi.h) with the kernels of `isa` on `pool`.
/// Nonsensical sizes (negative m, n, k or batch) compute nothing.
void runSgemm(const tsr_sgemm_args_t &args, const SgemmKernelSet &kernels,
              ThreadPool &pool, const SgemmWorkspace &workspace);

} // namespace tessera::runtime

#endif // TESSERA_RUNTIME_KERNELS_SGEMM_H
