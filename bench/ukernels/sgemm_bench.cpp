//===- sgemm_bench.cpp - Throughput of the runtime's SGEMM ----------------===//
//
// Part of the Tessera benchmarks.
//
//===----------------------------------------------------------------------===//
//
// Measures GFLOP/s of the runtime's tsr_sgemm_args_t implementation on the
// shapes of a BERT-base layer (K, N in {768, 3072}, M = tokens), with B
// packed by tsr_pack_b_panels (as the compiler packs weights) or strided, on
// 1 and 2 threads, plus an attention-like batched product with B transposed.
// Goes through the same tsr_kernel_context_t that generated code uses.
//
//   tessera-sgemm-bench [--isa=generic|avx2|avx512] [--epilogue=N]
//                       [--seconds=S] [--threads=T]
//                       [--shape=BATCHxMxNxK[,packed|strided|transposed]]...
//
// With --shape, measures only the given shapes instead of the default table.
//
//===----------------------------------------------------------------------===//
#include "BenchSupport.h"
#include "KernelRuntime.h"

#include "tessera/pack.h"

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
  int64_t batch, m, n, k;
  bool bPacked;
  bool bTransposed;
};

struct Options : CommonOptions {
  int64_t epilogue = TSR_EPILOGUE_NONE;
  std::vector<struct Shape> shapes;
};

/// Best GFLOP/s over repetitions filling `options.seconds`.
double measure(KernelRuntime &runtime, const Shape &shape,
               const Options &options) {
  const int64_t batch = shape.batch, m = shape.m, n = shape.n, k = shape.k;
  std::vector<float> a = randomVector(batch * m * k, 1);
  std::vector<float> b = randomVector(batch * k * n, 2);
  std::vector<float> bias = randomVector(n, 3);
  std::vector<float> c(batch * m * n);
  std::vector<float> packed;

  tsr_sgemm_args_t args = {};
  args.a = a.data();
  args.c = c.data();
  args.bias = options.epilogue ? bias.data() : nullptr;
  args.batch = batch;
  args.m = m;
  args.n = n;
  args.k = k;
  args.a_batch_stride = m * k;
  args.a_row_stride = k;
  args.a_col_stride = 1;
  args.c_batch_stride = m * n;
  args.c_row_stride = n;
  args.epilogue = options.epilogue;
  if (shape.bPacked) {
    int64_t size = tsr_packed_b_size(k, n);
    packed.resize(batch * size);
    for (int64_t i = 0; i < batch; ++i)
      tsr_pack_b_panels(b.data() + i * k * n, k, n, n, 1,
                        packed.data() + i * size);
    args.b = packed.data();
    args.b_batch_stride = size;
    args.b_layout = TSR_SGEMM_B_PACKED;
  } else {
    args.b = b.data();
    args.b_batch_stride = k * n;
    // Transposed: B is stored [n, k], as K in Q.K^T.
    args.b_row_stride = shape.bTransposed ? 1 : n;
    args.b_col_stride = shape.bTransposed ? k : 1;
    args.b_layout = TSR_SGEMM_B_STRIDED;
  }

  tsr_kernel_context_t *context = runtime.context();
  double flops = 2.0 * batch * m * n * k;
  return flops /
         bestSeconds([&] { context->sgemm(context->runtime, &args); },
                     options.seconds) *
         1e-9;
}

/// Parses the flags of this benchmark alone (see parseArguments).
ArgStatus parseOwnOption(const std::string &arg, Options &options) {
  if (arg.rfind("--epilogue=", 0) == 0) {
    options.epilogue = std::atoi(arg.c_str() + 11);
    return ArgStatus::Parsed;
  }
  if (arg.rfind("--shape=", 0) == 0) {
    long long batch, m, n, k;
    char layout[16] = "packed";
    if (std::sscanf(arg.c_str() + 8, "%lldx%lldx%lldx%lld,%15s", &batch, &m, &n,
                    &k, layout) < 4) {
      std::fprintf(stderr, "bad shape '%s'\n", arg.c_str() + 8);
      return ArgStatus::Invalid;
    }
    std::string kind = layout;
    options.shapes.push_back(
        {batch, m, n, k, kind == "packed", kind == "transposed"});
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
  std::printf("isa=%s epilogue=%lld (GFLOP/s, best of repetitions)\n",
              getSgemmIsaName(options.isa), (long long)options.epilogue);

  std::vector<unsigned> counts = threadCounts(options.maxThreads);
  std::vector<std::unique_ptr<KernelRuntime>> runtimes =
      makeRuntimes(counts, options.isa);

  std::printf("%-28s %-8s", "shape (batch x M x N x K)", "B");
  for (unsigned t : counts)
    std::printf("  %2u thr", t);
  std::printf("\n");
  auto row = [&](const Shape &shape, const char *layout) {
    char name[64];
    std::snprintf(name, sizeof(name), "%lld x %lld x %lld x %lld",
                  (long long)shape.batch, (long long)shape.m,
                  (long long)shape.n, (long long)shape.k);
    std::printf("%-28s %-8s", name, layout);
    for (auto &runtime : runtimes)
      std::printf("  %6.1f", measure(*runtime, shape, options));
    std::printf("\n");
    std::fflush(stdout);
  };
  auto layoutName = [](const Shape &shape) {
    return shape.bPacked ? "packed" : shape.bTransposed ? "transp." : "strided";
  };
  if (!options.shapes.empty()) {
    for (const Shape &shape : options.shapes)
      row(shape, layoutName(shape));
    return 0;
  }
  const int64_t kn[][2] = {{768, 3072}, {3072, 768}, {768, 768}};
  for (const auto &sizes : kn)
    for (int64_t m : {128, 384, 1024})
      for (bool packed : {true, false})
        row({1, m, sizes[1], sizes[0], packed, false},
            packed ? "packed" : "strided");
  row({12, 128, 128, 64, false, true}, "transp.");
  return 0;
}
