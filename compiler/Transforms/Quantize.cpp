//===- Quantize.cpp - fp32 linears become int8 quantized linears ----------===//
//
// Implements tsr-quantize (see Passes.td for the rules and the rationale).
//
//===----------------------------------------------------------------------===//

#include "compiler/Transforms/LinearWeights.h"
#include "compiler/Transforms/Passes.h"
#include "compiler/Transforms/ResourceBlobs.h"
#include "dialects/tsr/IR/TsrAttrNames.h"
#include "dialects/tsr/IR/TsrDialect.h"

#include "mlir/IR/DialectResourceBlobManager.h"
#include "tessera/pack.h"
#include "llvm/Support/GlobPattern.h"

#include <algorithm>
#include <cmath>
#include <cstring>

using namespace mlir;

namespace tessera {

#define GEN_PASS_DEF_TSRQUANTIZEPASS
#include "compiler/Transforms/Passes.h.inc"

namespace {

/// The int8 weight and per-row scales of a constant f32 weight.
struct QuantizedWeight {
  tsr::ConstantOp values; // [N, K] i8
  tsr::ConstantOp scales; // [N] f32
};

/// The 4-bit quantization of one group of weights: q = clamp(round(w /
/// scale + zero), 0, 15), w ≈ (q - zero) * scale, with a zero point that
/// need not be an integer (the kernels take it in f32).
struct W4Group {
  float scale = 1.0f, zero = 8.0f;
  uint8_t q(float w) const {
    return static_cast<uint8_t>(
        std::clamp(std::nearbyint(w / scale + zero), 0.0f, 15.0f));
  }
  /// The squared error over the group, each term weighted by `importance`
  /// (all 1 when empty).
  double error(ArrayRef<float> ws, ArrayRef<float> importance) const {
    double e = 0.0;
    for (size_t i = 0; i < ws.size(); ++i) {
      double d = ws[i] - (q(ws[i]) - zero) * static_cast<double>(scale);
      e += d * d * (importance.empty() ? 1.0 : importance[i]);
    }
    return e;
  }
};

/// x rounded to IEEE half, as an f32 (tessera/pack.h's rounding).
float roundToHalf(float x) { return tsr_f16_to_f32(tsr_f32_to_f16(x)); }

/// Whether `scale` is a usable f16 group scale: a normal half (subnormal
/// ones lose the relative precision the grid needs; 0 or infinity none).
bool isNormalHalfScale(float scale) {
  return scale >= 6.103515625e-05f && scale <= 65504.0f; // 2^-14 .. max
}

/// The range [lo, hi] of the group (with 0 in it) shrunk by factors from
/// 1 down to 0.7, each mapped exactly onto [0, 15]; the one with the least
/// squared error wins (clipping a few outliers buys resolution for the
/// rest). An all-zero group gets scale 1 and zero point 8. With `f16`, each
/// candidate's scale and zero point are rounded to halves first (what the
/// kernels will read), and `*representable` is cleared when the winner's
/// scale is not a normal half.
W4Group quantizeW4Group(ArrayRef<float> ws, ArrayRef<float> importance,
                        bool f16 = false, bool *representable = nullptr) {
  float lo = 0.0f, hi = 0.0f;
  for (float w : ws) {
    lo = std::min(lo, w);
    hi = std::max(hi, w);
  }
  W4Group best;
  if (!(hi - lo > 0.0f))
    return best;
  double bestError = -1.0;
  for (int step = 0; step <= 15; ++step) {
    float shrink = 1.0f - 0.02f * static_cast<float>(step);
    W4Group c;
    c.scale = (hi - lo) * shrink / 15.0f;
    if (!(c.scale > 0.0f))
      continue;
    c.zero = -lo * shrink / c.scale + 0.0f; // (+ 0: no -0 for lo = 0)
    if (f16) {
      if (!isNormalHalfScale(c.scale)) {
        if (representable)
          *representable = false;
        continue;
      }
      c.scale = roundToHalf(c.scale);
      c.zero = roundToHalf(c.zero);
    }
    double e = c.error(ws, importance);
    if (bestError < 0.0 || e < bestError) {
      best = c;
      bestError = e;
    }
  }
  return best;
}

/// U, upper triangular with H⁻¹ = Uᵀ U, of the symmetric positive definite
/// [k, k] `h` (row-major), or empty when h is not positive definite. With
/// J the reversal of the indices, J H J = L Lᵀ (Cholesky) gives H = Ũ Ũᵀ
/// with Ũ = J L J upper, and U = Ũ⁻¹ = J L⁻¹ J: one factorization and one
/// triangular inverse.
std::vector<double> inverseCholeskyUpper(const std::vector<double> &h,
                                         int64_t k) {
  std::vector<double> l(k * k, 0.0);
  auto hr = [&](int64_t i, int64_t j) { return h[(k - 1 - i) * k + (k - 1 - j)]; };
  for (int64_t j = 0; j < k; ++j) {
    const double *lj = l.data() + j * k;
    double d = hr(j, j);
    for (int64_t p = 0; p < j; ++p)
      d -= lj[p] * lj[p];
    if (!(d > 0.0) || !std::isfinite(d))
      return {};
    double root = std::sqrt(d);
    l[j * k + j] = root;
    for (int64_t i = j + 1; i < k; ++i) {
      const double *li = l.data() + i * k;
      double sum = hr(i, j);
      for (int64_t p = 0; p < j; ++p)
        sum -= li[p] * lj[p];
      l[i * k + j] = sum / root;
    }
  }
  // X = L⁻¹, row by row: X[i, :] = (e_i - Σ_{p<i} L[i, p] X[p, :]) / L[i, i].
  std::vector<double> x(k * k, 0.0);
  for (int64_t i = 0; i < k; ++i) {
    double *xi = x.data() + i * k;
    xi[i] = 1.0;
    for (int64_t p = 0; p < i; ++p) {
      double f = l[i * k + p];
      const double *xp = x.data() + p * k;
      for (int64_t c = 0; c <= p; ++c)
        xi[c] -= f * xp[c];
    }
    double inv = 1.0 / l[i * k + i];
    for (int64_t c = 0; c <= i; ++c)
      xi[c] *= inv;
  }
  std::vector<double> u(k * k);
  for (int64_t i = 0; i < k; ++i)
    for (int64_t j = 0; j < k; ++j)
      u[i * k + j] = x[(k - 1 - i) * k + (k - 1 - j)];
  return u;
}

/// GPTQ (Frantar et al., 2022) for the 4-bit groups: quantizes the rows of
/// `w` ([n, k] row-major, updated in place) column by column, and spreads
/// each column's rounding error over the columns not yet quantized through
/// the inverse of H = `gram` + 1% of its mean diagonal, so that what is
/// minimized is the error of the product on the calibration inputs, not of
/// the weights. A group's scale and zero point are chosen when its first
/// column comes up, from the updated weights (quantizeW4Group, its error
/// weighted by H's diagonal). Inputs that were always zero get zero
/// weights. Writes q ([n, k]) and the [k / group, n] params (rounded to
/// halves with `f16`, clearing `representable` when one cannot be); false
/// when H is unusable (the caller rounds to nearest instead).
bool quantizeW4Gptq(std::vector<float> &w, int64_t n, int64_t k,
                    int64_t group, ArrayRef<float> gram, uint8_t *q,
                    float *scales, float *zeros, bool f16,
                    bool &representable) {
  std::vector<double> h(gram.begin(), gram.end());
  double meanDiag = 0.0;
  for (int64_t i = 0; i < k; ++i)
    meanDiag += h[i * k + i];
  meanDiag /= static_cast<double>(k);
  if (!(meanDiag > 0.0) || !std::isfinite(meanDiag))
    return false;
  std::vector<float> importance(k);
  for (int64_t i = 0; i < k; ++i) {
    if (h[i * k + i] <= 0.0) { // a dead input: its weights do nothing
      h[i * k + i] = 1.0;
      for (int64_t r = 0; r < n; ++r)
        w[r * k + i] = 0.0f;
    }
    importance[i] = static_cast<float>(std::max(h[i * k + i], 1e-12));
    h[i * k + i] += 0.01 * meanDiag;
  }
  std::vector<double> u = inverseCholeskyUpper(h, k);
  if (u.empty())
    return false;
  std::vector<float> uf(u.begin(), u.end());
  constexpr int64_t kRows = 16; // rows sharing each row of U while in cache
  std::vector<W4Group> current(kRows);
  std::vector<float> err(kRows);
  for (int64_t r0 = 0; r0 < n; r0 += kRows) {
    int64_t rows = std::min(kRows, n - r0);
    for (int64_t i = 0; i < k; ++i) {
      if (i % group == 0)
        for (int64_t r = 0; r < rows; ++r) {
          float *wr = w.data() + (r0 + r) * k;
          current[r] = quantizeW4Group(ArrayRef<float>(wr + i, group),
                                       ArrayRef<float>(importance).slice(i, group),
                                       f16, &representable);
          scales[(i / group) * n + r0 + r] = current[r].scale;
          zeros[(i / group) * n + r0 + r] = current[r].zero;
        }
      const float *ui = uf.data() + i * k;
      for (int64_t r = 0; r < rows; ++r) {
        float v = w[(r0 + r) * k + i];
        uint8_t qv = current[r].q(v);
        q[(r0 + r) * k + i] = qv;
        float back = (static_cast<float>(qv) - current[r].zero) * current[r].scale;
        err[r] = (v - back) / ui[i];
      }
      for (int64_t r = 0; r < rows; ++r) {
        float *wr = w.data() + (r0 + r) * k;
        for (int64_t j = i + 1; j < k; ++j)
          wr[j] -= err[r] * ui[j];
      }
    }
  }
  return true;
}

struct TsrQuantizePass : impl::TsrQuantizePassBase<TsrQuantizePass> {
  using Base::Base;

