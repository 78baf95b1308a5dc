// RUN: tessera-opt %s --tsr-calibration-outputs | FileCheck %s

// Tests that the first entry returns each distinct input of a
// constant-weight linear once (Q and K share theirs), after its own results,
// named __calibration_<j>; each linear records its j. A linear whose weight
// is an argument has nothing to quantize and is not instrumented.
// CHECK-LABEL: func.func @main
//  CHECK-SAME:   -> (tensor<4x16xf32> {tsr.name = "y"}, tensor<4x8xf32> {tsr.name = "__calibration_0"}, tensor<4x16xf32> {tsr.name = "__calibration_1"})
//       CHECK:   %[[Q:.+]] = tsr.linear %arg0, %{{.+}} {tsr.calibration_output = 0 : i64}
//       CHECK:   %[[K:.+]] = tsr.linear %arg0, %{{.+}} {tsr.calibration_output = 0 : i64}
//       CHECK:   %[[S:.+]] = tsr.add %[[Q]], %[[K]]
//       CHECK:   %[[O:.+]] = tsr.linear %[[S]], %{{.+}} {tsr.calibration_output = 1 : i64}
//       CHECK:   %[[D:.+]] = tsr.linear %[[O]], %arg1 :
//       CHECK:   return %[[D]], %arg0, %[[S]]
func.func @main(%x: tensor<4x8xf32>, %wd: tensor<16x16xf32>) -> (tensor<4x16xf32> {tsr.name = "y"}) {
  %wq = tsr.constant dense<0.5> : tensor<16x8xf32>
  %wk = tsr.constant dense<0.25> : tensor<16x8xf32>
  %wo = tsr.constant dense<1.0> : tensor<16x16xf32>
  %q = tsr.linear %x, %wq : (tensor<4x8xf32>, tensor<16x8xf32>) -> tensor<4x16xf32>
  %k = tsr.linear %x, %wk : (tensor<4x8xf32>, tensor<16x8xf32>) -> tensor<4x16xf32>
  %s = tsr.add %q, %k : tensor<4x16xf32>, tensor<4x16xf32> -> tensor<4x16xf32>
  %o = tsr.linear %s, %wo : (tensor<4x16xf32>, tensor<16x16xf32>) -> tensor<4x16xf32>
  %d = tsr.linear %o, %wd : (tensor<4x16xf32>, tensor<16x16xf32>) -> tensor<4x16xf32>
  return %d : tensor<4x16xf32>
}

// Tests that only the first entry is instrumented.
// CHECK-LABEL: func.func @other
//  CHECK-SAME:   -> tensor<4x16xf32>
//   CHECK-NOT:   calibration
func.func @other(%x: tensor<4x8xf32>) -> tensor<4x16xf32> {
  %w = tsr.constant dense<0.5> : tensor<16x8xf32>
  %y = tsr.linear %x, %w : (tensor<4x8xf32>, tensor<16x8xf32>) -> tensor<4x16xf32>
  return %y : tensor<4x16xf32>
}
