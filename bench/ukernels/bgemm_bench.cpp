//===- bgemm_bench.cpp - Throughput of the runtime's bf16 GEMM ------------===//
//
// Part of the Tessera benchmarks.
//
//===----------------------------------------------------------------------===//
//
// Measures GFLOP/s (2 x M x N x K per call; rounding and packing A is part
// of the call) of the runtime's tsr_bgemm_args_t implementation on the
// shapes of a BERT-base layer, with the weights packed by
// tsr_pack_bf16_panels as the compiler packs them, on 1 and 2 threads,
// through the same tsr_kernel_context_t that generated code uses. Compare
// with tessera-sgemm-bench on the same shapes.
//
//   tessera-bgemm-bench [--isa=generic|avx2|avx512|avx512-bf16|amx] [--seconds=S]
//                       [--threads=T] [--shape=MxNxK]...
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
  int64_t m, n, k;
};

double measure(KernelRuntime &runtime, const Shape &shape, double seconds) {
  const int64_t m = shape.m, n = shape.n, k = shape.k;
  std::vector<float> a = randomVector(m * k, 1), bias = randomVector(n, 3);
  std::vector<float> w = randomVector(k * n, 2);
  std::vector<uint16_t> wb(k * n);
  for (size_t i = 0; i < w.size(); ++i)
    wb[i] = tsr_f32_to_bf16(w[i]);
  std::vector<uint16_t> packed(tsr_packed_bf16_size(k, n));
  tsr_pack_bf16_panels(wb.data(), k, n, n, 1, packed.data());
  std::vector<float> c(m * n);
  tsr_bgemm_args_t args = {};
  args.a = a.data();
  args.b = packed.data();
  args.bias = bias.data();
  args.c = c.data();
  args.batch = 1;
  args.m = m;
  args.n = n;
  args.k = k;
  args.a_row_stride = k;
  args.a_col_stride = 1;
  args.c_row_stride = n;
  tsr_kernel_context_t *context = runtime.context();
  return 2.0 * m * n * k /
         bestSeconds([&] { context->bgemm(context->runtime, &args); }, seconds) *
         1e-9;
}

} // namespace

int main(int argc, char **argv) {
  BgemmIsa isa = getBestBgemmIsa();
  double seconds = 0.3;
  unsigned maxThreads = 2;
  std::vector<Shape> shapes;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    long long m, n, k;
    if (arg.rfind("--isa=", 0) == 0) {
      std::string name = arg.substr(6);
      bool found = false;
      for (BgemmIsa candidate : {BgemmIsa::Generic, BgemmIsa::Avx2, BgemmIsa::Avx512,
                                 BgemmIsa::Avx512Bf16, BgemmIsa::Amx})
        if (name == getBgemmIsaName(candidate)) {
          isa = candidate;
          found = true;
        }
      if (!found || !isBgemmIsaSupported(isa)) {
        std::fprintf(stderr, "unknown or unsupported --isa '%s'\n", name.c_str());
        return 2;
      }
    } else if (arg.rfind("--seconds=", 0) == 0) {
      seconds = std::atof(arg.c_str() + 10);
    } else if (arg.rfind("--threads=", 0) == 0) {
      maxThreads = std::max(1, std::atoi(arg.c_str() + 10));
    } else if (arg.rfind("--shape=", 0) == 0 &&
               std::sscanf(arg.c_str() + 8, "%lldx%lldx%lld", &m, &n, &k) == 3) {
      shapes.push_back({m, n, k});
    } else {
      std::fprintf(stderr, "usage: %s [--isa=NAME] [--seconds=S] [--threads=T] "
                           "[--shape=MxNxK]...\n", argv[0]);
      return 2;
    }
  }
  if (shapes.empty())
    shapes = {{128, 768, 768},  {128, 2304, 768}, {128, 3072, 768},
              {128, 768, 3072}, {1024, 3072, 768}, {1, 3072, 768}};
  std::printf("isa=%s (GFLOP/s, best of repetitions)\n", getBgemmIsaName(isa));
  std::printf("%-24s", "shape (M x N x K)");
  for (unsigned t = 1; t <= maxThreads; ++t)
    std::printf("  %3u thr", t);
  std::printf("\n");
  std::vector<std::unique_ptr<KernelRuntime>> runtimes;
  for (unsigned t = 1; t <= maxThreads; ++t) {
    runtimes.push_back(std::make_unique<KernelRuntime>(t));
    runtimes.back()->setBgemmIsa(isa);
  }
  for (const Shape &shape : shapes) {
    char name[64];
    std::snprintf(name, sizeof(name), "%lldx%lldx%lld", (long long)shape.m,
                  (long long)shape.n, (long long)shape.k);
    std::printf("%-24s", name);
    for (auto &runtime : runtimes)
      std::printf("  %7.1f", measure(*runtime, shape, seconds));
    std::printf("\n");
  }
  return 0;
}
