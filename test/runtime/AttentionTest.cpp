//===- AttentionTest.cpp - Tests of the runtime's fused attention ---------===//
//
// Part of the Tessera runtime tests.
//
//===----------------------------------------------------------------------===//
//
// tsr_attention_args_t through the kernel context, against a double-precision
// reference that reads the operands through the same strides: every s, t of
// a list of awkward sizes (edges of the 16-row vector groups and the 64-key
// blocks) with head sizes 8, 64, 80 and dv != d, batch 1 and 2, grouped-query
// heads, Q/K/V/O as transposed and padded views, masks broadcast over heads
// and queries through zero strides, HF-style -FLT_MAX and -inf masks with
// fully masked rows, causal with s == t, s < t and s > t, scales other than
// 1/sqrt(d), large scores (rescaling), and each ISA this CPU runs on 1 and 2
// threads. O outside its view must not be written. Also: the accuracy of the
// kernels' exp, and that a long sequence needs no s x t memory.
//
//===----------------------------------------------------------------------===//
#include "KernelRuntime.h"
#include "KernelTestSupport.h"

#include <gtest/gtest.h>

#include <sys/mman.h>

#include <algorithm>
#include <cfloat>
#include <chrono>
#include <cmath>
#include <limits>
#include <memory>
#include <random>
#include <sstream>
#include <string>
#include <vector>

using namespace tessera::runtime;
using namespace tessera::test;

namespace {

constexpr float kHfMin = -3.4028234663852886e38f; // torch.finfo(float32).min
const float kInf = std::numeric_limits<float>::infinity();

/// A 4-D view into its own storage: sizes in logical order, stored with the
/// dims in `order` (outermost first), `pad` extra elements after each
/// innermost stored run, and an offset (so that the view does not start at
/// the storage's first element).
struct Tensor {
  int64_t sizes[4] = {};
  int64_t strides[4] = {};
  int64_t offset = 0;
  std::vector<float> storage;

  Tensor() = default;
  Tensor(std::initializer_list<int64_t> dims, std::initializer_list<int> order,
         int64_t pad = 0) {
    std::copy(dims.begin(), dims.end(), sizes);
    std::vector<int> storageOrder(order);
    int64_t stride = 1;
    for (int i = 3; i >= 0; --i) {
      int dim = storageOrder[i];
      strides[dim] = stride;
      stride *= sizes[dim] + (i == 3 ? pad : 0);
    }
    offset = 3;
    storage.assign(offset + stride + 1, kSentinel);
  }
  const float *data() const { return storage.data() + offset; }
  float *data() { return storage.data() + offset; }
  int64_t index(int64_t a, int64_t b, int64_t c, int64_t d) const {
    return offset + a * strides[0] + b * strides[1] + c * strides[2] +
           d * strides[3];
  }
  float &at(int64_t a, int64_t b, int64_t c, int64_t d) {
    return storage[index(a, b, c, d)];
  }
  void fillRandom(std::mt19937 &rng, float low, float high) {
    std::uniform_real_distribution<float> dist(low, high);
    for (float &x : storage)
      x = dist(rng);
  }
};

enum class MaskKind {
  None,
  Full,       // [b, h, s, t]
  KeyPadding, // [b, 1, 1, t] (HF's padding mask), zero strides
  PerQuery,   // [b, 1, s, t], zero head stride
  PerHead,    // [1, h, 1, t], zero batch and query strides
  Transposed, // [b, h, s, t] stored [b, h, t, s]: keys not contiguous
};

enum class MaskValues {
  Random,      // Uniform in [-2, 2].
  HfPadding,   // 0 or -FLT_MAX; some rows (or all of a key row) masked.
  InfPadding,  // 0 or -inf; some rows fully masked.
};

struct AttentionCase {
  AttentionCase() = default;
  AttentionCase(int64_t batch, int64_t heads, int64_t kvHeads, int64_t s,
                int64_t t, int64_t d)
      : batch(batch), heads(heads), kvHeads(kvHeads), s(s), t(t), d(d) {}

