// RUN: tessera-opt %s --tsr-pack-weights | FileCheck %s
// Only a [1, 0] transpose means the constant is stored [K, N].

// Tests that the weight under a no-op transpose is packed as the [N, K]
// weight it is: row k of the panel holds W[0, k], W[1, k], W[2, k].
// CHECK-LABEL: func.func @identity_transpose
//       CHECK:   tsr.linear %{{.+}}, %{{.+}} {weight_packed}
//       CHECK:   weight.packed: "0x04000000
//  CHECK-SAME:   0000803F000080400000E040[[PAD:(00000000){13}]]
//  CHECK-SAME:   000000400000A04000000041[[PAD]]
//  CHECK-SAME:   000040400000C04000001041[[PAD]]"
func.func @identity_transpose(%x: tensor<5x3xf32>) -> tensor<5x3xf32> {
  %w = tsr.constant dense<[[1.0, 2.0, 3.0], [4.0, 5.0, 6.0], [7.0, 8.0, 9.0]]> : tensor<3x3xf32>
  %t = tsr.transpose %w {permutation = array<i64: 0, 1>} : tensor<3x3xf32> -> tensor<3x3xf32>
  %0 = tsr.linear %x, %t : (tensor<5x3xf32>, tensor<3x3xf32>) -> tensor<5x3xf32>
  return %0 : tensor<5x3xf32>
}
