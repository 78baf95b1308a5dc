// RUN: tessera-opt %s -split-input-file -verify-diagnostics

// One case per error of the tsr verifiers and type inference
// (dialects/tsr/IR/TsrOps.cpp), in the order of that file.

//===----------------------------------------------------------------------===//
// Binary elementwise ops (type inference)
//===----------------------------------------------------------------------===//

// Tests that a binary op rejects operands of different element types.
func.func @binary_element_types(%a: tensor<2x3xf32>, %b: tensor<3xi32>) {
  // expected-error @+2 {{operand element types differ: 'f32' vs 'i32'}}
  // expected-error @+1 {{'tsr.add' op failed to infer returned types}}
  %0 = tsr.add %a, %b : tensor<2x3xf32>, tensor<3xi32> -> tensor<2x3xf32>
  return
}

// -----

// Tests that a binary op rejects shapes that do not broadcast.
func.func @binary_no_broadcast(%a: tensor<2x3xf32>, %b: tensor<4xf32>) {
  // expected-error @+2 {{operand shapes 2x3 and 4 do not broadcast}}
  // expected-error @+1 {{'tsr.mul' op failed to infer returned types}}
  %0 = tsr.mul %a, %b : tensor<2x3xf32>, tensor<4xf32> -> tensor<2x3xf32>
  return
}

// -----

// Tests that a binary op's result must be the broadcast of its operands.
func.func @binary_wrong_result(%a: tensor<2x3xf32>, %b: tensor<3xf32>) {
  // expected-error @+2 {{'tsr.sub' op inferred type(s) 'tensor<2x3xf32>' are incompatible with return type(s) of operation 'tensor<2x4xf32>'}}
  // expected-error @+1 {{'tsr.sub' op failed to infer returned types}}
  %0 = tsr.sub %a, %b : tensor<2x3xf32>, tensor<3xf32> -> tensor<2x4xf32>
  return
}

// -----

//===----------------------------------------------------------------------===//
// Compare, select, unary
//===----------------------------------------------------------------------===//

// Tests that compare rejects operands of different element types.
func.func @compare_element_types(%a: tensor<4xf32>, %b: tensor<4xf16>) {
  // expected-error @+1 {{'tsr.compare' op operand element types differ}}
  %0 = tsr.compare eq, %a, %b : tensor<4xf32>, tensor<4xf16> -> tensor<4xi1>
  return
}

// -----

// Tests that compare rejects operand shapes that do not broadcast.
func.func @compare_no_broadcast(%a: tensor<4xf32>, %b: tensor<3xf32>) {
  // expected-error @+1 {{'tsr.compare' op operand shapes do not broadcast}}
  %0 = tsr.compare lt, %a, %b : tensor<4xf32>, tensor<3xf32> -> tensor<4xi1>
  return
}

// -----

// Tests that compare's result must have the broadcast shape.
func.func @compare_wrong_result(%a: tensor<2x8xi64>, %b: tensor<i64>) {
  // expected-error @+1 {{'tsr.compare' op result shape 2x4 is not the broadcast shape 2x8}}
  %0 = tsr.compare eq, %a, %b : tensor<2x8xi64>, tensor<i64> -> tensor<2x4xi1>
  return
}

// -----

// Tests that select's two value operands must share the result's element type.
func.func @select_element_types(%c: tensor<4xi1>, %x: tensor<4xf32>, %y: tensor<4xf16>) {
  // expected-error @+1 {{'tsr.select' op value operands and result must share an element type}}
  %0 = tsr.select %c, %x, %y : tensor<4xi1>, tensor<4xf32>, tensor<4xf16> -> tensor<4xf32>
  return
}

// -----

// Tests that select checks the broadcast of all three operands, condition included.
func.func @select_no_broadcast(%c: tensor<3xi1>, %x: tensor<f32>, %y: tensor<4xf32>) {
  // expected-error @+1 {{'tsr.select' op operand shapes do not broadcast}}
  %0 = tsr.select %c, %x, %y : tensor<3xi1>, tensor<f32>, tensor<4xf32> -> tensor<4xf32>
  return
}

// -----

// Tests that `not` applies to i1 tensors only.
func.func @unary_not_float(%x: tensor<4xf32>) {
  // expected-error @+1 {{'tsr.unary' op 'not' needs an i1 tensor}}
  %0 = tsr.unary not %x : tensor<4xf32>
  return
}

// -----

// Tests that neg, abs and relu reject element types that are neither float nor signless integer.
func.func @unary_neg_unsigned(%x: tensor<4xui32>) {
  // expected-error @+1 {{'tsr.unary' op 'neg' needs a float or integer tensor}}
  %0 = tsr.unary neg %x : tensor<4xui32>
  return
}

// -----

// Tests that the transcendental functions reject integer tensors.
func.func @unary_exp_integer(%x: tensor<4xi32>) {
  // expected-error @+1 {{'tsr.unary' op 'exp' needs a float tensor}}
  %0 = tsr.unary exp %x : tensor<4xi32>
  return
}

// -----

// Tests that the rounding functions reject integer tensors too.
func.func @unary_floor_integer(%x: tensor<4xi64>) {
  // expected-error @+1 {{'tsr.unary' op 'floor' needs a float tensor}}
  %0 = tsr.unary floor %x : tensor<4xi64>
  return
}

// -----

//===----------------------------------------------------------------------===//
// Matmul (type inference)
//===----------------------------------------------------------------------===//

// Tests that matmul rejects operands of different element types.
func.func @matmul_element_types(%a: tensor<2x3xf32>, %b: tensor<3x4xf16>) {
  // expected-error @+2 {{operand element types differ}}
  // expected-error @+1 {{'tsr.matmul' op failed to infer returned types}}
  %0 = tsr.matmul %a, %b : tensor<2x3xf32>, tensor<3x4xf16> -> tensor<2x4xf32>
  return
}

// -----

// Tests that matmul rejects rank-1 operands (the importer reshapes them).
func.func @matmul_rank1(%a: tensor<3xf32>, %b: tensor<3x4xf32>) {
  // expected-error @+2 {{'tsr.matmul' op operands must have rank >= 2}}
  // expected-error @+1 {{'tsr.matmul' op failed to infer returned types}}
  %0 = tsr.matmul %a, %b : tensor<3xf32>, tensor<3x4xf32> -> tensor<4xf32>
  return
}

// -----

// Tests that matmul checks the contraction dims, honouring transpose_lhs.
func.func @matmul_contraction(%a: tensor<2x3xf32>, %b: tensor<3x4xf32>) {
  // expected-error @+2 {{'tsr.matmul' op contraction dims differ: 2 vs 3}}
  // expected-error @+1 {{'tsr.matmul' op failed to infer returned types}}
  %0 = tsr.matmul %a, %b {transpose_lhs} : tensor<2x3xf32>, tensor<3x4xf32> -> tensor<3x4xf32>
  return
}

// -----

// Tests that matmul's batch dims must broadcast.
func.func @matmul_batch(%a: tensor<2x4x3xf32>, %b: tensor<5x3x4xf32>) {
  // expected-error @+2 {{'tsr.matmul' op batch dims do not broadcast}}
  // expected-error @+1 {{'tsr.matmul' op failed to infer returned types}}
  %0 = tsr.matmul %a, %b : tensor<2x4x3xf32>, tensor<5x3x4xf32> -> tensor<2x4x4xf32>
  return
}

// -----

