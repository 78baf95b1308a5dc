// RUN: tessera-opt %s --split-input-file --tsr-recompose-layer-norm | FileCheck %s

// Tests that the exporter's decomposed layer norm, (x - mean(x)) /
// sqrt(mean(d·d) + eps) · gamma + beta over the last dim, becomes one
// tsr.layer_norm with that axis and epsilon and the web's ops disappear.
// CHECK-LABEL: func.func @decomposed
//  CHECK-SAME:   (%[[X:.+]]: tensor<2x8x16xf32>)
//   CHECK-DAG:   %[[G:.+]] = tsr.constant dense<2.000000e+00> : tensor<16xf32>
//   CHECK-DAG:   %[[B:.+]] = tsr.constant dense<3.000000e+00> : tensor<16xf32>
//   CHECK-NOT:   tsr.reduce
//   CHECK-NOT:   tsr.unary
//       CHECK:   %[[R:.+]] = tsr.layer_norm %[[X]], %[[G]] bias %[[B]] {axis = 2 : i64, epsilon = 9.99999974E-6 : f32} : (tensor<2x8x16xf32>, tensor<16xf32>, tensor<16xf32>) -> tensor<2x8x16xf32>
//  CHECK-NEXT:   return %[[R]]
func.func @decomposed(%x: tensor<2x8x16xf32>) -> tensor<2x8x16xf32> {
  %eps = tsr.constant dense<1.0e-5> : tensor<f32>
  %gamma = tsr.constant dense<2.0> : tensor<16xf32>
  %beta = tsr.constant dense<3.0> : tensor<16xf32>
  %0 = tsr.reduce mean %x {axes = array<i64: 2>, keep_dims} : tensor<2x8x16xf32> -> tensor<2x8x1xf32>
  %1 = tsr.sub %x, %0 : tensor<2x8x16xf32>, tensor<2x8x1xf32> -> tensor<2x8x16xf32>
  %2 = tsr.mul %1, %1 : tensor<2x8x16xf32>, tensor<2x8x16xf32> -> tensor<2x8x16xf32>
  %3 = tsr.reduce mean %2 {axes = array<i64: 2>, keep_dims} : tensor<2x8x16xf32> -> tensor<2x8x1xf32>
  %4 = tsr.add %3, %eps : tensor<2x8x1xf32>, tensor<f32> -> tensor<2x8x1xf32>
  %5 = tsr.unary sqrt %4 : tensor<2x8x1xf32>
  %6 = tsr.div %1, %5 : tensor<2x8x16xf32>, tensor<2x8x1xf32> -> tensor<2x8x16xf32>
  %7 = tsr.mul %6, %gamma : tensor<2x8x16xf32>, tensor<16xf32> -> tensor<2x8x16xf32>
  %8 = tsr.add %7, %beta : tensor<2x8x16xf32>, tensor<16xf32> -> tensor<2x8x16xf32>
  return %8 : tensor<2x8x16xf32>
}

// -----

// Tests that gamma, beta and eps may each be the left operand of their op.
// CHECK-LABEL: func.func @params_lhs
//  CHECK-SAME:   (%[[X:.+]]: tensor<2x8x16xf32>)
//   CHECK-DAG:   %[[G:.+]] = tsr.constant dense<2.000000e+00> : tensor<16xf32>
//   CHECK-DAG:   %[[B:.+]] = tsr.constant dense<3.000000e+00> : tensor<16xf32>
//       CHECK:   %[[R:.+]] = tsr.layer_norm %[[X]], %[[G]] bias %[[B]] {axis = 2 : i64, epsilon = 9.99999996E-13 : f32}
//  CHECK-NEXT:   return %[[R]]
func.func @params_lhs(%x: tensor<2x8x16xf32>) -> tensor<2x8x16xf32> {
  %eps = tsr.constant dense<1.0e-12> : tensor<f32>
  %gamma = tsr.constant dense<2.0> : tensor<16xf32>
  %beta = tsr.constant dense<3.0> : tensor<16xf32>
  %0 = tsr.reduce mean %x {axes = array<i64: 2>, keep_dims} : tensor<2x8x16xf32> -> tensor<2x8x1xf32>
  %1 = tsr.sub %x, %0 : tensor<2x8x16xf32>, tensor<2x8x1xf32> -> tensor<2x8x16xf32>
  %2 = tsr.mul %1, %1 : tensor<2x8x16xf32>, tensor<2x8x16xf32> -> tensor<2x8x16xf32>
  %3 = tsr.reduce mean %2 {axes = array<i64: 2>, keep_dims} : tensor<2x8x16xf32> -> tensor<2x8x1xf32>
  %4 = tsr.add %eps, %3 : tensor<f32>, tensor<2x8x1xf32> -> tensor<2x8x1xf32>
  %5 = tsr.unary sqrt %4 : tensor<2x8x1xf32>
  %6 = tsr.div %1, %5 : tensor<2x8x16xf32>, tensor<2x8x1xf32> -> tensor<2x8x16xf32>
  %7 = tsr.mul %gamma, %6 : tensor<16xf32>, tensor<2x8x16xf32> -> tensor<2x8x16xf32>
  %8 = tsr.add %beta, %7 : tensor<16xf32>, tensor<2x8x16xf32> -> tensor<2x8x16xf32>
  return %8 : tensor<2x8x16xf32>
}