  ResourceBlobUses blobUses;
  int64_t embeddingTables = 0;
  /// The bf16 weights made so far, by (f32 value, transposed): tied
  /// linears, and an embedding table that is also the LM head's weight,
  /// share one.
  DenseMap<std::pair<Attribute, unsigned>, tsr::ConstantOp> bf16Weights;

  void runOnOperation() override {
    SmallVector<llvm::GlobPattern> globs;
    for (const std::string &glob : skip) {
      auto pattern = llvm::GlobPattern::create(glob);
      if (!pattern) {
        getOperation().emitError("invalid skip glob '")
            << glob << "': " << llvm::toString(pattern.takeError());
        return signalPassFailure();
      }
      globs.push_back(std::move(*pattern));
    }
    if (scheme != "int8" && scheme != "int8-static" && scheme != "w4" &&
        scheme != "bf16") {
      getOperation().emitError("unknown quantization scheme '")
          << scheme << "' (int8, int8-static, w4 or bf16)";
      return signalPassFailure();
    }
    if (!(smoothAlpha >= 0.0 && smoothAlpha <= 1.0)) {
      getOperation().emitError("smooth-alpha must be in [0, 1], got ")
          << smoothAlpha;
      return signalPassFailure();
    }
    if (scheme == "w4" && (groupSize <= 0 || groupSize % 2 != 0)) {
      getOperation().emitError("the w4 group size must be even and "
                               "positive, got ")
          << groupSize;
      return signalPassFailure();
    }
    blobUses.count(getOperation());
    DenseMap<std::pair<Attribute, unsigned>, QuantizedWeight> cache;
    SmallVector<tsr::LinearOp> linears;
    getOperation().walk([&](tsr::LinearOp op) { linears.push_back(op); });
    for (tsr::LinearOp op : linears) {
      std::optional<std::string> why = reasonToKeep(op, globs);
      if (why) {
        op.emitRemark("not quantized: ") << *why;
        continue;
      }
      WeightSource w = *getWeightSource(op.getWeight());
      if (scheme == "w4") {
        quantizeW4(op, w);
        continue;
      }
      if (scheme == "bf16") {
        convertToBf16(op, w);
        continue;
      }
      std::optional<InputRange> range = inputRange(op, w);
      if (scheme == "int8-static" && !range)
        op.emitRemark("no calibration range: activations quantized per "
                      "token at run time");
      QuantizedWeight q;
      Value smooth;
      FloatAttr inputScale;
      IntegerAttr inputZero;
      tsr::InputQuant inputQuant = tsr::InputQuant::per_token;
      std::vector<float> factors;
      if (range)
        factors = smoothingFactors(*range, w);
      bool smoothed = llvm::any_of(factors, [](float f) { return f != 1.0f; });
      if (smoothed) {
        // The weight is this linear's own: its columns scaled by the
        // smoothing factors.
        q = quantize(op, w, factors);
      } else {
        auto key = std::make_pair(Attribute(w.value), w.transposed ? 1u : 0u);
        auto it = cache.find(key);
        if (it != cache.end() &&
            it->second.values->getBlock() == op->getBlock() &&
            it->second.scales->isBeforeInBlock(op)) {
          q = it->second;
        } else {
          q = quantize(op, w, {});
          cache[key] = q;
        }
      }
      if (range) {
        if (smoothed) {
          std::vector<float> inverse(factors.size());
          for (size_t k = 0; k < factors.size(); ++k)
            inverse[k] = 1.0f / factors[k];
          smooth = makeVector(op, weightName(w) + ".smooth", inverse);
        }
        if (scheme == "int8-static") {
          auto [scale, zero] = staticParams(*range, factors);
          inputQuant = tsr::InputQuant::static_tensor;
          OpBuilder b(op);
          inputScale = b.getF32FloatAttr(scale);
          inputZero = b.getI32IntegerAttr(zero);
          // weight_scale holds the product of both scales.
          // A new constant: the weight's own scales may be shared (tied
          // weights, the cache); unused ones go at the end.
          tsr::ConstantOp weightScales = q.scales;
          SmallVector<float> product =
              *constantFloats(weightScales.getResult());
          for (float &v : product)
            v *= scale;
          q.scales = cast<tsr::ConstantOp>(
              makeVector(op, weightName(w) + ".scale", product)
                  .getDefiningOp());
          if (smoothed) // this linear's own, unused now
            weightScales->erase();
        }
      }
      OpBuilder b(op);
      auto quantized = tsr::QuantizedLinearOp::create(
          b, op.getLoc(), op.getType(), op.getInput(), q.values, q.scales,
          op.getBias(), /*weight_sums=*/Value(), smooth, op.getEpilogueAttr(),
          /*weight_packed=*/nullptr,
          tsr::InputQuantAttr::get(b.getContext(), inputQuant), inputScale,
          inputZero);
      Value oldWeight = op.getWeight();
      op.replaceAllUsesWith(quantized.getResult());
      op.erase();
      blobUses.eraseIfUnused(oldWeight);
    }
    // Quantized weights that no linear took in the end (int8-static gave
    // each its own scales; a smoothed linear its own weight).
    for (auto &[key, q] : cache) {
      blobUses.eraseIfUnused(q.scales.getResult());
      blobUses.eraseIfUnused(q.values.getResult());
    }
    if (scheme == "bf16")
      convertEmbeddingsToBf16(globs);
    else
      quantizeEmbeddings(globs);
    // The x xᵀ sums of calibration are for this pass alone.
    getOperation().walk([](Operation *op) { dropGram(op); });
  }

