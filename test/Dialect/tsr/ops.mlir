// RUN: tessera-opt %s | tessera-opt | FileCheck %s
// RUN: tessera-opt %s --mlir-print-op-generic | tessera-opt | FileCheck %s

// Round-trips every tsr op through the custom assembly format (and the
// generic one), with dynamic dims, optional operands present and absent, and
// each enum attribute.

//===----------------------------------------------------------------------===//
// Constants
//===----------------------------------------------------------------------===//

// CHECK-LABEL: func.func @constant
//       CHECK:   tsr.constant {tsr.name = "w"} dense_resource<blob> : tensor<2xf32>
//       CHECK:   tsr.constant dense<1.000000e+00> : tensor<f32>
func.func @constant() -> (tensor<2xf32>, tensor<f32>) {
  %w = tsr.constant {tsr.name = "w"} dense_resource<blob> : tensor<2xf32>
  %c = tsr.constant dense<1.0> : tensor<f32>
  return %w, %c : tensor<2xf32>, tensor<f32>
}

//===----------------------------------------------------------------------===//
// Elementwise math
//===----------------------------------------------------------------------===//

// CHECK-LABEL: func.func @binary
//  CHECK-SAME:   %[[A:.+]]: tensor<2x?x64xf32>, %[[B:.+]]: tensor<64xf32>
//       CHECK:   tsr.add %[[A]], %[[B]] : tensor<2x?x64xf32>, tensor<64xf32> -> tensor<2x?x64xf32>
//       CHECK:   tsr.sub
//       CHECK:   tsr.mul
//       CHECK:   tsr.div
//       CHECK:   tsr.pow
//       CHECK:   tsr.max
//       CHECK:   tsr.min
//       CHECK:   tsr.and %{{.+}}, %{{.+}} : tensor<4xi1>, tensor<1xi1> -> tensor<4xi1>
//       CHECK:   tsr.or
func.func @binary(%a: tensor<2x?x64xf32>, %b: tensor<64xf32>,
                  %p: tensor<4xi1>, %q: tensor<1xi1>) {
  %0 = tsr.add %a, %b : tensor<2x?x64xf32>, tensor<64xf32> -> tensor<2x?x64xf32>
  %1 = tsr.sub %a, %b : tensor<2x?x64xf32>, tensor<64xf32> -> tensor<2x?x64xf32>
  %2 = tsr.mul %a, %b : tensor<2x?x64xf32>, tensor<64xf32> -> tensor<2x?x64xf32>
  %3 = tsr.div %a, %b : tensor<2x?x64xf32>, tensor<64xf32> -> tensor<2x?x64xf32>
  %4 = tsr.pow %a, %b : tensor<2x?x64xf32>, tensor<64xf32> -> tensor<2x?x64xf32>
  %5 = tsr.max %a, %b : tensor<2x?x64xf32>, tensor<64xf32> -> tensor<2x?x64xf32>
  %6 = tsr.min %a, %b : tensor<2x?x64xf32>, tensor<64xf32> -> tensor<2x?x64xf32>
  %7 = tsr.and %p, %q : tensor<4xi1>, tensor<1xi1> -> tensor<4xi1>
  %8 = tsr.or %p, %q : tensor<4xi1>, tensor<1xi1> -> tensor<4xi1>
  return
}

// CHECK-LABEL: func.func @compare
//       CHECK:   tsr.compare eq, %{{.+}}, %{{.+}} : tensor<2x8xi64>, tensor<i64> -> tensor<2x8xi1>
//       CHECK:   tsr.compare ne,
//       CHECK:   tsr.compare lt,
//       CHECK:   tsr.compare le,
//       CHECK:   tsr.compare gt,
//       CHECK:   tsr.compare ge, %{{.+}}, %{{.+}} : tensor<?x8xf32>, tensor<1x8xf32> -> tensor<?x8xi1>
func.func @compare(%a: tensor<2x8xi64>, %b: tensor<i64>,
                   %x: tensor<?x8xf32>, %y: tensor<1x8xf32>) {
  %0 = tsr.compare eq, %a, %b : tensor<2x8xi64>, tensor<i64> -> tensor<2x8xi1>
  %1 = tsr.compare ne, %a, %b : tensor<2x8xi64>, tensor<i64> -> tensor<2x8xi1>
  %2 = tsr.compare lt, %a, %b : tensor<2x8xi64>, tensor<i64> -> tensor<2x8xi1>
  %3 = tsr.compare le, %a, %b : tensor<2x8xi64>, tensor<i64> -> tensor<2x8xi1>
  %4 = tsr.compare gt, %a, %b : tensor<2x8xi64>, tensor<i64> -> tensor<2x8xi1>
  %5 = tsr.compare ge, %x, %y : tensor<?x8xf32>, tensor<1x8xf32> -> tensor<?x8xi1>
  return
}

