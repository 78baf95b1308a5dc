//===- SpgemmTest.cpp - Tests of the runtime's sparse-weight GEMM ---------===//
//
// Part of the Tessera runtime tests.
//
//===----------------------------------------------------------------------===//
//
// tsr_spgemm_args_t through the kernel context, both formats, on every ISA
// this CPU runs and on 1 and 2 threads, against a double-precision
// reference and against the dense SGEMM on the same weights (within f32
// summation error: only the order of the sums may differ). Weights: random
// zero 16 x 16 blocks, unstructured zeros, 2:4, all zero and no zero, with
// the stored blocks at the edges of odd sizes; K across the driver's k
// block; strided and transposed A, batches, bias, epilogues; no writes
// outside C; arguments the ABI forbids compute nothing. Also the packed
// layouts of tsr_pack_sparse_block16 and tsr_pack_sparse_csr.
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

enum class Pattern { Blocks, Unstructured, TwoFour, AllZero, NoZero };

const char *patternName(Pattern p) {
  switch (p) {
  case Pattern::Blocks:
    return "blocks";
  case Pattern::Unstructured:
    return "unstructured";
  case Pattern::TwoFour:
    return "2:4";
  case Pattern::AllZero:
    return "all-zero";
  case Pattern::NoZero:
    return "no-zero";
  }
  return "?";
}

struct SpCase {
  int64_t batch = 1, m = 0, n = 0, k = 0;
  Pattern pattern = Pattern::Blocks;
  int64_t format = TSR_SPGEMM_BLOCK16;
  bool aTransposed = false, bias = false;
  int64_t pad = 0;
  int64_t epilogue = TSR_EPILOGUE_NONE;

  std::string describe() const {
    std::ostringstream os;
    os << "batch " << batch << " m " << m << " n " << n << " k " << k << " "
       << patternName(pattern)
       << (format == TSR_SPGEMM_BLOCK16 ? " as block16" : " as csr")
       << (aTransposed ? " A^T" : "") << (bias ? " bias" : "") << " pad "
       << pad << " epilogue " << epilogue;
    return os.str();
  }
};

std::vector<SpgemmIsa> supportedSpgemmIsas() {
  std::vector<SpgemmIsa> isas;
  for (SpgemmIsa isa : {SpgemmIsa::Generic, SpgemmIsa::Avx2, SpgemmIsa::Avx512})
    if (isSpgemmIsaSupported(isa))
      isas.push_back(isa);
  return isas;
}

/// A [k, n] row-major weight with `pattern`'s zeros.
std::vector<float> sparseWeight(std::mt19937 &rng, int64_t k, int64_t n,
                                Pattern pattern) {
  std::vector<float> b(k * n);
  fillUniform(rng, -1.0f, 1.0f, {&b});
  std::bernoulli_distribution half(0.5), tenth(0.1);
  switch (pattern) {
  case Pattern::Blocks:
    // Keep about half of the 16 x 16 blocks, and always the one at the
    // bottom-right corner (a partial block when k or n is odd).
    for (int64_t kb = 0; kb * 16 < k; ++kb)
      for (int64_t p = 0; p * 16 < n; ++p) {
        bool last = (kb + 1) * 16 >= k && (p + 1) * 16 >= n;
        if (last || half(rng))
          continue;
        for (int64_t kk = kb * 16; kk < std::min(k, kb * 16 + 16); ++kk)
          for (int64_t j = p * 16; j < std::min(n, p * 16 + 16); ++j)
            b[kk * n + j] = 0.0f;
      }
    break;
  case Pattern::Unstructured:
    for (float &x : b)
      if (!tenth(rng))
        x = 0.0f;
    break;
  case Pattern::TwoFour:
    for (int64_t j = 0; j < n; ++j)
      for (int64_t g = 0; g < k; g += 4) {
        int64_t keep0 = g + rng() % 4, keep1 = g + rng() % 4;
        for (int64_t kk = g; kk < std::min(k, g + 4); ++kk)
          if (kk != keep0 && kk != keep1)
            b[kk * n + j] = 0.0f;
      }
    break;
  case Pattern::AllZero:
    std::fill(b.begin(), b.end(), 0.0f);
    break;
  case Pattern::NoZero:
    break;
  }
  return b;
}

