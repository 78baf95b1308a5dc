// RUN: tessera-opt %s --split-input-file --pass-pipeline='builtin.module(func.func(tsr-cpu-tile-and-distribute{cpu=skylake-avx512}))' | FileCheck %s --check-prefix=AVX512
// RUN: tessera-opt %s --split-input-file --pass-pipeline='builtin.module(func.func(tsr-cpu-tile-and-distribute{cpu=haswell}))' | FileCheck %s --check-prefix=AVX2
// RUN: tessera-opt %s --split-input-file --pass-pipeline='builtin.module(func.func(tsr-cpu-tile-and-distribute{cpu=haswell reassociate-reductions=false}))' | FileCheck %s --check-prefix=ORDERED

// Tests that an elementwise op with a short inner row gets chunks of rows
// sized for 16 iterations of the target's vectors: 32 rows of 8 floats with
// AVX-512, 16 with AVX2, and that smaller AVX2 tiles need more iterations
// before they are worth the thread pool.
#map = affine_map<(d0, d1) -> (d0, d1)>
// AVX512-LABEL: func.func @add_rows
//       AVX512:   scf.forall (%{{.+}}) = (0) to (%{{.+}}) step (32) shared_outs
//       AVX512:     linalg.generic {{.*}}tsr.tile_sizes = array<i64: 32, 0>
//       AVX512:   } {tsr.min_parallel_iterations = 29 : i64, tsr.tile_sizes = array<i64: 32, 0>}
// AVX2-LABEL: func.func @add_rows
//       AVX2:   scf.forall (%{{.+}}) = (0) to (%{{.+}}) step (16) shared_outs
//       AVX2:   } {tsr.min_parallel_iterations = 54 : i64, tsr.tile_sizes = array<i64: 16, 0>}
func.func @add_rows(%a: tensor<?x8xf32>, %b: tensor<?x8xf32>) -> tensor<?x8xf32> {
  %c0 = arith.constant 0 : index
  %d = tensor.dim %a, %c0 : tensor<?x8xf32>
  %e = tensor.empty(%d) : tensor<?x8xf32>
  %r = linalg.generic {indexing_maps = [#map, #map, #map], iterator_types = ["parallel", "parallel"]} ins(%a, %b : tensor<?x8xf32>, tensor<?x8xf32>) outs(%e : tensor<?x8xf32>) {
  ^bb0(%x: f32, %y: f32, %o: f32):
    %s = arith.addf %x, %y : f32
    linalg.yield %s : f32
  } -> tensor<?x8xf32>
  return %r : tensor<?x8xf32>
}

// -----

// Tests that a row reduction (a layer norm's mean) keeps its reduced loop
// whole and distributes single rows of the two leading parallel loops; its
// sum is marked reassoc so that it vectorizes, which makes a row cheaper on
// AVX-512 (28 rows to go parallel) than on AVX2 (25). Kept in order, the
// sum is scalar on any target (11 rows).
#in = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
#out = affine_map<(d0, d1, d2) -> (d0, d1)>
// AVX512-LABEL: func.func @row_sum
//       AVX512:   scf.forall (%{{.+}}, %{{.+}}) in (2, 128)
//       AVX512:     linalg.generic {{.*}}iterator_types = ["parallel", "parallel", "reduction"]{{.*}}tsr.tile_sizes = array<i64: 1, 1, 0>
//       AVX512:       arith.addf %{{.+}}, %{{.+}} fastmath<reassoc> : f32
//       AVX512:   } {tsr.min_parallel_iterations = 28 : i64, tsr.tile_sizes = array<i64: 1, 1, 0>}
// AVX2-LABEL: func.func @row_sum
//       AVX2:   } {tsr.min_parallel_iterations = 25 : i64, tsr.tile_sizes = array<i64: 1, 1, 0>}
// ORDERED-LABEL: func.func @row_sum
//   ORDERED-NOT:   fastmath
//       ORDERED:   } {tsr.min_parallel_iterations = 11 : i64, tsr.tile_sizes = array<i64: 1, 1, 0>}
func.func @row_sum(%a: tensor<2x128x384xf32>, %init: tensor<2x128xf32>) -> tensor<2x128xf32> {
  %r = linalg.generic {indexing_maps = [#in, #out], iterator_types = ["parallel", "parallel", "reduction"]} ins(%a : tensor<2x128x384xf32>) outs(%init : tensor<2x128xf32>) {
  ^bb0(%x: f32, %acc: f32):
    %s = arith.addf %x, %acc : f32
    linalg.yield %s : f32
  } -> tensor<2x128xf32>
  return %r : tensor<2x128xf32>
}

// -----

// Tests that a one-dimensional op is split into chunks of 256 (AVX-512) or
// 128 (AVX2) elements, and that a full reduction is left alone.
#id = affine_map<(d0) -> (d0)>
#scalar = affine_map<(d0) -> ()>
// AVX512-LABEL: func.func @vector_ops
//       AVX512:   scf.forall (%{{.+}}) = (0) to (4096) step (256)
//       AVX512:     linalg.generic {{.*}}tsr.tile_sizes = array<i64: 256>
//   AVX512-NOT:   scf.forall (
//       AVX512:   linalg.generic {indexing_maps = [#{{.+}}, #{{.+}}], iterator_types = ["reduction"]}
//   AVX512-NOT:   tsr.tile_sizes
// AVX2-LABEL: func.func @vector_ops
//       AVX2:   scf.forall (%{{.+}}) = (0) to (4096) step (128)
func.func @vector_ops(%a: tensor<4096xf32>, %s: tensor<f32>) -> (tensor<4096xf32>, tensor<f32>) {
  %e = tensor.empty() : tensor<4096xf32>
  %neg = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]} ins(%a : tensor<4096xf32>) outs(%e : tensor<4096xf32>) {
  ^bb0(%x: f32, %o: f32):
    %n = arith.negf %x : f32
    linalg.yield %n : f32
  } -> tensor<4096xf32>
  %sum = linalg.generic {indexing_maps = [#id, #scalar], iterator_types = ["reduction"]} ins(%a : tensor<4096xf32>) outs(%s : tensor<f32>) {
  ^bb0(%x: f32, %acc: f32):
    %t = arith.addf %x, %acc : f32
    linalg.yield %t : f32
  } -> tensor<f32>
  return %neg, %sum : tensor<4096xf32>, tensor<f32>
}

// -----

// Tests that an op over an empty dim (ONNX's reductions of an empty set) is
// left alone instead of dividing its cost by zero points.
#in0 = affine_map<(d0, d1) -> (d0, d1)>
#out0 = affine_map<(d0, d1) -> (d0)>
// AVX512-LABEL: func.func @empty_reduction
//   AVX512-NOT:   scf.forall
//   AVX512-NOT:   tsr.tile_sizes
// AVX2-LABEL: func.func @empty_reduction
//   AVX2-NOT:   tsr.tile_sizes
func.func @empty_reduction(%a: tensor<3x0xf32>, %init: tensor<3xf32>) -> tensor<3xf32> {
  %r = linalg.generic {indexing_maps = [#in0, #out0], iterator_types = ["parallel", "reduction"]} ins(%a : tensor<3x0xf32>) outs(%init : tensor<3xf32>) {
  ^bb0(%x: f32, %acc: f32):
    %s = arith.addf %x, %acc : f32
    linalg.yield %s : f32
  } -> tensor<3xf32>
  return %r : tensor<3xf32>
}
