// RUN: tessera-opt %s --split-input-file --tsr-quantize='scheme=bf16' --verify-diagnostics | FileCheck %s

// Tests that --quantize=bf16 turns a linear with a constant [N, K] weight
// into a bf16_linear of the weight rounded to nearest even, keeping its
// bias and epilogue: 1.00390625 is halfway between the bf16 values 1.0
// (0x3F80) and 1.0078125 (0x3F81) and goes to the even 0x3F80;
// 1.01171875 is halfway between 0x3F81 and 0x3F82 and goes to 0x3F82.
// CHECK-LABEL: func.func @bf16_weight
//   CHECK-NOT:   tensor<2x4xf32>
//       CHECK:   %[[W:.+]] = tsr.constant {tsr.name = "fc.weight.bf16"} dense_resource<fc.weight.bf16> : tensor<2x4xbf16>
//       CHECK:   tsr.bf16_linear %{{.+}}, %[[W]], %{{.+}} {epilogue = #tsr<epilogue gelu>} : (tensor<5x4xf32>, tensor<2x4xbf16>, tensor<2xf32>) -> tensor<5x2xf32>
//       CHECK:   fc.weight.bf16: "0x02000000803F803F823F00C0003F00000000{{4040}}"
func.func @bf16_weight(%x: tensor<5x4xf32>) -> tensor<5x2xf32> {
  %w = tsr.constant {tsr.name = "fc.weight"} dense<[[1.0, 1.00390625, 1.01171875, -2.0], [0.5, 0.0, 0.0, 3.0]]> : tensor<2x4xf32>
  %b = tsr.constant dense<[0.5, -0.5]> : tensor<2xf32>
  %0 = tsr.linear %x, %w, %b {epilogue = #tsr<epilogue gelu>} : (tensor<5x4xf32>, tensor<2x4xf32>, tensor<2xf32>) -> tensor<5x2xf32>
  return %0 : tensor<5x2xf32>
}

// -----

// Tests that the [K, N] constant under a transpose becomes an [N, K] bf16
// weight, converted once for the two linears that read it, and that a
// linear whose weight is not a constant stays f32 with a remark.
// CHECK-LABEL: func.func @bf16_transposed_tied
//   CHECK-NOT:   tsr.transpose
//       CHECK:   %[[W:.+]] = tsr.constant {tsr.name = "tied.bf16"} dense_resource<tied.bf16> : tensor<2x3xbf16>
//       CHECK:   tsr.bf16_linear %arg0, %[[W]] :
//       CHECK:   tsr.bf16_linear %arg1, %[[W]] :
//       CHECK:   tsr.linear %arg0, %arg2 :
//       CHECK:   tied.bf16: "0x02000000803F0040404000C040C0C0C0"
func.func @bf16_transposed_tied(%x: tensor<5x3xf32>, %y: tensor<7x3xf32>, %v: tensor<2x3xf32>) -> (tensor<5x2xf32>, tensor<7x2xf32>, tensor<5x2xf32>) {
  %w = tsr.constant {tsr.name = "tied"} dense<[[1.0, -2.0], [2.0, -3.0], [3.0, -6.0]]> : tensor<3x2xf32>
  %t = tsr.transpose %w {permutation = array<i64: 1, 0>} : tensor<3x2xf32> -> tensor<2x3xf32>
  %0 = tsr.linear %x, %t : (tensor<5x3xf32>, tensor<2x3xf32>) -> tensor<5x2xf32>
  %1 = tsr.linear %y, %t : (tensor<7x3xf32>, tensor<2x3xf32>) -> tensor<7x2xf32>
  // expected-remark @+1 {{not quantized: a linear whose weight is not a compile-time constant}}
  %2 = tsr.linear %x, %v : (tensor<5x3xf32>, tensor<2x3xf32>) -> tensor<5x2xf32>
  return %0, %1, %2 : tensor<5x2xf32>, tensor<7x2xf32>, tensor<5x2xf32>
}

// -----

// Tests that an embedding table becomes bf16 under this scheme (not int8):
// a gather of the bf16 table and an exact cast to f32, the table converted
// once for both gathers.
// CHECK-LABEL: func.func @bf16_embedding
//   CHECK-NOT:   tensor<1024x64xf32>
//       CHECK:   %[[T:.+]] = tsr.constant {tsr.name = "wte.bf16"} dense_resource<wte.bf16> : tensor<1024x64xbf16>
//       CHECK:   %[[G:.+]] = tsr.gather %[[T]][%arg0] {axis = 0 : i64} : (tensor<1024x64xbf16>, tensor<2x?xi64>) -> tensor<2x?x64xbf16>
//       CHECK:   tsr.cast %[[G]] : tensor<2x?x64xbf16> to tensor<2x?x64xf32>
//       CHECK:   tsr.gather %[[T]][%arg1]
//       CHECK:   wte.bf16: "0x02000000003F003F
func.func @bf16_embedding(%ids: tensor<2x?xi64>, %ids2: tensor<3xi64>) -> (tensor<2x?x64xf32>, tensor<3x64xf32>) {
  %wte = tsr.constant {tsr.name = "wte"} dense<0.5> : tensor<1024x64xf32>
  %e = tsr.gather %wte[%ids] {axis = 0 : i64} : (tensor<1024x64xf32>, tensor<2x?xi64>) -> tensor<2x?x64xf32>
  %e2 = tsr.gather %wte[%ids2] {axis = 0 : i64} : (tensor<1024x64xf32>, tensor<3xi64>) -> tensor<3x64xf32>
  return %e, %e2 : tensor<2x?x64xf32>, tensor<3x64xf32>
}

// -----

// Tests that a linear whose K is dynamic stays f32 (tsr.bf16_linear takes
// K static), and says why.
// CHECK-LABEL: func.func @bf16_dynamic_k
//       CHECK:   tsr.linear
func.func @bf16_dynamic_k(%x: tensor<5x?xf32>) -> tensor<5x2xf32> {
  %w = tsr.constant {tsr.name = "dyn.weight"} dense<1.0> : tensor<2x3xf32>
  // expected-remark @+1 {{not quantized: 'dyn.weight': K or N is dynamic}}
  %0 = tsr.linear %x, %w : (tensor<5x?xf32>, tensor<2x3xf32>) -> tensor<5x2xf32>
  return %0 : tensor<5x2xf32>
}

// -----

// Tests that an embedding table that is also a linear's weight (an LM head
// tied to the embeddings) becomes one bf16 constant for both.
// CHECK-LABEL: func.func @bf16_tied_head
//       CHECK:   %[[T:.+]] = tsr.constant {tsr.name = "wte.bf16"} dense_resource<wte.bf16> : tensor<1024x64xbf16>
//   CHECK-NOT:   tsr.constant
//       CHECK:   tsr.gather %[[T]][%arg0]
//       CHECK:   tsr.bf16_linear %{{.+}}, %[[T]] :
func.func @bf16_tied_head(%ids: tensor<5xi64>) -> tensor<5x1024xf32> {
  %wte = tsr.constant {tsr.name = "wte"} dense<0.5> : tensor<1024x64xf32>
  %e = tsr.gather %wte[%ids] {axis = 0 : i64} : (tensor<1024x64xf32>, tensor<5xi64>) -> tensor<5x64xf32>
  %0 = tsr.linear %e, %wte : (tensor<5x64xf32>, tensor<1024x64xf32>) -> tensor<5x1024xf32>
  return %0 : tensor<5x1024xf32>
}
