// RUN: tessera-opt %s --split-input-file --tsr-recompose-attention | FileCheck %s
// RUN: tessera-opt %s --split-input-file --tsr-recompose-attention --canonicalize | FileCheck %s --check-prefix=CANON

// Tests that the torch/HF web, softmax(Q·Kᵀ / √d + mask) · V with Kᵀ a
// transpose of K's last two dims, becomes one tsr.attention of K with scale
// 1/√d and the mask, and the web's ops disappear.
// CHECK-LABEL: func.func @hf_div_mask
//  CHECK-SAME:   (%[[Q:.+]]: tensor<1x4x8x16xf32>, %[[K:.+]]: tensor<1x4x8x16xf32>, %[[V:.+]]: tensor<1x4x8x16xf32>, %[[M:.+]]: tensor<1x1x1x8xf32>)
//   CHECK-NOT:   tsr.transpose
//   CHECK-NOT:   tsr.matmul
//   CHECK-NOT:   tsr.softmax
//       CHECK:   %[[A:.+]] = tsr.attention %[[Q]], %[[K]], %[[V]], mask %[[M]] {scale = 2.500000e-01 : f32} : (tensor<1x4x8x16xf32>, tensor<1x4x8x16xf32>, tensor<1x4x8x16xf32>, tensor<1x1x1x8xf32>) -> tensor<1x4x8x16xf32>
//  CHECK-NEXT:   return %[[A]]
func.func @hf_div_mask(%q: tensor<1x4x8x16xf32>, %k: tensor<1x4x8x16xf32>,
                       %v: tensor<1x4x8x16xf32>, %m: tensor<1x1x1x8xf32>) -> tensor<1x4x8x16xf32> {
  %sqrtd = tsr.constant dense<4.0> : tensor<f32>
  %kt = tsr.transpose %k {permutation = array<i64: 0, 1, 3, 2>} : tensor<1x4x8x16xf32> -> tensor<1x4x16x8xf32>
  %0 = tsr.matmul %q, %kt : tensor<1x4x8x16xf32>, tensor<1x4x16x8xf32> -> tensor<1x4x8x8xf32>
  %1 = tsr.div %0, %sqrtd : tensor<1x4x8x8xf32>, tensor<f32> -> tensor<1x4x8x8xf32>
  %2 = tsr.add %1, %m : tensor<1x4x8x8xf32>, tensor<1x1x1x8xf32> -> tensor<1x4x8x8xf32>
  %3 = tsr.softmax %2 {axis = 3 : i64} : tensor<1x4x8x8xf32>
  %4 = tsr.matmul %3, %v : tensor<1x4x8x8xf32>, tensor<1x4x8x16xf32> -> tensor<1x4x8x16xf32>
  return %4 : tensor<1x4x8x16xf32>
}

// -----

// Tests that scores multiplied by a constant scale (on either side) give
// that scale as is.
// CHECK-LABEL: func.func @mul_scale
//       CHECK:   %[[A:.+]] = tsr.attention %{{.+}}, %{{.+}}, %{{.+}}, mask %{{.+}} {scale = 1.250000e-01 : f32}
//  CHECK-NEXT:   return %[[A]]
func.func @mul_scale(%q: tensor<2x4x8x16xf32>, %k: tensor<2x4x8x16xf32>,
                     %v: tensor<2x4x8x16xf32>, %m: tensor<2x1x8x8xf32>) -> tensor<2x4x8x16xf32> {
  %scale = tsr.constant dense<0.125> : tensor<f32>
  %kt = tsr.transpose %k {permutation = array<i64: 0, 1, 3, 2>} : tensor<2x4x8x16xf32> -> tensor<2x4x16x8xf32>
  %0 = tsr.matmul %q, %kt : tensor<2x4x8x16xf32>, tensor<2x4x16x8xf32> -> tensor<2x4x8x8xf32>
  %1 = tsr.mul %scale, %0 : tensor<f32>, tensor<2x4x8x8xf32> -> tensor<2x4x8x8xf32>
  %2 = tsr.add %1, %m : tensor<2x4x8x8xf32>, tensor<2x1x8x8xf32> -> tensor<2x4x8x8xf32>
  %3 = tsr.softmax %2 {axis = 3 : i64} : tensor<2x4x8x8xf32>
  %4 = tsr.matmul %3, %v : tensor<2x4x8x8xf32>, tensor<2x4x8x16xf32> -> tensor<2x4x8x16xf32>
  return %4 : tensor<2x4x8x16xf32>
}

// -----

// Tests that unscaled scores without a mask give scale 1 and no mask.
// CHECK-LABEL: func.func @no_scale_no_mask
//  CHECK-SAME:   (%[[Q:.+]]: tensor<1x4x8x16xf32>, %[[K:.+]]: tensor<1x4x8x16xf32>, %[[V:.+]]: tensor<1x4x8x16xf32>)
//       CHECK:   %[[A:.+]] = tsr.attention %[[Q]], %[[K]], %[[V]] {scale = 1.000000e+00 : f32} : (tensor<1x4x8x16xf32>, tensor<1x4x8x16xf32>, tensor<1x4x8x16xf32>) -> tensor<1x4x8x16xf32>
//  CHECK-NEXT:   return %[[A]]
func.func @no_scale_no_mask(%q: tensor<1x4x8x16xf32>, %k: tensor<1x4x8x16xf32>,
                            %v: tensor<1x4x8x16xf32>) -> tensor<1x4x8x16xf32> {
  %kt = tsr.transpose %k {permutation = array<i64: 0, 1, 3, 2>} : tensor<1x4x8x16xf32> -> tensor<1x4x16x8xf32>
  %0 = tsr.matmul %q, %kt : tensor<1x4x8x16xf32>, tensor<1x4x16x8xf32> -> tensor<1x4x8x8xf32>
  %1 = tsr.softmax %0 {axis = 3 : i64} : tensor<1x4x8x8xf32>
  %2 = tsr.matmul %1, %v : tensor<1x4x8x8xf32>, tensor<1x4x8x16xf32> -> tensor<1x4x8x16xf32>
  return %2 : tensor<1x4x8x16xf32>
}

// -----