  /// Embedding tables: every tsr.gather along axis 0 of a constant f32
  /// [V, D] table of at least kMinEmbeddingElements becomes a gather of the
  /// table in int8 (symmetric, one scale per row: max |row| / 127), cast
  /// to f32 and multiplied by the gathered row scale. A table several
  /// gathers read is quantized once; a skip glob on its name keeps it f32.
  /// The name of the embedding table `op` gathers from, when it is one
  /// that is quantized: along axis 0 of a constant f32 [V, D] table of at
  /// least kMinEmbeddingElements that no skip glob names (with a remark
  /// when one does).
  static std::optional<std::string>
  embeddingTableName(tsr::GatherOp op, ArrayRef<llvm::GlobPattern> globs) {
    constexpr int64_t kMinEmbeddingElements = 65536;
    auto table = op.getInput().getDefiningOp<tsr::ConstantOp>();
    auto type = cast<RankedTensorType>(op.getInput().getType());
    if (!table || op.getAxis() != 0 || type.getRank() != 2 ||
        !type.getElementType().isF32() || !type.hasStaticShape() ||
        type.getNumElements() < kMinEmbeddingElements ||
        !isa<ElementsAttr>(table.getValue()))
      return std::nullopt;
    std::string name = "embedding";
    if (auto attr = table->getAttrOfType<StringAttr>(tsr::kConstantNameAttr))
      name = attr.str();
    if (llvm::any_of(globs,
                     [&](const llvm::GlobPattern &g) { return g.match(name); })) {
      op.emitRemark("not quantized: '") << name << "': matches --quantize-skip";
      return std::nullopt;
    }
    return name;
  }

