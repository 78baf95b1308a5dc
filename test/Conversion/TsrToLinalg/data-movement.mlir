// RUN: tessera-opt %s --split-input-file --tsr-lower-to-linalg --mlir-print-local-scope | FileCheck %s

// Tests that gather iterates over the result, reads the index through the
// indices' map, wraps negative indices, clamps to [0, size - 1], and loads
// the row with tensor.extract.
// CHECK-LABEL: func.func @gather_axis0
//  CHECK-SAME:   %[[T:.+]]: tensor<10x4xf32>, %[[I:.+]]: tensor<2x?xi64>
//   CHECK-DAG:   %[[C0:.+]] = arith.constant 0 : index
//   CHECK-DAG:   %[[C9:.+]] = arith.constant 9 : index
//   CHECK-DAG:   %[[C10:.+]] = arith.constant 10 : index
//       CHECK:   %[[D:.+]] = tensor.dim %[[I]], %c1
//       CHECK:   %[[E:.+]] = tensor.empty(%[[D]]) : tensor<2x?x4xf32>
//       CHECK:   linalg.generic
//  CHECK-SAME:     indexing_maps = [affine_map<(d0, d1, d2) -> (d0, d1)>, affine_map<(d0, d1, d2) -> (d0, d1, d2)>]
//  CHECK-SAME:     iterator_types = ["parallel", "parallel", "parallel"]
//  CHECK-SAME:     ins(%[[I]] : tensor<2x?xi64>) outs(%[[E]] : tensor<2x?x4xf32>)
//       CHECK:     ^bb0(%[[IN:.+]]: i64, %{{.+}}: f32):
//       CHECK:     %[[IDX:.+]] = arith.index_cast %[[IN]] : i64 to index
//       CHECK:     %[[NEG:.+]] = arith.cmpi slt, %[[IDX]], %[[C0]]
//       CHECK:     %[[WRAP:.+]] = arith.addi %[[IDX]], %[[C10]]
//       CHECK:     %[[SEL:.+]] = arith.select %[[NEG]], %[[WRAP]], %[[IDX]]
//       CHECK:     %[[LO:.+]] = arith.maxsi %[[SEL]], %[[C0]]
//       CHECK:     %[[HI:.+]] = arith.minsi %[[LO]], %[[C9]]
//       CHECK:     %[[COL:.+]] = linalg.index 2 : index
//       CHECK:     %[[V:.+]] = tensor.extract %[[T]][%[[HI]], %[[COL]]] : tensor<10x4xf32>
//       CHECK:     linalg.yield %[[V]]
func.func @gather_axis0(%t: tensor<10x4xf32>, %i: tensor<2x?xi64>) -> tensor<2x?x4xf32> {
  %0 = tsr.gather %t[%i] {axis = 0 : i64} : (tensor<10x4xf32>, tensor<2x?xi64>) -> tensor<2x?x4xf32>
  return %0 : tensor<2x?x4xf32>
}

// -----

// Tests that gather along a dynamic inner axis clamps against the run-time
// size and keeps the outer and inner loops as the other coordinates.
// CHECK-LABEL: func.func @gather_inner_dynamic_axis
//  CHECK-SAME:   %[[T:.+]]: tensor<3x?x5xf32>, %[[I:.+]]: tensor<2xi32>
//       CHECK:   %[[SIZE:.+]] = tensor.dim %[[T]], %c1
//       CHECK:   linalg.generic
//  CHECK-SAME:     indexing_maps = [affine_map<(d0, d1, d2) -> (d1)>, affine_map<(d0, d1, d2) -> (d0, d1, d2)>]
//       CHECK:     arith.index_cast %{{.+}} : i32 to index
//       CHECK:     arith.addi %{{.+}}, %[[SIZE]]
//       CHECK:     %[[LAST:.+]] = arith.subi %[[SIZE]], %c1
//       CHECK:     %[[LO:.+]] = arith.maxsi
//       CHECK:     %[[HI:.+]] = arith.minsi %[[LO]], %[[LAST]]
//       CHECK:     %[[B:.+]] = linalg.index 0 : index
//       CHECK:     %[[C:.+]] = linalg.index 2 : index
//       CHECK:     tensor.extract %[[T]][%[[B]], %[[HI]], %[[C]]]
func.func @gather_inner_dynamic_axis(%t: tensor<3x?x5xf32>, %i: tensor<2xi32>) -> tensor<3x2x5xf32> {
  %0 = tsr.gather %t[%i] {axis = 1 : i64} : (tensor<3x?x5xf32>, tensor<2xi32>) -> tensor<3x2x5xf32>
  return %0 : tensor<3x2x5xf32>
}

// -----

// Tests that reshape becomes tensor.reshape with a shape built from the
// dynamic dim operands and the static sizes.
// CHECK-LABEL: func.func @reshape
//  CHECK-SAME:   %[[X:.+]]: tensor<?x?x768xf32>, %[[B:.+]]: index, %[[S:.+]]: index
//       CHECK:   %[[SHAPE:.+]] = tensor.from_elements %[[B]], %[[S]], %c12, %c64 : tensor<4xindex>
//       CHECK:   %[[R:.+]] = tensor.reshape %[[X]](%[[SHAPE]]) : (tensor<?x?x768xf32>, tensor<4xindex>) -> tensor<?x?x12x64xf32>
//       CHECK:   return %[[R]]
func.func @reshape(%x: tensor<?x?x768xf32>, %b: index, %s: index) -> tensor<?x?x12x64xf32> {
  %0 = tsr.reshape %x [%b, %s] : tensor<?x?x768xf32> -> tensor<?x?x12x64xf32>
  return %0 : tensor<?x?x12x64xf32>
}