// CHECK-LABEL: func.func @select
//       CHECK:   tsr.select %{{.+}}, %{{.+}}, %{{.+}} : tensor<1x1x8x8xi1>, tensor<f32>, tensor<?x4x8x8xf32> -> tensor<?x4x8x8xf32>
func.func @select(%c: tensor<1x1x8x8xi1>, %x: tensor<f32>,
                  %y: tensor<?x4x8x8xf32>) -> tensor<?x4x8x8xf32> {
  %0 = tsr.select %c, %x, %y : tensor<1x1x8x8xi1>, tensor<f32>, tensor<?x4x8x8xf32> -> tensor<?x4x8x8xf32>
  return %0 : tensor<?x4x8x8xf32>
}

// CHECK-LABEL: func.func @unary
//       CHECK:   tsr.unary neg %{{.+}} : tensor<2x?xf32>
//       CHECK:   tsr.unary abs
//       CHECK:   tsr.unary sqrt
//       CHECK:   tsr.unary rsqrt
//       CHECK:   tsr.unary exp
//       CHECK:   tsr.unary log
//       CHECK:   tsr.unary erf
//       CHECK:   tsr.unary tanh
//       CHECK:   tsr.unary sigmoid
//       CHECK:   tsr.unary relu
//       CHECK:   tsr.unary reciprocal
//       CHECK:   tsr.unary neg %{{.+}} : tensor<3xi32>
//       CHECK:   tsr.unary not %{{.+}} : tensor<3xi1>
func.func @unary(%x: tensor<2x?xf32>, %i: tensor<3xi32>, %m: tensor<3xi1>) {
  %0 = tsr.unary neg %x : tensor<2x?xf32>
  %1 = tsr.unary abs %x : tensor<2x?xf32>
  %2 = tsr.unary sqrt %x : tensor<2x?xf32>
  %3 = tsr.unary rsqrt %x : tensor<2x?xf32>
  %4 = tsr.unary exp %x : tensor<2x?xf32>
  %5 = tsr.unary log %x : tensor<2x?xf32>
  %6 = tsr.unary erf %x : tensor<2x?xf32>
  %7 = tsr.unary tanh %x : tensor<2x?xf32>
  %8 = tsr.unary sigmoid %x : tensor<2x?xf32>
  %9 = tsr.unary relu %x : tensor<2x?xf32>
  %10 = tsr.unary reciprocal %x : tensor<2x?xf32>
  %11 = tsr.unary neg %i : tensor<3xi32>
  %12 = tsr.unary not %m : tensor<3xi1>
  return
}

// CHECK-LABEL: func.func @unary_rounding_and_trig
//       CHECK:   tsr.unary floor %{{.+}} : tensor<4xf16>
//       CHECK:   tsr.unary ceil
//       CHECK:   tsr.unary round
//       CHECK:   tsr.unary sin
//       CHECK:   tsr.unary cos
//       CHECK:   tsr.unary tan
//       CHECK:   tsr.unary asin
//       CHECK:   tsr.unary acos
//       CHECK:   tsr.unary atan
//       CHECK:   tsr.unary sinh
//       CHECK:   tsr.unary cosh
//       CHECK:   tsr.unary asinh
//       CHECK:   tsr.unary acosh
//       CHECK:   tsr.unary atanh %{{.+}} : tensor<4xf16>
func.func @unary_rounding_and_trig(%x: tensor<4xf16>) {
  %0 = tsr.unary floor %x : tensor<4xf16>
  %1 = tsr.unary ceil %x : tensor<4xf16>
  %2 = tsr.unary round %x : tensor<4xf16>
  %3 = tsr.unary sin %x : tensor<4xf16>
  %4 = tsr.unary cos %x : tensor<4xf16>
  %5 = tsr.unary tan %x : tensor<4xf16>
  %6 = tsr.unary asin %x : tensor<4xf16>
  %7 = tsr.unary acos %x : tensor<4xf16>
  %8 = tsr.unary atan %x : tensor<4xf16>
  %9 = tsr.unary sinh %x : tensor<4xf16>
  %10 = tsr.unary cosh %x : tensor<4xf16>
  %11 = tsr.unary asinh %x : tensor<4xf16>
  %12 = tsr.unary acosh %x : tensor<4xf16>
  %13 = tsr.unary atanh %x : tensor<4xf16>
  return
}

