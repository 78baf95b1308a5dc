// RUN: tessera-opt %s --split-input-file --tsr-recompose-gelu | FileCheck %s

// Tests that torch's exported web, x · (1 + erf(x / √2)) · 0.5, becomes one
// exact tsr.gelu and the web's ops disappear.
// CHECK-LABEL: func.func @torch_div
//  CHECK-SAME:   (%[[X:.+]]: tensor<2x4xf32>)
//   CHECK-NOT:   tsr.unary
//   CHECK-NOT:   tsr.mul
//       CHECK:   %[[G:.+]] = tsr.gelu %[[X]] : tensor<2x4xf32>
//  CHECK-NEXT:   return %[[G]]
func.func @torch_div(%x: tensor<2x4xf32>) -> tensor<2x4xf32> {
  %sqrt2 = tsr.constant dense<1.4142135> : tensor<f32>
  %one = tsr.constant dense<1.0> : tensor<f32>
  %half = tsr.constant dense<0.5> : tensor<f32>
  %0 = tsr.div %x, %sqrt2 : tensor<2x4xf32>, tensor<f32> -> tensor<2x4xf32>
  %1 = tsr.unary erf %0 : tensor<2x4xf32>
  %2 = tsr.add %1, %one : tensor<2x4xf32>, tensor<f32> -> tensor<2x4xf32>
  %3 = tsr.mul %x, %2 : tensor<2x4xf32>, tensor<2x4xf32> -> tensor<2x4xf32>
  %4 = tsr.mul %3, %half : tensor<2x4xf32>, tensor<f32> -> tensor<2x4xf32>
  return %4 : tensor<2x4xf32>
}

// -----

// Tests that erf(x · 1/√2) is recognized as well as erf(x / √2).
// CHECK-LABEL: func.func @mul_by_rsqrt2
//  CHECK-SAME:   (%[[X:.+]]: tensor<2x4xf32>)
//       CHECK:   %[[G:.+]] = tsr.gelu %[[X]]
//  CHECK-NEXT:   return %[[G]]
func.func @mul_by_rsqrt2(%x: tensor<2x4xf32>) -> tensor<2x4xf32> {
  %rsqrt2 = tsr.constant dense<0.70710678> : tensor<f32>
  %one = tsr.constant dense<1.0> : tensor<f32>
  %half = tsr.constant dense<0.5> : tensor<f32>
  %0 = tsr.mul %x, %rsqrt2 : tensor<2x4xf32>, tensor<f32> -> tensor<2x4xf32>
  %1 = tsr.unary erf %0 : tensor<2x4xf32>
  %2 = tsr.add %1, %one : tensor<2x4xf32>, tensor<f32> -> tensor<2x4xf32>
  %3 = tsr.mul %x, %2 : tensor<2x4xf32>, tensor<2x4xf32> -> tensor<2x4xf32>
  %4 = tsr.mul %3, %half : tensor<2x4xf32>, tensor<f32> -> tensor<2x4xf32>
  return %4 : tensor<2x4xf32>
}

// -----

// Tests the grouping that applies 0.5 first: (x · 0.5) · (1 + erf(x / √2)).
// CHECK-LABEL: func.func @half_first
//  CHECK-SAME:   (%[[X:.+]]: tensor<2x4xf32>)
//       CHECK:   %[[G:.+]] = tsr.gelu %[[X]]
//  CHECK-NEXT:   return %[[G]]
func.func @half_first(%x: tensor<2x4xf32>) -> tensor<2x4xf32> {
  %sqrt2 = tsr.constant dense<1.4142135> : tensor<f32>
  %one = tsr.constant dense<1.0> : tensor<f32>
  %half = tsr.constant dense<0.5> : tensor<f32>
  %0 = tsr.mul %x, %half : tensor<2x4xf32>, tensor<f32> -> tensor<2x4xf32>
  %1 = tsr.div %x, %sqrt2 : tensor<2x4xf32>, tensor<f32> -> tensor<2x4xf32>
  %2 = tsr.unary erf %1 : tensor<2x4xf32>
  %3 = tsr.add %2, %one : tensor<2x4xf32>, tensor<f32> -> tensor<2x4xf32>
  %4 = tsr.mul %0, %3 : tensor<2x4xf32>, tensor<2x4xf32> -> tensor<2x4xf32>
  return %4 : tensor<2x4xf32>
}

// -----