  void quantizeEmbeddings(ArrayRef<llvm::GlobPattern> globs) {
    SmallVector<tsr::GatherOp> gathers;
    getOperation().walk([&](tsr::GatherOp op) { gathers.push_back(op); });
    DenseMap<Operation *, std::pair<Value, Value>> done;
    for (tsr::GatherOp op : gathers) {
      std::optional<std::string> tableName = embeddingTableName(op, globs);
      if (!tableName)
        continue;
      const std::string &name = *tableName;
      auto table = op.getInput().getDefiningOp<tsr::ConstantOp>();
      auto type = cast<RankedTensorType>(op.getInput().getType());
      auto it = done.find(table);
      if (it == done.end()) {
        std::vector<char> storage;
        ArrayRef<char> bytes =
            constantBytes(cast<ElementsAttr>(table.getValue()), storage);
        if (bytes.empty())
          continue;
        it = done.try_emplace(table, quantizeRows(table, name, bytes, type))
                 .first;
      }
      auto [values, scales] = it->second;
      OpBuilder b(op);
      RankedTensorType resultType = op.getType();
      SmallVector<int64_t> scaleShape(resultType.getShape());
      scaleShape.back() = 1;
      Value q = tsr::GatherOp::create(b, op.getLoc(),
                                      resultType.clone(b.getI8Type()), values,
                                      op.getIndices(), op.getAxisAttr());
      Value f = tsr::CastOp::create(b, op.getLoc(), resultType, q);
      Value s = tsr::GatherOp::create(
          b, op.getLoc(), RankedTensorType::get(scaleShape, b.getF32Type()),
          scales, op.getIndices(), op.getAxisAttr());
      Value y = tsr::MulOp::create(b, op.getLoc(), resultType, f, s);
      op.replaceAllUsesWith(y);
      op.erase();
      ++embeddingTables;
      blobUses.eraseIfUnused(table.getResult());
    }
  }

  /// Replaces `op` by a tsr.bf16_linear of its weight `w` ([N, K] after
  /// the transpose, if any) rounded to bf16; a weight several linears read
  /// is converted once.
  void convertToBf16(tsr::LinearOp op, const WeightSource &w) {
    auto key = std::make_pair(Attribute(w.value), w.transposed ? 1u : 0u);
    auto it = bf16Weights.find(key);
    tsr::ConstantOp values;
    if (it != bf16Weights.end() && it->second->getBlock() == op->getBlock() &&
        it->second->isBeforeInBlock(op)) {
      values = it->second;
    } else {
      ArrayRef<int64_t> shape = w.value.getShapedType().getShape();
      int64_t n = w.transposed ? shape[1] : shape[0];
      int64_t k = w.transposed ? shape[0] : shape[1];
      std::vector<char> storage;
      const float *src = reinterpret_cast<const float *>(
          constantBytes(w.value, storage).data());
      auto blob = HeapAsmResourceBlob::allocate(n * k * sizeof(uint16_t),
                                                alignof(uint16_t));
      auto *out = reinterpret_cast<uint16_t *>(blob.getMutableData().data());
      for (int64_t row = 0; row < n; ++row)
        for (int64_t col = 0; col < k; ++col)
          out[row * k + col] = tsr_f32_to_bf16(
              w.transposed ? src[col * n + row] : src[row * k + col]);
      OpBuilder b(op);
      if (w.constant->getBlock() == op->getBlock())
        b.setInsertionPointAfter(w.constant);
      std::string name = weightName(w) + ".bf16";
      values = cast<tsr::ConstantOp>(createBlobConstant(
          b, op.getLoc(), RankedTensorType::get({n, k}, b.getBF16Type()), name,
          name, std::move(blob)));
      bf16Weights[key] = values;
    }
    OpBuilder b(op);
    auto converted = tsr::Bf16LinearOp::create(
        b, op.getLoc(), op.getType(), op.getInput(), values, op.getBias(),
        op.getEpilogueAttr(), /*weight_packed=*/nullptr);
    Value oldWeight = op.getWeight();
    op.replaceAllUsesWith(converted.getResult());
    op.erase();
    blobUses.eraseIfUnused(oldWeight);
  }