// -----

// Tests that transpose becomes linalg.transpose into an empty tensor sized
// from the permuted input dims.
// CHECK-LABEL: func.func @transpose
//  CHECK-SAME:   %[[X:.+]]: tensor<1x?x12x64xf32>
//       CHECK:   %[[D:.+]] = tensor.dim %[[X]], %c1
//       CHECK:   %[[E:.+]] = tensor.empty(%[[D]]) : tensor<1x12x?x64xf32>
//       CHECK:   linalg.transpose ins(%[[X]] : tensor<1x?x12x64xf32>) outs(%[[E]] : tensor<1x12x?x64xf32>) permutation = [0, 2, 1, 3]
func.func @transpose(%x: tensor<1x?x12x64xf32>) -> tensor<1x12x?x64xf32> {
  %0 = tsr.transpose %x {permutation = array<i64: 0, 2, 1, 3>} : tensor<1x?x12x64xf32> -> tensor<1x12x?x64xf32>
  return %0 : tensor<1x12x?x64xf32>
}

// -----

// Tests that concat ends up as insert_slices into an empty tensor (the pass
// decomposes tensor.concat), the second one at the first one's size.
// CHECK-LABEL: func.func @concat
//  CHECK-SAME:   %[[A:.+]]: tensor<1x1x8xf32>, %[[B:.+]]: tensor<1x?x8xf32>
//       CHECK:   %[[D:.+]] = tensor.dim %[[B]], %c1
//       CHECK:   tensor.empty
//       CHECK:   %[[S0:.+]] = tensor.insert_slice %[[A]] into %{{.+}}[0, 0, 0] [1, 1, 8] [1, 1, 1]
//       CHECK:   %[[S1:.+]] = tensor.insert_slice %[[B]] into %[[S0]][0, 1, 0] [1, %[[D]], 8] [1, 1, 1]
//       CHECK:   return %[[S1]]
//   CHECK-NOT:   tensor.concat
func.func @concat(%a: tensor<1x1x8xf32>, %b: tensor<1x?x8xf32>) -> tensor<1x?x8xf32> {
  %0 = tsr.concat %a, %b {axis = 1 : i64} : (tensor<1x1x8xf32>, tensor<1x?x8xf32>) -> tensor<1x?x8xf32>
  return %0 : tensor<1x?x8xf32>
}

// -----

// Tests that slice becomes tensor.extract_slice, with dynamic sizes and
// offsets taken from the operands and steps as strides.
// CHECK-LABEL: func.func @slice
//  CHECK-SAME:   %[[P:.+]]: tensor<1x512xi64>, %[[S:.+]]: index, %[[O:.+]]: index
//       CHECK:   tensor.extract_slice %[[P]][0, 0] [1, %[[S]]] [1, 1] : tensor<1x512xi64> to tensor<1x?xi64>
//       CHECK:   tensor.extract_slice %[[P]][0, %[[O]]] [1, 8] [1, 2] : tensor<1x512xi64> to tensor<1x8xi64>
func.func @slice(%pos: tensor<1x512xi64>, %s: index, %o: index) -> (tensor<1x?xi64>, tensor<1x8xi64>) {
  %0 = tsr.slice %pos offsets [] sizes [%s] {static_offsets = array<i64: 0, 0>, steps = array<i64: 1, 1>} : tensor<1x512xi64> -> tensor<1x?xi64>
  %1 = tsr.slice %pos offsets [%o] sizes [] {static_offsets = array<i64: 0, -9223372036854775808>, steps = array<i64: 1, 2>} : tensor<1x512xi64> -> tensor<1x8xi64>
  return %0, %1 : tensor<1x?xi64>, tensor<1x8xi64>
}

// -----

// Tests that broadcast is a copying generic whose size-1 dims read index 0
// and whose dynamic result dim comes from the dim operand.
// CHECK-LABEL: func.func @broadcast
//  CHECK-SAME:   %[[M:.+]]: tensor<1x1x1x8xf32>, %[[N:.+]]: index
//       CHECK:   %[[E:.+]] = tensor.empty(%[[N]]) : tensor<?x4x8x8xf32>
//       CHECK:   linalg.generic
//  CHECK-SAME:     indexing_maps = [affine_map<(d0, d1, d2, d3) -> (0, 0, 0, d3)>, affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>]
//  CHECK-SAME:     ins(%[[M]] : tensor<1x1x1x8xf32>) outs(%[[E]] : tensor<?x4x8x8xf32>)
//       CHECK:     ^bb0(%[[IN:.+]]: f32, %{{.+}}: f32):
//  CHECK-NEXT:     linalg.yield %[[IN]]
func.func @broadcast(%m: tensor<1x1x1x8xf32>, %n: index) -> tensor<?x4x8x8xf32> {
  %0 = tsr.broadcast %m [%n] : tensor<1x1x1x8xf32> -> tensor<?x4x8x8xf32>
  return %0 : tensor<?x4x8x8xf32>
}

// -----

// Tests that broadcast to a higher rank aligns the trailing dims.
// CHECK-LABEL: func.func @broadcast_rank
//       CHECK:   linalg.generic
//  CHECK-SAME:     indexing_maps = [affine_map<(d0, d1, d2) -> (d1, 0)>, affine_map<(d0, d1, d2) -> (d0, d1, d2)>]
func.func @broadcast_rank(%x: tensor<3x1xf32>) -> tensor<2x3x4xf32> {
  %0 = tsr.broadcast %x : tensor<3x1xf32> -> tensor<2x3x4xf32>
  return %0 : tensor<2x3x4xf32>
}
