//===- PlanMemory.cpp - Static buffers as views into one arena ------------===//
//
// Implements tsr-plan-memory (see Passes.td for the rationale): live ranges
// of a function's statically sized buffers over the ops of its body, offsets
// by greedy-by-size best-fit packing, and the rewrite of each alloc into a
// memref.view of one i8 arena allocated once per call.
//
//===----------------------------------------------------------------------===//

#include "compiler/Codegen/CPU/Passes.h"
#include "compiler/Codegen/CPU/MemoryPlan.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/Builders.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/SetVector.h"
#include "llvm/ADT/StringSet.h"

#include <algorithm>

using namespace mlir;

namespace tessera {

#define GEN_PASS_DEF_TSRPLANMEMORYPASS
#include "compiler/Codegen/CPU/Passes.h.inc"

std::vector<int64_t> packIntervals(llvm::ArrayRef<PlannedInterval> buffers,
                                   int64_t alignment, int64_t &arenaBytes) {
  std::vector<int64_t> offsets(buffers.size(), 0);
  std::vector<size_t> order(buffers.size());
  for (size_t i = 0; i < order.size(); ++i)
    order[i] = i;
  // Largest first (ties: earlier first), so big buffers settle at the
  // bottom and small ones fill the gaps they leave.
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    if (buffers[a].bytes != buffers[b].bytes)
      return buffers[a].bytes > buffers[b].bytes;
    return buffers[a].first < buffers[b].first;
  });
  auto alignUp = [&](int64_t v) {
    return (v + alignment - 1) / alignment * alignment;
  };
  std::vector<size_t> placed;
  arenaBytes = 0;
  for (size_t i : order) {
    const PlannedInterval &buf = buffers[i];
    int64_t size = alignUp(buf.bytes);
    // Placed buffers live at the same time as this one, by offset.
    std::vector<std::pair<int64_t, int64_t>> busy;
    for (size_t j : placed) {
      const PlannedInterval &other = buffers[j];
      if (other.first <= buf.last && buf.first <= other.last)
        busy.push_back({offsets[j], offsets[j] + alignUp(other.bytes)});
    }
    std::sort(busy.begin(), busy.end());
    // Best fit: the smallest gap between busy ranges that holds it, else
    // above the highest one.
    int64_t best = -1, bestGap = INT64_MAX, cursor = 0;
    for (auto [begin, end] : busy) {
      if (begin > cursor && begin - cursor >= size &&
          begin - cursor < bestGap) {
        best = cursor;
        bestGap = begin - cursor;
      }
      cursor = std::max(cursor, end);
    }
    if (best < 0)
      best = cursor;
    offsets[i] = best;
    arenaBytes = std::max(arenaBytes, best + size);
    placed.push_back(i);
  }
  return offsets;
}

std::vector<FunctionMemoryPlan> takeMemoryPlans(ModuleOp module) {
  std::vector<FunctionMemoryPlan> plans;
  llvm::StringSet<> seen;
  module.walk([&](Operation *op) {
    auto plan = op->getAttrOfType<DictionaryAttr>(kMemoryPlanAttr);
    if (!plan)
      return;
    op->removeAttr(kMemoryPlanAttr);
    auto name = op->getAttrOfType<StringAttr>(SymbolTable::getSymbolAttrName());
    if (!name)
      return;
    StringRef function = name.getValue();
    function.consume_front("_mlir_ciface_");
    if (!seen.insert(function).second)
      return;
    auto get = [&](StringRef key) -> int64_t {
      auto value = plan.getAs<IntegerAttr>(key);
      return value ? value.getInt() : 0;
    };
    plans.push_back({function.str(), get("allocations"), get("planned"),
                     get("arena_bytes"), get("buffer_bytes"),
                     get("dynamic")});
  });
  return plans;
}