  /// Under bf16, the embedding tables of quantizeEmbeddings become bf16
  /// instead of int8: a gather of the bf16 table and a cast to f32 (exact).
  void convertEmbeddingsToBf16(ArrayRef<llvm::GlobPattern> globs) {
    SmallVector<tsr::GatherOp> gathers;
    getOperation().walk([&](tsr::GatherOp op) { gathers.push_back(op); });
    DenseMap<Operation *, Value> done;
    for (tsr::GatherOp op : gathers) {
      std::optional<std::string> name = embeddingTableName(op, globs);
      if (!name)
        continue;
      auto table = op.getInput().getDefiningOp<tsr::ConstantOp>();
      auto type = cast<RankedTensorType>(op.getInput().getType());
      Value values = done.lookup(table);
      // The table as a linear's weight [N, K] = [V, D] (an LM head tied to
      // the embeddings), converted right after it: the same bf16 values.
      if (auto linear = bf16Weights.find({table.getValue(), 0u});
          !values && linear != bf16Weights.end() &&
          linear->second->getBlock() == table->getBlock() &&
          table->isBeforeInBlock(linear->second))
        values = linear->second.getResult();
      if (!values) {
        std::vector<char> storage;
        ArrayRef<char> bytes =
            constantBytes(cast<ElementsAttr>(table.getValue()), storage);
        if (bytes.empty())
          continue;
        const float *src = reinterpret_cast<const float *>(bytes.data());
        int64_t count = type.getNumElements();
        auto blob = HeapAsmResourceBlob::allocate(count * sizeof(uint16_t),
                                                  alignof(uint16_t));
        auto *out = reinterpret_cast<uint16_t *>(blob.getMutableData().data());
        for (int64_t i = 0; i < count; ++i)
          out[i] = tsr_f32_to_bf16(src[i]);
        OpBuilder b(table);
        b.setInsertionPointAfter(table);
        values = createBlobConstant(b, table.getLoc(),
                                    type.clone(b.getBF16Type()),
                                    *name + ".bf16", *name + ".bf16",
                                    std::move(blob))
                     ->getResult(0);
        done[table] = values;
      }
      OpBuilder b(op);
      RankedTensorType resultType = op.getType();
      Value g = tsr::GatherOp::create(b, op.getLoc(),
                                      resultType.clone(b.getBF16Type()), values,
                                      op.getIndices(), op.getAxisAttr());
      Value y = tsr::CastOp::create(b, op.getLoc(), resultType, g);
      op.replaceAllUsesWith(y);
      op.erase();
      ++embeddingTables;
      blobUses.eraseIfUnused(table.getResult());
    }
  }

  /// The rows of the f32 [V, D] `bytes` in int8 with per-row scales ([V,
  /// 1]), as constants after `table`.
  std::pair<Value, Value> quantizeRows(tsr::ConstantOp table,
                                       const std::string &name,
                                       ArrayRef<char> bytes,
                                       RankedTensorType type) {
    int64_t rows = type.getDimSize(0), cols = type.getDimSize(1);
    const float *src = reinterpret_cast<const float *>(bytes.data());
    auto valuesBlob = HeapAsmResourceBlob::allocate(rows * cols, alignof(int8_t));
    auto scalesBlob =
        HeapAsmResourceBlob::allocate(rows * sizeof(float), alignof(float));
    auto *q = reinterpret_cast<int8_t *>(valuesBlob.getMutableData().data());
    auto *scales = reinterpret_cast<float *>(scalesBlob.getMutableData().data());
    for (int64_t r = 0; r < rows; ++r) {
      const float *row = src + r * cols;
      float amax = 0.0f;
      for (int64_t c = 0; c < cols; ++c)
        amax = std::max(amax, std::fabs(row[c]));
      float scale = amax / 127.0f;
      scales[r] = scale;
      for (int64_t c = 0; c < cols; ++c) {
        float v = scale > 0.0f ? std::nearbyint(row[c] / scale) : 0.0f;
        q[r * cols + c] = static_cast<int8_t>(std::clamp(v, -127.0f, 127.0f));
      }
    }
    OpBuilder b(table);
    b.setInsertionPointAfter(table);
    Value values =
        createBlobConstant(b, table.getLoc(),
                           RankedTensorType::get({rows, cols}, b.getI8Type()),
                           name + ".int8", name + ".int8",
                           std::move(valuesBlob))
            ->getResult(0);
    Value scaleValue =
        createBlobConstant(b, table.getLoc(),
                           RankedTensorType::get({rows, 1}, b.getF32Type()),
                           name + ".scale", name + ".scale",
                           std::move(scalesBlob))
            ->getResult(0);
    return {values, scaleValue};
  }

