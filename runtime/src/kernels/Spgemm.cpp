//===- Spgemm.cpp - Sparse-weight GEMM: driver and portable kernels -------===//
//
// Part of the Tessera runtime.
//
//===----------------------------------------------------------------------===//
//
// Loop nest, as the SGEMM's (Sgemm.cpp) with the zeros left out: for each
// k block (of the kernel set's kc steps: its A panel fits in L1), for each block of up to kMc rows, pack A's
// block into mr-row panels (zero-padded to whole 16-step blocks), then for
// each panel of 16 columns (BLOCK16: its stored blocks within the k block,
// found by binary search; CSR: its columns' nonzeros there) sweep the row
// panels, so the weights stay in L1/L2 while A streams from L2. The first
// k block overwrites C, later ones accumulate, and the last adds the bias
// and applies the epilogue.
//
// Threads split each batch element along N in whole panels (each thread
// reads only its share of the weights) or, when N is narrow, along M.
//
//===----------------------------------------------------------------------===//
#include "kernels/Spgemm.h"

#include "ThreadPool.h"
#include "kernels/GemmPartition.h"
#include "kernels/Sgemm.h"
#include "kernels/SgemmKernels.h"
#include "kernels/SpgemmKernels.h"

#include <algorithm>
#include <cmath>
#include <new>

using namespace tessera::runtime;

