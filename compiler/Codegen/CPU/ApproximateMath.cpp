//===- ApproximateMath.cpp - Polynomial erf and tanh ----------------------===//
//
// Implements tsr-approximate-math (see Passes.td for the rationale).
//
//===----------------------------------------------------------------------===//

#include "compiler/Codegen/CPU/Passes.h"

#include "mlir/Dialect/Math/Transforms/Passes.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

using namespace mlir;

namespace tessera {

#define GEN_PASS_DEF_TSRAPPROXIMATEMATHPASS
#include "compiler/Codegen/CPU/Passes.h.inc"

namespace {
struct TsrApproximateMathPass
    : impl::TsrApproximateMathPassBase<TsrApproximateMathPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    populatePolynomialApproximateErfPattern(patterns);
    populatePolynomialApproximateTanhPattern(patterns);
    // exp (softmax, sigmoid): LLVM would call expf per element.
    populateMathPolynomialApproximationPatterns(
        patterns, [](StringRef name) { return name == "exp" || name == "math.exp"; });
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};
} // namespace

} // namespace tessera
