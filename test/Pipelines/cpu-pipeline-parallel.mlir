// RUN: tessera-opt %s --tsr-cpu-pipeline="cpu=skylake-avx512" | FileCheck %s
// RUN: tessera-opt %s --tsr-cpu-pipeline="parallel-loops=false" | FileCheck %s --check-prefix=SERIAL

// Tests that the loops of a softmax over rows with a run-time row count
// leave the CPU pipeline as tasks (closure, begin, end) that the entry
// hands to the kernel context's parallel_for, and that
// parallel-loops=false keeps them inline.

// CHECK-LABEL: llvm.func internal @main(
//       CHECK:   llvm.mlir.addressof @main_forall{{[0-9]+}} : !llvm.ptr
//       CHECK:   llvm.call %{{.+}}(%{{.+}}, %{{.+}}, %{{.+}}, %{{.+}}) : !llvm.ptr, (!llvm.ptr, i64, !llvm.ptr, !llvm.ptr) -> ()
//       CHECK:   llvm.call @main_forall{{[0-9]+}}(%{{.+}}, %{{.+}}, %{{.+}}) : (!llvm.ptr, i64, i64) -> ()
//       CHECK: llvm.func internal @main_forall0(%{{.+}}: !llvm.ptr, %{{.+}}: i64, %{{.+}}: i64)

// SERIAL-NOT: forall
// SERIAL-NOT: addressof

func.func @main(%x: tensor<?x256xf32>) -> tensor<?x256xf32> {
  %0 = tsr.softmax %x {axis = 1 : i64} : tensor<?x256xf32>
  return %0 : tensor<?x256xf32>
}