namespace {

/// Row block of BLOCK16 (CSR packs one tile's rows, csrMr, at a time).
constexpr int64_t kMc = 128;
/// Below this many stored multiply-adds, waking another thread costs more
/// than it saves.
constexpr double kMinParallelMacs = 65536;

constexpr int64_t kB = TSR_SPGEMM_BLOCK;
constexpr int64_t kGenericBlockMr = 4;
constexpr int64_t kGenericCsrMr = 16;

/// Writes one finished or partial tile value into C.
inline void storeC(const SpgemmTile &t, int64_t i, int64_t j, float x) {
  float &c = t.c[i * t.ldc + j];
  if (t.accumulate)
    x += c;
  if (t.finish)
    x = applySgemmEpilogue(x + (t.bias ? t.bias[j] : 0.0f), t.epilogue);
  c = x;
}

void genericBlockTile(const SpgemmTile &t) {
  float acc[kGenericBlockMr][kB] = {};
  for (int64_t j = 0; j < t.count; ++j) {
    const float *a = t.a + (t.indices[j] * kB - t.kBase) * kGenericBlockMr;
    const float *v = t.values + j * kB * kB;
    for (int64_t r = 0; r < kB; ++r)
      for (int64_t i = 0; i < kGenericBlockMr; ++i)
        for (int64_t c = 0; c < kB; ++c)
          acc[i][c] = std::fma(a[r * kGenericBlockMr + i], v[r * kB + c],
                               acc[i][c]);
  }
  for (int64_t i = 0; i < t.rows; ++i)
    for (int64_t c = 0; c < t.cols; ++c)
      storeC(t, i, c, acc[i][c]);
}

void genericCsrTile(const SpgemmTile &t) {
  for (int64_t c = 0; c < t.cols; ++c) {
    float acc[kGenericCsrMr] = {};
    int64_t begin = firstNonzeroAtOrAfter(t.indices, t.offsets[c],
                                          t.offsets[c + 1], t.kBase);
    for (int64_t j = begin; j < t.offsets[c + 1] && t.indices[j] < t.kEnd;
         ++j) {
      const float *a = t.a + (t.indices[j] - t.kBase) * kGenericCsrMr;
      for (int64_t i = 0; i < kGenericCsrMr; ++i)
        acc[i] = std::fma(a[i], t.values[j], acc[i]);
    }
    for (int64_t i = 0; i < t.rows; ++i)
      storeC(t, i, c, acc[i]);
  }
}

struct SpgemmJob {
  const tsr_spgemm_args_t *args;
  const SpgemmKernelSet *kernels;
  const SpgemmWorkspace *workspace;
  int64_t mr;
  double density; // stored / (N x K)
};

void runBlock(const SpgemmJob &job, const GemmBlock &block) {
  const auto [batch, m0, m1, n0, n1, thread] = block;
  const tsr_spgemm_args_t &args = *job.args;
  const SpgemmKernelSet &kernels = *job.kernels;
  const bool blocks = args.format == TSR_SPGEMM_BLOCK16;
  const int64_t mr = job.mr;
  const int64_t kcMax = blocks ? kernels.blockKc : kernels.csrKc;
  const float *a = args.a + batch * args.a_batch_stride;
  float *c = args.c + batch * args.c_batch_stride;
  float *packed = job.workspace->packedA(thread);
  void (*tile)(const SpgemmTile &) =
      blocks ? kernels.blockTile : kernels.csrTile;

  SpgemmTile t = {};
  t.values = args.values;
  t.indices = args.indices;
  t.density = job.density;
  t.ldc = args.c_row_stride;
  t.epilogue = args.epilogue;
  for (int64_t pc = 0; pc < args.k; pc += kcMax) {
    const int64_t kc = std::min(kcMax, args.k - pc);
    const int64_t kcPadded = (kc + kB - 1) / kB * kB;
    t.kBase = pc;
    t.kEnd = pc + kc;
    t.accumulate = pc > 0;
    t.finish = pc + kc == args.k;
    // CSR packs one tile's rows at a time, over a longer k block.
    const int64_t mcMax = blocks ? kMc : mr;
    for (int64_t ic = m0; ic < m1; ic += mcMax) {
      const int64_t mc = std::min(mcMax, m1 - ic);
      kernels.packA(a + ic * args.a_row_stride + pc * args.a_col_stride,
                    args.a_row_stride, args.a_col_stride, mc, kc, kcPadded, mr,
                    packed);
      // n0 is a multiple of 16 (whole panels).
      for (int64_t j = n0; j < n1; j += kB) {
        t.cols = std::min(kB, n1 - j);
        t.bias = args.bias ? args.bias + j : nullptr;
        if (blocks) {
          const int32_t *panel = args.offsets + j / kB;
          int64_t first = firstNonzeroAtOrAfter(args.indices, panel[0],
                                                panel[1], pc / kB);
          int64_t last = firstNonzeroAtOrAfter(args.indices, first, panel[1],
                                               (pc + kc + kB - 1) / kB);
          t.values = args.values + first * kB * kB;
          t.indices = args.indices + first;
          t.count = last - first;
        } else {
          t.offsets = args.offsets + j;
        }
        for (int64_t ir = 0; ir < mc; ir += mr) {
          t.rows = std::min(mr, mc - ir);
          t.a = packed + ir * kcPadded;
          t.c = c + (ic + ir) * args.c_row_stride + j;
          tile(t);
        }
      }
    }
  }
}

/// C = epilogue(bias or 0) when the reduction is empty.
void fillWithoutProduct(const tsr_spgemm_args_t &args) {
  for (int64_t batch = 0; batch < args.batch; ++batch)
    for (int64_t i = 0; i < args.m; ++i) {
      float *c = args.c + batch * args.c_batch_stride + i * args.c_row_stride;
      for (int64_t j = 0; j < args.n; ++j)
        c[j] =
            applySgemmEpilogue(args.bias ? args.bias[j] : 0.0f, args.epilogue);
    }
}

} // namespace

void tessera::runtime::packSpgemmAPanels(const float *a, int64_t rowStride,
                                         int64_t colStride, int64_t rows,
                                         int64_t kc, int64_t kcPadded,
                                         int64_t mr, float *out) {
  for (int64_t i0 = 0; i0 < rows; i0 += mr, out += mr * kcPadded) {
    int64_t panelRows = std::min(mr, rows - i0);
    const float *panel = a + i0 * rowStride;
    for (int64_t k = 0; k < kcPadded; ++k)
      for (int64_t i = 0; i < mr; ++i)
        out[k * mr + i] = k < kc && i < panelRows
                              ? panel[i * rowStride + k * colStride]
                              : 0.0f;
  }
}