// -----

// Tests that without a following add of beta the layer norm has no bias.
// CHECK-LABEL: func.func @no_beta
//  CHECK-SAME:   (%[[X:.+]]: tensor<2x8x16xf32>)
//       CHECK:   %[[G:.+]] = tsr.constant dense<2.000000e+00> : tensor<16xf32>
//       CHECK:   %[[R:.+]] = tsr.layer_norm %[[X]], %[[G]] {axis = 2 : i64, epsilon = 9.99999974E-6 : f32} : (tensor<2x8x16xf32>, tensor<16xf32>) -> tensor<2x8x16xf32>
//  CHECK-NEXT:   return %[[R]]
func.func @no_beta(%x: tensor<2x8x16xf32>) -> tensor<2x8x16xf32> {
  %eps = tsr.constant dense<1.0e-5> : tensor<f32>
  %gamma = tsr.constant dense<2.0> : tensor<16xf32>
  %0 = tsr.reduce mean %x {axes = array<i64: 2>, keep_dims} : tensor<2x8x16xf32> -> tensor<2x8x1xf32>
  %1 = tsr.sub %x, %0 : tensor<2x8x16xf32>, tensor<2x8x1xf32> -> tensor<2x8x16xf32>
  %2 = tsr.mul %1, %1 : tensor<2x8x16xf32>, tensor<2x8x16xf32> -> tensor<2x8x16xf32>
  %3 = tsr.reduce mean %2 {axes = array<i64: 2>, keep_dims} : tensor<2x8x16xf32> -> tensor<2x8x1xf32>
  %4 = tsr.add %3, %eps : tensor<2x8x1xf32>, tensor<f32> -> tensor<2x8x1xf32>
  %5 = tsr.unary sqrt %4 : tensor<2x8x1xf32>
  %6 = tsr.div %1, %5 : tensor<2x8x16xf32>, tensor<2x8x1xf32> -> tensor<2x8x16xf32>
  %7 = tsr.mul %6, %gamma : tensor<2x8x16xf32>, tensor<16xf32> -> tensor<2x8x16xf32>
  return %7 : tensor<2x8x16xf32>
}

// -----

// Tests that the bare normalization (no gamma, no beta) gets a scale of ones.
// CHECK-LABEL: func.func @no_gamma
//  CHECK-SAME:   (%[[X:.+]]: tensor<2x8x16xf32>)
//       CHECK:   %[[ONES:.+]] = tsr.constant dense<1.000000e+00> : tensor<16xf32>
//       CHECK:   %[[R:.+]] = tsr.layer_norm %[[X]], %[[ONES]] {axis = 2 : i64, epsilon = 9.99999974E-6 : f32} : (tensor<2x8x16xf32>, tensor<16xf32>) -> tensor<2x8x16xf32>
//  CHECK-NEXT:   return %[[R]]
func.func @no_gamma(%x: tensor<2x8x16xf32>) -> tensor<2x8x16xf32> {
  %eps = tsr.constant dense<1.0e-5> : tensor<f32>
  %0 = tsr.reduce mean %x {axes = array<i64: 2>, keep_dims} : tensor<2x8x16xf32> -> tensor<2x8x1xf32>
  %1 = tsr.sub %x, %0 : tensor<2x8x16xf32>, tensor<2x8x1xf32> -> tensor<2x8x16xf32>
  %2 = tsr.mul %1, %1 : tensor<2x8x16xf32>, tensor<2x8x16xf32> -> tensor<2x8x16xf32>
  %3 = tsr.reduce mean %2 {axes = array<i64: 2>, keep_dims} : tensor<2x8x16xf32> -> tensor<2x8x1xf32>
  %4 = tsr.add %3, %eps : tensor<2x8x1xf32>, tensor<f32> -> tensor<2x8x1xf32>
  %5 = tsr.unary sqrt %4 : tensor<2x8x1xf32>
  %6 = tsr.div %1, %5 : tensor<2x8x16xf32>, tensor<2x8x1xf32> -> tensor<2x8x16xf32>
  return %6 : tensor<2x8x16xf32>
}