class SpgemmTest : public KernelTest {
protected:
  bool check(const SpCase &gemm);
  std::mt19937 rng{4242};
};

bool SpgemmTest::check(const SpCase &gemm) {
  const int64_t batch = gemm.batch, m = gemm.m, n = gemm.n, k = gemm.k;
  int64_t aLd = (gemm.aTransposed ? m : k) + gemm.pad;
  int64_t aBatchStride = (gemm.aTransposed ? k : m) * aLd + 3;
  std::vector<float> a(batch * aBatchStride + 1), bias(n + 1);
  fillUniform(rng, -1.0f, 1.0f, {&a, &bias});
  auto aAt = [&](int64_t bi, int64_t i, int64_t kk) {
    return a[bi * aBatchStride +
             (gemm.aTransposed ? kk * aLd + i : i * aLd + kk)];
  };
  std::vector<float> b = sparseWeight(rng, k, n, gemm.pattern);

  // The packed weights, with a sentinel past each array's end.
  std::vector<int32_t> offsets, indices;
  std::vector<float> values;
  if (gemm.format == TSR_SPGEMM_BLOCK16) {
    int64_t count = tsr_sparse_block16_count(b.data(), k, n, n, 1);
    offsets.assign((n + 15) / 16 + 2, -7);
    indices.assign(count + 1, -7);
    values.assign(count * 256 + 1, kSentinel);
    tsr_pack_sparse_block16(b.data(), k, n, n, 1, offsets.data(),
                            indices.data(), values.data());
  } else {
    int64_t count = tsr_sparse_nonzeros(b.data(), k, n, n, 1);
    offsets.assign(n + 2, -7);
    indices.assign(count + 1, -7);
    values.assign(count + 1, kSentinel);
    tsr_pack_sparse_csr(b.data(), k, n, n, 1, offsets.data(), indices.data(),
                        values.data());
  }
  EXPECT_EQ(offsets.back(), -7);
  EXPECT_EQ(indices.back(), -7);
  EXPECT_EQ(values.back(), kSentinel);

  tsr_spgemm_args_t args = {};
  args.a = a.data();
  args.values = values.data();
  args.indices = indices.data();
  args.offsets = offsets.data();
  args.bias = gemm.bias ? bias.data() : nullptr;
  args.batch = batch;
  args.m = m;
  args.n = n;
  args.k = k;
  args.a_batch_stride = aBatchStride;
  args.a_row_stride = gemm.aTransposed ? 1 : aLd;
  args.a_col_stride = gemm.aTransposed ? aLd : 1;
  args.epilogue = gemm.epilogue;
  args.format = gemm.format;
  int64_t cLd = n + gemm.pad;
  int64_t cBatchStride = m * cLd + 2;
  args.c_batch_stride = cBatchStride;
  args.c_row_stride = cLd;

  std::vector<double> expected(batch * m * n), bound(batch * m * n);
  for (int64_t bi = 0; bi < batch; ++bi)
    for (int64_t i = 0; i < m; ++i)
      for (int64_t j = 0; j < n; ++j) {
        double sum = gemm.bias ? bias[j] : 0.0, mag = std::fabs(sum);
        for (int64_t kk = 0; kk < k; ++kk) {
          sum += double(aAt(bi, i, kk)) * b[kk * n + j];
          mag += std::fabs(double(aAt(bi, i, kk)) * b[kk * n + j]);
        }
        expected[(bi * m + i) * n + j] = referenceEpilogue(sum, gemm.epilogue);
        bound[(bi * m + i) * n + j] = mag;
      }

  // The dense SGEMM on the same weights: the same values up to the order
  // of the sums.
  std::vector<float> dense(batch * cBatchStride + 1, kSentinel);
  {
    tsr_sgemm_args_t d = {};
    d.a = args.a;
    d.b = b.data();
    d.c = dense.data();
    d.bias = args.bias;
    d.batch = batch;
    d.m = m;
    d.n = n;
    d.k = k;
    d.a_batch_stride = aBatchStride;
    d.a_row_stride = args.a_row_stride;
    d.a_col_stride = args.a_col_stride;
    d.b_row_stride = n;
    d.b_col_stride = 1;
    d.c_batch_stride = cBatchStride;
    d.c_row_stride = cLd;
    d.b_layout = TSR_SGEMM_B_STRIDED;
    d.epilogue = gemm.epilogue;
    tsr_kernel_context_t *context = runtimes[0]->context();
    context->sgemm(context->runtime, &d);
  }

  std::vector<float> c(batch * cBatchStride + 1);
  args.c = c.data();
  for (SpgemmIsa isa : supportedSpgemmIsas())
    for (auto &runtime : runtimes) {
      EXPECT_TRUE(runtime->setSpgemmIsa(isa));
      std::fill(c.begin(), c.end(), kSentinel);
      tsr_kernel_context_t *context = runtime->context();
      context->spgemm(context->runtime, &args);
      int mismatches = 0;
      for (int64_t bi = 0; bi < batch; ++bi) {
        for (int64_t i = 0; i < m; ++i)
          for (int64_t j = 0; j < cLd; ++j) {
            int64_t at = bi * cBatchStride + i * cLd + j;
            float got = c[at];
            if (j >= n) {
              if (got != kSentinel && mismatches++ < 3)
                ADD_FAILURE() << "wrote row padding at row " << i;
              continue;
            }
            double want = expected[(bi * m + i) * n + j];
            double tolerance = 1e-5 * bound[(bi * m + i) * n + j] + 1e-6;
            if (!(std::fabs(got - want) <= tolerance) && mismatches++ < 3)
              ADD_FAILURE() << "C[" << bi << ", " << i << ", " << j
                            << "] = " << got << ", expected " << want;
            if (!(std::fabs(got - dense[at]) <= 2 * tolerance) &&
                mismatches++ < 3)
              ADD_FAILURE() << "C[" << bi << ", " << i << ", " << j
                            << "] = " << got << ", the dense SGEMM's "
                            << dense[at];
          }
        for (int64_t gap = m * cLd; gap < cBatchStride; ++gap)
          if (c[bi * cBatchStride + gap] != kSentinel && mismatches++ < 3)
            ADD_FAILURE() << "wrote between batch elements";
      }
      if (mismatches) {
        ADD_FAILURE() << mismatches << " mismatches for " << gemm.describe()
                      << " on " << getSpgemmIsaName(isa) << " with "
                      << runtime->pool().numThreads() << " threads";
        return false;
      }
    }
  return true;
}

