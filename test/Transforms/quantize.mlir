// RUN: tessera-opt %s --split-input-file --tsr-quantize --verify-diagnostics | FileCheck %s

// Tests that a linear with a constant [N, K] weight becomes a quantized
// linear with int8 weights and per-row scales (max |row| / 127), keeping its
// bias and epilogue, and that the f32 weight goes away. Row 0 = [1, -3, 4]:
// scale 4/127, values round(127 * [1/4, -3/4, 1]) = [32, -95, 127] (0x20,
// 0xA1, 0x7F); row 1 = [0, 0, 0]: scale 0, values 0.
// CHECK-LABEL: func.func @quantize_dense
//   CHECK-NOT:   tensor<2x3xf32>
//       CHECK:   %[[Q:.+]] = tsr.constant {tsr.name = "fc.weight.int8"} dense_resource<fc.weight.int8> : tensor<2x3xi8>
//       CHECK:   %[[S:.+]] = tsr.constant {tsr.name = "fc.weight.scale"} dense_resource<fc.weight.scale> : tensor<2xf32>
//       CHECK:   tsr.quantized_linear %{{.+}}, %[[Q]] scale %[[S]] bias %{{.+}} {epilogue = #tsr<epilogue gelu>}
//       CHECK:   fc.weight.int8: "0x0100000020A17F000000"
//       CHECK:   fc.weight.scale: "0x04000000{{[0-9A-F]+}}00000000"
func.func @quantize_dense(%x: tensor<5x3xf32>) -> tensor<5x2xf32> {
  %w = tsr.constant {tsr.name = "fc.weight"} dense<[[1.0, -3.0, 4.0], [0.0, 0.0, 0.0]]> : tensor<2x3xf32>
  %b = tsr.constant dense<[0.5, -0.5]> : tensor<2xf32>
  %0 = tsr.linear %x, %w, %b {epilogue = #tsr<epilogue gelu>} : (tensor<5x3xf32>, tensor<2x3xf32>, tensor<2xf32>) -> tensor<5x2xf32>
  return %0 : tensor<5x2xf32>
}

// -----

// Tests that the [K, N] constant under a transpose quantizes per output
// column of the stored matrix (the rows of W = stored^T), into the same
// bytes as the [N, K] form, and that tied linears share one int8 copy.
// CHECK-LABEL: func.func @quantize_transposed_tied
//   CHECK-NOT:   tsr.transpose
//       CHECK:   %[[Q:.+]] = tsr.constant {tsr.name = "fc.weight.int8"}
//       CHECK:   %[[S:.+]] = tsr.constant {tsr.name = "fc.weight.scale"}
//       CHECK:   tsr.quantized_linear %{{.+}}, %[[Q]] scale %[[S]]
//       CHECK:   tsr.quantized_linear %{{.+}}, %[[Q]] scale %[[S]]
//   CHECK-NOT:   tsr.constant
//       CHECK:   fc.weight.int8: "0x0100000020A17F000000"
func.func @quantize_transposed_tied(%x: tensor<5x3xf32>, %y: tensor<7x3xf32>) -> (tensor<5x2xf32>, tensor<7x2xf32>) {
  %w = tsr.constant {tsr.name = "fc.weight"} dense<[[1.0, 0.0], [-3.0, 0.0], [4.0, 0.0]]> : tensor<3x2xf32>
  %t = tsr.transpose %w {permutation = array<i64: 1, 0>} : tensor<3x2xf32> -> tensor<2x3xf32>
  %0 = tsr.linear %x, %t : (tensor<5x3xf32>, tensor<2x3xf32>) -> tensor<5x2xf32>
  %1 = tsr.linear %y, %t : (tensor<7x3xf32>, tensor<2x3xf32>) -> tensor<7x2xf32>
  return %0, %1 : tensor<5x2xf32>, tensor<7x2xf32>
}

// -----

// Tests that a linear whose weight is computed at run time stays f32, with
// a remark saying why.
// CHECK-LABEL: func.func @keep_runtime_weight
//       CHECK:   tsr.linear
func.func @keep_runtime_weight(%x: tensor<5x3xf32>, %w: tensor<2x3xf32>) -> tensor<5x2xf32> {
  // expected-remark @+1 {{not quantized: a linear whose weight is not a compile-time constant}}
  %0 = tsr.linear %x, %w : (tensor<5x3xf32>, tensor<2x3xf32>) -> tensor<5x2xf32>
  return %0 : tensor<5x2xf32>
}

