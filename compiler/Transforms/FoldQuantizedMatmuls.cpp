//===- FoldQuantizedMatmuls.cpp - Quantized ONNX matmuls to int8 kernels --===//
//
// Implements tsr-fold-quantized-matmuls (see Passes.td for the rationale):
// the two shapes in which quantized ONNX models multiply an activation by a
// constant int8 weight become tsr.quantized_linear.
//
//===----------------------------------------------------------------------===//

#include "compiler/Transforms/LinearWeights.h"
#include "compiler/Transforms/Passes.h"
#include "compiler/Transforms/PatternUtils.h"
#include "dialects/tsr/IR/TsrAttrNames.h"
#include "dialects/tsr/IR/TsrDialect.h"

#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

#include <cstring>

using namespace mlir;

namespace tessera {

#define GEN_PASS_DEF_TSRFOLDQUANTIZEDMATMULSPASS
#include "compiler/Transforms/Passes.h.inc"

namespace {

/// A compile-time f32 vector of N scales: a constant of shape [], [N] or
/// [1, N], or the product of two such constants (in f32, as the graph would
/// compute it).
std::optional<SmallVector<float>> constantScales(Value v, int64_t n) {
  auto broadcastN = [&](SmallVector<float> s) -> std::optional<SmallVector<float>> {
    if (s.size() == 1)
      return SmallVector<float>(n, s[0]);
    if (static_cast<int64_t>(s.size()) != n)
      return std::nullopt;
    auto shape = cast<RankedTensorType>(v.getType()).getShape();
    if (shape.size() > 1 && llvm::count_if(shape, [](int64_t d) { return d != 1; }) > 1)
      return std::nullopt;
    return s;
  };
  if (auto mul = v.getDefiningOp<tsr::MulOp>()) {
    auto l = constantScales(mul.getLhs(), n), r = constantScales(mul.getRhs(), n);
    if (!l || !r)
      return std::nullopt;
    for (int64_t j = 0; j < n; ++j)
      (*l)[j] = (*l)[j] * (*r)[j];
    return l;
  }
  auto t = cast<RankedTensorType>(v.getType());
  if (!t.getElementType().isF32() || t.getRank() > 2)
    return std::nullopt;
  auto values = constantFloats(v);
  if (!values)
    return std::nullopt;
  return broadcastN(std::move(*values));
}

/// A constant [K, N] (or, `transposed`, [N, K]) 8-bit weight with
/// per-tensor or per-output-column zero points, as the [N, K] int8 values
/// minus their zero points (which must fit).
struct FoldedWeight {
  int64_t n = 0, k = 0;
  std::vector<int8_t> values; // [N, K]
  std::string name;
};

std::optional<FoldedWeight> foldWeight(Value w, Value zeroPoint,
                                       bool transposed = false) {
  auto t = cast<RankedTensorType>(w.getType());
  if (t.getRank() != 2 || !t.hasStaticShape() ||
      !t.getElementType().isInteger(8))
    return std::nullopt;
  FoldedWeight f;
  f.k = t.getDimSize(transposed ? 1 : 0);
  f.n = t.getDimSize(transposed ? 0 : 1);
  if (f.k > tsr::kQuantizedMaxK)
    return std::nullopt;
  auto values = constantIntegers(w);
  auto zeros = constantIntegers(zeroPoint);
  if (!values || !zeros ||
      (zeros->size() != 1 && static_cast<int64_t>(zeros->size()) != f.n))
    return std::nullopt;
  f.values.resize(f.n * f.k);
  for (int64_t kk = 0; kk < f.k; ++kk)
    for (int64_t j = 0; j < f.n; ++j) {
      int64_t v = (*values)[transposed ? j * f.k + kk : kk * f.n + j] -
                  (*zeros)[zeros->size() == 1 ? 0 : j];
      if (v < -128 || v > 127)
        return std::nullopt; // An unsigned weight whose zero point is not 128.
      f.values[j * f.k + kk] = static_cast<int8_t>(v);
    }
  f.name = "weight";
  if (Operation *def = w.getDefiningOp())
    if (auto attr = def->getAttrOfType<StringAttr>(tsr::kConstantNameAttr))
      f.name = attr.str();
  return f;
}

/// The rank-0 constant scale and zero point of a quantize or dequantize.
struct TensorParams {
  float scale;
  int32_t zero;
  bool isUnsigned;
};

std::optional<TensorParams> tensorParams(Value scale, Value zero) {
  if (cast<RankedTensorType>(scale.getType()).getRank() != 0)
    return std::nullopt;
  auto s = constantFloats(scale);
  auto z = constantIntegers(zero);
  if (!s || !z)
    return std::nullopt;
  return TensorParams{(*s)[0], static_cast<int32_t>((*z)[0]),
                      cast<RankedTensorType>(zero.getType())
                          .getElementType()
                          .isUnsignedInteger()};
}

/// Builds the quantized_linear for `input` · `weight` with per-column
/// `scales`, in place of `op`.
void replaceWithQuantizedLinear(PatternRewriter &rewriter, Operation *op,
                                Value input, const FoldedWeight &weight,
                                ArrayRef<float> scales, tsr::InputQuant quant,
                                std::optional<TensorParams> params) {
  Location loc = op->getLoc();
  auto valuesBlob = HeapAsmResourceBlob::allocateAndCopyWithAlign(
      ArrayRef<char>(reinterpret_cast<const char *>(weight.values.data()),
                     weight.values.size()),
      alignof(int64_t));
  auto scalesBlob = HeapAsmResourceBlob::allocateAndCopyWithAlign(
      ArrayRef<char>(reinterpret_cast<const char *>(scales.data()),
                     scales.size() * sizeof(float)),
      alignof(float));
  Operation *w = createBlobConstant(
      rewriter, loc,
      RankedTensorType::get({weight.n, weight.k}, rewriter.getI8Type()),
      weight.name + ".int8", weight.name, std::move(valuesBlob));
  Operation *s = createBlobConstant(
      rewriter, loc, RankedTensorType::get({weight.n}, rewriter.getF32Type()),
      weight.name + ".scale", weight.name + ".scale", std::move(scalesBlob));
  FloatAttr inputScale;
  IntegerAttr inputZero;
  if (params) {
    inputScale = rewriter.getF32FloatAttr(params->scale);
    // Signed activations are the same bytes shifted by 128.
    inputZero = rewriter.getI32IntegerAttr(params->zero +
                                           (params->isUnsigned ? 0 : 128));
  }
  rewriter.replaceOpWithNewOp<tsr::QuantizedLinearOp>(
      op, op->getResult(0).getType(), input, w->getResult(0), s->getResult(0),
      Value(), Value(), /*input_smooth=*/Value(),
      tsr::EpilogueAttr::get(rewriter.getContext(), tsr::Epilogue::none),
      /*weight_packed=*/nullptr,
      tsr::InputQuantAttr::get(rewriter.getContext(), quant), inputScale,
      inputZero);
}

/// QDQ (quantize_static): matmul(dequantize(quantize(x)), dequantize(W)).
struct FoldQdqMatmul : OpRewritePattern<tsr::MatmulOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(tsr::MatmulOp op,
                                PatternRewriter &rewriter) const override {
    if (op.getTransposeLhs() || !op.getType().getElementType().isF32())
      return rewriter.notifyMatchFailure(op, "transposed lhs or not f32");
    // A Gemm with transB reads the weight as [N, K].
    bool transposed = op.getTransposeRhs();
    auto dqx = op.getLhs().getDefiningOp<tsr::DequantizeOp>();
    auto dqw = op.getRhs().getDefiningOp<tsr::DequantizeOp>();
    if (!dqx || !dqw)
      return rewriter.notifyMatchFailure(op, "operands are not dequantized");
    auto qx = dqx.getInput().getDefiningOp<tsr::QuantizeOp>();
    if (!qx)
      return rewriter.notifyMatchFailure(op, "lhs is not quantized here");
    auto p = tensorParams(qx.getScale(), qx.getZeroPoint());
    auto pd = tensorParams(dqx.getScale(), dqx.getZeroPoint());
    if (!p || !pd || p->scale != pd->scale || p->zero != pd->zero)
      return rewriter.notifyMatchFailure(op, "activation quantization is not "
                                             "one constant scale and zero");
    auto wType = dqw.getInput().getType();
    if (wType.getRank() != 2 || (dqw.getScale().getType().getRank() == 1 &&
                                 dqw.getAxis() != (transposed ? 0 : 1)))
      return rewriter.notifyMatchFailure(op, "weight is not per column");
    auto weight = foldWeight(dqw.getInput(), dqw.getZeroPoint(), transposed);
    if (!weight)
      return rewriter.notifyMatchFailure(op, "weight is not a foldable constant");
    auto scales = constantScales(dqw.getScale(), weight->n);
    if (!scales)
      return rewriter.notifyMatchFailure(op, "weight scale is not constant");
    // The integer product is scaled by sx * sw, computed once in f32.
    for (float &s : *scales)
      s = p->scale * s;
    replaceWithQuantizedLinear(rewriter, op, qx.getInput(), *weight, *scales,
                               tsr::InputQuant::static_tensor, p);
    return success();
  }
};

/// QOperator (quantize_dynamic, QLinearMatMul):
/// mul(cast<f32>(matmul_integer(q, W, zq, zw)), S) with q from
/// dynamic_quantize (S = its scale times constant weight scales) or from a
/// constant-parameter quantize (S constant).
struct FoldIntegerMatmul : OpRewritePattern<tsr::MulOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(tsr::MulOp op,
                                PatternRewriter &rewriter) const override {
    auto match = matchEither(op.getLhs(), op.getRhs(), [](Value v) {
      auto c = v.getDefiningOp<tsr::CastOp>();
      return c && c.getType().getElementType().isF32() &&
             c.getInput().getDefiningOp<tsr::MatmulIntegerOp>();
    });
    if (!match)
      return rewriter.notifyMatchFailure(op, "no converted integer matmul");
    auto castOp = match->first.getDefiningOp<tsr::CastOp>();
    auto mi = castOp.getInput().getDefiningOp<tsr::MatmulIntegerOp>();
    Value scale = match->second;
    if (op.getType() != castOp.getType())
      return rewriter.notifyMatchFailure(op, "the scale broadcasts the product");
    auto weight = foldWeight(mi.getRhs(), mi.getRhsZeroPoint());
    if (!weight)
      return rewriter.notifyMatchFailure(op, "weight is not a foldable constant");

    if (auto dq = mi.getLhs().getDefiningOp<tsr::DynamicQuantizeOp>()) {
      if (mi.getLhsZeroPoint() != dq.getZeroPoint())
        return rewriter.notifyMatchFailure(op, "another zero point");
      auto mul = scale.getDefiningOp<tsr::MulOp>();
      if (!mul)
        return rewriter.notifyMatchFailure(op, "scale is not sx * sw");
      auto parts = matchEither(mul.getLhs(), mul.getRhs(),
                               [&](Value v) { return v == dq.getScale(); });
      if (!parts)
        return rewriter.notifyMatchFailure(op, "scale is not sx * sw");
      auto scales = constantScales(parts->second, weight->n);
      if (!scales)
        return rewriter.notifyMatchFailure(op, "weight scale is not constant");
      replaceWithQuantizedLinear(rewriter, op, dq.getInput(), *weight, *scales,
                                 tsr::InputQuant::dynamic_tensor, std::nullopt);
      return success();
    }

    auto q = mi.getLhs().getDefiningOp<tsr::QuantizeOp>();
    if (!q)
      return rewriter.notifyMatchFailure(op, "lhs is not quantized here");
    auto p = tensorParams(q.getScale(), q.getZeroPoint());
    auto zl = constantIntegers(mi.getLhsZeroPoint());
    if (!p || !zl || zl->size() != 1 || (*zl)[0] != p->zero)
      return rewriter.notifyMatchFailure(op, "activation quantization is not "
                                             "one constant scale and zero");
    auto scales = constantScales(scale, weight->n);
    if (!scales)
      return rewriter.notifyMatchFailure(op, "scale is not constant");
    replaceWithQuantizedLinear(rewriter, op, q.getInput(), *weight, *scales,
                               tsr::InputQuant::static_tensor, p);
    return success();
  }
};

struct TsrFoldQuantizedMatmulsPass
    : impl::TsrFoldQuantizedMatmulsPassBase<TsrFoldQuantizedMatmulsPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<FoldQdqMatmul, FoldIntegerMatmul>(&getContext());
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace
} // namespace tessera
