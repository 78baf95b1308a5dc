//===- Bgemm.cpp - bf16 GEMM driver and portable kernel -------------------===//
//
// Part of the Tessera runtime.
//
//===----------------------------------------------------------------------===//
//
// The loop nest of the int8 GEMM (Qgemm.cpp) without the quantization: for
// each block of rows of A, round them to bf16 and pack them into mr-row
// panels; for each block of columns (their bf16 weights stay in L2 next to
// the packed A block), sweep the micro-tiles. Each micro-tile runs the
// whole reduction in f32 registers and writes C once, biased and through
// the epilogue.
//
// Threads split each batch element along N or, when N is too narrow,
// along M (GemmPartition.h). When they split N, all of A is packed once
// first, its panels shared out among the threads, into a buffer they all
// read; otherwise each thread packs the rows it needs.
//
//===----------------------------------------------------------------------===//
#include "kernels/Bgemm.h"

#include "ThreadPool.h"
#include "kernels/Amx.h"
#include "kernels/BgemmKernels.h"
#include "kernels/GemmPartition.h"
#include "kernels/Qgemm.h"
#include "kernels/Sgemm.h"
#include "kernels/SgemmKernels.h"

#include "tessera/pack.h"

#include <algorithm>
#include <cmath>
#include <cstring>

using namespace tessera::runtime;

namespace {

/// Bytes of weights per column block (as the int8 GEMM's).
constexpr int64_t kNcBytes = 256 * 1024;
/// Below this many multiply-adds, waking another thread costs more than it
/// saves.
constexpr double kMinParallelMacs = 262144;

constexpr int64_t kGenericMr = 4;
constexpr int64_t kGenericNr = TSR_BGEMM_PANEL_WIDTH;

inline float bf16ToFloat(uint16_t v) {
  uint32_t u = uint32_t(v) << 16;
  float f;
  std::memcpy(&f, &u, sizeof(f));
  return f;
}

/// The portable tile: over the pairs in order, the even k then the odd
/// one, each a fused multiply-add in f32 (the products are exact).
void genericTile(const BgemmTile &t) {
  float acc[kGenericMr][kGenericNr] = {};
  const float *a = static_cast<const float *>(t.a);
  for (int64_t p = 0; p < t.kPairs; ++p) {
    const uint16_t *row = t.b + p * TSR_BGEMM_PANEL_WIDTH * 2;
    for (int64_t h = 0; h < 2; ++h) {
      const float *ak = a + (2 * p + h) * kGenericMr;
      for (int64_t i = 0; i < t.rows; ++i)
        for (int64_t j = 0; j < kGenericNr; ++j)
          acc[i][j] = std::fma(ak[i], bf16ToFloat(row[2 * j + h]), acc[i][j]);
    }
  }
  for (int64_t i = 0; i < t.rows; ++i)
    for (int64_t j = 0; j < t.cols; ++j) {
      float x = acc[i][j] + (t.bias ? t.bias[j] : 0.0f);
      t.c[i * t.ldc + j] = applySgemmEpilogue(x, t.epilogue);
    }
}

struct BgemmJob {
  const tsr_bgemm_args_t *args;
  const BgemmKernelSet *kernels;
  const QgemmWorkspace *workspace;
  int64_t kPadded;
  int64_t panelBytes; // of a packed A panel
  int64_t mcBlock;    // rows per A block, a multiple of mr
  int64_t ncBlock;    // columns per B block, a multiple of nr
  /// All of A, packed once for every thread; null when each thread packs
  /// the rows it needs.
  const uint8_t *sharedA = nullptr;
};

/// C[m0:m1, n0:n1] of batch element `batch`, on thread `thread`'s buffers.
void runBlock(const BgemmJob &job, const GemmBlock &block) {
  const auto [batch, m0, m1, n0, n1, thread] = block;
  const tsr_bgemm_args_t &args = *job.args;
  const BgemmKernelSet &kernels = *job.kernels;
  const int64_t mr = kernels.mr, nr = kernels.nr;
  const float *a = args.a + batch * args.a_batch_stride;
  float *c = args.c + batch * args.c_batch_stride;
  uint8_t *ownA = job.workspace->packedA(thread);
  const int64_t bPanel = job.kPadded * TSR_BGEMM_PANEL_WIDTH;

  BgemmTile tile = {};
  tile.ldc = args.c_row_stride;
  tile.epilogue = args.epilogue;
  tile.kPairs = job.kPadded / 2;
  tile.bPanelStride = bPanel;
  if (kernels.begin)
    kernels.begin();
  for (int64_t ic = m0; ic < m1; ic += job.mcBlock) {
    const int64_t mc = std::min(job.mcBlock, m1 - ic);
    const uint8_t *packedA = ownA;
    if (job.sharedA) // ic is a multiple of mr: a panel boundary
      packedA = job.sharedA + ic / mr * job.panelBytes;
    else
      kernels.packA(a + ic * args.a_row_stride, args.a_row_stride,
                    args.a_col_stride, mc, args.k, job.kPadded, mr, ownA);
    for (int64_t jc = n0; jc < n1; jc += job.ncBlock) {
      const int64_t nc = std::min(job.ncBlock, n1 - jc);
      for (int64_t ir = 0; ir < mc; ir += mr) {
        tile.rows = std::min(mr, mc - ir);
        tile.a = packedA + ir / mr * job.panelBytes;
        for (int64_t jr = 0; jr < nc; jr += nr) {
          const int64_t col = jc + jr; // A multiple of the panel width.
          tile.cols = std::min(nr, nc - jr);
          tile.b = args.b + col / TSR_BGEMM_PANEL_WIDTH * bPanel;
          tile.bias = args.bias ? args.bias + col : nullptr;
          tile.c = c + (ic + ir) * tile.ldc + col;
          kernels.tile(tile);
        }
      }
    }
  }
  if (kernels.end)
    kernels.end();
}

/// Packs all of A (batch element 0) into the workspace's shared buffer,
/// its row panels split among the threads.
void packSharedA(BgemmJob &job, ThreadPool &pool) {
  struct Pack {
    const BgemmJob *job;
    uint8_t *packed;
    static void run(void *arg, int64_t begin, int64_t end, unsigned) {
      const Pack &p = *static_cast<const Pack *>(arg);
      const BgemmJob &job = *p.job;
      const tsr_bgemm_args_t &args = *job.args;
      const int64_t mr = job.kernels->mr;
      int64_t r0 = begin * mr, r1 = std::min(end * mr, args.m);
      if (r0 < r1)
        job.kernels->packA(args.a + r0 * args.a_row_stride, args.a_row_stride,
                           args.a_col_stride, r1 - r0, args.k, job.kPadded,
                           mr, p.packed + begin * job.panelBytes);
    }
  };
  Pack pack = {&job, job.workspace->sharedA()};
  pool.parallelFor(ceilDiv(job.args->m, job.kernels->mr), Pack::run, &pack);
  job.sharedA = pack.packed;
}

/// C = epilogue(bias or 0) when the reduction is empty.
void fillWithoutProduct(const tsr_bgemm_args_t &args) {
  for (int64_t batch = 0; batch < args.batch; ++batch) {
    float *c = args.c + batch * args.c_batch_stride;
    for (int64_t i = 0; i < args.m; ++i)
      for (int64_t j = 0; j < args.n; ++j)
        c[i * args.c_row_stride + j] =
            applySgemmEpilogue(args.bias ? args.bias[j] : 0.0f, args.epilogue);
  }
}

} // namespace

