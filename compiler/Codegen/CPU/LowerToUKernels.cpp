//===- LowerToUKernels.cpp - GEMMs become runtime kernel calls ------------===//
//
// Implements tsr-lower-to-ukernels (see Passes.td for the rationale). The
// call sites stay on tensors: operands enter memref land through
// bufferization.to_buffer and the result leaves it through
// bufferization.to_tensor of a fresh allocation, which one-shot
// bufferization and the ownership-based deallocation handle like any other
// buffer.
//
//===----------------------------------------------------------------------===//

#include "compiler/Codegen/CPU/KernelContext.h"
#include "compiler/Codegen/CPU/Passes.h"
#include "compiler/Conversion/TsrToLinalg/TsrToLinalg.h"
#include "dialects/tsr/IR/TsrDialect.h"

#include "mlir/Dialect/Arith/Utils/Utils.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/IR/Builders.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"
#include "tessera/abi.h"

using namespace mlir;

namespace tessera {

#define GEN_PASS_DEF_TSRLOWERTOUKERNELSPASS
#include "compiler/Codegen/CPU/Passes.h.inc"

namespace {

constexpr llvm::StringLiteral kSgemmHelper = "__tsr_sgemm";
constexpr llvm::StringLiteral kAttentionHelper = "__tsr_attention";
constexpr llvm::StringLiteral kQgemmHelper = "__tsr_qgemm";
constexpr llvm::StringLiteral kW4gemmHelper = "__tsr_w4gemm";
constexpr llvm::StringLiteral kBgemmHelper = "__tsr_bgemm";
constexpr llvm::StringLiteral kSpgemmHelper = "__tsr_spgemm";

// Bits of the helper's `flags` operand.
enum : int64_t {
  kTransposeA = 1,
  kTransposeB = 2,
  kPackedB = 4,
  kHasBias = 8,
  kEpilogueShift = 8,
};

// Bits of the 4-bit GEMM helper's `flags` operand, besides kHasBias and the
// epilogue; and of the int8 one's.
enum : int64_t {
  kHasZeroPoint = 16, // w4
  kHasSmooth = 16,    // int8: a_smooth
};

// The sparse GEMM helper's `flags` carry the format (TSR_SPGEMM_*) here,
// besides kHasBias and the epilogue.
constexpr int64_t kSparseFormatShift = 4;

// Bits of the attention helper's `flags` operand; the sliding window (0:
// none) above kWindowShift.
enum : int64_t {
  kHasMask = 1,
  kCausal = 2,
  kWindowShift = 8,
};

MemRefType anyStridedMemRef(MLIRContext *ctx, int64_t rank,
                            Type elementType = {}) {
  SmallVector<int64_t> shape(rank, ShapedType::kDynamic);
  auto layout = StridedLayoutAttr::get(
      ctx, ShapedType::kDynamic, SmallVector<int64_t>(rank, ShapedType::kDynamic));
  return MemRefType::get(shape, elementType ? elementType : Float32Type::get(ctx),
                         layout);
}

//===----------------------------------------------------------------------===//
// Helpers: private functions that fill a kernel's argument struct from
// memref metadata and call through the kernel context
//===----------------------------------------------------------------------===//

/// Builds the body of a helper function.
struct HelperBodyBuilder {
  OpBuilder &b;
  Location loc;

  struct Meta {
    Value ptr; // the first element's address, as i64
    SmallVector<Value> sizes, strides;
  };

  Type i64() { return b.getI64Type(); }
  Value cst(int64_t v) { return arith::ConstantIntOp::create(b, loc, i64(), v); }
  Value toI64(Value index) {
    return arith::IndexCastOp::create(b, loc, i64(), index);
  }
  Value select(Value cond, Value t, Value f) {
    return arith::SelectOp::create(b, loc, cond, t, f);
  }
  Value flagSet(Value flags, int64_t bit) {
    Value masked = arith::AndIOp::create(b, loc, flags, cst(bit));
    return arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ne, masked,
                                 cst(0));
  }
  Value isOne(Value v) {
    return arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, v, cst(1));
  }
  Meta meta(Value memref) {
    auto md = memref::ExtractStridedMetadataOp::create(b, loc, memref);
    Meta m;
    Value aligned = toI64(
        memref::ExtractAlignedPointerAsIndexOp::create(b, loc, memref));
    int64_t elementBytes =
        cast<MemRefType>(memref.getType()).getElementTypeBitWidth() / 8;
    Value offsetBytes = arith::MulIOp::create(b, loc, toI64(md.getOffset()),
                                              cst(elementBytes));
    m.ptr = arith::AddIOp::create(b, loc, aligned, offsetBytes);
    for (Value v : md.getSizes())
      m.sizes.push_back(toI64(v));
    for (Value v : md.getStrides())
      m.strides.push_back(toI64(v));
    return m;
  }

  /// Stores `words` in a stack array and calls the kernel at `offset` in
  /// the context: kernel(ctx->runtime, &words).
  void callKernel(Value kctx, size_t offset, ArrayRef<Value> words) {
    MLIRContext *ctx = b.getContext();
    auto ptrType = LLVM::LLVMPointerType::get(ctx);
    auto arrayType = LLVM::LLVMArrayType::get(i64(), words.size());
    Value args = LLVM::AllocaOp::create(b, loc, ptrType, arrayType, cst(1));
    for (auto [i, w] : llvm::enumerate(words)) {
      Value slot = LLVM::GEPOp::create(
          b, loc, ptrType, i64(), args,
          ArrayRef<LLVM::GEPArg>{static_cast<int32_t>(i)});
      LLVM::StoreOp::create(b, loc, w, slot);
    }
    Value runtime = loadKernelContextField(
        b, loc, kctx, offsetof(tsr_kernel_context_t, runtime));
    Value kernel = loadKernelContextField(b, loc, kctx, offset);
    auto calleeType = LLVM::LLVMFunctionType::get(
        LLVM::LLVMVoidType::get(ctx), {ptrType, ptrType});
    LLVM::CallOp::create(b, loc, calleeType, ValueRange{kernel, runtime, args});
  }
};

/// Creates `func.func private @name(argTypes)` and a builder in its body.
func::FuncOp createHelper(ModuleOp module, StringRef name,
                          ArrayRef<Type> argTypes) {
  OpBuilder b = OpBuilder::atBlockEnd(module.getBody());
  auto fn = func::FuncOp::create(b, module.getLoc(), name,
                                 b.getFunctionType(argTypes, {}));
  fn.setPrivate();
  fn.addEntryBlock();
  return fn;
}

