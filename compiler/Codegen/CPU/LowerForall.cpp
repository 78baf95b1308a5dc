//===- LowerForall.cpp - scf.forall on the runtime's thread pool ----------===//
//
// Implements tsr-cpu-lower-forall (see Passes.td for the rationale).
//
//===----------------------------------------------------------------------===//

#include "compiler/Codegen/CPU/KernelContext.h"
#include "compiler/Codegen/CPU/Passes.h"
#include "dialects/tsr/IR/TsrAttrNames.h"

#include "mlir/Conversion/LLVMCommon/TypeConverter.h"
#include "mlir/Dialect/Arith/Utils/Utils.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/Matchers.h"
#include "mlir/Transforms/RegionUtils.h"
#include "tessera/abi.h"

using namespace mlir;

namespace tessera {

#define GEN_PASS_DEF_TSRCPULOWERFORALLPASS
#include "compiler/Codegen/CPU/Passes.h.inc"

namespace {

constexpr llvm::StringLiteral kMinParallelItersAttr =
    "tsr.min_parallel_iterations";

/// Iteration counts of each dimension of `loop` and their product (index).
struct TripCounts {
  SmallVector<Value> perDim;
  Value total;
};

TripCounts buildTripCounts(OpBuilder &b, scf::ForallOp loop,
                           const IRMapping &mapping) {
  Location loc = loop.getLoc();
  TripCounts tc;
  tc.total = arith::ConstantIndexOp::create(b, loc, 1);
  for (auto [lb, ub, step] :
       llvm::zip(loop.getMixedLowerBound(), loop.getMixedUpperBound(),
                 loop.getMixedStep())) {
    Value l = mapping.lookupOrDefault(getValueOrCreateConstantIndexOp(b, loc, lb));
    Value u = mapping.lookupOrDefault(getValueOrCreateConstantIndexOp(b, loc, ub));
    Value s = mapping.lookupOrDefault(getValueOrCreateConstantIndexOp(b, loc, step));
    Value span = arith::SubIOp::create(b, loc, u, l);
    Value count = arith::CeilDivSIOp::create(b, loc, span, s);
    Value zero = arith::ConstantIndexOp::create(b, loc, 0);
    count = arith::MaxSIOp::create(b, loc, count, zero);
    tc.perDim.push_back(count);
    tc.total = arith::MulIOp::create(b, loc, tc.total, count);
  }
  return tc;
}

/// Clones the body of `loop` at `b` for the linear iteration `linear`
/// (row-major over the dims), with `mapping` holding the captures.
void cloneBodyAt(OpBuilder &b, scf::ForallOp loop, Value linear,
                 ArrayRef<Value> counts, IRMapping &mapping) {
  Location loc = loop.getLoc();
  SmallVector<Value> ivs(counts.size());
  Value rest = linear;
  for (int64_t d = static_cast<int64_t>(counts.size()) - 1; d >= 0; --d) {
    Value j = d == 0 ? rest : arith::RemSIOp::create(b, loc, rest, counts[d]);
    if (d > 0)
      rest = arith::DivSIOp::create(b, loc, rest, counts[d]);
    ivs[d] = j;
  }
  for (auto [d, lb, step] : llvm::enumerate(loop.getMixedLowerBound(),
                                            loop.getMixedStep())) {
    Value l = mapping.lookupOrDefault(getValueOrCreateConstantIndexOp(b, loc, lb));
    Value s = mapping.lookupOrDefault(getValueOrCreateConstantIndexOp(b, loc, step));
    Value iv = arith::AddIOp::create(
        b, loc, l, arith::MulIOp::create(b, loc, ivs[d], s));
    mapping.map(loop.getInductionVars()[d], iv);
  }
  for (Operation &op : loop.getBody()->without_terminator())
    b.clone(op, mapping);
}

/// Serial replacement: an scf.for over the linear iterations.
void lowerSerially(OpBuilder &b, scf::ForallOp loop) {
  b.setInsertionPoint(loop);
  Location loc = loop.getLoc();
  IRMapping mapping;
  TripCounts tc = buildTripCounts(b, loop, mapping);
  Value zero = arith::ConstantIndexOp::create(b, loc, 0);
  Value one = arith::ConstantIndexOp::create(b, loc, 1);
  auto forOp = scf::ForOp::create(b, loc, zero, tc.total, one);
  b.setInsertionPointToStart(forOp.getBody());
  cloneBodyAt(b, loop, forOp.getInductionVar(), tc.perDim, mapping);
  loop.erase();
}

bool canCapture(Type type) {
  if (isa<IndexType, IntegerType, FloatType>(type))
    return true;
  auto memref = dyn_cast<MemRefType>(type);
  return memref && !memref.getMemorySpace();
}

struct TsrCpuLowerForallPass
    : impl::TsrCpuLowerForallPassBase<TsrCpuLowerForallPass> {
  using Base::Base;

  LogicalResult lowerToPool(scf::ForallOp loop, func::FuncOp fn, Value kctx,
                            unsigned index, LLVMTypeConverter &converter);

  void runOnOperation() override {
    ModuleOp module = getOperation();
    LowerToLLVMOptions llvmOptions(&getContext());
    LLVMTypeConverter converter(&getContext(), llvmOptions);
    OpBuilder b(&getContext());
    for (auto fn : llvm::to_vector(module.getOps<func::FuncOp>())) {
      SmallVector<scf::ForallOp> loops;
      // Outermost loops only: a nested forall runs inside its parent's
      // task (the pool does not nest regions).
      fn.walk([&](scf::ForallOp loop) {
        if (!loop->getParentOfType<scf::ForallOp>())
          loops.push_back(loop);
      });
      Value kctx = kernelContextOf(fn);
      unsigned index = 0;
      for (scf::ForallOp loop : loops) {
        if (loop->getNumResults() != 0) {
          loop.emitOpError("must be bufferized before tsr-cpu-lower-forall");
          return signalPassFailure();
        }
        if (!kctx || failed(lowerToPool(loop, fn, kctx, index++, converter)))
          lowerSerially(b, loop);
      }
    }
    // Nested foralls (now inside outlined tasks or serial loops).
    SmallVector<scf::ForallOp> nested;
    module.walk([&](scf::ForallOp loop) { nested.push_back(loop); });
    for (scf::ForallOp loop : llvm::reverse(nested))
      lowerSerially(b, loop);
  }
};

LogicalResult TsrCpuLowerForallPass::lowerToPool(scf::ForallOp loop,
                                                 func::FuncOp fn, Value kctx,
                                                 unsigned index,
                                                 LLVMTypeConverter &converter) {
  MLIRContext *ctx = loop.getContext();
  // Buffers must come from the context, which the outlined body lacks;
  // calls may reach kernels that open regions of their own.
  bool allocates = false;
  loop.getBody()->walk([&](Operation *op) {
    if (isa<memref::AllocOp, memref::ReallocOp>(op) ||
        isa<func::CallOp, LLVM::CallOp>(op))
      allocates = true;
  });
  if (allocates)
    return failure();

  llvm::SetVector<Value> used;
  getUsedValuesDefinedAbove(loop.getRegion(), used);
  for (Value v : loop->getOperands())
    used.insert(v);
  // Constants are rematerialized in the task (they keep shapes static);
  // everything else travels in the closure.
  SmallVector<Value> captures, constants;
  for (Value v : used) {
    if (matchPattern(v, m_Constant()) && v.getDefiningOp()->getNumOperands() == 0)
      constants.push_back(v);
    else
      captures.push_back(v);
  }
  SmallVector<Type> fieldTypes;
  for (Value v : captures) {
    if (!canCapture(v.getType()))
      return failure();
    Type t = converter.convertType(v.getType());
    if (!t)
      return failure();
    fieldTypes.push_back(t);
  }

  Location loc = loop.getLoc();
  auto ptrType = LLVM::LLVMPointerType::get(ctx);
  auto i64 = IntegerType::get(ctx, 64);
  auto closureType = LLVM::LLVMStructType::getLiteral(ctx, fieldTypes);

  // The outlined task: void(ptr closure, i64 begin, i64 end).
  auto module = fn->getParentOfType<ModuleOp>();
  OpBuilder b = OpBuilder::atBlockEnd(module.getBody());
  std::string name = (fn.getName() + "_forall" + Twine(index)).str();
  while (module.lookupSymbol(name))
    name += "_";
  auto taskType = b.getFunctionType({ptrType, i64, i64}, {});
  auto task = func::FuncOp::create(b, loc, name, taskType);
  task.setPrivate();
  Block *entry = task.addEntryBlock();
  b.setInsertionPointToStart(entry);
  IRMapping mapping;
  for (Value v : constants)
    b.clone(*v.getDefiningOp(), mapping);
  Value closureArg = entry->getArgument(0);
  for (auto [i, v] : llvm::enumerate(captures)) {
    Value slot = LLVM::GEPOp::create(
        b, loc, ptrType, closureType, closureArg,
        ArrayRef<LLVM::GEPArg>{0, static_cast<int32_t>(i)});
    Value field = LLVM::LoadOp::create(b, loc, fieldTypes[i], slot);
    Value inner;
    if (isa<IndexType>(v.getType()))
      inner = arith::IndexCastOp::create(b, loc, v.getType(), field);
    else if (isa<MemRefType>(v.getType()))
      inner = UnrealizedConversionCastOp::create(b, loc, v.getType(), field)
                  .getResult(0);
    else
      inner = field;
    mapping.map(v, inner);
  }
  {
    // Trip counts are recomputed inside from the captured bounds.
    TripCounts tc = buildTripCounts(b, loop, mapping);
    Value begin = arith::IndexCastOp::create(b, loc, b.getIndexType(),
                                             entry->getArgument(1));
    Value end = arith::IndexCastOp::create(b, loc, b.getIndexType(),
                                           entry->getArgument(2));
    Value one = arith::ConstantIndexOp::create(b, loc, 1);
    auto forOp = scf::ForOp::create(b, loc, begin, end, one);
    OpBuilder inner = OpBuilder::atBlockBegin(forOp.getBody());
    cloneBodyAt(inner, loop, forOp.getInductionVar(), tc.perDim, mapping);
    b.setInsertionPointAfter(forOp);
    func::ReturnOp::create(b, loc);
  }

  // The call site: closure on the stack, parallel_for or a direct call.
  OpBuilder cb(loop);
  Value closure;
  {
    OpBuilder::InsertionGuard guard(cb);
    cb.setInsertionPointToStart(&fn.getBody().front());
    Value one = arith::ConstantIntOp::create(cb, loc, i64, 1);
    closure = LLVM::AllocaOp::create(cb, loc, ptrType, closureType, one);
  }
  for (auto [i, v] : llvm::enumerate(captures)) {
    Value field = v;
    if (isa<IndexType>(v.getType()))
      field = arith::IndexCastOp::create(cb, loc, i64, v);
    else if (isa<MemRefType>(v.getType()))
      field = UnrealizedConversionCastOp::create(cb, loc, fieldTypes[i], v)
                  .getResult(0);
    Value slot = LLVM::GEPOp::create(
        cb, loc, ptrType, closureType, closure,
        ArrayRef<LLVM::GEPArg>{0, static_cast<int32_t>(i)});
    LLVM::StoreOp::create(cb, loc, field, slot);
  }
  TripCounts tc = buildTripCounts(cb, loop, IRMapping());
  Value n = arith::IndexCastOp::create(cb, loc, i64, tc.total);
  int64_t minIters = 2;
  if (auto attr = loop->getAttrOfType<IntegerAttr>(kMinParallelItersAttr))
    minIters = std::max<int64_t>(2, attr.getInt());
  Value enough = arith::CmpIOp::create(
      cb, loc, arith::CmpIPredicate::sge, n,
      arith::ConstantIntOp::create(cb, loc, i64, minIters));
  Value threadsSlot = LLVM::GEPOp::create(
      cb, loc, ptrType, cb.getI8Type(), kctx,
      ArrayRef<LLVM::GEPArg>{
          static_cast<int32_t>(offsetof(tsr_kernel_context_t, num_threads))});
  Value threads = LLVM::LoadOp::create(cb, loc, cb.getI32Type(), threadsSlot);
  Value several = arith::CmpIOp::create(
      cb, loc, arith::CmpIPredicate::ugt, threads,
      arith::ConstantIntOp::create(cb, loc, cb.getI32Type(), 1));
  Value parallel = arith::AndIOp::create(cb, loc, enough, several);
  auto ifOp = scf::IfOp::create(cb, loc, parallel, /*withElseRegion=*/true);
  {
    OpBuilder tb = ifOp.getThenBodyBuilder();
    Value runtime = loadKernelContextField(
        tb, loc, kctx, offsetof(tsr_kernel_context_t, runtime));
    Value parallelFor = loadKernelContextField(
        tb, loc, kctx, offsetof(tsr_kernel_context_t, parallel_for));
    Value taskRef = func::ConstantOp::create(tb, loc, taskType, name);
    Value taskPtr =
        UnrealizedConversionCastOp::create(tb, loc, ptrType, taskRef)
            .getResult(0);
    auto calleeType = LLVM::LLVMFunctionType::get(
        LLVM::LLVMVoidType::get(ctx), {ptrType, i64, ptrType, ptrType});
    LLVM::CallOp::create(tb, loc, calleeType,
                         ValueRange{parallelFor, runtime, n, taskPtr, closure});
  }
  {
    OpBuilder eb = ifOp.getElseBodyBuilder();
    Value zero = arith::ConstantIntOp::create(eb, loc, i64, 0);
    func::CallOp::create(eb, loc, name, TypeRange{},
                         ValueRange{closure, zero, n});
  }
  loop.erase();
  return success();
}

} // namespace

} // namespace tessera
