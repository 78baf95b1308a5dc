//===- W4gemmTest.cpp - Tests of the runtime's 4-bit-weight GEMM ----------===//
//
// Part of the Tessera runtime tests.
//
//===----------------------------------------------------------------------===//
//
// tsr_w4gemm_args_t through the kernel context, on every ISA this CPU runs
// and on 1 and 2 threads: against an independent double-precision
// reference of the ABI's formula (within f32 summation error), and every
// ISA against the portable kernel bit for bit (the ABI fixes the order of
// the float operations). Edge sizes of the micro-tiles, groups of 2, 32 and
// 128, with and without zero points, strided and transposed A, batches,
// bias, epilogues; no writes outside C; arguments the ABI forbids compute
// nothing. Also the packed layout of tsr_pack_w4_panels.
//
//===----------------------------------------------------------------------===//
#include "KernelRuntime.h"
#include "KernelTestSupport.h"

#include "tessera/pack.h"

#include <cmath>
#include <memory>
#include <random>
#include <sstream>
#include <string>
#include <vector>

using namespace tessera::runtime;
using namespace tessera::test;

namespace {

std::vector<W4gemmIsa> supportedW4gemmIsas() {
  std::vector<W4gemmIsa> isas;
  for (W4gemmIsa isa : {W4gemmIsa::Generic, W4gemmIsa::Avx512})
    if (isW4gemmIsaSupported(isa))
      isas.push_back(isa);
  return isas;
}

struct W4Case {
  int64_t batch = 1, m = 0, n = 0, k = 0, group = 32;
  bool zeros = false, aTransposed = false, bias = false;
  bool f16 = false; // group parameters as IEEE halves
  int64_t pad = 0;
  int64_t epilogue = TSR_EPILOGUE_NONE;

  std::string describe() const {
    std::ostringstream os;
    os << "batch " << batch << " m " << m << " n " << n << " k " << k
       << " group " << group << (zeros ? " zeros" : "")
       << (aTransposed ? " A^T" : "") << (bias ? " bias" : "")
       << (f16 ? " f16 params" : "") << " pad "
       << pad << " epilogue " << epilogue;
    return os.str();
  }
};

class W4gemmTest : public ::testing::Test {
protected:
  void SetUp() override {
    for (unsigned threads : {1u, 2u})
      runtimes.push_back(std::make_unique<KernelRuntime>(threads));
  }
  bool check(const W4Case &gemm);

