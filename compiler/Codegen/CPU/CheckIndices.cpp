//===- CheckIndices.cpp - Run-time errors for out-of-range indices --------===//
//
// Implements tsr-check-indices (see Passes.td for the rationale).
//
//===----------------------------------------------------------------------===//

#include "compiler/Codegen/CPU/KernelContext.h"
#include "compiler/Codegen/CPU/Passes.h"
#include "dialects/tsr/IR/TsrAttrNames.h"
#include "dialects/tsr/IR/TsrDialect.h"

#include "mlir/Dialect/Utils/StructuredOpsUtils.h"
#include "mlir/IR/Matchers.h"
#include "tessera/abi.h"

#include <cstddef>
#include <limits>

using namespace mlir;

namespace tessera {

#define GEN_PASS_DEF_TSRCHECKINDICESPASS
#include "compiler/Codegen/CPU/Passes.h.inc"

namespace {

/// "node 'NAME'" from the op's location (its first NameLoc), "a Gather"
/// without one; plus " (input 'IN')" when the indices are an entry
/// argument with a name.
std::string describe(tsr::GatherOp op, func::FuncOp fn) {
  std::string what;
  op.getLoc()->walk([&](Location loc) {
    if (auto named = dyn_cast<NameLoc>(loc)) {
      what = "node '" + named.getName().str() + "'";
      return WalkResult::interrupt();
    }
    return WalkResult::advance();
  });
  if (what.empty())
    what = "a Gather";
  if (auto arg = dyn_cast<BlockArgument>(op.getIndices()))
    if (arg.getOwner()->getParentOp() == fn.getOperation())
      if (auto name = fn.getArgAttrOfType<StringAttr>(arg.getArgNumber(),
                                                      tsr::kTensorNameAttr))
        what += " (input '" + name.str() + "')";
  return what;
}

struct TsrCheckIndicesPass
    : impl::TsrCheckIndicesPassBase<TsrCheckIndicesPass> {
  int64_t messages = 0;

  void runOnOperation() override {
    for (func::FuncOp fn : getOperation().getOps<func::FuncOp>()) {
      Value kctx = kernelContextOf(fn);
      SmallVector<tsr::CheckIndicesOp> checks;
      fn.walk([&](tsr::CheckIndicesOp op) { checks.push_back(op); });
      for (tsr::CheckIndicesOp op : checks) {
        if (kctx)
          lowerCheck(op, kctx);
        op.getResult().replaceAllUsesWith(op.getIndices());
        op.erase();
      }
      if (!kctx)
        continue;
      SmallVector<tsr::GatherOp> gathers;
      fn.walk([&](tsr::GatherOp op) { gathers.push_back(op); });
      for (tsr::GatherOp op : gathers)
        if (failed(check(op, fn, kctx)))
          return signalPassFailure();
    }
  }

  /// Calls ctx->index_error(runtime, what, value, size) at the builder's
  /// point.
  void emitReport(OpBuilder &b, Location loc, Value kctx, StringRef what,
                  Value value, Value size) {
    MLIRContext *ctx = b.getContext();
    Type i64 = b.getI64Type();
    // A C string: the runtime reads up to the NUL.
    std::string text = what.str();
    Value message = LLVM::createGlobalString(
        loc, b, "__tsr_index_message_" + std::to_string(messages++),
        StringRef(text.c_str(), text.size() + 1), LLVM::Linkage::Internal);
    auto ptrType = LLVM::LLVMPointerType::get(ctx);
    Value runtime = loadKernelContextField(
        b, loc, kctx, offsetof(tsr_kernel_context_t, runtime));
    Value fnPtr = loadKernelContextField(
        b, loc, kctx, offsetof(tsr_kernel_context_t, index_error));
    auto calleeType = LLVM::LLVMFunctionType::get(
        LLVM::LLVMVoidType::get(ctx), {ptrType, ptrType, i64, i64});
    LLVM::CallOp::create(b, loc, calleeType,
                         ValueRange{fnPtr, runtime, message, value, size});
  }

  /// tsr.check_indices: one reduction keeping the first element out of its
  /// range (value and size; size 0 when none), then the report.
  void lowerCheck(tsr::CheckIndicesOp op, Value kctx) {
    OpBuilder b(op);
    Location loc = op.getLoc();
    MLIRContext *ctx = b.getContext();
    Type i64 = b.getI64Type();
    auto idxType = op.getIndices().getType();
    int64_t rank = idxType.getRank();
    unsigned width = idxType.getElementType().getIntOrFloatBitWidth();
    ArrayRef<int64_t> sizes = op.getSizes();
    auto scalar = RankedTensorType::get({}, i64);
    auto zeroTensor = [&] {
      Value empty = tensor::EmptyOp::create(b, loc, scalar.getShape(), i64);
      Value c = arith::ConstantIntOp::create(b, loc, i64, 0);
      return linalg::FillOp::create(b, loc, c, empty).getResult(0);
    };
    Value valueInit = zeroTensor(), sizeInit = zeroTensor();
    SmallVector<AffineMap> maps = {
        AffineMap::getMultiDimIdentityMap(rank, ctx),
        AffineMap::get(rank, 0, {}, ctx), AffineMap::get(rank, 0, {}, ctx)};
    SmallVector<utils::IteratorType> iterators(rank,
                                               utils::IteratorType::reduction);
    auto reduce = linalg::GenericOp::create(
        b, loc, TypeRange{scalar, scalar}, ValueRange{op.getIndices()},
        ValueRange{valueInit, sizeInit}, maps, iterators,
        [&](OpBuilder &nb, Location l, ValueRange args) {
          Value x = args[0];
          if (width < 64)
            x = arith::ExtSIOp::create(nb, l, i64, x);
          Value size = arith::ConstantIntOp::create(nb, l, i64, sizes[0]);
          if (sizes.size() > 1) { // by position in the last dim
            Value pos = arith::IndexCastOp::create(
                nb, l, i64, linalg::IndexOp::create(nb, l, rank - 1));
            for (size_t j = 1; j < sizes.size(); ++j) {
              Value is = arith::CmpIOp::create(
                  nb, l, arith::CmpIPredicate::eq, pos,
                  arith::ConstantIntOp::create(nb, l, i64, j));
              size = arith::SelectOp::create(
                  nb, l, is, arith::ConstantIntOp::create(nb, l, i64, sizes[j]),
                  size);
            }
          }
          Value zero = arith::ConstantIntOp::create(nb, l, i64, 0);
          Value low = arith::CmpIOp::create(
              nb, l, arith::CmpIPredicate::slt, x,
              arith::SubIOp::create(nb, l, zero, size));
          Value high =
              arith::CmpIOp::create(nb, l, arith::CmpIPredicate::sge, x, size);
          Value none = arith::CmpIOp::create(nb, l, arith::CmpIPredicate::eq,
                                             args[2], zero);
          Value first = arith::AndIOp::create(
              nb, l, arith::OrIOp::create(nb, l, low, high), none);
          linalg::YieldOp::create(
              nb, l,
              ValueRange{arith::SelectOp::create(nb, l, first, x, args[1]),
                         arith::SelectOp::create(nb, l, first, size, args[2])});
        });
    Value value = tensor::ExtractOp::create(b, loc, reduce.getResult(0));
    Value size = tensor::ExtractOp::create(b, loc, reduce.getResult(1));
    Value bad = arith::CmpIOp::create(
        b, loc, arith::CmpIPredicate::ne, size,
        arith::ConstantIntOp::create(b, loc, i64, 0));
    auto ifOp = scf::IfOp::create(b, loc, bad, /*withElseRegion=*/false);
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(&ifOp.getThenRegion().front());
    emitReport(b, loc, kctx, op.getWhat(), value, size);
  }

  LogicalResult check(tsr::GatherOp op, func::FuncOp fn, Value kctx) {
    auto inType = cast<RankedTensorType>(op.getInput().getType());
    auto idxType = cast<RankedTensorType>(op.getIndices().getType());
    int64_t axis = op.getAxis();
    auto elementType = dyn_cast<IntegerType>(idxType.getElementType());
    if (!elementType)
      return success();
    // Constant indices: checked now.
    DenseIntElementsAttr constant;
    if (matchPattern(op.getIndices(), m_Constant(&constant))) {
      if (inType.isDynamicDim(axis))
        return success();
      int64_t size = inType.getDimSize(axis);
      for (const APInt &v : constant.getValues<APInt>()) {
        int64_t x = v.getSExtValue();
        if (x < -size || x >= size)
          return op.emitOpError("index ")
                 << x << " is out of range for dim " << axis << " of size "
                 << size;
      }
      return success();
    }

    OpBuilder b(op);
    Location loc = op.getLoc();
    Type i64 = b.getI64Type();
    MLIRContext *ctx = b.getContext();
    // The smallest and largest index, over the whole tensor.
    auto scalar = RankedTensorType::get({}, i64);
    auto fill = [&](int64_t v) {
      Value empty = tensor::EmptyOp::create(b, loc, scalar.getShape(), i64);
      Value c = arith::ConstantIntOp::create(b, loc, i64, v);
      return linalg::FillOp::create(b, loc, c, empty).getResult(0);
    };
    Value minInit = fill(std::numeric_limits<int64_t>::max());
    Value maxInit = fill(std::numeric_limits<int64_t>::min());
    int64_t rank = idxType.getRank();
    SmallVector<AffineMap> maps = {
        AffineMap::getMultiDimIdentityMap(rank, ctx),
        AffineMap::get(rank, 0, {}, ctx), AffineMap::get(rank, 0, {}, ctx)};
    SmallVector<utils::IteratorType> iterators(rank,
                                               utils::IteratorType::reduction);
    unsigned width = elementType.getWidth();
    auto reduce = linalg::GenericOp::create(
        b, loc, TypeRange{scalar, scalar}, ValueRange{op.getIndices()},
        ValueRange{minInit, maxInit}, maps, iterators,
        [&](OpBuilder &nb, Location l, ValueRange args) {
          Value x = args[0];
          if (width < 64)
            x = arith::ExtSIOp::create(nb, l, i64, x);
          else if (width > 64)
            x = arith::TruncIOp::create(nb, l, i64, x);
          Value mn = arith::MinSIOp::create(nb, l, x, args[1]);
          Value mx = arith::MaxSIOp::create(nb, l, x, args[2]);
          linalg::YieldOp::create(nb, l, ValueRange{mn, mx});
        });
    Value mn = tensor::ExtractOp::create(b, loc, reduce.getResult(0));
    Value mx = tensor::ExtractOp::create(b, loc, reduce.getResult(1));
    Value size = arith::IndexCastOp::create(
        b, loc, i64, tensor::DimOp::create(b, loc, op.getInput(), axis));
    Value zero = arith::ConstantIntOp::create(b, loc, i64, 0);
    Value negSize = arith::SubIOp::create(b, loc, zero, size);
    Value low = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::slt, mn,
                                      negSize);
    Value high = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::sge, mx,
                                       size);
    Value bad = arith::OrIOp::create(b, loc, low, high);
    std::string what = describe(op, fn);
    auto ifOp = scf::IfOp::create(b, loc, bad, /*withElseRegion=*/false);
    {
      OpBuilder::InsertionGuard guard(b);
      b.setInsertionPointToStart(&ifOp.getThenRegion().front());
      Value value = arith::SelectOp::create(b, loc, high, mx, mn);
      emitReport(b, loc, kctx, what, value, size);
    }
    return success();
  }
};

} // namespace
} // namespace tessera