// Tests the grouping x · ((1 + erf(x / √2)) · 0.5).
// CHECK-LABEL: func.func @half_on_erf
//  CHECK-SAME:   (%[[X:.+]]: tensor<2x4xf32>)
//       CHECK:   %[[G:.+]] = tsr.gelu %[[X]]
//  CHECK-NEXT:   return %[[G]]
func.func @half_on_erf(%x: tensor<2x4xf32>) -> tensor<2x4xf32> {
  %sqrt2 = tsr.constant dense<1.4142135> : tensor<f32>
  %one = tsr.constant dense<1.0> : tensor<f32>
  %half = tsr.constant dense<0.5> : tensor<f32>
  %0 = tsr.div %x, %sqrt2 : tensor<2x4xf32>, tensor<f32> -> tensor<2x4xf32>
  %1 = tsr.unary erf %0 : tensor<2x4xf32>
  %2 = tsr.add %1, %one : tensor<2x4xf32>, tensor<f32> -> tensor<2x4xf32>
  %3 = tsr.mul %2, %half : tensor<2x4xf32>, tensor<f32> -> tensor<2x4xf32>
  %4 = tsr.mul %x, %3 : tensor<2x4xf32>, tensor<2x4xf32> -> tensor<2x4xf32>
  return %4 : tensor<2x4xf32>
}

// -----

// Tests that every commutative op may have its operands swapped.
// CHECK-LABEL: func.func @swapped_operands
//  CHECK-SAME:   (%[[X:.+]]: tensor<2x4xf32>)
//       CHECK:   %[[G:.+]] = tsr.gelu %[[X]]
//  CHECK-NEXT:   return %[[G]]
func.func @swapped_operands(%x: tensor<2x4xf32>) -> tensor<2x4xf32> {
  %rsqrt2 = tsr.constant dense<0.70710678> : tensor<f32>
  %one = tsr.constant dense<1.0> : tensor<f32>
  %half = tsr.constant dense<0.5> : tensor<f32>
  %0 = tsr.mul %rsqrt2, %x : tensor<f32>, tensor<2x4xf32> -> tensor<2x4xf32>
  %1 = tsr.unary erf %0 : tensor<2x4xf32>
  %2 = tsr.add %one, %1 : tensor<f32>, tensor<2x4xf32> -> tensor<2x4xf32>
  %3 = tsr.mul %2, %x : tensor<2x4xf32>, tensor<2x4xf32> -> tensor<2x4xf32>
  %4 = tsr.mul %half, %3 : tensor<f32>, tensor<2x4xf32> -> tensor<2x4xf32>
  return %4 : tensor<2x4xf32>
}

// -----

// Tests that a wrong outer factor (0.6 instead of 0.5) is left alone.
// CHECK-LABEL: func.func @wrong_half
//       CHECK:   tsr.unary erf
//   CHECK-NOT:   tsr.gelu
//       CHECK:   return
func.func @wrong_half(%x: tensor<2x4xf32>) -> tensor<2x4xf32> {
  %sqrt2 = tsr.constant dense<1.4142135> : tensor<f32>
  %one = tsr.constant dense<1.0> : tensor<f32>
  %c = tsr.constant dense<0.6> : tensor<f32>
  %0 = tsr.div %x, %sqrt2 : tensor<2x4xf32>, tensor<f32> -> tensor<2x4xf32>
  %1 = tsr.unary erf %0 : tensor<2x4xf32>
  %2 = tsr.add %1, %one : tensor<2x4xf32>, tensor<f32> -> tensor<2x4xf32>
  %3 = tsr.mul %x, %2 : tensor<2x4xf32>, tensor<2x4xf32> -> tensor<2x4xf32>
  %4 = tsr.mul %3, %c : tensor<2x4xf32>, tensor<f32> -> tensor<2x4xf32>
  return %4 : tensor<2x4xf32>
}

// -----