  /// Why `op` stays f32, or nullopt when it is quantized.
  std::optional<std::string>
  reasonToKeep(tsr::LinearOp op, ArrayRef<llvm::GlobPattern> globs) {
    if (!op.getType().getElementType().isF32())
      return std::string("a linear that is not float32");
    if (op.getWeightPacked())
      return std::string("a linear whose weight is already packed for the f32 kernel");
    std::optional<WeightSource> w = getWeightSource(op.getWeight());
    if (!w)
      return std::string("a linear whose weight is not a compile-time constant");
    ArrayRef<int64_t> shape = w->value.getShapedType().getShape();
    int64_t k = w->transposed ? shape[0] : shape[1];
    // The w4 and bf16 ops take K and N static (read off the input and the
    // result).
    auto in = cast<RankedTensorType>(op.getInput().getType());
    auto out = cast<RankedTensorType>(op.getType());
    if ((scheme == "w4" || scheme == "bf16") &&
        (in.getRank() < 1 || out.getRank() < 1 ||
         in.isDynamicDim(in.getRank() - 1) ||
         out.isDynamicDim(out.getRank() - 1)))
      return "'" + weightName(*w) + "': K or N is dynamic";
    if (scheme == "w4" && k % groupSize != 0)
      return "'" + weightName(*w) + "': K = " + std::to_string(k) +
             " is not a multiple of the group size " +
             std::to_string(groupSize);
    if (scheme == "bf16" && k > tsr::kBf16MaxK)
      return "'" + weightName(*w) + "': K = " + std::to_string(k) +
             " is over the bf16 kernels' limit of " +
             std::to_string(tsr::kBf16MaxK);
    if (scheme != "w4" && scheme != "bf16" && k > tsr::kQuantizedMaxK)
      return "'" + weightName(*w) + "': K = " + std::to_string(k) +
             " is over the int8 kernels' limit of " +
             std::to_string(tsr::kQuantizedMaxK);
    // The weight's name, and the names of the nodes the linear was made
    // of (NameLocs: ONNX node names, fused locations included).
    std::string name = weightName(*w);
    SmallVector<std::string> names = {name};
    op.getLoc()->walk([&](Location loc) {
      if (auto named = dyn_cast<NameLoc>(loc))
        names.push_back(named.getName().str());
      return WalkResult::advance();
    });
    for (const llvm::GlobPattern &glob : globs)
      for (const std::string &candidate : names)
        if (glob.match(candidate))
          return "'" + candidate + "': matches --quantize-skip";
    std::vector<char> storage;
    if (constantBytes(w->value, storage).empty() && shape[0] * shape[1] != 0)
      return "'" + name + "': its bytes are not available";
    return std::nullopt;
  }

  static std::string weightName(const WeightSource &w) {
    if (auto attr =
            w.constant->getAttrOfType<StringAttr>(tsr::kConstantNameAttr))
      return attr.str();
    return "weight";
  }

