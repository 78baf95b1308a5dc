// RUN: tessera-opt %s --split-input-file --tsr-lower-to-linalg --mlir-print-local-scope | FileCheck %s

// Tests that a binary op becomes one all-parallel linalg.generic whose
// broadcast operand's map drops the leading dim (numpy trailing alignment).
// CHECK-LABEL: func.func @add_trailing_broadcast
//  CHECK-SAME:   %[[A:.+]]: tensor<4x8xf32>, %[[B:.+]]: tensor<8xf32>
//       CHECK:   %[[E:.+]] = tensor.empty() : tensor<4x8xf32>
//       CHECK:   %[[R:.+]] = linalg.generic
//  CHECK-SAME:     indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d1)>, affine_map<(d0, d1) -> (d0, d1)>]
//  CHECK-SAME:     iterator_types = ["parallel", "parallel"]
//  CHECK-SAME:     ins(%[[A]], %[[B]] : tensor<4x8xf32>, tensor<8xf32>) outs(%[[E]] : tensor<4x8xf32>)
//       CHECK:     arith.addf
//       CHECK:   return %[[R]]
func.func @add_trailing_broadcast(%a: tensor<4x8xf32>, %b: tensor<8xf32>) -> tensor<4x8xf32> {
  %0 = tsr.add %a, %b : tensor<4x8xf32>, tensor<8xf32> -> tensor<4x8xf32>
  return %0 : tensor<4x8xf32>
}

// -----

// Tests that size-1 dims facing larger result dims read index 0, and that a
// dynamic result dim takes its size from the operand that carries it.
// CHECK-LABEL: func.func @mul_size_one_broadcast
//  CHECK-SAME:   %[[A:.+]]: tensor<?x1x8xf32>, %[[B:.+]]: tensor<3x1xf32>
//       CHECK:   %[[D:.+]] = tensor.dim %[[A]], %c0
//       CHECK:   %[[E:.+]] = tensor.empty(%[[D]]) : tensor<?x3x8xf32>
//       CHECK:   linalg.generic
//  CHECK-SAME:     indexing_maps = [affine_map<(d0, d1, d2) -> (d0, 0, d2)>, affine_map<(d0, d1, d2) -> (d1, 0)>, affine_map<(d0, d1, d2) -> (d0, d1, d2)>]
//       CHECK:     arith.mulf
func.func @mul_size_one_broadcast(%a: tensor<?x1x8xf32>, %b: tensor<3x1xf32>) -> tensor<?x3x8xf32> {
  %0 = tsr.mul %a, %b : tensor<?x1x8xf32>, tensor<3x1xf32> -> tensor<?x3x8xf32>
  return %0 : tensor<?x3x8xf32>
}

// -----

// Tests that integer operands pick the integer (signed) arith ops, and max
// and min pick the NaN-propagating float ops.
// CHECK-LABEL: func.func @integer_and_minmax
//       CHECK:   arith.subi
//       CHECK:   arith.divsi
//       CHECK:   arith.maxsi
//       CHECK:   arith.andi
//       CHECK:   arith.ori
//       CHECK:   arith.maximumf
//       CHECK:   arith.minimumf
//       CHECK:   math.powf
func.func @integer_and_minmax(%i: tensor<4xi64>, %p: tensor<4xi1>, %f: tensor<4xf32>) -> (tensor<4xi64>, tensor<4xi64>, tensor<4xi64>, tensor<4xi1>, tensor<4xi1>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) {
  %0 = tsr.sub %i, %i : tensor<4xi64>, tensor<4xi64> -> tensor<4xi64>
  %1 = tsr.div %i, %i : tensor<4xi64>, tensor<4xi64> -> tensor<4xi64>
  %2 = tsr.max %i, %i : tensor<4xi64>, tensor<4xi64> -> tensor<4xi64>
  %3 = tsr.and %p, %p : tensor<4xi1>, tensor<4xi1> -> tensor<4xi1>
  %4 = tsr.or %p, %p : tensor<4xi1>, tensor<4xi1> -> tensor<4xi1>
  %5 = tsr.max %f, %f : tensor<4xf32>, tensor<4xf32> -> tensor<4xf32>
  %6 = tsr.min %f, %f : tensor<4xf32>, tensor<4xf32> -> tensor<4xf32>
  %7 = tsr.pow %f, %f : tensor<4xf32>, tensor<4xf32> -> tensor<4xf32>
  return %0, %1, %2, %3, %4, %5, %6, %7 : tensor<4xi64>, tensor<4xi64>, tensor<4xi64>, tensor<4xi1>, tensor<4xi1>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>
}

