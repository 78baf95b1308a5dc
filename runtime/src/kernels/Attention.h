//===- Attention.h - Fused attention for generated code ---------*- C++ -*-===//
//
// Part of the Tessera runtime.
//
//===----------------------------------------------------------------------===//
//
// The runtime's implementation of tsr_attention_args_t (tessera/abi.h):
// FlashAttention-style. Each task takes up to 64 query rows of one
// (batch, kv head) (the rows of every query head sharing that kv head, so
// that decoding with grouped-query attention still fills vectors), walks the
// visible keys in blocks of 64, computing the block's scores, folding them
// into a running row max and sum (online softmax, rescaling the output
// accumulator when the max grows) and accumulating P·V; O = acc / sum at the
// end. Memory is per-thread scratch of (d + 64 + dv) x 64 floats: nothing of
// size s x t is ever materialized. Tasks are spread over the session's pool
// (under causal, cheap and expensive row blocks alternate); the key-block
// kernels are per ISA (AttentionKernels.h). Tasks of at most 4 rows
// (decoding, s = 1, with up to 4 query heads per kv head) use the ISA's row
// kernel where it has one (AVX-512), vectorized along d instead of rows.
//
// The scratch grows only for head sizes above kPreallocatedHeadSize, by the
// thread that calls attention; calling attention with such head sizes from
// inside a parallel_for task is not supported.
//
// Semantics beyond the ABI's formula:
//  - Scores are computed as (scale * Q)·K + mask in float (scale is rounded
//    to float and applied to Q).
//  - A row with no visible key (causal with i + t - s < 0, or t == 0) or whose
//    visible scores are all -inf gets zeros, never NaN.
//  - Large negative finite mask values (HF's finfo.min = -FLT_MAX) are just
//    numbers: a row masked by -FLT_MAX everywhere gets the softmax of its
//    (equal, saturated) scores, i.e. the mean of V, as in PyTorch.
//  - exp(x) below e^-87 (relative to the row max) counts as 0.
//  - NaN in the inputs propagates to the affected rows.
//
//===----------------------------------------------------------------------===//
#ifndef TESSERA_RUNTIME_KERNELS_ATTENTION_H
#define TESSERA_RUNTIME_KERNELS_ATTENTION_H

#include "kernels/Sgemm.h"

#include "tessera/abi.h"

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>

namespace tessera::runtime {

class ThreadPool;
struct AttentionKernelSet;

/// The attention kernels of a supported ISA (the SGEMM ISAs: see Sgemm.h).
const AttentionKernelSet &getAttentionKernels(SgemmIsa isa);

/// Per-thread scratch of the attention tasks: allocated once per session for
/// head sizes up to kPreallocatedHeadSize and grown (never shrunk)
/// by a call with larger ones, so steady state never allocates.
class AttentionWorkspace {
public:
  static constexpr int64_t kPreallocatedHeadSize = 256;

  /// Throws std::bad_alloc.
  explicit AttentionWorkspace(unsigned numThreads);

  /// Makes room for head sizes d and dv; false when out of memory. Not
  /// thread-safe: called by the thread that starts the parallel region.
  bool reserve(int64_t d, int64_t dv) noexcept;

  float *thread(unsigned index) const {
    return storage_.get() + index * floatsPerThread_;
  }
  /// Total bytes held (tests check it stays independent of s and t).
  size_t bytes() const { return floatsPerThread_ * numThreads_ * sizeof(float); }

  /// Floats per thread needed for head sizes d and dv.
  static size_t floatsPerThread(int64_t d, int64_t dv);

private:
  struct FreeDeleter {
    void operator()(float *p) const { std::free(p); }
  };
  std::unique_ptr<float, FreeDeleter> storage_;
  size_t floatsPerThread_ = 0;
  unsigned numThreads_;
};

/// Computes `args` (see tessera/abi.h) with `kernels` on `pool`. Nonsensical
/// sizes (non-positive batch, heads or kv_heads, heads not a multiple of
/// kv_heads, negative s, t, d, dv) compute nothing; out of memory (head
/// sizes above kPreallocatedHeadSize only) fills O with NaN.
void runAttention(const tsr_attention_args_t &args,
                  const AttentionKernelSet &kernels, ThreadPool &pool,
                  AttentionWorkspace &workspace);

} // namespace tessera::runtime

#endif // TESSERA_RUNTIME_KERNELS_ATTENTION_H
