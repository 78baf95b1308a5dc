//===- KernelRuntime.cpp - Kernels a session lends generated code ---------===//
//
// Part of the Tessera runtime.
//
//===----------------------------------------------------------------------===//
//
// The C entry points of tsr_kernel_context_t. They are called from generated
// code, which has no way to receive an error: the kernels validate nothing
// the compiler guarantees, and nothing here may throw.
//
//===----------------------------------------------------------------------===//
#include "KernelRuntime.h"

#include "kernels/AttentionKernels.h"
#include "kernels/BgemmKernels.h"
#include "kernels/QgemmKernels.h"
#include "kernels/SpgemmKernels.h"

#include <cstddef>

using namespace tessera::runtime;

// Generated code fills tsr_sgemm_args_t as an array of 8-byte words.
static_assert(sizeof(tsr_sgemm_args_t) == TSR_SGEMM_ARGS_WORDS * 8,
              "tsr_sgemm_args_t must be TSR_SGEMM_ARGS_WORDS words");
static_assert(sizeof(tsr_attention_args_t) == TSR_ATTENTION_ARGS_WORDS * 8,
              "tsr_attention_args_t must be TSR_ATTENTION_ARGS_WORDS words");
static_assert(sizeof(tsr_qgemm_args_t) == TSR_QGEMM_ARGS_WORDS * 8,
              "tsr_qgemm_args_t must be TSR_QGEMM_ARGS_WORDS words");
// The compiler passes a_scale and a_zero_point as one word, scale low.
static_assert(sizeof(tsr_w4gemm_args_t) == TSR_W4GEMM_ARGS_WORDS * 8,
              "tsr_w4gemm_args_t must be TSR_W4GEMM_ARGS_WORDS words");
static_assert(sizeof(tsr_bgemm_args_t) == TSR_BGEMM_ARGS_WORDS * 8,
              "tsr_bgemm_args_t must be TSR_BGEMM_ARGS_WORDS words");
static_assert(sizeof(tsr_spgemm_args_t) == TSR_SPGEMM_ARGS_WORDS * 8,
              "tsr_spgemm_args_t must be TSR_SPGEMM_ARGS_WORDS words");
static_assert(offsetof(tsr_qgemm_args_t, a_scale) == 17 * 8 &&
                  offsetof(tsr_qgemm_args_t, a_zero_point) == 17 * 8 + 4,
              "a_scale and a_zero_point share the last word");

namespace {

void sgemmEntry(void *runtime, const tsr_sgemm_args_t *args) {
  if (runtime && args)
    static_cast<KernelRuntime *>(runtime)->sgemm(*args);
}

void qgemmEntry(void *runtime, const tsr_qgemm_args_t *args) {
  if (runtime && args)
    static_cast<KernelRuntime *>(runtime)->qgemm(*args);
}

void w4gemmEntry(void *runtime, const tsr_w4gemm_args_t *args) {
  if (runtime && args)
    static_cast<KernelRuntime *>(runtime)->w4gemm(*args);
}

void bgemmEntry(void *runtime, const tsr_bgemm_args_t *args) {
  if (runtime && args)
    static_cast<KernelRuntime *>(runtime)->bgemm(*args);
}

void spgemmEntry(void *runtime, const tsr_spgemm_args_t *args) {
  if (runtime && args)
    static_cast<KernelRuntime *>(runtime)->spgemm(*args);
}

void attentionEntry(void *runtime, const tsr_attention_args_t *args) {
  if (runtime && args)
    static_cast<KernelRuntime *>(runtime)->attention(*args);
}

void indexErrorEntry(void *runtime, const char *what, int64_t value,
                     int64_t bound) {
  if (runtime)
    static_cast<KernelRuntime *>(runtime)->recordIndexError(what, value,
                                                             bound);
}

void parallelForEntry(void *runtime, int64_t n, tsr_parallel_task_fn_t fn,
                      void *taskArg) {
  if (runtime && fn)
    static_cast<KernelRuntime *>(runtime)->parallelFor(n, fn, taskArg);
}

void *allocEntry(void *runtime, int64_t bytes) {
  return runtime ? static_cast<KernelRuntime *>(runtime)->blocks().allocate(bytes)
                 : nullptr;
}

void freeEntry(void *runtime, void *ptr) {
  if (runtime)
    static_cast<KernelRuntime *>(runtime)->blocks().release(ptr);
}

/// Adapts the ABI's task signature to the pool's, which adds the thread.
struct AbiTask {
  tsr_parallel_task_fn_t fn;
  void *arg;
};

void runAbiTask(void *arg, int64_t begin, int64_t end, unsigned) {
  const AbiTask &task = *static_cast<const AbiTask *>(arg);
  task.fn(task.arg, begin, end);
}

} // namespace