float tessera::runtime::roundToBf16(float x) {
  return bf16ToFloat(tsr_f32_to_bf16(x));
}

void tessera::runtime::packBgemmAF32(const float *a, int64_t rowStride,
                                     int64_t colStride, int64_t rows,
                                     int64_t k, int64_t kPadded, int64_t mr,
                                     void *packed) {
  float *out = static_cast<float *>(packed);
  const int64_t paddedRows = ceilDiv(rows, mr) * mr;
  for (int64_t i = 0; i < paddedRows; ++i) {
    float *panel = out + (i / mr) * mr * kPadded;
    const float *row = a + i * rowStride;
    for (int64_t kk = 0; kk < kPadded; ++kk)
      panel[kk * mr + i % mr] =
          i < rows && kk < k ? roundToBf16(row[kk * colStride]) : 0.0f;
  }
}

void tessera::runtime::packBgemmABf16(const float *a, int64_t rowStride,
                                      int64_t colStride, int64_t rows,
                                      int64_t k, int64_t kPadded, int64_t mr,
                                      int64_t group, void *packed) {
  uint16_t *out = static_cast<uint16_t *>(packed);
  const int64_t paddedRows = ceilDiv(rows, mr) * mr;
  for (int64_t i = 0; i < paddedRows; ++i) {
    uint16_t *panel = out + (i / mr) * mr * kPadded;
    const float *row = a + i * rowStride;
    const int64_t r = i % mr;
    for (int64_t kk = 0; kk < kPadded; ++kk)
      panel[((kk / group) * mr + r) * group + kk % group] =
          i < rows && kk < k ? tsr_f32_to_bf16(row[kk * colStride]) : 0;
  }
}

const BgemmKernelSet &tessera::runtime::getGenericBgemmKernels() {
  static const BgemmKernelSet kernels = {
      "generic", kGenericMr, kGenericNr, genericTile, packBgemmAF32, 1, 4};
  return kernels;
}

const char *tessera::runtime::getBgemmIsaName(BgemmIsa isa) {
  switch (isa) {
  case BgemmIsa::Generic:
    return "generic";
  case BgemmIsa::Avx2:
    return "avx2";
  case BgemmIsa::Avx512:
    return "avx512";
  case BgemmIsa::Avx512Bf16:
    return "avx512-bf16";
  case BgemmIsa::Amx:
    return "amx";
  }
  return "unknown";
}

