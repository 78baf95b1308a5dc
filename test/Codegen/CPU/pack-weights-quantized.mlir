// RUN: tessera-opt %s --tsr-pack-weights | FileCheck %s

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