// Tests that the mask may be the add's left operand.
// CHECK-LABEL: func.func @mask_lhs
//  CHECK-SAME:   %[[M:[^:]+]]: tensor<1x1x1x8xf32>)
//       CHECK:   %[[A:.+]] = tsr.attention %{{.+}}, %{{.+}}, %{{.+}}, mask %[[M]] {scale = 2.500000e-01 : f32}
//  CHECK-NEXT:   return %[[A]]
func.func @mask_lhs(%q: tensor<1x4x8x16xf32>, %k: tensor<1x4x8x16xf32>,
                    %v: tensor<1x4x8x16xf32>, %m: tensor<1x1x1x8xf32>) -> tensor<1x4x8x16xf32> {
  %sqrtd = tsr.constant dense<4.0> : tensor<f32>
  %kt = tsr.transpose %k {permutation = array<i64: 0, 1, 3, 2>} : tensor<1x4x8x16xf32> -> tensor<1x4x16x8xf32>
  %0 = tsr.matmul %q, %kt : tensor<1x4x8x16xf32>, tensor<1x4x16x8xf32> -> tensor<1x4x8x8xf32>
  %1 = tsr.div %0, %sqrtd : tensor<1x4x8x8xf32>, tensor<f32> -> tensor<1x4x8x8xf32>
  %2 = tsr.add %m, %1 : tensor<1x1x1x8xf32>, tensor<1x4x8x8xf32> -> tensor<1x4x8x8xf32>
  %3 = tsr.softmax %2 {axis = 3 : i64} : tensor<1x4x8x8xf32>
  %4 = tsr.matmul %3, %v : tensor<1x4x8x8xf32>, tensor<1x4x8x16xf32> -> tensor<1x4x8x16xf32>
  return %4 : tensor<1x4x8x16xf32>
}

// -----

// Tests that Q·K with transpose_rhs takes K as is, inserting no transpose.
// CHECK-LABEL: func.func @transpose_rhs
//  CHECK-SAME:   (%[[Q:.+]]: tensor<1x4x8x16xf32>, %[[K:.+]]: tensor<1x4x8x16xf32>, %[[V:.+]]: tensor<1x4x8x16xf32>)
//   CHECK-NOT:   tsr.transpose
//       CHECK:   %[[A:.+]] = tsr.attention %[[Q]], %[[K]], %[[V]] {scale = 2.500000e-01 : f32}
//  CHECK-NEXT:   return %[[A]]
func.func @transpose_rhs(%q: tensor<1x4x8x16xf32>, %k: tensor<1x4x8x16xf32>,
                         %v: tensor<1x4x8x16xf32>) -> tensor<1x4x8x16xf32> {
  %sqrtd = tsr.constant dense<4.0> : tensor<f32>
  %0 = tsr.matmul %q, %k {transpose_rhs} : tensor<1x4x8x16xf32>, tensor<1x4x8x16xf32> -> tensor<1x4x8x8xf32>
  %1 = tsr.div %0, %sqrtd : tensor<1x4x8x8xf32>, tensor<f32> -> tensor<1x4x8x8xf32>
  %2 = tsr.softmax %1 {axis = 3 : i64} : tensor<1x4x8x8xf32>
  %3 = tsr.matmul %2, %v : tensor<1x4x8x8xf32>, tensor<1x4x8x16xf32> -> tensor<1x4x8x16xf32>
  return %3 : tensor<1x4x8x16xf32>
}

// -----

// Tests that a Kᵀ [B, H, D, T] that is no transpose gets a transpose of its
// last two dims inserted to give attention its K [B, H, T, D].
// CHECK-LABEL: func.func @kt_argument
//  CHECK-SAME:   (%[[Q:.+]]: tensor<1x4x8x16xf32>, %[[KT:.+]]: tensor<1x4x16x8xf32>, %[[V:.+]]: tensor<1x4x8x16xf32>)
//       CHECK:   %[[K:.+]] = tsr.transpose %[[KT]] {permutation = array<i64: 0, 1, 3, 2>} : tensor<1x4x16x8xf32> -> tensor<1x4x8x16xf32>
//       CHECK:   %[[A:.+]] = tsr.attention %[[Q]], %[[K]], %[[V]] {scale = 2.500000e-01 : f32}
//  CHECK-NEXT:   return %[[A]]
func.func @kt_argument(%q: tensor<1x4x8x16xf32>, %kt: tensor<1x4x16x8xf32>,
                       %v: tensor<1x4x8x16xf32>) -> tensor<1x4x8x16xf32> {
  %sqrtd = tsr.constant dense<4.0> : tensor<f32>
  %0 = tsr.matmul %q, %kt : tensor<1x4x8x16xf32>, tensor<1x4x16x8xf32> -> tensor<1x4x8x8xf32>
  %1 = tsr.div %0, %sqrtd : tensor<1x4x8x8xf32>, tensor<f32> -> tensor<1x4x8x8xf32>
  %2 = tsr.softmax %1 {axis = 3 : i64} : tensor<1x4x8x8xf32>
  %3 = tsr.matmul %2, %v : tensor<1x4x8x8xf32>, tensor<1x4x8x16xf32> -> tensor<1x4x8x16xf32>
  return %3 : tensor<1x4x8x16xf32>
}

// -----

// Tests that a Kᵀ made by transpose [0, 2, 3, 1] of a [B, S, H, D] key,
// followed by the inserted [0, 1, 3, 2], folds into one transpose [0, 2, 1, 3].
// CHECK-LABEL: func.func @kt_from_bshd
//       CHECK:   tsr.attention
// CANON-LABEL: func.func @kt_from_bshd
//  CANON-SAME:   (%[[Q:.+]]: tensor<1x4x8x16xf32>, %[[K:.+]]: tensor<1x8x4x16xf32>, %[[V:.+]]: tensor<1x4x8x16xf32>)
//       CANON:   %[[T:.+]] = tsr.transpose %[[K]] {permutation = array<i64: 0, 2, 1, 3>} : tensor<1x8x4x16xf32> -> tensor<1x4x8x16xf32>
//   CANON-NOT:   tsr.transpose
//       CANON:   %[[A:.+]] = tsr.attention %[[Q]], %[[T]], %[[V]] {scale = 2.500000e-01 : f32}
//  CANON-NEXT:   return %[[A]]
func.func @kt_from_bshd(%q: tensor<1x4x8x16xf32>, %k: tensor<1x8x4x16xf32>,
                        %v: tensor<1x4x8x16xf32>) -> tensor<1x4x8x16xf32> {
  %sqrtd = tsr.constant dense<4.0> : tensor<f32>
  %kt = tsr.transpose %k {permutation = array<i64: 0, 2, 3, 1>} : tensor<1x8x4x16xf32> -> tensor<1x4x16x8xf32>
  %0 = tsr.matmul %q, %kt : tensor<1x4x8x16xf32>, tensor<1x4x16x8xf32> -> tensor<1x4x8x8xf32>
  %1 = tsr.div %0, %sqrtd : tensor<1x4x8x8xf32>, tensor<f32> -> tensor<1x4x8x8xf32>
  %2 = tsr.softmax %1 {axis = 3 : i64} : tensor<1x4x8x8xf32>
  %3 = tsr.matmul %2, %v : tensor<1x4x8x8xf32>, tensor<1x4x8x16xf32> -> tensor<1x4x8x16xf32>
  return %3 : tensor<1x4x8x16xf32>
}

