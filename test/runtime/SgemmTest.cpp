//===- SgemmTest.cpp - Tests of the runtime's SGEMM -----------------------===//
//
// Part of the Tessera runtime tests.
//
//===----------------------------------------------------------------------===//
//
// tsr_sgemm_args_t through the kernel context, against a double-precision
// reference: every m, n, k of a list of awkward sizes (edges of every micro-
// tile and cache block), A and B row-major, transposed or padded, B packed by
// tsr_pack_b_panels, batches with distinct or shared operands, bias and every
// epilogue, the empty reduction, and each ISA this CPU runs on 1 and 2
// threads. Writes outside C (row padding, between batches) must not happen.
// Also: the session hands generated code a working kernel context.
//
//===----------------------------------------------------------------------===//
#include "KernelRuntime.h"
#include "KernelTestSupport.h"
#include "RuntimeTestSupport.h"

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

const int64_t kSizes[] = {0, 1, 2, 3, 7, 13, 16, 17, 31, 33, 64, 100, 257};

struct GemmCase {
  GemmCase() = default;
  GemmCase(int64_t batch, int64_t m, int64_t n, int64_t k)
      : batch(batch), m(m), n(n), k(k) {}

  int64_t batch = 1, m = 0, n = 0, k = 0;
  bool aTransposed = false; // A stored [k, m].
  bool bTransposed = false; // B stored [n, k].
  bool bPacked = false;
  int64_t pad = 0; // Extra elements per stored row (non-contiguous views).
  bool bias = false;
  int64_t epilogue = TSR_EPILOGUE_NONE;
  bool sharedB = false; // b_batch_stride = 0.

  std::string describe() const {
    std::ostringstream os;
    os << "batch " << batch << " m " << m << " n " << n << " k " << k
       << (aTransposed ? " A^T" : "") << (bTransposed ? " B^T" : "")
       << (bPacked ? " packed-B" : "") << (sharedB ? " shared-B" : "")
       << " pad " << pad << (bias ? " bias" : "") << " epilogue " << epilogue;
    return os.str();
  }
};

class SgemmTest : public KernelTest {
protected:
  /// Builds the operands of `gemm`, runs it on every ISA and thread count,
  /// and compares with the reference. Returns false after the first
  /// mismatching configuration.
  bool check(const GemmCase &gemm);

  /// C = epilogue(x * 1) as an [x.size(), 1] x [1, 1] product on runtime
  /// 0: the product is exact, so C shows the epilogue alone.
  void applyEpilogue(const std::vector<float> &x, std::vector<float> &c,
                     int64_t epilogue);

  std::mt19937 rng{1234};
};

