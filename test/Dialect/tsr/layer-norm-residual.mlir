// RUN: tessera-opt %s | tessera-opt | FileCheck %s

// Tests that a tsr.layer_norm with a residual but no bias round-trips. The
// printer writes `, residual %r`; the parser must not take that comma as the
// start of the `, bias %b` group. (Kept apart from ops.mlir so that a failure
// here does not hide the other round trips.)

// CHECK-LABEL: func.func @residual_without_bias
//  CHECK-SAME:   %[[X:.+]]: tensor<1x?x768xf32>, %[[G:.+]]: tensor<768xf32>, %[[R:.+]]: tensor<1x?x768xf32>
//       CHECK:   tsr.layer_norm %[[X]], %[[G]] residual %[[R]] {axis = 2 : i64, epsilon = 9.99999974E-6 : f32} : (tensor<1x?x768xf32>, tensor<768xf32>, tensor<1x?x768xf32>) -> tensor<1x?x768xf32>
func.func @residual_without_bias(%x: tensor<1x?x768xf32>, %g: tensor<768xf32>,
                                 %r: tensor<1x?x768xf32>) -> tensor<1x?x768xf32> {
  %0 = tsr.layer_norm %x, %g residual %r {axis = 2 : i64, epsilon = 1.0e-5 : f32} : (tensor<1x?x768xf32>, tensor<768xf32>, tensor<1x?x768xf32>) -> tensor<1x?x768xf32>
  return %0 : tensor<1x?x768xf32>
}
