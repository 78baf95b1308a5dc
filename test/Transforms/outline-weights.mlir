// RUN: tessera-opt %s --split-input-file --tsr-outline-weights | FileCheck %s
// RUN: tessera-opt %s --split-input-file --tsr-outline-weights="min-elements=4" | FileCheck %s --check-prefix=MIN4

// Tests that a resource blob becomes a leading argument carrying its name
// and value, replaces the constant's uses, and that a small dense constant
// stays in the code.
// CHECK-LABEL: func.func @main
//  CHECK-SAME:   (%[[W:.+]]: tensor<4xf32> {tsr.weight_name = "w", tsr.weight_value = dense_resource<w> : tensor<4xf32>}, %[[X:.+]]: tensor<2x4xf32>)
//       CHECK:   %[[SMALL:.+]] = tsr.constant dense<2.000000e+00> : tensor<4xf32>
//   CHECK-NOT:   dense_resource
//       CHECK:   %[[A:.+]] = tsr.add %[[X]], %[[W]]
//       CHECK:   tsr.add %[[A]], %[[SMALL]]
// With min-elements=4 the small constant is outlined too, named after its position.
// MIN4-LABEL: func.func @main
//  MIN4-SAME:   tsr.weight_name = "w"
//  MIN4-SAME:   tsr.weight_name = "weight_1", tsr.weight_value = dense<2.000000e+00> : tensor<4xf32>
//   MIN4-NOT:   tsr.constant
//       MIN4:   return
func.func @main(%x: tensor<2x4xf32>) -> tensor<2x4xf32> {
  %w = tsr.constant {tsr.name = "w"} dense_resource<w> : tensor<4xf32>
  %small = tsr.constant dense<2.0> : tensor<4xf32>
  %0 = tsr.add %x, %w : tensor<2x4xf32>, tensor<4xf32> -> tensor<2x4xf32>
  %1 = tsr.add %0, %small : tensor<2x4xf32>, tensor<4xf32> -> tensor<2x4xf32>
  return %1 : tensor<2x4xf32>
}

