//===- FuseLinear.cpp - MatMul + bias + activation become tsr.linear ------===//
//
// Implements tsr-fuse-linear (see Passes.td for the rationale).
//
//===----------------------------------------------------------------------===//

#include "compiler/Transforms/Passes.h"
#include "compiler/Transforms/PatternUtils.h"
#include "dialects/tsr/IR/TsrDialect.h"

#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

using namespace mlir;

namespace tessera {

#define GEN_PASS_DEF_TSRFUSELINEARPASS
#include "compiler/Transforms/Passes.h.inc"

namespace {

/// matmul(x, W) with a constant 2-D W becomes linear(x, Wᵀ).
struct MatmulToLinear : OpRewritePattern<tsr::MatmulOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(tsr::MatmulOp op,
                                PatternRewriter &rewriter) const override {
    Value w = op.getRhs();
    auto wType = cast<RankedTensorType>(w.getType());
    if (!getConstantElements(w) || wType.getRank() != 2 ||
        op.getTransposeLhs())
      return rewriter.notifyMatchFailure(op, "rhs is not a 2-D constant");
    Value weight = w;
    if (!op.getTransposeRhs()) {
      auto t = RankedTensorType::get({wType.getDimSize(1), wType.getDimSize(0)},
                                     wType.getElementType());
      weight = tsr::TransposeOp::create(rewriter, op.getLoc(), t, w,
                                        rewriter.getDenseI64ArrayAttr({1, 0}));
    }
    rewriter.replaceOpWithNewOp<tsr::LinearOp>(op, op.getType(), op.getLhs(),
                                               weight, Value(),
                                               tsr::Epilogue::none, false);
    return success();
  }
};

/// The [N] vector a constant bias broadcasts from, if it broadcasts along N
/// only (shape [N] or [1, ..., 1, N]).
Value biasVector(PatternRewriter &rewriter, Value bias, int64_t n,
                 int64_t resultRank) {
  auto t = cast<RankedTensorType>(bias.getType());
  if (!getConstantElements(bias) || t.getRank() == 0 ||
      t.getRank() > resultRank || t.getShape().back() != n)
    return Value();
  for (int64_t d : t.getShape().drop_back())
    if (d != 1)
      return Value();
  if (t.getRank() == 1)
    return bias;
  return tsr::ReshapeOp::create(
      rewriter, bias.getLoc(), RankedTensorType::get({n}, t.getElementType()),
      bias, ValueRange());
}

/// A linear (tsr.linear or tsr.quantized_linear) with one use.
template <typename LinearOpTy> LinearOpTy plainLinear(Value v) {
  auto linear = v.getDefiningOp<LinearOpTy>();
  if (!linear || !linear->hasOneUse())
    return {};
  return linear;
}

/// A copy of `linear` at the rewriter's insertion point, with `bias` and
/// `epilogue`, replacing `op`; `linear` is erased.
template <typename LinearOpTy>
void replaceWithFused(PatternRewriter &rewriter, Operation *op,
                      LinearOpTy linear, Value bias, tsr::Epilogue epilogue) {
  auto fused = cast<LinearOpTy>(rewriter.clone(*linear));
  if (bias)
    fused.getBiasMutable().assign(bias);
  fused.setEpilogue(epilogue);
  rewriter.replaceOp(op, fused->getResults());
  rewriter.eraseOp(linear);
}

template <typename LinearOpTy>
struct FuseBias : OpRewritePattern<tsr::AddOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(tsr::AddOp op,
                                PatternRewriter &rewriter) const override {
    auto p = matchEither(op.getLhs(), op.getRhs(), [](Value v) {
      LinearOpTy l = plainLinear<LinearOpTy>(v);
      return l && !l.getBias() && l.getEpilogue() == tsr::Epilogue::none;
    });
    if (!p)
      return rewriter.notifyMatchFailure(op, "no bias-free linear operand");
    auto linear = p->first.template getDefiningOp<LinearOpTy>();
    if (op.getType() != linear.getType())
      return rewriter.notifyMatchFailure(op, "the add broadcasts the linear");
    int64_t n = linear.getType().getShape().back();
    if (ShapedType::isDynamic(n))
      return rewriter.notifyMatchFailure(op, "dynamic N");
    Value bias = biasVector(rewriter, p->second, n, linear.getType().getRank());
    if (!bias)
      return rewriter.notifyMatchFailure(op, "not a bias along N");
    replaceWithFused(rewriter, op, linear, bias, tsr::Epilogue::none);
    return success();
  }
};

/// Folds an activation op into the epilogue of the linear it reads.
template <typename OpTy, typename LinearOpTy>
struct FuseEpilogue : OpRewritePattern<OpTy> {
  using OpRewritePattern<OpTy>::OpRewritePattern;
  LogicalResult matchAndRewrite(OpTy op,
                                PatternRewriter &rewriter) const override {
    std::optional<tsr::Epilogue> epilogue = getEpilogue(op);
    if (!epilogue)
      return rewriter.notifyMatchFailure(op, "not an epilogue activation");
    LinearOpTy linear = plainLinear<LinearOpTy>(op.getInput());
    if (!linear || linear.getEpilogue() != tsr::Epilogue::none)
      return rewriter.notifyMatchFailure(op, "input is not a plain linear");
    replaceWithFused(rewriter, op, linear, Value(), *epilogue);
    return success();
  }

  static std::optional<tsr::Epilogue> getEpilogue(tsr::GeluOp op) {
    return op.getApproximation() == tsr::GeluApproximation::tanh
               ? tsr::Epilogue::gelu_tanh
               : tsr::Epilogue::gelu;
  }
  static std::optional<tsr::Epilogue> getEpilogue(tsr::SiluOp) {
    return tsr::Epilogue::silu;
  }
  static std::optional<tsr::Epilogue> getEpilogue(tsr::UnaryOp op) {
    if (op.getKind() == tsr::UnaryKind::relu &&
        isa<FloatType>(op.getType().getElementType()))
      return tsr::Epilogue::relu;
    return std::nullopt;
  }
};

template <typename LinearOpTy>
void addFusions(RewritePatternSet &patterns, MLIRContext *ctx) {
  patterns.add<FuseBias<LinearOpTy>, FuseEpilogue<tsr::GeluOp, LinearOpTy>,
               FuseEpilogue<tsr::SiluOp, LinearOpTy>,
               FuseEpilogue<tsr::UnaryOp, LinearOpTy>>(ctx);
}

struct TsrFuseLinearPass : impl::TsrFuseLinearPassBase<TsrFuseLinearPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<MatmulToLinear>(&getContext());
    // The quantized linears of already-quantized models
    // (tsr-fold-quantized-matmuls, MatMulNBits) take their bias and
    // activation alike.
    addFusions<tsr::LinearOp>(patterns, &getContext());
    addFusions<tsr::QuantizedLinearOp>(patterns, &getContext());
    addFusions<tsr::W4LinearOp>(patterns, &getContext());
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace
} // namespace tessera
