// RUN: tessera-opt %s --split-input-file --tsr-quantize='scheme=w4 group-size=2' --verify-diagnostics | FileCheck %s

// Tests that --quantize=w4 turns a linear with a constant [N, K] weight into
// a w4_linear with 4-bit values per group of 2 k values, keeping its bias
// and epilogue. Each group's range maps exactly onto [0, 15] (no clipping
// has less error here): row 0 = [0, 3 | -1, 1]: group 0 has scale 3/15 =
// 0.2 and zero point 0, values [0, 15]; group 1 has scale 2/15 and the
// (fractional) zero point 1 / (2/15) = 7.4999995, values [0, 15]. Row 1 is
// zeros: scale 1, zero point 8, values 8.
// CHECK-LABEL: func.func @quantize_w4
//   CHECK-NOT:   tensor<2x4xf32>
//       CHECK:   %[[Q:.+]] = tsr.constant {tsr.name = "fc.weight.w4"} dense_resource<fc.weight.w4> : tensor<2x4xui8>
//       CHECK:   %[[S:.+]] = tsr.constant {tsr.name = "fc.weight.scale"} dense_resource<fc.weight.scale> : tensor<2x2xf32>
//       CHECK:   %[[Z:.+]] = tsr.constant {tsr.name = "fc.weight.zero"} dense_resource<fc.weight.zero> : tensor<2x2xf32>
//       CHECK:   tsr.w4_linear %{{.+}}, %[[Q]] scale %[[S]] zero %[[Z]] bias %{{.+}} {epilogue = #tsr<epilogue gelu>, group_size = 2 : i64}
//       CHECK:   fc.weight.w4: "0x08000000000F000F08080808"
//       CHECK:   fc.weight.scale: "0x04000000CDCC4C3E0000803F8988083E0000803F"
//       CHECK:   fc.weight.zero: "0x040000000000000000000041FFFFEF4000000041"
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

