//===- attention_bench.cpp - Throughput of the runtime's attention --------===//
//
// Part of the Tessera benchmarks.
//
//===----------------------------------------------------------------------===//
//
// Measures GFLOP/s (4 s t d per head; half of it under causal) of the
// runtime's fused tsr_attention_args_t implementation on BERT-like shapes
// (d = 64, 12 heads), a long single head, decoding (s = 1) with and without
// grouped-query heads, on 1 and 2 threads; next to it the same attention
// unfused: the runtime's SGEMM for S = Q K^T, a row softmax (vectorized exp,
// parallel over rows), SGEMM for O = P V, which also materializes the s x t
// scores. "gemms" is the two SGEMMs alone (a bound for any unfused version).
// Goes through the same tsr_kernel_context_t that generated code uses.
//
//   tessera-attention-bench [--isa=generic|avx2|avx512] [--seconds=S]
//                           [--threads=T] [--no-unfused]
//                           [--shape=BxHxKVxSxTxD[,causal]]...
//   tessera-attention-bench --window-sweep=W [--threads=T] [--seconds=S]
//
// --window-sweep: sliding-window attention (Mistral's: causal, the last W
// keys) against full causal attention at sequence lengths 2k, 4k, 8k and
// 16k (8 query heads over 2 kv heads, d = 128, as a Mistral layer's
// attention cut to 8 heads), one after the other on the same operands;
// prints both times, their ratio, the windowed time per token (flat when
// the time is linear in the length) and the memory the kernel touches
// (operands, linear; its scratch, constant: no s x t score matrix).
//
//===----------------------------------------------------------------------===//
#include "BenchSupport.h"
#include "KernelRuntime.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

using namespace tessera::bench;
using namespace tessera::runtime;