  /// Replaces `op` by a tsr.w4_linear of its weight `w` ([N, K] after the
  /// transpose, if any), quantized per group of groupSize k values of a
  /// row (quantizeW4Group).
  void quantizeW4(tsr::LinearOp op, const WeightSource &w) {
    ArrayRef<int64_t> shape = w.value.getShapedType().getShape();
    int64_t n = w.transposed ? shape[1] : shape[0];
    int64_t k = w.transposed ? shape[0] : shape[1];
    int64_t groups = k / groupSize;
    std::vector<char> storage;
    ArrayRef<char> bytes = constantBytes(w.value, storage);
    const float *src = reinterpret_cast<const float *>(bytes.data());
    auto at = [&](int64_t row, int64_t col) {
      return w.transposed ? src[col * n + row] : src[row * k + col];
    };
    auto valuesBlob = HeapAsmResourceBlob::allocate(n * k, alignof(int64_t));
    auto *q = reinterpret_cast<uint8_t *>(valuesBlob.getMutableData().data());
    std::vector<float> scales(groups * n), zeros(groups * n);
    // With a calibrated input range, an error in weight k costs in
    // proportion to input channel k's magnitude: the clip search weighs
    // each weight's squared error by that channel's max |x|^2 (a proxy for
    // E[x^2]: the expected squared error of the product).
    std::vector<float> importance;
    if (std::optional<InputRange> range = inputRange(op, w)) {
      importance.resize(k);
      for (int64_t col = 0; col < k; ++col) {
        float m = std::max(std::fabs(range->lo[col]), std::fabs(range->hi[col]));
        importance[col] = std::max(m * m, 1e-12f);
      }
    }
    // With the calibration's x xᵀ sums, GPTQ; else round to nearest.
    std::vector<char> gramStorage;
    ArrayRef<float> gram;
    if (auto attr = op->getAttrOfType<ElementsAttr>(tsr::kInputGramAttr)) {
      ArrayRef<char> gramBytes;
      if (attr.getNumElements() == k * k && attr.getElementType().isF32())
        gramBytes = constantBytes(attr, gramStorage);
      if (gramBytes.size() == static_cast<size_t>(k * k) * sizeof(float))
        gram = ArrayRef<float>(
            reinterpret_cast<const float *>(gramBytes.data()), k * k);
    }
    // Quantizes with f16 or f32 group parameters; false when a group's
    // scale is not a normal half.
    auto quantizeAll = [&](bool f16) {
      bool representable = true;
      if (!gram.empty()) {
        std::vector<float> weights(n * k);
        for (int64_t row = 0; row < n; ++row)
          for (int64_t col = 0; col < k; ++col)
            weights[row * k + col] = at(row, col);
        if (quantizeW4Gptq(weights, n, k, groupSize, gram, q, scales.data(),
                           zeros.data(), f16, representable))
          return representable;
        op.emitRemark("GPTQ skipped: the calibration's x x^T is not "
                      "positive definite; rounded to nearest");
        gram = {};
      }
      std::vector<float> group(groupSize);
      for (int64_t row = 0; row < n; ++row)
        for (int64_t g = 0; g < groups; ++g) {
          for (int64_t i = 0; i < groupSize; ++i)
            group[i] = at(row, g * groupSize + i);
          W4Group best = quantizeW4Group(
              group,
              importance.empty()
                  ? ArrayRef<float>()
                  : ArrayRef<float>(importance).slice(g * groupSize, groupSize),
              f16, &representable);
          scales[g * n + row] = best.scale;
          zeros[g * n + row] = best.zero;
          for (int64_t i = 0; i < groupSize; ++i)
            q[row * k + g * groupSize + i] = best.q(group[i]);
        }
      return representable;
    };
    // Half-precision parameters (half the bytes per group, what 4-bit
    // exports carry) unless a scale falls outside f16's normal range.
    bool f16 = quantizeAll(/*f16=*/true);
    if (!f16)
      quantizeAll(/*f16=*/false);
    const int64_t paramBytes = f16 ? 2 : 4;
    auto scalesBlob =
        HeapAsmResourceBlob::allocate(groups * n * paramBytes, alignof(float));
    auto zerosBlob =
        HeapAsmResourceBlob::allocate(groups * n * paramBytes, alignof(float));
    for (int64_t i = 0; i < groups * n; ++i) {
      char *sOut = scalesBlob.getMutableData().data() + i * paramBytes;
      char *zOut = zerosBlob.getMutableData().data() + i * paramBytes;
      if (f16) {
        uint16_t sh = tsr_f32_to_f16(scales[i]), zh = tsr_f32_to_f16(zeros[i]);
        std::memcpy(sOut, &sh, 2);
        std::memcpy(zOut, &zh, 2);
      } else {
        std::memcpy(sOut, &scales[i], 4);
        std::memcpy(zOut, &zeros[i], 4);
      }
    }
    std::string name = weightName(w);
    OpBuilder b(op);
    auto make = [&](RankedTensorType type, StringRef suffix,
                    AsmResourceBlob blob) {
      std::string full = name + suffix.str();
      return createBlobConstant(b, op.getLoc(), type, full, full,
                                std::move(blob))
          ->getResult(0);
    };
    Type u8 = b.getIntegerType(8, /*isSigned=*/false);
    Value values =
        make(RankedTensorType::get({n, k}, u8), ".w4", std::move(valuesBlob));
    Type paramType = f16 ? Type(b.getF16Type()) : b.getF32Type();
    Value scaleValue = make(RankedTensorType::get({groups, n}, paramType),
                            ".scale", std::move(scalesBlob));
    Value zeroValue = make(RankedTensorType::get({groups, n}, paramType),
                           ".zero", std::move(zerosBlob));
    auto quantized = tsr::W4LinearOp::create(
        b, op.getLoc(), op.getType(), op.getInput(), values, scaleValue,
        zeroValue, op.getBias(), b.getI64IntegerAttr(groupSize),
        op.getEpilogueAttr(), /*weight_packed=*/nullptr);
    Value oldWeight = op.getWeight();
    op.replaceAllUsesWith(quantized.getResult());
    dropGram(op);
    op.erase();
    blobUses.eraseIfUnused(oldWeight);
  }

  /// Removes tsr.input_gram from `op` and frees its blob (K² floats).
  static void dropGram(Operation *op) {
    Attribute gram = op->getAttr(tsr::kInputGramAttr);
    if (!gram)
      return;
    if (auto resource = dyn_cast<DenseResourceElementsAttr>(gram))
      if (auto *entry = resource.getRawHandle().getResource())
        entry->setBlob(AsmResourceBlob());
    op->removeAttr(tsr::kInputGramAttr);
  }

  /// Each input channel's calibrated range.
  struct InputRange {
    SmallVector<float> lo, hi;
  };

  /// The calibration range tessera-compile left on `op` (tsr.input_min,
  /// tsr.input_max), if any and if it has K finite entries.
  std::optional<InputRange> inputRange(tsr::LinearOp op,
                                       const WeightSource &w) {
    auto lo = op->getAttrOfType<DenseFPElementsAttr>(tsr::kInputMinAttr);
    auto hi = op->getAttrOfType<DenseFPElementsAttr>(tsr::kInputMaxAttr);
    ArrayRef<int64_t> shape = w.value.getShapedType().getShape();
    int64_t k = w.transposed ? shape[0] : shape[1];
    if (!lo || !hi || lo.getNumElements() != k || hi.getNumElements() != k)
      return std::nullopt;
    InputRange range{llvm::to_vector(lo.getValues<float>()),
                     llvm::to_vector(hi.getValues<float>())};
    for (int64_t i = 0; i < k; ++i)
      if (!std::isfinite(range.lo[i]) || !std::isfinite(range.hi[i]) ||
          range.lo[i] > range.hi[i])
        return std::nullopt;
    return range;
  }

