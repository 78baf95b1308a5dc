// RUN: tessera-opt %s --split-input-file --tsr-lower-quantized-ops | FileCheck %s

// Tests that quantize is round(x / s) + z clamped to the type's range, then
// converted; a per-axis scale broadcasts along its axis.
// CHECK-LABEL: func.func @quantize_per_axis
//       CHECK:   %[[S:.+]] = tsr.reshape %{{.+}} : tensor<4xf32> -> tensor<1x4xf32>
//       CHECK:   %[[D:.+]] = tsr.div %{{.+}}, %[[S]] : tensor<3x4xf32>, tensor<1x4xf32> -> tensor<3x4xf32>
//       CHECK:   %[[R:.+]] = tsr.unary round %[[D]]
//       CHECK:   %[[A:.+]] = tsr.add %[[R]], %{{.+}} : tensor<3x4xf32>, tensor<1x4xf32>
//       CHECK:   %[[LO:.+]] = tsr.max %[[A]], %{{.+}}
//       CHECK:   %[[HI:.+]] = tsr.min %[[LO]], %{{.+}}
//       CHECK:   tsr.cast %[[HI]] : tensor<3x4xf32> to tensor<3x4xi8>
func.func @quantize_per_axis(%x: tensor<3x4xf32>, %s: tensor<4xf32>, %z: tensor<4xi8>) -> tensor<3x4xi8> {
  %q = tsr.quantize %x, %s, %z {axis = 1 : i64} : (tensor<3x4xf32>, tensor<4xf32>, tensor<4xi8>) -> tensor<3x4xi8>
  return %q : tensor<3x4xi8>
}

// -----

// Tests that a dequantized constant becomes an f32 constant: (q - z) * s per
// column = [[(1-1)*0.5, (2-0)*2], [(3-1)*0.5, (4-0)*2]] = [[0, 4], [1, 8]]
// (after the blob's 4-byte alignment header, little-endian f32 bits).
// CHECK-LABEL: func.func @dequantize_constant
//       CHECK:   %[[C:.+]] = tsr.constant {{.*}}dense_resource<{{.+}}> : tensor<2x2xf32>
//       CHECK:   return %[[C]]
//       CHECK:   w.dequantized: "0x0400000000000000000080400000803F00000041"
func.func @dequantize_constant() -> tensor<2x2xf32> {
  %w = tsr.constant {tsr.name = "w"} dense<[[1, 2], [3, 4]]> : tensor<2x2xi8>
  %s = tsr.constant dense<[0.5, 2.0]> : tensor<2xf32>
  %z = tsr.constant dense<[1, 0]> : tensor<2xi8>
  %d = tsr.dequantize %w, %s, %z {axis = 1 : i64} : (tensor<2x2xi8>, tensor<2xf32>, tensor<2xi8>) -> tensor<2x2xf32>
  return %d : tensor<2x2xf32>
}

// -----

// Tests that a run-time dequantize subtracts in int32 and scales in f32.
// CHECK-LABEL: func.func @dequantize
//       CHECK:   %[[Q:.+]] = tsr.cast %{{.+}} : tensor<5xui8> to tensor<5xi32>
//       CHECK:   %[[Z:.+]] = tsr.cast %{{.+}} : tensor<ui8> to tensor<i32>
//       CHECK:   %[[D:.+]] = tsr.sub %[[Q]], %[[Z]]
//       CHECK:   %[[F:.+]] = tsr.cast %[[D]] : tensor<5xi32> to tensor<5xf32>
//       CHECK:   tsr.mul %[[F]], %{{.+}} : tensor<5xf32>, tensor<f32>
func.func @dequantize(%q: tensor<5xui8>, %s: tensor<f32>, %z: tensor<ui8>) -> tensor<5xf32> {
  %d = tsr.dequantize %q, %s, %z : (tensor<5xui8>, tensor<f32>, tensor<ui8>) -> tensor<5xf32>
  return %d : tensor<5xf32>
}

// -----

// Tests DynamicQuantizeLinear: the range over the whole tensor widened to
// include 0, scale (hi - lo) / 255 (1 for an empty range), zero point
// round(clamp(-lo / scale, 0, 255)).
// CHECK-LABEL: func.func @dynamic_quantize
//       CHECK:   tsr.reduce min %{{.+}} {axes = array<i64: 0, 1>} : tensor<2x3xf32> -> tensor<f32>
//       CHECK:   tsr.reduce max %{{.+}} {axes = array<i64: 0, 1>} : tensor<2x3xf32> -> tensor<f32>
//       CHECK:   tsr.compare eq
//       CHECK:   %[[SCALE:.+]] = tsr.select
//       CHECK:   tsr.unary round
//       CHECK:   tsr.cast %{{.+}} : tensor<2x3xf32> to tensor<2x3xui8>
//       CHECK:   %[[ZP:.+]] = tsr.cast %{{.+}} : tensor<f32> to tensor<ui8>
//       CHECK:   return %{{.+}}, %[[SCALE]], %[[ZP]]
func.func @dynamic_quantize(%x: tensor<2x3xf32>) -> (tensor<2x3xui8>, tensor<f32>, tensor<ui8>) {
  %q, %s, %z = tsr.dynamic_quantize %x : tensor<2x3xf32> -> tensor<2x3xui8>, tensor<f32>, tensor<ui8>
  return %q, %s, %z : tensor<2x3xui8>, tensor<f32>, tensor<ui8>
}

// -----

// Tests MatMulInteger: both sides widened to int32 minus their zero points
// (per row of lhs as [M, 1]), then an int32 matmul.
// CHECK-LABEL: func.func @matmul_integer
//       CHECK:   tsr.reshape %{{.+}} : tensor<3xi32> -> tensor<3x1xi32>
//       CHECK:   tsr.sub %{{.+}}, %{{.+}} : tensor<3x4xi32>, tensor<3x1xi32> -> tensor<3x4xi32>
//       CHECK:   tsr.sub %{{.+}}, %{{.+}} : tensor<4x2xi32>, tensor<2xi32> -> tensor<4x2xi32>
//       CHECK:   tsr.matmul %{{.+}}, %{{.+}} : tensor<3x4xi32>, tensor<4x2xi32> -> tensor<3x2xi32>
func.func @matmul_integer(%a: tensor<3x4xui8>, %b: tensor<4x2xi8>, %za: tensor<3xui8>, %zb: tensor<2xi8>) -> tensor<3x2xi32> {
  %r = tsr.matmul_integer %a, %b, %za, %zb : (tensor<3x4xui8>, tensor<4x2xi8>, tensor<3xui8>, tensor<2xi8>) -> tensor<3x2xi32>
  return %r : tensor<3x2xi32>
}