  int64_t batch = 1, heads = 1, kvHeads = 1, s = 1, t = 1, d = 8, dv = 0;
  bool causal = false;
  int64_t window = 0; // Sliding window (0: none).
  double scale = 0; // 0: 1 / sqrt(d).
  MaskKind mask = MaskKind::None;
  MaskValues maskValues = MaskValues::Random;
  bool strided = false; // Q, K, V, O as [b, seq, heads, d] with padding.
  bool vTransposed = false; // V stored [b, kv, dv, t].
  float qRange = 1.0f;      // Q uniform in [-qRange, qRange].

  std::string describe() const {
    static const char *maskNames[] = {"none",      "full",     "key-padding",
                                      "per-query", "per-head", "transposed"};
    static const char *valueNames[] = {"random", "hf-min", "-inf"};
    std::ostringstream os;
    os << "batch " << batch << " heads " << heads << "/" << kvHeads << " s "
       << s << " t " << t << " d " << d << " dv " << (dv ? dv : d)
       << (causal ? " causal" : "") << " window " << window << " scale "
       << scale << " mask "
       << maskNames[static_cast<int>(mask)];
    if (mask != MaskKind::None)
      os << "(" << valueNames[static_cast<int>(maskValues)] << ")";
    os << (strided ? " strided" : "") << (vTransposed ? " V^T" : "")
       << " q-range " << qRange;
    return os.str();
  }
};

/// O per the ABI's formula, in double.
void referenceAttention(const tsr_attention_args_t &args,
                        std::vector<double> &out, std::vector<double> &tol) {
  const int64_t s = args.s, t = args.t, dv = args.dv;
  out.assign(args.batch * args.heads * s * dv, 0.0);
  tol.assign(out.size(), 0.0);
  std::vector<double> scores(t);
  for (int64_t b = 0; b < args.batch; ++b)
    for (int64_t h = 0; h < args.heads; ++h) {
      int64_t kvh = h / (args.heads / args.kv_heads);
      for (int64_t i = 0; i < s; ++i) {
        double maxScore = -INFINITY;
        for (int64_t j = 0; j < t; ++j) {
          double score = 0;
          for (int64_t c = 0; c < args.d; ++c)
            score += double(args.q[b * args.q_strides[0] +
                                   h * args.q_strides[1] +
                                   i * args.q_strides[2] +
                                   c * args.q_strides[3]]) *
                     args.k[b * args.k_strides[0] + kvh * args.k_strides[1] +
                            j * args.k_strides[2] + c * args.k_strides[3]];
          score *= args.scale;
          if (args.mask)
            score += args.mask[b * args.mask_strides[0] +
                               h * args.mask_strides[1] +
                               i * args.mask_strides[2] +
                               j * args.mask_strides[3]];
          if (args.causal && j > i + t - s)
            score = -INFINITY;
          // The window counts from the row's position among the keys.
          if (args.window > 0 && (i + t - s - j >= args.window ||
                                  (!args.causal &&
                                   j - (i + t - s) >= args.window)))
            score = -INFINITY;
          scores[j] = score;
          maxScore = std::max(maxScore, score);
        }
        size_t base = ((b * args.heads + h) * s + i) * dv;
        if (maxScore == -INFINITY) {
          for (int64_t c = 0; c < dv; ++c)
            tol[base + c] = 0; // Exact zeros expected.
          continue;
        }
        double sum = 0;
        for (int64_t j = 0; j < t; ++j) {
          scores[j] = std::exp(scores[j] - maxScore);
          sum += scores[j];
        }
        for (int64_t c = 0; c < dv; ++c) {
          double value = 0, magnitude = 0;
          for (int64_t j = 0; j < t; ++j) {
            double x = args.v[b * args.v_strides[0] + kvh * args.v_strides[1] +
                              j * args.v_strides[2] + c * args.v_strides[3]];
            value += scores[j] * x;
            magnitude += scores[j] * std::fabs(x);
          }
          out[base + c] = value / sum;
          tol[base + c] = 1e-5 * magnitude / sum + 1e-6;
        }
      }
    }
}

/// Arguments for contiguous Q, O [batch, heads, s, d] and K, V [batch,
/// kvHeads, t, d] (dv = d, no mask, not causal); the caller sets the scale.
tsr_attention_args_t denseAttentionArgs(const float *q, const float *k,
                                        const float *v, float *o, int64_t batch,
                                        int64_t heads, int64_t kvHeads,
                                        int64_t s, int64_t t, int64_t d) {
  tsr_attention_args_t args = {};
  args.q = q;
  args.k = k;
  args.v = v;
  args.o = o;
  args.batch = batch;
  args.heads = heads;
  args.kv_heads = kvHeads;
  args.s = s;
  args.t = t;
  args.d = args.dv = d;
  const int64_t qStrides[4] = {heads * s * d, s * d, d, 1};
  const int64_t kStrides[4] = {kvHeads * t * d, t * d, d, 1};
  std::copy(qStrides, qStrides + 4, args.q_strides);
  std::copy(qStrides, qStrides + 4, args.o_strides);
  std::copy(kStrides, kStrides + 4, args.k_strides);
  std::copy(kStrides, kStrides + 4, args.v_strides);
  return args;
}

class AttentionTest : public KernelTest {
protected:
  /// Runs `ac` on every supported ISA and thread count; false (after
  /// reporting) on the first mismatch.
  bool check(const AttentionCase &ac, unsigned seed = 1) {
    const int64_t batch = ac.batch, heads = ac.heads, kvh = ac.kvHeads;
    const int64_t s = ac.s, t = ac.t, d = ac.d, dv = ac.dv ? ac.dv : ac.d;
    std::mt19937 rng(seed);
    // Logical [b, heads, seq, d]; strided views store [b, seq, heads, d].
    const std::initializer_list<int> contiguous = {0, 1, 2, 3};
    const std::initializer_list<int> seqMajor = {0, 2, 1, 3};
    const int64_t pad = ac.strided ? 3 : 0;
    Tensor q({batch, heads, s, d}, ac.strided ? seqMajor : contiguous, pad);
    Tensor k({batch, kvh, t, d}, ac.strided ? seqMajor : contiguous, pad);
    Tensor v({batch, kvh, t, dv},
             ac.vTransposed ? std::initializer_list<int>{0, 1, 3, 2}
             : ac.strided   ? seqMajor
                            : contiguous,
             pad);
    Tensor o({batch, heads, s, dv}, ac.strided ? seqMajor : contiguous, pad);
    q.fillRandom(rng, -ac.qRange, ac.qRange);
    k.fillRandom(rng, -1.0f, 1.0f);
    v.fillRandom(rng, -1.0f, 1.0f);

    tsr_attention_args_t args = {};
    args.q = q.data();
    args.k = k.data();
    args.v = v.data();
    args.o = o.data();
    args.batch = batch;
    args.heads = heads;
    args.kv_heads = kvh;
    args.s = s;
    args.t = t;
    args.d = d;
    args.dv = dv;
    std::copy(q.strides, q.strides + 4, args.q_strides);
    std::copy(k.strides, k.strides + 4, args.k_strides);
    std::copy(v.strides, v.strides + 4, args.v_strides);
    std::copy(o.strides, o.strides + 4, args.o_strides);
    args.scale = ac.scale ? ac.scale : 1.0 / std::sqrt(double(d));
    args.causal = ac.causal;
    args.window = ac.window;

    Tensor mask;
    if (ac.mask != MaskKind::None) {
      bool perBatch = ac.mask != MaskKind::PerHead;
      bool full =
          ac.mask == MaskKind::Full || ac.mask == MaskKind::Transposed;
      bool perHead = full || ac.mask == MaskKind::PerHead;
      bool perQuery = full || ac.mask == MaskKind::PerQuery;
      mask = Tensor({perBatch ? batch : 1, perHead ? heads : 1,
                     perQuery ? s : 1, t},
                    ac.mask == MaskKind::Transposed
                        ? std::initializer_list<int>{0, 1, 3, 2}
                        : contiguous,
                    ac.strided ? 1 : 0);
      std::uniform_real_distribution<float> dist(-2.0f, 2.0f);
      std::uniform_int_distribution<int> coin(0, 3);
      float masked = ac.maskValues == MaskValues::InfPadding ? -kInf : kHfMin;
      for (int64_t b = 0; b < mask.sizes[0]; ++b)
        for (int64_t h = 0; h < mask.sizes[1]; ++h)
          for (int64_t i = 0; i < mask.sizes[2]; ++i) {
            // Every third mask row is masked entirely.
            bool wholeRow = ac.maskValues != MaskValues::Random &&
                            (b + h + i) % 3 == 2;
            for (int64_t j = 0; j < t; ++j) {
              float value = dist(rng);
              if (ac.maskValues != MaskValues::Random)
                value = wholeRow || coin(rng) == 0 ? masked : 0.0f;
              mask.at(b, h, i, j) = value;
            }
          }
      for (int dim = 0; dim < 3; ++dim)
        if (mask.sizes[dim] == 1)
          mask.strides[dim] = 0;
      args.mask = mask.data();
      std::copy(mask.strides, mask.strides + 4, args.mask_strides);
    }

    std::vector<double> expected, tolerance;
    referenceAttention(args, expected, tolerance);

    return checkEveryConfiguration(ac, [&](SgemmIsa isa,
                                           KernelRuntime &runtime) {
      EXPECT_TRUE(runtime.setAttentionIsa(isa));
      std::fill(o.storage.begin(), o.storage.end(), kSentinel);
      tsr_kernel_context_t *context = runtime.context();
      context->attention(context->runtime, &args);

      int mismatches = 0;
      std::vector<bool> inView(o.storage.size(), false);
      for (int64_t b = 0; b < batch; ++b)
        for (int64_t h = 0; h < heads; ++h)
          for (int64_t i = 0; i < s; ++i)
            for (int64_t c = 0; c < dv; ++c) {
              int64_t index = o.index(b, h, i, c);
              inView[index] = true;
              float got = o.storage[index];
              size_t ref = ((b * heads + h) * s + i) * dv + c;
              if (!(std::fabs(got - expected[ref]) <= tolerance[ref]) &&
                  mismatches++ < 3)
                ADD_FAILURE() << "O[" << b << ", " << h << ", " << i << ", "
                              << c << "] = " << got << ", expected "
                              << expected[ref] << " +- " << tolerance[ref];
            }
      for (size_t index = 0; index < o.storage.size(); ++index)
        if (!inView[index] && o.storage[index] != kSentinel && mismatches++ < 3)
          ADD_FAILURE() << "wrote outside O at storage index " << index;
      return mismatches;
    });
  }
};

const int64_t kSeqSizes[] = {1, 2, 17, 64, 65, 130};

TEST_F(AttentionTest, EveryShape) {
  // (heads, kv heads) and batch rotate through the shapes.
  const int64_t headPairs[][2] = {{1, 1}, {4, 4}, {4, 2}, {4, 1}};
  int caseIndex = 0;
  for (int64_t d : {8, 64, 80})
    for (int64_t s : kSeqSizes)
      for (int64_t t : kSeqSizes) {
        AttentionCase ac(/*batch=*/1 + (caseIndex / 4) % 2,
                         headPairs[caseIndex % 4][0],
                         headPairs[caseIndex % 4][1], s, t, d);
        ++caseIndex;
        ASSERT_TRUE(check(ac, caseIndex));
      }
}

TEST_F(AttentionTest, ValueSizeDiffersFromKeySize) {
  for (auto [d, dv] : {std::pair<int64_t, int64_t>{64, 80}, {8, 64}, {80, 16},
                       {64, 1}, {3, 33}})
    for (int64_t s : {1, 17, 65})
      for (int64_t t : {2, 65, 130}) {
        AttentionCase ac(/*batch=*/2, /*heads=*/4, /*kvHeads=*/2, s, t, d);
        ac.dv = dv;
        ASSERT_TRUE(check(ac));
      }
}

TEST_F(AttentionTest, StridedViews) {
  for (int64_t s : {1, 17, 65, 130})
    for (int64_t t : {1, 64, 130})
      for (bool vTransposed : {false, true}) {
        AttentionCase ac(/*batch=*/2, /*heads=*/4, /*kvHeads=*/2, s, t,
                         /*d=*/64);
        ac.strided = true;
        ac.vTransposed = vTransposed;
        ASSERT_TRUE(check(ac));
      }
}

TEST_F(AttentionTest, BroadcastMasks) {
  for (MaskKind kind : {MaskKind::Full, MaskKind::KeyPadding,
                        MaskKind::PerQuery, MaskKind::PerHead,
                        MaskKind::Transposed})
    for (int64_t s : {1, 17, 65})
      for (int64_t t : {2, 64, 130})
        for (bool strided : {false, true}) {
          AttentionCase ac(/*batch=*/2, /*heads=*/4, /*kvHeads=*/2, s, t,
                           /*d=*/64);
          ac.mask = kind;
          ac.strided = strided;
          ASSERT_TRUE(check(ac));
        }
}

TEST_F(AttentionTest, HfMinAndInfMasksWithFullyMaskedRows) {
  // -FLT_MAX rows give the mean of V (softmax of equal scores, as PyTorch);
  // -inf rows give zeros.
  for (MaskValues values : {MaskValues::HfPadding, MaskValues::InfPadding})
    for (MaskKind kind : {MaskKind::Full, MaskKind::KeyPadding,
                          MaskKind::PerQuery, MaskKind::PerHead})
      for (int64_t t : {1, 17, 130})
        for (bool causal : {false, true}) {
          AttentionCase ac(/*batch=*/2, /*heads=*/4, /*kvHeads=*/4, /*s=*/17, t,
                           /*d=*/64);
          ac.causal = causal;
          ac.mask = kind;
          ac.maskValues = values;
          ASSERT_TRUE(check(ac));
        }
}

TEST_F(AttentionTest, Causal) {
  // s == t, s < t (decoding with a cache), s > t (early rows see nothing).
  for (auto [s, t] : {std::pair<int64_t, int64_t>{1, 1}, {17, 17}, {64, 64},
                      {65, 65}, {130, 130}, {1, 130}, {17, 130}, {65, 130},
                      {2, 65}, {130, 65}, {17, 2}})
    for (MaskKind kind : {MaskKind::None, MaskKind::Full})
      for (int64_t kvHeads : {1, 2}) {
        AttentionCase ac(/*batch=*/2, /*heads=*/2, kvHeads, s, t, /*d=*/64);
        ac.causal = true;
        ac.mask = kind;
        ASSERT_TRUE(check(ac));
      }
}

TEST_F(AttentionTest, SlidingWindow) {
  // Windows narrower than a key block, across blocks, wider than the
  // sequence (dense); causal (Mistral) and both-sided (local attention);
  // s == t, decoding with a cache (s < t), s > t; with masks and GQA.
  for (auto [s, t] : {std::pair<int64_t, int64_t>{1, 1}, {17, 17}, {130, 130},
                      {200, 200}, {1, 200}, {17, 200}, {130, 65}})
    for (int64_t window : {1, 5, 64, 70, 300})
      for (bool causal : {true, false}) {
        AttentionCase ac(/*batch=*/2, /*heads=*/2, /*kvHeads=*/(s + t) % 2 + 1,
                         s, t, /*d=*/32);
        ac.causal = causal;
        ac.window = window;
        ac.mask = window == 5 ? MaskKind::Full : MaskKind::None;
        ASSERT_TRUE(check(ac));
      }
}

TEST_F(AttentionTest, ScalesAndLargeScores) {
  // Large scores (up to ~|60|) make the running max grow over key blocks, so
  // the accumulator is rescaled many times.
  for (double scale : {1.0, 0.3, 0.05})
    for (float qRange : {1.0f, 8.0f})
      for (int64_t t : {17, 130}) {
        AttentionCase ac(/*batch=*/1, /*heads=*/4, /*kvHeads=*/2, /*s=*/65, t,
                         /*d=*/64);
        ac.scale = scale;
        ac.qRange = qRange;
        ac.causal = t == 130;
        ASSERT_TRUE(check(ac));
      }
}

// Mask rows of one task further apart than 2^31 elements (the AVX-512
// kernel then reads them one by one instead of gathering): a [1, 2, 1, t]
// mask whose head stride is 2^31 + 64, in a sparse 8 GiB mapping.
TEST_F(AttentionTest, MaskRowsFarApart) {
  const int64_t t = 70, headStride = (int64_t(1) << 31) + 64;
  size_t bytes = (headStride + t) * sizeof(float);
  void *region = mmap(nullptr, bytes, PROT_READ | PROT_WRITE,
                      MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (region == MAP_FAILED)
    GTEST_SKIP() << "cannot map 8 GiB of address space";
  float *mask = static_cast<float *>(region);
  std::mt19937 rng(3);
  std::uniform_real_distribution<float> dist(-2.0f, 2.0f);
  for (int64_t j = 0; j < t; ++j) {
    mask[j] = dist(rng);
    mask[headStride + j] = j % 5 == 0 ? kHfMin : dist(rng);
  }
  const int64_t s = 9, d = 16, heads = 2;
  std::vector<float> q(heads * s * d), k(t * d), v(t * d), o(heads * s * d);
  fillUniform(rng, -2.0f, 2.0f, {&q, &k, &v});
  tsr_attention_args_t args =
      denseAttentionArgs(q.data(), k.data(), v.data(), o.data(), /*batch=*/1,
                         heads, /*kvHeads=*/1, s, t, d);
  args.mask = mask;
  const int64_t maskStrides[4] = {0, headStride, 0, 1};
  std::copy(maskStrides, maskStrides + 4, args.mask_strides);
  args.scale = 0.25;
  std::vector<double> expected, tolerance;
  referenceAttention(args, expected, tolerance);
  for (SgemmIsa isa : supportedIsas())
    for (auto &runtime : runtimes) {
      ASSERT_TRUE(runtime->setAttentionIsa(isa));
      std::fill(o.begin(), o.end(), kSentinel);
      tsr_kernel_context_t *context = runtime->context();
      context->attention(context->runtime, &args);
      for (size_t i = 0; i < o.size(); ++i)
        ASSERT_NEAR(o[i], expected[i], tolerance[i])
            << "element " << i << " on " << getSgemmIsaName(isa);
    }
  munmap(region, bytes);
}

TEST_F(AttentionTest, NoKeysGivesZeros) {
  ASSERT_TRUE(check(AttentionCase(/*batch=*/2, /*heads=*/2, /*kvHeads=*/1,
                                  /*s=*/5, /*t=*/0, /*d=*/8)));
}

// Softmax of the scores {x, 0} with V = {1, 0} is e^x / (e^x + 1), whose
// relative error is that of the kernels' exp(x) (x <= 0, as the kernels
// only ever compute exp(score - max)).
TEST_F(AttentionTest, ExpIsAccurate) {
  const int64_t s = 4096;
  std::vector<float> q(s), k = {1.0f, 0.0f}, v = {1.0f, 0.0f}, o(s);
  for (int64_t i = 0; i < s; ++i)
    q[i] = -86.0f * float(i) / float(s - 1);
  tsr_attention_args_t args =
      denseAttentionArgs(q.data(), k.data(), v.data(), o.data(), /*batch=*/1,
                         /*heads=*/1, /*kvHeads=*/1, s, /*t=*/2, /*d=*/1);
  args.scale = 1.0;
  for (SgemmIsa isa : supportedIsas()) {
    ASSERT_TRUE(runtimes[0]->setAttentionIsa(isa));
    tsr_kernel_context_t *context = runtimes[0]->context();
    context->attention(context->runtime, &args);
    double worst = 0;
    for (int64_t i = 0; i < s; ++i) {
      double e = std::exp(double(q[i]));
      double expected = e / (e + 1);
      worst = std::max(worst, std::fabs(o[i] - expected) / expected);
    }
    EXPECT_LT(worst, 1e-6) << getSgemmIsaName(isa);
  }
}

// s = t = 8192 needs 256 MiB for the scores alone; the kernel must not need
// them (its scratch does not grow, and it is far smaller), and stays fast.
TEST_F(AttentionTest, LongSequenceNeedsNoScoreMatrix) {
  const int64_t n = 8192, d = 64;
  std::mt19937 rng(7);
  std::vector<float> q(n * d), k(n * d), v(n * d), o(n * d, kSentinel);
  fillUniform(rng, -1.0f, 1.0f, {&q, &k, &v});
  tsr_attention_args_t args =
      denseAttentionArgs(q.data(), k.data(), v.data(), o.data(), /*batch=*/1,
                         /*heads=*/1, /*kvHeads=*/1, /*s=*/n, /*t=*/n, d);
  args.scale = 0.125;
  args.causal = 1;

  KernelRuntime &runtime = *runtimes[1];
  size_t before = runtime.attentionWorkspaceBytes();
  tsr_kernel_context_t *context = runtime.context();
  auto start = std::chrono::steady_clock::now();
  context->attention(context->runtime, &args);
  double seconds = std::chrono::duration<double>(
                       std::chrono::steady_clock::now() - start)
                       .count();
  EXPECT_EQ(runtime.attentionWorkspaceBytes(), before);
  EXPECT_LT(before, size_t(1) << 20); // vs 256 MiB of scores.
  // 8.6 GFLOP; generous for a slow generic build.
  EXPECT_LT(seconds, 60.0);

  // Spot-check rows against the reference formula.
  for (int64_t i : {int64_t(0), int64_t(1), int64_t(4095), n - 1}) {
    std::vector<double> p(i + 1);
    double maxScore = -INFINITY, sum = 0;
    for (int64_t j = 0; j <= i; ++j) {
      double score = 0;
      for (int64_t c = 0; c < d; ++c)
        score += double(q[i * d + c]) * k[j * d + c];
      p[j] = score * 0.125;
      maxScore = std::max(maxScore, p[j]);
    }
    for (double &x : p) {
      x = std::exp(x - maxScore);
      sum += x;
    }
    for (int64_t c = 0; c < d; ++c) {
      double expected = 0, magnitude = 0;
      for (int64_t j = 0; j <= i; ++j) {
        expected += p[j] * v[j * d + c];
        magnitude += p[j] * std::fabs(v[j * d + c]);
      }
      EXPECT_NEAR(o[i * d + c], expected / sum, 1e-5 * magnitude / sum + 1e-6)
          << "row " << i << " column " << c;
    }
  }
}

TEST_F(AttentionTest, ContextProvidesAttention) {
  tsr_kernel_context_t *context = runtimes[0]->context();
  EXPECT_NE(context->attention, nullptr);
  EXPECT_EQ(runtimes[0]->attentionIsa(), getBestSgemmIsa());
}

} // namespace
