// RUN: tessera-opt %s --split-input-file --tsr-export-entry-points | FileCheck %s
// RUN: tessera-opt %s --split-input-file --tsr-export-entry-points="symbol-prefix=bert" | FileCheck %s --check-prefix=PREFIX

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

// -----

// Tests that in a function with a tsr.kernel_context argument the generic
// alloc and free become indirect calls of the context's `alloc` (byte offset
// 32) and `free` (40), each passed the context's `runtime` (8) first, and
// that the then unused declarations disappear without malloc/free appearing.
// CHECK-LABEL: llvm.func internal @with_context(
//  CHECK-SAME:   %[[N:[^:]+]]: i64, %[[CTX:[^:]+]]: !llvm.ptr {tsr.kernel_context})
//  CHECK-NEXT:   %[[RP:.+]] = llvm.getelementptr %[[CTX]][8] : (!llvm.ptr) -> !llvm.ptr, i8
//  CHECK-NEXT:   %[[RT:.+]] = llvm.load %[[RP]] : !llvm.ptr -> !llvm.ptr
//  CHECK-NEXT:   %[[AP:.+]] = llvm.getelementptr %[[CTX]][32] : (!llvm.ptr) -> !llvm.ptr, i8
//  CHECK-NEXT:   %[[ALLOC:.+]] = llvm.load %[[AP]] : !llvm.ptr -> !llvm.ptr
//  CHECK-NEXT:   %[[BUF:.+]] = llvm.call %[[ALLOC]](%[[RT]], %[[N]]) : !llvm.ptr, (!llvm.ptr, i64) -> !llvm.ptr
//  CHECK-NEXT:   %[[RP2:.+]] = llvm.getelementptr %[[CTX]][8] : (!llvm.ptr) -> !llvm.ptr, i8
//  CHECK-NEXT:   %[[RT2:.+]] = llvm.load %[[RP2]] : !llvm.ptr -> !llvm.ptr
//  CHECK-NEXT:   %[[FP:.+]] = llvm.getelementptr %[[CTX]][40] : (!llvm.ptr) -> !llvm.ptr, i8
//  CHECK-NEXT:   %[[FREE:.+]] = llvm.load %[[FP]] : !llvm.ptr -> !llvm.ptr
//  CHECK-NEXT:   llvm.call %[[FREE]](%[[RT2]], %[[BUF]]) : !llvm.ptr, (!llvm.ptr, !llvm.ptr) -> ()
//  CHECK-NEXT:   llvm.return
//   CHECK-NOT:   @_mlir_memref_to_llvm
//   CHECK-NOT:   @malloc
//   CHECK-NOT:   @free
llvm.func @with_context(%n: i64, %ctx: !llvm.ptr {tsr.kernel_context}) {
  %0 = llvm.call @_mlir_memref_to_llvm_alloc(%n) : (i64) -> !llvm.ptr
  llvm.call @_mlir_memref_to_llvm_free(%0) : (!llvm.ptr) -> ()
  llvm.return
}
// The declarations come last so that, if kept, they would be printed after
// the function, where the CHECK-NOTs above look.
llvm.func @_mlir_memref_to_llvm_alloc(i64) -> !llvm.ptr
llvm.func @_mlir_memref_to_llvm_free(!llvm.ptr)

// -----

// Tests that in a function without a kernel context the calls stay and the
// generic functions get internal bodies calling malloc and free, which are
// declared.
// CHECK-LABEL: llvm.func internal @_mlir_memref_to_llvm_alloc(
//  CHECK-SAME:   %[[N:[^:]+]]: i64) -> !llvm.ptr {
//  CHECK-NEXT:   %[[P:.+]] = llvm.call @malloc(%[[N]]) : (i64) -> !llvm.ptr
//  CHECK-NEXT:   llvm.return %[[P]] : !llvm.ptr
//       CHECK: llvm.func internal @_mlir_memref_to_llvm_free(%[[Q:[^:]+]]: !llvm.ptr) {
//  CHECK-NEXT:   llvm.call @free(%[[Q]]) : (!llvm.ptr) -> ()
//  CHECK-NEXT:   llvm.return
//       CHECK: llvm.func internal @no_context(%[[M:[^:]+]]: i64) {
//  CHECK-NEXT:   %[[B:.+]] = llvm.call @_mlir_memref_to_llvm_alloc(%[[M]]) : (i64) -> !llvm.ptr
//  CHECK-NEXT:   llvm.call @_mlir_memref_to_llvm_free(%[[B]]) : (!llvm.ptr) -> ()
//   CHECK-DAG: llvm.func @malloc(i64) -> !llvm.ptr
//   CHECK-DAG: llvm.func @free(!llvm.ptr)
llvm.func @_mlir_memref_to_llvm_alloc(i64) -> !llvm.ptr
llvm.func @_mlir_memref_to_llvm_free(!llvm.ptr)
llvm.func @no_context(%n: i64) {
  %0 = llvm.call @_mlir_memref_to_llvm_alloc(%n) : (i64) -> !llvm.ptr
  llvm.call @_mlir_memref_to_llvm_free(%0) : (!llvm.ptr) -> ()
  llvm.return
}

// -----

// Tests that with both kinds of function in one module the one with a
// context is routed, the other keeps its direct call, and the generic alloc
// reuses the module's malloc declaration rather than adding a second.
// CHECK-LABEL: llvm.func internal @mixed_with_context(
//  CHECK-SAME:   %{{[^:]+}}: i64, %[[CTX:[^:]+]]: !llvm.ptr {tsr.kernel_context})
//   CHECK-NOT:   @_mlir_memref_to_llvm_alloc
//       CHECK:   llvm.getelementptr %[[CTX]][32]
//   CHECK-NOT:   @_mlir_memref_to_llvm_alloc
//       CHECK:   llvm.return
//       CHECK: llvm.func internal @mixed_without_context(
//  CHECK-NEXT:   llvm.call @_mlir_memref_to_llvm_alloc(
//       CHECK: llvm.func @malloc(i64) -> !llvm.ptr
//       CHECK: llvm.func internal @_mlir_memref_to_llvm_alloc(
//  CHECK-NEXT:   llvm.call @malloc(
//   CHECK-NOT: llvm.func @malloc
llvm.func @mixed_with_context(%n: i64, %ctx: !llvm.ptr {tsr.kernel_context}) -> !llvm.ptr {
  %0 = llvm.call @_mlir_memref_to_llvm_alloc(%n) : (i64) -> !llvm.ptr
  llvm.return %0 : !llvm.ptr
}
llvm.func @mixed_without_context(%n: i64) -> !llvm.ptr {
  %0 = llvm.call @_mlir_memref_to_llvm_alloc(%n) : (i64) -> !llvm.ptr
  llvm.return %0 : !llvm.ptr
}
llvm.func @malloc(i64) -> !llvm.ptr
llvm.func @_mlir_memref_to_llvm_alloc(i64) -> !llvm.ptr
