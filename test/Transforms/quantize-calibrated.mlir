// RUN: tessera-opt %s --split-input-file --tsr-quantize="scheme=int8-static" --verify-diagnostics | FileCheck %s --check-prefixes=CHECK,STATIC
// RUN: tessera-opt %s --split-input-file --tsr-quantize="scheme=int8" 2>/dev/null | FileCheck %s --check-prefixes=CHECK,DYNAMIC
// RUN: tessera-opt %s --split-input-file --tsr-quantize="scheme=int8-static smooth-alpha=0" 2>/dev/null | FileCheck %s --check-prefixes=CHECK,NOSMOOTH

// Tests SmoothQuant and static activation scales from a calibrated range.
// W = [[1, 4], [0.5, -2]] ([N, K]): max |W[:, k]| = [1, 4]; the input's
// channels span [-4, 16] and [0, 1]: max |x_k| = [16, 1]. With alpha 0.5,
// s = sqrt([16, 1]) / sqrt([1, 4]) = [4, 0.5]: input_smooth = 1 / s =
// [0.25, 2] (0x3E800000, 0x40000000), and W * s = [[4, 2], [2, -1]]
// quantizes per row to [127, 64] and [127, -64] (half to even).
// Static: the smoothed range is [-1, 4] -> scale 5 / 255, zero point 51.
// Without smoothing, [-4, 16] -> scale 20 / 255, zero point 51.
// CHECK-LABEL: func.func @calibrated
//      STATIC:   %[[M:.+]] = tsr.constant {tsr.name = "fc.weight.smooth"}
//      STATIC:   tsr.quantized_linear %{{.+}}, %{{.+}} scale %{{.+}} bias %{{.+}} smooth %[[M]] {epilogue = #tsr<epilogue gelu>, input_quant = #tsr<input_quant static_tensor>, input_scale = 0.0196078{{[0-9]*}} : f32, input_zero_point = 51 : i32}
//      STATIC:   fc.weight.int8: "0x010000007F407FC0"
//      STATIC:   fc.weight.smooth: "0x040000000000803E00000040"
// weight_scale is the product of both scales: [4, 2] / 127 * 5 / 255
// (0x3A21E46A, 0x39A1E46A); the row scales alone are not kept.
//  STATIC-NOT:   fc.weight.scale: "0x040000000402013D
//      STATIC:   fc.weight.scale{{[_0-9]*}}: "0x040000006AE4213A6AE4A139"
//     DYNAMIC:   %[[M:.+]] = tsr.constant {tsr.name = "fc.weight.smooth"}
//     DYNAMIC:   tsr.quantized_linear %{{.+}}, %{{.+}} scale %{{.+}} bias %{{.+}} smooth %[[M]] {epilogue = #tsr<epilogue gelu>}
//     DYNAMIC:   fc.weight.int8: "0x010000007F407FC0"
//    NOSMOOTH-NOT:   smooth
//    NOSMOOTH:   tsr.quantized_linear %{{.+}}, %{{.+}} scale %{{.+}} bias %{{.+}} {epilogue = #tsr<epilogue gelu>, input_quant = #tsr<input_quant static_tensor>, input_scale = 0.0784313{{[0-9]*}} : f32, input_zero_point = 51 : i32}
func.func @calibrated(%x: tensor<5x2xf32>) -> tensor<5x2xf32> {
  %w = tsr.constant {tsr.name = "fc.weight"} dense<[[1.0, 4.0], [0.5, -2.0]]> : tensor<2x2xf32>
  %b = tsr.constant dense<[0.5, -0.5]> : tensor<2xf32>
  %0 = tsr.linear %x, %w, %b {epilogue = #tsr<epilogue gelu>, tsr.input_min = dense<[-4.0, 0.0]> : tensor<2xf32>, tsr.input_max = dense<[16.0, 1.0]> : tensor<2xf32>} : (tensor<5x2xf32>, tensor<2x2xf32>, tensor<2xf32>) -> tensor<5x2xf32>
  return %0 : tensor<5x2xf32>
}

// -----

// Tests that a linear without a calibration range (or with one of the wrong
// size) quantizes per token; int8-static says so (a remark that
// tessera-compile counts).
// CHECK-LABEL: func.func @uncalibrated
//   CHECK-NOT:   smooth
//       CHECK:   tsr.quantized_linear %{{.+}}, %{{.+}} scale %{{.+}} : (tensor<5x2xf32>
//   CHECK-NOT:   input_quant
//       CHECK:   tsr.quantized_linear %{{.+}}, %{{.+}} scale %{{.+}} : (tensor<5x2xf32>
func.func @uncalibrated(%x: tensor<5x2xf32>) -> (tensor<5x2xf32>, tensor<5x2xf32>) {
  %w = tsr.constant {tsr.name = "fc.weight"} dense<[[1.0, 4.0], [0.5, -2.0]]> : tensor<2x2xf32>
  // expected-remark @+1 {{no calibration range: activations quantized per token at run time}}
  %0 = tsr.linear %x, %w : (tensor<5x2xf32>, tensor<2x2xf32>) -> tensor<5x2xf32>
  // expected-remark @+1 {{no calibration range: activations quantized per token at run time}}
  %1 = tsr.linear %x, %w {tsr.input_min = dense<[-4.0]> : tensor<1xf32>, tsr.input_max = dense<[16.0]> : tensor<1xf32>} : (tensor<5x2xf32>, tensor<2x2xf32>) -> tensor<5x2xf32>
  return %0, %1 : tensor<5x2xf32>, tensor<5x2xf32>
}

// -----

// Tests that int8-static keeps the int8 kernels' K limit, as int8 does: a
// linear with K = 65537 stays f32, with a remark.
// CHECK-LABEL: func.func @too_long
//       CHECK:   tsr.linear
//   CHECK-NOT:   tsr.quantized_linear
func.func @too_long(%x: tensor<1x65537xf32>) -> tensor<1x1xf32> {
  %w = tsr.constant {tsr.name = "big"} dense<0.5> : tensor<1x65537xf32>
  // expected-remark @+1 {{not quantized: 'big': K = 65537 is over the int8 kernels' limit of 65536}}
  %0 = tsr.linear %x, %w {tsr.input_min = dense<-1.0> : tensor<65537xf32>, tsr.input_max = dense<1.0> : tensor<65537xf32>} : (tensor<1x65537xf32>, tensor<1x65537xf32>) -> tensor<1x1xf32>
  return %0 : tensor<1x1xf32>
}
