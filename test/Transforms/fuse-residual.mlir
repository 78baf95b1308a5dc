// RUN: tessera-opt %s --split-input-file --tsr-fuse-residual | FileCheck %s

// Tests that the residual add in front of a layer norm moves into it.
// CHECK-LABEL: func.func @post_ln
//  CHECK-SAME:   (%[[X:[^:]+]]: tensor<2x8xf32>, %[[H:[^:]+]]: tensor<2x8xf32>, %[[G:[^:]+]]: tensor<8xf32>, %[[B:[^:]+]]: tensor<8xf32>)
//   CHECK-NOT:   tsr.add
//       CHECK:   tsr.layer_norm %[[X]], %[[G]] bias %[[B]] residual %[[H]] {axis = 1 : i64
func.func @post_ln(%x: tensor<2x8xf32>, %h: tensor<2x8xf32>, %g: tensor<8xf32>, %b: tensor<8xf32>) -> tensor<2x8xf32> {
  %s = tsr.add %x, %h : tensor<2x8xf32>, tensor<2x8xf32> -> tensor<2x8xf32>
  %y = tsr.layer_norm %s, %g bias %b {axis = 1 : i64, epsilon = 1.0e-5 : f32} : (tensor<2x8xf32>, tensor<8xf32>, tensor<8xf32>) -> tensor<2x8xf32>
  return %y : tensor<2x8xf32>
}

// -----

// Tests that an add whose sum is also used elsewhere (pre-LN residual
// streams) stays, and the norm keeps reading the sum.
// CHECK-LABEL: func.func @sum_used_twice
//       CHECK:   %[[S:.+]] = tsr.add
//       CHECK:   tsr.layer_norm %[[S]], %{{[^ ]+}} {axis
func.func @sum_used_twice(%x: tensor<2x8xf32>, %h: tensor<2x8xf32>, %g: tensor<8xf32>) -> (tensor<2x8xf32>, tensor<2x8xf32>) {
  %s = tsr.add %x, %h : tensor<2x8xf32>, tensor<2x8xf32> -> tensor<2x8xf32>
  %y = tsr.layer_norm %s, %g {axis = 1 : i64, epsilon = 1.0e-5 : f32} : (tensor<2x8xf32>, tensor<8xf32>) -> tensor<2x8xf32>
  return %y, %s : tensor<2x8xf32>, tensor<2x8xf32>
}

// -----

// Tests that a broadcasting add (a bias, not a residual) stays.
// CHECK-LABEL: func.func @broadcast_add
//       CHECK:   tsr.add
//   CHECK-NOT:   residual
func.func @broadcast_add(%x: tensor<2x8xf32>, %c: tensor<8xf32>, %g: tensor<8xf32>) -> tensor<2x8xf32> {
  %s = tsr.add %x, %c : tensor<2x8xf32>, tensor<8xf32> -> tensor<2x8xf32>
  %y = tsr.layer_norm %s, %g {axis = 1 : i64, epsilon = 1.0e-5 : f32} : (tensor<2x8xf32>, tensor<8xf32>) -> tensor<2x8xf32>
  return %y : tensor<2x8xf32>
}

// -----

// Tests that a norm that already has a residual is left alone.
// CHECK-LABEL: func.func @has_residual
//       CHECK:   tsr.add
//       CHECK:   tsr.layer_norm %{{.+}}, %{{.+}} residual %{{.+}} {axis
func.func @has_residual(%x: tensor<2x8xf32>, %h: tensor<2x8xf32>, %r: tensor<2x8xf32>, %g: tensor<8xf32>) -> tensor<2x8xf32> {
  %s = tsr.add %x, %h : tensor<2x8xf32>, tensor<2x8xf32> -> tensor<2x8xf32>
  %y = tsr.layer_norm %s, %g residual %r {axis = 1 : i64, epsilon = 1.0e-5 : f32} : (tensor<2x8xf32>, tensor<8xf32>, tensor<2x8xf32>) -> tensor<2x8xf32>
  return %y : tensor<2x8xf32>
}
