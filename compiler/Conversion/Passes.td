//===- Passes.td - Tessera conversion passes ---------------*- tablegen -*-===//
//
// Conversions out of the tsr dialect.
//
//===----------------------------------------------------------------------===//

#ifndef TESSERA_CONVERSION_PASSES_TD
#define TESSERA_CONVERSION_PASSES_TD

include "mlir/Pass/PassBase.td"

//===----------------------------------------------------------------------===//
// TsrToLinalg
//===----------------------------------------------------------------------===//

def TsrLowerToLinalgPass : Pass<"tsr-lower-to-linalg", "func::FuncOp"> {
  let summary = "Lowers tsr ops to linalg, tensor, arith and math on tensors.";
  let description = [{
    Each tsr op becomes linalg.generic (or a named linalg op) on tensors, so
    that the upstream tiling, fusion, vectorization and bufferization
    machinery applies unchanged to every target. Composite ops lower in two
    steps: `tsr.attention` first expands into tsr.matmul, tsr.softmax and
    friends, which this same pass then lowers. Broadcasting follows numpy:
    a size-1 dimension becomes a constant-0 index in the operand's indexing
    map. Gathers clamp their indices so generated code never reads out of
    bounds.

    Before:
    ```mlir
    %r = tsr.add %a, %b : tensor<4x8xf32>, tensor<8xf32> -> tensor<4x8xf32>
    ```
    After:
    ```mlir
    %e = tensor.empty() : tensor<4x8xf32>
    %r = linalg.generic {indexing_maps = [(d0, d1) -> (d0, d1), (d0, d1) -> (d1), (d0, d1) -> (d0, d1)], ...}
    ```
  }];
  let dependentDialects = [
    "::mlir::arith::ArithDialect", "::mlir::linalg::LinalgDialect",
    "::mlir::math::MathDialect", "::mlir::tensor::TensorDialect"
  ];
}

#endif // TESSERA_CONVERSION_PASSES_TD