bool SgemmTest::check(const GemmCase &gemm) {
  const int64_t batch = gemm.batch, m = gemm.m, n = gemm.n, k = gemm.k;
  auto fill = [&](std::vector<float> &values) {
    fillUniform(rng, -1.0f, 1.0f, {&values});
  };

  // A: logical [m, k] per batch element, stored row-major or transposed,
  // rows padded, batch elements 5 floats apart beyond that.
  int64_t aLd = (gemm.aTransposed ? m : k) + gemm.pad;
  int64_t aBatchStride = (gemm.aTransposed ? k : m) * aLd + 5;
  std::vector<float> a(batch * aBatchStride + 1);
  fill(a);
  auto aAt = [&](int64_t b, int64_t i, int64_t kk) {
    return a[b * aBatchStride +
             (gemm.aTransposed ? kk * aLd + i : i * aLd + kk)];
  };
  int64_t bBatches = gemm.sharedB ? 1 : batch;
  int64_t bLd = (gemm.bTransposed ? k : n) + gemm.pad;
  int64_t bStridedBatch = (gemm.bTransposed ? n : k) * bLd + 3;
  std::vector<float> b(bBatches * bStridedBatch + 1);
  fill(b);
  auto bAt = [&](int64_t bi, int64_t kk, int64_t j) {
    if (gemm.sharedB)
      bi = 0;
    return b[bi * bStridedBatch +
             (gemm.bTransposed ? j * bLd + kk : kk * bLd + j)];
  };
  std::vector<float> bias(n + 1);
  fill(bias);

  tsr_sgemm_args_t args = {};
  args.a = a.data();
  args.batch = batch;
  args.m = m;
  args.n = n;
  args.k = k;
  args.a_batch_stride = aBatchStride;
  args.a_row_stride = gemm.aTransposed ? 1 : aLd;
  args.a_col_stride = gemm.aTransposed ? aLd : 1;
  args.bias = gemm.bias ? bias.data() : nullptr;
  args.epilogue = gemm.epilogue;
  std::vector<float> packed;
  if (gemm.bPacked) {
    int64_t size = tsr_packed_b_size(k, n);
    EXPECT_EQ(size, (n + 15) / 16 * 16 * k);
    packed.assign(bBatches * size + 1, kSentinel);
    for (int64_t bi = 0; bi < bBatches; ++bi)
      tsr_pack_b_panels(b.data() + bi * bStridedBatch, k, n,
                        gemm.bTransposed ? 1 : bLd, gemm.bTransposed ? bLd : 1,
                        packed.data() + bi * size);
    args.b = packed.data();
    args.b_batch_stride = gemm.sharedB ? 0 : size;
    args.b_layout = TSR_SGEMM_B_PACKED;
  } else {
    args.b = b.data();
    args.b_batch_stride = gemm.sharedB ? 0 : bStridedBatch;
    args.b_row_stride = gemm.bTransposed ? 1 : bLd;
    args.b_col_stride = gemm.bTransposed ? bLd : 1;
    args.b_layout = TSR_SGEMM_B_STRIDED;
  }
  int64_t cLd = n + gemm.pad;
  int64_t cBatchStride = m * cLd + 2;
  args.c_batch_stride = cBatchStride;
  args.c_row_stride = cLd;

  std::vector<double> expected(batch * m * n), tolerance(batch * m * n);
  for (int64_t bi = 0; bi < batch; ++bi)
    for (int64_t i = 0; i < m; ++i)
      for (int64_t j = 0; j < n; ++j) {
        double sum = gemm.bias ? bias[j] : 0.0;
        double magnitude = std::fabs(sum);
        for (int64_t kk = 0; kk < k; ++kk) {
          double product = double(aAt(bi, i, kk)) * bAt(bi, kk, j);
          sum += product;
          magnitude += std::fabs(product);
        }
        size_t index = (bi * m + i) * n + j;
        expected[index] = referenceEpilogue(sum, gemm.epilogue);
        tolerance[index] = 1e-5 * magnitude + 1e-7;
      }

  std::vector<float> c(batch * cBatchStride + 1);
  args.c = c.data();
  return checkEveryConfiguration(
      gemm, [&](SgemmIsa isa, KernelRuntime &runtime) {
        EXPECT_TRUE(runtime.setSgemmIsa(isa));
        std::fill(c.begin(), c.end(), kSentinel);
        tsr_kernel_context_t *context = runtime.context();
        context->sgemm(context->runtime, &args);

        int mismatches = 0;
        for (int64_t bi = 0; bi < batch; ++bi)
          for (int64_t i = 0; i < m; ++i)
            for (int64_t j = 0; j < cLd; ++j) {
              float got = c[bi * cBatchStride + i * cLd + j];
              if (j >= n) {
                if (got != kSentinel && mismatches++ < 3)
                  ADD_FAILURE() << "wrote row padding at batch " << bi
                                << " row " << i << " column " << j;
                continue;
              }
              size_t index = (bi * m + i) * n + j;
              if (!(std::fabs(got - expected[index]) <= tolerance[index]) &&
                  mismatches++ < 3)
                ADD_FAILURE() << "C[" << bi << ", " << i << ", " << j
                              << "] = " << got << ", expected "
                              << expected[index] << " +- " << tolerance[index];
            }
        for (int64_t bi = 0; bi < batch; ++bi)
          for (int64_t gap = m * cLd; gap < cBatchStride; ++gap)
            if (c[bi * cBatchStride + gap] != kSentinel && mismatches++ < 3)
              ADD_FAILURE() << "wrote between batch elements";
        return mismatches;
      });
}

void SgemmTest::applyEpilogue(const std::vector<float> &x,
                              std::vector<float> &c, int64_t epilogue) {
  const float one = 1.0f;
  tsr_sgemm_args_t args = {};
  args.a = x.data();
  args.b = &one;
  args.c = c.data();
  args.batch = 1;
  args.m = static_cast<int64_t>(x.size());
  args.n = 1;
  args.k = 1;
  args.a_row_stride = 1;
  args.a_col_stride = 1;
  args.b_row_stride = 1;
  args.b_col_stride = 1;
  args.c_row_stride = 1;
  args.epilogue = epilogue;
  tsr_kernel_context_t *context = runtimes[0]->context();
  context->sgemm(context->runtime, &args);
}

TEST_F(SgemmTest, RowMajorEveryShape) {
  for (int64_t m : kSizes)
    for (int64_t n : kSizes)
      for (int64_t k : kSizes) {
        ASSERT_TRUE(check(GemmCase(/*batch=*/1, m, n, k)));
      }
}

