// RUN: tessera-opt %s --split-input-file --tsr-fuse-linear | FileCheck %s

// Tests that a matmul by a constant [K, N] weight becomes a linear of the
// weight transposed to PyTorch's [N, K] layout.
// CHECK-LABEL: func.func @matmul_constant_weight
//  CHECK-SAME:   (%[[X:.+]]: tensor<2x8x4xf32>)
//   CHECK-NOT:   tsr.matmul
//       CHECK:   %[[W:.+]] = tsr.constant {tsr.name = "w"} dense<1.000000e+00> : tensor<4x3xf32>
//       CHECK:   %[[T:.+]] = tsr.transpose %[[W]] {permutation = array<i64: 1, 0>} : tensor<4x3xf32> -> tensor<3x4xf32>
//       CHECK:   %[[L:.+]] = tsr.linear %[[X]], %[[T]] : (tensor<2x8x4xf32>, tensor<3x4xf32>) -> tensor<2x8x3xf32>
//  CHECK-NEXT:   return %[[L]]
func.func @matmul_constant_weight(%x: tensor<2x8x4xf32>) -> tensor<2x8x3xf32> {
  %w = tsr.constant {tsr.name = "w"} dense<1.0> : tensor<4x3xf32>
  %0 = tsr.matmul %x, %w : tensor<2x8x4xf32>, tensor<4x3xf32> -> tensor<2x8x3xf32>
  return %0 : tensor<2x8x3xf32>
}

// -----

// Tests that with transpose_rhs the [N, K] constant is the linear's weight as is.
// CHECK-LABEL: func.func @matmul_transpose_rhs
//       CHECK:   %[[W:.+]] = tsr.constant dense<1.000000e+00> : tensor<3x4xf32>
//   CHECK-NOT:   tsr.transpose
//       CHECK:   tsr.linear %{{.+}}, %[[W]] : (tensor<8x4xf32>, tensor<3x4xf32>) -> tensor<8x3xf32>
func.func @matmul_transpose_rhs(%x: tensor<8x4xf32>) -> tensor<8x3xf32> {
  %w = tsr.constant dense<1.0> : tensor<3x4xf32>
  %0 = tsr.matmul %x, %w {transpose_rhs} : tensor<8x4xf32>, tensor<3x4xf32> -> tensor<8x3xf32>
  return %0 : tensor<8x3xf32>
}

// -----

// Tests that a following add of a constant [N] bias becomes the linear's bias.
// CHECK-LABEL: func.func @bias_rhs
//   CHECK-NOT:   tsr.add
//       CHECK:   %[[B:.+]] = tsr.constant dense<[1.000000e+00, 2.000000e+00, 3.000000e+00]> : tensor<3xf32>
//       CHECK:   %[[L:.+]] = tsr.linear %{{.+}}, %{{.+}}, %[[B]] : (tensor<8x4xf32>, tensor<3x4xf32>, tensor<3xf32>) -> tensor<8x3xf32>
//  CHECK-NEXT:   return %[[L]]
func.func @bias_rhs(%x: tensor<8x4xf32>) -> tensor<8x3xf32> {
  %w = tsr.constant dense<1.0> : tensor<4x3xf32>
  %b = tsr.constant dense<[1.0, 2.0, 3.0]> : tensor<3xf32>
  %0 = tsr.matmul %x, %w : tensor<8x4xf32>, tensor<4x3xf32> -> tensor<8x3xf32>
  %1 = tsr.add %0, %b : tensor<8x3xf32>, tensor<3xf32> -> tensor<8x3xf32>
  return %1 : tensor<8x3xf32>
}

// -----

// Tests that the bias is fused when it is the add's first operand.
// CHECK-LABEL: func.func @bias_lhs
//       CHECK:   %[[B:.+]] = tsr.constant dense<[1.000000e+00, 2.000000e+00, 3.000000e+00]> : tensor<3xf32>
//       CHECK:   %[[L:.+]] = tsr.linear %{{.+}}, %{{.+}}, %[[B]] :
//  CHECK-NEXT:   return %[[L]]
func.func @bias_lhs(%x: tensor<8x4xf32>) -> tensor<8x3xf32> {
  %w = tsr.constant dense<1.0> : tensor<4x3xf32>
  %b = tsr.constant dense<[1.0, 2.0, 3.0]> : tensor<3xf32>
  %0 = tsr.matmul %x, %w : tensor<8x4xf32>, tensor<4x3xf32> -> tensor<8x3xf32>
  %1 = tsr.add %b, %0 : tensor<3xf32>, tensor<8x3xf32> -> tensor<8x3xf32>
  return %1 : tensor<8x3xf32>
}

// -----