// Tests that erf(x / 2) (not x / √2) and erf(x / 0.7071) (x · √2) are left alone.
// CHECK-LABEL: func.func @div_by_two
//       CHECK:   tsr.unary erf
//   CHECK-NOT:   tsr.gelu
//       CHECK:   return
// CHECK-LABEL: func.func @div_by_rsqrt2
//       CHECK:   tsr.unary erf
//   CHECK-NOT:   tsr.gelu
//       CHECK:   return
func.func @div_by_two(%x: tensor<2x4xf32>) -> tensor<2x4xf32> {
  %two = tsr.constant dense<2.0> : tensor<f32>
  %one = tsr.constant dense<1.0> : tensor<f32>
  %half = tsr.constant dense<0.5> : tensor<f32>
  %0 = tsr.div %x, %two : tensor<2x4xf32>, tensor<f32> -> tensor<2x4xf32>
  %1 = tsr.unary erf %0 : tensor<2x4xf32>
  %2 = tsr.add %1, %one : tensor<2x4xf32>, tensor<f32> -> tensor<2x4xf32>
  %3 = tsr.mul %x, %2 : tensor<2x4xf32>, tensor<2x4xf32> -> tensor<2x4xf32>
  %4 = tsr.mul %3, %half : tensor<2x4xf32>, tensor<f32> -> tensor<2x4xf32>
  return %4 : tensor<2x4xf32>
}
func.func @div_by_rsqrt2(%x: tensor<2x4xf32>) -> tensor<2x4xf32> {
  %c = tsr.constant dense<0.70710678> : tensor<f32>
  %one = tsr.constant dense<1.0> : tensor<f32>
  %half = tsr.constant dense<0.5> : tensor<f32>
  %0 = tsr.div %x, %c : tensor<2x4xf32>, tensor<f32> -> tensor<2x4xf32>
  %1 = tsr.unary erf %0 : tensor<2x4xf32>
  %2 = tsr.add %1, %one : tensor<2x4xf32>, tensor<f32> -> tensor<2x4xf32>
  %3 = tsr.mul %x, %2 : tensor<2x4xf32>, tensor<2x4xf32> -> tensor<2x4xf32>
  %4 = tsr.mul %3, %half : tensor<2x4xf32>, tensor<f32> -> tensor<2x4xf32>
  return %4 : tensor<2x4xf32>
}

// -----

// Tests that 2 + erf (not 1 + erf) is left alone.
// CHECK-LABEL: func.func @wrong_one
//       CHECK:   tsr.unary erf
//   CHECK-NOT:   tsr.gelu
//       CHECK:   return
func.func @wrong_one(%x: tensor<2x4xf32>) -> tensor<2x4xf32> {
  %sqrt2 = tsr.constant dense<1.4142135> : tensor<f32>
  %two = tsr.constant dense<2.0> : tensor<f32>
  %half = tsr.constant dense<0.5> : tensor<f32>
  %0 = tsr.div %x, %sqrt2 : tensor<2x4xf32>, tensor<f32> -> tensor<2x4xf32>
  %1 = tsr.unary erf %0 : tensor<2x4xf32>
  %2 = tsr.add %1, %two : tensor<2x4xf32>, tensor<f32> -> tensor<2x4xf32>
  %3 = tsr.mul %x, %2 : tensor<2x4xf32>, tensor<2x4xf32> -> tensor<2x4xf32>
  %4 = tsr.mul %3, %half : tensor<2x4xf32>, tensor<f32> -> tensor<2x4xf32>
  return %4 : tensor<2x4xf32>
}

// -----

// Tests that y · (1 + erf(x / √2)) · 0.5, erf of a value other than the
// multiplied one, is left alone.
// CHECK-LABEL: func.func @erf_of_other_value
//       CHECK:   tsr.unary erf
//   CHECK-NOT:   tsr.gelu
//       CHECK:   return
func.func @erf_of_other_value(%x: tensor<2x4xf32>, %y: tensor<2x4xf32>) -> tensor<2x4xf32> {
  %sqrt2 = tsr.constant dense<1.4142135> : tensor<f32>
  %one = tsr.constant dense<1.0> : tensor<f32>
  %half = tsr.constant dense<0.5> : tensor<f32>
  %0 = tsr.div %x, %sqrt2 : tensor<2x4xf32>, tensor<f32> -> tensor<2x4xf32>
  %1 = tsr.unary erf %0 : tensor<2x4xf32>
  %2 = tsr.add %1, %one : tensor<2x4xf32>, tensor<f32> -> tensor<2x4xf32>
  %3 = tsr.mul %y, %2 : tensor<2x4xf32>, tensor<2x4xf32> -> tensor<2x4xf32>
  %4 = tsr.mul %3, %half : tensor<2x4xf32>, tensor<f32> -> tensor<2x4xf32>
  return %4 : tensor<2x4xf32>
}

// -----

