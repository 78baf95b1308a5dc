// RUN: tessera-opt %s --split-input-file --tsr-pack-weights | FileCheck %s

// Tests that a quantized linear's [N, K] = [2, 5] int8 weight becomes the
// int8 kernels' [ceil(N/16), ceil(K/4), 64] panels (group g holds, for each
// of 16 columns, its k values 4g..4g+3; zeros past N and K) and that the
// column sums become the weight_sums operand.
// W = [[1, 2, 3, 4, 5], [-1, -2, -3, -4, -5]]: group 0 is 01020304
// FFFEFDFC (columns 0, 1) then zeros, group 1 is 05000000 FB000000 then
// zeros; the sums are 15 and -15.
// CHECK-LABEL: func.func @pack_quantized
//   CHECK-NOT:   tensor<2x5xi8>
//       CHECK:   %[[P:.+]] = tsr.constant {tsr.name = "fc.weight.int8"} dense_resource<fc.weight.int8.packed> : tensor<1x2x64xi8>
//       CHECK:   %[[C:.+]] = tsr.constant {tsr.name = "fc.weight.int8.sums"} dense_resource<fc.weight.int8.sums> : tensor<2xi32>
//       CHECK:   tsr.quantized_linear %{{.+}}, %[[P]] scale %{{.+}} sums %[[C]] {weight_packed}
//       CHECK:   fc.weight.int8.packed: "0x08000000
//  CHECK-SAME:   01020304FFFEFDFC[[PAD:(00000000){14}]]
//  CHECK-SAME:   05000000FB000000[[PAD]]"
//       CHECK:   fc.weight.int8.sums: "0x040000000F000000F1FFFFFF"
func.func @pack_quantized(%x: tensor<3x5xf32>) -> tensor<3x2xf32> {
  %w = tsr.constant {tsr.name = "fc.weight.int8"} dense<[[1, 2, 3, 4, 5], [-1, -2, -3, -4, -5]]> : tensor<2x5xi8>
  %s = tsr.constant dense<[0.5, 0.25]> : tensor<2xf32>
  %0 = tsr.quantized_linear %x, %w scale %s : (tensor<3x5xf32>, tensor<2x5xi8>, tensor<2xf32>) -> tensor<3x2xf32>
  return %0 : tensor<3x2xf32>
}

// -----

// Tests that a w4 linear's [N, K] = [2, 4] values become the 4-bit kernels'
// [ceil(N/16), K/2, 16] bytes, two k values per byte (k even low), and its
// [K/group, N] scales and zero points become panel-major [ceil(N/16),
// K/group, 16], zero past N.
// Row 0 = [0, 15, 0, 14], row 1 = [8, 8, 8, 8]: byte row 0 is F0 88, byte
// row 1 is E0 88, then zeros.
// CHECK-LABEL: func.func @pack_w4
//       CHECK:   %[[S:.+]] = tsr.constant {tsr.name = "s"} dense_resource<s.packed> : tensor<1x2x16xf32>
//       CHECK:   %[[P:.+]] = tsr.constant {tsr.name = "q"} dense_resource<q.packed> : tensor<1x2x16xui8>
//       CHECK:   tsr.w4_linear %{{.+}}, %[[P]] scale %[[S]] {group_size = 2 : i64, weight_packed}
//   CHECK-DAG:   q.packed: "0x08000000F088[[Z14:(00){14}]]E088[[Z14]]"
//   CHECK-DAG:   s.packed: "0x040000000000003F0000803E[[F14:(00000000){14}]]0000803F00000040[[F14]]"
func.func @pack_w4(%x: tensor<3x4xf32>) -> tensor<3x2xf32> {
  %q = tsr.constant {tsr.name = "q"} dense<[[0, 15, 0, 14], [8, 8, 8, 8]]> : tensor<2x4xui8>
  %s = tsr.constant {tsr.name = "s"} dense<[[0.5, 0.25], [1.0, 2.0]]> : tensor<2x2xf32>
  %0 = tsr.w4_linear %x, %q scale %s {group_size = 2 : i64} : (tensor<3x4xf32>, tensor<2x4xui8>, tensor<2x2xf32>) -> tensor<3x2xf32>
  return %0 : tensor<3x2xf32>
}

// -----

// Tests that a bf16 linear's [N, K] = [2, 3] weight becomes the bf16
// kernels' [ceil(N/16), ceil(K/2), 32] panels (row r holds, for each of 16
// columns, its k values 2r and 2r + 1; zeros past N and K), packed once for
// the two linears that read it.
// W = [[1, 2, 3], [-1, -2, -3]]: row 0 is 803F0040 80BF00C0 (columns 0, 1)
// then zeros, row 1 is 40400000 40C00000 then zeros.
// CHECK-LABEL: func.func @pack_bf16
//       CHECK:   %[[P:.+]] = tsr.constant {tsr.name = "w"} dense_resource<w.packed> : tensor<1x2x32xbf16>
//       CHECK:   tsr.bf16_linear %{{.+}}, %[[P]] {weight_packed} : (tensor<3x3xf32>, tensor<1x2x32xbf16>) -> tensor<3x2xf32>
//       CHECK:   tsr.bf16_linear %{{.+}}, %[[P]] {weight_packed} : (tensor<4x3xf32>, tensor<1x2x32xbf16>) -> tensor<4x2xf32>
//       CHECK:   w.packed: "0x08000000803F004080BF00C0[[Z14:(00000000){14}]]4040000040C00000[[Z14]]"
func.func @pack_bf16(%x: tensor<3x3xf32>, %y: tensor<4x3xf32>) -> (tensor<3x2xf32>, tensor<4x2xf32>) {
  %w = tsr.constant {tsr.name = "w"} dense<[[1.0, 2.0, 3.0], [-1.0, -2.0, -3.0]]> : tensor<2x3xbf16>
  %0 = tsr.bf16_linear %x, %w : (tensor<3x3xf32>, tensor<2x3xbf16>) -> tensor<3x2xf32>
  %1 = tsr.bf16_linear %y, %w : (tensor<4x3xf32>, tensor<2x3xbf16>) -> tensor<4x2xf32>
  return %0, %1 : tensor<3x2xf32>, tensor<4x2xf32>
}
