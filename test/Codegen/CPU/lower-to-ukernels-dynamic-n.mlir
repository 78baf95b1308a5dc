// RUN: tessera-opt %s --tsr-lower-to-ukernels | FileCheck %s
// The packed weight cannot give N (it is padded to 16), so a packed linear
// whose N is dynamic stays for the generic lowering.

// Tests that a packed linear with a dynamic N is left alone.
// CHECK-LABEL: func.func @packed_dynamic_n
//       CHECK:   tsr.linear %{{.+}}, %{{.+}} {weight_packed}
//   CHECK-NOT:   call @__tsr_sgemm
func.func @packed_dynamic_n(%x: tensor<5x3xf32>, %p: tensor<?x3x16xf32>) -> tensor<5x?xf32> {
  %0 = tsr.linear %x, %p {weight_packed} : (tensor<5x3xf32>, tensor<?x3x16xf32>) -> tensor<5x?xf32>
  return %0 : tensor<5x?xf32>
}