TEST(SpgemmPackTest, Block16Layout) {
  // 20 x 35: blocks (kb, p) = (0, 0), (1, 2) hold nonzeros.
  const int64_t k = 20, n = 35;
  std::vector<float> b(k * n, 0.0f);
  b[3 * n + 5] = 1.5f;
  b[17 * n + 34] = -2.0f;
  EXPECT_EQ(tsr_sparse_block16_count(b.data(), k, n, n, 1), 2);
  std::vector<int32_t> offsets(4), indices(2);
  std::vector<float> values(512);
  tsr_pack_sparse_block16(b.data(), k, n, n, 1, offsets.data(),
                          indices.data(), values.data());
  EXPECT_EQ(offsets, (std::vector<int32_t>{0, 1, 1, 2}));
  EXPECT_EQ(indices, (std::vector<int32_t>{0, 1}));
  EXPECT_EQ(values[3 * 16 + 5], 1.5f);
  EXPECT_EQ(values[256 + 1 * 16 + 2], -2.0f);
  int nonzero = 0;
  for (float v : values)
    nonzero += v != 0.0f;
  EXPECT_EQ(nonzero, 2);
  // The transposed storage of the same matrix packs the same.
  std::vector<float> bt(k * n);
  for (int64_t kk = 0; kk < k; ++kk)
    for (int64_t j = 0; j < n; ++j)
      bt[j * k + kk] = b[kk * n + j];
  std::vector<float> values2(512);
  tsr_pack_sparse_block16(bt.data(), k, n, 1, k, offsets.data(),
                          indices.data(), values2.data());
  EXPECT_EQ(values, values2);
}

TEST(SpgemmPackTest, CsrLayout) {
  const int64_t k = 5, n = 3;
  std::vector<float> b(k * n, 0.0f);
  b[1 * n + 0] = 1.0f;
  b[4 * n + 0] = 2.0f;
  b[0 * n + 2] = 3.0f;
  b[2 * n + 2] = -0.0f; // counts as zero
  EXPECT_EQ(tsr_sparse_nonzeros(b.data(), k, n, n, 1), 3);
  std::vector<int32_t> offsets(4), indices(3);
  std::vector<float> values(3);
  tsr_pack_sparse_csr(b.data(), k, n, n, 1, offsets.data(), indices.data(),
                      values.data());
  EXPECT_EQ(offsets, (std::vector<int32_t>{0, 2, 2, 3}));
  EXPECT_EQ(indices, (std::vector<int32_t>{1, 4, 0}));
  EXPECT_EQ(values, (std::vector<float>{1.0f, 2.0f, 3.0f}));
}