/// `@__tsr_sgemm(ctx, A, B, bias, C, flags)`: fills a tsr_sgemm_args_t and
/// calls ctx->sgemm.
func::FuncOp getOrCreateSgemmHelper(ModuleOp module) {
  if (auto fn = module.lookupSymbol<func::FuncOp>(kSgemmHelper))
    return fn;
  MLIRContext *ctx = module.getContext();
  auto ptrType = LLVM::LLVMPointerType::get(ctx);
  MemRefType m3 = anyStridedMemRef(ctx, 3), m1 = anyStridedMemRef(ctx, 1);
  func::FuncOp fn = createHelper(
      module, kSgemmHelper,
      {ptrType, m3, m3, m1, m3, IntegerType::get(ctx, 64)});
  Block *body = &fn.getBody().front();
  OpBuilder b = OpBuilder::atBlockBegin(body);
  HelperBodyBuilder h{b, fn.getLoc()};
  Value kctx = body->getArgument(0), flags = body->getArgument(5);
  auto ma = h.meta(body->getArgument(1)), mb = h.meta(body->getArgument(2)),
       mbias = h.meta(body->getArgument(3)), mc = h.meta(body->getArgument(4));
  Value transA = h.flagSet(flags, kTransposeA),
        transB = h.flagSet(flags, kTransposeB),
        packed = h.flagSet(flags, kPackedB),
        hasBias = h.flagSet(flags, kHasBias);
  Value zero = h.cst(0);
  // An operand with batch size 1 is shared by every batch.
  auto batchStride = [&](const HelperBodyBuilder::Meta &m) {
    return h.select(h.isOne(m.sizes[0]), zero, m.strides[0]);
  };
  SmallVector<Value> words = {
      ma.ptr,
      mb.ptr,
      mc.ptr,
      h.select(hasBias, mbias.ptr, zero),
      mc.sizes[0],                                        // batch
      mc.sizes[1],                                        // m
      mc.sizes[2],                                        // n
      h.select(transA, ma.sizes[1], ma.sizes[2]),         // k
      batchStride(ma),                                    // a_batch_stride
      h.select(transA, ma.strides[2], ma.strides[1]),     // a_row_stride
      h.select(transA, ma.strides[1], ma.strides[2]),     // a_col_stride
      h.select(packed, zero, batchStride(mb)),            // b_batch_stride
      h.select(transB, mb.strides[2], mb.strides[1]),     // b_row_stride
      h.select(transB, mb.strides[1], mb.strides[2]),     // b_col_stride
      mc.strides[0],                                      // c_batch_stride
      mc.strides[1],                                      // c_row_stride
      h.select(packed, h.cst(TSR_SGEMM_B_PACKED), h.cst(TSR_SGEMM_B_STRIDED)),
      arith::ShRUIOp::create(b, h.loc, flags, h.cst(kEpilogueShift)),
  };
  assert(words.size() == TSR_SGEMM_ARGS_WORDS && "tsr_sgemm_args_t changed");
  h.callKernel(kctx, offsetof(tsr_kernel_context_t, sgemm), words);
  func::ReturnOp::create(b, h.loc);
  return fn;
}

/// `@__tsr_attention(ctx, Q, K, V, mask, O, flags, scale)`: fills a
/// tsr_attention_args_t and calls ctx->attention. Mask dims of size 1
/// broadcast (stride 0); the window comes from flags above kWindowShift.
func::FuncOp getOrCreateAttentionHelper(ModuleOp module) {
  if (auto fn = module.lookupSymbol<func::FuncOp>(kAttentionHelper))
    return fn;
  MLIRContext *ctx = module.getContext();
  auto ptrType = LLVM::LLVMPointerType::get(ctx);
  MemRefType m4 = anyStridedMemRef(ctx, 4);
  func::FuncOp fn = createHelper(
      module, kAttentionHelper,
      {ptrType, m4, m4, m4, m4, m4, IntegerType::get(ctx, 64),
       Float64Type::get(ctx)});
  Block *body = &fn.getBody().front();
  OpBuilder b = OpBuilder::atBlockBegin(body);
  HelperBodyBuilder h{b, fn.getLoc()};
  Value kctx = body->getArgument(0), flags = body->getArgument(6);
  auto mq = h.meta(body->getArgument(1)), mk = h.meta(body->getArgument(2)),
       mv = h.meta(body->getArgument(3)), mm = h.meta(body->getArgument(4)),
       mo = h.meta(body->getArgument(5));
  Value hasMask = h.flagSet(flags, kHasMask);
  Value zero = h.cst(0);
  SmallVector<Value> words = {
      mq.ptr, mk.ptr, mv.ptr, mo.ptr, h.select(hasMask, mm.ptr, zero),
      mq.sizes[0], mq.sizes[1], mk.sizes[1], mq.sizes[2], mk.sizes[2],
      mq.sizes[3], mv.sizes[3]};
  for (const HelperBodyBuilder::Meta *m : {&mq, &mk, &mv, &mo})
    llvm::append_range(words, m->strides);
  for (int d = 0; d < 4; ++d)
    words.push_back(h.select(h.isOne(mm.sizes[d]), zero, mm.strides[d]));
  words.push_back(arith::BitcastOp::create(b, h.loc, h.i64(),
                                           body->getArgument(7)));
  words.push_back(h.select(h.flagSet(flags, kCausal), h.cst(1), zero));
  words.push_back(arith::ShRUIOp::create(b, h.loc, flags, h.cst(kWindowShift)));
  assert(words.size() == TSR_ATTENTION_ARGS_WORDS &&
         "tsr_attention_args_t changed");
  h.callKernel(kctx, offsetof(tsr_kernel_context_t, attention), words);
  func::ReturnOp::create(b, h.loc);
  return fn;
}

/// `@__tsr_qgemm(ctx, A, Bpacked, scale, sums, bias, C, flags, aQuant,
/// aParams, smooth)`: fills a tsr_qgemm_args_t and calls ctx->qgemm. A is
/// [1, M, K] f32, B the packed int8 weight, C [1, M, N]; flags as the SGEMM
/// helper's (bias bit, epilogue above kEpilogueShift) plus kHasSmooth (the
/// K multipliers `smooth` are a_smooth); aQuant and aParams the
/// TSR_QGEMM_A_* scheme and the word holding a_scale (low half, its bits)
/// and a_zero_point (high half).
func::FuncOp getOrCreateQgemmHelper(ModuleOp module) {
  if (auto fn = module.lookupSymbol<func::FuncOp>(kQgemmHelper))
    return fn;
  MLIRContext *ctx = module.getContext();
  auto ptrType = LLVM::LLVMPointerType::get(ctx);
  MemRefType m3 = anyStridedMemRef(ctx, 3), m1 = anyStridedMemRef(ctx, 1);
  MemRefType packed = anyStridedMemRef(ctx, 3, IntegerType::get(ctx, 8));
  MemRefType sums = anyStridedMemRef(ctx, 1, IntegerType::get(ctx, 32));
  func::FuncOp fn = createHelper(
      module, kQgemmHelper,
      {ptrType, m3, packed, m1, sums, m1, m3, IntegerType::get(ctx, 64),
       IntegerType::get(ctx, 64), IntegerType::get(ctx, 64), m1});
  Block *body = &fn.getBody().front();
  OpBuilder b = OpBuilder::atBlockBegin(body);
  HelperBodyBuilder h{b, fn.getLoc()};
  Value kctx = body->getArgument(0), flags = body->getArgument(7);
  auto ma = h.meta(body->getArgument(1)), mb = h.meta(body->getArgument(2)),
       mscale = h.meta(body->getArgument(3)),
       msums = h.meta(body->getArgument(4)),
       mbias = h.meta(body->getArgument(5)), mc = h.meta(body->getArgument(6)),
       msmooth = h.meta(body->getArgument(10));
  Value zero = h.cst(0);
  SmallVector<Value> words = {
      ma.ptr,
      mb.ptr,
      mscale.ptr,
      msums.ptr,
      mc.ptr,
      h.select(h.flagSet(flags, kHasBias), mbias.ptr, zero),
      mc.sizes[0],   // batch
      mc.sizes[1],   // m
      mc.sizes[2],   // n
      ma.sizes[2],   // k
      h.select(h.isOne(ma.sizes[0]), zero, ma.strides[0]), // a_batch_stride
      ma.strides[1], // a_row_stride
      ma.strides[2], // a_col_stride
      mc.strides[0], // c_batch_stride
      mc.strides[1], // c_row_stride
      arith::ShRUIOp::create(b, h.loc, flags, h.cst(kEpilogueShift)),
      body->getArgument(8), // a_quant
      body->getArgument(9), // a_scale, a_zero_point
      h.select(h.flagSet(flags, kHasSmooth), msmooth.ptr, zero),
  };
  assert(words.size() == TSR_QGEMM_ARGS_WORDS && "tsr_qgemm_args_t changed");
  h.callKernel(kctx, offsetof(tsr_kernel_context_t, qgemm), words);
  func::ReturnOp::create(b, h.loc);
  return fn;
}

