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
constexpr llvm::StringLiteral kKernelContextAttr = "tsr.kernel_context";

// Bits of the helper's `flags` operand.
enum : int64_t {
  kTransposeA = 1,
  kTransposeB = 2,
  kPackedB = 4,
  kHasBias = 8,
  kEpilogueShift = 8,
};

MemRefType anyStridedMemRef(MLIRContext *ctx, int64_t rank) {
  SmallVector<int64_t> shape(rank, ShapedType::kDynamic);
  auto layout = StridedLayoutAttr::get(
      ctx, ShapedType::kDynamic, SmallVector<int64_t>(rank, ShapedType::kDynamic));
  return MemRefType::get(shape, Float32Type::get(ctx), layout);
}

//===----------------------------------------------------------------------===//
// The __tsr_sgemm helper
//===----------------------------------------------------------------------===//

/// Builds `func.func private @__tsr_sgemm(ctx, A, B, bias, C, flags)`: it
/// reads the operands' metadata, fills a tsr_sgemm_args_t on the stack and
/// calls ctx->sgemm(ctx->runtime, &args).
func::FuncOp getOrCreateSgemmHelper(ModuleOp module) {
  if (auto fn = module.lookupSymbol<func::FuncOp>(kSgemmHelper))
    return fn;
  MLIRContext *ctx = module.getContext();
  OpBuilder b = OpBuilder::atBlockEnd(module.getBody());
  Location loc = module.getLoc();
  auto ptrType = LLVM::LLVMPointerType::get(ctx);
  auto i64 = b.getI64Type();
  MemRefType m3 = anyStridedMemRef(ctx, 3), m1 = anyStridedMemRef(ctx, 1);
  auto fnType = b.getFunctionType({ptrType, m3, m3, m1, m3, i64}, {});
  auto fn = func::FuncOp::create(b, loc, kSgemmHelper, fnType);
  fn.setPrivate();
  Block *body = fn.addEntryBlock();
  b.setInsertionPointToStart(body);
  Value kctx = body->getArgument(0), a = body->getArgument(1),
        bm = body->getArgument(2), bias = body->getArgument(3),
        c = body->getArgument(4), flags = body->getArgument(5);

  auto toI64 = [&](Value index) -> Value {
    return arith::IndexCastOp::create(b, loc, i64, index);
  };
  auto cst = [&](int64_t v) -> Value {
    return arith::ConstantIntOp::create(b, loc, i64, v);
  };
  auto flagSet = [&](int64_t bit) -> Value {
    Value masked = arith::AndIOp::create(b, loc, flags, cst(bit));
    return arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ne, masked,
                                 cst(0));
  };
  struct Meta {
    Value ptr; // the first element's address, as i64
    SmallVector<Value> sizes, strides;
  };
  auto meta = [&](Value memref) {
    auto md = memref::ExtractStridedMetadataOp::create(b, loc, memref);
    Meta m;
    Value aligned = toI64(
        memref::ExtractAlignedPointerAsIndexOp::create(b, loc, memref));
    Value offsetBytes =
        arith::MulIOp::create(b, loc, toI64(md.getOffset()), cst(4));
    m.ptr = arith::AddIOp::create(b, loc, aligned, offsetBytes);
    for (Value s : md.getSizes())
      m.sizes.push_back(toI64(s));
    for (Value s : md.getStrides())
      m.strides.push_back(toI64(s));
    return m;
  };
  auto select = [&](Value cond, Value t, Value f) -> Value {
    return arith::SelectOp::create(b, loc, cond, t, f);
  };
  Meta ma = meta(a), mb = meta(bm), mbias = meta(bias), mc = meta(c);
  Value transA = flagSet(kTransposeA), transB = flagSet(kTransposeB),
        packed = flagSet(kPackedB), hasBias = flagSet(kHasBias);
  Value zero = cst(0), one = cst(1);
  // An operand with batch size 1 is shared by every batch.
  auto batchStride = [&](const Meta &m) {
    Value single = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq,
                                         m.sizes[0], one);
    return select(single, zero, m.strides[0]);
  };
  SmallVector<Value> words = {
      ma.ptr,
      mb.ptr,
      mc.ptr,
      select(hasBias, mbias.ptr, zero),
      mc.sizes[0],                                     // batch
      mc.sizes[1],                                     // m
      mc.sizes[2],                                     // n
      select(transA, ma.sizes[1], ma.sizes[2]),        // k
      batchStride(ma),                                 // a_batch_stride
      select(transA, ma.strides[2], ma.strides[1]),    // a_row_stride
      select(transA, ma.strides[1], ma.strides[2]),    // a_col_stride
      select(packed, zero, batchStride(mb)),           // b_batch_stride
      select(transB, mb.strides[2], mb.strides[1]),    // b_row_stride
      select(transB, mb.strides[1], mb.strides[2]),    // b_col_stride
      mc.strides[0],                                   // c_batch_stride
      mc.strides[1],                                   // c_row_stride
      select(packed, cst(TSR_SGEMM_B_PACKED), cst(TSR_SGEMM_B_STRIDED)),
      arith::ShRUIOp::create(b, loc, flags, cst(kEpilogueShift)),
  };
  assert(words.size() == TSR_SGEMM_ARGS_WORDS && "tsr_sgemm_args_t changed");

  auto arrayType = LLVM::LLVMArrayType::get(i64, TSR_SGEMM_ARGS_WORDS);
  Value args = LLVM::AllocaOp::create(b, loc, ptrType, arrayType, cst(1));
  for (auto [i, w] : llvm::enumerate(words)) {
    Value slot = LLVM::GEPOp::create(
        b, loc, ptrType, i64, args,
        ArrayRef<LLVM::GEPArg>{static_cast<int32_t>(i)});
    LLVM::StoreOp::create(b, loc, w, slot);
  }
  auto field = [&](int64_t offset) -> Value {
    Value p = LLVM::GEPOp::create(b, loc, ptrType, b.getI8Type(), kctx,
                                  ArrayRef<LLVM::GEPArg>{static_cast<int32_t>(offset)});
    return LLVM::LoadOp::create(b, loc, ptrType, p);
  };
  Value runtime = field(offsetof(tsr_kernel_context_t, runtime));
  Value sgemm = field(offsetof(tsr_kernel_context_t, sgemm));
  auto calleeType = LLVM::LLVMFunctionType::get(
      LLVM::LLVMVoidType::get(ctx), {ptrType, ptrType});
  LLVM::CallOp::create(b, loc, calleeType, ValueRange{sgemm, runtime, args});
  func::ReturnOp::create(b, loc);
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

  /// Reshapes `v` to dims `sizes` (index values); static where constant.
  Value reshape(Value v, ArrayRef<Value> sizes) {
    SmallVector<int64_t> shape;
    SmallVector<Value> dynamic;
    for (Value s : sizes) {
      if (std::optional<int64_t> c = getConstantIntValue(s))
        shape.push_back(*c);
      else {
        shape.push_back(ShapedType::kDynamic);
        dynamic.push_back(s);
      }
    }
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
    MemRefType any = anyStridedMemRef(b.getContext(), t.getRank());
    auto type = MemRefType::get(t.getShape(), t.getElementType(),
                                any.getLayout());
    Value buffer = bufferization::ToBufferOp::create(b, loc, type, tensor,
                                                     /*read_only=*/true);
    return memref::CastOp::create(b, loc, any, buffer);
  }

  /// Calls the helper and returns C as a [batch, m, n] tensor.
  Value call(func::FuncOp helper, Value kctx, Value a3, Value b3, Value bias,
             Value batch, Value m, Value n, int64_t flags) {
    MLIRContext *ctx = b.getContext();
    if (!bias)
      bias = tensor::EmptyOp::create(b, loc, ArrayRef<int64_t>{0},
                                     b.getF32Type());
    SmallVector<int64_t> shape;
    SmallVector<Value> dynamic;
    for (Value s : {batch, m, n}) {
      if (std::optional<int64_t> c = getConstantIntValue(s))
        shape.push_back(*c);
      else {
        shape.push_back(ShapedType::kDynamic);
        dynamic.push_back(s);
      }
    }
    auto cType = MemRefType::get(shape, b.getF32Type());
    Value cBuf = memref::AllocOp::create(b, loc, cType, dynamic);
    Value cView = memref::CastOp::create(b, loc, anyStridedMemRef(ctx, 3), cBuf);
    Value flagsValue = arith::ConstantIntOp::create(b, loc, b.getI64Type(), flags);
    func::CallOp::create(b, loc, helper,
                         ValueRange{kctx, toBuffer(a3), toBuffer(b3),
                                    toBuffer(bias), cView, flagsValue});
    return bufferization::ToTensorOp::create(
        b, loc, RankedTensorType::get(shape, b.getF32Type()), cBuf,
        /*restrict=*/true, /*writable=*/true);
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
bool canLower(Operation *op) {
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
  void runOnOperation() override {
    ModuleOp module = getOperation();
    MLIRContext *ctx = module.getContext();
    // The runtime has no attention kernel yet: expand tsr.attention into
    // its two GEMMs and a softmax here, so the GEMMs reach the kernel.
    RewritePatternSet attention(ctx);
    populateTsrAttentionToLinalgPatterns(attention);
    if (failed(applyPatternsGreedily(module, std::move(attention))))
      return signalPassFailure();
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
                  kKernelContextAttr, attrs.getUnitAttr())),
              fn.getLoc())))
        return signalPassFailure();
      Value kctx = fn.getArgument(index);
      SmallVector<Operation *> candidates;
      fn.walk([&](Operation *op) {
        if (canLower(op))
          candidates.push_back(op);
      });
      if (candidates.empty())
        continue;
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
    }
  }
};

} // namespace
} // namespace tessera
