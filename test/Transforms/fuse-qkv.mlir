// RUN: tessera-opt %s --split-input-file --tsr-fuse-qkv | FileCheck %s

// Tests that three linears of one input (different N, a weight stored
// [K, N] under a transpose, a missing bias, dynamic leading dims) become one
// linear whose weight and bias are the parts concatenated along N, and a
// slice per part. The blobs hold [[1,2],[3,4]], [[5,6]], then [[7,10],
// [8,11],[9,12]] (the transposed [K, N] constant) and the bias 0.5, 0.25
// followed by zeros.
// CHECK-LABEL: func.func @qkv
//  CHECK-SAME:   (%[[X:.+]]: tensor<?x?x2xf32>)
//       CHECK:   %[[W:.+]] = tsr.constant {tsr.name = "q.w+k.w+v.w"} dense_resource<"q.w+k.w+v.w"> : tensor<6x2xf32>
//       CHECK:   %[[B:.+]] = tsr.constant dense_resource<fused_bias> : tensor<6xf32>
//       CHECK:   %[[F:.+]] = tsr.linear %[[X]], %[[W]], %[[B]] : (tensor<?x?x2xf32>, tensor<6x2xf32>, tensor<6xf32>) -> tensor<?x?x6xf32>
//   CHECK-DAG:   %[[D0:.+]] = tensor.dim %[[F]], %c0
//   CHECK-DAG:   %[[D1:.+]] = tensor.dim %[[F]], %c1
//       CHECK:   %[[Q:.+]] = tsr.slice %[[F]] offsets[] sizes[%[[D0]], %[[D1]]] {static_offsets = array<i64: 0, 0, 0>, steps = array<i64: 1, 1, 1>} : tensor<?x?x6xf32> -> tensor<?x?x2xf32>
//       CHECK:   %[[K:.+]] = tsr.slice %[[F]] offsets[] sizes[%[[D0]], %[[D1]]] {static_offsets = array<i64: 0, 0, 2>, steps = array<i64: 1, 1, 1>} : tensor<?x?x6xf32> -> tensor<?x?x1xf32>
//       CHECK:   %[[V:.+]] = tsr.slice %[[F]] offsets[] sizes[%[[D0]], %[[D1]]] {static_offsets = array<i64: 0, 0, 3>, steps = array<i64: 1, 1, 1>} : tensor<?x?x6xf32> -> tensor<?x?x3xf32>
//   CHECK-NOT:   tsr.linear
//   CHECK-NOT:   tsr.transpose
//       CHECK:   return %[[Q]], %[[K]], %[[V]]
//       CHECK:   "q.w+k.w+v.w": "0x400000000000803F0000004000004040000080400000A0400000C0400000E0400000204100000041000030410000104100004041"
//       CHECK:   fused_bias: "0x400000000000003F0000803E00000000000000000000000000000000"
func.func @qkv(%x: tensor<?x?x2xf32>) -> (tensor<?x?x2xf32>, tensor<?x?x1xf32>, tensor<?x?x3xf32>) {
  %wq = tsr.constant {tsr.name = "q.w"} dense<[[1.0, 2.0], [3.0, 4.0]]> : tensor<2x2xf32>
  %wk = tsr.constant {tsr.name = "k.w"} dense<[[5.0, 6.0]]> : tensor<1x2xf32>
  %wv = tsr.constant {tsr.name = "v.w"} dense<[[7.0, 8.0, 9.0], [10.0, 11.0, 12.0]]> : tensor<2x3xf32>
  %tv = tsr.transpose %wv {permutation = array<i64: 1, 0>} : tensor<2x3xf32> -> tensor<3x2xf32>
  %bq = tsr.constant dense<[0.5, 0.25]> : tensor<2xf32>
  %q = tsr.linear %x, %wq, %bq : (tensor<?x?x2xf32>, tensor<2x2xf32>, tensor<2xf32>) -> tensor<?x?x2xf32>
  %k = tsr.linear %x, %wk : (tensor<?x?x2xf32>, tensor<1x2xf32>) -> tensor<?x?x1xf32>
  %v = tsr.linear %x, %tv : (tensor<?x?x2xf32>, tensor<3x2xf32>) -> tensor<?x?x3xf32>
  return %q, %k, %v : tensor<?x?x2xf32>, tensor<?x?x1xf32>, tensor<?x?x3xf32>
}

// -----