// -----

// Tests that a softmax over another axis than the last is left alone.
// CHECK-LABEL: func.func @softmax_axis_2
//       CHECK:   tsr.softmax %{{.+}} {axis = 2 : i64}
//   CHECK-NOT:   tsr.attention
//       CHECK:   return
func.func @softmax_axis_2(%q: tensor<1x4x8x16xf32>, %k: tensor<1x4x8x16xf32>,
                          %v: tensor<1x4x8x16xf32>) -> tensor<1x4x8x16xf32> {
  %kt = tsr.transpose %k {permutation = array<i64: 0, 1, 3, 2>} : tensor<1x4x8x16xf32> -> tensor<1x4x16x8xf32>
  %0 = tsr.matmul %q, %kt : tensor<1x4x8x16xf32>, tensor<1x4x16x8xf32> -> tensor<1x4x8x8xf32>
  %1 = tsr.softmax %0 {axis = 2 : i64} : tensor<1x4x8x8xf32>
  %2 = tsr.matmul %1, %v : tensor<1x4x8x8xf32>, tensor<1x4x8x16xf32> -> tensor<1x4x8x16xf32>
  return %2 : tensor<1x4x8x16xf32>
}

// -----

// Tests that a softmax whose probabilities are also returned is left alone.
// CHECK-LABEL: func.func @softmax_two_uses
//       CHECK:   tsr.softmax
//   CHECK-NOT:   tsr.attention
//       CHECK:   return
func.func @softmax_two_uses(%q: tensor<1x4x8x16xf32>, %k: tensor<1x4x8x16xf32>,
                            %v: tensor<1x4x8x16xf32>) -> (tensor<1x4x8x16xf32>, tensor<1x4x8x8xf32>) {
  %kt = tsr.transpose %k {permutation = array<i64: 0, 1, 3, 2>} : tensor<1x4x8x16xf32> -> tensor<1x4x16x8xf32>
  %0 = tsr.matmul %q, %kt : tensor<1x4x8x16xf32>, tensor<1x4x16x8xf32> -> tensor<1x4x8x8xf32>
  %1 = tsr.softmax %0 {axis = 3 : i64} : tensor<1x4x8x8xf32>
  %2 = tsr.matmul %1, %v : tensor<1x4x8x8xf32>, tensor<1x4x8x16xf32> -> tensor<1x4x8x16xf32>
  return %2, %1 : tensor<1x4x8x16xf32>, tensor<1x4x8x8xf32>
}

// -----

// Tests that scores divided by a value that is not a constant are left alone.
// CHECK-LABEL: func.func @non_constant_scale
//       CHECK:   tsr.div
//       CHECK:   tsr.softmax
//   CHECK-NOT:   tsr.attention
//       CHECK:   return
func.func @non_constant_scale(%q: tensor<1x4x8x16xf32>, %k: tensor<1x4x8x16xf32>,
                              %v: tensor<1x4x8x16xf32>, %c: tensor<f32>) -> tensor<1x4x8x16xf32> {
  %kt = tsr.transpose %k {permutation = array<i64: 0, 1, 3, 2>} : tensor<1x4x8x16xf32> -> tensor<1x4x16x8xf32>
  %0 = tsr.matmul %q, %kt : tensor<1x4x8x16xf32>, tensor<1x4x16x8xf32> -> tensor<1x4x8x8xf32>
  %1 = tsr.div %0, %c : tensor<1x4x8x8xf32>, tensor<f32> -> tensor<1x4x8x8xf32>
  %2 = tsr.softmax %1 {axis = 3 : i64} : tensor<1x4x8x8xf32>
  %3 = tsr.matmul %2, %v : tensor<1x4x8x8xf32>, tensor<1x4x8x16xf32> -> tensor<1x4x8x16xf32>
  return %3 : tensor<1x4x8x16xf32>
}

// -----

// Tests that rank-3 (head-less) attention is left alone.
// CHECK-LABEL: func.func @rank_3
//       CHECK:   tsr.softmax
//   CHECK-NOT:   tsr.attention
//       CHECK:   return
func.func @rank_3(%q: tensor<4x8x16xf32>, %k: tensor<4x8x16xf32>,
                  %v: tensor<4x8x16xf32>) -> tensor<4x8x16xf32> {
  %kt = tsr.transpose %k {permutation = array<i64: 0, 2, 1>} : tensor<4x8x16xf32> -> tensor<4x16x8xf32>
  %0 = tsr.matmul %q, %kt : tensor<4x8x16xf32>, tensor<4x16x8xf32> -> tensor<4x8x8xf32>
  %1 = tsr.softmax %0 {axis = 2 : i64} : tensor<4x8x8xf32>
  %2 = tsr.matmul %1, %v : tensor<4x8x8xf32>, tensor<4x8x16xf32> -> tensor<4x8x16xf32>
  return %2 : tensor<4x8x16xf32>
}

// -----

// Tests that a K and V with one head broadcast against Q's four (multi-query)
// are left alone. (The same web with Kᵀ not given through transpose_rhs
// makes the pass fail: see recompose-attention-broadcast-heads.mlir.)
// CHECK-LABEL: func.func @broadcast_heads
//   CHECK-NOT:   tsr.transpose
//       CHECK:   tsr.matmul %{{.+}}, %{{.+}} {transpose_rhs}
//       CHECK:   tsr.softmax
//   CHECK-NOT:   tsr.attention
//       CHECK:   return
func.func @broadcast_heads(%q: tensor<1x4x8x16xf32>, %k: tensor<1x1x8x16xf32>,
                           %v: tensor<1x1x8x16xf32>) -> tensor<1x4x8x16xf32> {
  %0 = tsr.matmul %q, %k {transpose_rhs} : tensor<1x4x8x16xf32>, tensor<1x1x8x16xf32> -> tensor<1x4x8x8xf32>
  %1 = tsr.softmax %0 {axis = 3 : i64} : tensor<1x4x8x8xf32>
  %2 = tsr.matmul %1, %v : tensor<1x4x8x8xf32>, tensor<1x1x8x16xf32> -> tensor<1x4x8x16xf32>
  return %2 : tensor<1x4x8x16xf32>
}

