// RUN: tessera-opt %s --split-input-file --tsr-cpu-lower-forall | FileCheck %s

// Tests that a loop over buffers is outlined into a parallel task
// (closure, begin, end) that reads the buffers and the dynamic bound from a
// stack struct, and that the call site runs it through the context's
// parallel_for when there are threads and at least the loop's
// tsr.min_parallel_iterations, else calls it directly over [0, n).
// CHECK-LABEL: func.func @scale_rows
//  CHECK-SAME:   (%[[A:.+]]: memref<?x8xf32>, %[[B:.+]]: memref<?x8xf32>, %[[CTX:.+]]: !llvm.ptr {tsr.kernel_context})
//       CHECK:   %[[CL:.+]] = llvm.alloca %{{.+}} x !llvm.struct<(i64, struct<(ptr, ptr, i64, array<2 x i64>, array<2 x i64>)>, struct<(ptr, ptr, i64, array<2 x i64>, array<2 x i64>)>)>
//       CHECK:   builtin.unrealized_conversion_cast %[[A]] : memref<?x8xf32> to !llvm.struct
//       CHECK:   llvm.store
//       CHECK:   %[[N:.+]] = arith.index_cast %{{.+}} : index to i64
//       CHECK:   %[[ENOUGH:.+]] = arith.cmpi sge, %[[N]], %{{.+}}
//       CHECK:   %[[THREADS:.+]] = llvm.load %{{.+}} : !llvm.ptr -> i32
//       CHECK:   scf.if
//       CHECK:     %[[TASK:.+]] = func.constant @scale_rows_forall0 : (!llvm.ptr, i64, i64) -> ()
//       CHECK:     %[[TASKPTR:.+]] = builtin.unrealized_conversion_cast %[[TASK]]
//       CHECK:     llvm.call %{{.+}}(%{{.+}}, %[[N]], %[[TASKPTR]], %[[CL]]) : !llvm.ptr, (!llvm.ptr, i64, !llvm.ptr, !llvm.ptr) -> ()
//       CHECK:   } else {
//       CHECK:     func.call @scale_rows_forall0(%[[CL]], %{{.+}}, %[[N]]) : (!llvm.ptr, i64, i64) -> ()
//   CHECK-NOT:   scf.forall
//       CHECK: func.func private @scale_rows_forall0(%[[C:.+]]: !llvm.ptr, %[[BEGIN:.+]]: i64, %[[END:.+]]: i64)
//       CHECK:   llvm.load %{{.+}} : !llvm.ptr -> !llvm.struct<(ptr, ptr, i64, array<2 x i64>, array<2 x i64>)>
//       CHECK:   builtin.unrealized_conversion_cast %{{.+}} : !llvm.struct<(ptr, ptr, i64, array<2 x i64>, array<2 x i64>)> to memref<?x8xf32>
//       CHECK:   scf.for
//       CHECK:     memref.subview
//       CHECK:     linalg.generic
//       CHECK:   return
#map = affine_map<(d0, d1) -> (d0, d1)>
#min = affine_map<(d0)[s0] -> (-d0 + s0, 32)>
func.func @scale_rows(%a: memref<?x8xf32>, %b: memref<?x8xf32>, %ctx: !llvm.ptr {tsr.kernel_context}) {
  %c0 = arith.constant 0 : index
  %d = memref.dim %a, %c0 : memref<?x8xf32>
  scf.forall (%i) = (0) to (%d) step (32) {
    %n = affine.min #min(%i)[%d]
    %va = memref.subview %a[%i, 0] [%n, 8] [1, 1] : memref<?x8xf32> to memref<?x8xf32, strided<[8, 1], offset: ?>>
    %vb = memref.subview %b[%i, 0] [%n, 8] [1, 1] : memref<?x8xf32> to memref<?x8xf32, strided<[8, 1], offset: ?>>
    linalg.generic {indexing_maps = [#map, #map], iterator_types = ["parallel", "parallel"]} ins(%va : memref<?x8xf32, strided<[8, 1], offset: ?>>) outs(%vb : memref<?x8xf32, strided<[8, 1], offset: ?>>) {
    ^bb0(%x: f32, %o: f32):
      %s = arith.mulf %x, %x : f32
      linalg.yield %s : f32
    }
  } {tsr.min_parallel_iterations = 7 : i64}
  return
}

// -----

// Tests that a loop whose body allocates (buffers come from the context,
// which a task lacks) and a loop outside a function with a context both
// become serial scf.for loops over their linearized iterations.
// CHECK-LABEL: func.func @allocates
//   CHECK-NOT:   llvm.call
//       CHECK:   scf.for %[[I:.+]] = %{{.+}} to %{{.+}} step
//       CHECK:     arith.remsi %[[I]]
//       CHECK:     arith.divsi %[[I]]
//       CHECK:     memref.alloc
//   CHECK-NOT:   scf.forall
// CHECK-LABEL: func.func @no_context
//       CHECK:   scf.for
//   CHECK-NOT:   func.func private
func.func @allocates(%a: memref<4x6xf32>, %ctx: !llvm.ptr {tsr.kernel_context}) {
  scf.forall (%i, %j) in (4, 6) {
    %t = memref.alloc() : memref<f32>
    %v = memref.load %a[%i, %j] : memref<4x6xf32>
    memref.store %v, %t[] : memref<f32>
    memref.dealloc %t : memref<f32>
  }
  return
}
func.func @no_context(%a: memref<4xf32>) {
  scf.forall (%i) in (4) {
    %v = memref.load %a[%i] : memref<4xf32>
    %w = arith.addf %v, %v : f32
    memref.store %w, %a[%i] : memref<4xf32>
  }
  return
}
