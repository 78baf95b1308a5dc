// RUN: tessera-opt %s --split-input-file --tsr-lower-to-linalg --mlir-print-local-scope | FileCheck %s

// Tests that attention becomes q·kᵀ (a contraction reading k transposed), a
// scale, the broadcast mask, the softmax reductions over T, and p·v.
// CHECK-LABEL: func.func @attention_mask
//  CHECK-SAME:   %[[Q:.+]]: tensor<1x2x8x4xf32>, %[[K:.+]]: tensor<1x2x6x4xf32>, %[[V:.+]]: tensor<1x2x6x4xf32>, %[[M:.+]]: tensor<1x1x1x6xf32>
//   CHECK-DAG:   %[[SCALE:.+]] = arith.constant dense<5.000000e-01> : tensor<f32>
//       CHECK:   %[[S:.+]] = linalg.generic
//  CHECK-SAME:     indexing_maps = [affine_map<(d0, d1, d2, d3, d4) -> (d0, d1, d2, d4)>, affine_map<(d0, d1, d2, d3, d4) -> (d0, d1, d3, d4)>, affine_map<(d0, d1, d2, d3, d4) -> (d0, d1, d2, d3)>]
//  CHECK-SAME:     iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]
//  CHECK-SAME:     ins(%[[Q]], %[[K]] : {{.+}}) outs(%{{.+}} : tensor<1x2x8x6xf32>)
//       CHECK:   %[[SS:.+]] = linalg.generic
//  CHECK-SAME:     ins(%[[S]], %[[SCALE]] : tensor<1x2x8x6xf32>, tensor<f32>)
//       CHECK:     arith.mulf
//       CHECK:   %[[SM:.+]] = linalg.generic
//  CHECK-SAME:     indexing_maps = [affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>, affine_map<(d0, d1, d2, d3) -> (d0, 0, 0, d3)>, affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>]
//  CHECK-SAME:     ins(%[[SS]], %[[M]] :
//       CHECK:     arith.addf
//       CHECK:   linalg.generic {{.+}} iterator_types = ["parallel", "parallel", "parallel", "reduction"]{{.*}} ins(%[[SM]] :
//       CHECK:     arith.maximumf
//       CHECK:     math.exp
//       CHECK:   linalg.generic {{.+}} iterator_types = ["parallel", "parallel", "parallel", "reduction"]
//       CHECK:     arith.addf
//       CHECK:   %[[P:.+]] = linalg.generic
//       CHECK:     arith.divf
//       CHECK:   %[[O:.+]] = linalg.generic
//  CHECK-SAME:     indexing_maps = [affine_map<(d0, d1, d2, d3, d4) -> (d0, d1, d2, d4)>, affine_map<(d0, d1, d2, d3, d4) -> (d0, d1, d4, d3)>, affine_map<(d0, d1, d2, d3, d4) -> (d0, d1, d2, d3)>]
//  CHECK-SAME:     ins(%[[P]], %[[V]] : {{.+}}) outs(%{{.+}} : tensor<1x2x8x4xf32>)
//       CHECK:   return %[[O]]
func.func @attention_mask(%q: tensor<1x2x8x4xf32>, %k: tensor<1x2x6x4xf32>, %v: tensor<1x2x6x4xf32>, %m: tensor<1x1x1x6xf32>) -> tensor<1x2x8x4xf32> {
  %0 = tsr.attention %q, %k, %v, mask %m {scale = 0.5 : f32} : (tensor<1x2x8x4xf32>, tensor<1x2x6x4xf32>, tensor<1x2x6x4xf32>, tensor<1x1x1x6xf32>) -> tensor<1x2x8x4xf32>
  return %0 : tensor<1x2x8x4xf32>
}

// -----

// Tests that grouped-query attention repeats each key/value head G times
// (reshape to [B, Hkv, 1, T, D], broadcast to G, reshape to [B, H, T, D]).
// CHECK-LABEL: func.func @attention_grouped_query
//  CHECK-SAME:   %[[Q:.+]]: tensor<1x4x?x4xf32>, %[[K:.+]]: tensor<1x2x?x4xf32>, %[[V:.+]]: tensor<1x2x?x4xf32>
//       CHECK:   %[[T:.+]] = tensor.dim %[[K]], %c2
//       CHECK:   %[[SHAPE5:.+]] = tensor.from_elements %c1, %c2, %c1, %[[T]], %c4 : tensor<5xindex>
//       CHECK:   %[[K5:.+]] = tensor.reshape %[[K]](%[[SHAPE5]]) : (tensor<1x2x?x4xf32>, tensor<5xindex>) -> tensor<1x2x1x?x4xf32>
//       CHECK:   %[[KB:.+]] = linalg.generic
//  CHECK-SAME:     indexing_maps = [affine_map<(d0, d1, d2, d3, d4) -> (d0, d1, 0, d3, d4)>, affine_map<(d0, d1, d2, d3, d4) -> (d0, d1, d2, d3, d4)>]
//  CHECK-SAME:     ins(%[[K5]] : tensor<1x2x1x?x4xf32>) outs(%{{.+}} : tensor<1x2x2x?x4xf32>)
//       CHECK:   %[[SHAPE4:.+]] = tensor.from_elements %c1, %c4, %[[T]], %c4 : tensor<4xindex>
//       CHECK:   %[[KR:.+]] = tensor.reshape %[[KB]](%[[SHAPE4]]) : (tensor<1x2x2x?x4xf32>, tensor<4xindex>) -> tensor<1x4x?x4xf32>
//       CHECK:   tensor.reshape %[[V]]
//       CHECK:   %[[VR:.+]] = tensor.reshape {{.+}} -> tensor<1x4x?x4xf32>
//       CHECK:   linalg.generic {{.+}} ins(%[[Q]], %[[KR]] :
//       CHECK:   linalg.generic {{.+}} ins(%{{.+}}, %[[VR]] :
func.func @attention_grouped_query(%q: tensor<1x4x?x4xf32>, %k: tensor<1x2x?x4xf32>, %v: tensor<1x2x?x4xf32>) -> tensor<1x4x?x4xf32> {
  %0 = tsr.attention %q, %k, %v {scale = 0.5 : f32} : (tensor<1x4x?x4xf32>, tensor<1x2x?x4xf32>, tensor<1x2x?x4xf32>) -> tensor<1x4x?x4xf32>
  return %0 : tensor<1x4x?x4xf32>
}