// -----

// Tests that GPT-2's causal mask, a Where on a lower-triangular boolean
// constant with a very negative fill, becomes `causal` on the attention.
// CHECK-LABEL: func.func @where_causal
//       CHECK:   tsr.attention %{{.+}}, %{{.+}}, %{{.+}}, mask %{{.+}} {causal, scale = 5.000000e-01 : f32}
//   CHECK-NOT:   tsr.select
func.func @where_causal(%q: tensor<1x2x3x4xf32>, %kt: tensor<1x2x4x3xf32>, %v: tensor<1x2x3x4xf32>, %m: tensor<1x1x1x3xf32>) -> tensor<1x2x3x4xf32> {
  %tril = tsr.constant dense<[[[[true, false, false], [true, true, false], [true, true, true]]]]> : tensor<1x1x3x3xi1>
  %min = tsr.constant dense<-3.40282347E+38> : tensor<f32>
  %two = tsr.constant dense<2.0> : tensor<f32>
  %s = tsr.matmul %q, %kt : tensor<1x2x3x4xf32>, tensor<1x2x4x3xf32> -> tensor<1x2x3x3xf32>
  %d = tsr.div %s, %two : tensor<1x2x3x3xf32>, tensor<f32> -> tensor<1x2x3x3xf32>
  %w = tsr.select %tril, %d, %min : tensor<1x1x3x3xi1>, tensor<1x2x3x3xf32>, tensor<f32> -> tensor<1x2x3x3xf32>
  %a = tsr.add %w, %m : tensor<1x2x3x3xf32>, tensor<1x1x1x3xf32> -> tensor<1x2x3x3xf32>
  %p = tsr.softmax %a {axis = 3 : i64} : tensor<1x2x3x3xf32>
  %o = tsr.matmul %p, %v : tensor<1x2x3x3xf32>, tensor<1x2x3x4xf32> -> tensor<1x2x3x4xf32>
  return %o : tensor<1x2x3x4xf32>
}

// -----

// Tests that the causal mask of a step with a KV cache (GPT-2 with past:
// rows [T - S, T) of the lower-triangular buffer, then columns [0, T), as
// two slices) becomes `causal`: here S = 2 queries over T = 3 keys.
// CHECK-LABEL: func.func @where_causal_past
//       CHECK:   tsr.attention %{{.+}}, %{{.+}}, %{{.+}} {causal, scale = 1.000000e+00 : f32}
//   CHECK-NOT:   tsr.select
func.func @where_causal_past(%q: tensor<1x2x2x4xf32>, %kt: tensor<1x2x4x3xf32>, %v: tensor<1x2x3x4xf32>) -> tensor<1x2x2x4xf32> {
  %tril = tsr.constant dense<[[[[true, false, false, false], [true, true, false, false], [true, true, true, false], [true, true, true, true]]]]> : tensor<1x1x4x4xi1>
  %rows = tsr.slice %tril offsets [] sizes [] {static_offsets = array<i64: 0, 0, 1, 0>, steps = array<i64: 1, 1, 1, 1>} : tensor<1x1x4x4xi1> -> tensor<1x1x2x4xi1>
  %cond = tsr.slice %rows offsets [] sizes [] {static_offsets = array<i64: 0, 0, 0, 0>, steps = array<i64: 1, 1, 1, 1>} : tensor<1x1x2x4xi1> -> tensor<1x1x2x3xi1>
  %min = tsr.constant dense<-3.40282347E+38> : tensor<f32>
  %s = tsr.matmul %q, %kt : tensor<1x2x2x4xf32>, tensor<1x2x4x3xf32> -> tensor<1x2x2x3xf32>
  %w = tsr.select %cond, %s, %min : tensor<1x1x2x3xi1>, tensor<1x2x2x3xf32>, tensor<f32> -> tensor<1x2x2x3xf32>
  %p = tsr.softmax %w {axis = 3 : i64} : tensor<1x2x2x3xf32>
  %o = tsr.matmul %p, %v : tensor<1x2x2x3xf32>, tensor<1x2x3x4xf32> -> tensor<1x2x2x4xf32>
  return %o : tensor<1x2x2x4xf32>
}

// -----

// Tests that the same two slices one row too far down (query i sees key
// i + 2 of 3) are not causal: the select stays.
// CHECK-LABEL: func.func @where_causal_past_wrong_offset
//       CHECK:   tsr.select
//   CHECK-NOT:   tsr.attention
func.func @where_causal_past_wrong_offset(%q: tensor<1x2x2x4xf32>, %kt: tensor<1x2x4x3xf32>, %v: tensor<1x2x3x4xf32>) -> tensor<1x2x2x4xf32> {
  %tril = tsr.constant dense<[[[[true, false, false, false], [true, true, false, false], [true, true, true, false], [true, true, true, true]]]]> : tensor<1x1x4x4xi1>
  %rows = tsr.slice %tril offsets [] sizes [] {static_offsets = array<i64: 0, 0, 2, 0>, steps = array<i64: 1, 1, 1, 1>} : tensor<1x1x4x4xi1> -> tensor<1x1x2x4xi1>
  %cond = tsr.slice %rows offsets [] sizes [] {static_offsets = array<i64: 0, 0, 0, 0>, steps = array<i64: 1, 1, 1, 1>} : tensor<1x1x2x4xi1> -> tensor<1x1x2x3xi1>
  %min = tsr.constant dense<-3.40282347E+38> : tensor<f32>
  %s = tsr.matmul %q, %kt : tensor<1x2x2x4xf32>, tensor<1x2x4x3xf32> -> tensor<1x2x2x3xf32>
  %w = tsr.select %cond, %s, %min : tensor<1x1x2x3xi1>, tensor<1x2x2x3xf32>, tensor<f32> -> tensor<1x2x2x3xf32>
  %p = tsr.softmax %w {axis = 3 : i64} : tensor<1x2x2x3xf32>
  %o = tsr.matmul %p, %v : tensor<1x2x2x3xf32>, tensor<1x2x3x4xf32> -> tensor<1x2x2x4xf32>
  return %o : tensor<1x2x2x4xf32>
}