TEST_F(SgemmTest, PackedBEveryShapeWithBiasAndEpilogues) {
  int64_t index = 0;
  for (int64_t m : kSizes)
    for (int64_t n : kSizes)
      for (int64_t k : kSizes) {
        // Batches of 3 where the reference stays cheap.
        GemmCase gemm(m * n * k <= 40000 ? 3 : 1, m, n, k);
        gemm.bPacked = true;
        gemm.bias = index % 2 == 0;
        gemm.epilogue = index++ % 5;
        ASSERT_TRUE(check(gemm));
      }
}

TEST_F(SgemmTest, TransposedAndPaddedLayouts) {
  const int64_t sizes[] = {0, 1, 3, 16, 17, 33, 100};
  int64_t index = 0;
  for (int layout = 0; layout < 6; ++layout)
    for (int64_t m : sizes)
      for (int64_t n : sizes)
        for (int64_t k : sizes) {
          GemmCase gemm(/*batch=*/3, m, n, k);
          gemm.aTransposed = layout & 1;
          gemm.bTransposed = layout & 2;
          gemm.bPacked = layout >= 4;
          gemm.pad = 3;
          gemm.bias = index % 3 != 0;
          gemm.epilogue = index++ % 5;
          ASSERT_TRUE(check(gemm));
        }
}

TEST_F(SgemmTest, SharedBAcrossBatch) {
  for (bool packed : {false, true})
    for (int64_t batch : {2, 5, 12})
      for (int64_t m : {1, 17, 64}) {
        GemmCase gemm(batch, m, /*n=*/50, /*k=*/70);
        gemm.bPacked = packed;
        gemm.sharedB = true;
        gemm.bias = true;
        gemm.epilogue = TSR_EPILOGUE_GELU;
        ASSERT_TRUE(check(gemm));
      }
}

TEST_F(SgemmTest, AttentionShapedBatches) {
  // Q.K^T and P.V of 12 heads: B transposed, then row-major.
  GemmCase scores(/*batch=*/12, /*m=*/128, /*n=*/128, /*k=*/64);
  scores.bTransposed = true;
  ASSERT_TRUE(check(scores));
  GemmCase context = scores;
  context.n = 64;
  context.k = 128;
  context.bTransposed = false;
  ASSERT_TRUE(check(context));
}

TEST_F(SgemmTest, CrossesEveryCacheBlock) {
  // Larger than the k (768), m (192) and strided-B n (768) blocks, with
  // remainders, so that accumulation over k blocks and every block edge run.
  for (bool packed : {false, true}) {
    GemmCase gemm(/*batch=*/1, /*m=*/197, /*n=*/785, /*k=*/1545);
    gemm.pad = 1;
    gemm.bPacked = packed;
    gemm.bias = true;
    gemm.epilogue = packed ? TSR_EPILOGUE_SILU : TSR_EPILOGUE_NONE;
    ASSERT_TRUE(check(gemm));
  }
  GemmCase transposedA(/*batch=*/1, /*m=*/257, /*n=*/100, /*k=*/1537);
  transposedA.aTransposed = true;
  transposedA.bTransposed = true;
  ASSERT_TRUE(check(transposedA));
}

TEST_F(SgemmTest, EmptyReductionGivesEpilogueOfBias) {
  for (int64_t epilogue = 0; epilogue <= TSR_EPILOGUE_RELU; ++epilogue)
    for (bool bias : {false, true}) {
      GemmCase gemm(/*batch=*/2, /*m=*/5, /*n=*/19, /*k=*/0);
      gemm.pad = 2;
      gemm.bias = bias;
      gemm.epilogue = epilogue;
      ASSERT_TRUE(check(gemm));
    }
}

TEST_F(SgemmTest, EpiloguesAreAccurateOverTheirRange) {
  // C = epilogue(x * 1) for x over [-12, 12]: the product is exact, so this
  // measures the epilogue alone (including the vectorized exp and erfc).
  const int64_t count = 4801;
  std::vector<float> x(count), c(count);
  for (int64_t i = 0; i < count; ++i)
    x[i] = -12.0f + 0.005f * static_cast<float>(i);
  for (SgemmIsa isa : supportedIsas())
    for (int64_t epilogue = 1; epilogue <= TSR_EPILOGUE_RELU; ++epilogue) {
      SCOPED_TRACE(testing::Message()
                   << getSgemmIsaName(isa) << " epilogue " << epilogue);
      ASSERT_TRUE(runtimes[0]->setSgemmIsa(isa));
      applyEpilogue(x, c, epilogue);
      int failures = 0;
      for (int64_t i = 0; i < count && failures < 5; ++i) {
        double want = referenceEpilogue(x[i], epilogue);
        // 1e-6 relative to the result, or 1e-7 relative to the input where
        // the result underflows towards 0 (deep negative tails).
        double tolerance = 1e-6 * std::fabs(want) + 1e-7 * std::fabs(x[i]);
        if (!(std::fabs(c[i] - want) <= tolerance)) {
          ++failures;
          ADD_FAILURE() << "x = " << x[i] << ": got " << c[i] << ", expected "
                        << want;
        }
      }
    }
}

