//===- W4gemm.cpp - GEMM with 4-bit weights: driver and portable kernel ---===//
//
// Part of the Tessera runtime.
//
//===----------------------------------------------------------------------===//
//
// Loop nest: threads split each batch element along N (whole micro-tiles;
// each thread streams its own share of the weights, which is what decode
// is bound by) or, when N is narrow, along M. Within a part, micro-tiles
// sweep the rows for each block of columns, so a block's weights stay in
// cache while every row uses them. The portable kernel defines the
// arithmetic the vector ones repeat exactly: w = fma(q, s, -z * s), then
// acc = fma(a, w, acc) over k in order.
//
//===----------------------------------------------------------------------===//
#include "kernels/W4gemm.h"

#include "kernels/GemmPartition.h"
#include "kernels/Sgemm.h"
#include "kernels/SgemmKernels.h"

#include "tessera/pack.h"

#include <algorithm>
#include <cmath>

using namespace tessera::runtime;

namespace {

constexpr int64_t kGenericMr = 4;
constexpr int64_t kGenericNr = TSR_W4GEMM_PANEL_WIDTH;
/// Below this many multiply-adds, waking another thread costs more than it
/// saves.
constexpr double kMinParallelMacs = 262144;

/// Group parameter i of `params` (f32, or a half widened exactly).
float param(const void *params, int64_t i, bool f16) {
  return f16 ? tsr_f16_to_f32(static_cast<const uint16_t *>(params)[i])
             : static_cast<const float *>(params)[i];
}

void genericTile(const W4gemmTile &t) {
  float acc[kGenericMr][kGenericNr] = {};
  float w[kGenericNr];
  for (int64_t kk = 0; kk < t.k; ++kk) {
    int64_t g = kk / t.group;
    const uint8_t *row = t.b + (kk / 2) * TSR_W4GEMM_PANEL_WIDTH;
    for (int64_t j = 0; j < kGenericNr; ++j) {
      float q = static_cast<float>(kk % 2 ? row[j] >> 4 : row[j] & 15);
      float s = param(t.scale, g * TSR_W4GEMM_PANEL_WIDTH + j, t.paramsF16);
      float z = t.zero ? param(t.zero, g * TSR_W4GEMM_PANEL_WIDTH + j,
                               t.paramsF16)
                       : 8.0f;
      w[j] = std::fma(q, s, -(z * s));
    }
    for (int64_t i = 0; i < t.rows; ++i) {
      float a = t.a[i * t.aRowStride + kk * t.aColStride];
      for (int64_t j = 0; j < kGenericNr; ++j)
        acc[i][j] = std::fma(a, w[j], acc[i][j]);
    }
  }
  for (int64_t i = 0; i < t.rows; ++i)
    for (int64_t j = 0; j < t.cols; ++j) {
      float x = acc[i][j] + (t.bias ? t.bias[j] : 0.0f);
      t.c[i * t.ldc + j] = applySgemmEpilogue(x, t.epilogue);
    }
}

struct W4gemmJob {
  const tsr_w4gemm_args_t *args;
  const W4gemmKernelSet *kernels;
};

/// Columns per block: the weights of this many columns (K / 2 bytes each)
/// stay in L2 while every row block of A meets them.
constexpr int64_t kNcBytes = 256 * 1024;

void runBlock(const W4gemmJob &job, const GemmBlock &block) {
  const auto [batch, m0, m1, n0, n1, thread] = block;
  (void)thread;
  const tsr_w4gemm_args_t &args = *job.args;
  const W4gemmKernelSet &kernels = *job.kernels;
  const int64_t panelParams = args.k / args.group * TSR_W4GEMM_PANEL_WIDTH;
  const int64_t panelBytes = args.k / 2 * TSR_W4GEMM_PANEL_WIDTH;
  const int64_t nc = std::max(
      kernels.nr, kNcBytes / std::max<int64_t>(1, args.k / 2) / kernels.nr *
                      kernels.nr);
  W4gemmTile t = {};
  t.aRowStride = args.a_row_stride;
  t.aColStride = args.a_col_stride;
  t.k = args.k;
  t.group = args.group;
  t.ldc = args.c_row_stride;
  t.epilogue = args.epilogue;
  t.paramsF16 = args.params_f16 != 0;
  const int64_t paramBytes = t.paramsF16 ? 2 : 4;
  const auto *scales = static_cast<const char *>(args.b_scale);
  const auto *zeros = static_cast<const char *>(args.b_zero);
  const float *a = args.a + batch * args.a_batch_stride;
  float *c = args.c + batch * args.c_batch_stride;
  for (int64_t jc = n0; jc < n1; jc += nc) {
    int64_t jcEnd = std::min(n1, jc + nc);
    for (int64_t i = m0; i < m1; i += kernels.mr) {
      t.rows = std::min(kernels.mr, m1 - i);
      t.a = a + i * args.a_row_stride;
      for (int64_t j = jc; j < jcEnd; j += kernels.nr) {
        t.cols = std::min(kernels.nr, jcEnd - j);
        t.b = args.b + j / TSR_W4GEMM_PANEL_WIDTH * panelBytes;
        const int64_t offset =
            j / TSR_W4GEMM_PANEL_WIDTH * panelParams * paramBytes;
        t.scale = scales + offset;
        t.zero = zeros ? zeros + offset : nullptr;
        t.bias = args.bias ? args.bias + j : nullptr;
        t.c = c + i * args.c_row_stride + j;
        kernels.tile(t);
      }
    }
  }
}

} // namespace

const W4gemmKernelSet &tessera::runtime::getGenericW4gemmKernels() {
  static const W4gemmKernelSet kernels = {"generic", kGenericMr, kGenericNr,
                                          genericTile};
  return kernels;
}

const char *tessera::runtime::getW4gemmIsaName(W4gemmIsa isa) {
  return isa == W4gemmIsa::Avx512 ? "avx512" : "generic";
}

bool tessera::runtime::isW4gemmIsaSupported(W4gemmIsa isa) {
  if (isa == W4gemmIsa::Generic)
    return true;
#if defined(TESSERA_HAVE_X86_SGEMM_KERNELS)
  return isSgemmIsaSupported(SgemmIsa::Avx512);
#else
  return false;
#endif
}

W4gemmIsa tessera::runtime::getBestW4gemmIsa() {
  return isW4gemmIsaSupported(W4gemmIsa::Avx512) ? W4gemmIsa::Avx512
                                                 : W4gemmIsa::Generic;
}

const W4gemmKernelSet &tessera::runtime::getW4gemmKernels(W4gemmIsa isa) {
#if defined(TESSERA_HAVE_X86_SGEMM_KERNELS)
  if (isa == W4gemmIsa::Avx512)
    return getAvx512W4gemmKernels();
#endif
  return getGenericW4gemmKernels();
}

void tessera::runtime::runW4gemm(const tsr_w4gemm_args_t &args,
                                 const W4gemmKernelSet &kernels,
                                 ThreadPool &pool) {
  if (args.batch <= 0 || args.m <= 0 || args.n <= 0 || args.k < 0 ||
      args.group <= 0 || args.group % 2 != 0 || args.k % args.group != 0 ||
      (args.params_f16 != 0 && args.params_f16 != 1) ||
      kernels.nr % TSR_W4GEMM_PANEL_WIDTH != 0)
    return;
  W4gemmJob job = {&args, &kernels};
  runGemmBlocks<W4gemmJob, runBlock>(pool, job, args.batch, args.m, args.n,
                                     args.k, kernels.mr, kernels.nr,
                                     kMinParallelMacs);
}