/// `@__tsr_w4gemm(ctx, A, Bpacked, scale, zero, bias, C, flags, group)`
/// (or `@__tsr_w4gemm_f16` for half-precision scale and zero): fills a
/// tsr_w4gemm_args_t and calls ctx->w4gemm. A is [1, M, K] f32, B the
/// packed 4-bit weight, scale and zero [ceil(N/16), K / group, 16], C
/// [1, M, N]; flags: kHasBias, kHasZeroPoint, the epilogue above
/// kEpilogueShift.
func::FuncOp getOrCreateW4gemmHelper(ModuleOp module, bool paramsF16) {
  std::string name = (kW4gemmHelper + (paramsF16 ? "_f16" : "")).str();
  if (auto fn = module.lookupSymbol<func::FuncOp>(name))
    return fn;
  MLIRContext *ctx = module.getContext();
  auto ptrType = LLVM::LLVMPointerType::get(ctx);
  MemRefType m3 = anyStridedMemRef(ctx, 3), m1 = anyStridedMemRef(ctx, 1);
  MemRefType packed = anyStridedMemRef(
      ctx, 3, IntegerType::get(ctx, 8, IntegerType::Unsigned));
  MemRefType params = anyStridedMemRef(
      ctx, 3, paramsF16 ? Type(Float16Type::get(ctx)) : Float32Type::get(ctx));
  Type i64 = IntegerType::get(ctx, 64);
  func::FuncOp fn = createHelper(module, name, {ptrType, m3, packed, params,
                                                params, m1, m3, i64, i64});
  Block *body = &fn.getBody().front();
  OpBuilder b = OpBuilder::atBlockBegin(body);
  HelperBodyBuilder h{b, fn.getLoc()};
  Value kctx = body->getArgument(0), flags = body->getArgument(7);
  auto ma = h.meta(body->getArgument(1)), mb = h.meta(body->getArgument(2)),
       mscale = h.meta(body->getArgument(3)),
       mzero = h.meta(body->getArgument(4)),
       mbias = h.meta(body->getArgument(5)), mc = h.meta(body->getArgument(6));
  Value zero = h.cst(0);
  Value epilogue = arith::AndIOp::create(
      b, h.loc, arith::ShRUIOp::create(b, h.loc, flags, h.cst(kEpilogueShift)),
      h.cst(255));
  SmallVector<Value> words = {
      ma.ptr,
      mb.ptr,
      mscale.ptr,
      h.select(h.flagSet(flags, kHasZeroPoint), mzero.ptr, zero),
      mc.ptr,
      h.select(h.flagSet(flags, kHasBias), mbias.ptr, zero),
      mc.sizes[0],           // batch
      mc.sizes[1],           // m
      mc.sizes[2],           // n
      ma.sizes[2],           // k
      body->getArgument(8),  // group
      h.select(h.isOne(ma.sizes[0]), zero, ma.strides[0]), // a_batch_stride
      ma.strides[1],         // a_row_stride
      ma.strides[2],         // a_col_stride
      mc.strides[0],         // c_batch_stride
      mc.strides[1],         // c_row_stride
      epilogue,
      h.cst(paramsF16 ? 1 : 0), // params_f16
  };
  assert(words.size() == TSR_W4GEMM_ARGS_WORDS && "tsr_w4gemm_args_t changed");
  h.callKernel(kctx, offsetof(tsr_kernel_context_t, w4gemm), words);
  func::ReturnOp::create(b, h.loc);
  return fn;
}

/// `@__tsr_bgemm(ctx, A, Bpacked, bias, C, flags)`: fills a
/// tsr_bgemm_args_t and calls ctx->bgemm. A is [1, M, K] f32, B the packed
/// bf16 weight, C [1, M, N]; flags: kHasBias, the epilogue above
/// kEpilogueShift.
func::FuncOp getOrCreateBgemmHelper(ModuleOp module) {
  if (auto fn = module.lookupSymbol<func::FuncOp>(kBgemmHelper))
    return fn;
  MLIRContext *ctx = module.getContext();
  auto ptrType = LLVM::LLVMPointerType::get(ctx);
  MemRefType m3 = anyStridedMemRef(ctx, 3), m1 = anyStridedMemRef(ctx, 1);
  MemRefType packed = anyStridedMemRef(ctx, 3, BFloat16Type::get(ctx));
  func::FuncOp fn = createHelper(module, kBgemmHelper,
                                 {ptrType, m3, packed, m1, m3,
                                  IntegerType::get(ctx, 64)});
  Block *body = &fn.getBody().front();
  OpBuilder b = OpBuilder::atBlockBegin(body);
  HelperBodyBuilder h{b, fn.getLoc()};
  Value kctx = body->getArgument(0), flags = body->getArgument(5);
  auto ma = h.meta(body->getArgument(1)), mb = h.meta(body->getArgument(2)),
       mbias = h.meta(body->getArgument(3)), mc = h.meta(body->getArgument(4));
  Value zero = h.cst(0);
  SmallVector<Value> words = {
      ma.ptr,
      mb.ptr,
      mc.ptr,
      h.select(h.flagSet(flags, kHasBias), mbias.ptr, zero),
      mc.sizes[0],   // batch
      mc.sizes[1],   // m
      mc.sizes[2],   // n
      ma.sizes[2],   // k
      h.select(h.isOne(ma.sizes[0]), zero, ma.strides[0]), // a_batch_stride
      ma.strides[1], // a_row_stride
      ma.strides[2], // a_col_stride
      mc.strides[0], // c_batch_stride
      mc.strides[1], // c_row_stride
      arith::ShRUIOp::create(b, h.loc, flags, h.cst(kEpilogueShift)),
  };
  assert(words.size() == TSR_BGEMM_ARGS_WORDS && "tsr_bgemm_args_t changed");
  h.callKernel(kctx, offsetof(tsr_kernel_context_t, bgemm), words);
  func::ReturnOp::create(b, h.loc);
  return fn;
}