// -----

// Tests that means over the last two dims give axis = rank - 2 and
// [8, 16] parameters.
// CHECK-LABEL: func.func @last_two_dims
//  CHECK-SAME:   (%[[X:.+]]: tensor<2x8x16xf32>)
//   CHECK-DAG:   %[[G:.+]] = tsr.constant dense<2.000000e+00> : tensor<8x16xf32>
//   CHECK-DAG:   %[[B:.+]] = tsr.constant dense<3.000000e+00> : tensor<8x16xf32>
//       CHECK:   %[[R:.+]] = tsr.layer_norm %[[X]], %[[G]] bias %[[B]] {axis = 1 : i64, epsilon = 9.99999974E-6 : f32} : (tensor<2x8x16xf32>, tensor<8x16xf32>, tensor<8x16xf32>) -> tensor<2x8x16xf32>
//  CHECK-NEXT:   return %[[R]]
func.func @last_two_dims(%x: tensor<2x8x16xf32>) -> tensor<2x8x16xf32> {
  %eps = tsr.constant dense<1.0e-5> : tensor<f32>
  %gamma = tsr.constant dense<2.0> : tensor<8x16xf32>
  %beta = tsr.constant dense<3.0> : tensor<8x16xf32>
  %0 = tsr.reduce mean %x {axes = array<i64: 1, 2>, keep_dims} : tensor<2x8x16xf32> -> tensor<2x1x1xf32>
  %1 = tsr.sub %x, %0 : tensor<2x8x16xf32>, tensor<2x1x1xf32> -> tensor<2x8x16xf32>
  %2 = tsr.mul %1, %1 : tensor<2x8x16xf32>, tensor<2x8x16xf32> -> tensor<2x8x16xf32>
  %3 = tsr.reduce mean %2 {axes = array<i64: 1, 2>, keep_dims} : tensor<2x8x16xf32> -> tensor<2x1x1xf32>
  %4 = tsr.add %3, %eps : tensor<2x1x1xf32>, tensor<f32> -> tensor<2x1x1xf32>
  %5 = tsr.unary sqrt %4 : tensor<2x1x1xf32>
  %6 = tsr.div %1, %5 : tensor<2x8x16xf32>, tensor<2x1x1xf32> -> tensor<2x8x16xf32>
  %7 = tsr.mul %6, %gamma : tensor<2x8x16xf32>, tensor<8x16xf32> -> tensor<2x8x16xf32>
  %8 = tsr.add %7, %beta : tensor<2x8x16xf32>, tensor<8x16xf32> -> tensor<2x8x16xf32>
  return %8 : tensor<2x8x16xf32>
}

// -----

// Tests that means over a dim that is not trailing (axis 1 of 3) are left alone.
// CHECK-LABEL: func.func @non_trailing_axis
//       CHECK:   tsr.unary sqrt
//   CHECK-NOT:   tsr.layer_norm
//       CHECK:   return
func.func @non_trailing_axis(%x: tensor<2x8x16xf32>) -> tensor<2x8x16xf32> {
  %eps = tsr.constant dense<1.0e-5> : tensor<f32>
  %0 = tsr.reduce mean %x {axes = array<i64: 1>, keep_dims} : tensor<2x8x16xf32> -> tensor<2x1x16xf32>
  %1 = tsr.sub %x, %0 : tensor<2x8x16xf32>, tensor<2x1x16xf32> -> tensor<2x8x16xf32>
  %2 = tsr.mul %1, %1 : tensor<2x8x16xf32>, tensor<2x8x16xf32> -> tensor<2x8x16xf32>
  %3 = tsr.reduce mean %2 {axes = array<i64: 1>, keep_dims} : tensor<2x8x16xf32> -> tensor<2x1x16xf32>
  %4 = tsr.add %3, %eps : tensor<2x1x16xf32>, tensor<f32> -> tensor<2x1x16xf32>
  %5 = tsr.unary sqrt %4 : tensor<2x1x16xf32>
  %6 = tsr.div %1, %5 : tensor<2x8x16xf32>, tensor<2x1x16xf32> -> tensor<2x8x16xf32>
  return %6 : tensor<2x8x16xf32>
}

