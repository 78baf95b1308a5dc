// RUN: tessera-opt %s --split-input-file --tsr-plan-memory | FileCheck %s

// Tests that a buffer allocated after another one's last use takes its
// offset: %a (0) dies at the copy into %b (64), so %c reuses offset 0. The
// arena is 128 bytes where the three buffers sum to 192, the returned
// buffer stays with the allocator, and every planned dealloc goes.
// CHECK-LABEL: func.func @reuse_dead_buffer
//  CHECK-SAME:   tsr.memory_plan = {allocations = 4 : i64, arena_bytes = 128 : i64, buffer_bytes = 192 : i64, dynamic = 0 : i64, planned = 3 : i64}
//       CHECK:   %[[ARENA:.+]] = memref.alloc() {alignment = 64 : i64} : memref<128xi8>
//       CHECK:   %[[OA:.+]] = arith.constant 0 : index
//       CHECK:   %[[A:.+]] = memref.view %[[ARENA]][%[[OA]]][] : memref<128xi8> to memref<16xf32>
//       CHECK:   %[[OB:.+]] = arith.constant 64 : index
//       CHECK:   %[[B:.+]] = memref.view %[[ARENA]][%[[OB]]][] : memref<128xi8> to memref<16xf32>
//       CHECK:   memref.copy %[[A]], %[[B]]
//       CHECK:   %[[OC:.+]] = arith.constant 0 : index
//       CHECK:   %[[C:.+]] = memref.view %[[ARENA]][%[[OC]]][] : memref<128xi8> to memref<16xf32>
//       CHECK:   %[[R:.+]] = memref.alloc() : memref<16xf32>
//   CHECK-NOT:   memref.dealloc %[[A]]
//   CHECK-NOT:   memref.dealloc %[[B]]
//   CHECK-NOT:   memref.dealloc %[[C]]
//       CHECK:   memref.dealloc %[[ARENA]] : memref<128xi8>
//  CHECK-NEXT:   return %[[R]]
func.func @reuse_dead_buffer(%x: memref<16xf32>) -> memref<16xf32> {
  %a = memref.alloc() {alignment = 64 : i64} : memref<16xf32>
  memref.copy %x, %a : memref<16xf32> to memref<16xf32>
  %b = memref.alloc() {alignment = 64 : i64} : memref<16xf32>
  memref.copy %a, %b : memref<16xf32> to memref<16xf32>
  memref.dealloc %a : memref<16xf32>
  %c = memref.alloc() {alignment = 64 : i64} : memref<16xf32>
  memref.copy %b, %c : memref<16xf32> to memref<16xf32>
  %r = memref.alloc() : memref<16xf32>
  memref.copy %c, %r : memref<16xf32> to memref<16xf32>
  memref.dealloc %b : memref<16xf32>
  memref.dealloc %c : memref<16xf32>
  return %r : memref<16xf32>
}

// -----

// Tests that a buffer goes into the smallest gap that holds it (best fit):
// by size %b (512 bytes) is at 0, %a at 512, %c at 768, %e at 896; when %d
// (128 bytes) comes, %b and %c are dead, and of the two gaps, [0, 512) and
// [768, 896), it takes the one that fits exactly.
// CHECK-LABEL: func.func @best_fit
//  CHECK-SAME:   arena_bytes = 960 : i64
//       CHECK:   %[[OD:.+]] = arith.constant 768 : index
//  CHECK-NEXT:   memref.view %{{.+}}[%[[OD]]][] : memref<960xi8> to memref<32xf32>
func.func @best_fit(%xa: memref<64xf32>, %xb: memref<128xf32>, %xc: memref<32xf32>, %xe: memref<16xf32>) {
  %a = memref.alloc() : memref<64xf32>
  memref.copy %xa, %a : memref<64xf32> to memref<64xf32>
  %e = memref.alloc() : memref<16xf32>
  memref.copy %xe, %e : memref<16xf32> to memref<16xf32>
  %b = memref.alloc() : memref<128xf32>
  memref.copy %xb, %b : memref<128xf32> to memref<128xf32>
  %c = memref.alloc() : memref<32xf32>
  memref.copy %xc, %c : memref<32xf32> to memref<32xf32>
  memref.copy %b, %xb : memref<128xf32> to memref<128xf32>
  memref.copy %c, %xc : memref<32xf32> to memref<32xf32>
  %d = memref.alloc() : memref<32xf32>
  memref.copy %xc, %d : memref<32xf32> to memref<32xf32>
  memref.copy %d, %xc : memref<32xf32> to memref<32xf32>
  memref.copy %a, %xa : memref<64xf32> to memref<64xf32>
  memref.copy %e, %xe : memref<16xf32> to memref<16xf32>
  return
}

// -----

