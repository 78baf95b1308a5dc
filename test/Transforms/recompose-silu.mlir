// RUN: tessera-opt %s --split-input-file --tsr-recompose-silu | FileCheck %s

// Tests that torch's F.silu, Mul(x, Sigmoid(x)), becomes tsr.silu (with the
// sigmoid on either side).
// CHECK-LABEL: func.func @silu
//  CHECK-SAME:   %[[X:.+]]: tensor<2x?x128xf32>
//       CHECK:   %[[A:.+]] = tsr.silu %[[X]] : tensor<2x?x128xf32>
//       CHECK:   %[[B:.+]] = tsr.silu %[[X]] : tensor<2x?x128xf32>
//   CHECK-NOT:   tsr.unary
func.func @silu(%x: tensor<2x?x128xf32>) -> (tensor<2x?x128xf32>, tensor<2x?x128xf32>) {
  %s = tsr.unary sigmoid %x : tensor<2x?x128xf32>
  %a = tsr.mul %x, %s : tensor<2x?x128xf32>, tensor<2x?x128xf32> -> tensor<2x?x128xf32>
  %b = tsr.mul %s, %x : tensor<2x?x128xf32>, tensor<2x?x128xf32> -> tensor<2x?x128xf32>
  return %a, %b : tensor<2x?x128xf32>, tensor<2x?x128xf32>
}

// -----

// Tests that gating one tensor by the sigmoid of another (GLU) is left alone.
// CHECK-LABEL: func.func @glu
//       CHECK:   tsr.unary sigmoid
//       CHECK:   tsr.mul
//   CHECK-NOT:   tsr.silu
func.func @glu(%x: tensor<4x8xf32>, %g: tensor<4x8xf32>) -> tensor<4x8xf32> {
  %s = tsr.unary sigmoid %g : tensor<4x8xf32>
  %y = tsr.mul %x, %s : tensor<4x8xf32>, tensor<4x8xf32> -> tensor<4x8xf32>
  return %y : tensor<4x8xf32>
}
