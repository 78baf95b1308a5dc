//===- w4gemm_bench.cpp - 4-bit weights against f32 at decode -------------===//
//
// Part of the Tessera benchmarks.
//
//===----------------------------------------------------------------------===//
//
// Decode is a sweep of GEMVs (M = 1) over every weight of a layer, each
// read once per token: memory-bound, so what counts is the weights' bytes.
// This times one LLaMA-7B-shaped layer's projections (q, k, v, o: 4096 x
// 4096; gate, up: 4096 -> 11008; down: 11008 -> 4096; 202M weights, 808 MB
// in f32) per token with the f32 SGEMM (weights packed as the compiler
// packs them) and with the 4-bit GEMM (group 32 or 128, with zero points;
// f16 group parameters, as tessera-compile makes them, or f32 with --f32-params),
// interleaved, on 1 and 2 threads, through the kernel context generated
// code uses; prints the median time per sweep, the effective bandwidth
// (weight bytes / time) and the f32 / w4 ratio.
//
//   tessera-w4gemm-bench [--group=G] [--reps=N] [--threads=T] [--m=M]
//                        [--f32-params]
//
//===----------------------------------------------------------------------===//
#include "KernelRuntime.h"

#include "tessera/pack.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

using namespace tessera::runtime;

namespace {

struct Matrix {
  int64_t k, n;
  std::vector<float> packedF32;
  std::vector<uint8_t> packedW4;
  std::vector<float> scale, zero;
  std::vector<uint16_t> scale16, zero16;
};

double now() {
  return std::chrono::duration<double>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

} // namespace

int main(int argc, char **argv) {
  int64_t group = 32, reps = 15, m = 1;
  bool f16 = true;
  unsigned maxThreads = 2;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg.rfind("--group=", 0) == 0)
      group = std::atoll(arg.c_str() + 8);
    else if (arg.rfind("--reps=", 0) == 0)
      reps = std::max(3LL, std::atoll(arg.c_str() + 7));
    else if (arg.rfind("--threads=", 0) == 0)
      maxThreads = std::max(1, std::atoi(arg.c_str() + 10));
    else if (arg.rfind("--m=", 0) == 0)
      m = std::max(1LL, std::atoll(arg.c_str() + 4));
    else if (arg == "--f32-params")
      f16 = false;
    else {
      std::fprintf(stderr, "usage: %s [--group=G] [--reps=N] [--threads=T] [--m=M] "
                           "[--f32-params]\n",
                   argv[0]);
      return 2;
    }
  }
  const int64_t h = 4096, f = 11008;
  std::vector<std::pair<int64_t, int64_t>> shapes = {
      {h, h}, {h, h}, {h, h}, {h, h}, {h, f}, {h, f}, {f, h}};
  std::vector<Matrix> mats;
  double f32Bytes = 0, w4Bytes = 0;
  uint32_t seed = 12345;
  auto next = [&] { return seed = seed * 1664525u + 1013904223u; };
  for (auto [k, n] : shapes) {
    Matrix mat;
    mat.k = k;
    mat.n = n;
    std::vector<float> w(k * n);
    std::vector<uint8_t> q(k * n);
    for (int64_t i = 0; i < k * n; ++i) {
      q[i] = next() >> 28;
      w[i] = (static_cast<float>(q[i]) - 8.0f) * 0.01f;
    }
    mat.packedF32.resize(tsr_packed_b_size(k, n));
    tsr_pack_b_panels(w.data(), k, n, n, 1, mat.packedF32.data());
    mat.packedW4.resize(tsr_packed_w4_size(k, n));
    tsr_pack_w4_panels(q.data(), k, n, n, 1, mat.packedW4.data());
    int64_t ldn = (n + 15) / 16 * 16;
    mat.scale.assign(k / group * ldn, 0.01f);
    mat.zero.assign(k / group * ldn, 8.0f);
    mat.scale16.assign(mat.scale.size(), tsr_f32_to_f16(0.01f));
    mat.zero16.assign(mat.zero.size(), tsr_f32_to_f16(8.0f));
    f32Bytes += 4.0 * k * n;
    w4Bytes += mat.packedW4.size() + (f16 ? 4.0 : 8.0) * mat.scale.size();
    mats.push_back(std::move(mat));
  }
  std::vector<float> a(m * f, 0.5f), c(m * f);
  std::printf("one LLaMA-7B layer's projections at M = %lld: %.0f MB f32, %.0f MB "
              "w4 (group %lld, %s scales and zero points)\n",
              (long long)m, f32Bytes / 1e6, w4Bytes / 1e6, (long long)group,
              f16 ? "f16" : "f32");
  std::printf("%-8s %12s %12s %10s %10s %8s\n", "threads", "f32 ms", "w4 ms",
              "f32 GB/s", "w4 GB/s", "f32/w4");
  for (unsigned t = 1; t <= maxThreads; ++t) {
    KernelRuntime runtime(t);
    tsr_kernel_context_t *ctx = runtime.context();
    auto sweepF32 = [&] {
      for (Matrix &mat : mats) {
        tsr_sgemm_args_t args = {};
        args.a = a.data();
        args.b = mat.packedF32.data();
        args.c = c.data();
        args.batch = 1;
        args.m = m;
        args.n = mat.n;
        args.k = mat.k;
        args.a_row_stride = mat.k;
        args.a_col_stride = 1;
        args.c_row_stride = mat.n;
        args.b_layout = TSR_SGEMM_B_PACKED;
        ctx->sgemm(ctx->runtime, &args);
      }
    };
    auto sweepW4 = [&] {
      for (Matrix &mat : mats) {
        tsr_w4gemm_args_t args = {};
        args.a = a.data();
        args.b = mat.packedW4.data();
        args.b_scale = f16 ? static_cast<const void *>(mat.scale16.data())
                           : mat.scale.data();
        args.b_zero = f16 ? static_cast<const void *>(mat.zero16.data())
                          : mat.zero.data();
        args.params_f16 = f16;
        args.c = c.data();
        args.batch = 1;
        args.m = m;
        args.n = mat.n;
        args.k = mat.k;
        args.group = group;
        args.a_row_stride = mat.k;
        args.a_col_stride = 1;
        args.c_row_stride = mat.n;
        ctx->w4gemm(ctx->runtime, &args);
      }
    };
    sweepF32();
    sweepW4();
    std::vector<double> tf, tw;
    for (int64_t r = 0; r < reps; ++r) {
      double t0 = now();
      sweepF32();
      double t1 = now();
      sweepW4();
      double t2 = now();
      tf.push_back(t1 - t0);
      tw.push_back(t2 - t1);
    }
    std::sort(tf.begin(), tf.end());
    std::sort(tw.begin(), tw.end());
    double mf = tf[tf.size() / 2], mw = tw[tw.size() / 2];
    std::printf("%-8u %12.2f %12.2f %10.1f %10.1f %7.2fx\n", t, mf * 1e3,
                mw * 1e3, f32Bytes / mf / 1e9, w4Bytes / mw / 1e9, mf / mw);
  }
  return 0;
}