// Tests that a web whose x is broadcast to a larger result is left alone
// (tsr.gelu keeps its operand's type).
// CHECK-LABEL: func.func @broadcast_x
//       CHECK:   tsr.unary erf
//   CHECK-NOT:   tsr.gelu
//       CHECK:   return
func.func @broadcast_x(%x: tensor<4xf32>) -> tensor<2x4xf32> {
  %sqrt2 = tsr.constant dense<1.4142135> : tensor<f32>
  %one = tsr.constant dense<1.0> : tensor<f32>
  %half = tsr.constant dense<0.5> : tensor<2x4xf32>
  %0 = tsr.div %x, %sqrt2 : tensor<4xf32>, tensor<f32> -> tensor<4xf32>
  %1 = tsr.unary erf %0 : tensor<4xf32>
  %2 = tsr.add %1, %one : tensor<4xf32>, tensor<f32> -> tensor<4xf32>
  %3 = tsr.mul %x, %2 : tensor<4xf32>, tensor<4xf32> -> tensor<4xf32>
  %4 = tsr.mul %3, %half : tensor<4xf32>, tensor<2x4xf32> -> tensor<2x4xf32>
  return %4 : tensor<2x4xf32>
}

// -----

// Tests that the tanh form, x · 0.5 · (1 + tanh(√(2/π) · (x + 0.044715 · x³)))
// with x³ as pow(x, 3), becomes one tsr.gelu with the tanh approximation.
// CHECK-LABEL: func.func @tanh_pow
//  CHECK-SAME:   (%[[X:.+]]: tensor<2x4xf32>)
//   CHECK-NOT:   tsr.pow
//   CHECK-NOT:   tsr.unary
//       CHECK:   %[[G:.+]] = tsr.gelu %[[X]] {approximation = #tsr<gelu_approximation tanh>} : tensor<2x4xf32>
//  CHECK-NEXT:   return %[[G]]
func.func @tanh_pow(%x: tensor<2x4xf32>) -> tensor<2x4xf32> {
  %three = tsr.constant dense<3.0> : tensor<f32>
  %k = tsr.constant dense<0.044715> : tensor<f32>
  %s = tsr.constant dense<0.7978845608> : tensor<f32>
  %one = tsr.constant dense<1.0> : tensor<f32>
  %half = tsr.constant dense<0.5> : tensor<f32>
  %0 = tsr.pow %x, %three : tensor<2x4xf32>, tensor<f32> -> tensor<2x4xf32>
  %1 = tsr.mul %k, %0 : tensor<f32>, tensor<2x4xf32> -> tensor<2x4xf32>
  %2 = tsr.add %x, %1 : tensor<2x4xf32>, tensor<2x4xf32> -> tensor<2x4xf32>
  %3 = tsr.mul %s, %2 : tensor<f32>, tensor<2x4xf32> -> tensor<2x4xf32>
  %4 = tsr.unary tanh %3 : tensor<2x4xf32>
  %5 = tsr.add %4, %one : tensor<2x4xf32>, tensor<f32> -> tensor<2x4xf32>
  %6 = tsr.mul %x, %half : tensor<2x4xf32>, tensor<f32> -> tensor<2x4xf32>
  %7 = tsr.mul %6, %5 : tensor<2x4xf32>, tensor<2x4xf32> -> tensor<2x4xf32>
  return %7 : tensor<2x4xf32>
}

// -----

// Tests the tanh form with x³ as x · (x · x) and the constants on the right.
// CHECK-LABEL: func.func @tanh_x_times_square
//  CHECK-SAME:   (%[[X:.+]]: tensor<2x4xf32>)
//       CHECK:   %[[G:.+]] = tsr.gelu %[[X]] {approximation = #tsr<gelu_approximation tanh>}
//  CHECK-NEXT:   return %[[G]]
func.func @tanh_x_times_square(%x: tensor<2x4xf32>) -> tensor<2x4xf32> {
  %k = tsr.constant dense<0.044715> : tensor<f32>
  %s = tsr.constant dense<0.7978845608> : tensor<f32>
  %one = tsr.constant dense<1.0> : tensor<f32>
  %half = tsr.constant dense<0.5> : tensor<f32>
  %0 = tsr.mul %x, %x : tensor<2x4xf32>, tensor<2x4xf32> -> tensor<2x4xf32>
  %1 = tsr.mul %x, %0 : tensor<2x4xf32>, tensor<2x4xf32> -> tensor<2x4xf32>
  %2 = tsr.mul %1, %k : tensor<2x4xf32>, tensor<f32> -> tensor<2x4xf32>
  %3 = tsr.add %2, %x : tensor<2x4xf32>, tensor<2x4xf32> -> tensor<2x4xf32>
  %4 = tsr.mul %3, %s : tensor<2x4xf32>, tensor<f32> -> tensor<2x4xf32>
  %5 = tsr.unary tanh %4 : tensor<2x4xf32>
  %6 = tsr.add %one, %5 : tensor<f32>, tensor<2x4xf32> -> tensor<2x4xf32>
  %7 = tsr.mul %x, %6 : tensor<2x4xf32>, tensor<2x4xf32> -> tensor<2x4xf32>
  %8 = tsr.mul %7, %half : tensor<2x4xf32>, tensor<f32> -> tensor<2x4xf32>
  return %8 : tensor<2x4xf32>
}