/// `@__tsr_spgemm(ctx, A, values, indices, offsets, bias, C, flags)`: fills
/// a tsr_spgemm_args_t and calls ctx->spgemm. A is [1, M, K] f32, C [1, M,
/// N]; flags: kHasBias, the format above kSparseFormatShift (4 bits), the
/// epilogue above kEpilogueShift.
func::FuncOp getOrCreateSpgemmHelper(ModuleOp module) {
  if (auto fn = module.lookupSymbol<func::FuncOp>(kSpgemmHelper))
    return fn;
  MLIRContext *ctx = module.getContext();
  auto ptrType = LLVM::LLVMPointerType::get(ctx);
  MemRefType m3 = anyStridedMemRef(ctx, 3), m1 = anyStridedMemRef(ctx, 1);
  MemRefType i1d = anyStridedMemRef(ctx, 1, IntegerType::get(ctx, 32));
  func::FuncOp fn = createHelper(module, kSpgemmHelper,
                                 {ptrType, m3, m1, i1d, i1d, m1, m3,
                                  IntegerType::get(ctx, 64)});
  Block *body = &fn.getBody().front();
  OpBuilder b = OpBuilder::atBlockBegin(body);
  HelperBodyBuilder h{b, fn.getLoc()};
  Value kctx = body->getArgument(0), flags = body->getArgument(7);
  auto ma = h.meta(body->getArgument(1)), mv = h.meta(body->getArgument(2)),
       mi = h.meta(body->getArgument(3)), mo = h.meta(body->getArgument(4)),
       mbias = h.meta(body->getArgument(5)), mc = h.meta(body->getArgument(6));
  Value zero = h.cst(0);
  SmallVector<Value> words = {
      ma.ptr,
      mv.ptr,
      mi.ptr,
      mo.ptr,
      mc.ptr,
      h.select(h.flagSet(flags, kHasBias), mbias.ptr, zero),
      mc.sizes[0],   // batch
      mc.sizes[1],   // m
      mc.sizes[2],   // n
      ma.sizes[2],   // k
      h.select(h.isOne(ma.sizes[0]), zero, ma.strides[0]), // a_batch_stride
      ma.strides[1], // a_row_stride
      ma.strides[2], // a_col_stride
      mc.strides[0], // c_batch_stride
      mc.strides[1], // c_row_stride
      arith::ShRUIOp::create(b, h.loc, flags, h.cst(kEpilogueShift)),
      arith::AndIOp::create(
          b, h.loc,
          arith::ShRUIOp::create(b, h.loc, flags, h.cst(kSparseFormatShift)),
          h.cst(15)),
  };
  assert(words.size() == TSR_SPGEMM_ARGS_WORDS && "tsr_spgemm_args_t changed");
  h.callKernel(kctx, offsetof(tsr_kernel_context_t, spgemm), words);
  func::ReturnOp::create(b, h.loc);
  return fn;
}

//===----------------------------------------------------------------------===//
// Call sites
//===----------------------------------------------------------------------===//

struct CallSiteBuilder {
  OpBuilder &b;
  Location loc;

  Value dim(Value v, int64_t d) {
    auto t = cast<RankedTensorType>(v.getType());
    if (!t.isDynamicDim(d))
      return arith::ConstantIndexOp::create(b, loc, t.getDimSize(d));
    return tensor::DimOp::create(b, loc, v, d);
  }

  /// The product of `values`, folded to a constant when they all are, so
  /// static shapes stay static.
  Value product(ArrayRef<Value> values) {
    int64_t folded = 1;
    Value dynamic;
    for (Value v : values) {
      if (std::optional<int64_t> c = getConstantIntValue(v))
        folded *= *c;
      else
        dynamic = dynamic ? arith::MulIOp::create(b, loc, dynamic, v).getResult()
                          : v;
    }
    Value c = arith::ConstantIndexOp::create(b, loc, folded);
    if (!dynamic)
      return c;
    return folded == 1 ? dynamic
                       : arith::MulIOp::create(b, loc, dynamic, c).getResult();
  }

  /// Splits index values into a shape (static where constant) and the
  /// dynamic sizes, in order.
  static void splitSizes(ArrayRef<Value> sizes, SmallVectorImpl<int64_t> &shape,
                         SmallVectorImpl<Value> &dynamic) {
    for (Value s : sizes) {
      if (std::optional<int64_t> c = getConstantIntValue(s)) {
        shape.push_back(*c);
      } else {
        shape.push_back(ShapedType::kDynamic);
        dynamic.push_back(s);
      }
    }
  }

  /// A fresh f32 buffer of `sizes` for a kernel to write its result into.
  memref::AllocOp allocResult(ArrayRef<Value> sizes) {
    SmallVector<int64_t> shape;
    SmallVector<Value> dynamic;
    splitSizes(sizes, shape, dynamic);
    return memref::AllocOp::create(
        b, loc, MemRefType::get(shape, b.getF32Type()), dynamic);
  }

  /// The result buffer cast to the helpers' fully dynamic operand type.
  Value resultView(memref::AllocOp buffer) {
    return memref::CastOp::create(
        b, loc, anyStridedMemRef(b.getContext(), buffer.getType().getRank()),
        buffer);
  }

  /// The result buffer, once the kernel has written it, as a tensor.
  Value resultTensor(memref::AllocOp buffer) {
    MemRefType t = buffer.getType();
    return bufferization::ToTensorOp::create(
        b, loc, RankedTensorType::get(t.getShape(), t.getElementType()), buffer,
        /*restrict=*/true, /*writable=*/true);
  }

  /// Reshapes `v` to dims `sizes` (index values); static where constant.
  Value reshape(Value v, ArrayRef<Value> sizes) {
    SmallVector<int64_t> shape;
    SmallVector<Value> dynamic;
    splitSizes(sizes, shape, dynamic);
    auto t = cast<RankedTensorType>(v.getType());
    auto type = RankedTensorType::get(shape, t.getElementType());
    if (type == t)
      return v;
    return tsr::ReshapeOp::create(b, loc, type, v, dynamic);
  }

  /// A read-only buffer of `tensor` with any layout, cast to the helper's
  /// fully dynamic operand type.
  Value toBuffer(Value tensor) {
    auto t = cast<RankedTensorType>(tensor.getType());
    MemRefType any =
        anyStridedMemRef(b.getContext(), t.getRank(), t.getElementType());
    auto type = MemRefType::get(t.getShape(), t.getElementType(),
                                any.getLayout());
    Value buffer = bufferization::ToBufferOp::create(b, loc, type, tensor,
                                                     /*read_only=*/true);
    return memref::CastOp::create(b, loc, any, buffer);
  }

  /// Calls the helper and returns C as a [batch, m, n] tensor.
  Value call(func::FuncOp helper, Value kctx, Value a3, Value b3, Value bias,
             Value batch, Value m, Value n, int64_t flags) {
    if (!bias)
      bias = tensor::EmptyOp::create(b, loc, ArrayRef<int64_t>{0},
                                     b.getF32Type());
    memref::AllocOp c = allocResult({batch, m, n});
    Value cView = resultView(c);
    Value flagsValue = arith::ConstantIntOp::create(b, loc, b.getI64Type(), flags);
    func::CallOp::create(b, loc, helper,
                         ValueRange{kctx, toBuffer(a3), toBuffer(b3),
                                    toBuffer(bias), cView, flagsValue});
    return resultTensor(c);
  }
};

