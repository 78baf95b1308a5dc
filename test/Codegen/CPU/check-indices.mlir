// RUN: tessera-opt %s --split-input-file --tsr-check-indices --verify-diagnostics | FileCheck %s

// Tests that a gather's indices get one min/max reduction and, when either
// is outside [-size, size) of the gathered dim, a call of the context's
// index_error (offset 80 of tsr_kernel_context_t) with a message naming
// the node and the input, the offending value and the size; the gather
// itself is left as it was.
// CHECK:       llvm.mlir.global internal constant @__tsr_index_message_0("node '/emb/Gather' (input 'input_ids')\00")
// CHECK-LABEL: func.func @embedding
//  CHECK-SAME:   (%[[TABLE:[^:]+]]: tensor<100x8xf32>, %[[IDS:[^:]+]]: tensor<2x?xi64> {tsr.name = "input_ids"}, %[[CTX:[^:]+]]: !llvm.ptr {tsr.kernel_context})
//       CHECK:   %[[MM:.+]]:2 = linalg.generic {{.*}}iterator_types = ["reduction", "reduction"]{{.*}} ins(%[[IDS]] : tensor<2x?xi64>)
//       CHECK:     arith.minsi
//       CHECK:     arith.maxsi
//   CHECK-DAG:   %[[MIN:.+]] = tensor.extract %[[MM]]#0[] : tensor<i64>
//   CHECK-DAG:   %[[MAX:.+]] = tensor.extract %[[MM]]#1[] : tensor<i64>
//       CHECK:   %[[LOW:.+]] = arith.cmpi slt, %[[MIN]]
//       CHECK:   %[[HIGH:.+]] = arith.cmpi sge, %[[MAX]], %[[SIZE:[^ ]+]] : i64
//       CHECK:   %[[BAD:.+]] = arith.ori %[[LOW]], %[[HIGH]] : i1
//       CHECK:   scf.if %[[BAD]] {
//       CHECK:     %[[V:.+]] = arith.select %[[HIGH]], %[[MAX]], %[[MIN]] : i64
//       CHECK:     %[[MSG:.+]] = llvm.getelementptr %{{.+}}[0, 0] : (!llvm.ptr) -> !llvm.ptr, !llvm.array<39 x i8>
//       CHECK:     llvm.getelementptr %[[CTX]][8] : (!llvm.ptr) -> !llvm.ptr, i8
//       CHECK:     %[[FN:.+]] = llvm.load
//       CHECK:     llvm.getelementptr %[[CTX]][80] : (!llvm.ptr) -> !llvm.ptr, i8
//       CHECK:     %[[ERR:.+]] = llvm.load
//       CHECK:     llvm.call %[[ERR]](%{{.+}}, %[[MSG]], %[[V]], %[[SIZE]]) : !llvm.ptr, (!llvm.ptr, !llvm.ptr, i64, i64) -> ()
//       CHECK:   }
//       CHECK:   tsr.gather %[[TABLE]][%[[IDS]]] {axis = 0 : i64}
func.func @embedding(%table: tensor<100x8xf32>, %ids: tensor<2x?xi64> {tsr.name = "input_ids"}, %ctx: !llvm.ptr {tsr.kernel_context}) -> tensor<2x?x8xf32> {
  %e = tsr.gather %table[%ids] {axis = 0 : i64} : (tensor<100x8xf32>, tensor<2x?xi64>) -> tensor<2x?x8xf32> loc("/emb/Gather")
  return %e : tensor<2x?x8xf32>
}

// -----

// Tests that a function without a kernel context (tessera-opt on a lone
// function) is left alone, and that i32 indices are sign-extended for the
// reduction.
// CHECK-LABEL: func.func @no_context
//   CHECK-NOT:   scf.if
// CHECK-LABEL: func.func @narrow_indices
//       CHECK:   arith.extsi %{{.+}} : i32 to i64
//       CHECK:   scf.if
func.func @no_context(%table: tensor<100x8xf32>, %ids: tensor<3xi64>) -> tensor<3x8xf32> {
  %e = tsr.gather %table[%ids] {axis = 0 : i64} : (tensor<100x8xf32>, tensor<3xi64>) -> tensor<3x8xf32>
  return %e : tensor<3x8xf32>
}
func.func @narrow_indices(%table: tensor<100x8xf32>, %ids: tensor<3xi32>, %ctx: !llvm.ptr {tsr.kernel_context}) -> tensor<3x8xf32> {
  %e = tsr.gather %table[%ids] {axis = 0 : i64} : (tensor<100x8xf32>, tensor<3xi32>) -> tensor<3x8xf32>
  return %e : tensor<3x8xf32>
}

// -----

// Tests that constant indices are checked at compile time.
func.func @constant_out_of_range(%table: tensor<100x8xf32>, %ctx: !llvm.ptr {tsr.kernel_context}) -> tensor<2x8xf32> {
  %ids = tsr.constant dense<[3, 100]> : tensor<2xi64>
  // expected-error @+1 {{'tsr.gather' op index 100 is out of range for dim 0 of size 100}}
  %e = tsr.gather %table[%ids] {axis = 0 : i64} : (tensor<100x8xf32>, tensor<2xi64>) -> tensor<2x8xf32>
  return %e : tensor<2x8xf32>
}

// -----

// Tests tsr.check_indices with one size per component of the index tuples
// (GatherND): a reduction keeping the first element out of its range and
// that range's size (chosen by the position in the last dim), a report when
// the size is not 0, and the indices forwarded. Without a kernel context
// the check is dropped.
// CHECK-LABEL: func.func @tuples
//  CHECK-SAME:   (%[[IDX:[^:]+]]: tensor<5x2xi64>, %[[CTX:[^:]+]]: !llvm.ptr {tsr.kernel_context})
//       CHECK:   %[[R:.+]]:2 = linalg.generic {{.*}}iterator_types = ["reduction", "reduction"]{{.*}} ins(%[[IDX]] : tensor<5x2xi64>)
//       CHECK:     linalg.index 1 : index
//       CHECK:     arith.select %{{.+}}, %c6_i64, %c4_i64 : i64
//       CHECK:   %[[SIZE:.+]] = tensor.extract %[[R]]#1[] : tensor<i64>
//       CHECK:   %[[BAD:.+]] = arith.cmpi ne, %[[SIZE]], %c0_i64
//       CHECK:   scf.if %[[BAD]] {
//       CHECK:     llvm.getelementptr %[[CTX]][80]
//       CHECK:     llvm.call
//       CHECK:   return %[[IDX]] : tensor<5x2xi64>
// CHECK-LABEL: func.func @no_context_check
//   CHECK-NOT:   tsr.check_indices
//   CHECK-NOT:   scf.if
//       CHECK:   return %arg0
func.func @tuples(%idx: tensor<5x2xi64>, %ctx: !llvm.ptr {tsr.kernel_context}) -> tensor<5x2xi64> {
  %0 = tsr.check_indices %idx {sizes = array<i64: 4, 6>, what = "node 'g' (input 'idx')"} : tensor<5x2xi64>
  return %0 : tensor<5x2xi64>
}
func.func @no_context_check(%idx: tensor<5x2xi64>) -> tensor<5x2xi64> {
  %0 = tsr.check_indices %idx {sizes = array<i64: 4, 6>, what = "x"} : tensor<5x2xi64>
  return %0 : tensor<5x2xi64>
}
