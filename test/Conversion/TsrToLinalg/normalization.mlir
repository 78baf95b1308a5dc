// RUN: tessera-opt %s --split-input-file --tsr-lower-to-linalg --mlir-print-local-scope | FileCheck %s

// Tests that softmax subtracts the row max (a reduction from -inf) before
// exponentiating, then divides by the row sum (a reduction from 0).
// CHECK-LABEL: func.func @softmax
//  CHECK-SAME:   %[[X:.+]]: tensor<2x?x8xf32>
//   CHECK-DAG:   %[[ZERO:.+]] = arith.constant 0.000000e+00 : f32
//   CHECK-DAG:   %[[NEGINF:.+]] = arith.constant 0xFF800000 : f32
//       CHECK:   %[[MAXINIT:.+]] = linalg.fill ins(%[[NEGINF]] : f32) outs(%{{.+}} : tensor<2x?xf32>)
//       CHECK:   %[[MAX:.+]] = linalg.generic
//  CHECK-SAME:     indexing_maps = [affine_map<(d0, d1, d2) -> (d0, d1, d2)>, affine_map<(d0, d1, d2) -> (d0, d1)>]
//  CHECK-SAME:     iterator_types = ["parallel", "parallel", "reduction"]
//  CHECK-SAME:     ins(%[[X]] : tensor<2x?x8xf32>) outs(%[[MAXINIT]] : tensor<2x?xf32>)
//       CHECK:     arith.maximumf
//       CHECK:   %[[EXP:.+]] = linalg.generic
//  CHECK-SAME:     indexing_maps = [affine_map<(d0, d1, d2) -> (d0, d1, d2)>, affine_map<(d0, d1, d2) -> (d0, d1)>, affine_map<(d0, d1, d2) -> (d0, d1, d2)>]
//  CHECK-SAME:     iterator_types = ["parallel", "parallel", "parallel"]
//  CHECK-SAME:     ins(%[[X]], %[[MAX]] :
//       CHECK:     %[[D:.+]] = arith.subf
//       CHECK:     math.exp %[[D]]
//       CHECK:   %[[SUMINIT:.+]] = linalg.fill ins(%[[ZERO]] : f32)
//       CHECK:   %[[SUM:.+]] = linalg.generic
//  CHECK-SAME:     iterator_types = ["parallel", "parallel", "reduction"]
//  CHECK-SAME:     ins(%[[EXP]] : tensor<2x?x8xf32>) outs(%[[SUMINIT]] : tensor<2x?xf32>)
//       CHECK:     arith.addf
//       CHECK:   %[[R:.+]] = linalg.generic
//  CHECK-SAME:     ins(%[[EXP]], %[[SUM]] :
//       CHECK:     arith.divf
//       CHECK:   return %[[R]]
func.func @softmax(%x: tensor<2x?x8xf32>) -> tensor<2x?x8xf32> {
  %0 = tsr.softmax %x {axis = 2 : i64} : tensor<2x?x8xf32>
  return %0 : tensor<2x?x8xf32>
}

// -----

// Tests that softmax over a middle axis reduces that axis only.
// CHECK-LABEL: func.func @softmax_middle_axis
//       CHECK:   linalg.generic
//  CHECK-SAME:     indexing_maps = [affine_map<(d0, d1, d2) -> (d0, d1, d2)>, affine_map<(d0, d1, d2) -> (d0, d2)>]
//  CHECK-SAME:     iterator_types = ["parallel", "reduction", "parallel"]
func.func @softmax_middle_axis(%x: tensor<2x4x8xf32>) -> tensor<2x4x8xf32> {
  %0 = tsr.softmax %x {axis = 1 : i64} : tensor<2x4x8xf32>
  return %0 : tensor<2x4x8xf32>
}

// -----