  std::vector<std::unique_ptr<KernelRuntime>> runtimes;
  std::mt19937 rng{977};
};

bool W4gemmTest::check(const W4Case &gemm) {
  const int64_t batch = gemm.batch, m = gemm.m, n = gemm.n, k = gemm.k;
  const int64_t groups = k / gemm.group;
  const int64_t ldn = (n + 15) / 16 * 16;
  int64_t aLd = (gemm.aTransposed ? m : k) + gemm.pad;
  int64_t aBatchStride = (gemm.aTransposed ? k : m) * aLd + 3;
  std::vector<float> a(batch * aBatchStride + 1);
  fillUniform(rng, -1.0f, 1.0f, {&a});
  auto aAt = [&](int64_t b, int64_t i, int64_t kk) {
    return a[b * aBatchStride + (gemm.aTransposed ? kk * aLd + i : i * aLd + kk)];
  };
  std::vector<uint8_t> q(k * n);
  std::uniform_int_distribution<int> qDist(0, 15);
  for (uint8_t &v : q)
    v = static_cast<uint8_t>(qDist(rng));
  // Scales and zero points per group, panel-major, zero past N.
  auto at = [&](int64_t g, int64_t j) {
    return ((j / 16) * groups + g) * 16 + j % 16;
  };
  std::vector<float> scale(groups * ldn, 0.0f), zero(groups * ldn, 0.0f),
      bias(n + 1);
  std::uniform_real_distribution<float> sDist(0.01f, 0.1f);
  for (int64_t g = 0; g < groups; ++g)
    for (int64_t j = 0; j < n; ++j) {
      scale[at(g, j)] = sDist(rng);
      zero[at(g, j)] = static_cast<float>(qDist(rng));
    }
  fillUniform(rng, -1.0f, 1.0f, {&bias});
  // Halves: the values the kernel sees are the rounded ones.
  std::vector<uint16_t> scale16(scale.size()), zero16(zero.size());
  if (gemm.f16)
    for (size_t i = 0; i < scale.size(); ++i) {
      scale16[i] = tsr_f32_to_f16(scale[i]);
      zero16[i] = tsr_f32_to_f16(zero[i]);
      scale[i] = tsr_f16_to_f32(scale16[i]);
      zero[i] = tsr_f16_to_f32(zero16[i]);
    }
  std::vector<uint8_t> packed(tsr_packed_w4_size(k, n) + 1);
  tsr_pack_w4_panels(q.data(), k, n, n, 1, packed.data());

  tsr_w4gemm_args_t args = {};
  args.a = a.data();
  args.b = packed.data();
  args.b_scale = gemm.f16 ? static_cast<const void *>(scale16.data())
                          : scale.data();
  args.b_zero = !gemm.zeros ? nullptr
                : gemm.f16  ? static_cast<const void *>(zero16.data())
                            : zero.data();
  args.params_f16 = gemm.f16;
  args.bias = gemm.bias ? bias.data() : nullptr;
  args.batch = batch;
  args.m = m;
  args.n = n;
  args.k = k;
  args.group = gemm.group;
  args.a_batch_stride = aBatchStride;
  args.a_row_stride = gemm.aTransposed ? 1 : aLd;
  args.a_col_stride = gemm.aTransposed ? aLd : 1;
  args.epilogue = gemm.epilogue;
  int64_t cLd = n + gemm.pad;
  int64_t cBatchStride = m * cLd + 2;
  args.c_batch_stride = cBatchStride;
  args.c_row_stride = cLd;

  // The reference in double, and the sum of magnitudes that bounds the f32
  // summation error.
  std::vector<double> expected(batch * m * n), bound(batch * m * n);
  for (int64_t b = 0; b < batch; ++b)
    for (int64_t i = 0; i < m; ++i)
      for (int64_t j = 0; j < n; ++j) {
        double sum = gemm.bias ? bias[j] : 0.0, mag = std::fabs(sum);
        for (int64_t kk = 0; kk < k; ++kk) {
          int64_t g = kk / gemm.group;
          double z = gemm.zeros ? zero[at(g, j)] : 8.0;
          double w = (q[kk * n + j] - z) * scale[at(g, j)];
          sum += aAt(b, i, kk) * w;
          mag += std::fabs(aAt(b, i, kk) * w);
        }
        expected[(b * m + i) * n + j] = referenceEpilogue(sum, gemm.epilogue);
        bound[(b * m + i) * n + j] = mag;
      }

  std::vector<float> c(batch * cBatchStride + 1), portable;
  args.c = c.data();
  for (W4gemmIsa isa : supportedW4gemmIsas())
    for (auto &runtime : runtimes) {
      EXPECT_TRUE(runtime->setW4gemmIsa(isa));
      std::fill(c.begin(), c.end(), kSentinel);
      tsr_kernel_context_t *context = runtime->context();
      context->w4gemm(context->runtime, &args);
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
            double tolerance = 1e-5 * bound[(b * m + i) * n + j] + 1e-6;
            if (!(std::fabs(got - want) <= tolerance) && mismatches++ < 3)
              ADD_FAILURE() << "C[" << b << ", " << i << ", " << j << "] = "
                            << got << ", expected " << want;
          }
        for (int64_t gap = m * cLd; gap < cBatchStride; ++gap)
          if (c[b * cBatchStride + gap] != kSentinel && mismatches++ < 3)
            ADD_FAILURE() << "wrote between batch elements";
      }
      // Bit for bit the portable kernel's floats (the first run), without
      // an epilogue (whose vector math is within ulps of libm's).
      if (portable.empty())
        portable = c;
      else if (gemm.epilogue == TSR_EPILOGUE_NONE && c != portable &&
               mismatches++ < 3)
        ADD_FAILURE() << "differs from the portable kernel's floats";
      if (mismatches) {
        ADD_FAILURE() << mismatches << " mismatches for " << gemm.describe()
                      << " on " << getW4gemmIsaName(isa) << " with "
                      << runtime->pool().numThreads() << " threads";
        return false;
      }
    }
  return true;
}

TEST(W4gemmPackTest, Layout) {
  const int64_t k = 6, n = 19;
  std::vector<uint8_t> q(k * n);
  for (int64_t i = 0; i < k * n; ++i)
    q[i] = static_cast<uint8_t>((i * 7) % 16);
  std::vector<uint8_t> packed(tsr_packed_w4_size(k, n));
  ASSERT_EQ(packed.size(), 2u * 3 * 16);
  tsr_pack_w4_panels(q.data(), k, n, n, 1, packed.data());
  for (int64_t kk = 0; kk < k; ++kk)
    for (int64_t j = 0; j < 32; ++j) {
      uint8_t byte = packed[((j / 16) * (k / 2) + kk / 2) * 16 + j % 16];
      int want = j < n ? q[kk * n + j] : 0;
      EXPECT_EQ(kk % 2 ? byte >> 4 : byte & 15, want) << "k " << kk << " n " << j;
    }
}

