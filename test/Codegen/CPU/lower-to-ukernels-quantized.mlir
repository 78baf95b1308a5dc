// RUN: tessera-opt %s --split-input-file --tsr-lower-to-ukernels --verify-diagnostics | FileCheck %s

// Tests that a packed quantized linear with bias and GELU becomes a call of
// @__tsr_qgemm with flags hasBias | gelu << 8 = 264: x enters as [1, M, K],
// the packed int8 weight, its scales and column sums as they are, C is a
// fresh [1, M, N] buffer reshaped back; the helper fills the 18 words of
// tsr_qgemm_args_t and calls the context's qgemm (offset 56).
// CHECK-LABEL: func.func @quantized_bias_gelu
//  CHECK-SAME:   (%[[X:[^:]+]]: tensor<2x5x8xf32>, %[[B:[^:]+]]: tensor<17xf32>, %[[CTX:[^:]+]]: !llvm.ptr {tsr.kernel_context})
//   CHECK-NOT:   tsr.quantized_linear
//       CHECK:   %[[X3:.+]] = tsr.reshape %[[X]]{{.*}} : tensor<2x5x8xf32> -> tensor<1x10x8xf32>
//       CHECK:   %[[C:.+]] = memref.alloc() : memref<1x10x17xf32>
//       CHECK:   %[[FLAGS:.+]] = arith.constant 264 : i64
//       CHECK:   %[[AQ:.+]] = arith.constant 0 : i64
//       CHECK:   call @__tsr_qgemm(%[[CTX]], %{{.+}}, %{{.+}}, %{{.+}}, %{{.+}}, %{{.+}}, %{{.+}}, %[[FLAGS]], %[[AQ]], %{{.+}}, %{{.+}}) : (!llvm.ptr, memref<?x?x?xf32, {{.+}}>, memref<?x?x?xi8, {{.+}}>, memref<?xf32, {{.+}}>, memref<?xi32, {{.+}}>, memref<?xf32, {{.+}}>, memref<?x?x?xf32, {{.+}}>, i64, i64, i64, memref<?xf32, {{.+}}>) -> ()
//       CHECK:   %[[Y3:.+]] = bufferization.to_tensor %[[C]] restrict writable
//       CHECK:   tsr.reshape %[[Y3]] : tensor<1x10x17xf32> -> tensor<2x5x17xf32>
// CHECK-LABEL: func.func private @__tsr_qgemm
//  CHECK-SAME:   (%[[HCTX:[^:]+]]: !llvm.ptr,
//       CHECK:   llvm.alloca %{{.+}} x !llvm.array<19 x i64>
//       CHECK:   llvm.getelementptr %[[HCTX]][8] : (!llvm.ptr) -> !llvm.ptr, i8
//       CHECK:   llvm.getelementptr %[[HCTX]][56] : (!llvm.ptr) -> !llvm.ptr, i8
func.func @quantized_bias_gelu(%x: tensor<2x5x8xf32>, %b: tensor<17xf32>) -> tensor<2x5x17xf32> {
  %p = tsr.constant {tsr.name = "p"} dense<1> : tensor<2x2x64xi8>
  %s = tsr.constant {tsr.name = "s"} dense<0.5> : tensor<17xf32>
  %c = tsr.constant {tsr.name = "c"} dense<8> : tensor<17xi32>
  %0 = tsr.quantized_linear %x, %p scale %s bias %b sums %c {weight_packed, epilogue = #tsr<epilogue gelu>} : (tensor<2x5x8xf32>, tensor<2x2x64xi8>, tensor<17xf32>, tensor<17xf32>, tensor<17xi32>) -> tensor<2x5x17xf32>
  return %0 : tensor<2x5x17xf32>
}

// -----

// Tests that an unpacked quantized linear is an error: it has no kernel
// form until tsr-pack-weights has run.
func.func @quantized_unpacked(%x: tensor<2x8xf32>, %w: tensor<4x8xi8>, %s: tensor<4xf32>) -> tensor<2x4xf32> {
  // expected-error @+1 {{'tsr.quantized_linear' op must be packed (tsr-pack-weights) with a static N to be lowered}}
  %0 = tsr.quantized_linear %x, %w scale %s : (tensor<2x8xf32>, tensor<4x8xi8>, tensor<4xf32>) -> tensor<2x4xf32>
  return %0 : tensor<2x4xf32>
}

// -----

// Tests that the activation quantization of an already-quantized model
// reaches the kernel: static_tensor is a_quant 1 with the word holding
// a_scale's bits (0.5f = 0x3F000000) low and a_zero_point (130) high:
// 130 << 32 | 0x3F000000 = 559402713088; dynamic_tensor is a_quant 2.
// CHECK-LABEL: func.func @quantized_static_and_dynamic
//   CHECK-DAG:   %[[ONE:.+]] = arith.constant 1 : i64
//   CHECK-DAG:   %[[PARAMS:.+]] = arith.constant 559402713088 : i64
//       CHECK:   call @__tsr_qgemm({{.*}}, %[[ONE]], %[[PARAMS]], %{{.+}})
//   CHECK-DAG:   %[[TWO:.+]] = arith.constant 2 : i64
//       CHECK:   call @__tsr_qgemm({{.*}}, %[[TWO]], %{{.+}}, %{{.+}})
// With input_smooth the flags gain kHasSmooth (16) and the smoothing
// vector is the last operand (a_smooth).
//       CHECK:   %[[SFLAGS:.+]] = arith.constant 16 : i64
//       CHECK:   %[[SM:.+]] = bufferization.to_buffer %arg1
//       CHECK:   %[[SMC:.+]] = memref.cast %[[SM]]
//       CHECK:   call @__tsr_qgemm({{.*}}, %[[SFLAGS]], %{{.+}}, %{{.+}}, %[[SMC]])
func.func @quantized_static_and_dynamic(%x: tensor<3x8xf32>, %smooth: tensor<8xf32>) -> (tensor<3x17xf32>, tensor<3x17xf32>, tensor<3x17xf32>) {
  %p = tsr.constant {tsr.name = "p"} dense<1> : tensor<2x2x64xi8>
  %s = tsr.constant {tsr.name = "s"} dense<0.5> : tensor<17xf32>
  %c = tsr.constant {tsr.name = "c"} dense<8> : tensor<17xi32>
  %0 = tsr.quantized_linear %x, %p scale %s sums %c {weight_packed, input_quant = #tsr<input_quant static_tensor>, input_scale = 0.5 : f32, input_zero_point = 130 : i32} : (tensor<3x8xf32>, tensor<2x2x64xi8>, tensor<17xf32>, tensor<17xi32>) -> tensor<3x17xf32>
  %1 = tsr.quantized_linear %x, %p scale %s sums %c {weight_packed, input_quant = #tsr<input_quant dynamic_tensor>} : (tensor<3x8xf32>, tensor<2x2x64xi8>, tensor<17xf32>, tensor<17xi32>) -> tensor<3x17xf32>
  %2 = tsr.quantized_linear %x, %p scale %s sums %c smooth %smooth {weight_packed, input_quant = #tsr<input_quant static_tensor>, input_scale = 0.5 : f32, input_zero_point = 130 : i32} : (tensor<3x8xf32>, tensor<2x2x64xi8>, tensor<17xf32>, tensor<17xi32>, tensor<8xf32>) -> tensor<3x17xf32>
  return %0, %1, %2 : tensor<3x17xf32>, tensor<3x17xf32>, tensor<3x17xf32>
}

// -----

// Tests that a packed w4 linear becomes a call of @__tsr_w4gemm with flags
// hasBias | hasZeroPoint | relu << 8 = 8 | 16 | 1024 = 1048 and its group
// size; the helper fills the 18 words of tsr_w4gemm_args_t (the last,
// params_f16, 0 for f32 parameters) and calls the context's w4gemm (offset
// 64).
// CHECK-LABEL: func.func @w4_bias_relu
//   CHECK-DAG:   %[[FLAGS:.+]] = arith.constant 1048 : i64
//   CHECK-DAG:   %[[GROUP:.+]] = arith.constant 32 : i64
//       CHECK:   call @__tsr_w4gemm(%{{.+}}, %{{.+}}, %{{.+}}, %{{.+}}, %{{.+}}, %{{.+}}, %{{.+}}, %[[FLAGS]], %[[GROUP]]) : (!llvm.ptr, memref<?x?x?xf32, {{.+}}>, memref<?x?x?xui8, {{.+}}>, memref<?x?x?xf32, {{.+}}>, memref<?x?x?xf32, {{.+}}>, memref<?xf32, {{.+}}>, memref<?x?x?xf32, {{.+}}>, i64, i64) -> ()
// CHECK-LABEL: func.func private @__tsr_w4gemm(
//       CHECK:   llvm.alloca %{{.+}} x !llvm.array<18 x i64>
//       CHECK:   %[[SLOT:.+]] = llvm.getelementptr %{{.+}}[17] : (!llvm.ptr) -> !llvm.ptr, i64
//  CHECK-NEXT:   llvm.store %c0_i64{{[_0-9]*}}, %[[SLOT]] : i64, !llvm.ptr
//       CHECK:   llvm.getelementptr %{{.+}}[64] : (!llvm.ptr) -> !llvm.ptr, i8
func.func @w4_bias_relu(%x: tensor<3x64xf32>, %b: tensor<17xf32>) -> tensor<3x17xf32> {
  %p = tsr.constant {tsr.name = "p"} dense<17> : tensor<2x32x16xui8>
  %s = tsr.constant {tsr.name = "s"} dense<0.5> : tensor<2x2x16xf32>
  %z = tsr.constant {tsr.name = "z"} dense<8.0> : tensor<2x2x16xf32>
  %0 = tsr.w4_linear %x, %p scale %s zero %z bias %b {weight_packed, group_size = 32 : i64, epilogue = #tsr<epilogue relu>} : (tensor<3x64xf32>, tensor<2x32x16xui8>, tensor<2x2x16xf32>, tensor<2x2x16xf32>, tensor<17xf32>) -> tensor<3x17xf32>
  return %0 : tensor<3x17xf32>
}

// -----

// Tests that f16 parameters go to @__tsr_w4gemm_f16, whose params_f16
// word is 1.
// CHECK-LABEL: func.func @w4_f16_params
//       CHECK:   call @__tsr_w4gemm_f16({{.*}}) : (!llvm.ptr, memref<?x?x?xf32, {{.+}}>, memref<?x?x?xui8, {{.+}}>, memref<?x?x?xf16, {{.+}}>, memref<?x?x?xf16, {{.+}}>,
// CHECK-LABEL: func.func private @__tsr_w4gemm_f16(
//       CHECK:   llvm.alloca %{{.+}} x !llvm.array<18 x i64>
//       CHECK:   %[[SLOT16:.+]] = llvm.getelementptr %{{.+}}[17] : (!llvm.ptr) -> !llvm.ptr, i64
//  CHECK-NEXT:   llvm.store %c1_i64{{[_0-9]*}}, %[[SLOT16]] : i64, !llvm.ptr
func.func @w4_f16_params(%x: tensor<3x64xf32>) -> tensor<3x17xf32> {
  %p = tsr.constant {tsr.name = "p"} dense<17> : tensor<2x32x16xui8>
  %s = tsr.constant {tsr.name = "s"} dense<0.5> : tensor<2x2x16xf16>
  %0 = tsr.w4_linear %x, %p scale %s {weight_packed, group_size = 32 : i64} : (tensor<3x64xf32>, tensor<2x32x16xui8>, tensor<2x2x16xf16>) -> tensor<3x17xf32>
  return %0 : tensor<3x17xf32>
}

// -----

// Tests that a packed bf16 linear with bias and SiLU becomes a call of
// @__tsr_bgemm with flags hasBias | silu << 8 = 776: x enters as [1, M, K],
// the packed bf16 weight as it is, C is a fresh [1, M, N] buffer reshaped
// back; the helper fills the 14 words of tsr_bgemm_args_t and calls the
// context's bgemm (offset 72).
// CHECK-LABEL: func.func @bf16_bias_silu
//  CHECK-SAME:   (%[[X:[^:]+]]: tensor<2x5x8xf32>, %[[B:[^:]+]]: tensor<17xf32>, %[[CTX:[^:]+]]: !llvm.ptr {tsr.kernel_context})
//   CHECK-NOT:   tsr.bf16_linear
//       CHECK:   %[[X3:.+]] = tsr.reshape %[[X]]{{.*}} : tensor<2x5x8xf32> -> tensor<1x10x8xf32>
//       CHECK:   %[[C:.+]] = memref.alloc() : memref<1x10x17xf32>
//       CHECK:   %[[FLAGS:.+]] = arith.constant 776 : i64
//       CHECK:   call @__tsr_bgemm(%[[CTX]], %{{.+}}, %{{.+}}, %{{.+}}, %{{.+}}, %[[FLAGS]]) : (!llvm.ptr, memref<?x?x?xf32, {{.+}}>, memref<?x?x?xbf16, {{.+}}>, memref<?xf32, {{.+}}>, memref<?x?x?xf32, {{.+}}>, i64) -> ()
//       CHECK:   %[[Y3:.+]] = bufferization.to_tensor %[[C]] restrict writable
//       CHECK:   tsr.reshape %[[Y3]] : tensor<1x10x17xf32> -> tensor<2x5x17xf32>
// CHECK-LABEL: func.func private @__tsr_bgemm
//  CHECK-SAME:   (%[[HCTX:[^:]+]]: !llvm.ptr,
//       CHECK:   llvm.alloca %{{.+}} x !llvm.array<14 x i64>
//       CHECK:   llvm.getelementptr %[[HCTX]][8] : (!llvm.ptr) -> !llvm.ptr, i8
//       CHECK:   llvm.getelementptr %[[HCTX]][72] : (!llvm.ptr) -> !llvm.ptr, i8
func.func @bf16_bias_silu(%x: tensor<2x5x8xf32>, %b: tensor<17xf32>) -> tensor<2x5x17xf32> {
  %p = tsr.constant {tsr.name = "p"} dense<1.0> : tensor<2x4x32xbf16>
  %0 = tsr.bf16_linear %x, %p, %b {weight_packed, epilogue = #tsr<epilogue silu>} : (tensor<2x5x8xf32>, tensor<2x4x32xbf16>, tensor<17xf32>) -> tensor<2x5x17xf32>
  return %0 : tensor<2x5x17xf32>
}

// -----

// Tests that an unpacked bf16 linear is an error.
func.func @bf16_unpacked(%x: tensor<2x8xf32>, %w: tensor<4x8xbf16>) -> tensor<2x4xf32> {
  // expected-error @+1 {{'tsr.bf16_linear' op must be packed (tsr-pack-weights) to be lowered}}
  %0 = tsr.bf16_linear %x, %w : (tensor<2x8xf32>, tensor<4x8xbf16>) -> tensor<2x4xf32>
  return %0 : tensor<2x4xf32>
}

// -----

// Tests that a sparse linear (CSR) with bias and ReLU becomes a call of
// @__tsr_spgemm with flags hasBias | csr << 4 | relu << 8 = 1048: x enters
// as [1, M, K], values, indices and offsets as they are, C is a fresh
// [1, M, N] buffer reshaped back; the helper fills the 17 words of
// tsr_spgemm_args_t (the format from bits 4..7, the epilogue from bit 8)
// and calls the context's spgemm (offset 88).
// CHECK-LABEL: func.func @sparse_csr_bias_relu
//  CHECK-SAME:   (%[[X:[^:]+]]: tensor<2x5x8xf32>, %[[B:[^:]+]]: tensor<3xf32>, %[[CTX:[^:]+]]: !llvm.ptr {tsr.kernel_context})
//   CHECK-NOT:   tsr.sparse_linear
//       CHECK:   %[[X3:.+]] = tsr.reshape %[[X]]{{.*}} : tensor<2x5x8xf32> -> tensor<1x10x8xf32>
//       CHECK:   %[[C:.+]] = memref.alloc() : memref<1x10x3xf32>
//       CHECK:   %[[FLAGS:.+]] = arith.constant 1048 : i64
//       CHECK:   call @__tsr_spgemm(%[[CTX]], %{{.+}}, %{{.+}}, %{{.+}}, %{{.+}}, %{{.+}}, %{{.+}}, %[[FLAGS]]) : (!llvm.ptr, memref<?x?x?xf32, {{.+}}>, memref<?xf32, {{.+}}>, memref<?xi32, {{.+}}>, memref<?xi32, {{.+}}>, memref<?xf32, {{.+}}>, memref<?x?x?xf32, {{.+}}>, i64) -> ()
//       CHECK:   %[[Y3:.+]] = bufferization.to_tensor %[[C]] restrict writable
//       CHECK:   tsr.reshape %[[Y3]] : tensor<1x10x3xf32> -> tensor<2x5x3xf32>
// CHECK-LABEL: func.func private @__tsr_spgemm
//  CHECK-SAME:   (%[[HCTX:[^:]+]]: !llvm.ptr,
//       CHECK:   arith.shrui %{{.+}}, %{{.+}} : i64
//       CHECK:   arith.shrui %{{.+}}, %{{.+}} : i64
//       CHECK:   arith.andi %{{.+}}, %{{.+}} : i64
//       CHECK:   llvm.alloca %{{.+}} x !llvm.array<17 x i64>
//       CHECK:   llvm.getelementptr %[[HCTX]][8] : (!llvm.ptr) -> !llvm.ptr, i8
//       CHECK:   llvm.getelementptr %[[HCTX]][88] : (!llvm.ptr) -> !llvm.ptr, i8
func.func @sparse_csr_bias_relu(%x: tensor<2x5x8xf32>, %b: tensor<3xf32>) -> tensor<2x5x3xf32> {
  %v = tsr.constant {tsr.name = "v"} dense<1.0> : tensor<4xf32>
  %i = tsr.constant {tsr.name = "i"} dense<[0, 3, 7, 2]> : tensor<4xi32>
  %o = tsr.constant {tsr.name = "o"} dense<[0, 2, 3, 4]> : tensor<4xi32>
  %0 = tsr.sparse_linear %x, %v, %i, %o, %b {format = #tsr<sparse_format csr>, epilogue = #tsr<epilogue relu>} : (tensor<2x5x8xf32>, tensor<4xf32>, tensor<4xi32>, tensor<4xi32>, tensor<3xf32>) -> tensor<2x5x3xf32>
  return %0 : tensor<2x5x3xf32>
}
