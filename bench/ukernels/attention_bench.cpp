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
//
//===----------------------------------------------------------------------===//
#include "KernelRuntime.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <memory>
#include <random>
#include <string>
#include <vector>

using namespace tessera::runtime;

namespace {

struct Shape {
  int64_t batch, heads, kvHeads, s, t, d;
  bool causal;
};

struct Options {
  SgemmIsa isa;
  double seconds = 0.3;
  unsigned maxThreads = 2;
  bool unfused = true;
  std::vector<Shape> shapes;
};

std::vector<float> randomVector(size_t size, unsigned seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  std::vector<float> values(size);
  for (float &v : values)
    v = dist(rng);
  return values;
}

/// Best seconds of `fn` over repetitions filling `seconds`.
double bestSeconds(const std::function<void()> &fn, double seconds) {
  fn(); // Warm-up: pages, caches, threads.
  double best = 1e30;
  auto start = std::chrono::steady_clock::now();
  for (int reps = 0;; ++reps) {
    auto before = std::chrono::steady_clock::now();
    fn();
    auto after = std::chrono::steady_clock::now();
    best = std::min(best, std::chrono::duration<double>(after - before).count());
    if (reps >= 3 &&
        std::chrono::duration<double>(after - start).count() > seconds)
      break;
  }
  return best;
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
  tsr_sgemm_args_t qk = {};
  qk.a = q.data();
  qk.b = k.data();
  qk.c = scores.data();
  qk.batch = b * h;
  qk.m = s;
  qk.n = t;
  qk.k = d;
  qk.a_batch_stride = s * d;
  qk.a_row_stride = d;
  qk.a_col_stride = 1;
  qk.b_batch_stride = t * d;
  qk.b_row_stride = 1; // K^T
  qk.b_col_stride = d;
  qk.c_batch_stride = s * t;
  qk.c_row_stride = t;
  tsr_sgemm_args_t pv = {};
  pv.a = scores.data();
  pv.b = v.data();
  pv.c = o.data();
  pv.batch = b * h;
  pv.m = s;
  pv.n = d;
  pv.k = t;
  pv.a_batch_stride = s * t;
  pv.a_row_stride = t;
  pv.a_col_stride = 1;
  pv.b_batch_stride = t * d;
  pv.b_row_stride = d;
  pv.b_col_stride = 1;
  pv.c_batch_stride = s * d;
  pv.c_row_stride = d;
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

bool parseOptions(int argc, char **argv, Options &options) {
  options.isa = getBestSgemmIsa();
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg.rfind("--isa=", 0) == 0) {
      std::string name = arg.substr(6);
      bool found = false;
      for (SgemmIsa isa : {SgemmIsa::Generic, SgemmIsa::Avx2, SgemmIsa::Avx512})
        if (name == getSgemmIsaName(isa)) {
          options.isa = isa;
          found = true;
        }
      if (!found || !isSgemmIsaSupported(options.isa)) {
        std::fprintf(stderr, "unsupported ISA '%s'\n", name.c_str());
        return false;
      }
    } else if (arg.rfind("--seconds=", 0) == 0) {
      options.seconds = std::atof(arg.c_str() + 10);
    } else if (arg.rfind("--threads=", 0) == 0) {
      options.maxThreads = static_cast<unsigned>(std::atoi(arg.c_str() + 10));
    } else if (arg == "--no-unfused") {
      options.unfused = false;
    } else if (arg.rfind("--shape=", 0) == 0) {
      long long b, h, kv, s, t, d;
      char flag[16] = "";
      if (std::sscanf(arg.c_str() + 8, "%lldx%lldx%lldx%lldx%lldx%lld,%15s",
                      &b, &h, &kv, &s, &t, &d, flag) < 6) {
        std::fprintf(stderr, "bad shape '%s'\n", arg.c_str() + 8);
        return false;
      }
      options.shapes.push_back({b, h, kv, s, t, d, std::string(flag) == "causal"});
    } else {
      std::fprintf(stderr, "unknown argument '%s'\n", arg.c_str());
      return false;
    }
  }
  return true;
}

} // namespace

int main(int argc, char **argv) {
  Options options;
  if (!parseOptions(argc, argv, options))
    return 2;
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

  std::vector<unsigned> threadCounts;
  for (unsigned t = 1; t <= options.maxThreads; t *= 2)
    threadCounts.push_back(t);
  std::vector<std::unique_ptr<KernelRuntime>> runtimes;
  for (unsigned t : threadCounts) {
    runtimes.push_back(std::make_unique<KernelRuntime>(t));
    runtimes.back()->setSgemmIsa(options.isa);
    runtimes.back()->setAttentionIsa(options.isa);
  }

  std::printf("%-34s", "shape (b x h/kv x s x t x d)");
  for (unsigned t : threadCounts)
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
