// RUN: tessera-opt %s --split-input-file --tsr-pack-weights | FileCheck %s

// Tests that a constant [N, K] = [2, 3] weight becomes a packed [1, K, 16]
// resource named after it: row k of the panel holds W[0, k], W[1, k], then
// zeros (little-endian f32 after the blob's 4-byte alignment word).
// CHECK-LABEL: func.func @pack_dense
//  CHECK-SAME:   (%[[X:.+]]: tensor<5x3xf32>)
//   CHECK-NOT:   tensor<2x3xf32>
//       CHECK:   %[[P:.+]] = tsr.constant {tsr.name = "fc.weight"} dense_resource<fc.weight.packed> : tensor<1x3x16xf32>
//       CHECK:   tsr.linear %[[X]], %[[P]] {weight_packed} : (tensor<5x3xf32>, tensor<1x3x16xf32>) -> tensor<5x2xf32>
//       CHECK:   fc.weight.packed: "0x04000000
//  CHECK-SAME:   0000803F00008040[[PAD:(00000000){14}]]
//  CHECK-SAME:   000000400000A040[[PAD]]
//  CHECK-SAME:   000040400000C040[[PAD]]"
func.func @pack_dense(%x: tensor<5x3xf32>) -> tensor<5x2xf32> {
  %w = tsr.constant {tsr.name = "fc.weight"} dense<[[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]> : tensor<2x3xf32>
  %0 = tsr.linear %x, %w : (tensor<5x3xf32>, tensor<2x3xf32>) -> tensor<5x2xf32>
  return %0 : tensor<5x2xf32>
}

// -----

// Tests that the [K, N] constant under a transpose (what tsr-fuse-linear
// makes of a MatMul) packs the same matrix into the same bytes, and that the
// transpose and the unpacked constant go away.
// CHECK-LABEL: func.func @pack_transposed
//   CHECK-NOT:   tsr.transpose
//       CHECK:   %[[P:.+]] = tsr.constant {tsr.name = "fc.weight"} dense_resource<fc.weight.packed> : tensor<1x3x16xf32>
//       CHECK:   tsr.linear %{{.+}}, %[[P]] {weight_packed}
//       CHECK:   fc.weight.packed: "0x04000000
//  CHECK-SAME:   0000803F00008040[[PAD:(00000000){14}]]
//  CHECK-SAME:   000000400000A040[[PAD]]
//  CHECK-SAME:   000040400000C040[[PAD]]"
func.func @pack_transposed(%x: tensor<5x3xf32>) -> tensor<5x2xf32> {
  %w = tsr.constant {tsr.name = "fc.weight"} dense<[[1.0, 4.0], [2.0, 5.0], [3.0, 6.0]]> : tensor<3x2xf32>
  %t = tsr.transpose %w {permutation = array<i64: 1, 0>} : tensor<3x2xf32> -> tensor<2x3xf32>
  %0 = tsr.linear %x, %t : (tensor<5x3xf32>, tensor<2x3xf32>) -> tensor<5x2xf32>
  return %0 : tensor<5x2xf32>
}

// -----

// Tests that a dense_resource weight is read from its blob and packed alike,
// and that an unnamed result is named "weight".
// CHECK-LABEL: func.func @pack_resource
//       CHECK:   tsr.constant {tsr.name = "weight"} dense_resource<weight.packed> : tensor<1x3x16xf32>
//       CHECK:   weight.packed: "0x04000000
//  CHECK-SAME:   0000803F00008040[[PAD:(00000000){14}]]
//  CHECK-SAME:   000000400000A040[[PAD]]
//  CHECK-SAME:   000040400000C040[[PAD]]"
func.func @pack_resource(%x: tensor<5x3xf32>) -> tensor<5x2xf32> {
  %w = tsr.constant dense_resource<blob> : tensor<2x3xf32>
  %0 = tsr.linear %x, %w : (tensor<5x3xf32>, tensor<2x3xf32>) -> tensor<5x2xf32>
  return %0 : tensor<5x2xf32>
}

{-#
  dialect_resources: {
    builtin: {
      blob: "0x040000000000803F0000004000004040000080400000A0400000C040"
    }
  }
#-}

// -----

// Tests that N = 17 needs two panels, the second holding column 16 and
// zero padding: W is [17, 2] with W[n, k] = 2n + k + 1.
// CHECK-LABEL: func.func @two_panels
//       CHECK:   %[[P:.+]] = tsr.constant {tsr.name = "w"} dense_resource<w.packed> : tensor<2x2x16xf32>
//       CHECK:   tsr.linear %{{.+}}, %[[P]] {weight_packed} : (tensor<4x2xf32>, tensor<2x2x16xf32>) -> tensor<4x17xf32>
//       CHECK:   w.packed: "0x04000000
//  CHECK-SAME:   0000803F000040400000A0400000E0400000104100003041000050410000704100008841000098410000A8410000B8410000C8410000D8410000E8410000F841
//  CHECK-SAME:   00000040000080400000C0400000004100002041000040410000604100008041000090410000A0410000B0410000C0410000D0410000E0410000F04100000042
//  CHECK-SAME:   00000442[[PAD:(00000000){15}]]
//  CHECK-SAME:   00000842[[PAD]]"
func.func @two_panels(%x: tensor<4x2xf32>) -> tensor<4x17xf32> {
  %w = tsr.constant {tsr.name = "w"} dense<[[1.0, 2.0], [3.0, 4.0], [5.0, 6.0], [7.0, 8.0], [9.0, 10.0], [11.0, 12.0], [13.0, 14.0], [15.0, 16.0], [17.0, 18.0], [19.0, 20.0], [21.0, 22.0], [23.0, 24.0], [25.0, 26.0], [27.0, 28.0], [29.0, 30.0], [31.0, 32.0], [33.0, 34.0]]> : tensor<17x2xf32>
  %0 = tsr.linear %x, %w : (tensor<4x2xf32>, tensor<17x2xf32>) -> tensor<4x17xf32>
  return %0 : tensor<4x17xf32>
}

// -----

// Tests that a weight with another user stays for it while both linears
// read packed copies.
// CHECK-LABEL: func.func @shared_weight
//       CHECK:   %[[W:.+]] = tsr.constant {tsr.name = "w"} dense<1.000000e+00> : tensor<2x3xf32>
//       CHECK:   tsr.linear %{{.+}}, %{{.+}} {weight_packed}
//       CHECK:   tsr.linear %{{.+}}, %{{.+}} {weight_packed}
//       CHECK:   tsr.add %{{.+}}, %[[W]]
func.func @shared_weight(%x: tensor<5x3xf32>) -> (tensor<5x2xf32>, tensor<5x2xf32>, tensor<2x3xf32>) {
  %w = tsr.constant {tsr.name = "w"} dense<1.0> : tensor<2x3xf32>
  %0 = tsr.linear %x, %w : (tensor<5x3xf32>, tensor<2x3xf32>) -> tensor<5x2xf32>
  %1 = tsr.linear %x, %w : (tensor<5x3xf32>, tensor<2x3xf32>) -> tensor<5x2xf32>
  %2 = tsr.add %w, %w : tensor<2x3xf32>, tensor<2x3xf32> -> tensor<2x3xf32>
  return %0, %1, %2 : tensor<5x2xf32>, tensor<5x2xf32>, tensor<2x3xf32>
}

// -----

// Tests that f16 weights (the kernel is f32-only) are left alone.
// CHECK-LABEL: func.func @f16_weight
//   CHECK-NOT:   dense_resource
//   CHECK-NOT:   weight_packed
//       CHECK:   tsr.linear %{{.+}}, %{{.+}} : (tensor<5x3xf16>, tensor<2x3xf16>) -> tensor<5x2xf16>
func.func @f16_weight(%x: tensor<5x3xf16>) -> tensor<5x2xf16> {
  %w = tsr.constant dense<1.0> : tensor<2x3xf16>
  %0 = tsr.linear %x, %w : (tensor<5x3xf16>, tensor<2x3xf16>) -> tensor<5x2xf16>
  return %0 : tensor<5x2xf16>
}

// -----

// Tests that a weight computed at run time, or transposed from an argument,
// is left alone.
// CHECK-LABEL: func.func @non_constant_weight
//   CHECK-NOT:   weight_packed
//       CHECK:   tsr.linear %{{.+}}, %{{.+}} : (tensor<5x3xf32>, tensor<2x3xf32>) -> tensor<5x2xf32>
//       CHECK:   tsr.transpose
//   CHECK-NOT:   weight_packed
//       CHECK:   tsr.linear %{{.+}}, %{{.+}} : (tensor<5x3xf32>, tensor<2x3xf32>) -> tensor<5x2xf32>
func.func @non_constant_weight(%x: tensor<5x3xf32>, %w: tensor<2x3xf32>, %v: tensor<3x2xf32>) -> (tensor<5x2xf32>, tensor<5x2xf32>) {
  %0 = tsr.linear %x, %w : (tensor<5x3xf32>, tensor<2x3xf32>) -> tensor<5x2xf32>
  %t = tsr.transpose %v {permutation = array<i64: 1, 0>} : tensor<3x2xf32> -> tensor<2x3xf32>
  %1 = tsr.linear %x, %t : (tensor<5x3xf32>, tensor<2x3xf32>) -> tensor<5x2xf32>
  return %0, %1 : tensor<5x2xf32>, tensor<5x2xf32>
}

// -----

// Tests that an already packed linear is not packed again.
// CHECK-LABEL: func.func @already_packed
//       CHECK:   %[[P:.+]] = tsr.constant {tsr.name = "p"} dense<1.000000e+00> : tensor<1x3x16xf32>
//       CHECK:   tsr.linear %{{.+}}, %[[P]] {weight_packed}
//   CHECK-NOT:   dense_resource
func.func @already_packed(%x: tensor<5x3xf32>) -> tensor<5x2xf32> {
  %p = tsr.constant {tsr.name = "p"} dense<1.0> : tensor<1x3x16xf32>
  %0 = tsr.linear %x, %p {weight_packed} : (tensor<5x3xf32>, tensor<1x3x16xf32>) -> tensor<5x2xf32>
  return %0 : tensor<5x2xf32>
}

// -----

// Tests that a resource weight packed for one function's linear keeps its
// data for another function that still reads it: the pass frees an unpacked
// weight's blob only when no op of the module references it anymore.
// CHECK-LABEL: func.func @packs_shared_resource
//       CHECK:   tsr.constant {tsr.name = "w"} dense_resource<w.packed> : tensor<1x3x16xf32>
// CHECK-LABEL: func.func @reads_shared_resource
//       CHECK:   %[[W:.+]] = tsr.constant dense_resource<shared> : tensor<2x3xf32>
//       CHECK:   return %[[W]]
//       CHECK:   shared: "0x040000000000803F0000004000004040000080400000A0400000C040"
func.func @packs_shared_resource(%x: tensor<5x3xf32>) -> tensor<5x2xf32> {
  %w = tsr.constant {tsr.name = "w"} dense_resource<shared> : tensor<2x3xf32>
  %0 = tsr.linear %x, %w : (tensor<5x3xf32>, tensor<2x3xf32>) -> tensor<5x2xf32>
  return %0 : tensor<5x2xf32>
}

func.func @reads_shared_resource() -> tensor<2x3xf32> {
  %w = tsr.constant dense_resource<shared> : tensor<2x3xf32>
  return %w : tensor<2x3xf32>
}

{-#
  dialect_resources: {
    builtin: {
      shared: "0x040000000000803F0000004000004040000080400000A0400000C040"
    }
  }
#-}