// Tests that weights already held as resource blobs are concatenated (K and
// V of cross-attention read the encoder output, Q the decoder's: only K and
// V fuse), and that a part used twice is replaced everywhere.
// CHECK-LABEL: func.func @cross_attention_kv
//  CHECK-SAME:   (%[[DEC:.+]]: tensor<4x2xf32>, %[[ENC:.+]]: tensor<3x2xf32>)
//       CHECK:   tsr.linear %[[DEC]], %{{.+}} : (tensor<4x2xf32>, tensor<2x2xf32>) -> tensor<4x2xf32>
//       CHECK:   %[[W:.+]] = tsr.constant {tsr.name = "k.w+v.w"} dense_resource<"k.w+v.w"> : tensor<4x2xf32>
//       CHECK:   %[[F:.+]] = tsr.linear %[[ENC]], %[[W]] : (tensor<3x2xf32>, tensor<4x2xf32>) -> tensor<3x4xf32>
//       CHECK:   %[[K:.+]] = tsr.slice %[[F]] offsets[] sizes[] {static_offsets = array<i64: 0, 0>, steps = array<i64: 1, 1>} : tensor<3x4xf32> -> tensor<3x2xf32>
//       CHECK:   %[[V:.+]] = tsr.slice %[[F]] offsets[] sizes[] {static_offsets = array<i64: 0, 2>, steps = array<i64: 1, 1>} : tensor<3x4xf32> -> tensor<3x2xf32>
//       CHECK:   return %{{.+}}, %[[K]], %[[V]], %[[K]]
//       CHECK:   "k.w+v.w": "0x400000000000803F00000040000040400000804000000000000000000000803F0000803F"
func.func @cross_attention_kv(%dec: tensor<4x2xf32>, %enc: tensor<3x2xf32>) -> (tensor<4x2xf32>, tensor<3x2xf32>, tensor<3x2xf32>, tensor<3x2xf32>) {
  %wq = tsr.constant {tsr.name = "q.w"} dense_resource<q_w> : tensor<2x2xf32>
  %wk = tsr.constant {tsr.name = "k.w"} dense_resource<k_w> : tensor<2x2xf32>
  %wv = tsr.constant {tsr.name = "v.w"} dense_resource<v_w> : tensor<2x2xf32>
  %q = tsr.linear %dec, %wq : (tensor<4x2xf32>, tensor<2x2xf32>) -> tensor<4x2xf32>
  %k = tsr.linear %enc, %wk : (tensor<3x2xf32>, tensor<2x2xf32>) -> tensor<3x2xf32>
  %v = tsr.linear %enc, %wv : (tensor<3x2xf32>, tensor<2x2xf32>) -> tensor<3x2xf32>
  return %q, %k, %v, %k : tensor<4x2xf32>, tensor<3x2xf32>, tensor<3x2xf32>, tensor<3x2xf32>
}

