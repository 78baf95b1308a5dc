//===- QgemmTest.cpp - Tests of the runtime's int8 GEMM -------------------===//
//
// Part of the Tessera runtime tests.
//
//===----------------------------------------------------------------------===//
//
// tsr_qgemm_args_t through the kernel context, on every ISA this CPU runs and
// on 1 and 2 threads, against a reference that quantizes as the ABI says
// (per row of A, or affine as ONNX's QuantizeLinear and
// DynamicQuantizeLinear; float arithmetic) and multiplies in exact integers: without
// an epilogue every kernel must give exactly the reference's floats, with
// one the epilogue's rounding. Awkward sizes (edges of every micro-tile, K
// not a multiple of 4), strided and transposed A, batches, bias, the empty
// reduction, rows of zeros; no writes outside C. Also: the packed layout
// and column sums of tsr_pack_qb_panels, and that the quantized product
// stays close to the float one.
//
//===----------------------------------------------------------------------===//
#include "KernelRuntime.h"
#include "KernelTestSupport.h"
#include "kernels/QgemmKernels.h"

#include "tessera/pack.h"

#include <cmath>
#include <functional>
#include <memory>
#include <random>
#include <sstream>
#include <string>
#include <tuple>
#include <vector>

using namespace tessera::runtime;
using namespace tessera::test;

namespace {

std::vector<QgemmIsa> supportedQgemmIsas() {
  std::vector<QgemmIsa> isas;
  for (QgemmIsa isa : {QgemmIsa::Generic, QgemmIsa::Avx2, QgemmIsa::Avx512Vnni,
                       QgemmIsa::Amx})
    if (isQgemmIsaSupported(isa))
      isas.push_back(isa);
  return isas;
}

struct QgemmCase {
  int64_t batch = 1, m = 0, n = 0, k = 0;
  bool aTransposed = false;
  int64_t pad = 0;
  bool bias = false;
  int64_t epilogue = TSR_EPILOGUE_NONE;
  bool zeroRow = false; // Row 0 of A is all zeros.
  int64_t aQuant = TSR_QGEMM_A_PER_ROW;
  float aScale = 0.0f;    // TSR_QGEMM_A_STATIC
  int32_t aZero = 0;      // TSR_QGEMM_A_STATIC
  float aLo = -2.0f, aHi = 2.0f; // the range A is drawn from
  bool smooth = false; // a_smooth: per-k multipliers in [0.25, 4]

  std::string describe() const {
    std::ostringstream os;
    os << "batch " << batch << " m " << m << " n " << n << " k " << k
       << (aTransposed ? " A^T" : "") << " pad " << pad
       << (bias ? " bias" : "") << " epilogue " << epilogue
       << (zeroRow ? " zero-row" : "") << " a_quant " << aQuant << " scale "
       << aScale << " zero " << aZero << " A in [" << aLo << ", " << aHi
       << "]" << (smooth ? " smooth" : "");
    return os.str();
  }
};

/// ONNX's QuantizeLinear to u8 of one value, written out independently of
/// the runtime's: clamp(round(x / scale) + zero, 0, 255), NaN to 0; returns
/// the value minus the zero point.
int32_t quantizeAffine(float x, float scale, int32_t zero) {
  float r = std::nearbyint(x / scale);
  if (std::isnan(r))
    return -zero;
  return static_cast<int32_t>(std::max(0.0f, std::min(255.0f, r + zero))) -
         zero;
}

/// The ABI's quantization of one row, written out independently of the
/// runtime's.
std::vector<int32_t> quantizeRow(const std::vector<float> &row, float &scale) {
  float amax = 0.0f;
  for (float v : row)
    amax = std::max(amax, std::fabs(v));
  scale = amax / 127.0f;
  float inv = scale > 0.0f ? 1.0f / scale : 0.0f;
  std::vector<int32_t> q;
  for (float v : row) {
    float r = std::nearbyint(v * inv);
    q.push_back(static_cast<int32_t>(std::max(-127.0f, std::min(127.0f, r))));
  }
  return q;
}

class QgemmTest : public ::testing::Test {
protected:
  void SetUp() override {
    for (unsigned threads : {1u, 2u})
      runtimes.push_back(std::make_unique<KernelRuntime>(threads));
  }

