//===- TsrToLinalg.h - tsr to linalg lowering patterns ----------*- C++ -*-===//
//
// Patterns that lower tsr ops to linalg/tensor/arith/math on tensors, one
// populate function per op family, plus the legality they establish.
//
//===----------------------------------------------------------------------===//

#ifndef TESSERA_COMPILER_CONVERSION_TSRTOLINALG_TSRTOLINALG_H
#define TESSERA_COMPILER_CONVERSION_TSRTOLINALG_TSRTOLINALG_H

#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/DialectConversion.h"

namespace tessera {

void populateTsrElementwiseToLinalgPatterns(mlir::RewritePatternSet &patterns);
void populateTsrMatmulToLinalgPatterns(mlir::RewritePatternSet &patterns);
void populateTsrNormalizationToLinalgPatterns(mlir::RewritePatternSet &patterns);
void populateTsrAttentionToLinalgPatterns(mlir::RewritePatternSet &patterns);
void populateTsrDataMovementToLinalgPatterns(mlir::RewritePatternSet &patterns);

/// All of the above.
void populateTsrToLinalgPatterns(mlir::RewritePatternSet &patterns);
/// tsr is illegal; linalg, tensor, arith, math and func are legal.
void populateTsrToLinalgLegality(mlir::ConversionTarget &target);

} // namespace tessera

#endif // TESSERA_COMPILER_CONVERSION_TSRTOLINALG_TSRTOLINALG_H