namespace {

struct Shape {
  int64_t batch, heads, kvHeads, s, t, d;
  bool causal;
};

struct Options : CommonOptions {
  bool unfused = true;
  std::vector<Shape> shapes;
  int64_t windowSweep = 0; // --window-sweep=W
};

/// Row-major batched C = A B, A [batch, m, k], B [batch, k, n] or, when
/// `bTransposed`, stored [batch, n, k] (as K in Q K^T), C [batch, m, n].
tsr_sgemm_args_t denseSgemm(const float *a, const float *b, float *c,
                            int64_t batch, int64_t m, int64_t n, int64_t k,
                            bool bTransposed) {
  tsr_sgemm_args_t args = {};
  args.a = a;
  args.b = b;
  args.c = c;
  args.batch = batch;
  args.m = m;
  args.n = n;
  args.k = k;
  args.a_batch_stride = m * k;
  args.a_row_stride = k;
  args.a_col_stride = 1;
  args.b_batch_stride = k * n;
  args.b_row_stride = bTransposed ? 1 : n;
  args.b_col_stride = bTransposed ? k : 1;
  args.c_batch_stride = m * n;
  args.c_row_stride = n;
  return args;
}

struct SoftmaxTask {
  float *scores;
  int64_t s, t;
  bool causal;
};

/// Row softmax of [rows, t] scores in place (causal: row i % s sees keys
/// j <= i % s + t - s).
void softmaxRows(void *arg, int64_t begin, int64_t end) {
  const SoftmaxTask &task = *static_cast<const SoftmaxTask *>(arg);
  for (int64_t row = begin; row < end; ++row) {
    float *x = task.scores + row * task.t;
    int64_t visible =
        task.causal ? std::min(task.t, row % task.s + task.t - task.s + 1)
                    : task.t;
    float maxValue = -INFINITY;
    for (int64_t j = 0; j < visible; ++j)
      maxValue = std::max(maxValue, x[j]);
    float sum = 0;
    for (int64_t j = 0; j < visible; ++j) {
      x[j] = std::exp(x[j] - maxValue);
      sum += x[j];
    }
    float inverse = 1.0f / sum;
    for (int64_t j = 0; j < visible; ++j)
      x[j] *= inverse;
    for (int64_t j = visible; j < task.t; ++j)
      x[j] = 0;
  }
}

struct Result {
  double fused, unfused, gemms;
};

Result measure(KernelRuntime &runtime, const Shape &shape,
               const Options &options) {
  const int64_t b = shape.batch, h = shape.heads, kvh = shape.kvHeads,
                s = shape.s, t = shape.t, d = shape.d;
  std::vector<float> q = randomVector(b * h * s * d, 1);
  std::vector<float> k = randomVector(b * kvh * t * d, 2);
  std::vector<float> v = randomVector(b * kvh * t * d, 3);
  std::vector<float> o(b * h * s * d);

  tsr_attention_args_t args = {};
  args.q = q.data();
  args.k = k.data();
  args.v = v.data();
  args.o = o.data();
  args.batch = b;
  args.heads = h;
  args.kv_heads = kvh;
  args.s = s;
  args.t = t;
  args.d = args.dv = d;
  const int64_t qStrides[4] = {h * s * d, s * d, d, 1};
  const int64_t kStrides[4] = {kvh * t * d, t * d, d, 1};
  std::copy(qStrides, qStrides + 4, args.q_strides);
  std::copy(qStrides, qStrides + 4, args.o_strides);
  std::copy(kStrides, kStrides + 4, args.k_strides);
  std::copy(kStrides, kStrides + 4, args.v_strides);
  args.scale = 1.0 / std::sqrt(double(d));
  args.causal = shape.causal;

  double flops = 4.0 * b * h * s * t * d * (shape.causal ? 0.5 : 1.0);
  tsr_kernel_context_t *context = runtime.context();
  Result result = {};
  result.fused =
      flops / bestSeconds([&] { context->attention(context->runtime, &args); },
                          options.seconds) *
      1e-9;
  if (!options.unfused || kvh != h)
    return result;

  // Unfused: S = scale Q K^T (per head), softmax, O = P V.
  std::vector<float> scores(b * h * s * t);
  tsr_sgemm_args_t qk = denseSgemm(q.data(), k.data(), scores.data(), b * h, s,
                                   t, d, /*bTransposed=*/true);
  tsr_sgemm_args_t pv = denseSgemm(scores.data(), v.data(), o.data(), b * h, s,
                                   d, t, /*bTransposed=*/false);
  SoftmaxTask softmax = {scores.data(), s, t, shape.causal};
  // (The 1/sqrt(d) scale would be folded into Q or the softmax; omitted.)
  auto gemms = [&] {
    context->sgemm(context->runtime, &qk);
    context->sgemm(context->runtime, &pv);
  };
  result.gemms = flops / bestSeconds(gemms, options.seconds) * 1e-9;
  result.unfused = flops /
                   bestSeconds(
                       [&] {
                         context->sgemm(context->runtime, &qk);
                         context->parallel_for(context->runtime, b * h * s,
                                               softmaxRows, &softmax);
                         context->sgemm(context->runtime, &pv);
                       },
                       options.seconds) *
                   1e-9;
  return result;
}

/// --window-sweep: windowed against full causal attention over lengths.
void windowSweep(const Options &options) {
  const int64_t heads = 8, kvHeads = 2, d = 128, window = options.windowSweep;
  std::printf("sliding window %lld vs full causal attention, %lld/%lld heads, "
              "d %lld, best of runs filling %.1f s\n",
              (long long)window, (long long)heads, (long long)kvHeads,
              (long long)d, options.seconds);
  std::printf("%6s %3s %12s %12s %8s %14s %12s %10s\n", "seq", "thr",
              "causal ms", "window ms", "ratio", "window us/tok", "operands MB",
              "scratch KB");
  std::vector<unsigned> counts = threadCounts(options.maxThreads);
  auto runtimes = makeRuntimes(counts, options.isa);
  for (int64_t n : {2048, 4096, 8192, 16384}) {
    std::vector<float> q = randomVector(heads * n * d, 1);
    std::vector<float> k = randomVector(kvHeads * n * d, 2);
    std::vector<float> v = randomVector(kvHeads * n * d, 3);
    std::vector<float> o(heads * n * d);
    tsr_attention_args_t args = {};
    args.q = q.data();
    args.k = k.data();
    args.v = v.data();
    args.o = o.data();
    args.batch = 1;
    args.heads = heads;
    args.kv_heads = kvHeads;
    args.s = args.t = n;
    args.d = args.dv = d;
    const int64_t qStrides[4] = {heads * n * d, n * d, d, 1};
    const int64_t kStrides[4] = {kvHeads * n * d, n * d, d, 1};
    std::copy(qStrides, qStrides + 4, args.q_strides);
    std::copy(qStrides, qStrides + 4, args.o_strides);
    std::copy(kStrides, kStrides + 4, args.k_strides);
    std::copy(kStrides, kStrides + 4, args.v_strides);
    args.scale = 1.0 / std::sqrt(double(d));
    args.causal = 1;
    double operandMb =
        double(q.size() + k.size() + v.size() + o.size()) * 4 / 1e6;
    for (size_t i = 0; i < counts.size(); ++i) {
      tsr_kernel_context_t *context = runtimes[i]->context();
      args.window = 0;
      double full = bestSeconds(
          [&] { context->attention(context->runtime, &args); },
          options.seconds);
      args.window = window;
      double windowed = bestSeconds(
          [&] { context->attention(context->runtime, &args); },
          options.seconds);
      std::printf("%6lld %3u %12.2f %12.2f %8.3f %14.3f %12.1f %10.1f\n",
                  (long long)n, counts[i], full * 1e3, windowed * 1e3,
                  windowed / full, windowed * 1e6 / double(n), operandMb,
                  runtimes[i]->attentionWorkspaceBytes() / 1024.0);
      std::fflush(stdout);
    }
  }
}

/// Parses the flags of this benchmark alone (see parseArguments).
ArgStatus parseOwnOption(const std::string &arg, Options &options) {
  if (arg == "--no-unfused") {
    options.unfused = false;
    return ArgStatus::Parsed;
  }
  if (arg.rfind("--window-sweep=", 0) == 0) {
    options.windowSweep = std::atoll(arg.c_str() + 15);
    if (options.windowSweep <= 0) {
      std::fprintf(stderr, "bad window '%s'\n", arg.c_str() + 15);
      return ArgStatus::Invalid;
    }
    return ArgStatus::Parsed;
  }
  if (arg.rfind("--shape=", 0) == 0) {
    long long b, h, kv, s, t, d;
    char flag[16] = "";
    if (std::sscanf(arg.c_str() + 8, "%lldx%lldx%lldx%lldx%lldx%lld,%15s", &b,
                    &h, &kv, &s, &t, &d, flag) < 6) {
      std::fprintf(stderr, "bad shape '%s'\n", arg.c_str() + 8);
      return ArgStatus::Invalid;
    }
    options.shapes.push_back(
        {b, h, kv, s, t, d, std::string(flag) == "causal"});
    return ArgStatus::Parsed;
  }
  return ArgStatus::Unknown;
}

} // namespace