// -----

// Tests that compare maps a rank-0 operand with an empty map and uses
// ordered float predicates (unordered for ne) and signed integer ones.
// CHECK-LABEL: func.func @compare
//       CHECK:   linalg.generic
//  CHECK-SAME:     indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> ()>, affine_map<(d0, d1) -> (d0, d1)>]
//       CHECK:     arith.cmpi slt, %{{.+}}, %{{.+}} : i64
//       CHECK:     linalg.yield %{{.+}} : i1
//       CHECK:   -> tensor<2x8xi1>
//       CHECK:   arith.cmpf olt
//       CHECK:   arith.cmpf une
func.func @compare(%a: tensor<2x8xi64>, %b: tensor<i64>, %x: tensor<2x8xf32>) -> (tensor<2x8xi1>, tensor<2x8xi1>, tensor<2x8xi1>) {
  %0 = tsr.compare lt, %a, %b : tensor<2x8xi64>, tensor<i64> -> tensor<2x8xi1>
  %1 = tsr.compare lt, %x, %x : tensor<2x8xf32>, tensor<2x8xf32> -> tensor<2x8xi1>
  %2 = tsr.compare ne, %x, %x : tensor<2x8xf32>, tensor<2x8xf32> -> tensor<2x8xi1>
  return %0, %1, %2 : tensor<2x8xi1>, tensor<2x8xi1>, tensor<2x8xi1>
}

// -----

// Tests that select broadcasts all three operands in one generic.
// CHECK-LABEL: func.func @select
//       CHECK:   linalg.generic
//  CHECK-SAME:     indexing_maps = [affine_map<(d0, d1) -> (0, d1)>, affine_map<(d0, d1) -> ()>, affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0, d1)>]
//       CHECK:     ^bb0(%[[C:.+]]: i1, %[[T:.+]]: f32, %[[F:.+]]: f32, %{{.+}}: f32):
//       CHECK:     arith.select %[[C]], %[[T]], %[[F]] : f32
func.func @select(%c: tensor<1x8xi1>, %x: tensor<f32>, %y: tensor<4x8xf32>) -> tensor<4x8xf32> {
  %0 = tsr.select %c, %x, %y : tensor<1x8xi1>, tensor<f32>, tensor<4x8xf32> -> tensor<4x8xf32>
  return %0 : tensor<4x8xf32>
}

// -----

// Tests the scalar bodies of the unary functions that have no math op of their own.
// CHECK-LABEL: func.func @unary
//       CHECK:   %[[ZERO:.+]] = arith.constant 0 : i32
//       CHECK:   arith.subi %[[ZERO]], %{{.+}} : i32
//       CHECK:   arith.maximumf
//       CHECK:   math.exp
//       CHECK:   arith.divf
//       CHECK:   math.rsqrt
//       CHECK:   math.erf
//       CHECK:   arith.xori %{{.+}}, %true
func.func @unary(%i: tensor<4xi32>, %f: tensor<4xf32>, %m: tensor<4xi1>) -> (tensor<4xi32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xi1>) {
  %0 = tsr.unary neg %i : tensor<4xi32>
  %1 = tsr.unary relu %f : tensor<4xf32>
  %2 = tsr.unary sigmoid %f : tensor<4xf32>
  %3 = tsr.unary rsqrt %f : tensor<4xf32>
  %4 = tsr.unary erf %f : tensor<4xf32>
  %5 = tsr.unary not %m : tensor<4xi1>
  return %0, %1, %2, %3, %4, %5 : tensor<4xi32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xi1>
}

// -----

