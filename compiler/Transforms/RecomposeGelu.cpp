//===- RecomposeGelu.cpp - The erf GELU web becomes tsr.gelu --------------===//
//
// Implements tsr-recompose-gelu (see Passes.td for the rationale).
//
//===----------------------------------------------------------------------===//

#include "compiler/Transforms/Passes.h"
#include "compiler/Transforms/PatternUtils.h"
#include "dialects/tsr/IR/TsrDialect.h"

#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

#include <cmath>

using namespace mlir;

namespace tessera {

#define GEN_PASS_DEF_TSRRECOMPOSEGELUPASS
#include "compiler/Transforms/Passes.h.inc"

namespace {

/// True if `v` is erf(x / √2) or erf(x · 1/√2).
bool isErfOfScaled(Value v, Value x) {
  auto erf = v.getDefiningOp<tsr::UnaryOp>();
  if (!erf || erf.getKind() != tsr::UnaryKind::erf)
    return false;
  Value arg = erf.getInput();
  if (auto div = arg.getDefiningOp<tsr::DivOp>())
    return div.getLhs() == x && isSplatFloat(div.getRhs(), M_SQRT2);
  if (auto mul = arg.getDefiningOp<tsr::MulOp>()) {
    auto p = matchEither(mul.getLhs(), mul.getRhs(), [](Value c) {
      return isSplatFloat(c, M_SQRT1_2);
    });
    return p && p->second == x;
  }
  return false;
}

/// True if `v` is x³, as pow(x, 3) or a product of three x.
bool isCubeOf(Value v, Value x) {
  if (auto pow = v.getDefiningOp<tsr::PowOp>())
    return pow.getLhs() == x && isSplatFloat(pow.getRhs(), 3.0);
  auto mul = v.getDefiningOp<tsr::MulOp>();
  if (!mul)
    return false;
  auto isSquare = [&](Value s) {
    auto sq = s.getDefiningOp<tsr::MulOp>();
    return sq && sq.getLhs() == x && sq.getRhs() == x;
  };
  return (mul.getLhs() == x && isSquare(mul.getRhs())) ||
         (mul.getRhs() == x && isSquare(mul.getLhs()));
}

/// True if `v` is tanh(√(2/π) · (x + 0.044715 · x³)).
bool isTanhOfCubic(Value v, Value x) {
  auto t = v.getDefiningOp<tsr::UnaryOp>();
  if (!t || t.getKind() != tsr::UnaryKind::tanh)
    return false;
  auto scaled = t.getInput().getDefiningOp<tsr::MulOp>();
  if (!scaled)
    return false;
  auto s = matchEither(scaled.getLhs(), scaled.getRhs(), [](Value c) {
    return isSplatFloat(c, std::sqrt(2.0 / M_PI));
  });
  auto sum = s ? s->second.getDefiningOp<tsr::AddOp>() : tsr::AddOp();
  if (!sum)
    return false;
  auto term = matchEither(sum.getLhs(), sum.getRhs(),
                          [&](Value a) { return a == x; });
  auto cubic = term ? term->second.getDefiningOp<tsr::MulOp>() : tsr::MulOp();
  if (!cubic)
    return false;
  auto k = matchEither(cubic.getLhs(), cubic.getRhs(), [](Value c) {
    return isSplatFloat(c, 0.044715);
  });
  return k && isCubeOf(k->second, x);
}

/// If `v` is 1 + erf(x / √2) or 1 + tanh(...) (either order), the GELU
/// form it belongs to.
std::optional<tsr::GeluApproximation> onePlusActivation(Value v, Value x) {
  auto add = v.getDefiningOp<tsr::AddOp>();
  if (!add)
    return std::nullopt;
  auto p = matchEither(add.getLhs(), add.getRhs(),
                       [](Value c) { return isSplatFloat(c, 1.0); });
  if (!p)
    return std::nullopt;
  if (isErfOfScaled(p->second, x))
    return tsr::GeluApproximation::none;
  if (isTanhOfCubic(p->second, x))
    return tsr::GeluApproximation::tanh;
  return std::nullopt;
}

/// Rewrites the final multiply of the web x · (1 + f(x)) · 0.5.
struct RecomposeGeluPattern : OpRewritePattern<tsr::MulOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(tsr::MulOp op,
                                PatternRewriter &rewriter) const override {
    auto resultType = op.getType();
    for (auto [inner, outer] : {std::pair(op.getLhs(), op.getRhs()),
                                std::pair(op.getRhs(), op.getLhs())}) {
      auto innerMul = inner.getDefiningOp<tsr::MulOp>();
      if (!innerMul)
        continue;
      for (auto [a, b] : {std::pair(innerMul.getLhs(), innerMul.getRhs()),
                          std::pair(innerMul.getRhs(), innerMul.getLhs())}) {
        // The three factors x, (1 + f(x)) and 0.5 in any grouping:
        // (x·(1+f))·0.5, (x·0.5)·(1+f) and x·((1+f)·0.5).
        Value gx;
        std::optional<tsr::GeluApproximation> form;
        if (isSplatFloat(outer, 0.5) && (form = onePlusActivation(b, a)))
          gx = a;
        else if (isSplatFloat(b, 0.5) && (form = onePlusActivation(outer, a)))
          gx = a;
        else if (isSplatFloat(b, 0.5) && (form = onePlusActivation(a, outer)))
          gx = outer;
        if (!gx || gx.getType() != resultType)
          continue;
        rewriter.replaceOpWithNewOp<tsr::GeluOp>(op, resultType, gx, *form);
        return success();
      }
    }
    return rewriter.notifyMatchFailure(op, "not the final mul of a GELU web");
  }
};

struct TsrRecomposeGeluPass
    : impl::TsrRecomposeGeluPassBase<TsrRecomposeGeluPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<RecomposeGeluPattern>(&getContext());
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace
} // namespace tessera
