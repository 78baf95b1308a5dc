//===- Passes.td - CPU code generation passes --------------*- tablegen -*-===//
//
// Passes specific to the CPU backend.
//
//===----------------------------------------------------------------------===//

#ifndef TESSERA_CODEGEN_CPU_PASSES_TD
#define TESSERA_CODEGEN_CPU_PASSES_TD

include "mlir/Pass/PassBase.td"

//===----------------------------------------------------------------------===//
// Entry points
//===----------------------------------------------------------------------===//

def TsrExportEntryPointsPass : Pass<"tsr-export-entry-points", "ModuleOp"> {
  let summary = "Adds the packed `void <prefix>_<name>(void **args)` entries of the runtime ABI.";
  let description = [{
    Runs after the lowering to the LLVM dialect, on the `_mlir_ciface_<name>`
    functions that `llvm-request-c-wrappers` asked for. For each one it adds
    `<symbol-prefix>_<name>(ptr %args)`, which loads `args[0..n]` and calls
    the C-interface function with them (see runtime/include/tessera/abi.h),
    then gives every other defined function internal linkage, so that an
    app can link several models and its own `main` without clashes.

    Buffers: calls of `_mlir_memref_to_llvm_alloc/free` (memref lowering
    with generic functions) in a function with a `tsr.kernel_context`
    argument become calls through the context's `alloc`/`free`, so every
    buffer, results included, comes from the session's reusing allocator;
    elsewhere those functions are defined to call malloc/free.
  }];
  let options = [
    Option<"symbolPrefix", "symbol-prefix", "std::string",
           /*default=*/"\"tsr_model\"",
           "Prefix of the exported entry symbols">
  ];
  let dependentDialects = ["::mlir::LLVM::LLVMDialect"];
}

//===----------------------------------------------------------------------===//
// Kernels
//===----------------------------------------------------------------------===//

def TsrLowerToUKernelsPass : Pass<"tsr-lower-to-ukernels", "ModuleOp"> {
  let summary = "Lowers tsr.linear, tsr.matmul and the int8, 4-bit and bf16 linears to calls of the runtime's GEMM kernels.";
  let description = [{
    A GEMM within 10% of the machine's peak needs register blocking, packing
    and cache tiling tuned per ISA; the runtime has such kernels
    (AVX-512, AVX2, portable) and picks one for the CPU it runs on, as
    IREE's ukernels do. This pass gives each public function a trailing
    `!llvm.ptr` argument (`tsr.kernel_context`, the runtime's
    tsr_kernel_context_t, which also carries the buffer allocator), normalizes operands to rank 3
    ([batch, rows, cols]), and replaces each op by a call of
    `@__tsr_sgemm`, a private helper it adds that fills a tsr_sgemm_args_t
    and calls through the context's table. Generated code thus has no
    link-time dependency on the runtime.

    Handled: tsr.linear (plain or packed weight, bias, epilogue),
    tsr.matmul whose operands have equal batch dims, or whose rhs is 2-D,
    and (with `attention-kernel`) tsr.attention, through `@__tsr_attention`
    and the runtime's FlashAttention-style kernel, which never materializes
    the score matrix. Attention left over is expanded into two GEMMs and a
    softmax here, so its GEMMs still reach the kernel. tsr.quantized_linear
    (packed, static N) becomes a call of `@__tsr_qgemm` and the runtime's
    int8 kernel (per-token quantization of the input, u8·s8 dot products,
    dequantization with bias and epilogue in registers); it has no linalg
    form. So do tsr.w4_linear (`@__tsr_w4gemm`, or `@__tsr_w4gemm_f16` for
    half-precision group parameters) and tsr.bf16_linear (`@__tsr_bgemm`).
    Everything else is left for tsr-lower-to-linalg.

    Before:
    ```mlir
    %y = tsr.linear %x, %w, %b : (tensor<?x768xf32>, tensor<48x768x16xf32>, tensor<768xf32>) -> tensor<?x768xf32>
    ```
    After (schematically):
    ```mlir
    %a = bufferization.to_buffer %x3 read_only : memref<?x?x?xf32, strided<[?, ?, ?], offset: ?>>
    %c = memref.alloc(%m) : memref<1x?x768xf32>
    func.call @__tsr_sgemm(%ctx, %a, %bw, %bb, %cc, %flags) : (...) -> ()
    %y3 = bufferization.to_tensor %c restrict writable : memref<1x?x768xf32> to tensor<1x?x768xf32>
    ```
  }];
  let options = [
    Option<"useAttentionKernel", "attention-kernel", "bool", /*default=*/"true",
           "Lower f32 tsr.attention to the runtime's attention kernel">
  ];
  let dependentDialects = ["::mlir::arith::ArithDialect",
                           "::mlir::bufferization::BufferizationDialect",
                           "::mlir::LLVM::LLVMDialect",
                           "::mlir::memref::MemRefDialect",
                           "::mlir::tensor::TensorDialect"];
}