TEST_F(W4gemmTest, EveryEdgeSize) {
  for (int64_t m : {1, 2, 3, 7, 8, 9, 17})
    for (int64_t n : {1, 15, 16, 17, 31, 32, 33, 100})
      for (auto [k, group] : {std::pair<int64_t, int64_t>{2, 2},
                              {64, 32},
                              {256, 128}}) {
        W4Case gemm;
        gemm.m = m;
        gemm.n = n;
        gemm.k = k;
        gemm.group = group;
        gemm.zeros = (m + n) % 2 == 0;
        gemm.f16 = (m + k) % 2 == 1;
        ASSERT_TRUE(check(gemm));
      }
}

TEST_F(W4gemmTest, BatchesStridesBiasAndEpilogues) {
  for (bool transposed : {false, true})
    for (int64_t epilogue : {TSR_EPILOGUE_NONE, TSR_EPILOGUE_GELU,
                             TSR_EPILOGUE_SILU, TSR_EPILOGUE_RELU}) {
      W4Case gemm;
      gemm.batch = 3;
      gemm.m = 11;
      gemm.n = 70;
      gemm.k = 96;
      gemm.group = 32;
      gemm.zeros = true;
      gemm.aTransposed = transposed;
      gemm.pad = 3;
      gemm.bias = true;
      gemm.epilogue = epilogue;
      gemm.f16 = transposed;
      ASSERT_TRUE(check(gemm));
    }
}

TEST(HalfTest, ConvertsBothWays) {
  // Exact values, ties to even, overflow, underflow to subnormals and 0.
  EXPECT_EQ(tsr_f32_to_f16(1.0f), 0x3c00);
  EXPECT_EQ(tsr_f32_to_f16(-2.5f), 0xc100);
  EXPECT_EQ(tsr_f32_to_f16(65504.0f), 0x7bff);
  EXPECT_EQ(tsr_f32_to_f16(65520.0f), 0x7c00);
  EXPECT_EQ(tsr_f32_to_f16(1.0f + 1.0f / 2048), 0x3c00); // tie: even
  EXPECT_EQ(tsr_f32_to_f16(1.0f + 3.0f / 2048), 0x3c02); // tie: even
  EXPECT_EQ(tsr_f32_to_f16(std::ldexp(1.0f, -24)), 0x0001);
  EXPECT_EQ(tsr_f32_to_f16(std::ldexp(1.0f, -25)), 0x0000); // tie: even
  EXPECT_EQ(tsr_f32_to_f16(std::ldexp(3.0f, -25)), 0x0002);
  EXPECT_EQ(tsr_f32_to_f16(std::ldexp(1.0f, -14)), 0x0400);
  EXPECT_TRUE(std::isnan(tsr_f16_to_f32(tsr_f32_to_f16(std::nanf("")))));
  // Every finite half survives the round trip.
  for (uint32_t h = 0; h < 0x10000; ++h) {
    if ((h & 0x7c00) == 0x7c00)
      continue;
    float f = tsr_f16_to_f32(static_cast<uint16_t>(h));
    ASSERT_EQ(tsr_f32_to_f16(f), h) << std::hex << h;
  }
  EXPECT_EQ(tsr_f16_to_f32(0x0001), std::ldexp(1.0f, -24));
  EXPECT_EQ(tsr_f16_to_f32(0x3555), 0.333251953125f);
}

TEST_F(W4gemmTest, DecodeAndPrefillShapes) {
  // A LLaMA-style projection at one token (decode: threads split N) and at
  // a few (prefill).
  for (int64_t m : {1, 24}) {
    W4Case gemm;
    gemm.m = m;
    gemm.n = 512;
    gemm.k = 1024;
    gemm.group = 128;
    gemm.bias = m == 1;
    gemm.f16 = m == 1;
    ASSERT_TRUE(check(gemm));
  }
}

TEST_F(W4gemmTest, RejectsBadGroups) {
  float a[4] = {1, 1, 1, 1}, c = kSentinel, scale[32] = {1}, bias = 0;
  uint8_t packed[64] = {0x11};
  for (auto [k, group] : {std::pair<int64_t, int64_t>{4, 3},
                          {4, 0},
                          {6, 4},
                          {4, -2}}) {
    tsr_w4gemm_args_t args = {};
    args.a = a;
    args.b = packed;
    args.b_scale = scale;
    args.bias = &bias;
    args.c = &c;
    args.batch = args.m = args.n = 1;
    args.k = k;
    args.group = group;
    args.a_row_stride = 4;
    args.a_col_stride = 1;
    args.c_row_stride = 1;
    tsr_kernel_context_t *context = runtimes[0]->context();
    context->w4gemm(context->runtime, &args);
    EXPECT_EQ(c, kSentinel) << "k " << k << " group " << group;
  }
}

} // namespace