// Tests that layer_norm adds the residual first, computes the mean, then the
// variance around the mean (two passes), and normalizes with rsqrt(var + eps),
// scale and bias in one final generic whose parameters map to the trailing dims.
// CHECK-LABEL: func.func @layer_norm
//  CHECK-SAME:   %[[X:.+]]: tensor<2x?x8xf32>, %[[G:.+]]: tensor<8xf32>, %[[B:.+]]: tensor<8xf32>, %[[RES:.+]]: tensor<2x?x8xf32>
//   CHECK-DAG:   %[[N:.+]] = arith.constant 8.000000e+00 : f32
//   CHECK-DAG:   %[[EPS:.+]] = arith.constant 9.99999974E-6 : f32
//       CHECK:   %[[SUMX:.+]] = linalg.generic {{.+}} ins(%[[X]], %[[RES]] :
//       CHECK:     arith.addf
//       CHECK:   %[[SUM:.+]] = linalg.generic {{.+}} iterator_types = ["parallel", "parallel", "reduction"]{{.*}} ins(%[[SUMX]] :
//       CHECK:   %[[MEAN:.+]] = linalg.generic {{.+}} ins(%[[SUM]] :
//       CHECK:     arith.divf %{{.+}}, %[[N]]
//       CHECK:   %[[SQ:.+]] = linalg.generic
//  CHECK-SAME:     iterator_types = ["parallel", "parallel", "reduction"]
//  CHECK-SAME:     ins(%[[SUMX]], %[[MEAN]] :
//       CHECK:     %[[DEV:.+]] = arith.subf
//       CHECK:     arith.mulf %[[DEV]], %[[DEV]]
//       CHECK:   %[[R:.+]] = linalg.generic
//  CHECK-SAME:     indexing_maps = [affine_map<(d0, d1, d2) -> (d0, d1, d2)>, affine_map<(d0, d1, d2) -> (d0, d1)>, affine_map<(d0, d1, d2) -> (d0, d1)>, affine_map<(d0, d1, d2) -> (d2)>, affine_map<(d0, d1, d2) -> (d2)>, affine_map<(d0, d1, d2) -> (d0, d1, d2)>]
//  CHECK-SAME:     ins(%[[SUMX]], %[[MEAN]], %[[SQ]], %[[G]], %[[B]] :
//       CHECK:     %[[VAR:.+]] = arith.divf %{{.+}}, %[[N]]
//       CHECK:     %[[VE:.+]] = arith.addf %[[VAR]], %[[EPS]]
//       CHECK:     math.rsqrt %[[VE]]
//       CHECK:   return %[[R]]
func.func @layer_norm(%x: tensor<2x?x8xf32>, %g: tensor<8xf32>, %b: tensor<8xf32>, %r: tensor<2x?x8xf32>) -> tensor<2x?x8xf32> {
  %0 = tsr.layer_norm %x, %g bias %b residual %r {axis = 2 : i64, epsilon = 1.0e-5 : f32} : (tensor<2x?x8xf32>, tensor<8xf32>, tensor<8xf32>, tensor<2x?x8xf32>) -> tensor<2x?x8xf32>
  return %0 : tensor<2x?x8xf32>
}

// -----

// Tests that layer_norm over several trailing dims with a dynamic one counts
// the elements at run time and maps the scale to those dims.
// CHECK-LABEL: func.func @layer_norm_two_axes
//  CHECK-SAME:   %[[X:.+]]: tensor<2x?x8xf32>, %[[G:.+]]: tensor<?x8xf32>
//       CHECK:   %[[D:.+]] = tensor.dim %[[X]], %c1
//       CHECK:   %[[CNT:.+]] = arith.muli %[[D]], %c8 : index
//       CHECK:   %[[CNTI:.+]] = arith.index_cast %[[CNT]]
//       CHECK:   %[[N:.+]] = arith.sitofp %[[CNTI]]
//       CHECK:   linalg.generic
//  CHECK-SAME:     iterator_types = ["parallel", "reduction", "reduction"]
//       CHECK:   arith.divf %{{.+}}, %[[N]]
//       CHECK:   linalg.generic {indexing_maps = [affine_map<(d0, d1, d2) -> (d0, d1, d2)>, affine_map<(d0, d1, d2) -> (d0)>, affine_map<(d0, d1, d2) -> (d0)>, affine_map<(d0, d1, d2) -> (d1, d2)>, affine_map<(d0, d1, d2) -> (d0, d1, d2)>]
//  CHECK-SAME:     ins(%[[X]], %{{.+}}, %{{.+}}, %[[G]] :
//       CHECK:     math.rsqrt
//       CHECK:     arith.mulf
//       CHECK:     %[[Y:.+]] = arith.mulf
//  CHECK-NEXT:     linalg.yield %[[Y]]
func.func @layer_norm_two_axes(%x: tensor<2x?x8xf32>, %g: tensor<?x8xf32>) -> tensor<2x?x8xf32> {
  %0 = tsr.layer_norm %x, %g {axis = 1 : i64, epsilon = 1.0e-5 : f32} : (tensor<2x?x8xf32>, tensor<?x8xf32>) -> tensor<2x?x8xf32>
  return %0 : tensor<2x?x8xf32>
}