// Tests that matmul's result must be the inferred [batch..., M, N].
func.func @matmul_wrong_result(%a: tensor<2x4x3xf32>, %b: tensor<3x5xf32>) {
  // expected-error @+2 {{'tsr.matmul' op inferred type(s) 'tensor<2x4x5xf32>' are incompatible with return type(s) of operation 'tensor<2x5x4xf32>'}}
  // expected-error @+1 {{'tsr.matmul' op failed to infer returned types}}
  %0 = tsr.matmul %a, %b : tensor<2x4x3xf32>, tensor<3x5xf32> -> tensor<2x5x4xf32>
  return
}

// -----

//===----------------------------------------------------------------------===//
// Linear
//===----------------------------------------------------------------------===//

// Tests that linear rejects a scalar input.
func.func @linear_rank0(%x: tensor<f32>, %w: tensor<4x1xf32>) {
  // expected-error @+1 {{'tsr.linear' op input must have rank >= 1}}
  %0 = tsr.linear %x, %w : (tensor<f32>, tensor<4x1xf32>) -> tensor<4xf32>
  return
}

// -----

// Tests that linear's weight must be a matrix.
func.func @linear_weight_rank(%x: tensor<2x8xf32>, %w: tensor<1x4x8xf32>) {
  // expected-error @+1 {{'tsr.linear' op weight must be [N, K], got rank 3}}
  %0 = tsr.linear %x, %w : (tensor<2x8xf32>, tensor<1x4x8xf32>) -> tensor<2x4xf32>
  return
}

// -----

// Tests that linear's input and weight must share an element type.
func.func @linear_element_types(%x: tensor<2x8xf32>, %w: tensor<4x8xf16>) {
  // expected-error @+1 {{'tsr.linear' op input and weight element types differ}}
  %0 = tsr.linear %x, %w : (tensor<2x8xf32>, tensor<4x8xf16>) -> tensor<2x4xf32>
  return
}

// -----

// Tests that linear checks K against the weight's second dim ([N, K] layout).
func.func @linear_k(%x: tensor<2x8xf32>, %w: tensor<8x4xf32>) {
  // expected-error @+1 {{'tsr.linear' op input has K = 8 but weight has K = 4}}
  %0 = tsr.linear %x, %w : (tensor<2x8xf32>, tensor<8x4xf32>) -> tensor<2x8xf32>
  return
}

// -----

// Tests that linear's bias must be [N].
func.func @linear_bias(%x: tensor<2x8xf32>, %w: tensor<4x8xf32>, %b: tensor<8xf32>) {
  // expected-error @+1 {{'tsr.linear' op bias must be [N] with N = 4}}
  %0 = tsr.linear %x, %w, %b : (tensor<2x8xf32>, tensor<4x8xf32>, tensor<8xf32>) -> tensor<2x4xf32>
  return
}

// -----

// Tests that linear's result must be [..., N].
func.func @linear_result(%x: tensor<2x?x8xf32>, %w: tensor<4x8xf32>) {
  // expected-error @+1 {{'tsr.linear' op result must be 2x?x4}}
  %0 = tsr.linear %x, %w : (tensor<2x?x8xf32>, tensor<4x8xf32>) -> tensor<2x3x8xf32>
  return
}

// -----

// Tests that quantized_linear's smoothing vector must have K entries.
func.func @quantized_linear_smooth_size(%x: tensor<2x8xf32>, %w: tensor<4x8xi8>, %s: tensor<4xf32>, %m: tensor<4xf32>) -> tensor<2x4xf32> {
  // expected-error @+1 {{'tsr.quantized_linear' op input_smooth must be [K] with K = 8}}
  %0 = tsr.quantized_linear %x, %w scale %s smooth %m : (tensor<2x8xf32>, tensor<4x8xi8>, tensor<4xf32>, tensor<4xf32>) -> tensor<2x4xf32>
  return %0 : tensor<2x4xf32>
}

// -----

