//===- spgemm_bench.cpp - Sparse-weight GEMM against the dense SGEMM ------===//
//
// Part of the Tessera benchmarks.
//
//===----------------------------------------------------------------------===//
//
// Times the runtime's sparse GEMM (tsr_spgemm_args_t) against the dense
// SGEMM with B packed as the compiler packs weights, on the same weights,
// through the kernel context generated code uses: BERT-base's linear shapes
// (M tokens; N x K of 768 x 768, 3072 x 768, 768 x 3072) with
//   - half of the 16 x 16 blocks zero (BLOCK16),
//   - 2:4 (CSR),
//   - 50% and 90% of the elements zero, at random (CSR),
// interleaved (dense, sparse, dense, ...), on 1 and 2 threads; prints the
// median times, the sparse / dense ratio and the sparse kernel's rate in
// stored multiply-adds per second relative to the dense kernel's (how much
// of the dense speed each stored weight keeps: the cost model's
// efficiency, see docs/sparsity.md).
//
//   tessera-spgemm-bench [--isa=generic|avx2|avx512] [--seconds=S]
//                        [--threads=T] [--m=M]
//
//===----------------------------------------------------------------------===//
#include "BenchSupport.h"
#include "KernelRuntime.h"

#include "tessera/pack.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

using namespace tessera::bench;
using namespace tessera::runtime;

