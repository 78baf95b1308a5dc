//===- KernelRuntime.h - Kernels a session lends generated code -*- C++ -*-===//
//
// Part of the Tessera runtime.
//
//===----------------------------------------------------------------------===//
//
// The per-session state behind tsr_kernel_context_t (tessera/abi.h): the
// thread pool, the SGEMM, int8/bf16 and sparse GEMM packing buffers, the
// attention scratch and the chosen SGEMM, int8, 4-bit, bf16 and sparse GEMM
// and attention kernels. The session passes context() to every run; generated code calls back through
// its function pointers with `runtime` pointing here.
//
//===----------------------------------------------------------------------===//
#ifndef TESSERA_RUNTIME_KERNELRUNTIME_H
#define TESSERA_RUNTIME_KERNELRUNTIME_H

#include "BlockCache.h"
#include "ThreadPool.h"
#include "kernels/Attention.h"
#include "kernels/Bgemm.h"
#include "kernels/Qgemm.h"
#include "kernels/W4gemm.h"
#include "kernels/Sgemm.h"
#include "kernels/Spgemm.h"

#include "tessera/abi.h"

#include <atomic>
#include <mutex>
#include <string>

namespace tessera::runtime {

class KernelRuntime {
public:
  /// Starts numThreads - 1 workers (0 counts as 1) and allocates the
  /// buffers; throws std::bad_alloc or std::system_error.
  explicit KernelRuntime(unsigned numThreads);
  KernelRuntime(const KernelRuntime &) = delete;
  KernelRuntime &operator=(const KernelRuntime &) = delete;

  /// The table handed to generated code; lives as long as this object.
  tsr_kernel_context_t *context() { return &context_; }

  void sgemm(const tsr_sgemm_args_t &args) {
    runSgemm(args, *sgemmKernels_, pool_, sgemmWorkspace_);
  }
  void qgemm(const tsr_qgemm_args_t &args) {
    runQgemm(args, *qgemmKernels_, pool_, qgemmWorkspace_);
  }
  void w4gemm(const tsr_w4gemm_args_t &args) {
    runW4gemm(args, *w4gemmKernels_, pool_);
  }
  void bgemm(const tsr_bgemm_args_t &args) {
    runBgemm(args, *bgemmKernels_, pool_, qgemmWorkspace_);
  }
  void spgemm(const tsr_spgemm_args_t &args) {
    runSpgemm(args, *spgemmKernels_, pool_, spgemmWorkspace_);
  }
  void attention(const tsr_attention_args_t &args) {
    runAttention(args, *attentionKernels_, pool_, attentionWorkspace_);
  }
  void parallelFor(int64_t n, tsr_parallel_task_fn_t fn, void *taskArg);

  /// Records an out-of-range index (tsr_kernel_context_t's index_error);
  /// the first one of a run wins. Thread-safe.
  void recordIndexError(const char *what, int64_t value, int64_t bound);
  /// The message of the run's first recorded error, and forgets it; empty
  /// when there was none.
  std::string takeRunError();

  /// Forces the SGEMM kernels of `isa` (tests, benchmarks); false, changing
  /// nothing, when the CPU cannot run them.
  bool setSgemmIsa(SgemmIsa isa);
  SgemmIsa sgemmIsa() const { return sgemmIsa_; }
  /// Forces the int8 GEMM kernels of `isa` (tests, benchmarks); false,
  /// changing nothing, when the CPU cannot run them.
  bool setQgemmIsa(QgemmIsa isa);
  QgemmIsa qgemmIsa() const { return qgemmIsa_; }
  bool setW4gemmIsa(W4gemmIsa isa);
  W4gemmIsa w4gemmIsa() const { return w4gemmIsa_; }
  bool setBgemmIsa(BgemmIsa isa);
  BgemmIsa bgemmIsa() const { return bgemmIsa_; }
  bool setSpgemmIsa(SpgemmIsa isa);
  SpgemmIsa spgemmIsa() const { return spgemmIsa_; }
  /// Forces the attention kernels of `isa` (tests, benchmarks); false,
  /// changing nothing, when the CPU cannot run them.
  bool setAttentionIsa(SgemmIsa isa);
  SgemmIsa attentionIsa() const { return attentionIsa_; }
  /// Bytes of attention scratch held (independent of sequence lengths).
  size_t attentionWorkspaceBytes() const { return attentionWorkspace_.bytes(); }

  ThreadPool &pool() { return pool_; }

  /// The allocator of generated code's buffers (tsr_kernel_context_t's
  /// alloc/free); results are released back to it.
  BlockCache &blocks() { return blocks_; }

private:
  BlockCache blocks_;
  ThreadPool pool_;
  SgemmWorkspace sgemmWorkspace_;
  SgemmIsa sgemmIsa_;
  const SgemmKernelSet *sgemmKernels_;
  QgemmWorkspace qgemmWorkspace_;
  QgemmIsa qgemmIsa_;
  const QgemmKernelSet *qgemmKernels_;
  W4gemmIsa w4gemmIsa_;
  const W4gemmKernelSet *w4gemmKernels_;
  BgemmIsa bgemmIsa_;
  const BgemmKernelSet *bgemmKernels_;
  SpgemmWorkspace spgemmWorkspace_;
  SpgemmIsa spgemmIsa_;
  const SpgemmKernelSet *spgemmKernels_;
  AttentionWorkspace attentionWorkspace_;
  SgemmIsa attentionIsa_;
  const AttentionKernelSet *attentionKernels_;
  tsr_kernel_context_t context_;
  std::mutex errorMutex_;
  std::atomic<bool> hasError_{false};
  std::string error_;
};

} // namespace tessera::runtime

#endif // TESSERA_RUNTIME_KERNELRUNTIME_H
