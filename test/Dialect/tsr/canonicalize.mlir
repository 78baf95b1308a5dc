// RUN: tessera-opt %s --split-input-file --canonicalize | FileCheck %s

// Tests that a transpose of a transpose becomes one transpose of the
// original: result dim i is the inner result's dim q[i], which is x's dim
// p[q[i]], so p = [0, 2, 1, 3] then q = [0, 1, 3, 2] give [0, 2, 3, 1] (not
// q∘p = [0, 3, 1, 2]).
// CHECK-LABEL: func.func @transpose_of_transpose
//  CHECK-SAME:   (%[[X:.+]]: tensor<2x3x4x5xf32>)
//  CHECK-NEXT:   %[[T:.+]] = tsr.transpose %[[X]] {permutation = array<i64: 0, 2, 3, 1>} : tensor<2x3x4x5xf32> -> tensor<2x4x5x3xf32>
//  CHECK-NEXT:   return %[[T]]
func.func @transpose_of_transpose(%x: tensor<2x3x4x5xf32>) -> tensor<2x4x5x3xf32> {
  %0 = tsr.transpose %x {permutation = array<i64: 0, 2, 1, 3>} : tensor<2x3x4x5xf32> -> tensor<2x4x3x5xf32>
  %1 = tsr.transpose %0 {permutation = array<i64: 0, 1, 3, 2>} : tensor<2x4x3x5xf32> -> tensor<2x4x5x3xf32>
  return %1 : tensor<2x4x5x3xf32>
}

// -----

// Tests that composing two 3-cycles ([1, 2, 0] twice gives [2, 0, 1]) is
// right where the order of composition matters for every dim.
// CHECK-LABEL: func.func @transpose_cycles
//  CHECK-SAME:   (%[[X:.+]]: tensor<2x3x4xf32>)
//  CHECK-NEXT:   %[[T:.+]] = tsr.transpose %[[X]] {permutation = array<i64: 2, 0, 1>} : tensor<2x3x4xf32> -> tensor<4x2x3xf32>
//  CHECK-NEXT:   return %[[T]]
func.func @transpose_cycles(%x: tensor<2x3x4xf32>) -> tensor<4x2x3xf32> {
  %0 = tsr.transpose %x {permutation = array<i64: 1, 2, 0>} : tensor<2x3x4xf32> -> tensor<3x4x2xf32>
  %1 = tsr.transpose %0 {permutation = array<i64: 1, 2, 0>} : tensor<3x4x2xf32> -> tensor<4x2x3xf32>
  return %1 : tensor<4x2x3xf32>
}

// -----

// Tests that an inner transpose with another user stays for that user while
// the outer one still composes.
// CHECK-LABEL: func.func @transpose_inner_shared
//  CHECK-SAME:   (%[[X:.+]]: tensor<2x3x4xf32>)
//   CHECK-DAG:   %[[A:.+]] = tsr.transpose %[[X]] {permutation = array<i64: 1, 0, 2>} : tensor<2x3x4xf32> -> tensor<3x2x4xf32>
//   CHECK-DAG:   %[[B:.+]] = tsr.transpose %[[X]] {permutation = array<i64: 1, 2, 0>} : tensor<2x3x4xf32> -> tensor<3x4x2xf32>
//       CHECK:   return %[[A]], %[[B]]
func.func @transpose_inner_shared(%x: tensor<2x3x4xf32>) -> (tensor<3x2x4xf32>, tensor<3x4x2xf32>) {
  %0 = tsr.transpose %x {permutation = array<i64: 1, 0, 2>} : tensor<2x3x4xf32> -> tensor<3x2x4xf32>
  %1 = tsr.transpose %0 {permutation = array<i64: 0, 2, 1>} : tensor<3x2x4xf32> -> tensor<3x4x2xf32>
  return %0, %1 : tensor<3x2x4xf32>, tensor<3x4x2xf32>
}

// -----

// Tests that an identity transpose folds away.
// CHECK-LABEL: func.func @identity_transpose
//  CHECK-SAME:   (%[[X:.+]]: tensor<2x?x4xf32>)
//   CHECK-NOT:   tsr.transpose
//       CHECK:   return %[[X]]
func.func @identity_transpose(%x: tensor<2x?x4xf32>) -> tensor<2x?x4xf32> {
  %0 = tsr.transpose %x {permutation = array<i64: 0, 1, 2>} : tensor<2x?x4xf32> -> tensor<2x?x4xf32>
  return %0 : tensor<2x?x4xf32>
}