namespace {

enum class Kind { Blocks50, TwoFour, Unstructured50, Unstructured90 };

const char *kindName(Kind kind) {
  switch (kind) {
  case Kind::Blocks50:
    return "block16 50%";
  case Kind::TwoFour:
    return "2:4";
  case Kind::Unstructured50:
    return "unstructured 50%";
  case Kind::Unstructured90:
    return "unstructured 90%";
  }
  return "?";
}

/// A [k, n] weight with `kind`'s zeros (seeded: every run the same).
std::vector<float> makeWeight(int64_t k, int64_t n, Kind kind) {
  std::vector<float> b = randomVector(k * n, 7);
  std::mt19937 rng(11);
  std::uniform_real_distribution<float> u(0.0f, 1.0f);
  for (int64_t kb = 0; kb * 16 < k; ++kb)
    for (int64_t p = 0; p * 16 < n; ++p) {
      bool zeroBlock = kind == Kind::Blocks50 && u(rng) < 0.5f;
      for (int64_t kk = kb * 16; kk < std::min(k, kb * 16 + 16); ++kk)
        for (int64_t j = p * 16; j < std::min(n, p * 16 + 16); ++j) {
          float &x = b[kk * n + j];
          if (zeroBlock || (kind == Kind::Unstructured50 && u(rng) < 0.5f) ||
              (kind == Kind::Unstructured90 && u(rng) < 0.9f))
            x = 0.0f;
        }
    }
  if (kind == Kind::TwoFour)
    for (int64_t j = 0; j < n; ++j)
      for (int64_t g = 0; g < k; g += 4) {
        // Keep the two largest of each group of four along k.
        int64_t order[4] = {g, g + 1, g + 2, g + 3};
        std::sort(order, order + 4, [&](int64_t x, int64_t y) {
          return std::fabs(b[x * n + j]) > std::fabs(b[y * n + j]);
        });
        b[order[2] * n + j] = b[order[3] * n + j] = 0.0f;
      }
  return b;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

double seconds(const std::function<void()> &fn) {
  auto before = std::chrono::steady_clock::now();
  fn();
  return std::chrono::duration<double>(std::chrono::steady_clock::now() -
                                       before)
      .count();
}

} // namespace

int main(int argc, char **argv) {
  CommonOptions options;
  int64_t m = 128;
  if (!parseArguments(argc, argv, options, [&](const std::string &arg) {
        if (arg.rfind("--m=", 0) == 0) {
          m = std::atoll(arg.c_str() + 4);
          return m > 0 ? ArgStatus::Parsed : ArgStatus::Invalid;
        }
        return ArgStatus::Unknown;
      }))
    return 2;
  std::vector<unsigned> counts = threadCounts(options.maxThreads);
  auto runtimes = makeRuntimes(counts, options.isa);
  SpgemmIsa spIsa = options.isa == SgemmIsa::Avx512 ? SpgemmIsa::Avx512
                    : options.isa == SgemmIsa::Avx2 ? SpgemmIsa::Avx2
                                                    : SpgemmIsa::Generic;
  for (auto &runtime : runtimes)
    runtime->setSpgemmIsa(spIsa);
  std::printf("sparse GEMM (%s) vs dense SGEMM, M = %lld, median of "
              "interleaved runs\n",
              getSpgemmIsaName(spIsa), static_cast<long long>(m));
  std::printf("%-18s %-12s %3s %10s %10s %7s %7s %10s\n", "weights",
              "N x K", "thr", "dense ms", "sparse ms", "ratio", "stored",
              "rate/dense");
  struct NK {
    int64_t n, k;
  };
  for (Kind kind :
       {Kind::Blocks50, Kind::TwoFour, Kind::Unstructured50,
        Kind::Unstructured90})
    for (NK nk : {NK{768, 768}, NK{3072, 768}, NK{768, 3072}}) {
      const int64_t n = nk.n, k = nk.k;
      std::vector<float> b = makeWeight(k, n, kind);
      std::vector<float> a = randomVector(m * k, 3), c(m * n);
      std::vector<float> packed(tsr_packed_b_size(k, n));
      tsr_pack_b_panels(b.data(), k, n, n, 1, packed.data());
      const bool blocks = kind == Kind::Blocks50;
      std::vector<int32_t> offsets, indices;
      std::vector<float> values;
      double stored;
      if (blocks) {
        int64_t count = tsr_sparse_block16_count(b.data(), k, n, n, 1);
        offsets.resize((n + 15) / 16 + 1);
        indices.resize(count);
        values.resize(count * 256);
        tsr_pack_sparse_block16(b.data(), k, n, n, 1, offsets.data(),
                                indices.data(), values.data());
        stored = double(count) * 256 / double(n * k);
      } else {
        int64_t count = tsr_sparse_nonzeros(b.data(), k, n, n, 1);
        offsets.resize(n + 1);
        indices.resize(count);
        values.resize(count);
        tsr_pack_sparse_csr(b.data(), k, n, n, 1, offsets.data(),
                            indices.data(), values.data());
        stored = double(count) / double(n * k);
      }
      tsr_sgemm_args_t dense = {};
      dense.a = a.data();
      dense.b = packed.data();
      dense.c = c.data();
      dense.batch = 1;
      dense.m = m;
      dense.n = n;
      dense.k = k;
      dense.a_row_stride = k;
      dense.a_col_stride = 1;
      dense.c_row_stride = n;
      dense.b_layout = TSR_SGEMM_B_PACKED;
      tsr_spgemm_args_t sparse = {};
      sparse.a = a.data();
      sparse.values = values.data();
      sparse.indices = indices.data();
      sparse.offsets = offsets.data();
      sparse.c = c.data();
      sparse.batch = 1;
      sparse.m = m;
      sparse.n = n;
      sparse.k = k;
      sparse.a_row_stride = k;
      sparse.a_col_stride = 1;
      sparse.c_row_stride = n;
      sparse.format = blocks ? TSR_SPGEMM_BLOCK16 : TSR_SPGEMM_CSR;
      for (size_t t = 0; t < counts.size(); ++t) {
        tsr_kernel_context_t *ctx = runtimes[t]->context();
        auto runDense = [&] { ctx->sgemm(ctx->runtime, &dense); };
        auto runSparse = [&] { ctx->spgemm(ctx->runtime, &sparse); };
        runDense();
        runSparse();
        std::vector<double> d, s;
        auto start = std::chrono::steady_clock::now();
        while (d.size() < 5 ||
               std::chrono::duration<double>(std::chrono::steady_clock::now() -
                                             start)
                       .count() < options.seconds) {
          d.push_back(seconds(runDense));
          s.push_back(seconds(runSparse));
        }
        double dm = median(d), sm = median(s);
        char shape[32];
        std::snprintf(shape, sizeof(shape), "%lldx%lld",
                      static_cast<long long>(n), static_cast<long long>(k));
        std::printf("%-18s %-12s %3u %10.3f %10.3f %7.3f %7.3f %10.3f\n",
                    kindName(kind), shape, counts[t], dm * 1e3, sm * 1e3,
                    sm / dm, stored, stored * dm / sm);
      }
    }
  return 0;
}