// -----

// Tests that causal attention hides key j from query i unless
// j <= i + (T - S), by selecting -inf before the softmax.
// CHECK-LABEL: func.func @attention_causal
//   CHECK-DAG:   %[[NEGINF:.+]] = arith.constant 0xFF800000 : f32
//       CHECK:   %[[SCORES:.+]] = linalg.generic {{.+}} ins(%{{.+}}, %{{.+}} : tensor<1x2x?x?xf32>, tensor<f32>)
//       CHECK:   %[[S:.+]] = tensor.dim %[[SCORES]], %c2
//  CHECK-NEXT:   %[[T:.+]] = tensor.dim %[[SCORES]], %c3
//  CHECK-NEXT:   %[[SHIFT:.+]] = arith.subi %[[T]], %[[S]] : index
//       CHECK:   linalg.generic
//  CHECK-SAME:     ins(%[[SCORES]] :
//       CHECK:     ^bb0(%[[X:.+]]: f32, %{{.+}}: f32):
//       CHECK:     %[[I:.+]] = linalg.index 2 : index
//       CHECK:     %[[J:.+]] = linalg.index 3 : index
//       CHECK:     %[[LIMIT:.+]] = arith.addi %[[I]], %[[SHIFT]] : index
//       CHECK:     %[[VISIBLE:.+]] = arith.cmpi sle, %[[J]], %[[LIMIT]] : index
//       CHECK:     %[[R:.+]] = arith.select %[[VISIBLE]], %[[X]], %[[NEGINF]] : f32
//       CHECK:     linalg.yield %[[R]]
//       CHECK:   arith.maximumf
func.func @attention_causal(%q: tensor<1x2x?x4xf32>, %k: tensor<1x2x?x4xf32>, %v: tensor<1x2x?x4xf32>) -> tensor<1x2x?x4xf32> {
  %0 = tsr.attention %q, %k, %v {scale = 0.5 : f32, causal} : (tensor<1x2x?x4xf32>, tensor<1x2x?x4xf32>, tensor<1x2x?x4xf32>) -> tensor<1x2x?x4xf32>
  return %0 : tensor<1x2x?x4xf32>
}

// -----

// Tests that a causal sliding window of 3 also hides key j unless
// p - j < 3, p = i + (T - S).
// CHECK-LABEL: func.func @attention_causal_window
//       CHECK:     %[[I:.+]] = linalg.index 2 : index
//       CHECK:     %[[J:.+]] = linalg.index 3 : index
//       CHECK:     %[[P:.+]] = arith.addi %[[I]], %{{.+}} : index
//       CHECK:     %[[CAUSAL:.+]] = arith.cmpi sle, %[[J]], %[[P]] : index
//       CHECK:     %[[BEHIND:.+]] = arith.subi %[[P]], %[[J]] : index
//       CHECK:     %[[INSIDE:.+]] = arith.cmpi slt, %[[BEHIND]], %c3 : index
//       CHECK:     %[[VISIBLE:.+]] = arith.andi %[[CAUSAL]], %[[INSIDE]] : i1
//       CHECK:     arith.select %[[VISIBLE]]
func.func @attention_causal_window(%q: tensor<1x2x?x4xf32>, %k: tensor<1x2x?x4xf32>, %v: tensor<1x2x?x4xf32>) -> tensor<1x2x?x4xf32> {
  %0 = tsr.attention %q, %k, %v {scale = 0.5 : f32, causal, window = 3 : i64} : (tensor<1x2x?x4xf32>, tensor<1x2x?x4xf32>, tensor<1x2x?x4xf32>) -> tensor<1x2x?x4xf32>
  return %0 : tensor<1x2x?x4xf32>
}

// -----

// Tests that a window without causal is local on both sides: p - j < 2
// and j - p < 2.
// CHECK-LABEL: func.func @attention_local_window
//       CHECK:     %[[P:.+]] = arith.addi %{{.+}}, %{{.+}} : index
//       CHECK:     %[[BEHIND:.+]] = arith.subi %[[P]], %[[J:.+]] : index
//       CHECK:     %[[B:.+]] = arith.cmpi slt, %[[BEHIND]], %c2 : index
//       CHECK:     %[[AHEAD:.+]] = arith.subi %[[J]], %[[P]] : index
//       CHECK:     %[[A:.+]] = arith.cmpi slt, %[[AHEAD]], %c2 : index
//       CHECK:     %[[VISIBLE:.+]] = arith.andi %[[B]], %[[A]] : i1
//       CHECK:     arith.select %[[VISIBLE]]
func.func @attention_local_window(%q: tensor<1x2x?x4xf32>, %k: tensor<1x2x?x4xf32>, %v: tensor<1x2x?x4xf32>) -> tensor<1x2x?x4xf32> {
  %0 = tsr.attention %q, %k, %v {scale = 0.5 : f32, window = 2 : i64} : (tensor<1x2x?x4xf32>, tensor<1x2x?x4xf32>, tensor<1x2x?x4xf32>) -> tensor<1x2x?x4xf32>
  return %0 : tensor<1x2x?x4xf32>
}
