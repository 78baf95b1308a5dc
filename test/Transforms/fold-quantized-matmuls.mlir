// RUN: tessera-opt %s --split-input-file --tsr-fold-quantized-matmuls | FileCheck %s

// Tests that a QDQ matmul (quantize_static) becomes a quantized linear that
// reads x, with the activation's scale and zero point and the weight
// transposed to [N, K] int8; its scales are sx * sw = 0.5 * 0.25.
// CHECK-LABEL: func.func @qdq
//  CHECK-SAME:   (%[[X:[^:]+]]: tensor<3x4xf32>)
//   CHECK-NOT:   tsr.quantize
//       CHECK:   %[[W:.+]] = tsr.constant {{.*}} : tensor<2x4xi8>
//       CHECK:   %[[S:.+]] = tsr.constant {{.*}} : tensor<2xf32>
//       CHECK:   tsr.quantized_linear %[[X]], %[[W]] scale %[[S]] {input_quant = #tsr<input_quant static_tensor>, input_scale = 5.000000e-01 : f32, input_zero_point = 7 : i32} : (tensor<3x4xf32>, tensor<2x4xi8>, tensor<2xf32>) -> tensor<3x2xf32>
func.func @qdq(%x: tensor<3x4xf32>) -> tensor<3x2xf32> {
  %sx = tsr.constant dense<0.5> : tensor<f32>
  %zx = tsr.constant dense<7> : tensor<ui8>
  %w = tsr.constant dense<[[1, 2], [3, 4], [5, 6], [7, 8]]> : tensor<4x2xi8>
  %sw = tsr.constant dense<0.25> : tensor<f32>
  %zw = tsr.constant dense<0> : tensor<i8>
  %q = tsr.quantize %x, %sx, %zx : (tensor<3x4xf32>, tensor<f32>, tensor<ui8>) -> tensor<3x4xui8>
  %xd = tsr.dequantize %q, %sx, %zx : (tensor<3x4xui8>, tensor<f32>, tensor<ui8>) -> tensor<3x4xf32>
  %wd = tsr.dequantize %w, %sw, %zw : (tensor<4x2xi8>, tensor<f32>, tensor<i8>) -> tensor<4x2xf32>
  %y = tsr.matmul %xd, %wd : tensor<3x4xf32>, tensor<4x2xf32> -> tensor<3x2xf32>
  return %y : tensor<3x2xf32>
}

// -----

// Tests that signed activations are the same bytes shifted by 128 (zero
// point -3 becomes 125) and that per-column weight scales are kept.
// CHECK-LABEL: func.func @qdq_signed_per_column
//       CHECK:   tsr.quantized_linear {{.*}}input_zero_point = 125 : i32{{.*}} -> tensor<3x2xf32>
func.func @qdq_signed_per_column(%x: tensor<3x4xf32>) -> tensor<3x2xf32> {
  %sx = tsr.constant dense<0.5> : tensor<f32>
  %zx = tsr.constant dense<-3> : tensor<i8>
  %w = tsr.constant dense<1> : tensor<4x2xi8>
  %sw = tsr.constant dense<[0.25, 0.125]> : tensor<2xf32>
  %zw = tsr.constant dense<0> : tensor<2xi8>
  %q = tsr.quantize %x, %sx, %zx : (tensor<3x4xf32>, tensor<f32>, tensor<i8>) -> tensor<3x4xi8>
  %xd = tsr.dequantize %q, %sx, %zx : (tensor<3x4xi8>, tensor<f32>, tensor<i8>) -> tensor<3x4xf32>
  %wd = tsr.dequantize %w, %sw, %zw {axis = 1 : i64} : (tensor<4x2xi8>, tensor<2xf32>, tensor<2xi8>) -> tensor<4x2xf32>
  %y = tsr.matmul %xd, %wd : tensor<3x4xf32>, tensor<4x2xf32> -> tensor<3x2xf32>
  return %y : tensor<3x2xf32>
}

// -----

