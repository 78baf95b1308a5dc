//===- RecomposeLayerNorm.cpp - The layer-norm web becomes tsr.layer_norm -===//
//
// Implements tsr-recompose-layer-norm (see Passes.td for the rationale).
//
//===----------------------------------------------------------------------===//

#include "compiler/Transforms/Passes.h"
#include "compiler/Transforms/PatternUtils.h"
#include "dialects/tsr/IR/TsrDialect.h"

#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

using namespace mlir;

namespace tessera {

#define GEN_PASS_DEF_TSRRECOMPOSELAYERNORMPASS
#include "compiler/Transforms/Passes.h.inc"

namespace {

/// If `v` is a keep-dims mean of `x` over its trailing dims from some axis,
/// returns that axis.
std::optional<int64_t> trailingMeanAxis(Value v, Value x) {
  auto reduce = v.getDefiningOp<tsr::ReduceOp>();
  if (!reduce || reduce.getKind() != tsr::ReduceKind::mean ||
      !reduce.getKeepDims() || reduce.getInput() != x)
    return std::nullopt;
  ArrayRef<int64_t> axes = reduce.getAxes();
  int64_t rank = cast<RankedTensorType>(x.getType()).getRank();
  if (axes.empty())
    return std::nullopt;
  for (auto [i, a] : llvm::enumerate(axes))
    if (a != rank - static_cast<int64_t>(axes.size()) + static_cast<int64_t>(i))
      return std::nullopt;
  return axes.front();
}

/// True if `v` is d·d or pow(d, 2) (the importer turns the latter into the
/// former).
bool isSquareOf(Value v, Value d) {
  auto mul = v.getDefiningOp<tsr::MulOp>();
  return mul && mul.getLhs() == d && mul.getRhs() == d;
}

struct RecomposeLayerNormPattern : OpRewritePattern<tsr::DivOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(tsr::DivOp div,
                                PatternRewriter &rewriter) const override {
    // d / sqrt(mean(d·d) + eps) with d = x - mean(x).
    auto sub = div.getLhs().getDefiningOp<tsr::SubOp>();
    auto sqrt = div.getRhs().getDefiningOp<tsr::UnaryOp>();
    if (!sub || !sqrt || sqrt.getKind() != tsr::UnaryKind::sqrt)
      return rewriter.notifyMatchFailure(div, "not d / sqrt(...)");
    Value x = sub.getLhs(), d = sub.getResult();
    std::optional<int64_t> axis = trailingMeanAxis(sub.getRhs(), x);
    if (!axis || div.getType() != x.getType())
      return rewriter.notifyMatchFailure(div, "d is not x - mean(x)");
    auto addEps = sqrt.getInput().getDefiningOp<tsr::AddOp>();
    if (!addEps)
      return rewriter.notifyMatchFailure(div, "no + eps");
    auto p = matchEither(addEps.getLhs(), addEps.getRhs(), [](Value c) {
      return getSplatFloat(c).has_value();
    });
    if (!p)
      return rewriter.notifyMatchFailure(div, "eps is not a constant");
    double eps = *getSplatFloat(p->first);
    auto varAxis = p->second.getDefiningOp<tsr::ReduceOp>();
    if (!varAxis || trailingMeanAxis(varAxis, varAxis.getInput()) != axis ||
        !isSquareOf(varAxis.getInput(), d) || eps < 0)
      return rewriter.notifyMatchFailure(div, "variance is not mean(d·d)");

    auto type = cast<RankedTensorType>(x.getType());
    SmallVector<int64_t> normShape(type.getShape().drop_front(*axis));
    auto paramType = RankedTensorType::get(normShape, type.getElementType());
    auto isParam = [&](Value v) {
      return v.getType() == paramType && getConstantElements(v);
    };
    // Optional ·gamma and +beta, each the op's only user.
    Operation *last = div;
    Value gamma, beta;
    if (div->hasOneUse())
      if (auto mul = dyn_cast<tsr::MulOp>(*div->user_begin()))
        if (auto g = matchEither(mul.getLhs(), mul.getRhs(), isParam);
            g && g->second == div.getResult() && mul.getType() == type) {
          gamma = g->first;
          last = mul;
          if (mul->hasOneUse())
            if (auto add = dyn_cast<tsr::AddOp>(*mul->user_begin()))
              if (auto bt = matchEither(add.getLhs(), add.getRhs(), isParam);
                  bt && bt->second == mul.getResult() &&
                  add.getType() == type) {
                beta = bt->first;
                last = add;
              }
        }
    if (!gamma) {
      if (!paramType.hasStaticShape())
        return rewriter.notifyMatchFailure(div, "dynamic normalized dims");
      gamma = tsr::ConstantOp::create(
          rewriter, div.getLoc(),
          DenseElementsAttr::get(paramType,
                                 rewriter.getFloatAttr(type.getElementType(), 1.0)));
    }
    rewriter.setInsertionPoint(last);
    auto ln = tsr::LayerNormOp::create(
        rewriter, last->getLoc(), type, x, gamma, beta, Value(),
        rewriter.getI64IntegerAttr(*axis),
        rewriter.getF32FloatAttr(static_cast<float>(eps)));
    rewriter.replaceOp(last, ln.getResult());
    return success();
  }
};

struct TsrRecomposeLayerNormPass
    : impl::TsrRecomposeLayerNormPassBase<TsrRecomposeLayerNormPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<RecomposeLayerNormPattern>(&getContext());
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace
} // namespace tessera