TEST_F(SgemmTest, TinyAndHugeValuesThroughEpilogues) {
  // Inputs where exp overflows or underflows must give the limits, not NaN.
  std::vector<float> x = {-1e30f, -200.0f, -90.0f, 0.0f, 90.0f, 200.0f, 1e30f};
  std::vector<float> c(x.size());
  for (SgemmIsa isa : supportedIsas())
    for (int64_t epilogue = 1; epilogue <= TSR_EPILOGUE_RELU; ++epilogue) {
      ASSERT_TRUE(runtimes[0]->setSgemmIsa(isa));
      applyEpilogue(x, c, epilogue);
      for (size_t i = 0; i < x.size(); ++i) {
        float want = x[i] > 0 ? x[i] : 0.0f;
        EXPECT_NEAR(c[i], want, 1e-6 * std::fabs(x[i]))
            << getSgemmIsaName(isa) << " epilogue " << epilogue << " x "
            << x[i];
      }
    }
}

TEST(PackTest, PackedLayoutMatchesAbiFormula) {
  const int64_t k = 5, n = 37;
  std::vector<float> b(k * n);
  for (size_t i = 0; i < b.size(); ++i)
    b[i] = static_cast<float>(i + 1);
  std::vector<float> packed(tsr_packed_b_size(k, n), -1.0f);
  ASSERT_EQ(packed.size(), static_cast<size_t>(3 * 16 * k));
  tsr_pack_b_panels(b.data(), k, n, n, 1, packed.data());
  for (int64_t kk = 0; kk < k; ++kk)
    for (int64_t j = 0; j < 48; ++j) {
      float want = j < n ? b[kk * n + j] : 0.0f;
      EXPECT_EQ(packed[((j / 16) * k + kk) * 16 + j % 16], want)
          << kk << ", " << j;
    }
  // The same matrix stored transposed packs to the same bytes.
  std::vector<float> bt(k * n), packedT(packed.size(), -1.0f);
  for (int64_t kk = 0; kk < k; ++kk)
    for (int64_t j = 0; j < n; ++j)
      bt[j * k + kk] = b[kk * n + j];
  tsr_pack_b_panels(bt.data(), k, n, 1, k, packedT.data());
  EXPECT_EQ(packed, packedT);
  EXPECT_EQ(tsr_packed_b_size(0, 5), 0);
  EXPECT_EQ(tsr_packed_b_size(3, 0), 0);
  EXPECT_EQ(tsr_packed_b_size(3, 16), 48);
  EXPECT_EQ(tsr_packed_b_size(3, 17), 96);
}

} // namespace

namespace tessera::test {
namespace {

TEST_F(RuntimeTest, SessionPassesTheKernelContext) {
  EntrySignature entry{"main",
                       "linear",
                       {sig("x", TSR_DTYPE_F32, {-1, 4}, {"batch", ""})},
                       {sig("y", TSR_DTYPE_F32, {-1, 3}, {"batch", ""})},
                       {0}};
  const float w[12] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};
  ModelPtr model = loadLinked(writeModel(
      "linear.tsr", entry, {{"w", TSR_DTYPE_F32, {4, 3}, w, sizeof(w)}}));
  ASSERT_TRUE(model);
  for (int32_t threads : {0, 1, 2}) {
    tsr_session_options_t options;
    tsr_session_options_init(&options);
    options.num_threads = threads;
    tsr_session_t *raw = nullptr;
    ASSERT_TSR_OK(tsr_session_create(model.get(), &options, &raw));
    SessionPtr session(raw);
    std::vector<float> x = {1, 0, 0, 1, 0, 1, 2, 0};
    std::vector<float> y(6, 0.0f);
    tsr_tensor_view_t input = view(TSR_DTYPE_F32, {2, 4}, x);
    tsr_tensor_view_t output = view(TSR_DTYPE_F32, {}, y);
    ASSERT_TSR_OK(tsr_session_run(session.get(), &input, 1, &output, 1));
    // Row 0 = w[0] + w[3] + 1; row 1 = w[1] + 2 w[2] + 1 (rows of w).
    EXPECT_EQ(y, (std::vector<float>{12, 14, 16, 19, 22, 25}));
  }
}

} // namespace
} // namespace tessera::test