TEST_F(SpgemmTest, EveryEdgeSizeAndPattern) {
  for (int64_t format : {TSR_SPGEMM_BLOCK16, TSR_SPGEMM_CSR})
    for (Pattern pattern : {Pattern::Blocks, Pattern::Unstructured,
                            Pattern::TwoFour, Pattern::AllZero,
                            Pattern::NoZero})
      for (int64_t m : {1, 5, 16, 17, 65})
        for (int64_t n : {1, 16, 17, 33})
          for (int64_t k : {1, 16, 37}) {
            SpCase gemm;
            gemm.m = m;
            gemm.n = n;
            gemm.k = k;
            gemm.pattern = pattern;
            gemm.format = format;
            gemm.bias = (m + n) % 2 == 0;
            ASSERT_TRUE(check(gemm));
          }
}

TEST_F(SpgemmTest, LongReductionsAndManyRows) {
  // K past the driver's k block (1024), M past its row block (128).
  for (int64_t format : {TSR_SPGEMM_BLOCK16, TSR_SPGEMM_CSR})
    for (auto [m, n, k] : {std::tuple<int64_t, int64_t, int64_t>{7, 40, 1100},
                           {130, 48, 300},
                           {200, 17, 2085}}) {
      SpCase gemm;
      gemm.m = m;
      gemm.n = n;
      gemm.k = k;
      gemm.format = format;
      gemm.pattern = format == TSR_SPGEMM_CSR ? Pattern::Unstructured
                                              : Pattern::Blocks;
      gemm.bias = true;
      ASSERT_TRUE(check(gemm));
    }
}

TEST_F(SpgemmTest, BatchesStridesBiasAndEpilogues) {
  for (int64_t format : {TSR_SPGEMM_BLOCK16, TSR_SPGEMM_CSR})
    for (bool transposed : {false, true})
      for (int64_t epilogue : {TSR_EPILOGUE_NONE, TSR_EPILOGUE_GELU,
                               TSR_EPILOGUE_GELU_TANH, TSR_EPILOGUE_SILU,
                               TSR_EPILOGUE_RELU}) {
        SpCase gemm;
        gemm.batch = 3;
        gemm.m = 21;
        gemm.n = 70;
        gemm.k = 96;
        gemm.format = format;
        gemm.pattern = Pattern::TwoFour;
        gemm.aTransposed = transposed;
        gemm.pad = 3;
        gemm.bias = true;
        gemm.epilogue = epilogue;
        ASSERT_TRUE(check(gemm));
      }
}

TEST_F(SpgemmTest, EmptyReductionAndForbiddenArguments) {
  // K = 0: C = epilogue(bias); nothing is read from the weights.
  std::vector<float> c(2 * 3, kSentinel), bias = {1.0f, -1.0f, 2.0f};
  std::vector<int32_t> offsets(4, 0);
  tsr_spgemm_args_t args = {};
  args.c = c.data();
  args.bias = bias.data();
  args.offsets = offsets.data();
  args.batch = 1;
  args.m = 2;
  args.n = 3;
  args.k = 0;
  args.c_row_stride = 3;
  args.epilogue = TSR_EPILOGUE_RELU;
  args.format = TSR_SPGEMM_CSR;
  tsr_kernel_context_t *context = runtimes[0]->context();
  context->spgemm(context->runtime, &args);
  EXPECT_EQ(c, (std::vector<float>{1, 0, 2, 1, 0, 2}));
  // An unknown format or a negative size computes nothing.
  std::fill(c.begin(), c.end(), kSentinel);
  args.k = 4;
  args.format = 7;
  context->spgemm(context->runtime, &args);
  args.format = TSR_SPGEMM_CSR;
  args.m = -1;
  context->spgemm(context->runtime, &args);
  for (float x : c)
    EXPECT_EQ(x, kSentinel);
}

} // namespace