// Tests that a view of a buffer keeps it alive: %a's own last use is the
// subview, but the view (collapsed, then passed to a kernel call) is read
// after %b is allocated, so %b must not take %a's offset.
// CHECK-LABEL: func.func @alias_keeps_buffer_alive
//  CHECK-SAME:   arena_bytes = 192 : i64
//       CHECK:   %[[ARENA:.+]] = memref.alloc() {alignment = 64 : i64} : memref<192xi8>
//       CHECK:   %[[OA:.+]] = arith.constant 0 : index
//       CHECK:   memref.view %[[ARENA]][%[[OA]]][] : memref<192xi8> to memref<4x8xf32>
//       CHECK:   %[[OB:.+]] = arith.constant 128 : index
//       CHECK:   memref.view %[[ARENA]][%[[OB]]][] : memref<192xi8> to memref<16xf32>
func.func private @kernel(memref<8xf32, strided<[1], offset: ?>>)
func.func @alias_keeps_buffer_alive(%x: memref<4x8xf32>, %y: memref<16xf32>) {
  %a = memref.alloc() {alignment = 64 : i64} : memref<4x8xf32>
  memref.copy %x, %a : memref<4x8xf32> to memref<4x8xf32>
  %s = memref.subview %a[1, 0] [1, 8] [1, 1] : memref<4x8xf32> to memref<1x8xf32, strided<[8, 1], offset: 8>>
  %b = memref.alloc() {alignment = 64 : i64} : memref<16xf32>
  memref.copy %y, %b : memref<16xf32> to memref<16xf32>
  memref.copy %b, %y : memref<16xf32> to memref<16xf32>
  %c = memref.collapse_shape %s [[0, 1]] : memref<1x8xf32, strided<[8, 1], offset: 8>> into memref<8xf32, strided<[1], offset: 8>>
  %d = memref.cast %c : memref<8xf32, strided<[1], offset: 8>> to memref<8xf32, strided<[1], offset: ?>>
  func.call @kernel(%d) : (memref<8xf32, strided<[1], offset: ?>>) -> ()
  memref.dealloc %a : memref<4x8xf32>
  memref.dealloc %b : memref<16xf32>
  return
}

// -----

// Tests that a buffer used inside a loop lives to the end of the loop: %a's
// last use is in the loop, after %t is allocated, so they must not share;
// a buffer allocated inside the loop stays with the allocator.
// CHECK-LABEL: func.func @loop_use
//  CHECK-SAME:   tsr.memory_plan = {allocations = 3 : i64, arena_bytes = 128 : i64, buffer_bytes = 128 : i64, dynamic = 0 : i64, planned = 2 : i64}
//       CHECK:   scf.for
//       CHECK:     memref.alloc() : memref<16xf32>
func.func @loop_use(%x: memref<16xf32>, %n: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %a = memref.alloc() {alignment = 64 : i64} : memref<16xf32>
  memref.copy %x, %a : memref<16xf32> to memref<16xf32>
  %t = memref.alloc() {alignment = 64 : i64} : memref<16xf32>
  memref.copy %x, %t : memref<16xf32> to memref<16xf32>
  scf.for %i = %c0 to %n step %c1 {
    %tmp = memref.alloc() : memref<16xf32>
    memref.copy %a, %tmp : memref<16xf32> to memref<16xf32>
    memref.copy %tmp, %x : memref<16xf32> to memref<16xf32>
    memref.dealloc %tmp : memref<16xf32>
  }
  memref.copy %t, %x : memref<16xf32> to memref<16xf32>
  memref.dealloc %a : memref<16xf32>
  memref.dealloc %t : memref<16xf32>
  return
}

// -----

// Tests that buffers with run-time sizes stay on the dynamic path (and are
// counted as such) while the static ones around them are planned.
// CHECK-LABEL: func.func @dynamic_sizes
//  CHECK-SAME:   tsr.memory_plan = {allocations = 2 : i64, arena_bytes = 256 : i64, buffer_bytes = 256 : i64, dynamic = 1 : i64, planned = 1 : i64}
//       CHECK:   memref.alloc() {alignment = 64 : i64} : memref<256xi8>
//       CHECK:   memref.view
//       CHECK:   %[[D:.+]] = memref.alloc(%{{.+}}) {alignment = 64 : i64} : memref<?x16xf32>
//       CHECK:   memref.dealloc %[[D]]
func.func @dynamic_sizes(%x: memref<?x16xf32>, %y: memref<4x16xf32>) {
  %c0 = arith.constant 0 : index
  %n = memref.dim %x, %c0 : memref<?x16xf32>
  %s = memref.alloc() {alignment = 64 : i64} : memref<4x16xf32>
  memref.copy %y, %s : memref<4x16xf32> to memref<4x16xf32>
  memref.copy %s, %y : memref<4x16xf32> to memref<4x16xf32>
  %d = memref.alloc(%n) {alignment = 64 : i64} : memref<?x16xf32>
  memref.copy %x, %d : memref<?x16xf32> to memref<?x16xf32>
  memref.copy %d, %x : memref<?x16xf32> to memref<?x16xf32>
  memref.dealloc %s : memref<4x16xf32>
  memref.dealloc %d : memref<?x16xf32>
  return
}

// -----

// Tests that buffers that escape are left alone: one returned through a
// cast, one whose address is taken (ownership-based deallocation's alias
// checks compare addresses), one freed by a bufferization.dealloc. With
// nothing planned there is no arena.
// CHECK-LABEL: func.func @escaping
//  CHECK-SAME:   tsr.memory_plan = {allocations = 3 : i64, arena_bytes = 0 : i64, buffer_bytes = 0 : i64, dynamic = 0 : i64, planned = 0 : i64}
//   CHECK-NOT:   memref.view
//       CHECK:   memref.alloc() : memref<16xf32>
//       CHECK:   memref.alloc() : memref<16xf32>
//       CHECK:   memref.alloc() : memref<16xf32>
//   CHECK-NOT:   memref.view
func.func @escaping(%x: memref<16xf32>, %cond: i1) -> (memref<?xf32>, index) {
  %a = memref.alloc() : memref<16xf32>
  memref.copy %x, %a : memref<16xf32> to memref<16xf32>
  %c = memref.cast %a : memref<16xf32> to memref<?xf32>
  %b = memref.alloc() : memref<16xf32>
  memref.copy %x, %b : memref<16xf32> to memref<16xf32>
  %p = memref.extract_aligned_pointer_as_index %b : memref<16xf32> -> index
  memref.dealloc %b : memref<16xf32>
  %d = memref.alloc() : memref<16xf32>
  memref.copy %x, %d : memref<16xf32> to memref<16xf32>
  bufferization.dealloc (%d : memref<16xf32>) if (%cond)
  return %c, %p : memref<?xf32>, index
}