bool tessera::runtime::isBgemmIsaSupported(BgemmIsa isa) {
  switch (isa) {
  case BgemmIsa::Generic:
    return true;
#if defined(TESSERA_HAVE_X86_SGEMM_KERNELS)
  case BgemmIsa::Avx2:
    return isSgemmIsaSupported(SgemmIsa::Avx2);
  case BgemmIsa::Avx512:
    return isSgemmIsaSupported(SgemmIsa::Avx512);
  case BgemmIsa::Avx512Bf16:
    __builtin_cpu_init();
    return isSgemmIsaSupported(SgemmIsa::Avx512) &&
           __builtin_cpu_supports("avx512bf16");
  case BgemmIsa::Amx:
    return isBgemmIsaSupported(BgemmIsa::Avx512Bf16) &&
           isAmxUsable(AmxFeature::Bf16);
#else
  default:
    return false;
#endif
  }
  return false;
}

BgemmIsa tessera::runtime::getBestBgemmIsa() {
  if (isBgemmIsaSupported(BgemmIsa::Amx))
    return BgemmIsa::Amx;
#if defined(TESSERA_HAVE_X86_SGEMM_KERNELS)
  __builtin_cpu_init();
  if (__builtin_cpu_is("amd") && isBgemmIsaSupported(BgemmIsa::Avx512Bf16))
    return BgemmIsa::Avx512Bf16;
#endif
  for (BgemmIsa isa : {BgemmIsa::Avx512, BgemmIsa::Avx2})
    if (isBgemmIsaSupported(isa))
      return isa;
  return BgemmIsa::Generic;
}

const BgemmKernelSet &tessera::runtime::getBgemmKernels(BgemmIsa isa) {
  switch (isa) {
#if defined(TESSERA_HAVE_X86_SGEMM_KERNELS)
  case BgemmIsa::Avx2:
    return getAvx2BgemmKernels();
  case BgemmIsa::Avx512:
    return getAvx512BgemmKernels();
  case BgemmIsa::Avx512Bf16:
    return getAvx512Bf16BgemmKernels();
  case BgemmIsa::Amx:
    return getAmxBgemmKernels();
#endif
  default:
    return getGenericBgemmKernels();
  }
}

void tessera::runtime::runBgemm(const tsr_bgemm_args_t &args,
                                const BgemmKernelSet &kernels,
                                ThreadPool &pool,
                                const QgemmWorkspace &workspace) {
  if (args.batch <= 0 || args.m <= 0 || args.n <= 0 || args.k < 0 ||
      args.k > TSR_BGEMM_MAX_K || kernels.nr % TSR_BGEMM_PANEL_WIDTH != 0)
    return;
  if (args.k == 0) {
    fillWithoutProduct(args);
    return;
  }
  if (kernels.fallback &&
      (args.k % kernels.kMultiple != 0 || args.k > kernels.maxK ||
       args.m < kernels.minRows)) {
    runBgemm(args, *kernels.fallback, pool, workspace);
    return;
  }
  BgemmJob job = {&args, &kernels, &workspace, 0, 0, 0, 0};
  const int64_t step = std::max<int64_t>(2, kernels.aGroup);
  job.kPadded = ceilDiv(args.k, step) * step;
  job.panelBytes = kernels.mr * job.kPadded * kernels.aElementBytes;
  const int64_t rows = static_cast<int64_t>(QgemmWorkspace::kPackedABytes) /
                       (job.kPadded * kernels.aElementBytes);
  if (rows < kernels.mr)
    return; // K over what the set takes (maxK guards the real sets)
  job.mcBlock = std::min(rows, QgemmWorkspace::kMaxBlockRows) / kernels.mr *
                kernels.mr;
  // At least 4 micro-tiles per column block (see Qgemm.cpp).
  job.ncBlock = std::max(4 * kernels.nr, kNcBytes / (job.kPadded * 2) /
                                             kernels.nr * kernels.nr);

  // When the threads will split N, A is packed once, by all of them.
  const int64_t threads = pool.numThreads();
  const double macs =
      static_cast<double>(args.batch) * args.m * args.n * args.k;
  const int64_t panels = ceilDiv(args.m, kernels.mr);
  if (args.batch == 1 && threads > 1 && macs >= kMinParallelMacs &&
      !pool.inRegion() && // a task's GEMM: other tasks may run GEMMs too
      partitionGemm(1, args.m, args.n, threads, kernels.mr, kernels.nr)
              .nParts > 1 &&
      static_cast<size_t>(panels * job.panelBytes) <=
          QgemmWorkspace::kSharedABytes)
    packSharedA(job, pool);

  runGemmBlocks<BgemmJob, runBlock>(pool, job, args.batch, args.m, args.n,
                                    args.k, kernels.mr, kernels.nr,
                                    kMinParallelMacs);
}
