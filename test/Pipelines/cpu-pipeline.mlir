// RUN: tessera-opt %s --tsr-cpu-pipeline \
// RUN:   | FileCheck %s --implicit-check-not="= tsr." --implicit-check-not="linalg." \
// RUN:       --implicit-check-not="memref." --implicit-check-not="scf." \
// RUN:       --implicit-check-not="@erff" --implicit-check-not="math.erf"
// RUN: tessera-opt %s --tsr-cpu-pipeline="symbol-prefix=tiny" | FileCheck %s --check-prefix=PREFIX

// Tests that a small tsr function (a weight, broadcasting, gelu, softmax)
// comes out of the CPU pipeline entirely in the LLVM dialect: the outlined
// weight is a leading argument of the C interface, only the packed entry
// keeps external linkage, erf is approximated instead of called from libm,
// the entry loads (result, weight, input, kernel context) from args[0..3],
// and buffers come from the context's allocator, not malloc.

// CHECK:       llvm.func internal @main(
// CHECK-NOT:   @malloc
// CHECK:       llvm.func internal @_mlir_ciface_main(%{{.+}}: !llvm.ptr, %{{.+}}: !llvm.ptr {tsr.weight_name = "w", tsr.weight_value = dense_resource<w> : tensor<4xf32>}, %{{.+}}: !llvm.ptr, %{{.+}}: !llvm.ptr {tsr.kernel_context})
// CHECK-LABEL: llvm.func @tsr_model_main(
//  CHECK-SAME:   %[[ARGS:.+]]: !llvm.ptr) {
//       CHECK:   %[[RES:.+]] = llvm.load %[[ARGS]] : !llvm.ptr -> !llvm.ptr
//       CHECK:   %[[P1:.+]] = llvm.getelementptr %[[ARGS]][1]
//       CHECK:   %[[W:.+]] = llvm.load %[[P1]]
//       CHECK:   %[[P2:.+]] = llvm.getelementptr %[[ARGS]][2]
//       CHECK:   %[[X:.+]] = llvm.load %[[P2]]
//       CHECK:   %[[P3:.+]] = llvm.getelementptr %[[ARGS]][3]
//       CHECK:   %[[CTX:.+]] = llvm.load %[[P3]]
//       CHECK:   llvm.call @_mlir_ciface_main(%[[RES]], %[[W]], %[[X]], %[[CTX]])
//       CHECK:   llvm.return

// PREFIX: llvm.func @tiny_main(%{{.+}}: !llvm.ptr)

func.func @main(%x: tensor<2x4xf32>) -> tensor<2x4xf32> {
  %w = tsr.constant {tsr.name = "w"} dense_resource<w> : tensor<4xf32>
  %0 = tsr.add %x, %w : tensor<2x4xf32>, tensor<4xf32> -> tensor<2x4xf32>
  %1 = tsr.gelu %0 : tensor<2x4xf32>
  %2 = tsr.softmax %1 {axis = 1 : i64} : tensor<2x4xf32>
  return %2 : tensor<2x4xf32>
}

{-#
  dialect_resources: {
    builtin: {
      w: "0x04000000000000000000803F0000004000004040"
    }
  }
#-}