int main(int argc, char **argv) {
  Options options;
  if (!parseArguments(argc, argv, options, [&](const std::string &arg) {
        return parseOwnOption(arg, options);
      }))
    return 2;
  if (options.windowSweep > 0) {
    windowSweep(options);
    return 0;
  }
  std::printf("isa=%s (GFLOP/s = 4 s t d per head / best time; fused | "
              "unfused GEMM+softmax+GEMM | the two GEMMs alone)\n",
              getSgemmIsaName(options.isa));
  if (options.shapes.empty())
    options.shapes = {
        {1, 12, 12, 128, 128, 64, false},   {1, 12, 12, 384, 384, 64, false},
        {1, 12, 12, 1024, 1024, 64, false}, {1, 1, 1, 4096, 4096, 64, false},
        {1, 12, 12, 1024, 1024, 64, true},  {8, 12, 12, 128, 128, 64, false},
        {1, 12, 12, 1, 1024, 64, false},    {1, 8, 2, 1, 1024, 64, false},
        {1, 8, 2, 128, 128, 64, true},
    };

  std::vector<unsigned> counts = threadCounts(options.maxThreads);
  std::vector<std::unique_ptr<KernelRuntime>> runtimes =
      makeRuntimes(counts, options.isa);

  std::printf("%-34s", "shape (b x h/kv x s x t x d)");
  for (unsigned t : counts)
    std::printf("  %2u thr: fused unfus. gemms", t);
  std::printf("\n");
  for (const Shape &shape : options.shapes) {
    char name[80];
    std::snprintf(name, sizeof(name), "%lld x %lld/%lld x %lld x %lld x %lld%s",
                  (long long)shape.batch, (long long)shape.heads,
                  (long long)shape.kvHeads, (long long)shape.s,
                  (long long)shape.t, (long long)shape.d,
                  shape.causal ? " causal" : "");
    std::printf("%-34s", name);
    for (auto &runtime : runtimes) {
      Result r = measure(*runtime, shape, options);
      if (r.unfused > 0)
        std::printf("        %6.1f %6.1f %6.1f", r.fused, r.unfused, r.gemms);
      else
        std::printf("        %6.1f      -      -", r.fused);
    }
    std::printf("\n");
    std::fflush(stdout);
  }
  return 0;
}