// -----

// Tests that reduce mean sums, divides by the count, and with keep_dims
// reshapes the result back to rank 3 with a dynamic dim.
// CHECK-LABEL: func.func @reduce_mean_keep_dims
//  CHECK-SAME:   %[[X:.+]]: tensor<2x?x8xf32>
//       CHECK:   %[[SUM:.+]] = linalg.generic {{.+}} iterator_types = ["parallel", "parallel", "reduction"]
//       CHECK:     arith.addf
//       CHECK:   %[[MEAN:.+]] = linalg.generic {{.+}} ins(%[[SUM]] :
//       CHECK:     arith.divf
//       CHECK:   %[[D:.+]] = tensor.dim %[[X]], %c1
//       CHECK:   %[[SHAPE:.+]] = tensor.from_elements %c2, %[[D]], %c1 : tensor<3xindex>
//       CHECK:   %[[R:.+]] = tensor.reshape %[[MEAN]](%[[SHAPE]]) : (tensor<2x?xf32>, tensor<3xindex>) -> tensor<2x?x1xf32>
//       CHECK:   return %[[R]]
func.func @reduce_mean_keep_dims(%x: tensor<2x?x8xf32>) -> tensor<2x?x1xf32> {
  %0 = tsr.reduce mean %x {axes = array<i64: 2>, keep_dims} : tensor<2x?x8xf32> -> tensor<2x?x1xf32>
  return %0 : tensor<2x?x1xf32>
}

// -----

// Tests that integer max reduces over non-adjacent axes from the smallest i32.
// CHECK-LABEL: func.func @reduce_max_integer
//       CHECK:   %[[MIN:.+]] = arith.constant -2147483648 : i32
//       CHECK:   linalg.fill ins(%[[MIN]] : i32)
//       CHECK:   linalg.generic
//  CHECK-SAME:     indexing_maps = [affine_map<(d0, d1, d2) -> (d0, d1, d2)>, affine_map<(d0, d1, d2) -> (d1)>]
//  CHECK-SAME:     iterator_types = ["reduction", "parallel", "reduction"]
//       CHECK:     arith.maxsi
func.func @reduce_max_integer(%x: tensor<2x?x8xi32>) -> tensor<?xi32> {
  %0 = tsr.reduce max %x {axes = array<i64: 0, 2>} : tensor<2x?x8xi32> -> tensor<?xi32>
  return %0 : tensor<?xi32>
}

// -----

// Tests the neutral elements of min (+inf) and prod (1).
// CHECK-LABEL: func.func @reduce_min_prod
//   CHECK-DAG:   %[[INF:.+]] = arith.constant 0x7F800000 : f32
//   CHECK-DAG:   %[[ONE:.+]] = arith.constant 1.000000e+00 : f32
//       CHECK:   linalg.fill ins(%[[INF]] : f32)
//       CHECK:     arith.minimumf
//       CHECK:   linalg.fill ins(%[[ONE]] : f32)
//       CHECK:     arith.mulf
func.func @reduce_min_prod(%x: tensor<4x8xf32>) -> (tensor<4xf32>, tensor<4xf32>) {
  %0 = tsr.reduce min %x {axes = array<i64: 1>} : tensor<4x8xf32> -> tensor<4xf32>
  %1 = tsr.reduce prod %x {axes = array<i64: 1>} : tensor<4x8xf32> -> tensor<4xf32>
  return %0, %1 : tensor<4xf32>, tensor<4xf32>
}

// -----

