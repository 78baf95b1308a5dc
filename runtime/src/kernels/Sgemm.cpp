//===- Sgemm.cpp - Batched SGEMM driver -----------------------------------===//
//
// Part of the Tessera runtime.
//
//===----------------------------------------------------------------------===//
//
// Loop nest (BLIS): for each block of columns (all of them when B comes
// packed, so A is packed once; kNc when B is packed here), for each k block
// of kc rows, [pack B's kc x nc block], for each block of mc rows pack A's
// mc x kc block into mr-row panels, then sweep the micro-tiles with the B
// micro-panel fixed (it stays in L1/L2 while the A block streams from L2).
// The first k block overwrites C, later ones accumulate, and the last one
// adds the bias and applies the epilogue in registers, so C is written
// kc-blocks times and the epilogue runs once per element.
//
// Threads split each batch element into parts along N (each thread then
// streams its own share of the weights) or, when N is too narrow, along M;
// batches alone are split when there are enough of them to balance.
//
//===----------------------------------------------------------------------===//
#include "kernels/Sgemm.h"

#include "ThreadPool.h"
#include "kernels/GemmPartition.h"
#include "kernels/SgemmKernels.h"

#include <algorithm>
#include <new>
#include <numeric>

using namespace tessera::runtime;

namespace {

// Block sizes, tuned on Zen 4 (1 MiB L2 per core) with BERT shapes.
/// k block: long, because every k block re-reads and re-writes C; 768 covers
/// K = 768 in one block. A 768 x 48 B micro-panel (144 KiB) then sits in L2
/// next to the packed A block while the A micro-panels stream through L1.
constexpr int64_t kKcMax = 768;
/// m block: the packed A block (192 x 768 floats, 576 KiB) stays in L2.
constexpr int64_t kMcMax = 192;
/// n block when B is packed here: bounds the per-thread buffer (2.25 MiB);
/// a multiple of every kernel's nr (16, 48).
constexpr int64_t kNcMax = 768;
/// Below this many multiply-adds, waking another thread costs more than it
/// saves.
constexpr double kMinParallelFmas = 65536;

struct SgemmJob {
  const tsr_sgemm_args_t *args;
  const SgemmKernelSet *kernels;
  const SgemmWorkspace *workspace;
  int64_t kcBlock;
  /// Each batch element is split into mParts x nParts tasks.
  int64_t mParts;
  int64_t nParts;
};

/// C[m0:m1, n0:n1] of batch element `batch`, on thread `thread`'s buffers.
void runBlock(const SgemmJob &job, int64_t batch, int64_t m0, int64_t m1,
              int64_t n0, int64_t n1, unsigned thread) {
  const tsr_sgemm_args_t &args = *job.args;
  const SgemmKernelSet &kernels = *job.kernels;
  const int64_t k = args.k, mr = kernels.mr, nr = kernels.nr;
  const float *a = args.a + batch * args.a_batch_stride;
  const float *b = args.b + batch * args.b_batch_stride;
  float *c = args.c + batch * args.c_batch_stride;
  const bool bPacked = args.b_layout == TSR_SGEMM_B_PACKED;
  float *packedA = job.workspace->packedA(thread);
  float *packedB = job.workspace->packedB(thread);
  const int64_t mcMax = kMcMax / mr * mr;
  const int64_t ncMax = bPacked ? n1 - n0 : kNcMax;

  SgemmTile tile = {};
  tile.ldc = args.c_row_stride;
  tile.epilogue = args.epilogue;
  for (int64_t jc = n0; jc < n1; jc += ncMax) {
    const int64_t nc = std::min(ncMax, n1 - jc);
    for (int64_t pc = 0; pc < k; pc += job.kcBlock) {
      const int64_t kc = std::min(job.kcBlock, k - pc);
      const float *bBlock;
      if (bPacked) {
        // jc is a multiple of the panel width (see runSgemm).
        bBlock =
            b + ((jc / TSR_SGEMM_PANEL_WIDTH) * k + pc) * TSR_SGEMM_PANEL_WIDTH;
        tile.bPanelStride = k * TSR_SGEMM_PANEL_WIDTH;
      } else {
        kernels.packB(b + pc * args.b_row_stride + jc * args.b_col_stride, kc,
                      nc, args.b_row_stride, args.b_col_stride, packedB);
        bBlock = packedB;
        tile.bPanelStride = kc * TSR_SGEMM_PANEL_WIDTH;
      }
      tile.kc = kc;
      tile.accumulate = pc > 0;
      tile.finish = pc + kc == k;
      for (int64_t ic = m0; ic < m1; ic += mcMax) {
        const int64_t mc = std::min(mcMax, m1 - ic);
        kernels.packA(a + ic * args.a_row_stride + pc * args.a_col_stride,
                      args.a_row_stride, args.a_col_stride, mc, kc, packedA);
        for (int64_t jr = 0; jr < nc; jr += nr) {
          tile.cols = std::min(nr, nc - jr);
          tile.b = bBlock + jr / TSR_SGEMM_PANEL_WIDTH * tile.bPanelStride;
          tile.bias = args.bias ? args.bias + jc + jr : nullptr;
          float *cBlock = c + ic * tile.ldc + jc + jr;
          for (int64_t ir = 0; ir < mc; ir += mr) {
            tile.rows = std::min(mr, mc - ir);
            tile.a = packedA + ir * kc; // Panel ir / mr.
            tile.c = cBlock + ir * tile.ldc;
            kernels.tile(tile);
          }
        }
      }
    }
  }
}

void runTasks(void *arg, int64_t begin, int64_t end, unsigned thread) {
  const SgemmJob &job = *static_cast<const SgemmJob *>(arg);
  const tsr_sgemm_args_t &args = *job.args;
  int64_t partsPerBatch = job.mParts * job.nParts;
  for (int64_t task = begin; task < end; ++task) {
    int64_t batch = task / partsPerBatch, part = task % partsPerBatch;
    int64_t m0, m1, n0, n1;
    splitRange(args.m, job.kernels->mr, job.mParts, part / job.nParts, m0, m1);
    // Whole panels, so that a packed B can be addressed per part.
    splitRange(args.n, TSR_SGEMM_PANEL_WIDTH, job.nParts, part % job.nParts, n0,
               n1);
    if (m0 < m1 && n0 < n1)
      runBlock(job, batch, m0, m1, n0, n1, thread);
  }
}

/// C = epilogue(bias or 0) when the reduction is empty.
void fillWithoutProduct(const tsr_sgemm_args_t &args) {
  for (int64_t batch = 0; batch < args.batch; ++batch) {
    float *c = args.c + batch * args.c_batch_stride;
    for (int64_t j = 0; j < args.n; ++j)
      c[j] = applySgemmEpilogue(args.bias ? args.bias[j] : 0.0f, args.epilogue);
    for (int64_t i = 1; i < args.m; ++i)
      std::copy(c, c + args.n, c + i * args.c_row_stride);
  }
}

} // namespace

