//===- Passes.td - tsr to tsr passes -----------------------*- tablegen -*-===//
//
// Graph-level transformations on the tsr dialect.
//
//===----------------------------------------------------------------------===//

#ifndef TESSERA_TRANSFORMS_PASSES_TD
#define TESSERA_TRANSFORMS_PASSES_TD

include "mlir/Pass/PassBase.td"

//===----------------------------------------------------------------------===//
// Weights
//===----------------------------------------------------------------------===//

def TsrOutlineWeightsPass : Pass<"tsr-outline-weights", "ModuleOp"> {
  let summary = "Turns large tsr.constant ops into leading entry arguments.";
  let description = [{
    Weights do not belong in generated code: they live in `model.tsr`, are
    mapped from disk without a copy, and reach the code as arguments (see
    runtime/include/tessera/abi.h). This pass gives every public function
    one new leading argument per large constant (a `dense_resource` blob or
    one with at least `min-elements` elements) and records, on the argument,
    the weight's name (`tsr.weight_name`) and value (`tsr.weight_value`),
    from which the model-file writer takes the bytes. Small constants stay
    in the code, where they fold.

    Before:
    ```mlir
    func.func @main(%x: tensor<2x4xf32>) -> tensor<2x4xf32> {
      %w = tsr.constant {tsr.name = "w"} dense_resource<w> : tensor<4xf32>
      ...
    ```
    After:
    ```mlir
    func.func @main(%w: tensor<4xf32> {tsr.weight_name = "w", tsr.weight_value = dense_resource<w> : tensor<4xf32>}, %x: tensor<2x4xf32>) -> tensor<2x4xf32>
    ```
  }];
  let options = [
    Option<"minElements", "min-elements", "int64_t", /*default=*/"64",
           "Constants with at least this many elements are outlined">
  ];
}

#endif // TESSERA_TRANSFORMS_PASSES_TD
