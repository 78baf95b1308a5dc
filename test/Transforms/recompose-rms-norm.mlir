// RUN: tessera-opt %s --split-input-file --tsr-recompose-rms-norm | FileCheck %s

// Tests that Hugging Face's LlamaRMSNorm as torch exports it (rsqrt as
// Div(1, Sqrt), the weight Mul first) becomes one tsr.rms_norm.
// CHECK-LABEL: func.func @llama_rms_norm
//  CHECK-SAME:   %[[X:.+]]: tensor<2x?x64xf32>, %[[W:.+]]: tensor<64xf32>
//       CHECK:   %[[R:.+]] = tsr.rms_norm %[[X]], %[[W]] {axis = 2 : i64, epsilon = 9.99999997E-7 : f32}
//  CHECK-NEXT:   return %[[R]]
func.func @llama_rms_norm(%x: tensor<2x?x64xf32>, %w: tensor<64xf32>) -> tensor<2x?x64xf32> {
  %eps = tsr.constant dense<1.0e-6> : tensor<f32>
  %one = tsr.constant dense<1.0> : tensor<f32>
  %q = tsr.mul %x, %x : tensor<2x?x64xf32>, tensor<2x?x64xf32> -> tensor<2x?x64xf32>
  %m = tsr.reduce mean %q {axes = array<i64: 2>, keep_dims} : tensor<2x?x64xf32> -> tensor<2x?x1xf32>
  %e = tsr.add %m, %eps : tensor<2x?x1xf32>, tensor<f32> -> tensor<2x?x1xf32>
  %s = tsr.unary sqrt %e : tensor<2x?x1xf32>
  %r = tsr.div %one, %s : tensor<f32>, tensor<2x?x1xf32> -> tensor<2x?x1xf32>
  %n = tsr.mul %x, %r : tensor<2x?x64xf32>, tensor<2x?x1xf32> -> tensor<2x?x64xf32>
  %y = tsr.mul %w, %n : tensor<64xf32>, tensor<2x?x64xf32> -> tensor<2x?x64xf32>
  return %y : tensor<2x?x64xf32>
}

// -----

// Tests the Reciprocal spelling of rsqrt, eps on the left of the add and the
// weight on the right of the final Mul.
// CHECK-LABEL: func.func @reciprocal_form
//       CHECK:   tsr.rms_norm %{{.+}}, %{{.+}} {axis = 1 : i64, epsilon = 9.99999974E-6 : f32} : (tensor<4x8xf32>, tensor<8xf32>) -> tensor<4x8xf32>
//   CHECK-NOT:   tsr.reduce
func.func @reciprocal_form(%x: tensor<4x8xf32>, %w: tensor<8xf32>) -> tensor<4x8xf32> {
  %eps = tsr.constant dense<1.0e-5> : tensor<f32>
  %q = tsr.mul %x, %x : tensor<4x8xf32>, tensor<4x8xf32> -> tensor<4x8xf32>
  %m = tsr.reduce mean %q {axes = array<i64: 1>, keep_dims} : tensor<4x8xf32> -> tensor<4x1xf32>
  %e = tsr.add %eps, %m : tensor<f32>, tensor<4x1xf32> -> tensor<4x1xf32>
  %s = tsr.unary sqrt %e : tensor<4x1xf32>
  %r = tsr.unary reciprocal %s : tensor<4x1xf32>
  %n = tsr.mul %r, %x : tensor<4x1xf32>, tensor<4x8xf32> -> tensor<4x8xf32>
  %y = tsr.mul %n, %w : tensor<4x8xf32>, tensor<8xf32> -> tensor<4x8xf32>
  return %y : tensor<4x8xf32>
}

// -----

// Tests the importer's spelling of ONNX RMSNormalization, x / sqrt(...),
// and that a missing weight becomes a ones constant.
// CHECK-LABEL: func.func @div_form_no_weight
//       CHECK:   %[[ONES:.+]] = tsr.constant dense<1.000000e+00> : tensor<8xf32>
//       CHECK:   tsr.rms_norm %{{.+}}, %[[ONES]] {axis = 1 : i64
func.func @div_form_no_weight(%x: tensor<4x8xf32>) -> tensor<4x8xf32> {
  %eps = tsr.constant dense<1.0e-5> : tensor<f32>
  %q = tsr.mul %x, %x : tensor<4x8xf32>, tensor<4x8xf32> -> tensor<4x8xf32>
  %m = tsr.reduce mean %q {axes = array<i64: 1>, keep_dims} : tensor<4x8xf32> -> tensor<4x1xf32>
  %e = tsr.add %m, %eps : tensor<4x1xf32>, tensor<f32> -> tensor<4x1xf32>
  %s = tsr.unary sqrt %e : tensor<4x1xf32>
  %n = tsr.div %x, %s : tensor<4x8xf32>, tensor<4x1xf32> -> tensor<4x8xf32>
  return %n : tensor<4x8xf32>
}

// -----

// Tests that the mean of another tensor's square is left alone: x is not
// normalized by its own root mean square.
// CHECK-LABEL: func.func @other_tensor
//   CHECK-NOT:   tsr.rms_norm
func.func @other_tensor(%x: tensor<4x8xf32>, %z: tensor<4x8xf32>) -> tensor<4x8xf32> {
  %eps = tsr.constant dense<1.0e-5> : tensor<f32>
  %q = tsr.mul %z, %z : tensor<4x8xf32>, tensor<4x8xf32> -> tensor<4x8xf32>
  %m = tsr.reduce mean %q {axes = array<i64: 1>, keep_dims} : tensor<4x8xf32> -> tensor<4x1xf32>
  %e = tsr.add %m, %eps : tensor<4x1xf32>, tensor<f32> -> tensor<4x1xf32>
  %s = tsr.unary sqrt %e : tensor<4x1xf32>
  %n = tsr.div %x, %s : tensor<4x8xf32>, tensor<4x1xf32> -> tensor<4x8xf32>
  return %n : tensor<4x8xf32>
}

// -----

// Tests that a mean over a leading axis is not a normalization over the
// trailing dims: left alone.
// CHECK-LABEL: func.func @leading_axis
//   CHECK-NOT:   tsr.rms_norm
func.func @leading_axis(%x: tensor<4x8xf32>) -> tensor<4x8xf32> {
  %eps = tsr.constant dense<1.0e-5> : tensor<f32>
  %q = tsr.mul %x, %x : tensor<4x8xf32>, tensor<4x8xf32> -> tensor<4x8xf32>
  %m = tsr.reduce mean %q {axes = array<i64: 0>, keep_dims} : tensor<4x8xf32> -> tensor<1x8xf32>
  %e = tsr.add %m, %eps : tensor<1x8xf32>, tensor<f32> -> tensor<1x8xf32>
  %s = tsr.unary sqrt %e : tensor<1x8xf32>
  %n = tsr.div %x, %s : tensor<4x8xf32>, tensor<1x8xf32> -> tensor<4x8xf32>
  return %n : tensor<4x8xf32>
}
