// RUN: tessera-opt %s --split-input-file --tsr-lower-to-linalg --mlir-print-local-scope | FileCheck %s

// Tests that a batched matmul against a rank-2 weight becomes one contraction
// (loops batch..., m, n, k; k the only reduction) into a zero-filled
// accumulator, the weight's map skipping the batch loops.
// CHECK-LABEL: func.func @matmul_rank2_rhs
//  CHECK-SAME:   %[[A:.+]]: tensor<?x12x128x64xf32>, %[[B:.+]]: tensor<64x32xf32>
//   CHECK-DAG:   %[[ZERO:.+]] = arith.constant 0.000000e+00 : f32
//   CHECK-DAG:   %[[D:.+]] = tensor.dim %[[A]], %c0
//       CHECK:   %[[E:.+]] = tensor.empty(%[[D]]) : tensor<?x12x128x32xf32>
//       CHECK:   %[[ACC:.+]] = linalg.fill ins(%[[ZERO]] : f32) outs(%[[E]] : tensor<?x12x128x32xf32>)
//       CHECK:   linalg.generic
//  CHECK-SAME:     indexing_maps = [affine_map<(d0, d1, d2, d3, d4) -> (d0, d1, d2, d4)>, affine_map<(d0, d1, d2, d3, d4) -> (d4, d3)>, affine_map<(d0, d1, d2, d3, d4) -> (d0, d1, d2, d3)>]
//  CHECK-SAME:     iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]
//  CHECK-SAME:     ins(%[[A]], %[[B]] : {{.+}}) outs(%[[ACC]] : {{.+}})
//       CHECK:     ^bb0(%[[L:.+]]: f32, %[[R:.+]]: f32, %[[O:.+]]: f32):
//       CHECK:     %[[P:.+]] = arith.mulf %[[L]], %[[R]]
//       CHECK:     %[[S:.+]] = arith.addf %[[O]], %[[P]]
//       CHECK:     linalg.yield %[[S]]
func.func @matmul_rank2_rhs(%a: tensor<?x12x128x64xf32>, %b: tensor<64x32xf32>) -> tensor<?x12x128x32xf32> {
  %0 = tsr.matmul %a, %b : tensor<?x12x128x64xf32>, tensor<64x32xf32> -> tensor<?x12x128x32xf32>
  return %0 : tensor<?x12x128x32xf32>
}

// -----

// Tests that transpose_rhs swaps the rhs map's last two exprs, size-1 batch
// dims broadcast with constant 0, and the dynamic N comes from the rhs.
// CHECK-LABEL: func.func @matmul_transpose_rhs_broadcast
//  CHECK-SAME:   %[[Q:.+]]: tensor<2x1x8x4xf32>, %[[K:.+]]: tensor<1x3x?x4xf32>
//       CHECK:   %[[N:.+]] = tensor.dim %[[K]], %c2
//       CHECK:   tensor.empty(%[[N]]) : tensor<2x3x8x?xf32>
//       CHECK:   linalg.generic
//  CHECK-SAME:     indexing_maps = [affine_map<(d0, d1, d2, d3, d4) -> (d0, 0, d2, d4)>, affine_map<(d0, d1, d2, d3, d4) -> (0, d1, d3, d4)>, affine_map<(d0, d1, d2, d3, d4) -> (d0, d1, d2, d3)>]
func.func @matmul_transpose_rhs_broadcast(%q: tensor<2x1x8x4xf32>, %k: tensor<1x3x?x4xf32>) -> tensor<2x3x8x?xf32> {
  %0 = tsr.matmul %q, %k {transpose_rhs} : tensor<2x1x8x4xf32>, tensor<1x3x?x4xf32> -> tensor<2x3x8x?xf32>
  return %0 : tensor<2x3x8x?xf32>
}

// -----

// Tests that transpose_lhs swaps the lhs map, and integers accumulate with muli/addi.
// CHECK-LABEL: func.func @matmul_transpose_lhs_integer
//       CHECK:   linalg.fill ins(%{{.+}} : i32)
//       CHECK:   linalg.generic
//  CHECK-SAME:     indexing_maps = [affine_map<(d0, d1, d2) -> (d2, d0)>, affine_map<(d0, d1, d2) -> (d2, d1)>, affine_map<(d0, d1, d2) -> (d0, d1)>]
//  CHECK-SAME:     iterator_types = ["parallel", "parallel", "reduction"]
//       CHECK:     arith.muli
//       CHECK:     arith.addi
func.func @matmul_transpose_lhs_integer(%a: tensor<4x8xi32>, %b: tensor<4x5xi32>) -> tensor<8x5xi32> {
  %0 = tsr.matmul %a, %b {transpose_lhs} : tensor<4x8xi32>, tensor<4x5xi32> -> tensor<8x5xi32>
  return %0 : tensor<8x5xi32>
}

// -----