// Tests that cumsum is one generic with an extra reduction dim over the
// source position, which the body keeps where j <= i (inclusive, forward).
// CHECK-LABEL: func.func @cumsum
//  CHECK-SAME:   %[[X:.+]]: tensor<2x?xi32>
//       CHECK:   %[[INIT:.+]] = linalg.fill
//       CHECK:   %[[R:.+]] = linalg.generic
//  CHECK-SAME:     indexing_maps = [affine_map<(d0, d1, d2) -> (d0, d2)>, affine_map<(d0, d1, d2) -> (d0, d1)>]
//  CHECK-SAME:     iterator_types = ["parallel", "parallel", "reduction"]
//  CHECK-SAME:     ins(%[[X]] : tensor<2x?xi32>) outs(%[[INIT]] : tensor<2x?xi32>)
//       CHECK:     %[[I:.+]] = linalg.index 1
//       CHECK:     %[[J:.+]] = linalg.index 2
//       CHECK:     arith.cmpi sle, %[[J]], %[[I]]
//       CHECK:     arith.select
//       CHECK:     arith.addi
//       CHECK:   return %[[R]]
func.func @cumsum(%x: tensor<2x?xi32>) -> tensor<2x?xi32> {
  %0 = tsr.cumsum %x {axis = 1 : i64} : tensor<2x?xi32>
  return %0 : tensor<2x?xi32>
}

// -----

// Tests that exclusive and reverse pick the strict and mirrored predicates.
// CHECK-LABEL: func.func @cumsum_variants
//       CHECK:   linalg.generic
//       CHECK:     arith.cmpi slt
//       CHECK:     arith.addf
//       CHECK:   linalg.generic
//       CHECK:     arith.cmpi sge
//       CHECK:   linalg.generic
//       CHECK:     arith.cmpi sgt
func.func @cumsum_variants(%x: tensor<?xf32>) -> (tensor<?xf32>, tensor<?xf32>, tensor<?xf32>) {
  %0 = tsr.cumsum %x {axis = 0 : i64, exclusive} : tensor<?xf32>
  %1 = tsr.cumsum %x {axis = 0 : i64, reverse} : tensor<?xf32>
  %2 = tsr.cumsum %x {axis = 0 : i64, exclusive, reverse} : tensor<?xf32>
  return %0, %1, %2 : tensor<?xf32>, tensor<?xf32>, tensor<?xf32>
}

// -----

// Tests that rms_norm is one sum-of-squares reduction over the normalized
// dims, then one elementwise pass dividing by sqrt(mean + eps) and scaling.
// CHECK-LABEL: func.func @rms_norm
//  CHECK-SAME:   %[[X:.+]]: tensor<2x?x8xf32>, %[[G:.+]]: tensor<8xf32>
//       CHECK:   %[[SS:.+]] = linalg.generic
//  CHECK-SAME:     iterator_types = ["parallel", "parallel", "reduction"]
//  CHECK-SAME:     ins(%[[X]] : tensor<2x?x8xf32>)
//       CHECK:     arith.mulf
//       CHECK:     arith.addf
//       CHECK:   %[[R:.+]] = linalg.generic
//  CHECK-SAME:     indexing_maps = [affine_map<(d0, d1, d2) -> (d0, d1, d2)>, affine_map<(d0, d1, d2) -> (d0, d1)>, affine_map<(d0, d1, d2) -> (d2)>, affine_map<(d0, d1, d2) -> (d0, d1, d2)>]
//  CHECK-SAME:     ins(%[[X]], %[[SS]], %[[G]] :
//       CHECK:     arith.divf
//       CHECK:     arith.addf
//       CHECK:     math.sqrt
//       CHECK:     arith.divf
//       CHECK:     arith.mulf
//       CHECK:   return %[[R]]
func.func @rms_norm(%x: tensor<2x?x8xf32>, %g: tensor<8xf32>) -> tensor<2x?x8xf32> {
  %0 = tsr.rms_norm %x, %g {axis = 2 : i64, epsilon = 1.0e-6 : f32} : (tensor<2x?x8xf32>, tensor<8xf32>) -> tensor<2x?x8xf32>
  return %0 : tensor<2x?x8xf32>
}