{-#
  dialect_resources: {
    builtin: {
      q_w: "0x1000000000000040000000400000004000000040",
      k_w: "0x100000000000803F000000400000404000008040",
      v_w: "0x1000000000000000000000000000803F0000803F"
    }
  }
#-}

// -----

// Tests that linears with different epilogues, a non-constant weight, or
// alone on their input are left alone.
// CHECK-LABEL: func.func @not_fused
//   CHECK-NOT:   tsr.slice
//   CHECK-NOT:   dense_resource
func.func @not_fused(%x: tensor<8x4xf32>, %w: tensor<3x4xf32>, %y: tensor<8x4xf32>) -> (tensor<8x3xf32>, tensor<8x3xf32>, tensor<8x3xf32>, tensor<8x3xf32>) {
  %c = tsr.constant dense<1.0> : tensor<3x4xf32>
  %0 = tsr.linear %x, %c {epilogue = #tsr<epilogue gelu>} : (tensor<8x4xf32>, tensor<3x4xf32>) -> tensor<8x3xf32>
  %1 = tsr.linear %x, %c : (tensor<8x4xf32>, tensor<3x4xf32>) -> tensor<8x3xf32>
  %2 = tsr.linear %x, %w {epilogue = #tsr<epilogue gelu>} : (tensor<8x4xf32>, tensor<3x4xf32>) -> tensor<8x3xf32>
  %3 = tsr.linear %y, %c : (tensor<8x4xf32>, tensor<3x4xf32>) -> tensor<8x3xf32>
  return %0, %1, %2, %3 : tensor<8x3xf32>, tensor<8x3xf32>, tensor<8x3xf32>, tensor<8x3xf32>
}

// -----

// Tests that the epilogue is kept when all parts share it (gate and up
// projections of a gated MLP fuse the same way).
// CHECK-LABEL: func.func @shared_epilogue
//       CHECK:   %[[F:.+]] = tsr.linear %{{.+}}, %{{.+}} {epilogue = #tsr<epilogue silu>} : (tensor<8x4xf32>, tensor<6x4xf32>) -> tensor<8x6xf32>
//   CHECK-NOT:   tsr.linear
func.func @shared_epilogue(%x: tensor<8x4xf32>) -> (tensor<8x3xf32>, tensor<8x3xf32>) {
  %c = tsr.constant dense<1.0> : tensor<3x4xf32>
  %d = tsr.constant dense<2.0> : tensor<3x4xf32>
  %0 = tsr.linear %x, %c {epilogue = #tsr<epilogue silu>} : (tensor<8x4xf32>, tensor<3x4xf32>) -> tensor<8x3xf32>
  %1 = tsr.linear %x, %d {epilogue = #tsr<epilogue silu>} : (tensor<8x4xf32>, tensor<3x4xf32>) -> tensor<8x3xf32>
  return %0, %1 : tensor<8x3xf32>, tensor<8x3xf32>
}

// -----

// Tests that int8 linears of one input with one activation quantization
// fuse too: values, scales and biases concatenated along N, the input
// quantization kept; a third one with another zero point stays apart.
// CHECK-LABEL: func.func @quantized_qkv
//       CHECK:   %[[W:.+]] = tsr.constant {tsr.name = "q.w+k.w"} dense_resource<"q.w+k.w"> : tensor<3x2xi8>
//       CHECK:   %[[B:.+]] = tsr.constant dense_resource<fused_bias> : tensor<3xf32>
//       CHECK:   %[[S:.+]] = tsr.constant {tsr.name = "q.s+k.s"} dense_resource<"q.s+k.s"> : tensor<3xf32>
//       CHECK:   %[[F:.+]] = tsr.quantized_linear %{{.+}}, %[[W]] scale %[[S]] bias %[[B]] {input_quant = #tsr<input_quant static_tensor>, input_scale = 5.000000e-01 : f32, input_zero_point = 3 : i32} : (tensor<4x2xf32>, tensor<3x2xi8>, tensor<3xf32>, tensor<3xf32>) -> tensor<4x3xf32>
//       CHECK:   tsr.slice %[[F]]
//       CHECK:   tsr.slice %[[F]]
//       CHECK:   tsr.quantized_linear {{.*}}input_zero_point = 4 : i32
//       CHECK:   "q.w+k.w": "0x40000000010203040506"
//       CHECK:   fused_bias: "0x400000000000803F0000000000000000"
//       CHECK:   "q.s+k.s": "0x400000000000003F0000803E0000003E"
func.func @quantized_qkv(%x: tensor<4x2xf32>) -> (tensor<4x2xf32>, tensor<4x1xf32>, tensor<4x1xf32>) {
  %wq = tsr.constant {tsr.name = "q.w"} dense<[[1, 2], [3, 4]]> : tensor<2x2xi8>
  %wk = tsr.constant {tsr.name = "k.w"} dense<[[5, 6]]> : tensor<1x2xi8>
  %sq = tsr.constant {tsr.name = "q.s"} dense<[0.5, 0.25]> : tensor<2xf32>
  %sk = tsr.constant {tsr.name = "k.s"} dense<[0.125]> : tensor<1xf32>
  %bq = tsr.constant dense<[1.0, 0.0]> : tensor<2xf32>
  %q = tsr.quantized_linear %x, %wq scale %sq bias %bq {input_quant = #tsr<input_quant static_tensor>, input_scale = 0.5 : f32, input_zero_point = 3 : i32} : (tensor<4x2xf32>, tensor<2x2xi8>, tensor<2xf32>, tensor<2xf32>) -> tensor<4x2xf32>
  %k = tsr.quantized_linear %x, %wk scale %sk {input_quant = #tsr<input_quant static_tensor>, input_scale = 0.5 : f32, input_zero_point = 3 : i32} : (tensor<4x2xf32>, tensor<1x2xi8>, tensor<1xf32>) -> tensor<4x1xf32>
  %v = tsr.quantized_linear %x, %wk scale %sk {input_quant = #tsr<input_quant static_tensor>, input_scale = 0.5 : f32, input_zero_point = 4 : i32} : (tensor<4x2xf32>, tensor<1x2xi8>, tensor<1xf32>) -> tensor<4x1xf32>
  return %q, %k, %v : tensor<4x2xf32>, tensor<4x1xf32>, tensor<4x1xf32>
}