// -----

// Tests that a transpose and its inverse fold away together.
// CHECK-LABEL: func.func @transpose_inverse
//  CHECK-SAME:   (%[[X:.+]]: tensor<2x3x4xf32>)
//   CHECK-NOT:   tsr.transpose
//       CHECK:   return %[[X]]
func.func @transpose_inverse(%x: tensor<2x3x4xf32>) -> tensor<2x3x4xf32> {
  %0 = tsr.transpose %x {permutation = array<i64: 1, 2, 0>} : tensor<2x3x4xf32> -> tensor<3x4x2xf32>
  %1 = tsr.transpose %0 {permutation = array<i64: 2, 0, 1>} : tensor<3x4x2xf32> -> tensor<2x3x4xf32>
  return %1 : tensor<2x3x4xf32>
}

// -----

// Tests that a static reshape of a reshape becomes one reshape of the original.
// CHECK-LABEL: func.func @reshape_of_reshape
//  CHECK-SAME:   (%[[X:.+]]: tensor<2x3x4xf32>)
//  CHECK-NEXT:   %[[R:.+]] = tsr.reshape %[[X]] : tensor<2x3x4xf32> -> tensor<24xf32>
//  CHECK-NEXT:   return %[[R]]
func.func @reshape_of_reshape(%x: tensor<2x3x4xf32>) -> tensor<24xf32> {
  %0 = tsr.reshape %x : tensor<2x3x4xf32> -> tensor<6x4xf32>
  %1 = tsr.reshape %0 : tensor<6x4xf32> -> tensor<24xf32>
  return %1 : tensor<24xf32>
}

// -----

// Tests that a reshape of a reshape back to the original static type folds
// away entirely.
// CHECK-LABEL: func.func @reshape_round_trip
//  CHECK-SAME:   (%[[X:.+]]: tensor<2x3x4xf32>)
//   CHECK-NOT:   tsr.reshape
//       CHECK:   return %[[X]]
func.func @reshape_round_trip(%x: tensor<2x3x4xf32>) -> tensor<2x3x4xf32> {
  %0 = tsr.reshape %x : tensor<2x3x4xf32> -> tensor<6x4xf32>
  %1 = tsr.reshape %0 : tensor<6x4xf32> -> tensor<2x3x4xf32>
  return %1 : tensor<2x3x4xf32>
}

// -----

// Tests that a reshape to a dynamic shape (which needs its dim operands) is
// not folded into its producer.
// CHECK-LABEL: func.func @reshape_dynamic_outer
//       CHECK:   %[[A:.+]] = tsr.reshape %{{.+}} : tensor<2x3x4xf32> -> tensor<6x4xf32>
//       CHECK:   tsr.reshape %[[A]][%{{.+}}] : tensor<6x4xf32> -> tensor<?x4xf32>
func.func @reshape_dynamic_outer(%x: tensor<2x3x4xf32>, %n: index) -> tensor<?x4xf32> {
  %0 = tsr.reshape %x : tensor<2x3x4xf32> -> tensor<6x4xf32>
  %1 = tsr.reshape %0 [%n] : tensor<6x4xf32> -> tensor<?x4xf32>
  return %1 : tensor<?x4xf32>
}

// -----

// Tests that a cast to the same type folds away and a real cast stays.
// CHECK-LABEL: func.func @cast
//  CHECK-SAME:   (%[[X:.+]]: tensor<2x?xf32>, %[[I:.+]]: tensor<2xi64>)
//       CHECK:   %[[C:.+]] = tsr.cast %[[I]] : tensor<2xi64> to tensor<2xf32>
//   CHECK-NOT:   tsr.cast
//       CHECK:   return %[[X]], %[[C]]
func.func @cast(%x: tensor<2x?xf32>, %i: tensor<2xi64>) -> (tensor<2x?xf32>, tensor<2xf32>) {
  %0 = tsr.cast %x : tensor<2x?xf32> to tensor<2x?xf32>
  %1 = tsr.cast %i : tensor<2xi64> to tensor<2xf32>
  return %0, %1 : tensor<2x?xf32>, tensor<2xf32>
}