// -----

// Tests the tanh form with x³ as (x · x) · x and 0.5 applied to (1 + tanh).
// CHECK-LABEL: func.func @tanh_square_times_x
//  CHECK-SAME:   (%[[X:.+]]: tensor<2x4xf32>)
//       CHECK:   %[[G:.+]] = tsr.gelu %[[X]] {approximation = #tsr<gelu_approximation tanh>}
//  CHECK-NEXT:   return %[[G]]
func.func @tanh_square_times_x(%x: tensor<2x4xf32>) -> tensor<2x4xf32> {
  %k = tsr.constant dense<0.044715> : tensor<f32>
  %s = tsr.constant dense<0.7978845608> : tensor<f32>
  %one = tsr.constant dense<1.0> : tensor<f32>
  %half = tsr.constant dense<0.5> : tensor<f32>
  %0 = tsr.mul %x, %x : tensor<2x4xf32>, tensor<2x4xf32> -> tensor<2x4xf32>
  %1 = tsr.mul %0, %x : tensor<2x4xf32>, tensor<2x4xf32> -> tensor<2x4xf32>
  %2 = tsr.mul %k, %1 : tensor<f32>, tensor<2x4xf32> -> tensor<2x4xf32>
  %3 = tsr.add %x, %2 : tensor<2x4xf32>, tensor<2x4xf32> -> tensor<2x4xf32>
  %4 = tsr.mul %s, %3 : tensor<f32>, tensor<2x4xf32> -> tensor<2x4xf32>
  %5 = tsr.unary tanh %4 : tensor<2x4xf32>
  %6 = tsr.add %5, %one : tensor<2x4xf32>, tensor<f32> -> tensor<2x4xf32>
  %7 = tsr.mul %6, %half : tensor<2x4xf32>, tensor<f32> -> tensor<2x4xf32>
  %8 = tsr.mul %x, %7 : tensor<2x4xf32>, tensor<2x4xf32> -> tensor<2x4xf32>
  return %8 : tensor<2x4xf32>
}

// -----

// Tests that the tanh form with a wrong cubic coefficient (0.05 instead of
// 0.044715) is left alone.
// CHECK-LABEL: func.func @tanh_wrong_coefficient
//       CHECK:   tsr.unary tanh
//   CHECK-NOT:   tsr.gelu
//       CHECK:   return
func.func @tanh_wrong_coefficient(%x: tensor<2x4xf32>) -> tensor<2x4xf32> {
  %three = tsr.constant dense<3.0> : tensor<f32>
  %k = tsr.constant dense<0.05> : tensor<f32>
  %s = tsr.constant dense<0.7978845608> : tensor<f32>
  %one = tsr.constant dense<1.0> : tensor<f32>
  %half = tsr.constant dense<0.5> : tensor<f32>
  %0 = tsr.pow %x, %three : tensor<2x4xf32>, tensor<f32> -> tensor<2x4xf32>
  %1 = tsr.mul %k, %0 : tensor<f32>, tensor<2x4xf32> -> tensor<2x4xf32>
  %2 = tsr.add %x, %1 : tensor<2x4xf32>, tensor<2x4xf32> -> tensor<2x4xf32>
  %3 = tsr.mul %s, %2 : tensor<f32>, tensor<2x4xf32> -> tensor<2x4xf32>
  %4 = tsr.unary tanh %3 : tensor<2x4xf32>
  %5 = tsr.add %4, %one : tensor<2x4xf32>, tensor<f32> -> tensor<2x4xf32>
  %6 = tsr.mul %x, %half : tensor<2x4xf32>, tensor<f32> -> tensor<2x4xf32>
  %7 = tsr.mul %6, %5 : tensor<2x4xf32>, tensor<2x4xf32> -> tensor<2x4xf32>
  return %7 : tensor<2x4xf32>
}