// -----

// Tests that a variance of a value other than d (here x · x) is left alone.
// CHECK-LABEL: func.func @variance_of_other
//       CHECK:   tsr.unary sqrt
//   CHECK-NOT:   tsr.layer_norm
//       CHECK:   return
func.func @variance_of_other(%x: tensor<2x8x16xf32>) -> tensor<2x8x16xf32> {
  %eps = tsr.constant dense<1.0e-5> : tensor<f32>
  %0 = tsr.reduce mean %x {axes = array<i64: 2>, keep_dims} : tensor<2x8x16xf32> -> tensor<2x8x1xf32>
  %1 = tsr.sub %x, %0 : tensor<2x8x16xf32>, tensor<2x8x1xf32> -> tensor<2x8x16xf32>
  %2 = tsr.mul %x, %x : tensor<2x8x16xf32>, tensor<2x8x16xf32> -> tensor<2x8x16xf32>
  %3 = tsr.reduce mean %2 {axes = array<i64: 2>, keep_dims} : tensor<2x8x16xf32> -> tensor<2x8x1xf32>
  %4 = tsr.add %3, %eps : tensor<2x8x1xf32>, tensor<f32> -> tensor<2x8x1xf32>
  %5 = tsr.unary sqrt %4 : tensor<2x8x1xf32>
  %6 = tsr.div %1, %5 : tensor<2x8x16xf32>, tensor<2x8x1xf32> -> tensor<2x8x16xf32>
  return %6 : tensor<2x8x16xf32>
}

// -----

// Tests that an eps that is not a constant is left alone.
// CHECK-LABEL: func.func @eps_not_constant
//       CHECK:   tsr.unary sqrt
//   CHECK-NOT:   tsr.layer_norm
//       CHECK:   return
func.func @eps_not_constant(%x: tensor<2x8x16xf32>, %eps: tensor<f32>) -> tensor<2x8x16xf32> {
  %0 = tsr.reduce mean %x {axes = array<i64: 2>, keep_dims} : tensor<2x8x16xf32> -> tensor<2x8x1xf32>
  %1 = tsr.sub %x, %0 : tensor<2x8x16xf32>, tensor<2x8x1xf32> -> tensor<2x8x16xf32>
  %2 = tsr.mul %1, %1 : tensor<2x8x16xf32>, tensor<2x8x16xf32> -> tensor<2x8x16xf32>
  %3 = tsr.reduce mean %2 {axes = array<i64: 2>, keep_dims} : tensor<2x8x16xf32> -> tensor<2x8x1xf32>
  %4 = tsr.add %3, %eps : tensor<2x8x1xf32>, tensor<f32> -> tensor<2x8x1xf32>
  %5 = tsr.unary sqrt %4 : tensor<2x8x1xf32>
  %6 = tsr.div %1, %5 : tensor<2x8x16xf32>, tensor<2x8x1xf32> -> tensor<2x8x16xf32>
  return %6 : tensor<2x8x16xf32>
}

// -----

// Tests that a mean without keep_dims (then broadcast against x's leading
// dims, not its rows) is left alone.
// CHECK-LABEL: func.func @no_keep_dims
//       CHECK:   tsr.unary sqrt
//   CHECK-NOT:   tsr.layer_norm
//       CHECK:   return
func.func @no_keep_dims(%x: tensor<8x8xf32>) -> tensor<8x8xf32> {
  %eps = tsr.constant dense<1.0e-5> : tensor<f32>
  %0 = tsr.reduce mean %x {axes = array<i64: 1>} : tensor<8x8xf32> -> tensor<8xf32>
  %1 = tsr.sub %x, %0 : tensor<8x8xf32>, tensor<8xf32> -> tensor<8x8xf32>
  %2 = tsr.mul %1, %1 : tensor<8x8xf32>, tensor<8x8xf32> -> tensor<8x8xf32>
  %3 = tsr.reduce mean %2 {axes = array<i64: 1>} : tensor<8x8xf32> -> tensor<8xf32>
  %4 = tsr.add %3, %eps : tensor<8xf32>, tensor<f32> -> tensor<8xf32>
  %5 = tsr.unary sqrt %4 : tensor<8xf32>
  %6 = tsr.div %1, %5 : tensor<8x8xf32>, tensor<8xf32> -> tensor<8x8xf32>
  return %6 : tensor<8x8xf32>
}