// -----

// Tests that a Where whose constant is not causal (one hidden key below the
// diagonal) is left alone: the select stays, no attention is formed.
// CHECK-LABEL: func.func @where_not_causal
//       CHECK:   tsr.select
//   CHECK-NOT:   tsr.attention
func.func @where_not_causal(%q: tensor<1x2x3x4xf32>, %kt: tensor<1x2x4x3xf32>, %v: tensor<1x2x3x4xf32>) -> tensor<1x2x3x4xf32> {
  %tril = tsr.constant dense<[[[[true, false, false], [false, true, false], [true, true, true]]]]> : tensor<1x1x3x3xi1>
  %min = tsr.constant dense<-3.40282347E+38> : tensor<f32>
  %s = tsr.matmul %q, %kt : tensor<1x2x3x4xf32>, tensor<1x2x4x3xf32> -> tensor<1x2x3x3xf32>
  %w = tsr.select %tril, %s, %min : tensor<1x1x3x3xi1>, tensor<1x2x3x3xf32>, tensor<f32> -> tensor<1x2x3x3xf32>
  %p = tsr.softmax %w {axis = 3 : i64} : tensor<1x2x3x3xf32>
  %o = tsr.matmul %p, %v : tensor<1x2x3x3xf32>, tensor<1x2x3x4xf32> -> tensor<1x2x3x4xf32>
  return %o : tensor<1x2x3x4xf32>
}

// -----

// Tests that Hugging Face's repeat_kv (Unsqueeze, Expand, Reshape of the 2
// kv heads to the 4 query heads, dims read off the kv tensor) is peeled:
// the attention reads the 2 kv heads in place (grouped-query attention).
// CHECK-LABEL: func.func @gqa_repeat_kv
//  CHECK-SAME:   %[[Q:[^:]+]]: tensor<1x4x?x8xf32>, %[[K:[^:]+]]: tensor<1x2x?x8xf32>, %[[V:[^:]+]]: tensor<1x2x?x8xf32>
//       CHECK:   %[[O:.+]] = tsr.attention %[[Q]], %[[K]], %[[V]] {scale = 5.000000e-01 : f32} : (tensor<1x4x?x8xf32>, tensor<1x2x?x8xf32>, tensor<1x2x?x8xf32>) -> tensor<1x4x?x8xf32>
//       CHECK:   return %[[O]]
func.func @gqa_repeat_kv(%q: tensor<1x4x?x8xf32>, %k: tensor<1x2x?x8xf32>, %v: tensor<1x2x?x8xf32>) -> tensor<1x4x?x8xf32> {
  %c2 = arith.constant 2 : index
  %two = tsr.constant dense<2.0> : tensor<f32>
  %tk = tensor.dim %k, %c2 : tensor<1x2x?x8xf32>
  %k5 = tsr.reshape %k[%tk] : tensor<1x2x?x8xf32> -> tensor<1x2x1x?x8xf32>
  %kb = tsr.broadcast %k5[%tk] : tensor<1x2x1x?x8xf32> -> tensor<1x2x2x?x8xf32>
  %kr = tsr.reshape %kb[%tk] : tensor<1x2x2x?x8xf32> -> tensor<1x4x?x8xf32>
  %tv = tensor.dim %v, %c2 : tensor<1x2x?x8xf32>
  %v5 = tsr.reshape %v[%tv] : tensor<1x2x?x8xf32> -> tensor<1x2x1x?x8xf32>
  %vb = tsr.broadcast %v5[%tv] : tensor<1x2x1x?x8xf32> -> tensor<1x2x2x?x8xf32>
  %vr = tsr.reshape %vb[%tv] : tensor<1x2x2x?x8xf32> -> tensor<1x4x?x8xf32>
  %kt = tsr.transpose %kr {permutation = array<i64: 0, 1, 3, 2>} : tensor<1x4x?x8xf32> -> tensor<1x4x8x?xf32>
  %s = tsr.matmul %q, %kt : tensor<1x4x?x8xf32>, tensor<1x4x8x?xf32> -> tensor<1x4x?x?xf32>
  %d = tsr.div %s, %two : tensor<1x4x?x?xf32>, tensor<f32> -> tensor<1x4x?x?xf32>
  %p = tsr.softmax %d {axis = 3 : i64} : tensor<1x4x?x?xf32>
  %o = tsr.matmul %p, %vr : tensor<1x4x?x?xf32>, tensor<1x4x?x8xf32> -> tensor<1x4x?x8xf32>
  return %o : tensor<1x4x?x8xf32>
}

// -----

// Tests that a "repeat" whose key length comes from another tensor (the
// reshape could mix dims) is not peeled: the attention takes the 4-head
// tensors as they are.
// CHECK-LABEL: func.func @gqa_foreign_dim
//       CHECK:   tsr.attention %{{.+}}, %{{.+}}, %{{.+}} {scale = 5.000000e-01 : f32} : (tensor<1x4x?x8xf32>, tensor<1x4x?x8xf32>, tensor<1x4x?x8xf32>) -> tensor<1x4x?x8xf32>
func.func @gqa_foreign_dim(%q: tensor<1x4x?x8xf32>, %k: tensor<1x2x?x8xf32>, %v: tensor<1x2x?x8xf32>, %other: tensor<?xf32>) -> tensor<1x4x?x8xf32> {
  %c0 = arith.constant 0 : index
  %c2 = arith.constant 2 : index
  %two = tsr.constant dense<2.0> : tensor<f32>
  %t = tensor.dim %other, %c0 : tensor<?xf32>
  %k5 = tsr.reshape %k[%t] : tensor<1x2x?x8xf32> -> tensor<1x2x1x?x8xf32>
  %kb = tsr.broadcast %k5[%t] : tensor<1x2x1x?x8xf32> -> tensor<1x2x2x?x8xf32>
  %kr = tsr.reshape %kb[%t] : tensor<1x2x2x?x8xf32> -> tensor<1x4x?x8xf32>
  %v5 = tsr.reshape %v[%t] : tensor<1x2x?x8xf32> -> tensor<1x2x1x?x8xf32>
  %vb = tsr.broadcast %v5[%t] : tensor<1x2x1x?x8xf32> -> tensor<1x2x2x?x8xf32>
  %vr = tsr.reshape %vb[%t] : tensor<1x2x2x?x8xf32> -> tensor<1x4x?x8xf32>
  %kt = tsr.transpose %kr {permutation = array<i64: 0, 1, 3, 2>} : tensor<1x4x?x8xf32> -> tensor<1x4x8x?xf32>
  %s = tsr.matmul %q, %kt : tensor<1x4x?x8xf32>, tensor<1x4x8x?xf32> -> tensor<1x4x?x?xf32>
  %d = tsr.div %s, %two : tensor<1x4x?x?xf32>, tensor<f32> -> tensor<1x4x?x?xf32>
  %p = tsr.softmax %d {axis = 3 : i64} : tensor<1x4x?x?xf32>
  %o = tsr.matmul %p, %vr : tensor<1x4x?x?xf32>, tensor<1x4x?x8xf32> -> tensor<1x4x?x8xf32>
  return %o : tensor<1x4x?x8xf32>
}