int64_t epilogueCode(tsr::Epilogue e) {
  switch (e) {
  case tsr::Epilogue::none: return TSR_EPILOGUE_NONE;
  case tsr::Epilogue::gelu: return TSR_EPILOGUE_GELU;
  case tsr::Epilogue::gelu_tanh: return TSR_EPILOGUE_GELU_TANH;
  case tsr::Epilogue::silu: return TSR_EPILOGUE_SILU;
  case tsr::Epilogue::relu: return TSR_EPILOGUE_RELU;
  }
  llvm_unreachable("unknown epilogue");
}

/// linear(x[..., K], W) → C[1, M, N] with M the product of x's outer dims.
Value lowerLinear(tsr::LinearOp op, func::FuncOp helper, Value kctx) {
  OpBuilder b(op);
  CallSiteBuilder cb{b, op.getLoc()};
  Value x = op.getInput();
  int64_t rank = op.getType().getRank();
  SmallVector<Value> outer;
  for (int64_t d = 0; d < rank - 1; ++d)
    outer.push_back(cb.dim(x, d));
  Value one = arith::ConstantIndexOp::create(b, op.getLoc(), 1);
  Value m = cb.product(outer);
  Value k = cb.dim(x, rank - 1);
  Value x3 = cb.reshape(x, {one, m, k});
  int64_t flags = epilogueCode(op.getEpilogue()) << kEpilogueShift;
  Value w = op.getWeight(), w3, n;
  if (op.getWeightPacked()) {
    flags |= kPackedB;
    w3 = w;
    n = arith::ConstantIndexOp::create(b, op.getLoc(),
                                       op.getType().getShape().back());
  } else {
    flags |= kTransposeB; // [N, K] is Bᵀ
    n = cb.dim(w, 0);
    w3 = cb.reshape(w, {one, n, cb.dim(w, 1)});
  }
  if (op.getBias())
    flags |= kHasBias;
  Value c = cb.call(helper, kctx, x3, w3, op.getBias(), one, m, n, flags);
  outer.push_back(n);
  return cb.reshape(c, outer);
}

/// What every packed-weight linear's call site starts from: x[..., K] as
/// [1, M, K], its outer dims (the result's, N appended), and N (static:
/// the weight is packed).
struct PackedLinearSite {
  SmallVector<Value> outer;
  Value one, m, x3, n;
};

PackedLinearSite preparePackedLinear(CallSiteBuilder &cb, Value x,
                                     RankedTensorType resultType) {
  PackedLinearSite site;
  int64_t rank = resultType.getRank();
  for (int64_t d = 0; d < rank - 1; ++d)
    site.outer.push_back(cb.dim(x, d));
  site.one = arith::ConstantIndexOp::create(cb.b, cb.loc, 1);
  site.m = cb.product(site.outer);
  site.x3 = cb.reshape(x, {site.one, site.m, cb.dim(x, rank - 1)});
  site.n = arith::ConstantIndexOp::create(cb.b, cb.loc,
                                          resultType.getShape().back());
  return site;
}

/// quantized_linear(x[..., K], Wpacked) → C[1, M, N], as lowerLinear.
Value lowerQuantizedLinear(tsr::QuantizedLinearOp op, func::FuncOp helper,
                           Value kctx) {
  OpBuilder b(op);
  Location loc = op.getLoc();
  CallSiteBuilder cb{b, loc};
  auto [outer, one, m, x3, n] =
      preparePackedLinear(cb, op.getInput(), op.getType());
  int64_t flags = epilogueCode(op.getEpilogue()) << kEpilogueShift;
  Value bias = op.getBias();
  if (bias)
    flags |= kHasBias;
  else
    bias = tensor::EmptyOp::create(b, loc, ArrayRef<int64_t>{0}, b.getF32Type());
  memref::AllocOp c = cb.allocResult({one, m, n});
  int64_t aQuant = TSR_QGEMM_A_PER_ROW;
  uint64_t aParams = 0;
  switch (op.getInputQuant()) {
  case tsr::InputQuant::per_token:
    break;
  case tsr::InputQuant::static_tensor:
    aQuant = TSR_QGEMM_A_STATIC;
    // tsr_qgemm_args_t's a_scale (the low 4 bytes of the word, as the
    // little-endian x86-64 lays it out) and a_zero_point (the high 4).
    aParams = uint64_t(llvm::bit_cast<uint32_t>(
                  op.getInputScale()->convertToFloat())) |
              (uint64_t(uint32_t(*op.getInputZeroPoint())) << 32);
    break;
  case tsr::InputQuant::dynamic_tensor:
    aQuant = TSR_QGEMM_A_DYNAMIC;
    break;
  }
  Value smooth = op.getInputSmooth();
  if (smooth)
    flags |= kHasSmooth;
  else
    smooth = tensor::EmptyOp::create(b, loc, ArrayRef<int64_t>{0},
                                     b.getF32Type());
  Value flagsValue = arith::ConstantIntOp::create(b, loc, b.getI64Type(), flags);
  Value aQuantValue =
      arith::ConstantIntOp::create(b, loc, b.getI64Type(), aQuant);
  Value aParamsValue = arith::ConstantIntOp::create(
      b, loc, b.getI64Type(), static_cast<int64_t>(aParams));
  func::CallOp::create(
      b, loc, helper,
      ValueRange{kctx, cb.toBuffer(x3), cb.toBuffer(op.getWeight()),
                 cb.toBuffer(op.getWeightScale()),
                 cb.toBuffer(op.getWeightSums()), cb.toBuffer(bias),
                 cb.resultView(c), flagsValue, aQuantValue, aParamsValue,
                 cb.toBuffer(smooth)});
  outer.push_back(n);
  return cb.reshape(cb.resultTensor(c), outer);
}

/// A packed 4-bit linear as a call of @__tsr_w4gemm on [1, M, K] x packed.
Value lowerW4Linear(tsr::W4LinearOp op, func::FuncOp helper, Value kctx) {
  OpBuilder b(op);
  Location loc = op.getLoc();
  CallSiteBuilder cb{b, loc};
  auto [outer, one, m, x3, n] =
      preparePackedLinear(cb, op.getInput(), op.getType());
  int64_t flags = epilogueCode(op.getEpilogue()) << kEpilogueShift;
  Value bias = op.getBias(), zero = op.getZeroPoint();
  if (bias)
    flags |= kHasBias;
  else
    bias = tensor::EmptyOp::create(b, loc, ArrayRef<int64_t>{0}, b.getF32Type());
  if (zero)
    flags |= kHasZeroPoint;
  else
    zero = tensor::EmptyOp::create(
        b, loc, ArrayRef<int64_t>{0, 0, 0},
        cast<RankedTensorType>(op.getScale().getType()).getElementType());
  memref::AllocOp c = cb.allocResult({one, m, n});
  Value flagsValue = arith::ConstantIntOp::create(b, loc, b.getI64Type(), flags);
  Value group = arith::ConstantIntOp::create(
      b, loc, b.getI64Type(), static_cast<int64_t>(op.getGroupSize()));
  func::CallOp::create(
      b, loc, helper,
      ValueRange{kctx, cb.toBuffer(x3), cb.toBuffer(op.getWeight()),
                 cb.toBuffer(op.getScale()), cb.toBuffer(zero),
                 cb.toBuffer(bias), cb.resultView(c), flagsValue, group});
  outer.push_back(n);
  return cb.reshape(cb.resultTensor(c), outer);
}