// Tests that a [1, 1, N] bias is reshaped to [N] and fused.
// CHECK-LABEL: func.func @bias_unit_dims
//       CHECK:   %[[B:.+]] = tsr.constant dense<2.000000e+00> : tensor<1x1x3xf32>
//       CHECK:   %[[R:.+]] = tsr.reshape %[[B]] : tensor<1x1x3xf32> -> tensor<3xf32>
//       CHECK:   %[[L:.+]] = tsr.linear %{{.+}}, %{{.+}}, %[[R]] : (tensor<2x8x4xf32>, tensor<3x4xf32>, tensor<3xf32>) -> tensor<2x8x3xf32>
//  CHECK-NEXT:   return %[[L]]
func.func @bias_unit_dims(%x: tensor<2x8x4xf32>) -> tensor<2x8x3xf32> {
  %w = tsr.constant dense<1.0> : tensor<4x3xf32>
  %b = tsr.constant dense<2.0> : tensor<1x1x3xf32>
  %0 = tsr.matmul %x, %w : tensor<2x8x4xf32>, tensor<4x3xf32> -> tensor<2x8x3xf32>
  %1 = tsr.add %0, %b : tensor<2x8x3xf32>, tensor<1x1x3xf32> -> tensor<2x8x3xf32>
  return %1 : tensor<2x8x3xf32>
}

// -----

// Tests that an addend varying along M, or along a batch dim, is not a bias:
// the adds stay and the linears keep no bias.
// CHECK-LABEL: func.func @bias_varies_along_rows
//       CHECK:   %[[L:.+]] = tsr.linear %{{[^,]+}}, %{{[^,]+}} : (tensor<2x8x4xf32>, tensor<3x4xf32>) -> tensor<2x8x3xf32>
//       CHECK:   tsr.add %[[L]], %{{.+}} : tensor<2x8x3xf32>, tensor<8x3xf32> -> tensor<2x8x3xf32>
// CHECK-LABEL: func.func @bias_varies_along_batch
//       CHECK:   %[[L:.+]] = tsr.linear %{{[^,]+}}, %{{[^,]+}} : (tensor<2x8x4xf32>, tensor<3x4xf32>) -> tensor<2x8x3xf32>
//       CHECK:   tsr.add %[[L]], %{{.+}} : tensor<2x8x3xf32>, tensor<2x1x3xf32> -> tensor<2x8x3xf32>
func.func @bias_varies_along_rows(%x: tensor<2x8x4xf32>) -> tensor<2x8x3xf32> {
  %w = tsr.constant dense<1.0> : tensor<4x3xf32>
  %b = tsr.constant dense<2.0> : tensor<8x3xf32>
  %0 = tsr.matmul %x, %w : tensor<2x8x4xf32>, tensor<4x3xf32> -> tensor<2x8x3xf32>
  %1 = tsr.add %0, %b : tensor<2x8x3xf32>, tensor<8x3xf32> -> tensor<2x8x3xf32>
  return %1 : tensor<2x8x3xf32>
}
func.func @bias_varies_along_batch(%x: tensor<2x8x4xf32>) -> tensor<2x8x3xf32> {
  %w = tsr.constant dense<1.0> : tensor<4x3xf32>
  %b = tsr.constant dense<2.0> : tensor<2x1x3xf32>
  %0 = tsr.matmul %x, %w : tensor<2x8x4xf32>, tensor<4x3xf32> -> tensor<2x8x3xf32>
  %1 = tsr.add %0, %b : tensor<2x8x3xf32>, tensor<2x1x3xf32> -> tensor<2x8x3xf32>
  return %1 : tensor<2x8x3xf32>
}

// -----

// Tests that an add which broadcasts the linear's result to a larger shape,
// and an add of a non-constant, are not fused.
// CHECK-LABEL: func.func @add_broadcasts_linear
//       CHECK:   %[[L:.+]] = tsr.linear %{{[^,]+}}, %{{[^,]+}} : (tensor<8x4xf32>, tensor<3x4xf32>) -> tensor<8x3xf32>
//       CHECK:   tsr.add %[[L]], %{{.+}} : tensor<8x3xf32>, tensor<2x1x3xf32> -> tensor<2x8x3xf32>
// CHECK-LABEL: func.func @add_non_constant
//       CHECK:   %[[L:.+]] = tsr.linear %{{[^,]+}}, %{{[^,]+}} : (tensor<8x4xf32>, tensor<3x4xf32>) -> tensor<8x3xf32>
//       CHECK:   tsr.add %[[L]], %{{.+}} : tensor<8x3xf32>, tensor<3xf32> -> tensor<8x3xf32>
func.func @add_broadcasts_linear(%x: tensor<8x4xf32>) -> tensor<2x8x3xf32> {
  %w = tsr.constant dense<1.0> : tensor<4x3xf32>
  %b = tsr.constant dense<2.0> : tensor<2x1x3xf32>
  %0 = tsr.matmul %x, %w : tensor<8x4xf32>, tensor<4x3xf32> -> tensor<8x3xf32>
  %1 = tsr.add %0, %b : tensor<8x3xf32>, tensor<2x1x3xf32> -> tensor<2x8x3xf32>
  return %1 : tensor<2x8x3xf32>
}
func.func @add_non_constant(%x: tensor<8x4xf32>, %b: tensor<3xf32>) -> tensor<8x3xf32> {
  %w = tsr.constant dense<1.0> : tensor<4x3xf32>
  %0 = tsr.matmul %x, %w : tensor<8x4xf32>, tensor<4x3xf32> -> tensor<8x3xf32>
  %1 = tsr.add %0, %b : tensor<8x3xf32>, tensor<3xf32> -> tensor<8x3xf32>
  return %1 : tensor<8x3xf32>
}