// Tests that smoothing does not go with DynamicQuantizeLinear's scheme,
// which the kernels run without it.
func.func @quantized_linear_smooth_dynamic(%x: tensor<2x8xf32>, %w: tensor<4x8xi8>, %s: tensor<4xf32>, %m: tensor<8xf32>) -> tensor<2x4xf32> {
  // expected-error @+1 {{'tsr.quantized_linear' op input_smooth goes with per_token or static_tensor input quantization only}}
  %0 = tsr.quantized_linear %x, %w scale %s smooth %m {input_quant = #tsr<input_quant dynamic_tensor>} : (tensor<2x8xf32>, tensor<4x8xi8>, tensor<4xf32>, tensor<8xf32>) -> tensor<2x4xf32>
  return %0 : tensor<2x4xf32>
}

// -----

// Tests that quantized_linear rejects a scalar input.
func.func @ql_rank0(%x: tensor<f32>, %w: tensor<4x1xi8>, %s: tensor<4xf32>) {
  // expected-error @+1 {{'tsr.quantized_linear' op input and result must have rank >= 1}}
  %0 = tsr.quantized_linear %x, %w scale %s : (tensor<f32>, tensor<4x1xi8>, tensor<4xf32>) -> tensor<4xf32>
  return
}

// -----

// Tests that quantized_linear rejects a packed weight of the wrong shape.
func.func @ql_packed_shape(%x: tensor<2x8xf32>, %w: tensor<1x2x16xi8>, %s: tensor<4xf32>, %c: tensor<4xi32>) {
  // expected-error @+1 {{'tsr.quantized_linear' op packed weight must be [ceil(N/16), ceil(K/4), 64]}}
  %0 = tsr.quantized_linear %x, %w scale %s sums %c {weight_packed} : (tensor<2x8xf32>, tensor<1x2x16xi8>, tensor<4xf32>, tensor<4xi32>) -> tensor<2x4xf32>
  return
}

// -----

// Tests that quantized_linear rejects a packed weight with the wrong number of panels.
func.func @ql_panels(%x: tensor<2x8xf32>, %w: tensor<2x2x64xi8>, %s: tensor<4xf32>, %c: tensor<4xi32>) {
  // expected-error @+1 {{'tsr.quantized_linear' op packed weight has 2 panels but N = 4 needs 1}}
  %0 = tsr.quantized_linear %x, %w scale %s sums %c {weight_packed} : (tensor<2x8xf32>, tensor<2x2x64xi8>, tensor<4xf32>, tensor<4xi32>) -> tensor<2x4xf32>
  return
}

// -----

// Tests that quantized_linear rejects a packed weight with the wrong number of k groups.
func.func @ql_groups(%x: tensor<2x8xf32>, %w: tensor<1x3x64xi8>, %s: tensor<4xf32>, %c: tensor<4xi32>) {
  // expected-error @+1 {{'tsr.quantized_linear' op packed weight has 3 groups but K = 8 needs 2}}
  %0 = tsr.quantized_linear %x, %w scale %s sums %c {weight_packed} : (tensor<2x8xf32>, tensor<1x3x64xi8>, tensor<4xf32>, tensor<4xi32>) -> tensor<2x4xf32>
  return
}

// -----

// Tests that quantized_linear rejects a packed weight without its column sums.
func.func @ql_no_sums(%x: tensor<2x8xf32>, %w: tensor<1x2x64xi8>, %s: tensor<4xf32>) {
  // expected-error @+1 {{'tsr.quantized_linear' op a packed weight needs weight_sums}}
  %0 = tsr.quantized_linear %x, %w scale %s {weight_packed} : (tensor<2x8xf32>, tensor<1x2x64xi8>, tensor<4xf32>) -> tensor<2x4xf32>
  return
}

// -----

// Tests that quantized_linear rejects a weight that is not a matrix.
func.func @ql_weight_rank(%x: tensor<2x8xf32>, %w: tensor<1x4x8xi8>, %s: tensor<4xf32>) {
  // expected-error @+1 {{'tsr.quantized_linear' op weight must be [N, K], got rank 3}}
  %0 = tsr.quantized_linear %x, %w scale %s : (tensor<2x8xf32>, tensor<1x4x8xi8>, tensor<4xf32>) -> tensor<2x4xf32>
  return
}

// -----

// Tests that quantized_linear rejects K checked against the weight.
func.func @ql_k(%x: tensor<2x8xf32>, %w: tensor<4x6xi8>, %s: tensor<4xf32>) {
  // expected-error @+1 {{'tsr.quantized_linear' op input has K = 8 but weight has K = 6}}
  %0 = tsr.quantized_linear %x, %w scale %s : (tensor<2x8xf32>, tensor<4x6xi8>, tensor<4xf32>) -> tensor<2x4xf32>
  return
}

// -----

// Tests that quantized_linear rejects column sums on an unpacked weight.
func.func @ql_sums_unpacked(%x: tensor<2x8xf32>, %w: tensor<4x8xi8>, %s: tensor<4xf32>, %c: tensor<4xi32>) {
  // expected-error @+1 {{'tsr.quantized_linear' op weight_sums go with a packed weight only}}
  %0 = tsr.quantized_linear %x, %w scale %s sums %c : (tensor<2x8xf32>, tensor<4x8xi8>, tensor<4xf32>, tensor<4xi32>) -> tensor<2x4xf32>
  return
}

// -----

// Tests that quantized_linear rejects K past the kernels' limit.
func.func @ql_max_k(%x: tensor<2x65540xf32>, %w: tensor<4x65540xi8>, %s: tensor<4xf32>) {
  // expected-error @+1 {{'tsr.quantized_linear' op K = 65540 is over the int8 kernels' limit of 65536}}
  %0 = tsr.quantized_linear %x, %w scale %s : (tensor<2x65540xf32>, tensor<4x65540xi8>, tensor<4xf32>) -> tensor<2x4xf32>
  return
}

// -----

// Tests that quantized_linear rejects the scales must be [N].
func.func @ql_scale(%x: tensor<2x8xf32>, %w: tensor<4x8xi8>, %s: tensor<8xf32>) {
  // expected-error @+1 {{'tsr.quantized_linear' op weight_scale must be [N] with N = 4}}
  %0 = tsr.quantized_linear %x, %w scale %s : (tensor<2x8xf32>, tensor<4x8xi8>, tensor<8xf32>) -> tensor<2x4xf32>
  return
}

// -----

// Tests that quantized_linear rejects the bias must be [N].
func.func @ql_bias(%x: tensor<2x8xf32>, %w: tensor<4x8xi8>, %s: tensor<4xf32>, %b: tensor<3xf32>) {
  // expected-error @+1 {{'tsr.quantized_linear' op bias must be [N] with N = 4}}
  %0 = tsr.quantized_linear %x, %w scale %s bias %b : (tensor<2x8xf32>, tensor<4x8xi8>, tensor<4xf32>, tensor<3xf32>) -> tensor<2x4xf32>
  return
}

// -----

// Tests that quantized_linear rejects the column sums must be [N].
func.func @ql_sums(%x: tensor<2x8xf32>, %w: tensor<1x2x64xi8>, %s: tensor<4xf32>, %c: tensor<5xi32>) {
  // expected-error @+1 {{'tsr.quantized_linear' op weight_sums must be [N] with N = 4}}
  %0 = tsr.quantized_linear %x, %w scale %s sums %c {weight_packed} : (tensor<2x8xf32>, tensor<1x2x64xi8>, tensor<4xf32>, tensor<5xi32>) -> tensor<2x4xf32>
  return
}

// -----

// Tests that quantized_linear rejects the result must be [..., N].
func.func @ql_result(%x: tensor<2x?x8xf32>, %w: tensor<4x8xi8>, %s: tensor<4xf32>) {
  // expected-error @+1 {{'tsr.quantized_linear' op result must be 2x?x4}}
  %0 = tsr.quantized_linear %x, %w scale %s : (tensor<2x?x8xf32>, tensor<4x8xi8>, tensor<4xf32>) -> tensor<2x3x8xf32>
  return
}

// -----

//===----------------------------------------------------------------------===//
// Softmax, layer_norm, reduce
//===----------------------------------------------------------------------===//

// Tests that softmax's axis must be a dim of the input.
func.func @softmax_axis(%x: tensor<2x8xf32>) {
  // expected-error @+1 {{'tsr.softmax' op axis 2 out of range for rank 2}}
  %0 = tsr.softmax %x {axis = 2 : i64} : tensor<2x8xf32>
  return
}

// -----

// Tests that softmax names a negative axis as written.
func.func @softmax_negative_axis(%x: tensor<2x8xf32>) {
  // expected-error @+1 {{'tsr.softmax' op axis -1 out of range for rank 2}}
  %0 = tsr.softmax %x {axis = -1 : i64} : tensor<2x8xf32>
  return
}

// -----

// Tests that layer_norm's axis must be a dim of the input.
func.func @layer_norm_axis(%x: tensor<2x8xf32>, %g: tensor<8xf32>) {
  // expected-error @+1 {{'tsr.layer_norm' op axis 2 out of range for rank 2}}
  %0 = tsr.layer_norm %x, %g {axis = 2 : i64, epsilon = 1.0e-5 : f32} : (tensor<2x8xf32>, tensor<8xf32>) -> tensor<2x8xf32>
  return
}

// -----

// Tests that layer_norm names a negative axis as written.
func.func @layer_norm_negative_axis(%x: tensor<2x8xf32>, %g: tensor<8xf32>) {
  // expected-error @+1 {{'tsr.layer_norm' op axis -1 out of range for rank 2}}
  %0 = tsr.layer_norm %x, %g {axis = -1 : i64, epsilon = 1.0e-5 : f32} : (tensor<2x8xf32>, tensor<8xf32>) -> tensor<2x8xf32>
  return
}

// -----

// Tests that layer_norm's scale has the shape of the normalized trailing dims.
func.func @layer_norm_scale(%x: tensor<2x4x8xf32>, %g: tensor<8xf32>) {
  // expected-error @+1 {{'tsr.layer_norm' op scale must be 4x8, got 8}}
  %0 = tsr.layer_norm %x, %g {axis = 1 : i64, epsilon = 1.0e-5 : f32} : (tensor<2x4x8xf32>, tensor<8xf32>) -> tensor<2x4x8xf32>
  return
}

// -----

// Tests that layer_norm's bias, like its scale, has the shape of the normalized dims.
func.func @layer_norm_bias(%x: tensor<2x8xf32>, %g: tensor<8xf32>, %b: tensor<4xf32>) {
  // expected-error @+1 {{'tsr.layer_norm' op bias must be 8, got 4}}
  %0 = tsr.layer_norm %x, %g bias %b {axis = 1 : i64, epsilon = 1.0e-5 : f32} : (tensor<2x8xf32>, tensor<8xf32>, tensor<4xf32>) -> tensor<2x8xf32>
  return
}

// -----

// Tests that layer_norm's residual must have exactly the input's type.
func.func @layer_norm_residual(%x: tensor<2x8xf32>, %g: tensor<8xf32>, %b: tensor<8xf32>, %r: tensor<1x8xf32>) {
  // expected-error @+1 {{'tsr.layer_norm' op residual must have the input's type}}
  %0 = tsr.layer_norm %x, %g bias %b residual %r {axis = 1 : i64, epsilon = 1.0e-5 : f32} : (tensor<2x8xf32>, tensor<8xf32>, tensor<8xf32>, tensor<1x8xf32>) -> tensor<2x8xf32>
  return
}

// -----

// Tests that layer_norm's result has the input's shape.
func.func @layer_norm_result(%x: tensor<2x8xf32>, %g: tensor<8xf32>) {
  // expected-error @+1 {{'tsr.layer_norm' op result must have the input's shape}}
  %0 = tsr.layer_norm %x, %g {axis = 1 : i64, epsilon = 1.0e-5 : f32} : (tensor<2x8xf32>, tensor<8xf32>) -> tensor<3x8xf32>
  return
}

// -----

// Tests that layer_norm's epsilon must be non-negative.
func.func @layer_norm_epsilon(%x: tensor<2x8xf32>, %g: tensor<8xf32>) {
  // expected-error @+1 {{'tsr.layer_norm' op epsilon must be non-negative}}
  %0 = tsr.layer_norm %x, %g {axis = 1 : i64, epsilon = -1.0e-5 : f32} : (tensor<2x8xf32>, tensor<8xf32>) -> tensor<2x8xf32>
  return
}

// -----

// Tests that reduce's axes must be dims of the input.
func.func @reduce_axis(%x: tensor<2x8xf32>) {
  // expected-error @+1 {{'tsr.reduce' op axis 2 out of range for rank 2}}
  %0 = tsr.reduce sum %x {axes = array<i64: 2>} : tensor<2x8xf32> -> tensor<2x8xf32>
  return
}

// -----

// Tests that reduce rejects an axis listed twice.
func.func @reduce_repeated(%x: tensor<2x8xf32>) {
  // expected-error @+1 {{'tsr.reduce' op axis 1 repeated}}
  %0 = tsr.reduce sum %x {axes = array<i64: 1, 1>} : tensor<2x8xf32> -> tensor<2xf32>
  return
}

// -----

// Tests that reduce's result keeps the reduced dims as 1 only with keep_dims.
func.func @reduce_result(%x: tensor<2x8xf32>) {
  // expected-error @+1 {{'tsr.reduce' op result must be 2}}
  %0 = tsr.reduce mean %x {axes = array<i64: 1>} : tensor<2x8xf32> -> tensor<2x1xf32>
  return
}

// -----

// Tests that rms_norm's axis must be a dim of the input.
func.func @rms_norm_axis(%x: tensor<2x8xf32>, %g: tensor<8xf32>) {
  // expected-error @+1 {{'tsr.rms_norm' op axis 2 out of range for rank 2}}
  %0 = tsr.rms_norm %x, %g {axis = 2 : i64, epsilon = 1.0e-6 : f32} : (tensor<2x8xf32>, tensor<8xf32>) -> tensor<2x8xf32>
  return
}

// -----

// Tests that rms_norm's scale has the shape of the normalized dims.
func.func @rms_norm_scale(%x: tensor<2x8xf32>, %g: tensor<4xf32>) {
  // expected-error @+1 {{'tsr.rms_norm' op scale must be 8, got 4}}
  %0 = tsr.rms_norm %x, %g {axis = 1 : i64, epsilon = 1.0e-6 : f32} : (tensor<2x8xf32>, tensor<4xf32>) -> tensor<2x8xf32>
  return
}

// -----

// Tests that rms_norm's result has the input's shape.
func.func @rms_norm_result(%x: tensor<2x8xf32>, %g: tensor<8xf32>) {
  // expected-error @+1 {{'tsr.rms_norm' op result must have the input's shape}}
  %0 = tsr.rms_norm %x, %g {axis = 1 : i64, epsilon = 1.0e-6 : f32} : (tensor<2x8xf32>, tensor<8xf32>) -> tensor<2x4xf32>
  return
}

// -----

// Tests that rms_norm's epsilon is non-negative.
func.func @rms_norm_epsilon(%x: tensor<2x8xf32>, %g: tensor<8xf32>) {
  // expected-error @+1 {{'tsr.rms_norm' op epsilon must be non-negative}}
  %0 = tsr.rms_norm %x, %g {axis = 1 : i64, epsilon = -1.0 : f32} : (tensor<2x8xf32>, tensor<8xf32>) -> tensor<2x8xf32>
  return
}

// -----

// Tests that cumsum's axis must be a dim of the input.
func.func @cumsum_axis(%x: tensor<2x8xi64>) {
  // expected-error @+1 {{'tsr.cumsum' op axis -1 out of range for rank 2}}
  %0 = tsr.cumsum %x {axis = -1 : i64} : tensor<2x8xi64>
  return
}

// -----

// Tests that cumsum rejects i1 elements (ONNX casts masks first).
func.func @cumsum_i1(%x: tensor<2x8xi1>) {
  // expected-error @+1 {{'tsr.cumsum' op needs float or integer (not i1) elements, got 'i1'}}
  %0 = tsr.cumsum %x {axis = 1 : i64} : tensor<2x8xi1>
  return
}

// -----

//===----------------------------------------------------------------------===//
// Attention
//===----------------------------------------------------------------------===//

// Tests that attention needs rank-4 [B, H, S, D] operands.
func.func @attention_rank(%q: tensor<12x8x64xf32>, %k: tensor<1x12x8x64xf32>) {
  // expected-error @+1 {{'tsr.attention' op query, key and value must be rank 4 [B, H, S, D]}}
  %0 = tsr.attention %q, %k, %k {scale = 0.125 : f32} : (tensor<12x8x64xf32>, tensor<1x12x8x64xf32>, tensor<1x12x8x64xf32>) -> tensor<12x8x64xf32>
  return
}

// -----

// Tests that attention's query, key and value share an element type.
func.func @attention_element_types(%q: tensor<1x2x8x4xf32>, %k: tensor<1x2x8x4xf16>) {
  // expected-error @+1 {{'tsr.attention' op query, key and value element types differ}}
  %0 = tsr.attention %q, %k, %k {scale = 0.5 : f32} : (tensor<1x2x8x4xf32>, tensor<1x2x8x4xf16>, tensor<1x2x8x4xf16>) -> tensor<1x2x8x4xf32>
  return
}

// -----

// Tests that attention's key and value have the same shape.
func.func @attention_kv(%q: tensor<1x2x8x4xf32>, %k: tensor<1x2x8x4xf32>, %v: tensor<1x2x6x4xf32>) {
  // expected-error @+1 {{'tsr.attention' op key and value shapes differ}}
  %0 = tsr.attention %q, %k, %v {scale = 0.5 : f32} : (tensor<1x2x8x4xf32>, tensor<1x2x8x4xf32>, tensor<1x2x6x4xf32>) -> tensor<1x2x8x4xf32>
  return
}

// -----

// Tests that attention's query and key have the same batch size.
func.func @attention_batch(%q: tensor<2x2x8x4xf32>, %k: tensor<3x2x8x4xf32>) {
  // expected-error @+1 {{'tsr.attention' op batch sizes differ}}
  %0 = tsr.attention %q, %k, %k {scale = 0.5 : f32} : (tensor<2x2x8x4xf32>, tensor<3x2x8x4xf32>, tensor<3x2x8x4xf32>) -> tensor<2x2x8x4xf32>
  return
}

// -----

// Tests that attention's query and key have the same head dim.
func.func @attention_head_dim(%q: tensor<1x2x8x4xf32>, %k: tensor<1x2x8x8xf32>) {
  // expected-error @+1 {{'tsr.attention' op query and key head dims differ}}
  %0 = tsr.attention %q, %k, %k {scale = 0.5 : f32} : (tensor<1x2x8x4xf32>, tensor<1x2x8x8xf32>, tensor<1x2x8x8xf32>) -> tensor<1x2x8x8xf32>
  return
}

// -----

// Tests that grouped-query attention needs H to be a multiple of Hkv.
func.func @attention_groups(%q: tensor<1x6x8x4xf32>, %k: tensor<1x4x8x4xf32>) {
  // expected-error @+1 {{'tsr.attention' op query heads (6) must be a multiple of key/value heads (4)}}
  %0 = tsr.attention %q, %k, %k {scale = 0.5 : f32} : (tensor<1x6x8x4xf32>, tensor<1x4x8x4xf32>, tensor<1x4x8x4xf32>) -> tensor<1x6x8x4xf32>
  return
}

// -----

// Tests that attention's mask must broadcast to the [B, H, S, T] scores.
func.func @attention_mask_shape(%q: tensor<1x2x8x4xf32>, %k: tensor<1x2x6x4xf32>, %m: tensor<1x1x1x8xf32>) {
  // expected-error @+1 {{'tsr.attention' op mask of shape 1x1x1x8 does not broadcast to scores 1x2x8x6}}
  %0 = tsr.attention %q, %k, %k, mask %m {scale = 0.5 : f32} : (tensor<1x2x8x4xf32>, tensor<1x2x6x4xf32>, tensor<1x2x6x4xf32>, tensor<1x1x1x8xf32>) -> tensor<1x2x8x4xf32>
  return
}

// -----

// Tests that attention's mask has the query's element type.
func.func @attention_mask_type(%q: tensor<1x2x8x4xf32>, %m: tensor<1x1x1x8xf16>) {
  // expected-error @+1 {{'tsr.attention' op mask element type must match the query's}}
  %0 = tsr.attention %q, %q, %q, mask %m {scale = 0.5 : f32} : (tensor<1x2x8x4xf32>, tensor<1x2x8x4xf32>, tensor<1x2x8x4xf32>, tensor<1x1x1x8xf16>) -> tensor<1x2x8x4xf32>
  return
}

// -----

// Tests that attention's result is [B, H, S, Dv].
func.func @attention_result(%q: tensor<1x2x8x4xf32>) {
  // expected-error @+1 {{'tsr.attention' op result must be 1x2x8x4}}
  %0 = tsr.attention %q, %q, %q {scale = 0.5 : f32} : (tensor<1x2x8x4xf32>, tensor<1x2x8x4xf32>, tensor<1x2x8x4xf32>) -> tensor<1x8x2x4xf32>
  return
}

// -----

//===----------------------------------------------------------------------===//
// Data movement
//===----------------------------------------------------------------------===//

// Tests that gather's axis must be a dim of the input.
func.func @gather_axis(%t: tensor<10x4xf32>, %i: tensor<3xi64>) {
  // expected-error @+1 {{'tsr.gather' op axis 2 out of range for rank 2}}
  %0 = tsr.gather %t[%i] {axis = 2 : i64} : (tensor<10x4xf32>, tensor<3xi64>) -> tensor<10x4x3xf32>
  return
}

// -----

// Tests that gather names a negative axis as written.
func.func @gather_negative_axis(%t: tensor<10x4xf32>, %i: tensor<3xi64>) {
  // expected-error @+1 {{'tsr.gather' op axis -1 out of range for rank 2}}
  %0 = tsr.gather %t[%i] {axis = -1 : i64} : (tensor<10x4xf32>, tensor<3xi64>) -> tensor<10x3xf32>
  return
}

// -----

// Tests that gather's result splices the indices' shape in at the axis.
func.func @gather_result(%t: tensor<10x4xf32>, %i: tensor<2x?xi64>) {
  // expected-error @+1 {{'tsr.gather' op result must be 2x?x4}}
  %0 = tsr.gather %t[%i] {axis = 0 : i64} : (tensor<10x4xf32>, tensor<2x?xi64>) -> tensor<2x4xf32>
  return
}

// -----

// Tests that reshape needs one index operand per dynamic result dim.
func.func @reshape_dynamic_dims(%x: tensor<?x8xf32>) {
  // expected-error @+1 {{'tsr.reshape' op expected 1 dynamic dim operands for the result, got 0}}
  %0 = tsr.reshape %x : tensor<?x8xf32> -> tensor<?x2x4xf32>
  return
}

// -----

// Tests that reshape keeps the element type.
func.func @reshape_element_type(%x: tensor<2x4xf32>) {
  // expected-error @+1 {{'tsr.reshape' op element type must not change}}
  %0 = tsr.reshape %x : tensor<2x4xf32> -> tensor<8xi32>
  return
}

// -----

// Tests that a static reshape keeps the number of elements.
func.func @reshape_count(%x: tensor<2x3xf32>) {
  // expected-error @+1 {{'tsr.reshape' op cannot reshape 6 elements into 8}}
  %0 = tsr.reshape %x : tensor<2x3xf32> -> tensor<8xf32>
  return
}

// -----

// Tests that transpose's permutation has one entry per dim.
func.func @transpose_length(%x: tensor<2x3x4xf32>) {
  // expected-error @+2 {{permutation must have one entry per dim}}
  // expected-error @+1 {{'tsr.transpose' op failed to infer returned types}}
  %0 = tsr.transpose %x {permutation = array<i64: 1, 0>} : tensor<2x3x4xf32> -> tensor<3x2x4xf32>
  return
}

// -----

// Tests that transpose's permutation is a permutation (no repeats).
func.func @transpose_repeat(%x: tensor<2x3x4xf32>) {
  // expected-error @+2 {{permutation is not a permutation of 0..2}}
  // expected-error @+1 {{'tsr.transpose' op failed to infer returned types}}
  %0 = tsr.transpose %x {permutation = array<i64: 0, 0, 1>} : tensor<2x3x4xf32> -> tensor<2x2x3xf32>
  return
}

// -----

// Tests that transpose's result is the permuted input shape.
func.func @transpose_result(%x: tensor<2x3x4xf32>) {
  // expected-error @+2 {{'tsr.transpose' op inferred type(s) 'tensor<4x2x3xf32>' are incompatible with return type(s) of operation 'tensor<2x3x4xf32>'}}
  // expected-error @+1 {{'tsr.transpose' op failed to infer returned types}}
  %0 = tsr.transpose %x {permutation = array<i64: 2, 0, 1>} : tensor<2x3x4xf32> -> tensor<2x3x4xf32>
  return
}

// -----

// Tests that concat needs at least one input.
func.func @concat_empty() {
  // expected-error @+1 {{'tsr.concat' op needs at least one input}}
  %0 = tsr.concat {axis = 0 : i64} : () -> tensor<0xf32>
  return
}

// -----

// Tests that concat's axis must be a dim of the result.
func.func @concat_axis(%a: tensor<2x3xf32>) {
  // expected-error @+1 {{'tsr.concat' op axis 2 out of range for rank 2}}
  %0 = tsr.concat %a, %a {axis = 2 : i64} : (tensor<2x3xf32>, tensor<2x3xf32>) -> tensor<2x6xf32>
  return
}

// -----

// Tests that concat names a negative axis as written.
func.func @concat_negative_axis(%a: tensor<2x3xf32>) {
  // expected-error @+1 {{'tsr.concat' op axis -1 out of range for rank 2}}
  %0 = tsr.concat %a, %a {axis = -1 : i64} : (tensor<2x3xf32>, tensor<2x3xf32>) -> tensor<2x6xf32>
  return
}

// -----

// Tests that concat's inputs have the result's rank and element type.
func.func @concat_rank(%a: tensor<2x3xf32>, %b: tensor<3xf32>) {
  // expected-error @+1 {{'tsr.concat' op inputs must have the result's rank and element type}}
  %0 = tsr.concat %a, %b {axis = 1 : i64} : (tensor<2x3xf32>, tensor<3xf32>) -> tensor<2x6xf32>
  return
}

// -----

// Tests that concat's inputs agree with the result off the axis.
func.func @concat_off_axis(%a: tensor<2x3xf32>, %b: tensor<4x3xf32>) {
  // expected-error @+1 {{'tsr.concat' op input dim 0 differs from the result's}}
  %0 = tsr.concat %a, %b {axis = 1 : i64} : (tensor<2x3xf32>, tensor<4x3xf32>) -> tensor<2x6xf32>
  return
}

// -----

// Tests that concat's result dim along the axis is the sum of the inputs'.
func.func @concat_sum(%a: tensor<2x3xf32>, %b: tensor<2x2xf32>) {
  // expected-error @+1 {{'tsr.concat' op result dim 1 must be 5}}
  %0 = tsr.concat %a, %b {axis = 1 : i64} : (tensor<2x3xf32>, tensor<2x2xf32>) -> tensor<2x6xf32>
  return
}

// -----

// Tests that slice's offsets, steps and result have one entry per input dim.
func.func @slice_entries(%x: tensor<4x8xf32>) {
  // expected-error @+1 {{'tsr.slice' op offsets, steps and result need one entry per dim}}
  %0 = tsr.slice %x offsets[] sizes[] {static_offsets = array<i64: 0>, steps = array<i64: 1, 1>} : tensor<4x8xf32> -> tensor<4x8xf32>
  return
}

// -----

// Tests that slice keeps the element type.
func.func @slice_element_type(%x: tensor<4x8xf32>) {
  // expected-error @+1 {{'tsr.slice' op element type must not change}}
  %0 = tsr.slice %x offsets[] sizes[] {static_offsets = array<i64: 0, 0>, steps = array<i64: 1, 1>} : tensor<4x8xf32> -> tensor<4x8xf16>
  return
}

// -----

// Tests that slice needs one index operand per dynamic offset.
func.func @slice_dynamic_offsets(%x: tensor<4x8xf32>) {
  // expected-error @+1 {{'tsr.slice' op expected 1 dynamic offset operands}}
  %0 = tsr.slice %x offsets[] sizes[] {static_offsets = array<i64: 0, -9223372036854775808>, steps = array<i64: 1, 1>} : tensor<4x8xf32> -> tensor<4x2xf32>
  return
}

// -----

// Tests that slice needs one index operand per dynamic result size.
func.func @slice_dynamic_sizes(%x: tensor<4x8xf32>) {
  // expected-error @+1 {{'tsr.slice' op expected 1 dynamic dim operands for the result, got 0}}
  %0 = tsr.slice %x offsets[] sizes[] {static_offsets = array<i64: 0, 0>, steps = array<i64: 1, 1>} : tensor<4x8xf32> -> tensor<4x?xf32>
  return
}

// -----

// Tests that slice's steps are positive (ONNX's negative steps are not supported).
func.func @slice_steps(%x: tensor<4x8xf32>) {
  // expected-error @+1 {{'tsr.slice' op steps must be positive}}
  %0 = tsr.slice %x offsets[] sizes[] {static_offsets = array<i64: 0, 7>, steps = array<i64: 1, -1>} : tensor<4x8xf32> -> tensor<4x8xf32>
  return
}

// -----

// Tests that slice's static offsets are non-negative.
func.func @slice_offsets(%x: tensor<4x8xf32>) {
  // expected-error @+1 {{'tsr.slice' op offsets must be non-negative}}
  %0 = tsr.slice %x offsets[] sizes[] {static_offsets = array<i64: 0, -1>, steps = array<i64: 1, 1>} : tensor<4x8xf32> -> tensor<4x2xf32>
  return
}

// -----

// Tests that a static slice may not read past the end of the input.
func.func @slice_bounds(%x: tensor<4x8xf32>) {
  // expected-error @+1 {{'tsr.slice' op dim 1 reads past the input's size 8}}
  %0 = tsr.slice %x offsets[] sizes[] {static_offsets = array<i64: 0, 2>, steps = array<i64: 1, 2>} : tensor<4x8xf32> -> tensor<4x4xf32>
  return
}

// -----

// Tests that broadcast needs one index operand per dynamic result dim.
func.func @broadcast_dynamic_dims(%x: tensor<1x8xf32>) {
  // expected-error @+1 {{'tsr.broadcast' op expected 1 dynamic dim operands for the result, got 0}}
  %0 = tsr.broadcast %x : tensor<1x8xf32> -> tensor<?x8xf32>
  return
}

// -----

// Tests that broadcast keeps the element type.
func.func @broadcast_element_type(%x: tensor<1x8xf32>) {
  // expected-error @+1 {{'tsr.broadcast' op element type must not change}}
  %0 = tsr.broadcast %x : tensor<1x8xf32> -> tensor<4x8xf16>
  return
}

// -----

// Tests that broadcast never drops dims.
func.func @broadcast_rank(%x: tensor<2x1x8xf32>) {
  // expected-error @+1 {{'tsr.broadcast' op cannot broadcast to a lower rank}}
  %0 = tsr.broadcast %x : tensor<2x1x8xf32> -> tensor<4x8xf32>
  return
}

// -----

// Tests that broadcast only stretches size-1 dims.
func.func @broadcast_dim(%x: tensor<3x8xf32>) {
  // expected-error @+1 {{'tsr.broadcast' op input dim 0 (3) does not broadcast to 4}}
  %0 = tsr.broadcast %x : tensor<3x8xf32> -> tensor<4x8xf32>
  return
}

// -----

// Tests that static_tensor input quantization needs its scale and zero point.
func.func @ql_static_missing(%x: tensor<2x4xf32>, %w: tensor<3x4xi8>, %s: tensor<3xf32>) {
  // expected-error @+1 {{'tsr.quantized_linear' op static_tensor input quantization needs input_scale and input_zero_point}}
  %0 = tsr.quantized_linear %x, %w scale %s {input_quant = #tsr<input_quant static_tensor>, input_scale = 0.5 : f32} : (tensor<2x4xf32>, tensor<3x4xi8>, tensor<3xf32>) -> tensor<2x3xf32>
  return
}

// -----

// Tests that a static input zero point is an unsigned byte.
func.func @ql_static_zero(%x: tensor<2x4xf32>, %w: tensor<3x4xi8>, %s: tensor<3xf32>) {
  // expected-error @+1 {{'tsr.quantized_linear' op input_zero_point must be in [0, 255] (unsigned bytes), got 256}}
  %0 = tsr.quantized_linear %x, %w scale %s {input_quant = #tsr<input_quant static_tensor>, input_scale = 0.5 : f32, input_zero_point = 256 : i32} : (tensor<2x4xf32>, tensor<3x4xi8>, tensor<3xf32>) -> tensor<2x3xf32>
  return
}

// -----

// Tests that a static input scale is positive.
func.func @ql_static_scale(%x: tensor<2x4xf32>, %w: tensor<3x4xi8>, %s: tensor<3xf32>) {
  // expected-error @+1 {{'tsr.quantized_linear' op input_scale must be positive and finite, got 0}}
  %0 = tsr.quantized_linear %x, %w scale %s {input_quant = #tsr<input_quant static_tensor>, input_scale = 0.0 : f32, input_zero_point = 1 : i32} : (tensor<2x4xf32>, tensor<3x4xi8>, tensor<3xf32>) -> tensor<2x3xf32>
  return
}

// -----

// Tests that per-token quantization takes no input scale.
func.func @ql_per_token_scale(%x: tensor<2x4xf32>, %w: tensor<3x4xi8>, %s: tensor<3xf32>) {
  // expected-error @+1 {{'tsr.quantized_linear' op input_scale and input_zero_point go with static_tensor input quantization only}}
  %0 = tsr.quantized_linear %x, %w scale %s {input_scale = 0.5 : f32} : (tensor<2x4xf32>, tensor<3x4xi8>, tensor<3xf32>) -> tensor<2x3xf32>
  return
}

// -----

// Tests that a quantize's zero point has the result's type.
func.func @quantize_zero_type(%x: tensor<4xf32>, %s: tensor<f32>, %z: tensor<i8>) {
  // expected-error @+1 {{'tsr.quantize' op zero point type 'i8' differs from the result's 'ui8'}}
  %0 = tsr.quantize %x, %s, %z : (tensor<4xf32>, tensor<f32>, tensor<i8>) -> tensor<4xui8>
  return
}

// -----

// Tests that a per-axis scale matches its dim.
func.func @quantize_axis_size(%x: tensor<2x4xf32>, %s: tensor<3xf32>, %z: tensor<3xui8>) {
  // expected-error @+1 {{'tsr.quantize' op per-axis scale has 3 elements but dim 1 has 4}}
  %0 = tsr.quantize %x, %s, %z {axis = 1 : i64} : (tensor<2x4xf32>, tensor<3xf32>, tensor<3xui8>) -> tensor<2x4xui8>
  return
}

// -----

// Tests that a per-axis axis is in range.
func.func @dequantize_axis(%x: tensor<2x4xi8>, %s: tensor<4xf32>, %z: tensor<4xi8>) {
  // expected-error @+1 {{'tsr.dequantize' op axis 2 is out of range for rank 2}}
  %0 = tsr.dequantize %x, %s, %z {axis = 2 : i64} : (tensor<2x4xi8>, tensor<4xf32>, tensor<4xi8>) -> tensor<2x4xf32>
  return
}

// -----

// Tests that a constant scale is positive.
func.func @dequantize_zero_scale(%x: tensor<4xi8>, %z: tensor<i8>) {
  %s = tsr.constant dense<0.0> : tensor<f32>
  // expected-error @+1 {{'tsr.dequantize' op scale must be positive and finite, got 0}}
  %0 = tsr.dequantize %x, %s, %z : (tensor<4xi8>, tensor<f32>, tensor<i8>) -> tensor<4xf32>
  return
}

// -----

// Tests that matmul_integer's zero points are per row (lhs) or column (rhs).
func.func @matmul_integer_zero(%a: tensor<3x4xui8>, %b: tensor<4x2xi8>, %za: tensor<4xui8>, %zb: tensor<i8>) {
  // expected-error @+1 {{'tsr.matmul_integer' op lhs zero point must be rank 0 or [3], got 4}}
  %0 = tsr.matmul_integer %a, %b, %za, %zb : (tensor<3x4xui8>, tensor<4x2xi8>, tensor<4xui8>, tensor<i8>) -> tensor<3x2xi32>
  return
}

// -----

// Tests that a w4 group divides K.
func.func @w4_group_k(%x: tensor<2x48xf32>, %q: tensor<3x48xui8>, %s: tensor<1x3xf32>) {
  // expected-error @+1 {{'tsr.w4_linear' op group_size 32 does not divide K = 48}}
  %0 = tsr.w4_linear %x, %q scale %s {group_size = 32 : i64} : (tensor<2x48xf32>, tensor<3x48xui8>, tensor<1x3xf32>) -> tensor<2x3xf32>
  return
}

// -----

// Tests that a w4 group is even.
func.func @w4_group_odd(%x: tensor<2x6xf32>, %q: tensor<3x6xui8>, %s: tensor<2x3xf32>) {
  // expected-error @+1 {{'tsr.w4_linear' op group_size must be even and positive, got 3}}
  %0 = tsr.w4_linear %x, %q scale %s {group_size = 3 : i64} : (tensor<2x6xf32>, tensor<3x6xui8>, tensor<2x3xf32>) -> tensor<2x3xf32>
  return
}

// -----

// Tests that w4 scales are [K / group, N].
func.func @w4_scale_shape(%x: tensor<2x64xf32>, %q: tensor<3x64xui8>, %s: tensor<3x2xf32>) {
  // expected-error @+1 {{'tsr.w4_linear' op scale must be 2x3}}
  %0 = tsr.w4_linear %x, %q scale %s {group_size = 32 : i64} : (tensor<2x64xf32>, tensor<3x64xui8>, tensor<3x2xf32>) -> tensor<2x3xf32>
  return
}

// -----

// Tests that a bf16 linear's weight is [N, K].
func.func @bf16_weight_shape(%x: tensor<2x64xf32>, %w: tensor<3x32xbf16>) {
  // expected-error @+1 {{'tsr.bf16_linear' op weight must be [N, K] = 3x64}}
  %0 = tsr.bf16_linear %x, %w : (tensor<2x64xf32>, tensor<3x32xbf16>) -> tensor<2x3xf32>
  return
}

// -----

// Tests that a packed bf16 weight has ceil(K / 2) rows of 32 per panel.
func.func @bf16_packed_shape(%x: tensor<2x63xf32>, %w: tensor<2x31x32xbf16>) {
  // expected-error @+1 {{'tsr.bf16_linear' op packed weight must be 2x32x32}}
  %0 = tsr.bf16_linear %x, %w {weight_packed} : (tensor<2x63xf32>, tensor<2x31x32xbf16>) -> tensor<2x20xf32>
  return
}

// -----

// Tests that a bf16 linear's weight is bf16.
func.func @bf16_weight_type(%x: tensor<2x64xf32>, %w: tensor<3x64xf32>) {
  // expected-error @+1 {{'tsr.bf16_linear' op operand #1 must be ranked tensor of bfloat16 type values}}
  %0 = tsr.bf16_linear %x, %w : (tensor<2x64xf32>, tensor<3x64xf32>) -> tensor<2x3xf32>
  return
}

// -----

// Tests that a bf16 linear's K is within the kernels' limit.
func.func @bf16_k_limit(%x: tensor<1x16386xf32>, %w: tensor<3x16386xbf16>) {
  // expected-error @+1 {{'tsr.bf16_linear' op K = 16386 is over the bf16 kernels' limit of 16384}}
  %0 = tsr.bf16_linear %x, %w : (tensor<1x16386xf32>, tensor<3x16386xbf16>) -> tensor<1x3xf32>
  return
}

// -----

// Tests that a bf16 linear's bias is [N] and its result [..., N].
func.func @bf16_bias_shape(%x: tensor<2x64xf32>, %w: tensor<3x64xbf16>, %b: tensor<4xf32>) {
  // expected-error @+1 {{'tsr.bf16_linear' op bias must be [N] with N = 3}}
  %0 = tsr.bf16_linear %x, %w, %b : (tensor<2x64xf32>, tensor<3x64xbf16>, tensor<4xf32>) -> tensor<2x3xf32>
  return
}

// -----

// Tests that a bf16 linear's result has rank >= 1 (its N is the last dim).
func.func @bf16_rank0_result(%x: tensor<2x64xf32>, %w: tensor<3x64xbf16>) {
  // expected-error @+1 {{'tsr.bf16_linear' op input and result must have rank >= 1}}
  %0 = tsr.bf16_linear %x, %w : (tensor<2x64xf32>, tensor<3x64xbf16>) -> tensor<f32>
  return
}

// -----

// Tests the same of the int8 and 4-bit linears.
func.func @quantized_rank0_result(%x: tensor<2x8xf32>, %w: tensor<4x8xi8>, %s: tensor<4xf32>) {
  // expected-error @+1 {{'tsr.quantized_linear' op input and result must have rank >= 1}}
  %0 = tsr.quantized_linear %x, %w scale %s : (tensor<2x8xf32>, tensor<4x8xi8>, tensor<4xf32>) -> tensor<f32>
  return
}

// -----

func.func @w4_rank0_result(%x: tensor<2x64xf32>, %q: tensor<3x64xui8>, %s: tensor<2x3xf32>) {
  // expected-error @+1 {{'tsr.w4_linear' op input and result must have rank >= 1}}
  %0 = tsr.w4_linear %x, %q scale %s {group_size = 32 : i64} : (tensor<2x64xf32>, tensor<3x64xui8>, tensor<2x3xf32>) -> tensor<f32>
  return
}

// -----

// Tests that check_indices' sizes are positive.
func.func @check_indices_size(%i: tensor<3xi64>) {
  // expected-error @+1 {{'tsr.check_indices' op sizes must be positive, got 0}}
  %0 = tsr.check_indices %i {sizes = array<i64: 0>, what = "x"} : tensor<3xi64>
  return
}

// -----

// Tests that per-component sizes match the indices' last dim.
func.func @check_indices_components(%i: tensor<3x2xi64>) {
  // expected-error @+1 {{'tsr.check_indices' op per-component sizes need a static last dim of 3}}
  %0 = tsr.check_indices %i {sizes = array<i64: 4, 6, 8>, what = "x"} : tensor<3x2xi64>
  return
}

// -----

// Tests that a sparse linear's K and N are static.
func.func @sparse_dynamic_k(%x: tensor<2x?xf32>, %v: tensor<256xf32>, %i: tensor<1xi32>, %o: tensor<3xi32>) {
  // expected-error @+1 {{'tsr.sparse_linear' op K and N must be static}}
  %0 = tsr.sparse_linear %x, %v, %i, %o {format = #tsr<sparse_format block16>} : (tensor<2x?xf32>, tensor<256xf32>, tensor<1xi32>, tensor<3xi32>) -> tensor<2x20xf32>
  return
}

// -----

// Tests that block16 offsets have one entry per 16-column panel, plus one.
func.func @sparse_block_offsets(%x: tensor<2x16xf32>, %v: tensor<256xf32>, %i: tensor<1xi32>, %o: tensor<2xi32>) {
  // expected-error @+1 {{'tsr.sparse_linear' op offsets must have 3 elements for N = 20, got 2}}
  %0 = tsr.sparse_linear %x, %v, %i, %o {format = #tsr<sparse_format block16>} : (tensor<2x16xf32>, tensor<256xf32>, tensor<1xi32>, tensor<2xi32>) -> tensor<2x20xf32>
  return
}

// -----

// Tests that CSR offsets have one entry per output channel, plus one.
func.func @sparse_csr_offsets(%x: tensor<2x16xf32>, %v: tensor<5xf32>, %i: tensor<5xi32>, %o: tensor<3xi32>) {
  // expected-error @+1 {{'tsr.sparse_linear' op offsets must have 5 elements for N = 4, got 3}}
  %0 = tsr.sparse_linear %x, %v, %i, %o {format = #tsr<sparse_format csr>} : (tensor<2x16xf32>, tensor<5xf32>, tensor<5xi32>, tensor<3xi32>) -> tensor<2x4xf32>
  return
}

// -----

// Tests that a block holds 256 values.
func.func @sparse_block_values(%x: tensor<2x16xf32>, %v: tensor<300xf32>, %i: tensor<1xi32>, %o: tensor<2xi32>) {
  // expected-error @+1 {{'tsr.sparse_linear' op values must have 256 elements per index (256), got 300}}
  %0 = tsr.sparse_linear %x, %v, %i, %o {format = #tsr<sparse_format block16>} : (tensor<2x16xf32>, tensor<300xf32>, tensor<1xi32>, tensor<2xi32>) -> tensor<2x16xf32>
  return
}

// -----

// Tests that a CSR weight stores at most N x K values.
func.func @sparse_csr_too_many(%x: tensor<2x2xf32>, %v: tensor<5xf32>, %i: tensor<5xi32>, %o: tensor<3xi32>) {
  // expected-error @+1 {{'tsr.sparse_linear' op indices has 5 elements, more than the weight's 4}}
  %0 = tsr.sparse_linear %x, %v, %i, %o {format = #tsr<sparse_format csr>} : (tensor<2x2xf32>, tensor<5xf32>, tensor<5xi32>, tensor<3xi32>) -> tensor<2x2xf32>
  return
}

// -----

// Tests that a sparse linear's bias is [N].
func.func @sparse_bias(%x: tensor<2x2xf32>, %v: tensor<1xf32>, %i: tensor<1xi32>, %o: tensor<3xi32>, %b: tensor<3xf32>) {
  // expected-error @+1 {{'tsr.sparse_linear' op bias must be [N] with N = 2}}
  %0 = tsr.sparse_linear %x, %v, %i, %o, %b {format = #tsr<sparse_format csr>} : (tensor<2x2xf32>, tensor<1xf32>, tensor<1xi32>, tensor<3xi32>, tensor<3xf32>) -> tensor<2x2xf32>
  return
}

// -----

// Tests that a sparse linear's indices are i32.
func.func @sparse_index_type(%x: tensor<2x2xf32>, %v: tensor<1xf32>, %i: tensor<1xi64>, %o: tensor<3xi32>) {
  // expected-error @+1 {{'tsr.sparse_linear' op operand #2 must be ranked tensor of 32-bit signless integer values}}
  %0 = tsr.sparse_linear %x, %v, %i, %o {format = #tsr<sparse_format csr>} : (tensor<2x2xf32>, tensor<1xf32>, tensor<1xi64>, tensor<3xi32>) -> tensor<2x2xf32>
  return
}

// -----

// Tests that an attention window is not negative.
func.func @attention_negative_window(%q: tensor<1x2x8x4xf32>) {
  // expected-error @+1 {{'tsr.attention' op window must be in [0, 2^40] (0: no window), got -1}}
  %0 = tsr.attention %q, %q, %q {scale = 0.5 : f32, causal, window = -1 : i64} : (tensor<1x2x8x4xf32>, tensor<1x2x8x4xf32>, tensor<1x2x8x4xf32>) -> tensor<1x2x8x4xf32>
  return
}