// -----

// Tests DistilBERT's attention: the scale on q before Q·Kᵀ, and the padding
// mask as masked_fill, Where(expand(mask == 0), finfo.min, scores), whose
// expand reads the scores' dims. The fill becomes the additive mask
// where(mask, min, 0) on the unexpanded [B, 1, 1, T] condition.
// CHECK-LABEL: func.func @masked_fill_scaled_q
//  CHECK-SAME:   %[[Q:[^:]+]]: tensor<?x2x?x4xf32>, %[[KT:[^:]+]]: tensor<?x2x4x?xf32>, %[[V:[^:]+]]: tensor<?x2x?x4xf32>, %[[C:[^:]+]]: tensor<?x1x1x?xi1>
//   CHECK-DAG:   %[[MIN:.+]] = tsr.constant dense<-3.40282347E+38> : tensor<f32>
//   CHECK-DAG:   %[[ZERO:.+]] = tsr.constant dense<0.000000e+00> : tensor<f32>
//       CHECK:   %[[M:.+]] = tsr.select %[[C]], %[[MIN]], %[[ZERO]] : tensor<?x1x1x?xi1>, tensor<f32>, tensor<f32> -> tensor<?x1x1x?xf32>
//       CHECK:   tsr.attention %[[Q]], %{{.+}}, %[[V]], mask %[[M]] {scale = 5.000000e-01 : f32}
//   CHECK-NOT:   tsr.softmax
func.func @masked_fill_scaled_q(%q: tensor<?x2x?x4xf32>, %kt: tensor<?x2x4x?xf32>, %v: tensor<?x2x?x4xf32>, %c: tensor<?x1x1x?xi1>) -> tensor<?x2x?x4xf32> {
  %c0 = arith.constant 0 : index
  %c2 = arith.constant 2 : index
  %c3 = arith.constant 3 : index
  %two = tsr.constant dense<2.0> : tensor<f32>
  %min = tsr.constant dense<-3.40282347E+38> : tensor<f32>
  %qs = tsr.div %q, %two : tensor<?x2x?x4xf32>, tensor<f32> -> tensor<?x2x?x4xf32>
  %s = tsr.matmul %qs, %kt : tensor<?x2x?x4xf32>, tensor<?x2x4x?xf32> -> tensor<?x2x?x?xf32>
  %b = tensor.dim %s, %c0 : tensor<?x2x?x?xf32>
  %i = tensor.dim %s, %c2 : tensor<?x2x?x?xf32>
  %j = tensor.dim %s, %c3 : tensor<?x2x?x?xf32>
  %ce = tsr.broadcast %c[%b, %i, %j] : tensor<?x1x1x?xi1> -> tensor<?x2x?x?xi1>
  %w = tsr.select %ce, %min, %s : tensor<?x2x?x?xi1>, tensor<f32>, tensor<?x2x?x?xf32> -> tensor<?x2x?x?xf32>
  %p = tsr.softmax %w {axis = 3 : i64} : tensor<?x2x?x?xf32>
  %o = tsr.matmul %p, %v : tensor<?x2x?x?xf32>, tensor<?x2x?x4xf32> -> tensor<?x2x?x4xf32>
  return %o : tensor<?x2x?x4xf32>
}

// -----

// Tests that a masked_fill with a fill that is not very negative (a real
// value, not a mask) is left alone.
// CHECK-LABEL: func.func @masked_fill_not_a_mask
//       CHECK:   tsr.select
//       CHECK:   tsr.softmax
//   CHECK-NOT:   tsr.attention
func.func @masked_fill_not_a_mask(%q: tensor<1x2x3x4xf32>, %kt: tensor<1x2x4x3xf32>, %v: tensor<1x2x3x4xf32>, %c: tensor<1x1x1x3xi1>) -> tensor<1x2x3x4xf32> {
  %fill = tsr.constant dense<-1.0> : tensor<f32>
  %s = tsr.matmul %q, %kt : tensor<1x2x3x4xf32>, tensor<1x2x4x3xf32> -> tensor<1x2x3x3xf32>
  %w = tsr.select %c, %fill, %s : tensor<1x1x1x3xi1>, tensor<f32>, tensor<1x2x3x3xf32> -> tensor<1x2x3x3xf32>
  %p = tsr.softmax %w {axis = 3 : i64} : tensor<1x2x3x3xf32>
  %o = tsr.matmul %p, %v : tensor<1x2x3x3xf32>, tensor<1x2x3x4xf32> -> tensor<1x2x3x4xf32>
  return %o : tensor<1x2x3x4xf32>
}

// -----