// Tests that linear contracts x[..., k] with w[n, k], starts from the
// broadcast bias instead of zero, and applies the epilogue in a second generic.
// CHECK-LABEL: func.func @linear_bias_gelu
//  CHECK-SAME:   %[[X:.+]]: tensor<1x?x768xf32>, %[[W:.+]]: tensor<3072x768xf32>, %[[B:.+]]: tensor<3072xf32>
//   CHECK-NOT:   linalg.fill
//       CHECK:   %[[BIAS:.+]] = linalg.generic
//  CHECK-SAME:     indexing_maps = [affine_map<(d0, d1, d2) -> (d2)>, affine_map<(d0, d1, d2) -> (d0, d1, d2)>]
//  CHECK-SAME:     ins(%[[B]] : tensor<3072xf32>)
//       CHECK:   %[[MM:.+]] = linalg.generic
//  CHECK-SAME:     indexing_maps = [affine_map<(d0, d1, d2, d3) -> (d0, d1, d3)>, affine_map<(d0, d1, d2, d3) -> (d2, d3)>, affine_map<(d0, d1, d2, d3) -> (d0, d1, d2)>]
//  CHECK-SAME:     iterator_types = ["parallel", "parallel", "parallel", "reduction"]
//  CHECK-SAME:     ins(%[[X]], %[[W]] : {{.+}}) outs(%[[BIAS]] : {{.+}})
//       CHECK:   %[[Y:.+]] = linalg.generic
//  CHECK-SAME:     ins(%[[MM]] : tensor<1x?x3072xf32>)
//       CHECK:     math.erf
//       CHECK:   return %[[Y]]
func.func @linear_bias_gelu(%x: tensor<1x?x768xf32>, %w: tensor<3072x768xf32>, %b: tensor<3072xf32>) -> tensor<1x?x3072xf32> {
  %0 = tsr.linear %x, %w, %b {epilogue = #tsr<epilogue gelu>} : (tensor<1x?x768xf32>, tensor<3072x768xf32>, tensor<3072xf32>) -> tensor<1x?x3072xf32>
  return %0 : tensor<1x?x3072xf32>
}

// -----

// Tests that linear without a bias accumulates into zeros, and the relu epilogue is a max with 0.
// CHECK-LABEL: func.func @linear_relu
//       CHECK:   %[[ZERO:.+]] = arith.constant 0.000000e+00 : f32
//       CHECK:   %[[ACC:.+]] = linalg.fill ins(%[[ZERO]] : f32)
//       CHECK:   %[[MM:.+]] = linalg.generic {{.+}} outs(%[[ACC]] : tensor<2x4xf32>)
//       CHECK:   linalg.generic {{.+}} ins(%[[MM]] : tensor<2x4xf32>)
//       CHECK:     arith.maximumf %{{.+}}, %[[ZERO]] : f32
func.func @linear_relu(%x: tensor<2x8xf32>, %w: tensor<4x8xf32>) -> tensor<2x4xf32> {
  %0 = tsr.linear %x, %w {epilogue = #tsr<epilogue relu>} : (tensor<2x8xf32>, tensor<4x8xf32>) -> tensor<2x4xf32>
  return %0 : tensor<2x4xf32>
}

// -----

// Tests that the silu and tanh-gelu epilogues build their formulas, and
// that without an epilogue the contraction is the result.
// CHECK-LABEL: func.func @linear_epilogues
//       CHECK:   %[[R0:.+]] = linalg.generic {{.+}} iterator_types = ["parallel", "parallel", "reduction"]
//       CHECK:   linalg.generic {{.+}} iterator_types = ["parallel", "parallel", "reduction"]
//       CHECK:   %[[R1:.+]] = linalg.generic {{.+}} iterator_types = ["parallel", "parallel"]
//       CHECK:     math.exp
//       CHECK:   linalg.generic {{.+}} iterator_types = ["parallel", "parallel", "reduction"]
//       CHECK:   %[[R2:.+]] = linalg.generic {{.+}} iterator_types = ["parallel", "parallel"]
//       CHECK:     math.tanh
//       CHECK:   return %[[R0]], %[[R1]], %[[R2]]
func.func @linear_epilogues(%x: tensor<2x8xf32>, %w: tensor<4x8xf32>) -> (tensor<2x4xf32>, tensor<2x4xf32>, tensor<2x4xf32>) {
  %0 = tsr.linear %x, %w : (tensor<2x8xf32>, tensor<4x8xf32>) -> tensor<2x4xf32>
  %1 = tsr.linear %x, %w {epilogue = #tsr<epilogue silu>} : (tensor<2x8xf32>, tensor<4x8xf32>) -> tensor<2x4xf32>
  %2 = tsr.linear %x, %w {epilogue = #tsr<epilogue gelu_tanh>} : (tensor<2x8xf32>, tensor<4x8xf32>) -> tensor<2x4xf32>
  return %0, %1, %2 : tensor<2x4xf32>, tensor<2x4xf32>, tensor<2x4xf32>
}