// Tests that gelu uses erf by default and tanh when asked, and silu is x * sigmoid(x).
// CHECK-LABEL: func.func @activations
//       CHECK:   linalg.generic
//       CHECK:     math.erf
//   CHECK-NOT:     math.tanh
//       CHECK:   linalg.generic
//       CHECK:     math.tanh
//   CHECK-NOT:     math.erf
//       CHECK:   linalg.generic
//       CHECK:     ^bb0(%[[X:.+]]: f32, %{{.+}}: f32):
//       CHECK:     math.exp
//       CHECK:     %[[SIG:.+]] = arith.divf
//       CHECK:     arith.mulf %[[X]], %[[SIG]]
func.func @activations(%x: tensor<4xf32>) -> (tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) {
  %0 = tsr.gelu %x : tensor<4xf32>
  %1 = tsr.gelu %x {approximation = #tsr<gelu_approximation tanh>} : tensor<4xf32>
  %2 = tsr.silu %x : tensor<4xf32>
  return %0, %1, %2 : tensor<4xf32>, tensor<4xf32>, tensor<4xf32>
}

// -----

// Tests ONNX Cast semantics: truncation toward zero, non-zero tests for i1,
// i1 as 0/1.
// CHECK-LABEL: func.func @cast
//       CHECK:   arith.sitofp %{{.+}} : i64 to f32
//       CHECK:   arith.fptosi %{{.+}} : f32 to i32
//       CHECK:   arith.cmpf une
//       CHECK:   arith.uitofp %{{.+}} : i1 to f32
//       CHECK:   arith.extui %{{.+}} : i1 to i64
//       CHECK:   arith.truncf %{{.+}} : f32 to f16
func.func @cast(%i: tensor<4xi64>, %f: tensor<4xf32>, %m: tensor<4xi1>) -> (tensor<4xf32>, tensor<4xi32>, tensor<4xi1>, tensor<4xf32>, tensor<4xi64>, tensor<4xf16>) {
  %0 = tsr.cast %i : tensor<4xi64> to tensor<4xf32>
  %1 = tsr.cast %f : tensor<4xf32> to tensor<4xi32>
  %2 = tsr.cast %f : tensor<4xf32> to tensor<4xi1>
  %3 = tsr.cast %m : tensor<4xi1> to tensor<4xf32>
  %4 = tsr.cast %m : tensor<4xi1> to tensor<4xi64>
  %5 = tsr.cast %f : tensor<4xf32> to tensor<4xf16>
  return %0, %1, %2, %3, %4, %5 : tensor<4xf32>, tensor<4xi32>, tensor<4xi1>, tensor<4xf32>, tensor<4xi64>, tensor<4xf16>
}

// -----

// Tests that tsr.constant becomes arith.constant with the same value.
// CHECK-LABEL: func.func @constant
//       CHECK:   %[[C:.+]] = arith.constant dense<[1.000000e+00, 2.000000e+00]> : tensor<2xf32>
//       CHECK:   return %[[C]]
func.func @constant() -> tensor<2xf32> {
  %0 = tsr.constant dense<[1.0, 2.0]> : tensor<2xf32>
  return %0 : tensor<2xf32>
}

// -----

// Tests that rounding and trigonometric kinds each become their math op
// (round is ONNX's round-half-to-even).
// CHECK-LABEL: func.func @unary_math
//       CHECK:   math.floor
//       CHECK:   math.ceil
//       CHECK:   math.roundeven
//       CHECK:   math.sin
//       CHECK:   math.cos
//       CHECK:   math.tan
//       CHECK:   math.asin
//       CHECK:   math.acos
//       CHECK:   math.atan
//       CHECK:   math.sinh
//       CHECK:   math.cosh
//       CHECK:   math.asinh
//       CHECK:   math.acosh
//       CHECK:   math.atanh
func.func @unary_math(%f: tensor<4xf32>) -> (tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) {
  %0 = tsr.unary floor %f : tensor<4xf32>
  %1 = tsr.unary ceil %f : tensor<4xf32>
  %2 = tsr.unary round %f : tensor<4xf32>
  %3 = tsr.unary sin %f : tensor<4xf32>
  %4 = tsr.unary cos %f : tensor<4xf32>
  %5 = tsr.unary tan %f : tensor<4xf32>
  %6 = tsr.unary asin %f : tensor<4xf32>
  %7 = tsr.unary acos %f : tensor<4xf32>
  %8 = tsr.unary atan %f : tensor<4xf32>
  %9 = tsr.unary sinh %f : tensor<4xf32>
  %10 = tsr.unary cosh %f : tensor<4xf32>
  %11 = tsr.unary asinh %f : tensor<4xf32>
  %12 = tsr.unary acosh %f : tensor<4xf32>
  %13 = tsr.unary atanh %f : tensor<4xf32>
  return %0, %1, %2, %3, %4, %5, %6, %7, %8, %9, %10, %11, %12, %13 : tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>
}
