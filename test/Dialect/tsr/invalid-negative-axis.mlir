// RUN: tessera-opt %s -split-input-file -verify-diagnostics

// Negative axes are normalized by the importers; the verifiers reject them
// and name the axis as written. (Kept apart from invalid.mlir: softmax and
// layer_norm read their I64Attr axis as uint64_t, so the message shows
// 18446744073709551615 instead of -1.)

// Tests that softmax names a negative axis as written.
func.func @softmax_negative_axis(%x: tensor<2x8xf32>) {
  // expected-error @+1 {{'tsr.softmax' op axis -1 out of range for rank 2}}
  %0 = tsr.softmax %x {axis = -1 : i64} : tensor<2x8xf32>
  return
}

// -----

// Tests that layer_norm names a negative axis as written.
func.func @layer_norm_negative_axis(%x: tensor<2x8xf32>, %g: tensor<8xf32>) {
  // expected-error @+1 {{'tsr.layer_norm' op axis -1 out of range for rank 2}}
  %0 = tsr.layer_norm %x, %g {axis = -1 : i64, epsilon = 1.0e-5 : f32} : (tensor<2x8xf32>, tensor<8xf32>) -> tensor<2x8xf32>
  return
}

// -----

// Tests that gather names a negative axis as written.
func.func @gather_negative_axis(%t: tensor<10x4xf32>, %i: tensor<3xi64>) {
  // expected-error @+1 {{'tsr.gather' op axis -1 out of range for rank 2}}
  %0 = tsr.gather %t[%i] {axis = -1 : i64} : (tensor<10x4xf32>, tensor<3xi64>) -> tensor<10x3xf32>
  return
}

// -----

// Tests that concat names a negative axis as written.
func.func @concat_negative_axis(%a: tensor<2x3xf32>) {
  // expected-error @+1 {{'tsr.concat' op axis -1 out of range for rank 2}}
  %0 = tsr.concat %a, %a {axis = -1 : i64} : (tensor<2x3xf32>, tensor<2x3xf32>) -> tensor<2x6xf32>
  return
}
