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