// CHECK-LABEL: func.func @activations
//       CHECK:   tsr.gelu %{{.+}} : tensor<1x?x3072xf32>
//       CHECK:   tsr.gelu %{{.+}} {approximation = #tsr<gelu_approximation tanh>} : tensor<1x?x3072xf32>
//       CHECK:   tsr.silu %{{.+}} : tensor<1x?x3072xf32>
func.func @activations(%x: tensor<1x?x3072xf32>) {
  %0 = tsr.gelu %x : tensor<1x?x3072xf32>
  %1 = tsr.gelu %x {approximation = #tsr<gelu_approximation tanh>} : tensor<1x?x3072xf32>
  %2 = tsr.silu %x : tensor<1x?x3072xf32>
  return
}

// CHECK-LABEL: func.func @cast
//       CHECK:   tsr.cast %{{.+}} : tensor<2x?xi64> to tensor<2x?xf32>
func.func @cast(%m: tensor<2x?xi64>) -> tensor<2x?xf32> {
  %0 = tsr.cast %m : tensor<2x?xi64> to tensor<2x?xf32>
  return %0 : tensor<2x?xf32>
}

//===----------------------------------------------------------------------===//
// Linear algebra
//===----------------------------------------------------------------------===//

// CHECK-LABEL: func.func @matmul
//       CHECK:   tsr.matmul %{{.+}}, %{{.+}} : tensor<?x12x128x64xf32>, tensor<64x32xf32> -> tensor<?x12x128x32xf32>
//       CHECK:   tsr.matmul %{{.+}}, %{{.+}} {transpose_rhs} : tensor<?x12x128x64xf32>, tensor<1x12x?x64xf32> -> tensor<?x12x128x?xf32>
//       CHECK:   tsr.matmul %{{.+}}, %{{.+}} {transpose_lhs} : tensor<64x128xf32>, tensor<64x32xf32> -> tensor<128x32xf32>
func.func @matmul(%q: tensor<?x12x128x64xf32>, %w: tensor<64x32xf32>,
                  %k: tensor<1x12x?x64xf32>, %t: tensor<64x128xf32>) {
  %0 = tsr.matmul %q, %w : tensor<?x12x128x64xf32>, tensor<64x32xf32> -> tensor<?x12x128x32xf32>
  %1 = tsr.matmul %q, %k {transpose_rhs} : tensor<?x12x128x64xf32>, tensor<1x12x?x64xf32> -> tensor<?x12x128x?xf32>
  %2 = tsr.matmul %t, %w {transpose_lhs} : tensor<64x128xf32>, tensor<64x32xf32> -> tensor<128x32xf32>
  return
}

// CHECK-LABEL: func.func @linear
//       CHECK:   tsr.linear %{{.+}}, %{{.+}}, %{{.+}} {epilogue = #tsr<epilogue gelu>} : (tensor<1x?x768xf32>, tensor<3072x768xf32>, tensor<3072xf32>) -> tensor<1x?x3072xf32>
//       CHECK:   tsr.linear %{{.+}}, %{{.+}} : (tensor<1x?x768xf32>, tensor<3072x768xf32>) -> tensor<1x?x3072xf32>
//       CHECK:   {epilogue = #tsr<epilogue gelu_tanh>}
//       CHECK:   {epilogue = #tsr<epilogue silu>}
//       CHECK:   {epilogue = #tsr<epilogue relu>}
func.func @linear(%x: tensor<1x?x768xf32>, %w: tensor<3072x768xf32>,
                  %b: tensor<3072xf32>) {
  %0 = tsr.linear %x, %w, %b {epilogue = #tsr<epilogue gelu>} : (tensor<1x?x768xf32>, tensor<3072x768xf32>, tensor<3072xf32>) -> tensor<1x?x3072xf32>
  %1 = tsr.linear %x, %w {epilogue = #tsr<epilogue none>} : (tensor<1x?x768xf32>, tensor<3072x768xf32>) -> tensor<1x?x3072xf32>
  %2 = tsr.linear %x, %w {epilogue = #tsr<epilogue gelu_tanh>} : (tensor<1x?x768xf32>, tensor<3072x768xf32>) -> tensor<1x?x3072xf32>
  %3 = tsr.linear %x, %w {epilogue = #tsr<epilogue silu>} : (tensor<1x?x768xf32>, tensor<3072x768xf32>) -> tensor<1x?x3072xf32>
  %4 = tsr.linear %x, %w {epilogue = #tsr<epilogue relu>} : (tensor<1x?x768xf32>, tensor<3072x768xf32>) -> tensor<1x?x3072xf32>
  return
}

// CHECK-LABEL: func.func @check_indices
//       CHECK:   tsr.check_indices %{{.+}} {sizes = array<i64: 4, 6>, what = "node 'g' (input 'idx')"} : tensor<3x2xi64>
func.func @check_indices(%i: tensor<3x2xi64>) -> tensor<3x2xi64> {
  %0 = tsr.check_indices %i {sizes = array<i64: 4, 6>, what = "node 'g' (input 'idx')"} : tensor<3x2xi64>
  return %0 : tensor<3x2xi64>
}

// CHECK-LABEL: func.func @bf16_linear
//       CHECK:   tsr.bf16_linear %{{.+}}, %{{.+}}, %{{.+}} {epilogue = #tsr<epilogue gelu>} : (tensor<1x?x768xf32>, tensor<3072x768xbf16>, tensor<3072xf32>) -> tensor<1x?x3072xf32>
//       CHECK:   tsr.bf16_linear %{{.+}}, %{{.+}} {weight_packed} : (tensor<1x?x767xf32>, tensor<192x384x32xbf16>) -> tensor<1x?x3072xf32>
func.func @bf16_linear(%x: tensor<1x?x768xf32>, %w: tensor<3072x768xbf16>,
                       %b: tensor<3072xf32>, %x2: tensor<1x?x767xf32>,
                       %p: tensor<192x384x32xbf16>) {
  %0 = tsr.bf16_linear %x, %w, %b {epilogue = #tsr<epilogue gelu>} : (tensor<1x?x768xf32>, tensor<3072x768xbf16>, tensor<3072xf32>) -> tensor<1x?x3072xf32>
  %1 = tsr.bf16_linear %x2, %p {weight_packed} : (tensor<1x?x767xf32>, tensor<192x384x32xbf16>) -> tensor<1x?x3072xf32>
  return
}

// CHECK-LABEL: func.func @sparse_linear
//       CHECK:   tsr.sparse_linear %{{.+}}, %{{.+}}, %{{.+}}, %{{.+}}, %{{.+}} {epilogue = #tsr<epilogue gelu>, format = #tsr<sparse_format block16>} : (tensor<1x?x768xf32>, tensor<75264xf32>, tensor<294xi32>, tensor<193xi32>, tensor<3072xf32>) -> tensor<1x?x3072xf32>
//       CHECK:   tsr.sparse_linear %{{.+}}, %{{.+}}, %{{.+}}, %{{.+}} {format = #tsr<sparse_format csr>} : (tensor<7x100xf32>, tensor<90xf32>, tensor<90xi32>, tensor<10xi32>) -> tensor<7x9xf32>
func.func @sparse_linear(%x: tensor<1x?x768xf32>, %v: tensor<75264xf32>,
                         %i: tensor<294xi32>, %o: tensor<193xi32>,
                         %b: tensor<3072xf32>, %x2: tensor<7x100xf32>,
                         %v2: tensor<90xf32>, %i2: tensor<90xi32>,
                         %o2: tensor<10xi32>) {
  %0 = tsr.sparse_linear %x, %v, %i, %o, %b {format = #tsr<sparse_format block16>, epilogue = #tsr<epilogue gelu>} : (tensor<1x?x768xf32>, tensor<75264xf32>, tensor<294xi32>, tensor<193xi32>, tensor<3072xf32>) -> tensor<1x?x3072xf32>
  %1 = tsr.sparse_linear %x2, %v2, %i2, %o2 {format = #tsr<sparse_format csr>} : (tensor<7x100xf32>, tensor<90xf32>, tensor<90xi32>, tensor<10xi32>) -> tensor<7x9xf32>
  return
}

// CHECK-LABEL: func.func @quantized_linear
//       CHECK:   tsr.quantized_linear %{{.+}}, %{{.+}} scale %{{.+}} bias %{{.+}} {epilogue = #tsr<epilogue gelu>} : (tensor<1x?x768xf32>, tensor<3072x768xi8>, tensor<3072xf32>, tensor<3072xf32>) -> tensor<1x?x3072xf32>
//       CHECK:   tsr.quantized_linear %{{.+}}, %{{.+}} scale %{{.+}} sums %{{.+}} {weight_packed} : (tensor<1x?x768xf32>, tensor<192x192x64xi8>, tensor<3072xf32>, tensor<3072xi32>) -> tensor<1x?x3072xf32>
func.func @quantized_linear(%x: tensor<1x?x768xf32>, %w: tensor<3072x768xi8>,
                            %s: tensor<3072xf32>, %b: tensor<3072xf32>,
                            %p: tensor<192x192x64xi8>, %sums: tensor<3072xi32>) {
  %0 = tsr.quantized_linear %x, %w scale %s bias %b {epilogue = #tsr<epilogue gelu>} : (tensor<1x?x768xf32>, tensor<3072x768xi8>, tensor<3072xf32>, tensor<3072xf32>) -> tensor<1x?x3072xf32>
  %1 = tsr.quantized_linear %x, %p scale %s sums %sums {weight_packed} : (tensor<1x?x768xf32>, tensor<192x192x64xi8>, tensor<3072xf32>, tensor<3072xi32>) -> tensor<1x?x3072xf32>
  return
}

//===----------------------------------------------------------------------===//
// Normalization and reductions
//===----------------------------------------------------------------------===//

// CHECK-LABEL: func.func @softmax
//       CHECK:   tsr.softmax %{{.+}} {axis = 3 : i64} : tensor<1x12x?x?xf32>
func.func @softmax(%s: tensor<1x12x?x?xf32>) -> tensor<1x12x?x?xf32> {
  %0 = tsr.softmax %s {axis = 3 : i64} : tensor<1x12x?x?xf32>
  return %0 : tensor<1x12x?x?xf32>
}

// CHECK-LABEL: func.func @layer_norm
//       CHECK:   tsr.layer_norm %{{.+}}, %{{.+}} bias %{{.+}} {axis = 2 : i64, epsilon = 9.99999996E-13 : f32} : (tensor<1x?x768xf32>, tensor<768xf32>, tensor<768xf32>) -> tensor<1x?x768xf32>
//       CHECK:   tsr.layer_norm %{{.+}}, %{{.+}} {axis = 1 : i64, epsilon = 9.99999974E-6 : f32} : (tensor<1x?x768xf32>, tensor<?x768xf32>) -> tensor<1x?x768xf32>
//       CHECK:   tsr.layer_norm %{{.+}}, %{{.+}} residual %{{.+}} {axis = 2 : i64, epsilon = 9.99999974E-6 : f32} : (tensor<1x?x768xf32>, tensor<768xf32>, tensor<1x?x768xf32>) -> tensor<1x?x768xf32>
//       CHECK:   tsr.layer_norm %{{.+}}, %{{.+}} bias %{{.+}} residual %{{.+}} {axis = 2 : i64
//       CHECK:   tsr.layer_norm %{{.+}}, %{{.+}} {axis = 2 : i64, epsilon = 0.000000e+00 : f32} : (tensor<1x?x768xf32>, tensor<768xf32>) -> tensor<1x?x768xf32>
func.func @layer_norm(%x: tensor<1x?x768xf32>, %g: tensor<768xf32>,
                      %b: tensor<768xf32>, %g2: tensor<?x768xf32>) {
  %0 = tsr.layer_norm %x, %g bias %b {axis = 2 : i64, epsilon = 1.0e-12 : f32} : (tensor<1x?x768xf32>, tensor<768xf32>, tensor<768xf32>) -> tensor<1x?x768xf32>
  %1 = tsr.layer_norm %x, %g2 {axis = 1 : i64, epsilon = 1.0e-5 : f32} : (tensor<1x?x768xf32>, tensor<?x768xf32>) -> tensor<1x?x768xf32>
  %r = tsr.layer_norm %x, %g residual %x {axis = 2 : i64, epsilon = 1.0e-5 : f32} : (tensor<1x?x768xf32>, tensor<768xf32>, tensor<1x?x768xf32>) -> tensor<1x?x768xf32>
  %2 = tsr.layer_norm %x, %g bias %b residual %x {axis = 2 : i64, epsilon = 1.0e-5 : f32} : (tensor<1x?x768xf32>, tensor<768xf32>, tensor<768xf32>, tensor<1x?x768xf32>) -> tensor<1x?x768xf32>
  %3 = tsr.layer_norm %x, %g {axis = 2 : i64, epsilon = 0.0 : f32} : (tensor<1x?x768xf32>, tensor<768xf32>) -> tensor<1x?x768xf32>
  return
}

// CHECK-LABEL: func.func @reduce
//       CHECK:   tsr.reduce sum %{{.+}} {axes = array<i64: 2>} : tensor<1x?x768xf32> -> tensor<1x?xf32>
//       CHECK:   tsr.reduce mean %{{.+}} {axes = array<i64: 2>, keep_dims} : tensor<1x?x768xf32> -> tensor<1x?x1xf32>
//       CHECK:   tsr.reduce max %{{.+}} {axes = array<i64: 0, 2>} : tensor<1x?x768xf32> -> tensor<?xf32>
//       CHECK:   tsr.reduce min
//       CHECK:   tsr.reduce prod %{{.+}} {axes = array<i64>} : tensor<1x?x768xf32> -> tensor<1x?x768xf32>
func.func @reduce(%x: tensor<1x?x768xf32>) {
  %0 = tsr.reduce sum %x {axes = array<i64: 2>} : tensor<1x?x768xf32> -> tensor<1x?xf32>
  %1 = tsr.reduce mean %x {axes = array<i64: 2>, keep_dims} : tensor<1x?x768xf32> -> tensor<1x?x1xf32>
  %2 = tsr.reduce max %x {axes = array<i64: 0, 2>} : tensor<1x?x768xf32> -> tensor<?xf32>
  %3 = tsr.reduce min %x {axes = array<i64: 1>} : tensor<1x?x768xf32> -> tensor<1x768xf32>
  %4 = tsr.reduce prod %x {axes = array<i64>} : tensor<1x?x768xf32> -> tensor<1x?x768xf32>
  return
}

// CHECK-LABEL: func.func @rms_norm
//       CHECK:   tsr.rms_norm %{{.+}}, %{{.+}} {axis = 2 : i64, epsilon = 9.99999997E-7 : f32} : (tensor<1x?x64xf32>, tensor<64xf32>) -> tensor<1x?x64xf32>
func.func @rms_norm(%x: tensor<1x?x64xf32>, %g: tensor<64xf32>) -> tensor<1x?x64xf32> {
  %0 = tsr.rms_norm %x, %g {axis = 2 : i64, epsilon = 1.0e-6 : f32} : (tensor<1x?x64xf32>, tensor<64xf32>) -> tensor<1x?x64xf32>
  return %0 : tensor<1x?x64xf32>
}

// CHECK-LABEL: func.func @cumsum
//       CHECK:   tsr.cumsum %{{.+}} {axis = 1 : i64} : tensor<?x?xi32>
//       CHECK:   tsr.cumsum %{{.+}} {axis = 0 : i64, exclusive, reverse} : tensor<?xf32>
func.func @cumsum(%m: tensor<?x?xi32>, %x: tensor<?xf32>) {
  %0 = tsr.cumsum %m {axis = 1 : i64} : tensor<?x?xi32>
  %1 = tsr.cumsum %x {axis = 0 : i64, exclusive, reverse} : tensor<?xf32>
  return
}

//===----------------------------------------------------------------------===//
// Attention
//===----------------------------------------------------------------------===//

// CHECK-LABEL: func.func @attention
//       CHECK:   tsr.attention %{{.+}}, %{{.+}}, %{{.+}}, mask %{{.+}} {scale = 1.250000e-01 : f32} : (tensor<1x12x?x64xf32>, tensor<1x12x?x64xf32>, tensor<1x12x?x64xf32>, tensor<1x1x1x?xf32>) -> tensor<1x12x?x64xf32>
//       CHECK:   tsr.attention %{{.+}}, %{{.+}}, %{{.+}} {causal, scale = 1.250000e-01 : f32} : (tensor<1x12x?x64xf32>, tensor<1x4x?x64xf32>, tensor<1x4x?x64xf32>) -> tensor<1x12x?x64xf32>
//       CHECK:   tsr.attention %{{.+}}, %{{.+}}, %{{.+}} {causal, scale = 1.250000e-01 : f32, window = 4096 : i64} : (tensor<1x12x?x64xf32>, tensor<1x4x?x64xf32>, tensor<1x4x?x64xf32>) -> tensor<1x12x?x64xf32>
func.func @attention(%q: tensor<1x12x?x64xf32>, %k: tensor<1x12x?x64xf32>,
                     %v: tensor<1x12x?x64xf32>, %m: tensor<1x1x1x?xf32>,
                     %gk: tensor<1x4x?x64xf32>, %gv: tensor<1x4x?x64xf32>) {
  %0 = tsr.attention %q, %k, %v, mask %m {scale = 0.125 : f32} : (tensor<1x12x?x64xf32>, tensor<1x12x?x64xf32>, tensor<1x12x?x64xf32>, tensor<1x1x1x?xf32>) -> tensor<1x12x?x64xf32>
  %1 = tsr.attention %q, %gk, %gv {scale = 0.125 : f32, causal} : (tensor<1x12x?x64xf32>, tensor<1x4x?x64xf32>, tensor<1x4x?x64xf32>) -> tensor<1x12x?x64xf32>
  %2 = tsr.attention %q, %gk, %gv {scale = 0.125 : f32, causal, window = 4096 : i64} : (tensor<1x12x?x64xf32>, tensor<1x4x?x64xf32>, tensor<1x4x?x64xf32>) -> tensor<1x12x?x64xf32>
  return
}

//===----------------------------------------------------------------------===//
// Data movement
//===----------------------------------------------------------------------===//

// CHECK-LABEL: func.func @gather
//       CHECK:   tsr.gather %{{.+}}[%{{.+}}] {axis = 0 : i64} : (tensor<30522x768xf32>, tensor<1x?xi64>) -> tensor<1x?x768xf32>
//       CHECK:   tsr.gather %{{.+}}[%{{.+}}] {axis = 1 : i64} : (tensor<30522x768xf32>, tensor<5xi32>) -> tensor<30522x5xf32>
func.func @gather(%table: tensor<30522x768xf32>, %ids: tensor<1x?xi64>,
                  %cols: tensor<5xi32>) {
  %0 = tsr.gather %table[%ids] {axis = 0 : i64} : (tensor<30522x768xf32>, tensor<1x?xi64>) -> tensor<1x?x768xf32>
  %1 = tsr.gather %table[%cols] {axis = 1 : i64} : (tensor<30522x768xf32>, tensor<5xi32>) -> tensor<30522x5xf32>
  return
}

// CHECK-LABEL: func.func @reshape
//  CHECK-SAME:   %[[X:.+]]: tensor<?x?x768xf32>, %[[B:.+]]: index, %[[S:.+]]: index
//       CHECK:   tsr.reshape %[[X]][%[[B]], %[[S]]] : tensor<?x?x768xf32> -> tensor<?x?x12x64xf32>
//       CHECK:   tsr.reshape %{{.+}} : tensor<2x3xf32> -> tensor<6xf32>
func.func @reshape(%x: tensor<?x?x768xf32>, %b: index, %s: index,
                   %y: tensor<2x3xf32>) {
  %0 = tsr.reshape %x [%b, %s] : tensor<?x?x768xf32> -> tensor<?x?x12x64xf32>
  %1 = tsr.reshape %y : tensor<2x3xf32> -> tensor<6xf32>
  return
}

// CHECK-LABEL: func.func @transpose
//       CHECK:   tsr.transpose %{{.+}} {permutation = array<i64: 0, 2, 1, 3>} : tensor<1x?x12x64xf32> -> tensor<1x12x?x64xf32>
func.func @transpose(%x: tensor<1x?x12x64xf32>) -> tensor<1x12x?x64xf32> {
  %0 = tsr.transpose %x {permutation = array<i64: 0, 2, 1, 3>} : tensor<1x?x12x64xf32> -> tensor<1x12x?x64xf32>
  return %0 : tensor<1x12x?x64xf32>
}

// CHECK-LABEL: func.func @concat
//       CHECK:   tsr.concat %{{.+}}, %{{.+}} {axis = 1 : i64} : (tensor<1x1x768xf32>, tensor<1x196x768xf32>) -> tensor<1x197x768xf32>
//       CHECK:   tsr.concat %{{.+}}, %{{.+}} {axis = 1 : i64} : (tensor<1x1x768xf32>, tensor<1x?x768xf32>) -> tensor<1x?x768xf32>
func.func @concat(%cls: tensor<1x1x768xf32>, %p: tensor<1x196x768xf32>,
                  %d: tensor<1x?x768xf32>) {
  %0 = tsr.concat %cls, %p {axis = 1 : i64} : (tensor<1x1x768xf32>, tensor<1x196x768xf32>) -> tensor<1x197x768xf32>
  %1 = tsr.concat %cls, %d {axis = 1 : i64} : (tensor<1x1x768xf32>, tensor<1x?x768xf32>) -> tensor<1x?x768xf32>
  return
}

// CHECK-LABEL: func.func @slice
//  CHECK-SAME:   %[[POS:.+]]: tensor<1x512xi64>, %[[S:.+]]: index, %[[O:.+]]: index
//       CHECK:   tsr.slice %[[POS]] offsets[] sizes[%[[S]]] {static_offsets = array<i64: 0, 0>, steps = array<i64: 1, 1>} : tensor<1x512xi64> -> tensor<1x?xi64>
//       CHECK:   tsr.slice %[[POS]] offsets[%[[O]]] sizes[] {static_offsets = array<i64: 0, -9223372036854775808>, steps = array<i64: 1, 2>} : tensor<1x512xi64> -> tensor<1x8xi64>
func.func @slice(%pos: tensor<1x512xi64>, %s: index, %o: index) {
  %0 = tsr.slice %pos offsets[] sizes[%s] {static_offsets = array<i64: 0, 0>, steps = array<i64: 1, 1>} : tensor<1x512xi64> -> tensor<1x?xi64>
  %1 = tsr.slice %pos offsets [%o] sizes [] {static_offsets = array<i64: 0, -9223372036854775808>, steps = array<i64: 1, 2>} : tensor<1x512xi64> -> tensor<1x8xi64>
  return
}

// CHECK-LABEL: func.func @broadcast
//  CHECK-SAME:   %[[M:.+]]: tensor<1x1x1x8xf32>, %[[N:.+]]: index
//       CHECK:   tsr.broadcast %[[M]][%[[N]]] : tensor<1x1x1x8xf32> -> tensor<?x4x8x8xf32>
//       CHECK:   tsr.broadcast %[[M]] : tensor<1x1x1x8xf32> -> tensor<2x1x4x8x8xf32>
func.func @broadcast(%m: tensor<1x1x1x8xf32>, %n: index) {
  %0 = tsr.broadcast %m [%n] : tensor<1x1x1x8xf32> -> tensor<?x4x8x8xf32>
  %1 = tsr.broadcast %m : tensor<1x1x1x8xf32> -> tensor<2x1x4x8x8xf32>
  return
}

{-#
  dialect_resources: {
    builtin: {
      blob: "0x040000000000803F00000040"
    }
  }
#-}

// -----

// Tests that attention's value may have its own head size (Dv != D).
// CHECK-LABEL: func.func @attention_value_head_size
//       CHECK:   tsr.attention {{.+}} -> tensor<1x2x8x32xf32>
func.func @attention_value_head_size(%q: tensor<1x2x8x16xf32>, %k: tensor<1x2x8x16xf32>, %v: tensor<1x2x8x32xf32>) -> tensor<1x2x8x32xf32> {
  %0 = tsr.attention %q, %k, %v {scale = 0.25 : f32} : (tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x32xf32>) -> tensor<1x2x8x32xf32>
  return %0 : tensor<1x2x8x32xf32>
}
