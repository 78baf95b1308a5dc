// RUN: tessera-opt %s --split-input-file --tsr-fold-attention-masks | FileCheck %s
// RUN: tessera-opt %s --split-input-file --tsr-recompose-attention | FileCheck %s

// Constant band masks (0 inside, finfo.min outside, the same for every
// batch and head) become the attention's causal flag and window.

// CHECK-LABEL: func.func @causal_window
//       CHECK:   tsr.attention %{{[^,]+}}, %{{[^,]+}}, %{{[^,]+}} {causal, scale = 5.000000e-01 : f32, window = 2 : i64}
//   CHECK-NOT:   mask
func.func @causal_window(%q: tensor<1x2x4x8xf32>) -> tensor<1x2x4x8xf32> {
  %m = tsr.constant dense<[[[0.0, -3.40282347E+38, -3.40282347E+38, -3.40282347E+38], [0.0, 0.0, -3.40282347E+38, -3.40282347E+38], [-3.40282347E+38, 0.0, 0.0, -3.40282347E+38], [-3.40282347E+38, -3.40282347E+38, 0.0, 0.0]]]> : tensor<1x4x4xf32>
  %0 = tsr.attention %q, %q, %q, mask %m {scale = 0.5 : f32} : (tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>, tensor<1x4x4xf32>) -> tensor<1x2x4x8xf32>
  return %0 : tensor<1x2x4x8xf32>
}

// -----

// CHECK-LABEL: func.func @local_window
//       CHECK:   tsr.attention %{{[^,]+}}, %{{[^,]+}}, %{{[^,]+}} {scale = 5.000000e-01 : f32, window = 2 : i64}
//   CHECK-NOT:   mask
func.func @local_window(%q: tensor<1x2x4x8xf32>) -> tensor<1x2x4x8xf32> {
  %m = tsr.constant dense<[[[0.0, 0.0, -3.40282347E+38, -3.40282347E+38], [0.0, 0.0, 0.0, -3.40282347E+38], [-3.40282347E+38, 0.0, 0.0, 0.0], [-3.40282347E+38, -3.40282347E+38, 0.0, 0.0]]]> : tensor<1x4x4xf32>
  %0 = tsr.attention %q, %q, %q, mask %m {scale = 0.5 : f32} : (tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>, tensor<1x4x4xf32>) -> tensor<1x2x4x8xf32>
  return %0 : tensor<1x2x4x8xf32>
}

// -----

// CHECK-LABEL: func.func @causal_only
//       CHECK:   tsr.attention %{{[^,]+}}, %{{[^,]+}}, %{{[^,]+}} {causal, scale = 5.000000e-01 : f32}
//   CHECK-NOT:   mask
func.func @causal_only(%q: tensor<1x2x4x8xf32>) -> tensor<1x2x4x8xf32> {
  %m = tsr.constant dense<[[[0.0, -3.40282347E+38, -3.40282347E+38, -3.40282347E+38], [0.0, 0.0, -3.40282347E+38, -3.40282347E+38], [0.0, 0.0, 0.0, -3.40282347E+38], [0.0, 0.0, 0.0, 0.0]]]> : tensor<1x4x4xf32>
  %0 = tsr.attention %q, %q, %q, mask %m {scale = 0.5 : f32} : (tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>, tensor<1x4x4xf32>) -> tensor<1x2x4x8xf32>
  return %0 : tensor<1x2x4x8xf32>
}

// -----

// A mask that is not a band stays a mask.
// CHECK-LABEL: func.func @not_a_band
//       CHECK:   tsr.attention %{{.+}}, mask %{{.+}} {scale = 5.000000e-01 : f32}
func.func @not_a_band(%q: tensor<1x2x4x8xf32>) -> tensor<1x2x4x8xf32> {
  %m = tsr.constant dense<[[[-3.40282347E+38, 0.0, 0.0, -3.40282347E+38], [0.0, 0.0, -3.40282347E+38, 0.0], [0.0, -3.40282347E+38, 0.0, 0.0], [-3.40282347E+38, 0.0, 0.0, -3.40282347E+38]]]> : tensor<1x4x4xf32>
  %0 = tsr.attention %q, %q, %q, mask %m {scale = 0.5 : f32} : (tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>, tensor<1x4x4xf32>) -> tensor<1x2x4x8xf32>
  return %0 : tensor<1x2x4x8xf32>
}

// -----

// An op that has a window already keeps its mask (the two would need to be
// intersected).
// CHECK-LABEL: func.func @window_already
//       CHECK:   tsr.attention %{{.+}}, mask %{{.+}} {causal, scale = 5.000000e-01 : f32, window = 1 : i64}
func.func @window_already(%q: tensor<1x2x2x8xf32>) -> tensor<1x2x2x8xf32> {
  %m = tsr.constant dense<[[[0.0, -3.40282347E+38], [0.0, 0.0]]]> : tensor<1x2x2xf32>
  %0 = tsr.attention %q, %q, %q, mask %m {scale = 0.5 : f32, causal, window = 1 : i64} : (tensor<1x2x2x8xf32>, tensor<1x2x2x8xf32>, tensor<1x2x2x8xf32>, tensor<1x2x2xf32>) -> tensor<1x2x2x8xf32>
  return %0 : tensor<1x2x2x8xf32>
}

// -----

// A causal band over more queries than keys (S = 3, T = 2): the first
// query sees no key; a finite fill gives it the mean of V where the kernel
// would give zeros, so the mask stays.
// CHECK-LABEL: func.func @row_sees_nothing
//       CHECK:   tsr.attention %{{.+}}, mask %{{.+}} {scale = 5.000000e-01 : f32}
func.func @row_sees_nothing(%q: tensor<1x2x3x8xf32>, %k: tensor<1x2x2x8xf32>) -> tensor<1x2x3x8xf32> {
  %m = tsr.constant dense<[[[-3.40282347E+38, -3.40282347E+38], [0.0, -3.40282347E+38], [0.0, 0.0]]]> : tensor<1x3x2xf32>
  %0 = tsr.attention %q, %k, %k, mask %m {scale = 0.5 : f32} : (tensor<1x2x3x8xf32>, tensor<1x2x2x8xf32>, tensor<1x2x2x8xf32>, tensor<1x3x2xf32>) -> tensor<1x2x3x8xf32>
  return %0 : tensor<1x2x3x8xf32>
}
