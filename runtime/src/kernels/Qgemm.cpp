//===- Qgemm.cpp - Int8 GEMM driver ---------------------------------------===//
//
// Part of the Tessera runtime.
//
//===----------------------------------------------------------------------===//
//
// Loop nest: for each block of mc rows of A, quantize the rows (one scale per
// row: max |a| / 127) and pack them into mr-row panels of 4-byte k groups;
// then for each block of nc columns (the int8 weights of the block, nc x K
// bytes, stay in L2 next to the packed A block), sweep the micro-tiles, A
// panel by A panel. Each micro-tile runs the whole reduction in int32
// registers (K <= 65536 cannot overflow them) and writes C once, scaled,
// biased and through the epilogue.
//
// Threads split each batch element into parts along N (each thread then
// reads its own share of the weights) or, when N is too narrow, along M.
// When they split N, all of A is quantized and packed once first, its
// panels shared out among the threads (packSharedA), into a buffer they
// all read; otherwise every thread packs the rows it needs itself. (With
// the AMX tiles the product got fast enough that each thread packing all
// of A cost 5-26% at 2 threads on BERT-base's shapes.)
//
//===----------------------------------------------------------------------===//
#include "kernels/Qgemm.h"

#include "ThreadPool.h"
#include "kernels/Amx.h"
#include "kernels/GemmPartition.h"
#include "kernels/QgemmKernels.h"
#include "kernels/Sgemm.h"
#include "kernels/SgemmKernels.h"

#include <algorithm>
#include <cmath>
#include <limits>
#if defined(__SSE__)
#include <xmmintrin.h>
#endif
#include <new>
#include <numeric>

using namespace tessera::runtime;

