//===- FuseResidual.cpp - Residual adds move into tsr.layer_norm ----------===//
//
// Implements tsr-fuse-residual (see Passes.td for the rationale).
//
//===----------------------------------------------------------------------===//

#include "compiler/Transforms/Passes.h"
#include "dialects/tsr/IR/TsrDialect.h"

#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

using namespace mlir;

namespace tessera {

#define GEN_PASS_DEF_TSRFUSERESIDUALPASS
#include "compiler/Transforms/Passes.h.inc"

namespace {

struct FuseResidualPattern : OpRewritePattern<tsr::LayerNormOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(tsr::LayerNormOp op,
                                PatternRewriter &rewriter) const override {
    if (op.getResidual())
      return rewriter.notifyMatchFailure(op, "already has a residual");
    auto add = op.getInput().getDefiningOp<tsr::AddOp>();
    if (!add || !add->hasOneUse())
      return rewriter.notifyMatchFailure(op, "input is not a single-use add");
    Type type = op.getInput().getType();
    if (add.getLhs().getType() != type || add.getRhs().getType() != type)
      return rewriter.notifyMatchFailure(op, "the add broadcasts");
    rewriter.replaceOpWithNewOp<tsr::LayerNormOp>(
        op, op.getType(), add.getLhs(), op.getScale(), op.getBias(),
        add.getRhs(), op.getAxisAttr(), op.getEpsilonAttr());
    rewriter.eraseOp(add);
    return success();
  }
};

struct TsrFuseResidualPass
    : impl::TsrFuseResidualPassBase<TsrFuseResidualPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<FuseResidualPattern>(&getContext());
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace
} // namespace tessera