  /// SmoothQuant's per-channel factors s[k] = max|x_k|^alpha / max_n
  /// |W[n, k]|^(1 - alpha) (1 where either is 0, or alpha is 0), clamped to
  /// [1e-4, 1e4]: x_k / s[k] and W[:, k] * s[k].
  std::vector<float> smoothingFactors(const InputRange &range,
                                      const WeightSource &w) {
    ArrayRef<int64_t> shape = w.value.getShapedType().getShape();
    int64_t n = w.transposed ? shape[1] : shape[0];
    int64_t k = w.transposed ? shape[0] : shape[1];
    std::vector<float> factors(k, 1.0f);
    if (smoothAlpha <= 0.0)
      return factors;
    std::vector<char> storage;
    const float *src =
        reinterpret_cast<const float *>(constantBytes(w.value, storage).data());
    std::vector<float> wmax(k, 0.0f);
    for (int64_t row = 0; row < n; ++row)
      for (int64_t col = 0; col < k; ++col) {
        float v = w.transposed ? src[col * n + row] : src[row * k + col];
        wmax[col] = std::max(wmax[col], std::fabs(v));
      }
    for (int64_t col = 0; col < k; ++col) {
      double xmax = std::max(std::fabs(range.lo[col]), std::fabs(range.hi[col]));
      if (!(xmax > 0.0) || !(wmax[col] > 0.0f))
        continue;
      double s = std::pow(xmax, smoothAlpha) /
                 std::pow(static_cast<double>(wmax[col]), 1.0 - smoothAlpha);
      factors[col] = static_cast<float>(std::clamp(s, 1e-4, 1e4));
    }
    return factors;
  }

  /// The static affine scale and zero point (0..255) of the smoothed
  /// range: [min(0, lo), max(0, hi)] onto [0, 255].
  static std::pair<float, int32_t>
  staticParams(const InputRange &range, ArrayRef<float> factors) {
    float lo = 0.0f, hi = 0.0f;
    for (size_t k = 0; k < factors.size(); ++k) {
      lo = std::min(lo, range.lo[k] * (1.0f / factors[k]));
      hi = std::max(hi, range.hi[k] * (1.0f / factors[k]));
    }
    float scale = hi > lo ? (hi - lo) / 255.0f : 1.0f;
    if (!(scale > 0.0f) || !std::isfinite(scale))
      scale = 1.0f;
    int32_t zero = static_cast<int32_t>(
        std::clamp(std::nearbyint(-lo / scale), 0.0f, 255.0f));
    return {scale, zero};
  }

  /// A [size] f32 constant named `name`, just before `op`.
  static Value makeVector(tsr::LinearOp op, const std::string &name,
                          ArrayRef<float> values) {
    auto blob = HeapAsmResourceBlob::allocate(values.size() * sizeof(float),
                                              alignof(float));
    std::memcpy(blob.getMutableData().data(), values.data(),
                values.size() * sizeof(float));
    OpBuilder b(op);
    return createBlobConstant(
               b, op.getLoc(),
               RankedTensorType::get({static_cast<int64_t>(values.size())},
                                     b.getF32Type()),
               name, name, std::move(blob))
        ->getResult(0);
  }

  /// Quantizes `w` ([N, K] after the transpose, if any) per row, its
  /// column k first multiplied by factors[k] (when given: smoothing).
  QuantizedWeight quantize(tsr::LinearOp op, const WeightSource &w,
                           ArrayRef<float> factors) {
    ArrayRef<int64_t> shape = w.value.getShapedType().getShape();
    int64_t n = w.transposed ? shape[1] : shape[0];
    int64_t k = w.transposed ? shape[0] : shape[1];
    std::vector<char> storage;
    ArrayRef<char> bytes = constantBytes(w.value, storage);
    const float *src = reinterpret_cast<const float *>(bytes.data());
    auto at = [&](int64_t row, int64_t col) {
      float v = w.transposed ? src[col * n + row] : src[row * k + col];
      return factors.empty() ? v : v * factors[col];
    };
    auto valuesBlob = HeapAsmResourceBlob::allocate(n * k, alignof(int8_t));
    auto scalesBlob =
        HeapAsmResourceBlob::allocate(n * sizeof(float), alignof(float));
    auto *q = reinterpret_cast<int8_t *>(valuesBlob.getMutableData().data());
    auto *scales = reinterpret_cast<float *>(scalesBlob.getMutableData().data());
    for (int64_t row = 0; row < n; ++row) {
      float amax = 0.0f;
      for (int64_t col = 0; col < k; ++col)
        amax = std::max(amax, std::fabs(at(row, col)));
      float scale = amax / 127.0f;
      scales[row] = scale;
      for (int64_t col = 0; col < k; ++col) {
        float r = scale > 0.0f ? std::nearbyint(at(row, col) / scale) : 0.0f;
        q[row * k + col] = static_cast<int8_t>(std::clamp(r, -127.0f, 127.0f));
      }
    }
    std::string name = weightName(w);
    OpBuilder b(op);
    // Next to the f32 constant when the linear reads it directly, so that
    // tied linears further down see it; else just before the linear.
    if (w.constant->getBlock() == op->getBlock() && factors.empty())
      b.setInsertionPointAfter(w.constant);
    auto make = [&](RankedTensorType type, StringRef suffix,
                    AsmResourceBlob blob) {
      std::string full = name + suffix.str();
      return cast<tsr::ConstantOp>(createBlobConstant(
          b, op.getLoc(), type, full, full, std::move(blob)));
    };
    QuantizedWeight result;
    result.values = make(RankedTensorType::get({n, k}, b.getI8Type()), ".int8",
                         std::move(valuesBlob));
    result.scales = make(RankedTensorType::get({n}, b.getF32Type()), ".scale",
                         std::move(scalesBlob));
    return result;
  }
};

} // namespace
} // namespace tessera