  /// Runs `gemm` on every ISA and thread count against the reference;
  /// false after the first mismatching configuration.
  bool check(const QgemmCase &gemm);

  std::vector<std::unique_ptr<KernelRuntime>> runtimes;
  std::mt19937 rng{4321};
};

bool QgemmTest::check(const QgemmCase &gemm) {
  const int64_t batch = gemm.batch, m = gemm.m, n = gemm.n, k = gemm.k;
  int64_t aLd = (gemm.aTransposed ? m : k) + gemm.pad;
  int64_t aBatchStride = (gemm.aTransposed ? k : m) * aLd + 5;
  std::vector<float> a(batch * aBatchStride + 1);
  fillUniform(rng, gemm.aLo, gemm.aHi, {&a});
  auto aIndex = [&](int64_t b, int64_t i, int64_t kk) {
    return b * aBatchStride + (gemm.aTransposed ? kk * aLd + i : i * aLd + kk);
  };
  if (gemm.zeroRow && m > 0)
    for (int64_t b = 0; b < batch; ++b)
      for (int64_t kk = 0; kk < k; ++kk)
        a[aIndex(b, 0, kk)] = 0.0f;
  // Weights [k, n] in int8, their scales and a bias.
  std::vector<int8_t> w(k * n);
  std::uniform_int_distribution<int> wDist(-127, 127);
  for (int8_t &v : w)
    v = static_cast<int8_t>(wDist(rng));
  std::vector<float> wScale(n + 1), bias(n + 1);
  fillUniform(rng, 0.001f, 0.02f, {&wScale});
  fillUniform(rng, -1.0f, 1.0f, {&bias});
  std::vector<int8_t> packed(tsr_packed_qb_size(k, n) + 1);
  std::vector<int32_t> sums(n + 1);
  tsr_pack_qb_panels(w.data(), k, n, /*row_stride=*/n, /*col_stride=*/1,
                     packed.data(), sums.data());

  tsr_qgemm_args_t args = {};
  args.a = a.data();
  args.b = packed.data();
  args.b_scale = wScale.data();
  args.b_sums = sums.data();
  args.bias = gemm.bias ? bias.data() : nullptr;
  args.batch = batch;
  args.m = m;
  args.n = n;
  args.k = k;
  args.a_batch_stride = aBatchStride;
  args.a_row_stride = gemm.aTransposed ? 1 : aLd;
  args.a_col_stride = gemm.aTransposed ? aLd : 1;
  args.epilogue = gemm.epilogue;
  args.a_quant = gemm.aQuant;
  args.a_scale = gemm.aScale;
  args.a_zero_point = gemm.aZero;
  std::vector<float> smooth(k + 1);
  fillUniform(rng, 0.25f, 4.0f, {&smooth});
  if (gemm.smooth)
    args.a_smooth = smooth.data();
  int64_t cLd = n + gemm.pad;
  int64_t cBatchStride = m * cLd + 2;
  args.c_batch_stride = cBatchStride;
  args.c_row_stride = cLd;

  // DynamicQuantizeLinear's parameters over all of A.
  float dynScale = 1.0f;
  int32_t dynZero = 0;
  if (gemm.aQuant == TSR_QGEMM_A_DYNAMIC) {
    float lo = 0.0f, hi = 0.0f;
    for (int64_t b = 0; b < batch; ++b)
      for (int64_t i = 0; i < m; ++i)
        for (int64_t kk = 0; kk < k; ++kk) {
          lo = std::min(lo, a[aIndex(b, i, kk)]);
          hi = std::max(hi, a[aIndex(b, i, kk)]);
        }
    if (hi != lo)
      dynScale = (hi - lo) / 255.0f;
    dynZero = static_cast<int32_t>(
        std::nearbyint(std::max(0.0f, std::min(255.0f, -lo / dynScale))));
  }
  // The reference, in the kernels' float order: (sa * sb) * acc + bias.
  std::vector<float> expected(batch * m * n);
  for (int64_t b = 0; b < batch; ++b)
    for (int64_t i = 0; i < m; ++i) {
      std::vector<float> row(k);
      for (int64_t kk = 0; kk < k; ++kk)
        row[kk] = a[aIndex(b, i, kk)] *
                  (gemm.smooth && gemm.aQuant != TSR_QGEMM_A_DYNAMIC
                       ? smooth[kk]
                       : 1.0f);
      float sa = 1.0f;
      std::vector<int32_t> qa;
      if (gemm.aQuant == TSR_QGEMM_A_PER_ROW) {
        qa = quantizeRow(row, sa);
      } else {
        float scale = gemm.aQuant == TSR_QGEMM_A_STATIC ? gemm.aScale : dynScale;
        int32_t zero = gemm.aQuant == TSR_QGEMM_A_STATIC ? gemm.aZero : dynZero;
        for (float v : row)
          qa.push_back(quantizeAffine(v, scale, zero));
        if (gemm.aQuant == TSR_QGEMM_A_DYNAMIC)
          sa = dynScale;
      }
      for (int64_t j = 0; j < n; ++j) {
        int64_t acc = 0;
        for (int64_t kk = 0; kk < k; ++kk)
          acc += int64_t(qa[kk]) * w[kk * n + j];
        float x = sa * wScale[j] * static_cast<float>(acc);
        if (gemm.bias)
          x += bias[j];
        expected[(b * m + i) * n + j] =
            static_cast<float>(referenceEpilogue(x, gemm.epilogue));
      }
    }

  std::vector<float> c(batch * cBatchStride + 1);
  args.c = c.data();
  // Each configuration: an ISA through the kernel context, and where the
  // CPU has AMX, the AMX set with every M (no VNNI fallback for short A).
  struct Config {
    const char *name;
    std::function<void(KernelRuntime &)> run;
  };
  std::vector<Config> configs;
  for (QgemmIsa isa : supportedQgemmIsas())
    configs.push_back({getQgemmIsaName(isa), [&, isa](KernelRuntime &runtime) {
                         EXPECT_TRUE(runtime.setQgemmIsa(isa));
                         tsr_kernel_context_t *context = runtime.context();
                         context->qgemm(context->runtime, &args);
                       }});
  if (isQgemmIsaSupported(QgemmIsa::Amx))
    configs.push_back({"amx (any M)", [&](KernelRuntime &runtime) {
                         QgemmKernelSet amx = getQgemmKernels(QgemmIsa::Amx);
                         amx.minRows = 0;
                         QgemmWorkspace workspace(runtime.pool().numThreads());
                         runQgemm(args, amx, runtime.pool(), workspace);
                       }});
  for (const Config &config : configs)
    for (auto &runtime : runtimes) {
      std::fill(c.begin(), c.end(), kSentinel);
      config.run(*runtime);
      int mismatches = 0;
      for (int64_t b = 0; b < batch; ++b)
        for (int64_t i = 0; i < m; ++i)
          for (int64_t j = 0; j < cLd; ++j) {
            float got = c[b * cBatchStride + i * cLd + j];
            if (j >= n) {
              if (got != kSentinel && mismatches++ < 3)
                ADD_FAILURE() << "wrote row padding at row " << i;
              continue;
            }
            float want = expected[(b * m + i) * n + j];
            // Exact without an epilogue; the epilogues' vector math is
            // within a few ulps of libm.
            float tolerance = gemm.epilogue == TSR_EPILOGUE_NONE
                                  ? 0.0f
                                  : 4e-6f * std::fabs(want) + 1e-7f;
            if (!(std::fabs(got - want) <= tolerance) && mismatches++ < 3)
              ADD_FAILURE() << "C[" << b << ", " << i << ", " << j
                            << "] = " << got << ", expected " << want;
          }
      for (int64_t b = 0; b < batch; ++b)
        for (int64_t gap = m * cLd; gap < cBatchStride; ++gap)
          if (c[b * cBatchStride + gap] != kSentinel && mismatches++ < 3)
            ADD_FAILURE() << "wrote between batch elements";
      if (mismatches) {
        ADD_FAILURE() << mismatches << " mismatches for " << gemm.describe()
                      << " on " << config.name << " with "
                      << runtime->pool().numThreads() << " threads";
        return false;
      }
    }
  return true;
}

TEST(QgemmPackTest, LayoutAndColumnSums) {
  // 5 x 18: a partial k group and a partial panel.
  const int64_t k = 5, n = 18;
  std::vector<int8_t> w(k * n);
  for (int64_t i = 0; i < k * n; ++i)
    w[i] = static_cast<int8_t>(i % 251 - 125);
  ASSERT_EQ(tsr_packed_qb_size(k, n), 2 * 2 * 64);
  std::vector<int8_t> packed(tsr_packed_qb_size(k, n), 99);
  std::vector<int32_t> sums(n);
  tsr_pack_qb_panels(w.data(), k, n, n, 1, packed.data(), sums.data());
  for (int64_t kk = 0; kk < 8; ++kk)
    for (int64_t j = 0; j < 32; ++j) {
      int8_t want = kk < k && j < n ? w[kk * n + j] : 0;
      EXPECT_EQ(packed[((j / 16) * 2 + kk / 4) * 64 + (j % 16) * 4 + kk % 4],
                want)
          << "k " << kk << " n " << j;
    }
  for (int64_t j = 0; j < n; ++j) {
    int32_t sum = 0;
    for (int64_t kk = 0; kk < k; ++kk)
      sum += w[kk * n + j];
    EXPECT_EQ(sums[j], sum);
  }
}

TEST_F(QgemmTest, EveryEdgeSize) {
  const int64_t sizes[] = {1, 2, 3, 7, 8, 9, 16, 17, 33, 47, 48, 49, 100};
  for (int64_t m : sizes)
    for (int64_t n : {1, 15, 16, 17, 47, 48, 49, 97})
      for (int64_t k : {1, 3, 4, 5, 64, 67}) {
        QgemmCase gemm;
        gemm.m = m;
        gemm.n = n;
        gemm.k = k;
        ASSERT_TRUE(check(gemm));
      }
}

TEST_F(QgemmTest, AmxTileEdges) {
  // The AMX tiles (32 x 32, k blocks of 64) take K a multiple of 64: rows
  // and columns at every edge of their 16 x 16 tiles, several k blocks,
  // each activation scheme, strided A (the portable packing into 64-byte
  // groups) and an epilogue. Other K fall back to the VNNI kernel
  // (EveryEdgeSize's K = 67 runs it on the AMX set too). Every case also
  // runs on the AMX set with its M >= 4 rule off (check's "amx (any M)"),
  // so M = 1 reaches the tiles. On CPUs without AMX these run the other
  // ISAs only.
  for (int64_t m : {1, 15, 16, 17, 31, 32, 33, 70})
    for (int64_t n : {1, 16, 17, 32, 33, 100})
      for (int64_t k : {64, 192}) {
        QgemmCase gemm;
        gemm.m = m;
        gemm.n = n;
        gemm.k = k;
        gemm.bias = true;
        gemm.epilogue = m == 17 ? TSR_EPILOGUE_GELU : TSR_EPILOGUE_NONE;
        gemm.aQuant = n == 17   ? TSR_QGEMM_A_STATIC
                      : n == 33 ? TSR_QGEMM_A_DYNAMIC
                                : TSR_QGEMM_A_PER_ROW;
        gemm.aScale = 0.02f;
        gemm.aZero = 100;
        gemm.aTransposed = m == 33;
        gemm.smooth = m == 31 && gemm.aQuant != TSR_QGEMM_A_DYNAMIC;
        ASSERT_TRUE(check(gemm));
      }
}

TEST_F(QgemmTest, AmxLongReductionsFallBack) {
  // Past the AMX set's maxK (32 rows of K bytes must fit the packed A
  // block) the call runs on the VNNI kernel: K = 16448, a multiple of 64.
  QgemmCase gemm;
  gemm.m = 40;
  gemm.n = 20;
  gemm.k = QgemmWorkspace::kPackedABytes / 32 + 64;
  gemm.bias = true;
  ASSERT_TRUE(check(gemm));
}

TEST_F(QgemmTest, BatchesStridesBiasAndEpilogues) {
  for (bool transposed : {false, true})
    for (int64_t epilogue :
         {TSR_EPILOGUE_NONE, TSR_EPILOGUE_GELU, TSR_EPILOGUE_GELU_TANH,
          TSR_EPILOGUE_SILU, TSR_EPILOGUE_RELU}) {
      QgemmCase gemm;
      gemm.batch = 3;
      gemm.m = 19;
      gemm.n = 100;
      gemm.k = 77;
      gemm.aTransposed = transposed;
      gemm.pad = 3;
      gemm.bias = true;
      gemm.epilogue = epilogue;
      ASSERT_TRUE(check(gemm));
    }
}

TEST_F(QgemmTest, TransformerShapes) {
  // BERT-base's projections and FFN at a few tokens (blocks of rows and
  // columns, both threads splitting N).
  for (auto [m, n, k] : {std::tuple<int64_t, int64_t, int64_t>{16, 768, 768},
                         {9, 3072, 768},
                         {5, 768, 3072}}) {
    QgemmCase gemm;
    gemm.m = m;
    gemm.n = n;
    gemm.k = k;
    gemm.bias = true;
    ASSERT_TRUE(check(gemm));
  }
}

TEST_F(QgemmTest, ZeroRowsAndEmptyReduction) {
  QgemmCase zeros;
  zeros.m = 10;
  zeros.n = 20;
  zeros.k = 30;
  zeros.bias = true;
  zeros.zeroRow = true;
  ASSERT_TRUE(check(zeros));
  QgemmCase empty;
  empty.m = 3;
  empty.n = 20;
  empty.k = 0;
  empty.bias = true;
  empty.epilogue = TSR_EPILOGUE_RELU;
  ASSERT_TRUE(check(empty));
}

TEST_F(QgemmTest, StaticAffineActivations) {
  // QuantizeLinear's u8 and (shifted) s8 activations with a fixed scale:
  // zero points at both ends and the middle, values past the range (which
  // clamp), edge sizes, batches, strides, bias and an epilogue.
  for (int32_t zero : {0, 3, 128, 200, 255})
    for (auto [m, n, k] : {std::tuple<int64_t, int64_t, int64_t>{1, 1, 1},
                           {9, 49, 67},
                           {33, 97, 5}}) {
      QgemmCase gemm;
      gemm.batch = 2;
      gemm.m = m;
      gemm.n = n;
      gemm.k = k;
      gemm.pad = 2;
      gemm.bias = true;
      gemm.epilogue = zero == 200 ? TSR_EPILOGUE_GELU : TSR_EPILOGUE_NONE;
      gemm.aQuant = TSR_QGEMM_A_STATIC;
      gemm.aScale = 0.0123f;
      gemm.aZero = zero;
      gemm.aTransposed = zero == 3;
      ASSERT_TRUE(check(gemm));
    }
}

TEST_F(QgemmTest, SmoothedActivations) {
  // a_smooth multiplies A's columns before the per-row and static
  // quantizations (contiguous rows take the vector packing, transposed ones
  // the portable one); the dynamic scheme ignores it.
  for (int64_t aQuant :
       {TSR_QGEMM_A_PER_ROW, TSR_QGEMM_A_STATIC, TSR_QGEMM_A_DYNAMIC})
    for (auto [m, n, k] : {std::tuple<int64_t, int64_t, int64_t>{1, 17, 3},
                           {9, 49, 67},
                           {20, 64, 768}})
      for (bool transposed : {false, true}) {
        QgemmCase gemm;
        gemm.m = m;
        gemm.n = n;
        gemm.k = k;
        gemm.bias = true;
        gemm.aQuant = aQuant;
        gemm.aScale = 0.031f;
        gemm.aZero = 120;
        gemm.aTransposed = transposed;
        gemm.smooth = true;
        ASSERT_TRUE(check(gemm));
      }
}

TEST_F(QgemmTest, DynamicAffineActivations) {
  // DynamicQuantizeLinear over the whole call: ranges on both sides of 0
  // and all-positive, all-negative and all-zero A.
  for (auto [lo, hi] : {std::pair<float, float>{-2.0f, 2.0f},
                        {-0.5f, 3.0f},
                        {0.25f, 1.0f},
                        {-4.0f, -1.0f},
                        {0.0f, 0.0f}})
    for (auto [m, n, k] : {std::tuple<int64_t, int64_t, int64_t>{1, 17, 3},
                           {17, 48, 100},
                           {64, 130, 768}}) {
      QgemmCase gemm;
      gemm.batch = m == 1 ? 3 : 1;
      gemm.m = m;
      gemm.n = n;
      gemm.k = k;
      gemm.bias = true;
      gemm.aQuant = TSR_QGEMM_A_DYNAMIC;
      gemm.aTransposed = m == 17; // the strided range search
      gemm.aLo = lo;
      gemm.aHi = hi;
      ASSERT_TRUE(check(gemm));
    }
}

TEST_F(QgemmTest, RejectsBadStaticParameters) {
  // A scale that is not positive or a zero point outside [0, 255] computes
  // nothing (the compiler never emits one).
  float a = 1.0f, c = kSentinel, scale = 1.0f, bias = 0.0f;
  int8_t packed[64] = {1};
  int32_t sums = 1;
  for (auto [s, z] : {std::pair<float, int32_t>{0.0f, 0},
                      {-1.0f, 0},
                      {NAN, 0},
                      {1.0f, 256},
                      {1.0f, -1}}) {
    tsr_qgemm_args_t args = {};
    args.a = &a;
    args.b = packed;
    args.b_scale = &scale;
    args.b_sums = &sums;
    args.bias = &bias;
    args.c = &c;
    args.batch = args.m = args.n = args.k = 1;
    args.a_row_stride = args.a_col_stride = args.c_row_stride = 1;
    args.a_quant = TSR_QGEMM_A_STATIC;
    args.a_scale = s;
    args.a_zero_point = z;
    tsr_kernel_context_t *context = runtimes[0]->context();
    context->qgemm(context->runtime, &args);
    EXPECT_EQ(c, kSentinel) << "scale " << s << " zero " << z;
  }
}

TEST_F(QgemmTest, RejectsTooLongReductions) {
  float a = 1.0f, c = kSentinel;
  tsr_qgemm_args_t args = {};
  args.a = &a;
  args.c = &c;
  args.batch = args.m = args.n = 1;
  args.k = TSR_QGEMM_MAX_K + 1;
  tsr_kernel_context_t *context = runtimes[0]->context();
  context->qgemm(context->runtime, &args);
  EXPECT_EQ(c, kSentinel);
}

TEST_F(QgemmTest, CloseToTheFloatProduct) {
  // Per-row activations and per-column weights at 8 bits: over K = 768 the
  // quantized product stays within a few percent of the float one, and its
  // direction (what downstream layers see) within 1e-3.
  const int64_t m = 16, n = 64, k = 768;
  std::vector<float> a(m * k), wf(k * n);
  std::normal_distribution<float> dist(0.0f, 1.0f);
  for (float &v : a)
    v = dist(rng);
  for (float &v : wf)
    v = 0.05f * dist(rng);
  std::vector<float> scale(n);
  std::vector<int8_t> wq(k * n);
  for (int64_t j = 0; j < n; ++j) {
    float amax = 0.0f;
    for (int64_t kk = 0; kk < k; ++kk)
      amax = std::max(amax, std::fabs(wf[kk * n + j]));
    scale[j] = amax / 127.0f;
    for (int64_t kk = 0; kk < k; ++kk)
      wq[kk * n + j] = static_cast<int8_t>(std::nearbyint(wf[kk * n + j] / scale[j]));
  }
  std::vector<int8_t> packed(tsr_packed_qb_size(k, n));
  std::vector<int32_t> sums(n);
  tsr_pack_qb_panels(wq.data(), k, n, n, 1, packed.data(), sums.data());
  std::vector<float> c(m * n);
  tsr_qgemm_args_t args = {};
  args.a = a.data();
  args.b = packed.data();
  args.b_scale = scale.data();
  args.b_sums = sums.data();
  args.c = c.data();
  args.batch = 1;
  args.m = m;
  args.n = n;
  args.k = k;
  args.a_row_stride = k;
  args.a_col_stride = 1;
  args.c_row_stride = n;
  tsr_kernel_context_t *context = runtimes[1]->context();
  context->qgemm(context->runtime, &args);
  double dot = 0, gotNorm = 0, wantNorm = 0;
  for (int64_t i = 0; i < m; ++i)
    for (int64_t j = 0; j < n; ++j) {
      double want = 0;
      for (int64_t kk = 0; kk < k; ++kk)
        want += double(a[i * k + kk]) * wf[kk * n + j];
      double got = c[i * n + j];
      dot += got * want;
      gotNorm += got * got;
      wantNorm += want * want;
    }
  double cosine = dot / std::sqrt(gotNorm * wantNorm);
  EXPECT_GT(cosine, 0.999) << "cosine " << cosine;
  EXPECT_NEAR(std::sqrt(gotNorm / wantNorm), 1.0, 0.02);
}

} // namespace