// Tests the quantize_dynamic shape: dynamic_quantize, matmul_integer, cast,
// and a multiply by the activation scale times the weight scale.
// CHECK-LABEL: func.func @dynamic
//  CHECK-SAME:   (%[[X:[^:]+]]: tensor<1x3x4xf32>)
//   CHECK-NOT:   tsr.dynamic_quantize
//   CHECK-NOT:   tsr.matmul_integer
//       CHECK:   tsr.quantized_linear %[[X]], %{{.+}} scale %{{.+}} {input_quant = #tsr<input_quant dynamic_tensor>} : (tensor<1x3x4xf32>, tensor<2x4xi8>, tensor<2xf32>) -> tensor<1x3x2xf32>
func.func @dynamic(%x: tensor<1x3x4xf32>) -> tensor<1x3x2xf32> {
  %w = tsr.constant dense<3> : tensor<4x2xi8>
  %sw = tsr.constant dense<0.25> : tensor<f32>
  %zw = tsr.constant dense<0> : tensor<i8>
  %q, %s, %z = tsr.dynamic_quantize %x : tensor<1x3x4xf32> -> tensor<1x3x4xui8>, tensor<f32>, tensor<ui8>
  %acc = tsr.matmul_integer %q, %w, %z, %zw : (tensor<1x3x4xui8>, tensor<4x2xi8>, tensor<ui8>, tensor<i8>) -> tensor<1x3x2xi32>
  %f = tsr.cast %acc : tensor<1x3x2xi32> to tensor<1x3x2xf32>
  %scale = tsr.mul %s, %sw : tensor<f32>, tensor<f32> -> tensor<f32>
  %y = tsr.mul %scale, %f : tensor<f32>, tensor<1x3x2xf32> -> tensor<1x3x2xf32>
  return %y : tensor<1x3x2xf32>
}

// -----

// Tests that an unsigned weight whose zero point is not 128 stays as it is
// (its values minus the zero point do not fit in int8), and so does a
// matmul whose activation scale is not a constant.
// CHECK-LABEL: func.func @not_folded
//   CHECK-NOT:   tsr.quantized_linear
//       CHECK:   tsr.matmul_integer
//       CHECK:   tsr.matmul
func.func @not_folded(%x: tensor<3x4xf32>, %sx: tensor<f32>) -> (tensor<3x2xf32>, tensor<3x2xf32>) {
  %w = tsr.constant dense<[[0, 255], [3, 4], [5, 6], [7, 8]]> : tensor<4x2xui8>
  %zw = tsr.constant dense<100> : tensor<ui8>
  %sw = tsr.constant dense<0.25> : tensor<f32>
  %zx = tsr.constant dense<7> : tensor<ui8>
  %q = tsr.quantize %x, %sx, %zx : (tensor<3x4xf32>, tensor<f32>, tensor<ui8>) -> tensor<3x4xui8>
  %acc = tsr.matmul_integer %q, %w, %zx, %zw : (tensor<3x4xui8>, tensor<4x2xui8>, tensor<ui8>, tensor<ui8>) -> tensor<3x2xi32>
  %f = tsr.cast %acc : tensor<3x2xi32> to tensor<3x2xf32>
  %y = tsr.mul %f, %sw : tensor<3x2xf32>, tensor<f32> -> tensor<3x2xf32>
  %w8 = tsr.constant dense<1> : tensor<4x2xi8>
  %z8 = tsr.constant dense<0> : tensor<i8>
  %xd = tsr.dequantize %q, %sx, %zx : (tensor<3x4xui8>, tensor<f32>, tensor<ui8>) -> tensor<3x4xf32>
  %wd = tsr.dequantize %w8, %sw, %z8 : (tensor<4x2xi8>, tensor<f32>, tensor<i8>) -> tensor<4x2xf32>
  %y2 = tsr.matmul %xd, %wd : tensor<3x4xf32>, tensor<4x2xf32> -> tensor<3x2xf32>
  return %y, %y2 : tensor<3x2xf32>, tensor<3x2xf32>
}
