//===- TileAndDistribute.cpp - Per-thread tiles of linalg ops -------------===//
//
// Implements tsr-cpu-tile-and-distribute (see Passes.td for the rationale
// and the cost model).
//
//===----------------------------------------------------------------------===//

#include "compiler/Codegen/CPU/Passes.h"
#include "compiler/Codegen/CPU/TargetInfo.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/SCF/Transforms/TileUsingInterface.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Interfaces/TilingInterface.h"

using namespace mlir;

namespace tessera {

#define GEN_PASS_DEF_TSRCPUTILEANDDISTRIBUTEPASS
#include "compiler/Codegen/CPU/Passes.h.inc"

namespace {

constexpr llvm::StringLiteral kTileSizesAttr = "tsr.tile_sizes";
constexpr llvm::StringLiteral kMinParallelItersAttr =
    "tsr.min_parallel_iterations";

// Extent assumed for a dynamic loop when estimating work per iteration.
constexpr int64_t kAssumedDynamicExtent = 128;
// Vector iterations of work an iteration of the distributed loop should do
// at least (amortizes the loop's own overhead, keeps threads off each
// other's cache lines).
constexpr int64_t kMinVectorItersPerTile = 16;
// Bytes per cycle a core streams from L2 (loads + stores).
constexpr int64_t kBytesPerCycle = 16;
// A parallel region must do this many dispatch costs of work.
constexpr int64_t kDispatchAmortization = 2;

struct Plan {
  SmallVector<int64_t> tileSizes;
  int64_t minParallelIterations;
};

/// Marks the float additions that accumulate into the outputs of `op`'s
/// reductions `reassoc`, so that LLVM's loop vectorizer may split the sum
/// into vector lanes (a layer norm's mean and variance). Returns whether
/// every accumulating op of a float reduction could be marked.
bool reassociateReductions(linalg::LinalgOp op) {
  auto generic = dyn_cast<linalg::GenericOp>(op.getOperation());
  if (!generic || generic.getNumReductionLoops() == 0)
    return false;
  Block *body = generic.getBody();
  auto yield = cast<linalg::YieldOp>(body->getTerminator());
  bool all = true;
  for (auto [i, yielded] : llvm::enumerate(yield.getValues())) {
    BlockArgument acc = body->getArgument(generic.getNumDpsInputs() + i);
    if (!isa<FloatType>(acc.getType()))
      continue;
    auto add = yielded.getDefiningOp<arith::AddFOp>();
    if (!add || (add.getLhs() != acc && add.getRhs() != acc)) {
      all = false;
      continue;
    }
    add.setFastmath(add.getFastmath() | arith::FastMathFlags::reassoc);
  }
  return all;
}

/// Chooses the distribution of `op`, or nothing when it has no parallel
/// loop to split.
std::optional<Plan> planTiles(linalg::LinalgOp op, const CpuTargetInfo &t,
                              bool reassociated) {
  int64_t numLoops = op.getNumLoops();
  if (numLoops == 0)
    return std::nullopt;
  SmallVector<utils::IteratorType> iters = op.getIteratorTypesArray();
  int64_t leading = 0;
  while (leading < numLoops && iters[leading] == utils::IteratorType::parallel)
    ++leading;
  // The innermost loop stays whole (contiguous, vectorizable) unless it is
  // the only one.
  int64_t distributed = std::min(leading, std::max<int64_t>(numLoops - 1, 1));
  if (distributed == 0)
    return std::nullopt;

  SmallVector<int64_t> ranges = op.getStaticLoopRanges();
  // An op with an empty static loop does no work (and would divide by zero
  // below).
  if (llvm::is_contained(ranges, 0))
    return std::nullopt;
  auto extent = [&](int64_t d) {
    return ShapedType::isDynamic(ranges[d]) ? kAssumedDynamicExtent
                                            : ranges[d];
  };

  // Per point: element bytes moved and arithmetic ops.
  int64_t bytesPerPoint = 0, maxElementBytes = 1;
  for (OpOperand &operand : op->getOpOperands()) {
    Type element = getElementTypeOrSelf(operand.get().getType());
    int64_t bytes = std::max<int64_t>(1, element.getIntOrFloatBitWidth() / 8);
    if (!element.isIntOrFloat())
      bytes = 8;
    bytesPerPoint += bytes;
    maxElementBytes = std::max(maxElementBytes, bytes);
  }
  int64_t opsPerPoint = 1;
  if (auto generic = dyn_cast<linalg::GenericOp>(op.getOperation()))
    opsPerPoint = std::max<int64_t>(
        1, static_cast<int64_t>(generic.getBody()->getOperations().size()) - 1);
  // LLVM keeps floating-point reductions in order unless their combiner
  // may be reassociated (see reassociateReductions); in order they are
  // scalar.
  bool scalarReduction =
      leading < numLoops && !reassociated &&
      llvm::any_of(op->getResultTypes(), [](Type type) {
        return isa<FloatType>(getElementTypeOrSelf(type));
      });
  int64_t lanes = scalarReduction ? 1 : t.vectorLanes(maxElementBytes);
  // Cycles per point, in 1/64ths to keep small costs apart.
  int64_t costPerPoint64 =
      std::max<int64_t>(1, opsPerPoint * 64 / lanes +
                               bytesPerPoint * 64 / kBytesPerCycle);

  int64_t innerPoints = 1;
  for (int64_t d = distributed; d < numLoops; ++d)
    innerPoints *= extent(d);

  // The last distributed loop gets enough points for the vector unit, but
  // a tile's operands fit in half of L1.
  int64_t last = distributed - 1;
  int64_t minPoints = kMinVectorItersPerTile * lanes;
  int64_t tile = llvm::divideCeil(minPoints, innerPoints);
  int64_t l1Tile = (t.l1Bytes / 2) / std::max<int64_t>(1, innerPoints * bytesPerPoint);
  tile = std::max<int64_t>(1, std::min(tile, std::max<int64_t>(1, l1Tile)));
  if (!ShapedType::isDynamic(ranges[last]))
    tile = std::min(tile, std::max<int64_t>(1, ranges[last]));

  Plan plan;
  plan.tileSizes.assign(numLoops, 0);
  for (int64_t d = 0; d < last; ++d)
    plan.tileSizes[d] = 1;
  plan.tileSizes[last] = tile;

  int64_t cyclesPerIter64 = tile * innerPoints * costPerPoint64;
  plan.minParallelIterations = std::max<int64_t>(
      2, llvm::divideCeil(kDispatchAmortization * t.dispatchCycles * 64,
                          cyclesPerIter64));
  return plan;
}

struct TsrCpuTileAndDistributePass
    : impl::TsrCpuTileAndDistributePassBase<TsrCpuTileAndDistributePass> {
  using Base::Base;

  void runOnOperation() override {
    func::FuncOp fn = getOperation();
    CpuTargetInfo target = getCpuTargetInfo(cpu);

    SmallVector<linalg::LinalgOp> candidates;
    fn.walk([&](linalg::LinalgOp op) {
      if (op.hasPureTensorSemantics() && op->getNumResults() > 0 &&
          !op->getParentOfType<scf::ForallOp>() &&
          isa<TilingInterface>(op.getOperation()))
        candidates.push_back(op);
    });

    IRRewriter rewriter(&getContext());
    for (linalg::LinalgOp op : candidates) {
      bool reassociated = reassociate && reassociateReductions(op);
      std::optional<Plan> plan = planTiles(op, target, reassociated);
      if (!plan)
        continue;
      rewriter.setInsertionPoint(op);
      scf::SCFTilingOptions options;
      options.setLoopType(scf::SCFTilingOptions::LoopType::ForallOp);
      options.setTileSizes(getAsIndexOpFoldResult(&getContext(), plan->tileSizes));
      FailureOr<scf::SCFTilingResult> tiled = scf::tileUsingSCF(
          rewriter, cast<TilingInterface>(op.getOperation()), options);
      if (failed(tiled) || tiled->loops.empty())
        continue;
      auto sizesAttr = rewriter.getDenseI64ArrayAttr(plan->tileSizes);
      Operation *loop = tiled->loops.front().getOperation();
      loop->setAttr(kTileSizesAttr, sizesAttr);
      loop->setAttr(kMinParallelItersAttr,
                    rewriter.getI64IntegerAttr(plan->minParallelIterations));
      for (Operation *t : tiled->tiledOps)
        t->setAttr(kTileSizesAttr, sizesAttr);
      rewriter.replaceOp(op, tiled->replacements);
    }
  }
};

} // namespace

} // namespace tessera