/// A packed bf16 linear as a call of @__tsr_bgemm on [1, M, K] x packed.
Value lowerBf16Linear(tsr::Bf16LinearOp op, func::FuncOp helper, Value kctx) {
  OpBuilder b(op);
  Location loc = op.getLoc();
  CallSiteBuilder cb{b, loc};
  auto [outer, one, m, x3, n] =
      preparePackedLinear(cb, op.getInput(), op.getType());
  int64_t flags = epilogueCode(op.getEpilogue()) << kEpilogueShift;
  if (op.getBias())
    flags |= kHasBias;
  Value c = cb.call(helper, kctx, x3, op.getWeight(), op.getBias(), one, m, n,
                    flags);
  outer.push_back(n);
  return cb.reshape(c, outer);
}

/// A sparse linear as a call of @__tsr_spgemm on [1, M, K].
Value lowerSparseLinear(tsr::SparseLinearOp op, func::FuncOp helper,
                        Value kctx) {
  OpBuilder b(op);
  Location loc = op.getLoc();
  CallSiteBuilder cb{b, loc};
  auto [outer, one, m, x3, n] =
      preparePackedLinear(cb, op.getInput(), op.getType());
  int64_t format = op.getFormat() == tsr::SparseFormat::block16
                       ? TSR_SPGEMM_BLOCK16
                       : TSR_SPGEMM_CSR;
  int64_t flags = epilogueCode(op.getEpilogue()) << kEpilogueShift |
                  format << kSparseFormatShift;
  Value bias = op.getBias();
  if (bias)
    flags |= kHasBias;
  else
    bias = tensor::EmptyOp::create(b, loc, ArrayRef<int64_t>{0}, b.getF32Type());
  memref::AllocOp c = cb.allocResult({one, m, n});
  Value flagsValue = arith::ConstantIntOp::create(b, loc, b.getI64Type(), flags);
  func::CallOp::create(
      b, loc, helper,
      ValueRange{kctx, cb.toBuffer(x3), cb.toBuffer(op.getValues()),
                 cb.toBuffer(op.getIndices()), cb.toBuffer(op.getOffsets()),
                 cb.toBuffer(bias), cb.resultView(c), flagsValue});
  outer.push_back(n);
  return cb.reshape(cb.resultTensor(c), outer);
}

/// A dim of a tensor named by where its size comes from: (tensor, dim),
/// followed through the ops that keep a dim (a slice's size operand, a
/// linear's leading dims, tensor.dim), or (index value, -1).
std::pair<Value, int64_t> dimOrigin(Value t, int64_t d) {
  auto type = cast<RankedTensorType>(t.getType());
  if (!type.isDynamicDim(d))
    return {Value(), type.getDimSize(d)};
  auto fromIndex = [](Value index) -> std::pair<Value, int64_t> {
    if (auto dim = index.getDefiningOp<tensor::DimOp>())
      if (std::optional<int64_t> c = dim.getConstantIndex())
        return dimOrigin(dim.getSource(), *c);
    return {index, -1};
  };
  if (auto slice = t.getDefiningOp<tsr::SliceOp>()) {
    int64_t dynamicBefore = llvm::count_if(
        type.getShape().take_front(d), ShapedType::isDynamic);
    return fromIndex(slice.getSizes()[dynamicBefore]);
  }
  if (auto linear = t.getDefiningOp<tsr::LinearOp>())
    if (d + 1 < type.getRank())
      return dimOrigin(linear.getInput(), d);
  if (isa_and_nonnull<tsr::QuantizedLinearOp, tsr::W4LinearOp,
                      tsr::Bf16LinearOp, tsr::SparseLinearOp>(
          t.getDefiningOp()))
    if (d + 1 < type.getRank())
      return dimOrigin(t.getDefiningOp()->getOperand(0), d);
  if (auto reshape = t.getDefiningOp<tsr::ReshapeOp>()) {
    int64_t dynamicBefore = llvm::count_if(
        type.getShape().take_front(d), ShapedType::isDynamic);
    return fromIndex(reshape.getDynamicDims()[dynamicBefore]);
  }
  return {t, d};
}

/// True if `r` only splits its input's last dim in two (the heads of a
/// [batch, seq, hidden] projection): a view of the input, whatever its
/// strides.
bool splitsLastDim(tsr::ReshapeOp r) {
  auto in = cast<RankedTensorType>(r.getInput().getType());
  auto out = r.getType();
  int64_t rank = in.getRank();
  if (rank == 0 || out.getRank() != rank + 1 || in.isDynamicDim(rank - 1) ||
      out.isDynamicDim(rank - 1) || out.isDynamicDim(rank) ||
      out.getDimSize(rank - 1) * out.getDimSize(rank) != in.getDimSize(rank - 1))
    return false;
  for (int64_t d = 0; d + 1 < rank; ++d)
    if (in.isDynamicDim(d) != out.isDynamicDim(d) ||
        dimOrigin(r.getInput(), d) != dimOrigin(r.getResult(), d))
      return false;
  return true;
}

/// Q, K or V for the attention kernel, which takes any strides: a transpose
/// of heads (and a reshape splitting the hidden dim under it) become a
/// strided view of the projection's buffer instead of copies. With fused
/// projections (tsr-fuse-qkv) the buffer is a slice of the fused output.
Value attentionOperand(CallSiteBuilder &cb, Value v) {
  OpBuilder &b = cb.b;
  Location loc = cb.loc;
  SmallVector<int64_t> perm = {0, 1, 2, 3};
  Value x = v;
  if (auto t = v.getDefiningOp<tsr::TransposeOp>()) {
    perm.assign(t.getPermutation().begin(), t.getPermutation().end());
    x = t.getInput();
  }
  Value source = x;
  auto r = x.getDefiningOp<tsr::ReshapeOp>();
  bool split = r && splitsLastDim(r);
  if (split)
    source = r.getInput();
  if (source == v || cast<RankedTensorType>(v.getType()).getRank() != 4)
    return cb.toBuffer(v);
  Value buffer = cb.toBuffer(source);
  auto md = memref::ExtractStridedMetadataOp::create(b, loc, buffer);
  SmallVector<OpFoldResult> sizes, strides;
  for (auto [size, stride] : llvm::zip(md.getSizes(), md.getStrides())) {
    sizes.push_back(size);
    strides.push_back(stride);
  }
  if (split) {
    // [..., H·D] with stride s becomes [..., H, D] with strides (D·s, s).
    auto out = r.getType();
    int64_t rank = out.getRank();
    int64_t d = out.getDimSize(rank - 1);
    Value inner = md.getStrides().back();
    sizes.back() = arith::ConstantIndexOp::create(b, loc, out.getDimSize(rank - 2))
                       .getResult();
    strides.back() = arith::MulIOp::create(
                         b, loc, inner, arith::ConstantIndexOp::create(b, loc, d))
                         .getResult();
    sizes.push_back(arith::ConstantIndexOp::create(b, loc, d).getResult());
    strides.push_back(inner);
  }
  SmallVector<OpFoldResult> permutedSizes, permutedStrides;
  for (int64_t p : perm) {
    permutedSizes.push_back(sizes[p]);
    permutedStrides.push_back(strides[p]);
  }
  return memref::ReinterpretCastOp::create(
      b, loc, anyStridedMemRef(b.getContext(), 4), buffer, md.getOffset(),
      permutedSizes, permutedStrides);
}

