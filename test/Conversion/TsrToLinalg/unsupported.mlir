// RUN: tessera-opt %s --split-input-file --tsr-lower-to-linalg -verify-diagnostics

// The ops the lowering refuses: the pass fails with a diagnostic on the op
// instead of leaving tsr behind or producing invalid arith.

// Tests that integer pow is refused (math.ipowi has no lowering downstream).
func.func @pow_integer(%a: tensor<4xi32>) -> tensor<4xi32> {
  // expected-error @+1 {{failed to legalize operation 'tsr.pow' that was explicitly marked illegal}}
  %0 = tsr.pow %a, %a : tensor<4xi32>, tensor<4xi32> -> tensor<4xi32>
  return %0 : tensor<4xi32>
}

// -----

// Tests that and/or on floats are refused instead of emitting arith.andi on f32.
func.func @and_float(%a: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{failed to legalize operation 'tsr.and' that was explicitly marked illegal}}
  %0 = tsr.and %a, %a : tensor<4xf32>, tensor<4xf32> -> tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

// Tests that an integer mean is refused (the count is a float).
func.func @mean_integer(%x: tensor<4x8xi32>) -> tensor<4xi32> {
  // expected-error @+1 {{failed to legalize operation 'tsr.reduce' that was explicitly marked illegal}}
  %0 = tsr.reduce mean %x {axes = array<i64: 1>} : tensor<4x8xi32> -> tensor<4xi32>
  return %0 : tensor<4xi32>
}

// -----

// Tests that grouped-query attention with a dynamic head count is refused.
func.func @attention_dynamic_heads(%q: tensor<1x?x8x4xf32>, %k: tensor<1x2x8x4xf32>) -> tensor<1x?x8x4xf32> {
  // expected-error @+1 {{failed to legalize operation 'tsr.attention' that was explicitly marked illegal}}
  %0 = tsr.attention %q, %k, %k {scale = 0.5 : f32} : (tensor<1x?x8x4xf32>, tensor<1x2x8x4xf32>, tensor<1x2x8x4xf32>) -> tensor<1x?x8x4xf32>
  return %0 : tensor<1x?x8x4xf32>
}
