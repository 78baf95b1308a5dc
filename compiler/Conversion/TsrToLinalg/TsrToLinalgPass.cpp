//===- TsrToLinalgPass.cpp - The tsr-lower-to-linalg pass -----------------===//
//
// Runs every tsr to linalg pattern under a conversion target where tsr is
// illegal, so an op that cannot be lowered is reported, not left behind.
//
//===----------------------------------------------------------------------===//

#include "compiler/Conversion/Passes.h"
#include "compiler/Conversion/TsrToLinalg/TsrToLinalg.h"
#include "dialects/tsr/IR/TsrDialect.h"

#include "mlir/Dialect/Tensor/Transforms/Transforms.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

using namespace mlir;

namespace tessera {

#define GEN_PASS_DEF_TSRLOWERTOLINALGPASS
#include "compiler/Conversion/Passes.h.inc"

void populateTsrToLinalgPatterns(RewritePatternSet &patterns) {
  populateTsrElementwiseToLinalgPatterns(patterns);
  populateTsrMatmulToLinalgPatterns(patterns);
  populateTsrNormalizationToLinalgPatterns(patterns);
  populateTsrAttentionToLinalgPatterns(patterns);
  populateTsrDataMovementToLinalgPatterns(patterns);
}

void populateTsrToLinalgLegality(ConversionTarget &target) {
  target.addIllegalDialect<tsr::TsrDialect>();
  target.addLegalDialect<arith::ArithDialect, linalg::LinalgDialect,
                         math::MathDialect, tensor::TensorDialect,
                         func::FuncDialect>();
  // The scalar bodies of unsigned elementwise ops switch signedness with
  // these (see buildElementwise); the LLVM conversion folds them away.
  target.addLegalOp<UnrealizedConversionCastOp>();
}

namespace {
struct TsrLowerToLinalgPass
    : impl::TsrLowerToLinalgPassBase<TsrLowerToLinalgPass> {
  void runOnOperation() override {
    MLIRContext *ctx = &getContext();
    ConversionTarget target(*ctx);
    populateTsrToLinalgLegality(target);
    RewritePatternSet patterns(ctx);
    populateTsrToLinalgPatterns(patterns);
    if (failed(applyPartialConversion(getOperation(), target,
                                      std::move(patterns))))
      return signalPassFailure();

    // tensor.concat has no bufferization of its own everywhere downstream;
    // turn it into inserts into an empty tensor here.
    RewritePatternSet decompose(ctx);
    tensor::populateDecomposeTensorConcatPatterns(decompose);
    if (failed(applyPatternsGreedily(getOperation(), std::move(decompose))))
      return signalPassFailure();
  }
};
} // namespace

} // namespace tessera