// -----

// Tests that bias and exact (erf) GELU both fuse into one linear.
// CHECK-LABEL: func.func @bias_gelu
//   CHECK-NOT:   tsr.add
//   CHECK-NOT:   tsr.gelu
//       CHECK:   %[[L:.+]] = tsr.linear %{{.+}}, %{{.+}}, %{{.+}} {epilogue = #tsr<epilogue gelu>}
//  CHECK-NEXT:   return %[[L]]
func.func @bias_gelu(%x: tensor<8x4xf32>) -> tensor<8x3xf32> {
  %w = tsr.constant dense<1.0> : tensor<4x3xf32>
  %b = tsr.constant dense<[1.0, 2.0, 3.0]> : tensor<3xf32>
  %0 = tsr.matmul %x, %w : tensor<8x4xf32>, tensor<4x3xf32> -> tensor<8x3xf32>
  %1 = tsr.add %0, %b : tensor<8x3xf32>, tensor<3xf32> -> tensor<8x3xf32>
  %2 = tsr.gelu %1 : tensor<8x3xf32>
  return %2 : tensor<8x3xf32>
}

// -----

// Tests that tanh GELU, SiLU and ReLU become the matching epilogues.
// CHECK-LABEL: func.func @gelu_tanh
//       CHECK:   %[[L:.+]] = tsr.linear {{.+}} {epilogue = #tsr<epilogue gelu_tanh>}
//  CHECK-NEXT:   return %[[L]]
// CHECK-LABEL: func.func @silu
//       CHECK:   %[[L:.+]] = tsr.linear {{.+}} {epilogue = #tsr<epilogue silu>}
//  CHECK-NEXT:   return %[[L]]
// CHECK-LABEL: func.func @relu
//       CHECK:   %[[L:.+]] = tsr.linear {{.+}} {epilogue = #tsr<epilogue relu>}
//  CHECK-NEXT:   return %[[L]]
func.func @gelu_tanh(%x: tensor<8x4xf32>) -> tensor<8x3xf32> {
  %w = tsr.constant dense<1.0> : tensor<4x3xf32>
  %0 = tsr.matmul %x, %w : tensor<8x4xf32>, tensor<4x3xf32> -> tensor<8x3xf32>
  %1 = tsr.gelu %0 {approximation = #tsr<gelu_approximation tanh>} : tensor<8x3xf32>
  return %1 : tensor<8x3xf32>
}
func.func @silu(%x: tensor<8x4xf32>) -> tensor<8x3xf32> {
  %w = tsr.constant dense<1.0> : tensor<4x3xf32>
  %0 = tsr.matmul %x, %w : tensor<8x4xf32>, tensor<4x3xf32> -> tensor<8x3xf32>
  %1 = tsr.silu %0 : tensor<8x3xf32>
  return %1 : tensor<8x3xf32>
}
func.func @relu(%x: tensor<8x4xf32>) -> tensor<8x3xf32> {
  %w = tsr.constant dense<1.0> : tensor<4x3xf32>
  %0 = tsr.matmul %x, %w : tensor<8x4xf32>, tensor<4x3xf32> -> tensor<8x3xf32>
  %1 = tsr.unary relu %0 : tensor<8x3xf32>
  return %1 : tensor<8x3xf32>
}

// -----

// Tests that other unary functions are not epilogues, and that a bias added
// after the activation is not fused (it would be applied before it).
// CHECK-LABEL: func.func @unary_exp
//       CHECK:   %[[L:.+]] = tsr.linear %{{[^,]+}}, %{{[^, ]+}} :
//       CHECK:   tsr.unary exp %[[L]]
// CHECK-LABEL: func.func @bias_after_activation
//       CHECK:   %[[L:.+]] = tsr.linear %{{[^,]+}}, %{{[^, ]+}} {epilogue = #tsr<epilogue silu>} :
//       CHECK:   tsr.add %[[L]], %{{.+}}
func.func @unary_exp(%x: tensor<8x4xf32>) -> tensor<8x3xf32> {
  %w = tsr.constant dense<1.0> : tensor<4x3xf32>
  %0 = tsr.matmul %x, %w : tensor<8x4xf32>, tensor<4x3xf32> -> tensor<8x3xf32>
  %1 = tsr.unary exp %0 : tensor<8x3xf32>
  return %1 : tensor<8x3xf32>
}
func.func @bias_after_activation(%x: tensor<8x4xf32>) -> tensor<8x3xf32> {
  %w = tsr.constant dense<1.0> : tensor<4x3xf32>
  %b = tsr.constant dense<[1.0, 2.0, 3.0]> : tensor<3xf32>
  %0 = tsr.matmul %x, %w : tensor<8x4xf32>, tensor<4x3xf32> -> tensor<8x3xf32>
  %1 = tsr.silu %0 : tensor<8x3xf32>
  %2 = tsr.add %1, %b : tensor<8x3xf32>, tensor<3xf32> -> tensor<8x3xf32>
  return %2 : tensor<8x3xf32>
}

// -----

// Tests that a linear whose result has a second use keeps its bias add and
// activation separate.
// CHECK-LABEL: func.func @two_uses
//       CHECK:   %[[L:.+]] = tsr.linear %{{[^,]+}}, %{{[^, ]+}} :
//       CHECK:   %[[A:.+]] = tsr.add %[[L]], %{{.+}}
//       CHECK:   %[[G:.+]] = tsr.gelu %[[L]]
//       CHECK:   return %[[A]], %[[G]]
func.func @two_uses(%x: tensor<8x4xf32>) -> (tensor<8x3xf32>, tensor<8x3xf32>) {
  %w = tsr.constant dense<1.0> : tensor<4x3xf32>
  %b = tsr.constant dense<[1.0, 2.0, 3.0]> : tensor<3xf32>
  %0 = tsr.matmul %x, %w : tensor<8x4xf32>, tensor<4x3xf32> -> tensor<8x3xf32>
  %1 = tsr.add %0, %b : tensor<8x3xf32>, tensor<3xf32> -> tensor<8x3xf32>
  %2 = tsr.gelu %0 : tensor<8x3xf32>
  return %1, %2 : tensor<8x3xf32>, tensor<8x3xf32>
}

// -----

// Tests that a matmul by a non-constant (an activation times activation
// product, like attention's) is left alone, and so is its activation.
// CHECK-LABEL: func.func @matmul_non_constant
//   CHECK-NOT:   tsr.linear
//       CHECK:   %[[M:.+]] = tsr.matmul
//       CHECK:   tsr.gelu %[[M]]
func.func @matmul_non_constant(%x: tensor<8x4xf32>, %w: tensor<4x3xf32>) -> tensor<8x3xf32> {
  %0 = tsr.matmul %x, %w : tensor<8x4xf32>, tensor<4x3xf32> -> tensor<8x3xf32>
  %1 = tsr.gelu %0 : tensor<8x3xf32>
  return %1 : tensor<8x3xf32>
}

// -----

// Tests that a matmul whose lhs is broadcast against a batched constant (the
// lhs has lower rank than the result), and one with transpose_lhs, stay matmuls.
// CHECK-LABEL: func.func @lhs_broadcast
//   CHECK-NOT:   tsr.linear
//       CHECK:   tsr.matmul %{{.+}} : tensor<8x4xf32>, tensor<2x4x3xf32> -> tensor<2x8x3xf32>
// CHECK-LABEL: func.func @transpose_lhs
//   CHECK-NOT:   tsr.linear
//       CHECK:   tsr.matmul %{{.+}} {transpose_lhs}
func.func @lhs_broadcast(%x: tensor<8x4xf32>) -> tensor<2x8x3xf32> {
  %w = tsr.constant dense<1.0> : tensor<2x4x3xf32>
  %0 = tsr.matmul %x, %w : tensor<8x4xf32>, tensor<2x4x3xf32> -> tensor<2x8x3xf32>
  return %0 : tensor<2x8x3xf32>
}
func.func @transpose_lhs(%x: tensor<4x8xf32>) -> tensor<8x3xf32> {
  %w = tsr.constant dense<1.0> : tensor<4x3xf32>
  %0 = tsr.matmul %x, %w {transpose_lhs} : tensor<4x8xf32>, tensor<4x3xf32> -> tensor<8x3xf32>
  return %0 : tensor<8x3xf32>
}