// Tests GPT-2 with a KV cache and symbolic lengths: the causal buffer's rows
// are sliced at the run-time offset min(T - S, 8), with T the key length
// (dim 2 of the concatenated keys) and S the query length; it becomes
// `causal`.
// CHECK-LABEL: func.func @causal_runtime_offset
//       CHECK:   tsr.attention %{{.+}}, %{{.+}}, %{{.+}} {causal, scale = 1.000000e+00 : f32}
//   CHECK-NOT:   tsr.select
func.func @causal_runtime_offset(%q: tensor<1x2x?x4xf32>, %k: tensor<1x2x?x4xf32>, %v: tensor<1x2x?x4xf32>) -> tensor<1x2x?x4xf32> {
  %c2 = arith.constant 2 : index
  %c8 = arith.constant 8 : index
  %tril = tsr.constant dense<[[[[true, false, false, false, false, false, false, false], [true, true, false, false, false, false, false, false], [true, true, true, false, false, false, false, false], [true, true, true, true, false, false, false, false], [true, true, true, true, true, false, false, false], [true, true, true, true, true, true, false, false], [true, true, true, true, true, true, true, false], [true, true, true, true, true, true, true, true]]]]> : tensor<1x1x8x8xi1>
  %min = tsr.constant dense<-3.40282347E+38> : tensor<f32>
  %kt = tsr.transpose %k {permutation = array<i64: 0, 1, 3, 2>} : tensor<1x2x?x4xf32> -> tensor<1x2x4x?xf32>
  %s = tsr.matmul %q, %kt : tensor<1x2x?x4xf32>, tensor<1x2x4x?xf32> -> tensor<1x2x?x?xf32>
  %sl = tensor.dim %q, %c2 : tensor<1x2x?x4xf32>
  %tl = tensor.dim %k, %c2 : tensor<1x2x?x4xf32>
  %d = arith.subi %tl, %sl : index
  %off = arith.minsi %d, %c8 : index
  %rows = tsr.slice %tril offsets [%off] sizes [%sl] {static_offsets = array<i64: 0, 0, -9223372036854775808, 0>, steps = array<i64: 1, 1, 1, 1>} : tensor<1x1x8x8xi1> -> tensor<1x1x?x8xi1>
  %cond = tsr.slice %rows offsets [] sizes [%sl, %tl] {static_offsets = array<i64: 0, 0, 0, 0>, steps = array<i64: 1, 1, 1, 1>} : tensor<1x1x?x8xi1> -> tensor<1x1x?x?xi1>
  %w = tsr.select %cond, %s, %min : tensor<1x1x?x?xi1>, tensor<1x2x?x?xf32>, tensor<f32> -> tensor<1x2x?x?xf32>
  %p = tsr.softmax %w {axis = 3 : i64} : tensor<1x2x?x?xf32>
  %o = tsr.matmul %p, %v : tensor<1x2x?x?xf32>, tensor<1x2x?x4xf32> -> tensor<1x2x?x4xf32>
  return %o : tensor<1x2x?x4xf32>
}

// -----

// Tests that a run-time row offset that is not key length - query length
// (here the query length itself) is not taken as causal.
// CHECK-LABEL: func.func @causal_runtime_wrong_offset
//       CHECK:   tsr.select
//   CHECK-NOT:   tsr.attention
func.func @causal_runtime_wrong_offset(%q: tensor<1x2x?x4xf32>, %k: tensor<1x2x?x4xf32>, %v: tensor<1x2x?x4xf32>) -> tensor<1x2x?x4xf32> {
  %c2 = arith.constant 2 : index
  %tril = tsr.constant dense<[[[[true, false, false, false], [true, true, false, false], [true, true, true, false], [true, true, true, true]]]]> : tensor<1x1x4x4xi1>
  %min = tsr.constant dense<-3.40282347E+38> : tensor<f32>
  %kt = tsr.transpose %k {permutation = array<i64: 0, 1, 3, 2>} : tensor<1x2x?x4xf32> -> tensor<1x2x4x?xf32>
  %s = tsr.matmul %q, %kt : tensor<1x2x?x4xf32>, tensor<1x2x4x?xf32> -> tensor<1x2x?x?xf32>
  %sl = tensor.dim %q, %c2 : tensor<1x2x?x4xf32>
  %tl = tensor.dim %k, %c2 : tensor<1x2x?x4xf32>
  %rows = tsr.slice %tril offsets [%sl] sizes [%sl] {static_offsets = array<i64: 0, 0, -9223372036854775808, 0>, steps = array<i64: 1, 1, 1, 1>} : tensor<1x1x4x4xi1> -> tensor<1x1x?x4xi1>
  %cond = tsr.slice %rows offsets [] sizes [%sl, %tl] {static_offsets = array<i64: 0, 0, 0, 0>, steps = array<i64: 1, 1, 1, 1>} : tensor<1x1x?x4xi1> -> tensor<1x1x?x?xi1>
  %w = tsr.select %cond, %s, %min : tensor<1x1x?x?xi1>, tensor<1x2x?x?xf32>, tensor<f32> -> tensor<1x2x?x?xf32>
  %p = tsr.softmax %w {axis = 3 : i64} : tensor<1x2x?x?xf32>
  %o = tsr.matmul %p, %v : tensor<1x2x?x?xf32>, tensor<1x2x?x4xf32> -> tensor<1x2x?x4xf32>
  return %o : tensor<1x2x?x4xf32>
}

// -----

// Tests BART's attention with the heads folded into the batch: [B·H, N, D]
// views of Q, K and V, two bmm's, the scores viewed as [B, H, S, T] to add
// the mask. It becomes tsr.attention on the [B, H, N, D] tensors, viewed
// back as [B·H, S, D] for the consumer.
// CHECK-LABEL: func.func @folded_heads
//  CHECK-SAME:   %[[Q:[^:]+]]: tensor<2x4x3x8xf32>, %[[K:[^:]+]]: tensor<2x4x5x8xf32>, %[[V:[^:]+]]: tensor<2x4x5x8xf32>, %[[M:[^:]+]]: tensor<2x1x3x5xf32>
//       CHECK:   %[[O:.+]] = tsr.attention %[[Q]], %[[K]], %[[V]], mask %[[M]] {scale = 1.000000e+00 : f32} : {{.+}} -> tensor<2x4x3x8xf32>
//       CHECK:   %[[R:.+]] = tsr.reshape %[[O]] : tensor<2x4x3x8xf32> -> tensor<8x3x8xf32>
//       CHECK:   return %[[R]]
func.func @folded_heads(%q: tensor<2x4x3x8xf32>, %k: tensor<2x4x5x8xf32>, %v: tensor<2x4x5x8xf32>, %m: tensor<2x1x3x5xf32>) -> tensor<8x3x8xf32> {
  %q3 = tsr.reshape %q : tensor<2x4x3x8xf32> -> tensor<8x3x8xf32>
  %k3 = tsr.reshape %k : tensor<2x4x5x8xf32> -> tensor<8x5x8xf32>
  %v3 = tsr.reshape %v : tensor<2x4x5x8xf32> -> tensor<8x5x8xf32>
  %kt = tsr.transpose %k3 {permutation = array<i64: 0, 2, 1>} : tensor<8x5x8xf32> -> tensor<8x8x5xf32>
  %s = tsr.matmul %q3, %kt : tensor<8x3x8xf32>, tensor<8x8x5xf32> -> tensor<8x3x5xf32>
  %s4 = tsr.reshape %s : tensor<8x3x5xf32> -> tensor<2x4x3x5xf32>
  %a = tsr.add %s4, %m : tensor<2x4x3x5xf32>, tensor<2x1x3x5xf32> -> tensor<2x4x3x5xf32>
  %a3 = tsr.reshape %a : tensor<2x4x3x5xf32> -> tensor<8x3x5xf32>
  %p = tsr.softmax %a3 {axis = 2 : i64} : tensor<8x3x5xf32>
  %o = tsr.matmul %p, %v3 : tensor<8x3x5xf32>, tensor<8x5x8xf32> -> tensor<8x3x8xf32>
  return %o : tensor<8x3x8xf32>
}

