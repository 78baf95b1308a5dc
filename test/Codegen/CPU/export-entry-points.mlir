// RUN: tessera-opt %s --tsr-export-entry-points | FileCheck %s
// RUN: tessera-opt %s --tsr-export-entry-points="symbol-prefix=bert" | FileCheck %s --check-prefix=PREFIX

// A module as the CPU pipeline leaves it before this pass: each function
// next to the `_mlir_ciface_` wrapper that llvm-request-c-wrappers made.

// Tests that every defined function, C interfaces included, becomes internal
// and that declarations keep their external linkage.
// CHECK-DAG:   llvm.func @malloc(i64) -> !llvm.ptr
// CHECK-DAG:   llvm.func @_mlir_ciface_ext(!llvm.ptr)
// A declared C interface (defined elsewhere) gets no entry.
llvm.func @_mlir_ciface_ext(!llvm.ptr)
// CHECK-DAG:   llvm.func internal @model(
// CHECK-DAG:   llvm.func internal @_mlir_ciface_model(
// CHECK-DAG:   llvm.func internal @init(
// CHECK-DAG:   llvm.func internal @_mlir_ciface_init(
// CHECK-DAG:   llvm.func internal @helper(
llvm.func @malloc(i64) -> !llvm.ptr

llvm.func @helper(%arg0: i64) -> i64 {
  llvm.return %arg0 : i64
}

// A function with a result: its C interface takes the result pointer first.
llvm.func @model(%arg0: !llvm.ptr, %arg1: !llvm.ptr) -> !llvm.ptr {
  llvm.return %arg0 : !llvm.ptr
}
llvm.func @_mlir_ciface_model(%res: !llvm.ptr, %w: !llvm.ptr, %x: !llvm.ptr) {
  %0 = llvm.call @model(%w, %x) : (!llvm.ptr, !llvm.ptr) -> !llvm.ptr
  llvm.store %0, %res : !llvm.ptr, !llvm.ptr
  llvm.return
}

// A function without results: no result pointer in its C interface.
llvm.func @init(%arg0: !llvm.ptr) {
  llvm.return
}
llvm.func @_mlir_ciface_init(%x: !llvm.ptr) {
  llvm.call @init(%x) : (!llvm.ptr) -> ()
  llvm.return
}

// Tests that the packed entry of a function with results loads args[0..n)
// (args[0] being the results block) and passes them in order.
// CHECK-LABEL: llvm.func @tsr_model_model(
//  CHECK-SAME:   %[[ARGS:.+]]: !llvm.ptr) {
//   CHECK-NOT:   internal
//       CHECK:   %[[P0:.+]] = llvm.getelementptr %[[ARGS]][0] : (!llvm.ptr) -> !llvm.ptr, !llvm.ptr
//       CHECK:   %[[A0:.+]] = llvm.load %[[P0]] : !llvm.ptr -> !llvm.ptr
//       CHECK:   %[[P1:.+]] = llvm.getelementptr %[[ARGS]][1] : (!llvm.ptr) -> !llvm.ptr, !llvm.ptr
//       CHECK:   %[[A1:.+]] = llvm.load %[[P1]] : !llvm.ptr -> !llvm.ptr
//       CHECK:   %[[P2:.+]] = llvm.getelementptr %[[ARGS]][2] : (!llvm.ptr) -> !llvm.ptr, !llvm.ptr
//       CHECK:   %[[A2:.+]] = llvm.load %[[P2]] : !llvm.ptr -> !llvm.ptr
//       CHECK:   llvm.call @_mlir_ciface_model(%[[A0]], %[[A1]], %[[A2]]) : (!llvm.ptr, !llvm.ptr, !llvm.ptr) -> ()
//       CHECK:   llvm.return

// Tests that the entry of a function without results skips args[0].
// CHECK-LABEL: llvm.func @tsr_model_init(
//  CHECK-SAME:   %[[ARGS:.+]]: !llvm.ptr) {
//  CHECK-NEXT:   %[[P1:.+]] = llvm.getelementptr %[[ARGS]][1] : (!llvm.ptr) -> !llvm.ptr, !llvm.ptr
//  CHECK-NEXT:   %[[A1:.+]] = llvm.load %[[P1]] : !llvm.ptr -> !llvm.ptr
//  CHECK-NEXT:   llvm.call @_mlir_ciface_init(%[[A1]]) : (!llvm.ptr) -> ()

// Tests that no entry is made for functions without a C interface, nor for
// declared C interfaces.
// CHECK-NOT:   @tsr_model_helper
// CHECK-NOT:   @tsr_model_ext

// Tests that symbol-prefix names the entries.
// PREFIX-DAG:   llvm.func @bert_model(%{{.+}}: !llvm.ptr)
// PREFIX-DAG:   llvm.func @bert_init(%{{.+}}: !llvm.ptr)
// PREFIX-NOT:   @tsr_model_
