//===- RecomposeRmsNorm.cpp - The RMSNorm web becomes tsr.rms_norm --------===//
//
// Implements tsr-recompose-rms-norm (see Passes.td for the rationale).
//
//===----------------------------------------------------------------------===//

#include "compiler/Transforms/Passes.h"
#include "compiler/Transforms/PatternUtils.h"
#include "dialects/tsr/IR/TsrDialect.h"

#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

using namespace mlir;

namespace tessera {

#define GEN_PASS_DEF_TSRRECOMPOSERMSNORMPASS
#include "compiler/Transforms/Passes.h.inc"

namespace {

struct RmsMatch {
  int64_t axis;
  double eps;
};

/// If `s` is sqrt(mean(x·x) + eps), the mean a keep-dims one over the
/// trailing dims of `x` from some axis, returns that axis and eps.
std::optional<RmsMatch> matchRootMeanSquare(Value s, Value x) {
  auto sqrt = s.getDefiningOp<tsr::UnaryOp>();
  if (!sqrt || sqrt.getKind() != tsr::UnaryKind::sqrt)
    return std::nullopt;
  auto add = sqrt.getInput().getDefiningOp<tsr::AddOp>();
  if (!add)
    return std::nullopt;
  auto p = matchEither(add.getLhs(), add.getRhs(), [](Value c) {
    return getSplatFloat(c).has_value();
  });
  if (!p || *getSplatFloat(p->first) < 0)
    return std::nullopt;
  auto mean = p->second.getDefiningOp<tsr::ReduceOp>();
  if (!mean || mean.getKind() != tsr::ReduceKind::mean || !mean.getKeepDims())
    return std::nullopt;
  auto square = mean.getInput().getDefiningOp<tsr::MulOp>();
  if (!square || square.getLhs() != x || square.getRhs() != x)
    return std::nullopt;
  ArrayRef<int64_t> axes = mean.getAxes();
  int64_t rank = cast<RankedTensorType>(x.getType()).getRank();
  if (axes.empty())
    return std::nullopt;
  for (auto [i, a] : llvm::enumerate(axes))
    if (a != rank - static_cast<int64_t>(axes.size()) + static_cast<int64_t>(i))
      return std::nullopt;
  return RmsMatch{axes.front(), *getSplatFloat(p->first)};
}

/// If `r` is 1 / s or reciprocal(s), returns s.
Value matchInverse(Value r) {
  if (auto div = r.getDefiningOp<tsr::DivOp>())
    return isSplatFloat(div.getLhs(), 1.0, 0.0) ? div.getRhs() : Value();
  if (auto unary = r.getDefiningOp<tsr::UnaryOp>())
    return unary.getKind() == tsr::UnaryKind::reciprocal ? unary.getInput()
                                                         : Value();
  return Value();
}

/// Replaces `normalized` (x normalized by its root mean square) and its
/// scale Mul, when there is one, by tsr.rms_norm.
LogicalResult rewriteRmsNorm(PatternRewriter &rewriter, Operation *normalized,
                             Value x, RmsMatch m) {
  auto type = cast<RankedTensorType>(x.getType());
  if (normalized->getResult(0).getType() != type)
    return rewriter.notifyMatchFailure(normalized, "result type differs");
  SmallVector<int64_t> normShape(type.getShape().drop_front(m.axis));
  auto paramType = RankedTensorType::get(normShape, type.getElementType());
  Operation *last = normalized;
  Value scale;
  if (normalized->hasOneUse())
    if (auto mul = dyn_cast<tsr::MulOp>(*normalized->user_begin()))
      if (auto g = matchEither(mul.getLhs(), mul.getRhs(),
                               [&](Value v) {
                                 return v.getType() == paramType &&
                                        v != normalized->getResult(0);
                               });
          g && g->second == normalized->getResult(0) &&
          mul.getType() == type) {
        scale = g->first;
        last = mul;
      }
  if (!scale) {
    if (!paramType.hasStaticShape())
      return rewriter.notifyMatchFailure(normalized, "dynamic normalized dims");
    scale = tsr::ConstantOp::create(
        rewriter, normalized->getLoc(),
        DenseElementsAttr::get(
            paramType, rewriter.getFloatAttr(type.getElementType(), 1.0)));
  }
  rewriter.setInsertionPoint(last);
  auto rms = tsr::RmsNormOp::create(
      rewriter, last->getLoc(), type, x, scale,
      rewriter.getI64IntegerAttr(m.axis),
      rewriter.getF32FloatAttr(static_cast<float>(m.eps)));
  rewriter.replaceOp(last, rms.getResult());
  return success();
}

/// x / sqrt(mean(x·x) + eps) (the importer's RMSNormalization).
struct RecomposeRmsNormDiv : OpRewritePattern<tsr::DivOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(tsr::DivOp div,
                                PatternRewriter &rewriter) const override {
    std::optional<RmsMatch> m = matchRootMeanSquare(div.getRhs(), div.getLhs());
    if (!m)
      return rewriter.notifyMatchFailure(div, "not x / sqrt(mean(x·x) + eps)");
    return rewriteRmsNorm(rewriter, div, div.getLhs(), *m);
  }
};

/// x · (1 / sqrt(mean(x·x) + eps)) or x · reciprocal(...) (torch's rsqrt).
struct RecomposeRmsNormMul : OpRewritePattern<tsr::MulOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(tsr::MulOp mul,
                                PatternRewriter &rewriter) const override {
    for (auto [x, r] : {std::pair(mul.getLhs(), mul.getRhs()),
                        std::pair(mul.getRhs(), mul.getLhs())}) {
      Value s = matchInverse(r);
      if (!s)
        continue;
      if (std::optional<RmsMatch> m = matchRootMeanSquare(s, x))
        return rewriteRmsNorm(rewriter, mul, x, *m);
    }
    return rewriter.notifyMatchFailure(mul, "not x · rsqrt(mean(x·x) + eps)");
  }
};

struct TsrRecomposeRmsNormPass
    : impl::TsrRecomposeRmsNormPassBase<TsrRecomposeRmsNormPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<RecomposeRmsNormDiv, RecomposeRmsNormMul>(&getContext());
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace
} // namespace tessera
