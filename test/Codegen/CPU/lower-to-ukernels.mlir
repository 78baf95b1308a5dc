// RUN: tessera-opt %s --split-input-file --tsr-lower-to-ukernels | FileCheck %s

// Flags of @__tsr_sgemm: transA = 1, transB = 2, packedB = 4, hasBias = 8,
// epilogue << 8 (gelu = 1, gelu_tanh = 2, silu = 3, relu = 4).

// Tests that a packed linear with bias and GELU becomes a call of the helper
// with flags packedB | hasBias | gelu << 8 = 268: x enters as [1, M, K], C
// is a fresh [1, M, N] buffer, and the result is reshaped back; the function
// gets the kernel context as a trailing argument.
// CHECK-LABEL: func.func @linear_packed_bias_gelu
//  CHECK-SAME:   (%[[X:[^:]+]]: tensor<2x5x3xf32>, %[[B:[^:]+]]: tensor<17xf32>, %[[CTX:[^:]+]]: !llvm.ptr {tsr.kernel_context})
//   CHECK-NOT:   tsr.linear
//       CHECK:   %[[W:.+]] = tsr.constant
//       CHECK:   %[[X3:.+]] = tsr.reshape %[[X]]{{.*}} : tensor<2x5x3xf32> -> tensor<1x{{.+}}x3xf32>
//       CHECK:   %[[C:.+]] = memref.alloc{{.*}} : memref<1x{{.+}}x17xf32>
//       CHECK:   %[[CV:.+]] = memref.cast %[[C]]
//       CHECK:   %[[FLAGS:.+]] = arith.constant 268 : i64
//       CHECK:   %[[AB:.+]] = bufferization.to_buffer %[[X3]] read_only
//       CHECK:   %[[A:.+]] = memref.cast %[[AB]]
//       CHECK:   %[[WB:.+]] = bufferization.to_buffer %[[W]] read_only
//       CHECK:   %[[WV:.+]] = memref.cast %[[WB]]
//       CHECK:   %[[BB:.+]] = bufferization.to_buffer %[[B]] read_only
//       CHECK:   %[[BV:.+]] = memref.cast %[[BB]]
//       CHECK:   call @__tsr_sgemm(%[[CTX]], %[[A]], %[[WV]], %[[BV]], %[[CV]], %[[FLAGS]])
//       CHECK:   %[[Y3:.+]] = bufferization.to_tensor %[[C]] restrict writable
//       CHECK:   %[[Y:.+]] = tsr.reshape %[[Y3]] : tensor<1x{{.+}}x17xf32> -> tensor<2x5x17xf32>
//       CHECK:   return %[[Y]]
// CHECK-LABEL: func.func private @__tsr_sgemm
func.func @linear_packed_bias_gelu(%x: tensor<2x5x3xf32>, %b: tensor<17xf32>) -> tensor<2x5x17xf32> {
  %p = tsr.constant {tsr.name = "p"} dense<1.0> : tensor<2x3x16xf32>
  %0 = tsr.linear %x, %p, %b {weight_packed, epilogue = #tsr<epilogue gelu>} : (tensor<2x5x3xf32>, tensor<2x3x16xf32>, tensor<17xf32>) -> tensor<2x5x17xf32>
  return %0 : tensor<2x5x17xf32>
}

// -----

// Tests that an unpacked [N, K] weight is passed as a transposed B
// (flags transB = 2) reshaped to [1, N, K], and that a dynamic M is read
// with tensor.dim; an empty bias stands in for the missing one.
// CHECK-LABEL: func.func @linear_unpacked_dynamic
//  CHECK-SAME:   (%[[X:[^:]+]]: tensor<?x4xf32>, %[[W:[^:]+]]: tensor<3x4xf32>, %[[CTX:[^:]+]]: !llvm.ptr {tsr.kernel_context})
//       CHECK:   tensor.dim %[[X]], %{{.+}} : tensor<?x4xf32>
//       CHECK:   tsr.reshape %[[X]][%{{.+}}] : tensor<?x4xf32> -> tensor<1x?x4xf32>
//       CHECK:   tsr.reshape %[[W]] : tensor<3x4xf32> -> tensor<1x3x4xf32>
//       CHECK:   tensor.empty() : tensor<0xf32>
//       CHECK:   %[[FLAGS:.+]] = arith.constant 2 : i64
//       CHECK:   call @__tsr_sgemm(%[[CTX]], {{.+}}, %[[FLAGS]])
//       CHECK:   %[[Y3:.+]] = bufferization.to_tensor
//       CHECK:   %[[Y:.+]] = tsr.reshape %[[Y3]][%{{.+}}] : tensor<1x?x3xf32> -> tensor<?x3xf32>
//       CHECK:   return %[[Y]]
func.func @linear_unpacked_dynamic(%x: tensor<?x4xf32>, %w: tensor<3x4xf32>) -> tensor<?x3xf32> {
  %0 = tsr.linear %x, %w : (tensor<?x4xf32>, tensor<3x4xf32>) -> tensor<?x3xf32>
  return %0 : tensor<?x3xf32>
}

// -----

// Tests the epilogue codes: relu without bias on an unpacked weight is
// 4 << 8 | transB = 1026, packed silu is 3 << 8 | packedB = 772, packed
// tanh GELU with bias is 2 << 8 | hasBias | packedB = 524.
// CHECK-LABEL: func.func @epilogues
//       CHECK:   arith.constant 1026 : i64
//       CHECK:   arith.constant 772 : i64
//       CHECK:   arith.constant 524 : i64
func.func @epilogues(%x: tensor<5x3xf32>, %w: tensor<2x3xf32>, %p: tensor<1x3x16xf32>, %b: tensor<2xf32>) -> (tensor<5x2xf32>, tensor<5x2xf32>, tensor<5x2xf32>) {
  %0 = tsr.linear %x, %w {epilogue = #tsr<epilogue relu>} : (tensor<5x3xf32>, tensor<2x3xf32>) -> tensor<5x2xf32>
  %1 = tsr.linear %x, %p {weight_packed, epilogue = #tsr<epilogue silu>} : (tensor<5x3xf32>, tensor<1x3x16xf32>) -> tensor<5x2xf32>
  %2 = tsr.linear %x, %p, %b {weight_packed, epilogue = #tsr<epilogue gelu_tanh>} : (tensor<5x3xf32>, tensor<1x3x16xf32>, tensor<2xf32>) -> tensor<5x2xf32>
  return %0, %1, %2 : tensor<5x2xf32>, tensor<5x2xf32>, tensor<5x2xf32>
}

// -----

// Tests that a batched matmul [B, H, S, D] x [B, H, D, T] collapses its batch
// dims to B·H on both operands, with no transpose flags.
// CHECK-LABEL: func.func @batched_matmul
//  CHECK-SAME:   (%[[A:[^:]+]]: tensor<?x4x8x6xf32>, %[[B:[^:]+]]: tensor<?x4x6x7xf32>, %[[CTX:[^:]+]]: !llvm.ptr {tsr.kernel_context})
//   CHECK-NOT:   tsr.matmul
//       CHECK:   %[[D0:.+]] = tensor.dim %[[A]], %{{.+}} : tensor<?x4x8x6xf32>
//       CHECK:   tsr.reshape %[[A]][%[[BH:.+]]] : tensor<?x4x8x6xf32> -> tensor<?x8x6xf32>
//       CHECK:   tsr.reshape %[[B]][%[[BH]]] : tensor<?x4x6x7xf32> -> tensor<?x6x7xf32>
//       CHECK:   memref.alloc(%[[BH]]) : memref<?x8x7xf32>
//       CHECK:   %[[FLAGS:.+]] = arith.constant 0 : i64
//       CHECK:   call @__tsr_sgemm(%[[CTX]], {{.+}}, %[[FLAGS]])
//       CHECK:   %[[C:.+]] = bufferization.to_tensor
//       CHECK:   %[[R:.+]] = tsr.reshape %[[C]][%[[D0]]] : tensor<?x8x7xf32> -> tensor<?x4x8x7xf32>
//       CHECK:   return %[[R]]
func.func @batched_matmul(%a: tensor<?x4x8x6xf32>, %b: tensor<?x4x6x7xf32>) -> tensor<?x4x8x7xf32> {
  %0 = tsr.matmul %a, %b : tensor<?x4x8x6xf32>, tensor<?x4x6x7xf32> -> tensor<?x4x8x7xf32>
  return %0 : tensor<?x4x8x7xf32>
}

// -----

// Tests that transpose_rhs (attention's Q·Kᵀ) sets transB and transpose_lhs
// sets transA, the operands keep their stored layout.
// CHECK-LABEL: func.func @transposed_operands
//       CHECK:   tsr.reshape %{{.+}} : tensor<2x4x8x6xf32> -> tensor<{{.+}}x8x6xf32>
//       CHECK:   tsr.reshape %{{.+}} : tensor<2x4x9x6xf32> -> tensor<{{.+}}x9x6xf32>
//       CHECK:   memref.alloc{{.*}} : memref<{{.+}}x8x9xf32>
//       CHECK:   arith.constant 2 : i64
//       CHECK:   tsr.reshape %{{.+}} : tensor<2x4x6x8xf32> -> tensor<{{.+}}x6x8xf32>
//       CHECK:   memref.alloc{{.*}} : memref<{{.+}}x8x7xf32>
//       CHECK:   arith.constant 1 : i64
func.func @transposed_operands(%q: tensor<2x4x8x6xf32>, %k: tensor<2x4x9x6xf32>, %at: tensor<2x4x6x8xf32>, %b: tensor<2x4x6x7xf32>) -> (tensor<2x4x8x9xf32>, tensor<2x4x8x7xf32>) {
  %0 = tsr.matmul %q, %k {transpose_rhs} : tensor<2x4x8x6xf32>, tensor<2x4x9x6xf32> -> tensor<2x4x8x9xf32>
  %1 = tsr.matmul %at, %b {transpose_lhs} : tensor<2x4x6x8xf32>, tensor<2x4x6x7xf32> -> tensor<2x4x8x7xf32>
  return %0, %1 : tensor<2x4x8x9xf32>, tensor<2x4x8x7xf32>
}

// -----

// Tests that a matmul by a 2-D rhs folds the lhs's leading dims into rows:
// [2, 8, 6] x [6, 7] runs as [1, 16, 6] x [1, 6, 7] (static dims stay static).
// CHECK-LABEL: func.func @matmul_rank2_rhs
//  CHECK-SAME:   (%[[A:[^:]+]]: tensor<2x8x6xf32>, %[[B:[^:]+]]: tensor<6x7xf32>, %[[CTX:[^:]+]]: !llvm.ptr {tsr.kernel_context})
//       CHECK:   tsr.reshape %[[A]] : tensor<2x8x6xf32> -> tensor<1x16x6xf32>
//       CHECK:   tsr.reshape %[[B]] : tensor<6x7xf32> -> tensor<1x6x7xf32>
//       CHECK:   memref.alloc() : memref<1x16x7xf32>
//       CHECK:   %[[FLAGS:.+]] = arith.constant 0 : i64
//       CHECK:   call @__tsr_sgemm(%[[CTX]], {{.+}}, %[[FLAGS]])
//       CHECK:   %[[C:.+]] = bufferization.to_tensor
//       CHECK:   %[[R:.+]] = tsr.reshape %[[C]] : tensor<1x16x7xf32> -> tensor<2x8x7xf32>
//       CHECK:   return %[[R]]
func.func @matmul_rank2_rhs(%a: tensor<2x8x6xf32>, %b: tensor<6x7xf32>) -> tensor<2x8x7xf32> {
  %0 = tsr.matmul %a, %b : tensor<2x8x6xf32>, tensor<6x7xf32> -> tensor<2x8x7xf32>
  return %0 : tensor<2x8x7xf32>
}

// -----

// Tests that a matmul broadcasting a batch dim ([1, H, ...] x [B, H, ...])
// is left for tsr-lower-to-linalg.
// CHECK-LABEL: func.func @broadcast_batch
//   CHECK-NOT:   call @__tsr_sgemm
//       CHECK:   %[[R:.+]] = tsr.matmul %{{.+}}, %{{.+}} : tensor<1x4x8x6xf32>, tensor<2x4x6x7xf32> -> tensor<2x4x8x7xf32>
//  CHECK-NEXT:   return %[[R]]
func.func @broadcast_batch(%a: tensor<1x4x8x6xf32>, %b: tensor<2x4x6x7xf32>) -> tensor<2x4x8x7xf32> {
  %0 = tsr.matmul %a, %b : tensor<1x4x8x6xf32>, tensor<2x4x6x7xf32> -> tensor<2x4x8x7xf32>
  return %0 : tensor<2x4x8x7xf32>
}

// -----

// Tests that f16 GEMMs (the kernel is f32-only) and functions without GEMMs
// keep their ops and get no helper, but still take the kernel context, which
// every entry receives (the buffer allocator lives there too).
// CHECK-LABEL: func.func @f16
//  CHECK-SAME:   (%{{[^:]+}}: tensor<5x3xf16>, %{{[^:]+}}: tensor<2x3xf16>, %{{[^:]+}}: tensor<3x2xf16>, %{{[^:]+}}: !llvm.ptr {tsr.kernel_context}) ->
//       CHECK:   tsr.linear
//       CHECK:   tsr.matmul
// CHECK-LABEL: func.func @no_gemm
//  CHECK-SAME:   (%{{[^:]+}}: tensor<4xf32>, %{{[^:]+}}: !llvm.ptr {tsr.kernel_context}) -> tensor<4xf32>
//   CHECK-NOT:   __tsr_sgemm
func.func @f16(%x: tensor<5x3xf16>, %w: tensor<2x3xf16>, %v: tensor<3x2xf16>) -> (tensor<5x2xf16>, tensor<5x2xf16>) {
  %0 = tsr.linear %x, %w : (tensor<5x3xf16>, tensor<2x3xf16>) -> tensor<5x2xf16>
  %1 = tsr.matmul %x, %v : tensor<5x3xf16>, tensor<3x2xf16> -> tensor<5x2xf16>
  return %0, %1 : tensor<5x2xf16>, tensor<5x2xf16>
}
func.func @no_gemm(%x: tensor<4xf32>) -> tensor<4xf32> {
  %0 = tsr.add %x, %x : tensor<4xf32>, tensor<4xf32> -> tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

// Tests that several call sites in several functions share one helper,
// which fills an 18-word tsr_sgemm_args_t on the stack and calls the
// context's kernel indirectly.
// CHECK-LABEL: func.func @first
//  CHECK-SAME:   %[[CTX1:[^:]+]]: !llvm.ptr {tsr.kernel_context})
//       CHECK:   call @__tsr_sgemm(%[[CTX1]],
//       CHECK:   call @__tsr_sgemm(%[[CTX1]],
// CHECK-LABEL: func.func @second
//  CHECK-SAME:   %[[CTX2:[^:]+]]: !llvm.ptr {tsr.kernel_context})
//       CHECK:   call @__tsr_sgemm(%[[CTX2]],
// CHECK-LABEL: func.func private @__tsr_sgemm
//  CHECK-SAME:   (%[[HCTX:[^:]+]]: !llvm.ptr,
//       CHECK:   %[[ARGS:.+]] = llvm.alloca %{{.+}} x !llvm.array<18 x i64>
//       CHECK:   llvm.getelementptr %[[ARGS]][17]
//       CHECK:   llvm.load
//       CHECK:   %[[FN:.+]] = llvm.load
//       CHECK:   llvm.call %[[FN]](%{{.+}}, %[[ARGS]])
//       CHECK:   return
//   CHECK-NOT:   func.func private @__tsr_sgemm
func.func @first(%x: tensor<5x3xf32>, %w: tensor<2x3xf32>, %v: tensor<2x3xf32>) -> (tensor<5x2xf32>, tensor<5x2xf32>) {
  %0 = tsr.linear %x, %w : (tensor<5x3xf32>, tensor<2x3xf32>) -> tensor<5x2xf32>
  %1 = tsr.linear %x, %v : (tensor<5x3xf32>, tensor<2x3xf32>) -> tensor<5x2xf32>
  return %0, %1 : tensor<5x2xf32>, tensor<5x2xf32>
}
func.func @second(%x: tensor<5x3xf32>, %w: tensor<2x3xf32>) -> tensor<5x2xf32> {
  %0 = tsr.linear %x, %w : (tensor<5x3xf32>, tensor<2x3xf32>) -> tensor<5x2xf32>
  return %0 : tensor<5x2xf32>
}

// -----

// Tests that f32 attention becomes one call of the attention kernel: the
// [1, T] mask is reshaped to rank 4 (its size-1 dims broadcast in the
// helper), flags say "has mask" (1) and "causal" (2), and the scale goes as
// an f64.
// CHECK-LABEL: func.func @attention
//  CHECK-SAME:   %[[CTX:[^:]+]]: !llvm.ptr {tsr.kernel_context}
//   CHECK-DAG:   %[[FLAGS:.+]] = arith.constant 3 : i64
//   CHECK-DAG:   %[[SCALE:.+]] = arith.constant 1.250000e-01 : f64
//       CHECK:   %[[M4:.+]] = tsr.reshape %{{.+}} : tensor<1x16xf32> -> tensor<1x1x1x16xf32>
//       CHECK:   %[[O:.+]] = memref.alloc() : memref<2x4x8x32xf32>
//       CHECK:   call @__tsr_attention(%[[CTX]], {{.+}}, %[[FLAGS]], %[[SCALE]])
//       CHECK:   bufferization.to_tensor %[[O]] restrict writable
//   CHECK-NOT:   tsr.softmax
// CHECK-LABEL: func.func private @__tsr_attention
//       CHECK:   arith.bitcast %{{.+}} : f64 to i64
//       CHECK:   arith.shrui %{{.+}}, %{{.+}} : i64
//       CHECK:   llvm.alloca %{{.+}} x !llvm.array<35 x i64>
//       CHECK:   llvm.call %{{.+}}(%{{.+}}, %{{.+}}) : !llvm.ptr, (!llvm.ptr, !llvm.ptr) -> ()
func.func @attention(%q: tensor<2x4x8x16xf32>, %k: tensor<2x4x16x16xf32>, %v: tensor<2x4x16x32xf32>, %m: tensor<1x16xf32>) -> tensor<2x4x8x32xf32> {
  %0 = tsr.attention %q, %k, %v, mask %m {scale = 0.125 : f32, causal} : (tensor<2x4x8x16xf32>, tensor<2x4x16x16xf32>, tensor<2x4x16x32xf32>, tensor<1x16xf32>) -> tensor<2x4x8x32xf32>
  return %0 : tensor<2x4x8x32xf32>
}

// -----

// Tests that a sliding window rides in the flags above bit 8: causal (2)
// | 4096 << 8 = 1048578.
// CHECK-LABEL: func.func @attention_window
//   CHECK-DAG:   %[[FLAGS:.+]] = arith.constant 1048578 : i64
//       CHECK:   call @__tsr_attention(%{{.+}}, {{.+}}, %[[FLAGS]], %{{.+}})
func.func @attention_window(%q: tensor<1x4x8x16xf32>, %k: tensor<1x4x8x16xf32>, %v: tensor<1x4x8x16xf32>) -> tensor<1x4x8x16xf32> {
  %0 = tsr.attention %q, %k, %v {scale = 0.25 : f32, causal, window = 4096 : i64} : (tensor<1x4x8x16xf32>, tensor<1x4x8x16xf32>, tensor<1x4x8x16xf32>) -> tensor<1x4x8x16xf32>
  return %0 : tensor<1x4x8x16xf32>
}

// -----

// Tests that with attention-kernel=false attention expands into two GEMM
// calls and a softmax instead.
// RUN: tessera-opt %s --split-input-file --tsr-lower-to-ukernels=attention-kernel=false | FileCheck %s --check-prefix=NOKERNEL
// NOKERNEL-LABEL: func.func @attention_expanded
//       NOKERNEL:   call @__tsr_sgemm
//       NOKERNEL:   tsr.softmax
//       NOKERNEL:   call @__tsr_sgemm
//   NOKERNEL-NOT:   __tsr_attention(
func.func @attention_expanded(%q: tensor<1x2x8x16xf32>, %k: tensor<1x2x8x16xf32>, %v: tensor<1x2x8x16xf32>) -> tensor<1x2x8x16xf32> {
  %0 = tsr.attention %q, %k, %v {scale = 0.25 : f32} : (tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>) -> tensor<1x2x8x16xf32>
  return %0 : tensor<1x2x8x16xf32>
}

// -----

// Tests that two kernel calls reading the same tensor (an attention mask
// shared by two layers) keep one to_buffer each, numbered apart, so that CSE
// leaves both and One-Shot Bufferize sees the second read.
// RUN: tessera-opt %s --split-input-file --tsr-lower-to-ukernels --cse | FileCheck %s --check-prefix=SHARED
// SHARED-LABEL: func.func @shared_mask
//       SHARED:   %[[M4:.+]] = tsr.reshape %{{.+}} : tensor<1x16xf32> -> tensor<1x1x1x16xf32>
//       SHARED:   bufferization.to_buffer %[[M4]] read_only {tsr.kernel_operand = [[FIRST:[0-9]+]] : i64}
//       SHARED:   call @__tsr_attention
//       SHARED:   bufferization.to_buffer %[[M4]] read_only {tsr.kernel_operand = [[SECOND:[0-9]+]] : i64}
//       SHARED:   call @__tsr_attention
func.func @shared_mask(%q: tensor<1x4x8x16xf32>, %k: tensor<1x4x16x16xf32>, %v: tensor<1x4x16x16xf32>, %m: tensor<1x16xf32>) -> tensor<1x4x8x16xf32> {
  %0 = tsr.attention %q, %k, %v, mask %m {scale = 0.25 : f32} : (tensor<1x4x8x16xf32>, tensor<1x4x16x16xf32>, tensor<1x4x16x16xf32>, tensor<1x16xf32>) -> tensor<1x4x8x16xf32>
  %1 = tsr.attention %0, %k, %v, mask %m {scale = 0.25 : f32} : (tensor<1x4x8x16xf32>, tensor<1x4x16x16xf32>, tensor<1x4x16x16xf32>, tensor<1x16xf32>) -> tensor<1x4x8x16xf32>
  return %1 : tensor<1x4x8x16xf32>
}

// -----

// Tests that Q, K and V reaching attention as transposed heads of slices of
// one fused projection (tsr-fuse-qkv) are passed as strided views of the
// slices: [B, S, 2·4] with strides (s0, s1, s2) becomes [B, 2, S, 4] with
// strides (s0, 4·s2, s1, s2), and no transpose or reshape is copied. A
// reshape that does not only split the last dim (V here, whose seq dim is
// not provably the slice's) stays, under a transposed view. The output,
// whose only use transposes the heads back, is written through a strided
// view straight into a [B, S, 2, 4] buffer (strides (S·8, 4, 8, 1)).
// CHECK-LABEL: func.func @attention_strided_views
//       CHECK:   %[[F:.+]] = tsr.reshape %{{.+}} : tensor<1x?x24xf32> -> tensor<?x?x24xf32>
//       CHECK:   %[[Q:.+]] = tsr.slice %[[F]]
//       CHECK:   %[[K:.+]] = tsr.slice %[[F]]
//       CHECK:   %[[VR:.+]] = tsr.reshape %{{.+}} : tensor<?x?x8xf32> -> tensor<?x?x2x4xf32>
//       CHECK:   %[[QB:.+]] = bufferization.to_buffer %[[Q]] read_only
//       CHECK:   %{{.+}}, %[[OFF:.+]], %{{.+}}:3, %[[ST:.+]]:3 = memref.extract_strided_metadata %[[QB]]
//       CHECK:   %[[HS:.+]] = arith.muli %[[ST]]#2, %[[C4:.+]] : index
//       CHECK:   %[[QV:.+]] = memref.reinterpret_cast %[[QB]] to offset: [%[[OFF]]], sizes: [%{{.+}}, %{{.+}}, %{{.+}}, %{{.+}}], strides: [%[[ST]]#0, %[[HS]], %[[ST]]#1, %[[ST]]#2]
//       CHECK:   %[[KB:.+]] = bufferization.to_buffer %[[K]] read_only
//       CHECK:   %[[KV:.+]] = memref.reinterpret_cast %[[KB]]
//       CHECK:   %[[VB:.+]] = bufferization.to_buffer %[[VR]] read_only
//       CHECK:   %[[VV:.+]] = memref.reinterpret_cast %[[VB]]
//       CHECK:   %[[O:.+]] = memref.alloc(%{{.+}}, %{{.+}}) : memref<?x?x2x4xf32>
//       CHECK:   %[[OV:.+]] = memref.reinterpret_cast %[[O]] to offset: [%{{.+}}], sizes: [%{{.+}}, %{{.+}}, %{{.+}}, %{{.+}}], strides: [%{{.+}}, %[[C4]], %[[C8:.+]], %{{.+}}]
//       CHECK:   call @__tsr_attention(%{{.+}}, %[[QV]], %[[KV]], %[[VV]], %{{.+}}, %[[OV]],
//       CHECK:   %[[OT:.+]] = bufferization.to_tensor %[[O]]
//       CHECK:   %[[R:.+]] = tsr.reshape %[[OT]]
//       CHECK:   return %[[R]]
func.func @attention_strided_views(%x: tensor<?x?x8xf32>, %w: tensor<24x8xf32>, %n: index) -> tensor<?x?x8xf32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %f = tsr.linear %x, %w : (tensor<?x?x8xf32>, tensor<24x8xf32>) -> tensor<?x?x24xf32>
  %b = tensor.dim %f, %c0 : tensor<?x?x24xf32>
  %s = tensor.dim %f, %c1 : tensor<?x?x24xf32>
  %q = tsr.slice %f offsets [] sizes [%b, %s] {static_offsets = array<i64: 0, 0, 0>, steps = array<i64: 1, 1, 1>} : tensor<?x?x24xf32> -> tensor<?x?x8xf32>
  %k = tsr.slice %f offsets [] sizes [%b, %s] {static_offsets = array<i64: 0, 0, 8>, steps = array<i64: 1, 1, 1>} : tensor<?x?x24xf32> -> tensor<?x?x8xf32>
  %v = tsr.slice %f offsets [] sizes [%b, %s] {static_offsets = array<i64: 0, 0, 16>, steps = array<i64: 1, 1, 1>} : tensor<?x?x24xf32> -> tensor<?x?x8xf32>
  %qb = tensor.dim %q, %c0 : tensor<?x?x8xf32>
  %qs = tensor.dim %q, %c1 : tensor<?x?x8xf32>
  %q4 = tsr.reshape %q[%qb, %qs] : tensor<?x?x8xf32> -> tensor<?x?x2x4xf32>
  %k4 = tsr.reshape %k[%b, %s] : tensor<?x?x8xf32> -> tensor<?x?x2x4xf32>
  %v4 = tsr.reshape %v[%b, %n] : tensor<?x?x8xf32> -> tensor<?x?x2x4xf32>
  %qt = tsr.transpose %q4 {permutation = array<i64: 0, 2, 1, 3>} : tensor<?x?x2x4xf32> -> tensor<?x2x?x4xf32>
  %kt = tsr.transpose %k4 {permutation = array<i64: 0, 2, 1, 3>} : tensor<?x?x2x4xf32> -> tensor<?x2x?x4xf32>
  %vt = tsr.transpose %v4 {permutation = array<i64: 0, 2, 1, 3>} : tensor<?x?x2x4xf32> -> tensor<?x2x?x4xf32>
  %0 = tsr.attention %qt, %kt, %vt {scale = 0.5 : f32} : (tensor<?x2x?x4xf32>, tensor<?x2x?x4xf32>, tensor<?x2x?x4xf32>) -> tensor<?x2x?x4xf32>
  %1 = tsr.transpose %0 {permutation = array<i64: 0, 2, 1, 3>} : tensor<?x2x?x4xf32> -> tensor<?x?x2x4xf32>
  %2 = tsr.reshape %1[%b, %s] : tensor<?x?x2x4xf32> -> tensor<?x?x8xf32>
  return %2 : tensor<?x?x8xf32>
}
