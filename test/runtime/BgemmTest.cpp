//===- BgemmTest.cpp - Tests of the runtime's bf16-weight GEMM ------------===//
//
// Part of the Tessera runtime tests.
//
//===----------------------------------------------------------------------===//
//
// tsr_bgemm_args_t through the kernel context, on every ISA this CPU runs
// (and, where it has AMX, the AMX set on every M), on 1 and 2 threads,
// against a double-precision reference of the ABI's formula: A rounded to
// bf16 times the bf16 weights, within f32 summation error. Edge sizes of
// the micro-tiles, odd K, strided and transposed A, batches, bias,
// epilogues, NaN rows; no writes outside C; K past the limits. Also the
// rounding of tsr_f32_to_bf16 and the packed layout.
//
//===----------------------------------------------------------------------===//
#include "KernelRuntime.h"
#include "KernelTestSupport.h"
#include "kernels/BgemmKernels.h"

#include "tessera/pack.h"

#include <cmath>
#include <cstring>
#include <functional>
#include <limits>
#include <memory>
#include <random>
#include <sstream>
#include <string>
#include <vector>

using namespace tessera::runtime;
using namespace tessera::test;

namespace {

std::vector<BgemmIsa> supportedBgemmIsas() {
  std::vector<BgemmIsa> isas;
  for (BgemmIsa isa : {BgemmIsa::Generic, BgemmIsa::Avx2, BgemmIsa::Avx512,
                       BgemmIsa::Avx512Bf16, BgemmIsa::Amx})
    if (isBgemmIsaSupported(isa))
      isas.push_back(isa);
  return isas;
}

float fromBf16(uint16_t v) {
  uint32_t u = uint32_t(v) << 16;
  float f;
  std::memcpy(&f, &u, sizeof(f));
  return f;
}

float bits(uint32_t u) {
  float f;
  std::memcpy(&f, &u, sizeof(f));
  return f;
}

struct BCase {
  int64_t batch = 1, m = 0, n = 0, k = 0;
  bool aTransposed = false, bias = false;
  int64_t pad = 0;
  int64_t epilogue = TSR_EPILOGUE_NONE;
  int64_t nanRow = -1; // a row of A with a NaN in it

