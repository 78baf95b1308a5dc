// RUN: tessera-opt %s --split-input-file --tsr-recompose-attention | FileCheck %s

// Webs the pattern rejects must come out untouched: all checks run before
// the pattern creates the transpose for K.

// Tests that a Kᵀ with one head broadcast against Q's four (multi-query),
// given as a transpose of K, is left alone and no transpose is added.
// CHECK-LABEL: func.func @broadcast_heads_transposed_k
//       CHECK:   tsr.transpose
//   CHECK-NOT:   tsr.transpose
//       CHECK:   tsr.softmax
//   CHECK-NOT:   tsr.attention
//       CHECK:   return
func.func @broadcast_heads_transposed_k(%q: tensor<1x4x8x16xf32>, %k: tensor<1x1x8x16xf32>,
                                        %v: tensor<1x1x8x16xf32>) -> tensor<1x4x8x16xf32> {
  %kt = tsr.transpose %k {permutation = array<i64: 0, 1, 3, 2>} : tensor<1x1x8x16xf32> -> tensor<1x1x16x8xf32>
  %0 = tsr.matmul %q, %kt : tensor<1x4x8x16xf32>, tensor<1x1x16x8xf32> -> tensor<1x4x8x8xf32>
  %1 = tsr.softmax %0 {axis = 3 : i64} : tensor<1x4x8x8xf32>
  %2 = tsr.matmul %1, %v : tensor<1x4x8x8xf32>, tensor<1x1x8x16xf32> -> tensor<1x4x8x16xf32>
  return %2 : tensor<1x4x8x16xf32>
}

// -----

// Tests that a Kᵀ argument with Q's four heads but a V with one (the check
// that fails after the transpose is created) is left alone and no transpose
// is added.
// CHECK-LABEL: func.func @broadcast_v_heads
//   CHECK-NOT:   tsr.transpose
//       CHECK:   tsr.softmax
//   CHECK-NOT:   tsr.attention
//       CHECK:   return
func.func @broadcast_v_heads(%q: tensor<1x4x8x16xf32>, %kt: tensor<1x4x16x8xf32>,
                             %v: tensor<1x1x8x16xf32>) -> tensor<1x4x8x16xf32> {
  %0 = tsr.matmul %q, %kt : tensor<1x4x8x16xf32>, tensor<1x4x16x8xf32> -> tensor<1x4x8x8xf32>
  %1 = tsr.softmax %0 {axis = 3 : i64} : tensor<1x4x8x8xf32>
  %2 = tsr.matmul %1, %v : tensor<1x4x8x8xf32>, tensor<1x1x8x16xf32> -> tensor<1x4x8x16xf32>
  return %2 : tensor<1x4x8x16xf32>
}
