// RUN: tessera-opt %s --split-input-file --tsr-quantize='scheme=w4 group-size=2' --verify-diagnostics | FileCheck %s

// Tests that --quantize=w4 turns a linear with a constant [N, K] weight into
// a w4_linear with 4-bit values per group of 2 k values, keeping its bias
// and epilogue, its scales and zero points in f16. Each group's range maps
// onto [0, 15] with the half-rounded parameters (no clipping has less error
// here): row 0 = [0, 3 | -1, 1]: group 0 has scale 3/15 = 0.2 (the half
// 0x3266 = 0.19995) and zero point 0, values [0, 15]; group 1 has scale
// 2/15 (0x3044 = 0.13330) and the fractional zero point 7.4999995 (0x4780
// = 7.5), values [0, 15]. Row 1 is zeros: scale 1 (0x3C00), zero point 8
// (0x4800), values 8.
// CHECK-LABEL: func.func @quantize_w4
//   CHECK-NOT:   tensor<2x4xf32>
//       CHECK:   %[[Q:.+]] = tsr.constant {tsr.name = "fc.weight.w4"} dense_resource<fc.weight.w4> : tensor<2x4xui8>
//       CHECK:   %[[S:.+]] = tsr.constant {tsr.name = "fc.weight.scale"} dense_resource<fc.weight.scale> : tensor<2x2xf16>
//       CHECK:   %[[Z:.+]] = tsr.constant {tsr.name = "fc.weight.zero"} dense_resource<fc.weight.zero> : tensor<2x2xf16>
//       CHECK:   tsr.w4_linear %{{.+}}, %[[Q]] scale %[[S]] zero %[[Z]] bias %{{.+}} {epilogue = #tsr<epilogue gelu>, group_size = 2 : i64}
//       CHECK:   fc.weight.w4: "0x08000000000F000F08080808"
//       CHECK:   fc.weight.scale: "0x040000006632003C4430003C"
//       CHECK:   fc.weight.zero: "0x040000000000004880470048"
func.func @quantize_w4(%x: tensor<5x4xf32>) -> tensor<5x2xf32> {
  %w = tsr.constant {tsr.name = "fc.weight"} dense<[[0.0, 3.0, -1.0, 1.0], [0.0, 0.0, 0.0, 0.0]]> : tensor<2x4xf32>
  %b = tsr.constant dense<[0.5, -0.5]> : tensor<2xf32>
  %0 = tsr.linear %x, %w, %b {epilogue = #tsr<epilogue gelu>} : (tensor<5x4xf32>, tensor<2x4xf32>, tensor<2xf32>) -> tensor<5x2xf32>
  return %0 : tensor<5x2xf32>
}

// -----

// Tests that a linear whose K is not a multiple of the group stays f32, and
// says why.
// CHECK-LABEL: func.func @w4_odd_k
//       CHECK:   tsr.linear
func.func @w4_odd_k(%x: tensor<5x3xf32>) -> tensor<5x2xf32> {
  %w = tsr.constant {tsr.name = "odd.weight"} dense<1.0> : tensor<2x3xf32>
  // expected-remark @+1 {{not quantized: 'odd.weight': K = 3 is not a multiple of the group size 2}}
  %0 = tsr.linear %x, %w : (tensor<5x3xf32>, tensor<2x3xf32>) -> tensor<5x2xf32>
  return %0 : tensor<5x2xf32>
}


// -----

// Tests that a linear whose group scale would not be a normal half (its
// weights span less than 15 * 2^-14) keeps f32 parameters: row 0 spans
// 1e-4, scale 6.7e-6.
// CHECK-LABEL: func.func @w4_tiny_scale
//       CHECK:   tsr.constant {tsr.name = "tiny.weight.scale"} dense_resource<tiny.weight.scale> : tensor<1x2xf32>
func.func @w4_tiny_scale(%x: tensor<5x2xf32>) -> tensor<5x2xf32> {
  %w = tsr.constant {tsr.name = "tiny.weight"} dense<[[0.0, 1.0e-4], [1.0, -1.0]]> : tensor<2x2xf32>
  %0 = tsr.linear %x, %w : (tensor<5x2xf32>, tensor<2x2xf32>) -> tensor<5x2xf32>
  return %0 : tensor<5x2xf32>
}