const char *tessera::runtime::getSgemmIsaName(SgemmIsa isa) {
  switch (isa) {
  case SgemmIsa::Generic:
    return "generic";
  case SgemmIsa::Avx2:
    return "avx2";
  case SgemmIsa::Avx512:
    return "avx512";
  }
  return "unknown";
}

bool tessera::runtime::isSgemmIsaSupported(SgemmIsa isa) {
  switch (isa) {
  case SgemmIsa::Generic:
    return true;
#if defined(TESSERA_HAVE_X86_SGEMM_KERNELS)
  case SgemmIsa::Avx2:
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  case SgemmIsa::Avx512:
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512f") &&
           __builtin_cpu_supports("avx512bw") &&
           __builtin_cpu_supports("avx512dq") &&
           __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("fma");
#else
  default:
    return false;
#endif
  }
  return false;
}

SgemmIsa tessera::runtime::getBestSgemmIsa() {
  for (SgemmIsa isa : {SgemmIsa::Avx512, SgemmIsa::Avx2})
    if (isSgemmIsaSupported(isa))
      return isa;
  return SgemmIsa::Generic;
}

const SgemmKernelSet &tessera::runtime::getSgemmKernels(SgemmIsa isa) {
  switch (isa) {
#if defined(TESSERA_HAVE_X86_SGEMM_KERNELS)
  case SgemmIsa::Avx512:
    return getAvx512SgemmKernels();
  case SgemmIsa::Avx2:
    return getAvx2SgemmKernels();
#endif
  default:
    return getGenericSgemmKernels();
  }
}

SgemmWorkspace::SgemmWorkspace(unsigned numThreads) {
  // Whole cache lines per buffer, so that threads never share a line.
  auto roundToLine = [](size_t floats) { return (floats + 15) / 16 * 16; };
  packedAFloats_ = roundToLine(kMcMax * kKcMax);
  floatsPerThread_ = packedAFloats_ + roundToLine(kKcMax * kNcMax);
  size_t bytes = floatsPerThread_ * sizeof(float) * std::max(1u, numThreads);
  storage_.reset(static_cast<float *>(std::aligned_alloc(64, bytes)));
  if (!storage_)
    throw std::bad_alloc();
}

void tessera::runtime::runSgemm(const tsr_sgemm_args_t &args,
                                const SgemmKernelSet &kernels, ThreadPool &pool,
                                const SgemmWorkspace &workspace) {
  if (args.batch <= 0 || args.m <= 0 || args.n <= 0 || args.k < 0)
    return;
  if (args.k == 0) {
    fillWithoutProduct(args);
    return;
  }

  SgemmJob job = {&args, &kernels, &workspace, 0, 1, 1};
  job.kcBlock = ceilDiv(args.k, ceilDiv(args.k, kKcMax));
  int64_t threads = pool.numThreads();
  double fmas = static_cast<double>(args.batch) * args.m * args.n * args.k;
  if (threads == 1 || fmas < kMinParallelFmas) {
    runTasks(&job, 0, args.batch, pool.currentThreadIndex());
    return;
  }
  GemmPartition split = partitionGemm(args.batch, args.m, args.n, threads,
                                      kernels.mr, TSR_SGEMM_PANEL_WIDTH);
  job.mParts = split.mParts;
  job.nParts = split.nParts;
  pool.parallelFor(args.batch * job.mParts * job.nParts, runTasks, &job);
}