KernelRuntime::KernelRuntime(unsigned numThreads)
    : pool_(numThreads), sgemmWorkspace_(pool_.numThreads()),
      sgemmIsa_(getBestSgemmIsa()), sgemmKernels_(&getSgemmKernels(sgemmIsa_)),
      qgemmWorkspace_(pool_.numThreads()), qgemmIsa_(getBestQgemmIsa()),
      qgemmKernels_(&getQgemmKernels(qgemmIsa_)),
      w4gemmIsa_(getBestW4gemmIsa()),
      w4gemmKernels_(&getW4gemmKernels(w4gemmIsa_)),
      bgemmIsa_(getBestBgemmIsa()),
      bgemmKernels_(&getBgemmKernels(bgemmIsa_)),
      spgemmWorkspace_(pool_.numThreads()), spgemmIsa_(getBestSpgemmIsa()),
      spgemmKernels_(&getSpgemmKernels(spgemmIsa_)),
      attentionWorkspace_(pool_.numThreads()), attentionIsa_(sgemmIsa_),
      attentionKernels_(&getAttentionKernels(attentionIsa_)) {
  context_.abi_version = TSR_ABI_VERSION;
  context_.num_threads = pool_.numThreads();
  context_.runtime = this;
  context_.sgemm = sgemmEntry;
  context_.parallel_for = parallelForEntry;
  context_.alloc = allocEntry;
  context_.free = freeEntry;
  context_.attention = attentionEntry;
  context_.qgemm = qgemmEntry;
  context_.w4gemm = w4gemmEntry;
  context_.bgemm = bgemmEntry;
  context_.index_error = indexErrorEntry;
  context_.spgemm = spgemmEntry;
}

void KernelRuntime::parallelFor(int64_t n, tsr_parallel_task_fn_t fn,
                                void *taskArg) {
  AbiTask task = {fn, taskArg};
  pool_.parallelFor(n, runAbiTask, &task);
}

void KernelRuntime::recordIndexError(const char *what, int64_t value,
                                     int64_t bound) {
  std::lock_guard<std::mutex> lock(errorMutex_);
  if (hasError_.load(std::memory_order_relaxed))
    return;
  error_ = std::string(what ? what : "an index") + ": index " +
           std::to_string(value) + " is out of range for a dimension of size " +
           std::to_string(bound);
  hasError_.store(true, std::memory_order_release);
}

std::string KernelRuntime::takeRunError() {
  if (!hasError_.load(std::memory_order_acquire))
    return std::string();
  std::lock_guard<std::mutex> lock(errorMutex_);
  std::string message = std::move(error_);
  error_.clear();
  hasError_.store(false, std::memory_order_relaxed);
  return message;
}

bool KernelRuntime::setSgemmIsa(SgemmIsa isa) {
  if (!isSgemmIsaSupported(isa))
    return false;
  sgemmIsa_ = isa;
  sgemmKernels_ = &getSgemmKernels(isa);
  return true;
}

bool KernelRuntime::setQgemmIsa(QgemmIsa isa) {
  if (!isQgemmIsaSupported(isa))
    return false;
  qgemmIsa_ = isa;
  qgemmKernels_ = &getQgemmKernels(isa);
  return true;
}

bool KernelRuntime::setW4gemmIsa(W4gemmIsa isa) {
  if (!isW4gemmIsaSupported(isa))
    return false;
  w4gemmIsa_ = isa;
  w4gemmKernels_ = &getW4gemmKernels(isa);
  return true;
}

bool KernelRuntime::setBgemmIsa(BgemmIsa isa) {
  if (!isBgemmIsaSupported(isa))
    return false;
  bgemmIsa_ = isa;
  bgemmKernels_ = &getBgemmKernels(isa);
  return true;
}

bool KernelRuntime::setSpgemmIsa(SpgemmIsa isa) {
  if (!isSpgemmIsaSupported(isa))
    return false;
  spgemmIsa_ = isa;
  spgemmKernels_ = &getSpgemmKernels(isa);
  return true;
}

bool KernelRuntime::setAttentionIsa(SgemmIsa isa) {
  if (!isSgemmIsaSupported(isa))
    return false;
  attentionIsa_ = isa;
  attentionKernels_ = &getAttentionKernels(isa);
  return true;
}