def TsrCheckIndicesPass : Pass<"tsr-check-indices", "ModuleOp"> {
  let summary = "Reports out-of-range gather indices at run time through the kernel context.";
  let description = [{
    A token id past the vocabulary must fail the run, not return the
    embedding of a clamped id: onnxruntime reports it, and a silent wrong
    answer is worse than an error. Before each `tsr.gather` of a function
    that has a kernel context (`tsr-lower-to-ukernels` runs first), this
    pass adds one reduction over the indices (their minimum and maximum:
    one pass over a tensor that is small next to what it gathers) and, when
    either is outside `[-size, size)` of the gathered dim, a call of the
    context's `index_error` with a message naming the node (its `NameLoc`)
    and the input the indices come from (an entry argument's `tsr.name`).
    The gather itself still clamps, so memory stays in bounds; the runtime
    fails the run with the message (`tsr_session_run` returns
    TSR_STATUS_INVALID_ARGUMENT). Constant indices are checked here
    instead: out of range is a compile-time error.

    Before:
    ```mlir
    %e = tsr.gather %table[%ids] {axis = 0 : i64} : (tensor<30522x384xf32>, tensor<1x?xi64>) -> tensor<1x?x384xf32>
    ```
    After (schematically):
    ```mlir
    %mm:2 = linalg.generic {iterator_types = ["reduction", "reduction"]} ins(%ids) outs(%min, %max) ...
    scf.if %out_of_range {
      llvm.call %index_error(%runtime, %message, %value, %size)
    }
    %e = tsr.gather %table[%ids] ...
    ```
  }];
  let dependentDialects = ["::mlir::arith::ArithDialect",
                           "::mlir::LLVM::LLVMDialect",
                           "::mlir::linalg::LinalgDialect",
                           "::mlir::scf::SCFDialect",
                           "::mlir::tensor::TensorDialect"];
}

def TsrSparsifyPass : Pass<"tsr-sparsify", "ModuleOp"> {
  let summary = "Turns linears whose constant weight has enough zeros into tsr.sparse_linear.";
  let description = [{
    Every zero of a weight is a multiply-add the dense kernel does for
    nothing. For each `tsr.linear` with a compile-time f32 weight (`[N,
    K]`, or `[K, N]` under a `[1, 0]` transpose) and static K and N, the
    pass counts the weight's nonzeros and its 16 x 16 blocks that hold one,
    and asks the CPU cost model (SparseCostModel.h, from the runtime
    kernels' measured speed per stored weight) how long the two sparse
    kernels of the runtime would take relative to the dense one:
    `block16` (the blocks that hold a nonzero: pruned blocks, structured
    sparsity) or `csr` (each output channel's nonzeros: unstructured and
    2:4 sparsity). With `format=auto` the cheaper one is used if it is
    expected to take at most `max-relative-cost` of the dense time;
    `format=block16` or `csr` forces that format for every weight with a
    zero (tests, measurements). A weight with no zero, or with only zeros,
    stays dense. Each weight gets a remark with its density and the
    decision (tessera-compile's report counts them). The packed operands are
    made once per weight constant, next to it, with the runtime's packers
    (tessera/pack.h), and the dense weight's blob is freed when nothing
    reads it anymore.

    Before:
    ```mlir
    %y = tsr.linear %x, %wt, %b : (tensor<128x768xf32>, tensor<768x768xf32>, tensor<768xf32>) -> tensor<128x768xf32>
    ```
    After:
    ```mlir
    %y = tsr.sparse_linear %x, %values, %indices, %offsets, %b {format = #tsr<sparse_format block16>} : (tensor<128x768xf32>, tensor<75264xf32>, tensor<294xi32>, tensor<49xi32>, tensor<768xf32>) -> tensor<128x768xf32>
    ```
  }];
  let options = [
    Option<"format", "format", "std::string", /*default=*/"\"auto\"",
           "auto (the cost model decides), block16 or csr (forced)">,
    Option<"maxRelativeCost", "max-relative-cost", "double",
           /*default=*/"0.85",
           "Use a sparse kernel only if it is expected to take at most "
           "this fraction of the dense kernel's time">
  ];
}

def TsrPackWeightsPass : Pass<"tsr-pack-weights", "ModuleOp"> {
  let summary = "Packs constant linear weights (f32, int8, 4-bit, bf16) into the CPU kernels' panel layouts.";
  let description = [{
    The GEMM kernel streams B in panels of 16 columns (K rows each); packing
    a weight at run time would cost a pass over it on every call, which for
    a small batch is as much memory traffic as the GEMM itself. Constant
    weights are packed here, once, and stored packed in model.tsr, with the
    runtime's own packing routine (runtime/include/tessera/pack.h). Accepts
    a constant weight, or the transpose of one (tsr-fuse-linear's output),
    and sets `weight_packed`. The int8 weights of `tsr.quantized_linear`
    (from tsr-quantize) are packed the same way into the int8 kernels'
    layout (`[ceil(N/16), ceil(K/4), 64]`: 4 k values of 16 columns per 64
    bytes, the operand order of the u8·s8 dot-product instructions), and
    their column sums, which the kernels subtract to undo the +128 shift of
    the activations, become the `weight_sums` operand. The 4-bit weights of
    `tsr.w4_linear` go two per byte into `[ceil(N/16), K/2, 16]`, their
    group scales and zero points panel-major; the bf16 weights of
    `tsr.bf16_linear` into `[ceil(N/16), ceil(K/2), 32]`, 2 k values of 16
    columns per row (the operand order of vdpbf16ps, and the AMX tile
    layout as it stands).

    An unpacked weight no op references anymore has its resource blob freed
    right away: blobs otherwise live in the context until it dies, and
    holding both layouts of every weight doubled the compiler's peak memory
    on BERT-base. This is why the pass runs on the module (a resource may be
    referenced from several functions); it assumes, as tessera-compile
    does, that no other module of the context references the module's
    resources.

    Before:
    ```mlir
    %w = tsr.constant dense_resource<w> : tensor<768x3072xf32>
    %t = tsr.transpose %w {permutation = array<i64: 1, 0>} : tensor<768x3072xf32> -> tensor<3072x768xf32>
    %y = tsr.linear %x, %t : (tensor<?x768xf32>, tensor<3072x768xf32>) -> tensor<?x3072xf32>
    ```
    After:
    ```mlir
    %p = tsr.constant dense_resource<w.packed> : tensor<192x768x16xf32>
    %y = tsr.linear %x, %p {weight_packed} : (tensor<?x768xf32>, tensor<192x768x16xf32>) -> tensor<?x3072xf32>
    ```
  }];
}

//===----------------------------------------------------------------------===//
// Memory
//===----------------------------------------------------------------------===//

def TsrPlanMemoryPass : Pass<"tsr-plan-memory", "func::FuncOp"> {
  let summary = "Places a function's statically sized buffers in one arena, reusing the memory of dead ones.";
  let description = [{
    After bufferization every intermediate is a `memref.alloc` served one
    by one by the runtime's allocator, and each holds its memory until the
    deallocation the ownership pipeline placed, often at the end of the
    function. Here the live range of each buffer of the function's body
    with a static size (from its alloc to the last op that uses it or an
    alias of it: views, casts, results of calls and of region ops) is
    computed over the body's ops, and the buffers are packed into one
    arena, greedy by size, each at the 64-byte-aligned offset of the
    smallest gap that buffers living at the same time leave (best fit).
    The allocs become `memref.view`s of the arena, their deallocs go, and
    the arena is allocated once at entry (through the kernel context's
    allocator, whose block cache serves it without system calls from the
    second run on) and freed before the return. Its size, the peak memory
    of those buffers, is known at compile time and recorded with the
    plan's counts in the function's `tsr.memory_plan` attribute, which
    tessera-compile reports.

    Left to the allocator: buffers with run-time sizes (dynamic dims; an
    `--input-shape` makes them static), buffers the function returns (the
    caller owns them), buffers inside loops or other regions, buffers whose
    address is taken as an integer or pointer (ownership-based
    deallocation's alias checks) or freed through an alias.

    Before:
    ```mlir
    %a = memref.alloc() {alignment = 64 : i64} : memref<2x4xf32>
    ...
    memref.dealloc %a : memref<2x4xf32>
    ```
    After:
    ```mlir
    %arena = memref.alloc() {alignment = 64 : i64} : memref<128xi8>
    %c64 = arith.constant 64 : index
    %a = memref.view %arena[%c64][] : memref<128xi8> to memref<2x4xf32>
    ...
    memref.dealloc %arena : memref<128xi8>
    ```
  }];
  let dependentDialects = ["::mlir::arith::ArithDialect",
                           "::mlir::memref::MemRefDialect"];
}

def TsrLowerStridedCopiesPass : Pass<"tsr-lower-strided-copies", "func::FuncOp"> {
  let summary = "Turns memref.copy of non-contiguous buffers into linalg.copy.";
  let description = [{
    The LLVM lowering of memref.copy calls `memrefCopy` from MLIR's C runner
    utilities when either side is not contiguous; generated code must not
    depend on that library. As `linalg.copy` such copies become loops with
    the rest of the linalg ops (contiguous copies stay memref.copy and
    become memcpy).

    Before:
    ```mlir
    memref.copy %v, %b : memref<4x8xf32, strided<[16, 1]>> to memref<4x8xf32>
    ```
    After:
    ```mlir
    linalg.copy ins(%v : memref<4x8xf32, strided<[16, 1]>>) outs(%b : memref<4x8xf32>)
    ```
  }];
  let dependentDialects = ["::mlir::linalg::LinalgDialect"];
}

//===----------------------------------------------------------------------===//
// Tiling and threads
//===----------------------------------------------------------------------===//

def TsrCpuLowerForallPass : Pass<"tsr-cpu-lower-forall", "ModuleOp"> {
  let summary = "Runs bufferized scf.forall loops on the runtime's thread pool.";
  let description = [{
    Each `scf.forall` without results in a function with a
    `tsr.kernel_context` argument becomes a call of the context's
    `parallel_for` (runtime/include/tessera/abi.h). Its body is outlined
    into `func.func private @<fn>_forall<i>(%closure: !llvm.ptr, %begin: i64,
    %end: i64)` (tsr_parallel_task_fn_t), which loops over the linearized
    iterations [begin, end); the values the body uses from outside are
    stored in a stack struct (memrefs as their LLVM descriptors, through
    unrealized casts that the LLVM lowering reconciles).

    The loop runs serially, by a direct call of the outlined function over
    [0, n), when the context has one thread or when n is below the loop's
    `tsr.min_parallel_iterations` (set by tsr-cpu-tile-and-distribute from
    the cost model): decided at run time, so dynamic shapes stay correct.
    A loop whose body allocates (buffers come from the context, which the
    outlined function lacks), or one outside a function with a context,
    becomes a serial scf.for in place.

    After (schematically):
    ```mlir
    %c = llvm.alloca %one x !llvm.struct<(...)> : (i64) -> !llvm.ptr
    scf.if %parallel {
      %pf = llvm.load ... // ctx->parallel_for
      llvm.call %pf(%runtime, %n, %body_ptr, %c) : !llvm.ptr, (!llvm.ptr, i64, !llvm.ptr, !llvm.ptr) -> ()
    } else {
      func.call @f_forall0(%c, %zero, %n) : (!llvm.ptr, i64, i64) -> ()
    }
    ```
  }];
  let dependentDialects = ["::mlir::arith::ArithDialect",
                           "::mlir::func::FuncDialect",
                           "::mlir::LLVM::LLVMDialect",
                           "::mlir::memref::MemRefDialect",
                           "::mlir::scf::SCFDialect"];
}

def TsrCpuTileAndDistributePass : Pass<"tsr-cpu-tile-and-distribute", "func::FuncOp"> {
  let summary = "Tiles linalg ops on tensors into scf.forall chunks sized by a per-target cost model.";
  let description = [{
    Everything that does not reach a runtime kernel (norms, softmax,
    residual adds, gathers, transposes) is a linalg op; this pass makes
    those run on all threads. For each linalg op with tensor semantics it
    tiles the leading parallel loops (all but the innermost loop, which
    stays whole so that it vectorizes over contiguous memory) into an
    `scf.forall`, which tsr-cpu-lower-forall later hands to the runtime's
    thread pool. The cost model (compiler/Codegen/CPU/TargetInfo.h) picks:

    - the tile of the last distributed loop: enough points per iteration
      for 16 vector iterations of the target's width, but no more than
      half of L1 (operands' bytes per point times points);
    - `tsr.min_parallel_iterations`: how many iterations make a region
      worth several pool dispatches (estimated cycles per point: body
      ops / vector lanes plus bytes moved / 32 B per cycle). Smaller
      regions run serially; the check is made at run time, so it also
      holds for dynamic shapes.

    Float sums that accumulate a reduction's output (a layer norm's mean
    and variance) get the `reassoc` fast-math flag: LLVM's loop vectorizer
    keeps an in-order sum scalar, and summing in vector lanes changes the
    result only by rounding, as every vectorized runtime does.

    The chosen sizes are recorded on the loop and on the tiled op as
    `tsr.tile_sizes` (0: not tiled), so `tessera-opt` shows them.

    After:
    ```mlir
    %r = scf.forall (%i) = (0) to (%d0) step (8) shared_outs(%o = %init) -> (tensor<?x384xf32>) {
      ... linalg.generic {tsr.tile_sizes = array<i64: 8, 0>} ...
    } {tsr.min_parallel_iterations = 12 : i64, tsr.tile_sizes = array<i64: 8, 0>}
    ```
  }];
  let options = [
    Option<"cpu", "cpu", "std::string", /*default=*/"\"native\"",
           "CPU the code is generated for (an LLVM CPU name, or native)">,
    Option<"reassociate", "reassociate-reductions", "bool", /*default=*/"true",
           "Mark float sums of reductions reassoc so that they vectorize">
  ];
  let dependentDialects = ["::mlir::affine::AffineDialect",
                           "::mlir::arith::ArithDialect",
                           "::mlir::scf::SCFDialect",
                           "::mlir::tensor::TensorDialect"];
}

//===----------------------------------------------------------------------===//
// Math
//===----------------------------------------------------------------------===//

def TsrApproximateMathPass : Pass<"tsr-approximate-math", "func::FuncOp"> {
  let summary = "Replaces math.erf, math.tanh and math.exp by polynomial approximations.";
  let description = [{
    LLVM has no vector form of erf, tanh or exp on x86 without a vector
    math library, so they would become scalar libm calls that block
    vectorization (softmax spends most of its time in expf otherwise) and
    tie generated code to libm.
    The polynomial forms are plain arithmetic (accurate to a few ulp in
    f32), which vectorizes and runs the same on every target.

    Before:
    ```mlir
    %y = math.erf %x : f32
    ```
    After: a sequence of arith ops (clamp, polynomial, select).
  }];
  let dependentDialects = ["::mlir::arith::ArithDialect",
                           "::mlir::math::MathDialect",
                           "::mlir::vector::VectorDialect"];
}

#endif // TESSERA_CODEGEN_CPU_PASSES_TD