/// attention(q, k, v, mask?) → one call of the attention kernel.
Value lowerAttention(tsr::AttentionOp op, func::FuncOp helper, Value kctx) {
  OpBuilder b(op);
  Location loc = op.getLoc();
  CallSiteBuilder cb{b, loc};
  Value q = op.getQuery(), k = op.getKey(), v = op.getValue();
  int64_t flags = op.getCausal() ? kCausal : 0;
  flags |= op.getWindow() << kWindowShift;
  Value mask = op.getMask();
  if (mask) {
    flags |= kHasMask;
    // Rank 4 with leading 1s; size-1 dims broadcast in the kernel.
    int64_t rank = cast<RankedTensorType>(mask.getType()).getRank();
    SmallVector<Value> dims;
    for (int64_t d = rank; d < 4; ++d)
      dims.push_back(arith::ConstantIndexOp::create(b, loc, 1));
    for (int64_t d = 0; d < rank; ++d)
      dims.push_back(cb.dim(mask, d));
    mask = cb.reshape(mask, dims);
  } else {
    mask = tensor::EmptyOp::create(b, loc, ArrayRef<int64_t>{0, 0, 0, 0},
                                   b.getF32Type());
  }
  Value qView = attentionOperand(cb, q);
  Value kView = attentionOperand(cb, k);
  Value vView = attentionOperand(cb, v);
  // O's dims from the views, so the transposes they replace stay dead.
  auto viewDim = [&](Value t, Value view, int64_t d) -> Value {
    auto type = cast<RankedTensorType>(t.getType());
    if (!type.isDynamicDim(d))
      return arith::ConstantIndexOp::create(b, loc, type.getDimSize(d));
    return memref::DimOp::create(b, loc, view, d);
  };
  Value batch = viewDim(q, qView, 0), heads = viewDim(q, qView, 1),
        seq = viewDim(q, qView, 2), headDim = viewDim(v, vView, 3);
  // When the only use puts the heads back next to each other (transpose
  // [0, 2, 1, 3], then a reshape merging them), the kernel writes O
  // straight into that [batch, seq, heads, dv] layout through a strided
  // view, and the transpose is not copied.
  auto headsBack = op->hasOneUse()
                       ? dyn_cast<tsr::TransposeOp>(*op->user_begin())
                       : tsr::TransposeOp();
  if (headsBack &&
      !llvm::equal(headsBack.getPermutation(), ArrayRef<int64_t>{0, 2, 1, 3}))
    headsBack = {};
  memref::AllocOp o =
      headsBack ? cb.allocResult({batch, seq, heads, headDim})
                : cb.allocResult({batch, heads, seq, headDim});
  Value oView = cb.resultView(o);
  if (headsBack) {
    Value zero = arith::ConstantIndexOp::create(b, loc, 0);
    Value one = arith::ConstantIndexOp::create(b, loc, 1);
    Value rowStride = cb.product({heads, headDim});
    oView = memref::ReinterpretCastOp::create(
        b, loc, anyStridedMemRef(b.getContext(), 4), oView, zero,
        ArrayRef<OpFoldResult>{batch, heads, seq, headDim},
        ArrayRef<OpFoldResult>{cb.product({seq, heads, headDim}), headDim,
                               rowStride, one});
  }
  Value flagsValue = arith::ConstantIntOp::create(b, loc, b.getI64Type(), flags);
  Value scale = arith::ConstantOp::create(
      b, loc, b.getF64FloatAttr(op.getScale().convertToDouble()));
  func::CallOp::create(b, loc, helper,
                       ValueRange{kctx, qView, kView, vView,
                                  cb.toBuffer(mask),
                                  oView, flagsValue, scale});
  Value r = cb.resultTensor(o);
  if (headsBack) {
    Value t = r;
    if (t.getType() != headsBack.getType())
      t = tensor::CastOp::create(b, loc, headsBack.getType(), t);
    headsBack.getResult().replaceAllUsesWith(t);
    headsBack->erase();
    // The attention's own result, now unused.
    return tsr::TransposeOp::create(b, loc, op.getType(), r,
                                    b.getDenseI64ArrayAttr({0, 2, 1, 3}));
  }
  if (r.getType() != op.getType())
    r = tensor::CastOp::create(b, loc, op.getType(), r);
  return r;
}

/// True if a and b's batch dims (all but the last two) match without
/// broadcasting.
bool sameBatchDims(RankedTensorType a, RankedTensorType b) {
  if (a.getRank() != b.getRank())
    return false;
  for (int64_t d = 0; d < a.getRank() - 2; ++d) {
    int64_t x = a.getDimSize(d), y = b.getDimSize(d);
    if (x == 1 || y == 1) {
      if (x != y)
        return false;
      continue;
    }
    if (!ShapedType::isDynamic(x) && !ShapedType::isDynamic(y) && x != y)
      return false;
  }
  return true;
}

Value lowerMatmul(tsr::MatmulOp op, func::FuncOp helper, Value kctx) {
  RankedTensorType at = op.getLhs().getType(), bt = op.getRhs().getType();
  bool ta = op.getTransposeLhs(), tb = op.getTransposeRhs();
  int64_t ar = at.getRank(), br = bt.getRank();
  bool batched = sameBatchDims(at, bt);
  OpBuilder b(op);
  CallSiteBuilder cb{b, op.getLoc()};
  Value a = op.getLhs(), bv = op.getRhs();
  Value one = arith::ConstantIndexOp::create(b, op.getLoc(), 1);
  Value m = cb.dim(a, ta ? ar - 1 : ar - 2), k = cb.dim(a, ta ? ar - 2 : ar - 1);
  Value n = cb.dim(bv, tb ? br - 2 : br - 1);
  SmallVector<Value> resultDims;
  Value a3, b3, batch, rows;
  if (batched) {
    SmallVector<Value> batchDims;
    for (int64_t d = 0; d < ar - 2; ++d)
      batchDims.push_back(cb.dim(a, d));
    batch = cb.product(batchDims);
    a3 = cb.reshape(a, {batch, cb.dim(a, ar - 2), cb.dim(a, ar - 1)});
    b3 = cb.reshape(bv, {batch, cb.dim(bv, br - 2), cb.dim(bv, br - 1)});
    rows = m;
    resultDims = batchDims;
  } else {
    // Fold a's leading dims into its rows: [1, lead·M, K] × [1, K, N].
    SmallVector<Value> lead;
    for (int64_t d = 0; d < ar - 2; ++d)
      lead.push_back(cb.dim(a, d));
    batch = one;
    lead.push_back(m);
    rows = cb.product(lead);
    lead.pop_back();
    a3 = cb.reshape(a, {one, rows, k});
    b3 = cb.reshape(bv, {one, cb.dim(bv, 0), cb.dim(bv, 1)});
    resultDims = lead;
  }
  int64_t flags = (ta ? kTransposeA : 0) | (tb ? kTransposeB : 0);
  Value c = cb.call(helper, kctx, a3, b3, Value(), batch, rows, n, flags);
  resultDims.push_back(m);
  resultDims.push_back(n);
  Value r = cb.reshape(c, resultDims);
  if (r.getType() != op.getType())
    r = tensor::CastOp::create(b, op.getLoc(), op.getType(), r);
  return r;
}