const SpgemmKernelSet &tessera::runtime::getGenericSpgemmKernels() {
  static const SpgemmKernelSet kernels = {
      "generic",        kGenericBlockMr, kGenericCsrMr, 256, 256,
      genericBlockTile, genericCsrTile,  packSpgemmAPanels};
  return kernels;
}

const char *tessera::runtime::getSpgemmIsaName(SpgemmIsa isa) {
  switch (isa) {
  case SpgemmIsa::Avx512:
    return "avx512";
  case SpgemmIsa::Avx2:
    return "avx2";
  default:
    return "generic";
  }
}

bool tessera::runtime::isSpgemmIsaSupported(SpgemmIsa isa) {
  switch (isa) {
  case SpgemmIsa::Avx512:
    return isSgemmIsaSupported(SgemmIsa::Avx512);
  case SpgemmIsa::Avx2:
    return isSgemmIsaSupported(SgemmIsa::Avx2);
  default:
    return true;
  }
}

SpgemmIsa tessera::runtime::getBestSpgemmIsa() {
  for (SpgemmIsa isa : {SpgemmIsa::Avx512, SpgemmIsa::Avx2})
    if (isSpgemmIsaSupported(isa))
      return isa;
  return SpgemmIsa::Generic;
}

const SpgemmKernelSet &tessera::runtime::getSpgemmKernels(SpgemmIsa isa) {
#if defined(TESSERA_HAVE_X86_SGEMM_KERNELS)
  if (isa == SpgemmIsa::Avx512)
    return getAvx512SpgemmKernels();
  if (isa == SpgemmIsa::Avx2)
    return getAvx2SpgemmKernels();
#endif
  (void)isa;
  return getGenericSpgemmKernels();
}

SpgemmWorkspace::SpgemmWorkspace(unsigned numThreads) {
  // The largest packed A block of the kernel sets: BLOCK16's kMc rows in
  // whole 48-row panels by 1024 steps (144 x 1024), CSR's 128 rows by 1536
  // steps (AVX-512) or 32 by 6144 (AVX2); runSpgemm checks each call's.
  floatsPerThread_ = (kMc + 64) * kSpgemmMaxKc;
  size_t bytes = floatsPerThread_ * sizeof(float) * std::max(1u, numThreads);
  storage_.reset(static_cast<float *>(std::aligned_alloc(64, bytes)));
  if (!storage_)
    throw std::bad_alloc();
}

void tessera::runtime::runSpgemm(const tsr_spgemm_args_t &args,
                                 const SpgemmKernelSet &kernels,
                                 ThreadPool &pool,
                                 const SpgemmWorkspace &workspace) {
  if (args.batch <= 0 || args.m <= 0 || args.n <= 0 || args.k < 0 ||
      args.k > TSR_SPGEMM_MAX_K ||
      (args.format != TSR_SPGEMM_BLOCK16 && args.format != TSR_SPGEMM_CSR))
    return;
  if (args.k == 0) {
    fillWithoutProduct(args);
    return;
  }
  if (!args.a || !args.values || !args.indices || !args.offsets || !args.c)
    return;
  const bool blocks = args.format == TSR_SPGEMM_BLOCK16;
  // The packed A block of either format must fit a thread's workspace.
  const int64_t mr = blocks ? kernels.blockMr : kernels.csrMr;
  const int64_t kc = blocks ? kernels.blockKc : kernels.csrKc;
  const int64_t mc = blocks ? kMc : mr;
  if ((mc + mr - 1) / mr * mr * kc > workspace.floatsPerThread())
    return;
  // The work that runs: the stored elements times the rows.
  int64_t panels = (args.n + kB - 1) / kB;
  double stored = blocks ? double(args.offsets[panels]) * kB * kB
                         : double(args.offsets[args.n]);
  SpgemmJob job = {&args, &kernels, &workspace,
                   blocks ? kernels.blockMr : kernels.csrMr,
                   stored / (double(args.n) * double(args.k))};
  runGemmBlocks<SpgemmJob, runBlock>(pool, job, args.batch, args.m, args.n,
                                     std::max<int64_t>(1, stored / args.n),
                                     job.mr, kB, kMinParallelMacs);
}
