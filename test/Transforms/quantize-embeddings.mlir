// RUN: tessera-opt %s --split-input-file --tsr-quantize --verify-diagnostics | FileCheck %s
// RUN: tessera-opt %s --split-input-file --tsr-quantize="scheme=w4" --verify-diagnostics | FileCheck %s
// RUN: tessera-opt %s --split-input-file --tsr-quantize="skip=wte" 2>&1 | FileCheck %s --check-prefix=SKIP

// Tests that an embedding table (a gather along axis 0 of a constant f32
// [V, D] table of at least 65536 elements) becomes an int8 table with one
// scale per row, gathered, cast to f32 and multiplied by the gathered
// scale; the f32 table goes away and a table two gathers read is
// quantized once. The splat 0.5 gives scale 0.5 / 127 and values 127
// (0x7F) in every row.
// CHECK-LABEL: func.func @embedding
//   CHECK-NOT:   tensor<1024x64xf32>
//       CHECK:   %[[Q:.+]] = tsr.constant {tsr.name = "wte.int8"} dense_resource<wte.int8> : tensor<1024x64xi8>
//       CHECK:   %[[S:.+]] = tsr.constant {tsr.name = "wte.scale"} dense_resource<wte.scale> : tensor<1024x1xf32>
//       CHECK:   %[[G:.+]] = tsr.gather %[[Q]][%arg0] {axis = 0 : i64} : (tensor<1024x64xi8>, tensor<2x?xi64>) -> tensor<2x?x64xi8>
//       CHECK:   %[[F:.+]] = tsr.cast %[[G]] : tensor<2x?x64xi8> to tensor<2x?x64xf32>
//       CHECK:   %[[GS:.+]] = tsr.gather %[[S]][%arg0] {axis = 0 : i64} : (tensor<1024x1xf32>, tensor<2x?xi64>) -> tensor<2x?x1xf32>
//       CHECK:   %[[Y:.+]] = tsr.mul %[[F]], %[[GS]] : tensor<2x?x64xf32>, tensor<2x?x1xf32> -> tensor<2x?x64xf32>
//       CHECK:   tsr.gather %[[Q]][%arg1]
//   CHECK-NOT:   tsr.constant
//       CHECK:   return
//       CHECK:   wte.int8: "0x010000007F7F7F7F
// SKIP-LABEL: func.func @embedding
//       SKIP:   tsr.gather %{{.+}}[%arg0] {axis = 0 : i64} : (tensor<1024x64xf32>
func.func @embedding(%ids: tensor<2x?xi64>, %ids2: tensor<3xi64>) -> (tensor<2x?x64xf32>, tensor<3x64xf32>) {
  %wte = tsr.constant {tsr.name = "wte"} dense<0.5> : tensor<1024x64xf32>
  %e = tsr.gather %wte[%ids] {axis = 0 : i64} : (tensor<1024x64xf32>, tensor<2x?xi64>) -> tensor<2x?x64xf32>
  %e2 = tsr.gather %wte[%ids2] {axis = 0 : i64} : (tensor<1024x64xf32>, tensor<3xi64>) -> tensor<3x64xf32>
  return %e, %e2 : tensor<2x?x64xf32>, tensor<3x64xf32>
}

// -----

// Tests that small tables (under 65536 elements: position or token-type
// embeddings of small models) and gathers along another axis stay f32.
// CHECK-LABEL: func.func @small_or_other_axis
//   CHECK-NOT:   xi8>
func.func @small_or_other_axis(%ids: tensor<4xi64>) -> (tensor<4x64xf32>, tensor<1024x4xf32>) {
  %small = tsr.constant {tsr.name = "wpe"} dense<0.5> : tensor<512x64xf32>
  %big = tsr.constant {tsr.name = "table"} dense<0.5> : tensor<1024x64xf32>
  %e = tsr.gather %small[%ids] {axis = 0 : i64} : (tensor<512x64xf32>, tensor<4xi64>) -> tensor<4x64xf32>
  %c = tsr.gather %big[%ids] {axis = 1 : i64} : (tensor<1024x64xf32>, tensor<4xi64>) -> tensor<1024x4xf32>
  return %e, %c : tensor<4x64xf32>, tensor<1024x4xf32>
}