{-#
  dialect_resources: {
    builtin: {
      w: "0x04000000000000000000803F0000004000004040"
    }
  }
#-}

// -----

// Tests that a dense constant with at least min-elements (default 64)
// elements is outlined, with a generated name when it has none.
// CHECK-LABEL: func.func @large_dense
//  CHECK-SAME:   (%[[B:.+]]: tensor<8x8xf32> {tsr.weight_name = "weight_0", tsr.weight_value = dense<1.000000e+00> : tensor<8x8xf32>}, %[[X:.+]]: tensor<8x8xf32>)
//   CHECK-NOT:   tsr.constant
//       CHECK:   tsr.add %[[X]], %[[B]]
func.func @large_dense(%x: tensor<8x8xf32>) -> tensor<8x8xf32> {
  %big = tsr.constant dense<1.0> : tensor<8x8xf32>
  %0 = tsr.add %x, %big : tensor<8x8xf32>, tensor<8x8xf32> -> tensor<8x8xf32>
  return %0 : tensor<8x8xf32>
}

// -----

// Tests that two weights with the same name get unique names (they are keys
// in model.tsr), and that two constants with the same value share one
// argument, which keeps the first one's name.
// CHECK-LABEL: func.func @names_and_dedupe
//  CHECK-SAME:   (%[[W:[^:]+]]: tensor<4xf32> {tsr.weight_name = "w", tsr.weight_value = dense_resource<w> : tensor<4xf32>},
//  CHECK-SAME:    %[[W1:[^:]+]]: tensor<4xf32> {tsr.weight_name = "w_1", tsr.weight_value = dense_resource<w2> : tensor<4xf32>},
//  CHECK-SAME:    %[[X:[^:]+]]: tensor<2x4xf32>)
//   CHECK-NOT:   "other"
//       CHECK:   %[[A:.+]] = tsr.add %[[X]], %[[W]]
//       CHECK:   %[[B:.+]] = tsr.add %[[A]], %[[W1]]
//       CHECK:   tsr.add %[[B]], %[[W]]
func.func @names_and_dedupe(%x: tensor<2x4xf32>) -> tensor<2x4xf32> {
  %w = tsr.constant {tsr.name = "w"} dense_resource<w> : tensor<4xf32>
  %w2 = tsr.constant {tsr.name = "w"} dense_resource<w2> : tensor<4xf32>
  %same = tsr.constant {tsr.name = "other"} dense_resource<w> : tensor<4xf32>
  %0 = tsr.add %x, %w : tensor<2x4xf32>, tensor<4xf32> -> tensor<2x4xf32>
  %1 = tsr.add %0, %w2 : tensor<2x4xf32>, tensor<4xf32> -> tensor<2x4xf32>
  %2 = tsr.add %1, %same : tensor<2x4xf32>, tensor<4xf32> -> tensor<2x4xf32>
  return %2 : tensor<2x4xf32>
}

{-#
  dialect_resources: {
    builtin: {
      w: "0x04000000000000000000803F0000004000004040",
      w2: "0x04000000000000000000803F0000004000004041"
    }
  }
#-}

// -----

// Tests that a generated name does not collide with an explicit one.
// CHECK-LABEL: func.func @generated_name_collision
//  CHECK-SAME:   tsr.weight_name = "weight_1"
//  CHECK-SAME:   tsr.weight_name = "weight_1_1"
func.func @generated_name_collision(%x: tensor<8x8xf32>) -> tensor<8x8xf32> {
  %a = tsr.constant {tsr.name = "weight_1"} dense<1.0> : tensor<8x8xf32>
  %b = tsr.constant dense<2.0> : tensor<8x8xf32>
  %0 = tsr.add %x, %a : tensor<8x8xf32>, tensor<8x8xf32> -> tensor<8x8xf32>
  %1 = tsr.add %0, %b : tensor<8x8xf32>, tensor<8x8xf32> -> tensor<8x8xf32>
  return %1 : tensor<8x8xf32>
}

// -----

// Tests that private functions (not entry points) keep their constants.
// CHECK-LABEL: func.func private @helper()
//       CHECK:   tsr.constant {tsr.name = "h"} dense_resource<w>
func.func private @helper() -> tensor<4xf32> {
  %w = tsr.constant {tsr.name = "h"} dense_resource<w> : tensor<4xf32>
  return %w : tensor<4xf32>
}

{-#
  dialect_resources: {
    builtin: {
      w: "0x04000000000000000000803F0000004000004040"
    }
  }
#-}

// -----

// Tests that constants in nested regions are found, and that arguments the
// function already had keep their attributes after the new leading ones.
// CHECK-LABEL: func.func @nested
//  CHECK-SAME:   (%[[W:[^:]+]]: tensor<4xf32> {tsr.weight_name = "w"{{.*}}}, %[[X:[^:]+]]: tensor<4xf32> {tsr.input_name = "x"}, %[[C:[^:]+]]: i1)
//       CHECK:   scf.if %[[C]]
//       CHECK:     tsr.add %[[X]], %[[W]]
func.func @nested(%x: tensor<4xf32> {tsr.input_name = "x"}, %c: i1) -> tensor<4xf32> {
  %r = scf.if %c -> tensor<4xf32> {
    %w = tsr.constant {tsr.name = "w"} dense_resource<w> : tensor<4xf32>
    %0 = tsr.add %x, %w : tensor<4xf32>, tensor<4xf32> -> tensor<4xf32>
    scf.yield %0 : tensor<4xf32>
  } else {
    scf.yield %x : tensor<4xf32>
  }
  return %r : tensor<4xf32>
}

{-#
  dialect_resources: {
    builtin: {
      w: "0x04000000000000000000803F0000004000004040"
    }
  }
#-}