bool isF32(Type t) {
  return cast<RankedTensorType>(t).getElementType().isF32();
}

/// True if the op is one this pass turns into a kernel call.
bool canLower(Operation *op, bool useAttentionKernel) {
  if (auto a = dyn_cast<tsr::AttentionOp>(op))
    return useAttentionKernel && isF32(a.getType()) &&
           (!a.getMask() ||
            cast<RankedTensorType>(a.getMask().getType()).getRank() <= 4);
  if (auto l = dyn_cast<tsr::LinearOp>(op))
    return isF32(l.getType()) &&
           (!l.getWeightPacked() || !l.getType().isDynamicDim(
                                        l.getType().getRank() - 1));
  if (auto m = dyn_cast<tsr::MatmulOp>(op)) {
    RankedTensorType at = m.getLhs().getType(), bt = m.getRhs().getType();
    return isF32(m.getType()) &&
           (sameBatchDims(at, bt) ||
            (bt.getRank() == 2 && !m.getTransposeLhs()));
  }
  return false;
}

struct TsrLowerToUKernelsPass
    : impl::TsrLowerToUKernelsPassBase<TsrLowerToUKernelsPass> {
  using Base::Base;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    MLIRContext *ctx = module.getContext();
    SmallVector<func::FuncOp> funcs(module.getOps<func::FuncOp>());
    for (func::FuncOp fn : funcs) {
      if (fn.isExternal() || fn.isPrivate())
        continue;
      // Every entry takes the context: kernels and the buffer allocator
      // (see tsr-export-entry-points) are reached through it.
      auto ptrType = LLVM::LLVMPointerType::get(ctx);
      unsigned index = fn.getNumArguments();
      OpBuilder attrs(ctx);
      if (failed(fn.insertArgument(
              index, ptrType,
              attrs.getDictionaryAttr(attrs.getNamedAttr(
                  tsr::kKernelContextAttr, attrs.getUnitAttr())),
              fn.getLoc())))
        return signalPassFailure();
      Value kctx = fn.getArgument(index);

      // Attention the kernel cannot take is expanded into its two GEMMs and
      // a softmax, so that at least the GEMMs reach the GEMM kernel.
      SmallVector<tsr::AttentionOp> attentions;
      fn.walk([&](tsr::AttentionOp op) {
        if (canLower(op, useAttentionKernel))
          attentions.push_back(op);
      });
      for (tsr::AttentionOp op : attentions) {
        Value r = lowerAttention(op, getOrCreateAttentionHelper(module), kctx);
        op.getResult().replaceAllUsesWith(r);
        op.erase();
      }
      RewritePatternSet expand(ctx);
      populateTsrAttentionToLinalgPatterns(expand);
      if (failed(applyPatternsGreedily(fn, std::move(expand))))
        return signalPassFailure();

      // Quantized linears only have the kernel (their N is static once
      // packed: tsr-pack-weights runs first).
      SmallVector<tsr::QuantizedLinearOp> quantized;
      fn.walk([&](tsr::QuantizedLinearOp op) { quantized.push_back(op); });
      for (tsr::QuantizedLinearOp op : quantized) {
        if (!op.getWeightPacked() ||
            op.getType().isDynamicDim(op.getType().getRank() - 1)) {
          op.emitOpError("must be packed (tsr-pack-weights) with a static N "
                         "to be lowered");
          return signalPassFailure();
        }
        Value r = lowerQuantizedLinear(op, getOrCreateQgemmHelper(module), kctx);
        op.getResult().replaceAllUsesWith(r);
        op.erase();
      }
      SmallVector<tsr::W4LinearOp> w4;
      fn.walk([&](tsr::W4LinearOp op) { w4.push_back(op); });
      for (tsr::W4LinearOp op : w4) {
        if (!op.getWeightPacked()) {
          op.emitOpError("must be packed (tsr-pack-weights) to be lowered");
          return signalPassFailure();
        }
        bool f16 = cast<RankedTensorType>(op.getScale().getType())
                       .getElementType()
                       .isF16();
        Value r = lowerW4Linear(op, getOrCreateW4gemmHelper(module, f16), kctx);
        op.getResult().replaceAllUsesWith(r);
        op.erase();
      }
      SmallVector<tsr::Bf16LinearOp> bf16;
      fn.walk([&](tsr::Bf16LinearOp op) { bf16.push_back(op); });
      for (tsr::Bf16LinearOp op : bf16) {
        if (!op.getWeightPacked()) {
          op.emitOpError("must be packed (tsr-pack-weights) to be lowered");
          return signalPassFailure();
        }
        Value r = lowerBf16Linear(op, getOrCreateBgemmHelper(module), kctx);
        op.getResult().replaceAllUsesWith(r);
        op.erase();
      }

      SmallVector<tsr::SparseLinearOp> sparse;
      fn.walk([&](tsr::SparseLinearOp op) { sparse.push_back(op); });
      for (tsr::SparseLinearOp op : sparse) {
        Value r = lowerSparseLinear(op, getOrCreateSpgemmHelper(module), kctx);
        op.getResult().replaceAllUsesWith(r);
        op.erase();
      }

      SmallVector<Operation *> candidates;
      fn.walk([&](Operation *op) {
        if (isa<tsr::LinearOp, tsr::MatmulOp>(op) &&
            canLower(op, useAttentionKernel))
          candidates.push_back(op);
      });
      if (candidates.empty()) {
        numberOperandBuffers(fn);
        continue;
      }
      func::FuncOp helper = getOrCreateSgemmHelper(module);
      for (Operation *op : candidates) {
        Value r;
        if (auto l = dyn_cast<tsr::LinearOp>(op))
          r = lowerLinear(l, helper, kctx);
        else
          r = lowerMatmul(cast<tsr::MatmulOp>(op), helper, kctx);
        op->getResult(0).replaceAllUsesWith(r);
        op->erase();
      }
      numberOperandBuffers(fn);
    }
  }

  /// to_buffer is Pure, so CSE would merge two kernel calls' to_buffer of
  /// the same tensor into one, and the second call's read would then be
  /// invisible to One-Shot Bufferize, which may reuse the tensor's buffer
  /// in between (a shared attention mask was overwritten this way). A
  /// distinct attribute on each keeps them apart.
  static void numberOperandBuffers(func::FuncOp fn) {
    int64_t next = 0;
    Builder b(fn.getContext());
    fn.walk([&](bufferization::ToBufferOp op) {
      op->setAttr("tsr.kernel_operand", b.getI64IntegerAttr(next++));
    });
  }
};

} // namespace
} // namespace tessera
