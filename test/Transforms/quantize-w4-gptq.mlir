// RUN: tessera-opt %s --split-input-file --tsr-quantize='scheme=w4 group-size=4' --verify-diagnostics | FileCheck %s

// Tests GPTQ: with the calibration's x xᵀ sums (tsr.input_gram, H = AᵀA
// for a fixed 9x8 A), each column's rounding error is spread over the
// columns after it through the inverse of H (1% damping), and the second
// group's scale and zero point come from the updated weights. The values
// below are an independent numpy implementation's (upper Cholesky of
// H⁻¹, the same clip search weighted by H's diagonal over half-rounded
// scales and zero points): the values, and the f16 parameters bit for
// bit. Round to nearest gives 05 at k = 6 of row 0 and 0A at k = 7 of
// row 1 instead, and the gram attribute is dropped.
// CHECK-LABEL: func.func @w4_gptq
//   CHECK-NOT:   tsr.input_gram
//       CHECK:   tsr.w4_linear
//       CHECK:   g.weight.w4: "0x080000000F0900060F00040A0B000F0C070F0009"
//       CHECK:   g.weight.scale: "0x04000000972DA22DC22A712C"
//       CHECK:   g.weight.zero: "0x04000000B244604810433648"
func.func @w4_gptq(%x: tensor<5x8xf32>) -> tensor<5x2xf32> {
  %w = tsr.constant {tsr.name = "g.weight"} dense<[[0.9, 0.37, -0.41, 0.13, 0.62, -0.2, 0.05, 0.33], [0.2, -0.77, 0.55, 0.31, -0.12, 0.44, -0.6, 0.08]]> : tensor<2x8xf32>
  %0 = tsr.linear %x, %w {tsr.input_gram = dense<[[9., 6., 2., 3., 3., 4., 5., 6.], [6., 9., 2., 4., 4., 4., 5., 4.], [2., 2., 4., 3., 2., 2., 3., 2.], [3., 4., 3., 8., 1., 6., 4., 1.], [3., 4., 2., 1., 7., 3., 1., 5.], [4., 4., 2., 6., 3., 8., 2., 2.], [5., 5., 3., 4., 1., 2., 8., 5.], [6., 4., 2., 1., 5., 2., 5., 8.]]> : tensor<8x8xf32>} : (tensor<5x8xf32>, tensor<2x8xf32>) -> tensor<5x2xf32>
  return %0 : tensor<5x2xf32>
}

// -----

// Tests the same linear without the sums: round to nearest.
// CHECK-LABEL: func.func @w4_no_gram
//       CHECK:   n.weight.w4: "0x080000000F0900060F00050A0B000F0C070F000A"
func.func @w4_no_gram(%x: tensor<5x8xf32>) -> tensor<5x2xf32> {
  %w = tsr.constant {tsr.name = "n.weight"} dense<[[0.9, 0.37, -0.41, 0.13, 0.62, -0.2, 0.05, 0.33], [0.2, -0.77, 0.55, 0.31, -0.12, 0.44, -0.6, 0.08]]> : tensor<2x8xf32>
  %0 = tsr.linear %x, %w : (tensor<5x8xf32>, tensor<2x8xf32>) -> tensor<5x2xf32>
  return %0 : tensor<5x2xf32>
}

// -----

// Tests that sums that are not positive definite (H[0, 1] = 5 with a unit
// diagonal) are refused with a remark, and the weights rounded to nearest.
// CHECK-LABEL: func.func @w4_bad_gram
//       CHECK:   b.weight.w4: "0x080000000F0900060F00050A0B000F0C070F000A"
func.func @w4_bad_gram(%x: tensor<5x8xf32>) -> tensor<5x2xf32> {
  %w = tsr.constant {tsr.name = "b.weight"} dense<[[0.9, 0.37, -0.41, 0.13, 0.62, -0.2, 0.05, 0.33], [0.2, -0.77, 0.55, 0.31, -0.12, 0.44, -0.6, 0.08]]> : tensor<2x8xf32>
  // expected-remark @+1 {{GPTQ skipped: the calibration's x x^T is not positive definite; rounded to nearest}}
  %0 = tsr.linear %x, %w {tsr.input_gram = dense<[[1., 5., 0., 0., 0., 0., 0., 0.], [5., 1., 0., 0., 0., 0., 0., 0.], [0., 0., 1., 0., 0., 0., 0., 0.], [0., 0., 0., 1., 0., 0., 0., 0.], [0., 0., 0., 0., 1., 0., 0., 0.], [0., 0., 0., 0., 0., 1., 0., 0.], [0., 0., 0., 0., 0., 0., 1., 0.], [0., 0., 0., 0., 0., 0., 0., 1.]]> : tensor<8x8xf32>} : (tensor<5x8xf32>, tensor<2x8xf32>) -> tensor<5x2xf32>
  return %0 : tensor<5x2xf32>
}