// -----

// Tests that a bmm attention whose V is not a head view of a [B, H, N, D]
// tensor (a plain [B·H, T, D] argument) is left alone.
// CHECK-LABEL: func.func @folded_heads_plain_v
//       CHECK:   tsr.softmax
//   CHECK-NOT:   tsr.attention
func.func @folded_heads_plain_v(%q: tensor<2x4x3x8xf32>, %k: tensor<2x4x5x8xf32>, %v3: tensor<8x5x8xf32>) -> tensor<8x3x8xf32> {
  %q3 = tsr.reshape %q : tensor<2x4x3x8xf32> -> tensor<8x3x8xf32>
  %k3 = tsr.reshape %k : tensor<2x4x5x8xf32> -> tensor<8x5x8xf32>
  %kt = tsr.transpose %k3 {permutation = array<i64: 0, 2, 1>} : tensor<8x5x8xf32> -> tensor<8x8x5xf32>
  %s = tsr.matmul %q3, %kt : tensor<8x3x8xf32>, tensor<8x8x5xf32> -> tensor<8x3x5xf32>
  %p = tsr.softmax %s {axis = 2 : i64} : tensor<8x3x5xf32>
  %o = tsr.matmul %p, %v3 : tensor<8x3x5xf32>, tensor<8x5x8xf32> -> tensor<8x3x8xf32>
  return %o : tensor<8x3x8xf32>
}

// -----

// Tests the folded-heads form with dynamic batch and lengths (BART exported
// with dynamic axes): the views' sizes are the index values the head split
// was made with (B·4 as a muli, the lengths as the same values), so the
// views provably fold the heads; the result view is sized off the attention.
// CHECK-LABEL: func.func @folded_heads_dynamic
//  CHECK-SAME:   %[[X:[^:]+]]: tensor<?x?x32xf32>, %[[B:[^:]+]]: index, %[[N:[^:]+]]: index
//       CHECK:   %[[Q:.+]] = tsr.transpose
//       CHECK:   %[[O:.+]] = tsr.attention %[[Q]], %[[Q]], %[[Q]] {scale = 1.000000e+00 : f32} : {{.+}} -> tensor<?x4x?x8xf32>
//       CHECK:   %[[D0:.+]] = tensor.dim %[[O]], %c0
//       CHECK:   %[[BH:.+]] = arith.muli %[[D0]], %c4
//       CHECK:   %[[D2:.+]] = tensor.dim %[[O]], %c2
//       CHECK:   tsr.reshape %[[O]][%[[BH]], %[[D2]]] : tensor<?x4x?x8xf32> -> tensor<?x?x8xf32>
func.func @folded_heads_dynamic(%x: tensor<?x?x32xf32>, %b: index, %n: index) -> tensor<?x?x8xf32> {
  %c4 = arith.constant 4 : index
  %bh = arith.muli %b, %c4 : index
  %x4 = tsr.reshape %x[%b, %n] : tensor<?x?x32xf32> -> tensor<?x?x4x8xf32>
  %q = tsr.transpose %x4 {permutation = array<i64: 0, 2, 1, 3>} : tensor<?x?x4x8xf32> -> tensor<?x4x?x8xf32>
  %q3 = tsr.reshape %q[%bh, %n] : tensor<?x4x?x8xf32> -> tensor<?x?x8xf32>
  %kt = tsr.transpose %q3 {permutation = array<i64: 0, 2, 1>} : tensor<?x?x8xf32> -> tensor<?x8x?xf32>
  %s = tsr.matmul %q3, %kt : tensor<?x?x8xf32>, tensor<?x8x?xf32> -> tensor<?x?x?xf32>
  %p = tsr.softmax %s {axis = 2 : i64} : tensor<?x?x?xf32>
  %o = tsr.matmul %p, %q3 : tensor<?x?x?xf32>, tensor<?x?x8xf32> -> tensor<?x?x8xf32>
  return %o : tensor<?x?x8xf32>
}

// -----

// Tests that a [B·H, N, D] view whose first size is not provably B·4 (here
// an unrelated index) is not taken as a head fold: left alone.
// CHECK-LABEL: func.func @folded_heads_unproven
//       CHECK:   tsr.softmax
//   CHECK-NOT:   tsr.attention
func.func @folded_heads_unproven(%x: tensor<?x?x32xf32>, %b: index, %n: index, %m: index) -> tensor<?x?x8xf32> {
  %x4 = tsr.reshape %x[%b, %n] : tensor<?x?x32xf32> -> tensor<?x?x4x8xf32>
  %q = tsr.transpose %x4 {permutation = array<i64: 0, 2, 1, 3>} : tensor<?x?x4x8xf32> -> tensor<?x4x?x8xf32>
  %q3 = tsr.reshape %q[%m, %n] : tensor<?x4x?x8xf32> -> tensor<?x?x8xf32>
  %kt = tsr.transpose %q3 {permutation = array<i64: 0, 2, 1>} : tensor<?x?x8xf32> -> tensor<?x8x?xf32>
  %s = tsr.matmul %q3, %kt : tensor<?x?x8xf32>, tensor<?x8x?xf32> -> tensor<?x?x?xf32>
  %p = tsr.softmax %s {axis = 2 : i64} : tensor<?x?x?xf32>
  %o = tsr.matmul %p, %q3 : tensor<?x?x?xf32>, tensor<?x?x8xf32> -> tensor<?x?x8xf32>
  return %o : tensor<?x?x8xf32>
}