  std::string describe() const {
    std::ostringstream os;
    os << "batch " << batch << " m " << m << " n " << n << " k " << k
       << (aTransposed ? " A^T" : "") << (bias ? " bias" : "") << " pad "
       << pad << " epilogue " << epilogue << " nan row " << nanRow;
    return os.str();
  }
};

class BgemmTest : public KernelTest {
protected:
  bool check(const BCase &gemm);
  std::mt19937 rng{1601};
};

bool BgemmTest::check(const BCase &gemm) {
  const int64_t batch = gemm.batch, m = gemm.m, n = gemm.n, k = gemm.k;
  int64_t aLd = (gemm.aTransposed ? m : k) + gemm.pad;
  int64_t aBatchStride = (gemm.aTransposed ? k : m) * aLd + 3;
  std::vector<float> a(batch * aBatchStride + 1), w(k * n), bias(n + 1);
  fillUniform(rng, -1.0f, 1.0f, {&a, &w, &bias});
  auto aIndex = [&](int64_t b, int64_t i, int64_t kk) {
    return b * aBatchStride + (gemm.aTransposed ? kk * aLd + i : i * aLd + kk);
  };
  if (gemm.nanRow >= 0)
    a[aIndex(0, gemm.nanRow, k / 2)] = std::numeric_limits<float>::quiet_NaN();
  std::vector<uint16_t> wb(k * n);
  for (int64_t i = 0; i < k * n; ++i)
    wb[i] = tsr_f32_to_bf16(w[i]);
  std::vector<uint16_t> packed(tsr_packed_bf16_size(k, n) + 1);
  tsr_pack_bf16_panels(wb.data(), k, n, n, 1, packed.data());

  std::vector<double> expected(batch * m * n), bound(batch * m * n);
  for (int64_t b = 0; b < batch; ++b)
    for (int64_t i = 0; i < m; ++i)
      for (int64_t j = 0; j < n; ++j) {
        double sum = gemm.bias ? bias[j] : 0.0, mag = std::fabs(sum);
        for (int64_t kk = 0; kk < k; ++kk) {
          double x = fromBf16(tsr_f32_to_bf16(a[aIndex(b, i, kk)]));
          double p = x * fromBf16(wb[kk * n + j]);
          sum += p;
          mag += std::fabs(p);
        }
        expected[(b * m + i) * n + j] = referenceEpilogue(sum, gemm.epilogue);
        bound[(b * m + i) * n + j] = mag;
      }

  tsr_bgemm_args_t args = {};
  args.a = a.data();
  args.b = packed.data();
  args.bias = gemm.bias ? bias.data() : nullptr;
  args.batch = batch;
  args.m = m;
  args.n = n;
  args.k = k;
  args.a_batch_stride = aBatchStride;
  args.a_row_stride = gemm.aTransposed ? 1 : aLd;
  args.a_col_stride = gemm.aTransposed ? aLd : 1;
  args.epilogue = gemm.epilogue;
  int64_t cLd = n + gemm.pad;
  int64_t cBatchStride = m * cLd + 2;
  args.c_batch_stride = cBatchStride;
  args.c_row_stride = cLd;
  std::vector<float> c(batch * cBatchStride + 1);
  args.c = c.data();

  struct Config {
    std::string name;
    std::function<void(KernelRuntime &)> run;
  };
  std::vector<Config> configs;
  for (BgemmIsa isa : supportedBgemmIsas())
    configs.push_back({getBgemmIsaName(isa), [&, isa](KernelRuntime &runtime) {
                         EXPECT_TRUE(runtime.setBgemmIsa(isa));
                         tsr_kernel_context_t *context = runtime.context();
                         context->bgemm(context->runtime, &args);
                       }});
  if (isBgemmIsaSupported(BgemmIsa::Amx))
    configs.push_back({"amx (any M)", [&](KernelRuntime &runtime) {
                         BgemmKernelSet amx = getBgemmKernels(BgemmIsa::Amx);
                         amx.minRows = 0;
                         QgemmWorkspace workspace(runtime.pool().numThreads());
                         runBgemm(args, amx, runtime.pool(), workspace);
                       }});
  for (const Config &config : configs)
    for (auto &runtime : runtimes) {
      std::fill(c.begin(), c.end(), kSentinel);
      config.run(*runtime);
      int mismatches = 0;
      for (int64_t b = 0; b < batch; ++b) {
        for (int64_t i = 0; i < m; ++i)
          for (int64_t j = 0; j < cLd; ++j) {
            float got = c[b * cBatchStride + i * cLd + j];
            if (j >= n) {
              if (got != kSentinel && mismatches++ < 3)
                ADD_FAILURE() << "wrote row padding at row " << i;
              continue;
            }
            double want = expected[(b * m + i) * n + j];
            bool ok = std::isnan(want)
                          ? std::isnan(got)
                          : std::fabs(got - want) <=
                                1e-5 * bound[(b * m + i) * n + j] + 1e-6;
            if (!ok && mismatches++ < 3)
              ADD_FAILURE() << "C[" << b << ", " << i << ", " << j << "] = "
                            << got << ", expected " << want;
          }
        for (int64_t gap = m * cLd; gap < cBatchStride; ++gap)
          if (c[b * cBatchStride + gap] != kSentinel && mismatches++ < 3)
            ADD_FAILURE() << "wrote between batch elements";
      }
      if (mismatches) {
        ADD_FAILURE() << mismatches << " mismatches for " << gemm.describe()
                      << " on " << config.name << " with "
                      << runtime->pool().numThreads() << " threads";
        return false;
      }
    }
  return true;
}

TEST(Bf16Test, RoundsToNearestEven) {
  EXPECT_EQ(tsr_f32_to_bf16(1.0f), 0x3f80);
  // Halfway between 0x3f80 and 0x3f81: to the even one; just above: up.
  EXPECT_EQ(tsr_f32_to_bf16(bits(0x3f808000u)), 0x3f80);
  EXPECT_EQ(tsr_f32_to_bf16(bits(0x3f818000u)), 0x3f82);
  EXPECT_EQ(tsr_f32_to_bf16(bits(0x3f808001u)), 0x3f81);
  EXPECT_EQ(tsr_f32_to_bf16(-2.0f), 0xc000);
  // The largest floats round to infinity; infinities and NaNs stay.
  EXPECT_EQ(tsr_f32_to_bf16(std::numeric_limits<float>::max()), 0x7f80);
  EXPECT_EQ(tsr_f32_to_bf16(std::numeric_limits<float>::infinity()), 0x7f80);
  EXPECT_TRUE(std::isnan(fromBf16(tsr_f32_to_bf16(bits(0x7f800001u)))));
  EXPECT_TRUE(std::isnan(fromBf16(tsr_f32_to_bf16(bits(0xffc00000u)))));
  EXPECT_EQ(roundToBf16(3.0f), 3.0f);
}

TEST(Bf16Test, PackedLayout) {
  const int64_t k = 5, n = 19;
  std::vector<uint16_t> b(k * n);
  for (int64_t i = 0; i < k * n; ++i)
    b[i] = static_cast<uint16_t>(i + 1);
  std::vector<uint16_t> packed(tsr_packed_bf16_size(k, n));
  ASSERT_EQ(packed.size(), 2u * 3 * 32);
  tsr_pack_bf16_panels(b.data(), k, n, n, 1, packed.data());
  for (int64_t kk = 0; kk < 6; ++kk)
    for (int64_t j = 0; j < 32; ++j) {
      uint16_t got = packed[((j / 16) * 3 + kk / 2) * 32 + (j % 16) * 2 + kk % 2];
      uint16_t want = kk < k && j < n ? b[kk * n + j] : 0;
      EXPECT_EQ(got, want) << "k " << kk << " n " << j;
    }
}

TEST_F(BgemmTest, EveryEdgeSize) {
  for (int64_t m : {1, 3, 4, 7, 8, 9, 17, 32, 33})
    for (int64_t n : {1, 15, 16, 17, 32, 33, 48, 49, 100})
      for (int64_t k : {1, 2, 17, 32, 96}) {
        BCase gemm;
        gemm.m = m;
        gemm.n = n;
        gemm.k = k;
        ASSERT_TRUE(check(gemm));
      }
}

TEST_F(BgemmTest, BatchesStridesBiasAndEpilogues) {
  for (bool transposed : {false, true})
    for (int64_t epilogue : {TSR_EPILOGUE_NONE, TSR_EPILOGUE_GELU,
                             TSR_EPILOGUE_GELU_TANH, TSR_EPILOGUE_SILU,
                             TSR_EPILOGUE_RELU}) {
      BCase gemm;
      gemm.batch = 3;
      gemm.m = 37;
      gemm.n = 70;
      gemm.k = 64;
      gemm.aTransposed = transposed;
      gemm.pad = 3;
      gemm.bias = true;
      gemm.epilogue = epilogue;
      ASSERT_TRUE(check(gemm));
    }
}

TEST_F(BgemmTest, TransformerShapes) {
  // BERT-base's FFN input at a few tokens and at a batch, where the
  // threads split N with A packed once, or split M.
  for (int64_t m : {1, 5, 128}) {
    BCase gemm;
    gemm.m = m;
    gemm.n = 384;
    gemm.k = 768;
    gemm.bias = true;
    gemm.epilogue = TSR_EPILOGUE_GELU;
    ASSERT_TRUE(check(gemm));
  }
  BCase narrow; // too narrow to split N
  narrow.m = 200;
  narrow.n = 16;
  narrow.k = 3072;
  ASSERT_TRUE(check(narrow));
}

TEST_F(BgemmTest, NanRowsStayNan) {
  BCase gemm;
  gemm.m = 40;
  gemm.n = 33;
  gemm.k = 64;
  gemm.nanRow = 35;
  ASSERT_TRUE(check(gemm));
}

TEST_F(BgemmTest, LongReductionsPastTheAmxBlock) {
  // Over the AMX set's maxK (its packed A block): the AVX-512 set runs.
  BCase gemm;
  gemm.m = 5;
  gemm.n = 20;
  gemm.k = getBgemmKernels(BgemmIsa::Generic).maxK / 2 + 32;
  ASSERT_TRUE(check(gemm));
}

TEST_F(BgemmTest, KPastTheLimitComputesNothing) {
  std::vector<float> a(TSR_BGEMM_MAX_K + 2, 1.0f);
  std::vector<uint16_t> packed(tsr_packed_bf16_size(TSR_BGEMM_MAX_K + 2, 1));
  float c = kSentinel;
  tsr_bgemm_args_t args = {};
  args.a = a.data();
  args.b = packed.data();
  args.c = &c;
  args.batch = args.m = args.n = 1;
  args.k = TSR_BGEMM_MAX_K + 2;
  args.a_row_stride = args.k;
  args.a_col_stride = 1;
  args.c_row_stride = 1;
  for (auto &runtime : runtimes) {
    tsr_kernel_context_t *context = runtime->context();
    context->bgemm(context->runtime, &args);
    EXPECT_EQ(c, kSentinel);
  }
}

} // namespace