namespace {

/// Bytes of weights per column block: with K = 768, 336 columns (a multiple
/// of 16 and 48), 252 KiB, which share L2 with the packed A block.
constexpr int64_t kNcBytes = 256 * 1024;
/// Below this many multiply-adds, waking another thread costs more than it
/// saves.
constexpr double kMinParallelMacs = 262144;

struct QgemmJob {
  const tsr_qgemm_args_t *args;
  const QgemmKernelSet *kernels;
  const QgemmWorkspace *workspace;
  QgemmAQuant quant;
  float outScale; // the rows' scale for the affine schemes
  int64_t kGroups;
  int64_t mcBlock; // rows per A block, a multiple of mr
  int64_t ncBlock; // columns per B block, a multiple of nr
  /// All of A, packed once for every thread (packSharedA), with its row
  /// scales; null when each thread packs the rows it needs.
  const uint8_t *sharedA = nullptr;
  const float *sharedScales = nullptr;
};

/// C[m0:m1, n0:n1] of batch element `batch`, on thread `thread`'s buffers.
void runBlock(const QgemmJob &job, const GemmBlock &block) {
  const auto [batch, m0, m1, n0, n1, thread] = block;
  const tsr_qgemm_args_t &args = *job.args;
  const QgemmKernelSet &kernels = *job.kernels;
  const int64_t mr = kernels.mr, nr = kernels.nr, kGroups = job.kGroups;
  const float *a = args.a + batch * args.a_batch_stride;
  float *c = args.c + batch * args.c_batch_stride;
  uint8_t *ownA = job.workspace->packedA(thread);
  float *ownScales = job.workspace->rowScales(thread);
  const int64_t panelBytes = kGroups * TSR_QGEMM_PANEL_WIDTH * 4;

  QgemmTile tile = {};
  tile.ldc = args.c_row_stride;
  tile.epilogue = args.epilogue;
  tile.kGroups = kGroups;
  tile.bPanelStride = panelBytes;
  tile.aZero = job.quant.zero;
  if (kernels.begin)
    kernels.begin();
  for (int64_t ic = m0; ic < m1; ic += job.mcBlock) {
    const int64_t mc = std::min(job.mcBlock, m1 - ic);
    const uint8_t *packedA = ownA;
    const float *scales = ownScales;
    if (job.sharedA) { // ic is a multiple of mr: a panel boundary
      packedA = job.sharedA + ic * kGroups * 4;
      scales = job.sharedScales + ic;
    } else {
      kernels.packA(a + ic * args.a_row_stride, args.a_row_stride,
                    args.a_col_stride, mc, args.k, kGroups, mr,
                    kernels.groupBytes, job.quant, ownA, ownScales);
      if (!job.quant.perRow) // One scale for every row.
        std::fill_n(ownScales, mc, job.outScale);
    }
    for (int64_t jc = n0; jc < n1; jc += job.ncBlock) {
      const int64_t nc = std::min(job.ncBlock, n1 - jc);
      for (int64_t ir = 0; ir < mc; ir += mr) {
        tile.rows = std::min(mr, mc - ir);
        tile.a = packedA + ir * kGroups * 4; // Panel ir / mr.
        tile.aScale = scales + ir;
        for (int64_t jr = 0; jr < nc; jr += nr) {
          const int64_t col = jc + jr; // A multiple of the panel width.
          tile.cols = std::min(nr, nc - jr);
          tile.b = args.b + col / TSR_QGEMM_PANEL_WIDTH * panelBytes;
          tile.bScale = args.b_scale + col;
          tile.bSums = args.b_sums + col;
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
/// its row panels split among the threads, for calls whose threads split
/// N: each would otherwise quantize and pack every row itself.
void packSharedA(QgemmJob &job, ThreadPool &pool) {
  const tsr_qgemm_args_t &args = *job.args;
  struct Pack {
    const QgemmJob *job;
    uint8_t *packed;
    float *scales;
    static void run(void *arg, int64_t begin, int64_t end, unsigned) {
      const Pack &p = *static_cast<const Pack *>(arg);
      const QgemmJob &job = *p.job;
      const tsr_qgemm_args_t &args = *job.args;
      const QgemmKernelSet &kernels = *job.kernels;
      const int64_t mr = kernels.mr;
      int64_t r0 = begin * mr, r1 = std::min(end * mr, args.m);
      if (r0 >= r1)
        return;
      kernels.packA(args.a + r0 * args.a_row_stride, args.a_row_stride,
                    args.a_col_stride, r1 - r0, args.k, job.kGroups, mr,
                    kernels.groupBytes, job.quant,
                    p.packed + r0 * job.kGroups * 4, p.scales + r0);
      if (!job.quant.perRow)
        std::fill(p.scales + r0, p.scales + r1, job.outScale);
    }
  };
  Pack pack = {&job, job.workspace->sharedA(), job.workspace->sharedScales()};
  pool.parallelFor(ceilDiv(args.m, job.kernels->mr), Pack::run, &pack);
  job.sharedA = pack.packed;
  job.sharedScales = pack.scales;
}

/// C = epilogue(bias or 0) when the reduction is empty (the packed weights
/// of a K = 0 matrix have no bytes to read).
void fillWithoutProduct(const tsr_qgemm_args_t &args) {
  for (int64_t batch = 0; batch < args.batch; ++batch) {
    float *c = args.c + batch * args.c_batch_stride;
    for (int64_t i = 0; i < args.m; ++i)
      for (int64_t j = 0; j < args.n; ++j)
        c[i * args.c_row_stride + j] =
            applySgemmEpilogue(args.bias ? args.bias[j] : 0.0f, args.epilogue);
  }
}

/// The smallest and largest values of A over the whole call (NaN skipped),
/// for TSR_QGEMM_A_DYNAMIC; both 0 when A is empty.
void findMinMax(const tsr_qgemm_args_t &args, const QgemmKernelSet &kernels,
                float &lo, float &hi) {
  float mn = std::numeric_limits<float>::infinity(), mx = -mn;
  for (int64_t batch = 0; batch < args.batch; ++batch)
    for (int64_t i = 0; i < args.m; ++i) {
      const float *row =
          args.a + batch * args.a_batch_stride + i * args.a_row_stride;
      if (args.a_col_stride == 1) {
        kernels.minMax(row, args.k, mn, mx);
        continue;
      }
      for (int64_t kk = 0; kk < args.k; ++kk) {
        float x = row[kk * args.a_col_stride];
        mn = x < mn ? x : mn;
        mx = x > mx ? x : mx;
      }
    }
  lo = mn <= mx ? mn : 0.0f;
  hi = mn <= mx ? mx : 0.0f;
}

} // namespace

void tessera::runtime::finishQgemmTile(const QgemmTile &tile,
                                       const int32_t *sums,
                                       int64_t sumsStride) {
  for (int64_t i = 0; i < tile.rows; ++i)
    for (int64_t j = 0; j < tile.cols; ++j) {
      float x = tile.aScale[i] * tile.bScale[j] *
                static_cast<float>(sums[i * sumsStride + j] -
                                   tile.aZero * tile.bSums[j]);
      if (tile.bias)
        x += tile.bias[j];
      tile.c[i * tile.ldc + j] = applySgemmEpilogue(x, tile.epilogue);
    }
}

void tessera::runtime::qgemmMinMax(const float *x, int64_t n, float &lo,
                                   float &hi) {
  int64_t i = 0;
#if defined(__SSE__)
  // 4 lanes at a time: minps/maxps return their second operand when the
  // first is NaN, as the scalar code below.
  __m128 vlo = _mm_set1_ps(lo), vhi = _mm_set1_ps(hi);
  for (; i + 4 <= n; i += 4) {
    __m128 v = _mm_loadu_ps(x + i);
    vlo = _mm_min_ps(v, vlo);
    vhi = _mm_max_ps(v, vhi);
  }
  alignas(16) float l[4], h[4];
  _mm_store_ps(l, vlo);
  _mm_store_ps(h, vhi);
  for (int j = 0; j < 4; ++j) {
    lo = l[j] < lo ? l[j] : lo;
    hi = h[j] > hi ? h[j] : hi;
  }
#endif
  for (; i < n; ++i) {
    lo = x[i] < lo ? x[i] : lo;
    hi = x[i] > hi ? x[i] : hi;
  }
}

void tessera::runtime::qgemmRowScale(float amax, float &scale,
                                     float &inverse) {
  scale = amax / 127.0f;
  inverse = scale > 0.0f && std::isfinite(1.0f / scale) ? 1.0f / scale : 0.0f;
}

void tessera::runtime::packQgemmARows(const float *a, int64_t rowStride,
                                      int64_t colStride, int64_t rows,
                                      int64_t k, int64_t kGroups, int64_t mr,
                                      int64_t groupBytes,
                                      const QgemmAQuant &quant,
                                      uint8_t *packed, float *scales) {
  const uint8_t zero = static_cast<uint8_t>(quant.zero);
  const int64_t g = groupBytes;
  for (int64_t i = 0; i < rows; ++i) {
    const float *row = a + i * rowStride;
    uint8_t *panel = packed + (i / mr) * kGroups * mr * 4;
    int64_t r = i % mr;
    auto at = [&](int64_t kk) {
      float x = row[kk * colStride];
      return quant.smooth ? x * quant.smooth[kk] : x;
    };
    if (!quant.perRow) {
      for (int64_t kk = 0; kk < k; ++kk)
        panel[packedAOffset(kk, r, mr, g)] =
            quantizeAffineToU8(at(kk), quant.scale, quant.zero);
      for (int64_t kk = k; kk < kGroups * 4; ++kk)
        panel[packedAOffset(kk, r, mr, g)] = zero;
      continue;
    }
    float amax = 0.0f;
    for (int64_t kk = 0; kk < k; ++kk)
      amax = std::max(amax, std::fabs(at(kk)));
    float inv;
    qgemmRowScale(amax, scales[i], inv);
    for (int64_t kk = 0; kk < k; ++kk)
      panel[packedAOffset(kk, r, mr, g)] = quantizeToU8(at(kk), inv);
    for (int64_t kk = k; kk < kGroups * 4; ++kk)
      panel[packedAOffset(kk, r, mr, g)] = 128;
  }
  // The rows that pad the last panel to mr hold zeros.
  for (int64_t i = rows; i < (rows + mr - 1) / mr * mr; ++i) {
    uint8_t *panel = packed + (i / mr) * kGroups * mr * 4;
    for (int64_t kk = 0; kk < kGroups * 4; ++kk)
      panel[packedAOffset(kk, i % mr, mr, g)] = zero;
  }
}

uint8_t tessera::runtime::quantizeAffineToU8(float x, float scale,
                                             int32_t zero) {
  // As onnxruntime's QuantizeLinear: a division (not a multiplication by
  // the inverse), clamped to the range the zero point leaves, then rounded
  // half to even; NaN goes to the low end.
  float q = x / scale;
  float lo = static_cast<float>(-zero), hi = static_cast<float>(255 - zero);
  q = q >= lo ? q : lo; // NaN too
  q = std::min(q, hi);
  return static_cast<uint8_t>(static_cast<int32_t>(std::nearbyint(q)) + zero);
}

void tessera::runtime::dynamicQuantParams(float lo, float hi, float &scale,
                                          int32_t &zero) {
  lo = std::min(lo, 0.0f);
  hi = std::max(hi, 0.0f);
  scale = hi == lo ? 1.0f : (hi - lo) / 255.0f;
  float z = std::min(255.0f, std::max(0.0f, 0.0f - lo / scale));
  zero = static_cast<int32_t>(std::nearbyint(z));
}

uint8_t tessera::runtime::quantizeToU8(float x, float invScale) {
  // nearbyint rounds half to even in the default rounding mode; NaN and
  // values past the range clamp (NaN to 0).
  float q = std::nearbyint(x * invScale);
  if (!(q >= -127.0f))
    q = std::isnan(q) ? 0.0f : -127.0f;
  if (q > 127.0f)
    q = 127.0f;
  return static_cast<uint8_t>(static_cast<int32_t>(q) + 128);
}

const char *tessera::runtime::getQgemmIsaName(QgemmIsa isa) {
  switch (isa) {
  case QgemmIsa::Generic:
    return "generic";
  case QgemmIsa::Avx2:
    return "avx2";
  case QgemmIsa::Avx512Vnni:
    return "avx512-vnni";
  case QgemmIsa::Amx:
    return "amx";
  }
  return "unknown";
}

bool tessera::runtime::isQgemmIsaSupported(QgemmIsa isa) {
  switch (isa) {
  case QgemmIsa::Generic:
    return true;
#if defined(TESSERA_HAVE_X86_SGEMM_KERNELS)
  // The SGEMM kernels' ISAs (same compile flags), VNNI on top for AVX-512.
  case QgemmIsa::Avx2:
    return isSgemmIsaSupported(SgemmIsa::Avx2);
  case QgemmIsa::Avx512Vnni:
    __builtin_cpu_init();
    return isSgemmIsaSupported(SgemmIsa::Avx512) &&
           __builtin_cpu_supports("avx512vnni");
  case QgemmIsa::Amx:
    return isQgemmIsaSupported(QgemmIsa::Avx512Vnni) && isAmxUsable(AmxFeature::Int8);
#else
  default:
    return false;
#endif
  }
  return false;
}

QgemmIsa tessera::runtime::getBestQgemmIsa() {
  for (QgemmIsa isa : {QgemmIsa::Amx, QgemmIsa::Avx512Vnni, QgemmIsa::Avx2})
    if (isQgemmIsaSupported(isa))
      return isa;
  return QgemmIsa::Generic;
}

const QgemmKernelSet &tessera::runtime::getQgemmKernels(QgemmIsa isa) {
  switch (isa) {
#if defined(TESSERA_HAVE_X86_SGEMM_KERNELS)
  case QgemmIsa::Avx512Vnni:
    return getAvx512VnniQgemmKernels();
  case QgemmIsa::Amx:
    return getAmxQgemmKernels();
  case QgemmIsa::Avx2:
    return getAvx2QgemmKernels();
#endif
  default:
    return getGenericQgemmKernels();
  }
}

QgemmWorkspace::QgemmWorkspace(unsigned numThreads) {
  // Whole cache lines per thread, so that threads never share a line.
  bytesPerThread_ =
      (kPackedABytes + kMaxBlockRows * sizeof(float) + 63) / 64 * 64;
  size_t bytes = bytesPerThread_ * std::max(1u, numThreads);
  storage_.reset(static_cast<uint8_t *>(std::aligned_alloc(64, bytes)));
  if (!storage_)
    throw std::bad_alloc();
  if (numThreads > 1) {
    shared_.reset(static_cast<uint8_t *>(std::aligned_alloc(
        64, kSharedABytes + kSharedMaxRows * sizeof(float))));
    if (!shared_)
      throw std::bad_alloc();
  }
}

void tessera::runtime::runQgemm(const tsr_qgemm_args_t &args,
                                const QgemmKernelSet &kernels, ThreadPool &pool,
                                const QgemmWorkspace &workspace) {
  if (args.batch <= 0 || args.m <= 0 || args.n <= 0 || args.k < 0 ||
      args.k > TSR_QGEMM_MAX_K || kernels.mr > QgemmWorkspace::kMaxMr ||
      kernels.nr % TSR_QGEMM_PANEL_WIDTH != 0)
    return;
  if (args.k == 0) {
    fillWithoutProduct(args);
    return;
  }
  if (kernels.fallback &&
      (args.k % kernels.groupBytes != 0 || args.k > kernels.maxK ||
       args.m < kernels.minRows)) {
    runQgemm(args, *kernels.fallback, pool, workspace);
    return;
  }
  QgemmJob job = {&args, &kernels, &workspace, QgemmAQuant(), 1.0f, 0, 0, 0};
  job.quant.smooth = args.a_smooth;
  if (args.a_quant == TSR_QGEMM_A_STATIC) {
    if (!(args.a_scale > 0.0f) || args.a_zero_point < 0 ||
        args.a_zero_point > 255)
      return; // The compiler checks both; nonsense computes nothing.
    job.quant = {false, args.a_scale, args.a_zero_point, args.a_smooth};
  } else if (args.a_quant == TSR_QGEMM_A_DYNAMIC) {
    float lo = 0.0f, hi = 0.0f;
    findMinMax(args, kernels, lo, hi);
    dynamicQuantParams(lo, hi, job.quant.scale, job.quant.zero);
    job.quant.perRow = false;
    job.quant.smooth = nullptr; // a_smooth is for the other two schemes
    job.outScale = job.quant.scale;
  }
  job.kGroups = ceilDiv(args.k, 4);
  // As many rows as the workspace holds (at least mr: K <= 65536).
  int64_t rows = static_cast<int64_t>(QgemmWorkspace::kPackedABytes) /
                 (job.kGroups * 4);
  job.mcBlock = std::max(kernels.mr, std::min(rows, QgemmWorkspace::kMaxBlockRows) /
                                         kernels.mr * kernels.mr);
  // At least 4 micro-tiles per column block: the packed A block is swept
  // once per block, and long reductions (K = 3072) would otherwise leave a
  // single tile of columns.
  job.ncBlock = std::max(4 * kernels.nr, kNcBytes / (job.kGroups * 4) /
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
      static_cast<size_t>(panels * kernels.mr * job.kGroups * 4) <=
          QgemmWorkspace::kSharedABytes &&
      args.m <= QgemmWorkspace::kSharedMaxRows)
    packSharedA(job, pool);

  // Whole micro-tiles per part, so that every tile starts on a panel.
  runGemmBlocks<QgemmJob, runBlock>(pool, job, args.batch, args.m, args.n,
                                    args.k, kernels.mr, kernels.nr,
                                    kMinParallelMacs);
}