namespace {

constexpr int64_t kArenaAlignment = 64;

/// Bytes of one element in the LLVM lowering, or 0 if not plannable.
int64_t elementBytes(Type t) {
  if (t.isIndex())
    return 8;
  if (t.isIntOrFloat())
    return (t.getIntOrFloatBitWidth() + 7) / 8;
  return 0;
}

/// A statically sized alloc of the function's body, its live range in op
/// indices of that body, and the deallocs to erase.
struct Candidate {
  memref::AllocOp alloc;
  int64_t bytes = 0;
  int64_t first = 0, last = 0;
  SmallVector<memref::DeallocOp> deallocs;
};

/// Computes the live range of `alloc` (from the alloc to the last op of
/// `body` that uses it or any alias of it). Fails if the buffer escapes:
/// returned, turned into a pointer or integer, or freed through an alias.
LogicalResult analyze(Candidate &c, Block &body,
                      const DenseMap<Operation *, int64_t> &index) {
  c.first = c.last = index.lookup(c.alloc);
  llvm::SetVector<Value> aliases;
  aliases.insert(c.alloc.getResult());
  for (size_t i = 0; i < aliases.size(); ++i) {
    Value v = aliases[i];
    for (OpOperand &use : v.getUses()) {
      Operation *user = use.getOwner();
      Operation *top = body.findAncestorOpInBlock(*user);
      if (!top)
        return failure();
      if (auto dealloc = dyn_cast<memref::DeallocOp>(user)) {
        if (v != c.alloc.getResult() || dealloc->getBlock() != &body)
          return failure();
        c.deallocs.push_back(dealloc);
        continue;
      }
      // A buffer freed other than by its own dealloc (bufferization.dealloc
      // declares no effects) must stay a separate allocation.
      if (isa<bufferization::DeallocOp>(user))
        return failure();
      if (auto effects = dyn_cast<MemoryEffectOpInterface>(user))
        if (effects.getEffectOnValue<MemoryEffects::Free>(v))
          return failure();
      // Pointers and addresses outlive what this analysis can see; so
      // does a buffer the function returns (the caller frees it).
      if (isa<memref::ExtractAlignedPointerAsIndexOp>(user) ||
          (user->hasTrait<OpTrait::IsTerminator>() &&
           user->getBlock() == &body))
        return failure();
      for (Type t : user->getResultTypes())
        if (isa<LLVM::LLVMPointerType, LLVM::LLVMStructType>(t))
          return failure();
      c.last = std::max(c.last, index.lookup(top));
      // Views, casts, call and region results may alias the buffer: their
      // uses keep it alive too.
      for (Operation *op : {user, top})
        for (Value r : op->getResults())
          if (isa<BaseMemRefType>(r.getType()))
            aliases.insert(r);
    }
  }
  return success();
}

struct TsrPlanMemoryPass : impl::TsrPlanMemoryPassBase<TsrPlanMemoryPass> {
  void runOnOperation() override {
    func::FuncOp fn = getOperation();
    if (fn.isExternal() || !fn.getBody().hasOneBlock())
      return;
    Block &body = fn.getBody().front();
    DenseMap<Operation *, int64_t> index;
    int64_t n = 0;
    for (Operation &op : body)
      index[&op] = n++;

    std::vector<Candidate> candidates;
    int64_t allocations = 0, dynamic = 0;
    fn.walk([&](memref::AllocOp alloc) {
      ++allocations;
      MemRefType type = alloc.getType();
      if (!type.hasStaticShape()) {
        ++dynamic;
        return;
      }
      int64_t elem = elementBytes(type.getElementType());
      if (alloc->getBlock() != &body || !type.getLayout().isIdentity() ||
          type.getMemorySpace() || elem == 0 ||
          alloc.getAlignment().value_or(1) > kArenaAlignment)
        return;
      Candidate c;
      c.alloc = alloc;
      c.bytes = type.getNumElements() * elem;
      if (succeeded(analyze(c, body, index)))
        candidates.push_back(std::move(c));
    });

    std::vector<PlannedInterval> intervals;
    int64_t bufferBytes = 0;
    for (const Candidate &c : candidates) {
      intervals.push_back({c.bytes, c.first, c.last});
      bufferBytes += c.bytes;
    }
    int64_t arenaBytes = 0;
    std::vector<int64_t> offsets =
        packIntervals(intervals, kArenaAlignment, arenaBytes);

    MLIRContext *ctx = &getContext();
    Builder attrs(ctx);
    fn->setAttr(kMemoryPlanAttr,
                attrs.getDictionaryAttr({
                    attrs.getNamedAttr("allocations",
                                       attrs.getI64IntegerAttr(allocations)),
                    attrs.getNamedAttr("arena_bytes",
                                       attrs.getI64IntegerAttr(arenaBytes)),
                    attrs.getNamedAttr("buffer_bytes",
                                       attrs.getI64IntegerAttr(bufferBytes)),
                    attrs.getNamedAttr("dynamic",
                                       attrs.getI64IntegerAttr(dynamic)),
                    attrs.getNamedAttr("planned", attrs.getI64IntegerAttr(
                                                      candidates.size())),
                }));
    if (candidates.empty())
      return;

    // One arena per call, from the same allocator as every other buffer
    // (the session's block cache serves it without system calls after the
    // first run); freed before each return.
    OpBuilder b(ctx);
    b.setInsertionPointToStart(&body);
    Location loc = fn.getLoc();
    auto arenaType = MemRefType::get({arenaBytes}, b.getI8Type());
    Value arena = memref::AllocOp::create(b, loc, arenaType,
                                          b.getI64IntegerAttr(kArenaAlignment))
                      .getResult();
    for (auto [c, offset] : llvm::zip(candidates, offsets)) {
      b.setInsertionPoint(c.alloc);
      Value off = arith::ConstantIndexOp::create(b, c.alloc.getLoc(), offset);
      Value view = memref::ViewOp::create(b, c.alloc.getLoc(), c.alloc.getType(),
                                          arena, off, ValueRange{});
      c.alloc.getResult().replaceAllUsesWith(view);
      for (memref::DeallocOp d : c.deallocs)
        d.erase();
      c.alloc.erase();
    }
    Operation *terminator = body.getTerminator();
    b.setInsertionPoint(terminator);
    memref::DeallocOp::create(b, terminator->getLoc(), arena);
  }
};

} // namespace
} // namespace tessera
