//===- RecomposeSilu.cpp - x * sigmoid(x) becomes tsr.silu ----------------===//
//
// Implements tsr-recompose-silu (see Passes.td for the rationale).
//
//===----------------------------------------------------------------------===//

#include "compiler/Transforms/Passes.h"
#include "compiler/Transforms/PatternUtils.h"
#include "dialects/tsr/IR/TsrDialect.h"

#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

using namespace mlir;

namespace tessera {

#define GEN_PASS_DEF_TSRRECOMPOSESILUPASS
#include "compiler/Transforms/Passes.h.inc"

namespace {

struct RecomposeSiluPattern : OpRewritePattern<tsr::MulOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(tsr::MulOp op,
                                PatternRewriter &rewriter) const override {
    auto match = matchEither(op.getLhs(), op.getRhs(), [&](Value s) {
      auto sigmoid = s.getDefiningOp<tsr::UnaryOp>();
      Value other = s == op.getLhs() ? op.getRhs() : op.getLhs();
      return sigmoid && sigmoid.getKind() == tsr::UnaryKind::sigmoid &&
             sigmoid.getInput() == other;
    });
    if (!match || match->second.getType() != op.getType() ||
        !isa<FloatType>(op.getType().getElementType()))
      return rewriter.notifyMatchFailure(op, "not x * sigmoid(x)");
    rewriter.replaceOpWithNewOp<tsr::SiluOp>(op, op.getType(), match->second);
    return success();
  }
};

struct TsrRecomposeSiluPass
    : impl::TsrRecomposeSiluPassBase<TsrRecomposeSiluPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<RecomposeSiluPattern>(&getContext());
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace
} // namespace tessera
