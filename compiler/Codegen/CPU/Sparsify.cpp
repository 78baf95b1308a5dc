//===- Sparsify.cpp - Sparse kernels for weights with enough zeros --------===//
//
// Implements tsr-sparsify (see Passes.td): the analysis of each constant
// f32 linear weight (its zero 16 x 16 blocks and its nonzeros), the cost
// model's choice (SparseCostModel.h), and the packing of the chosen format
// with the runtime's own packers (tessera/pack.h).
//
//===----------------------------------------------------------------------===//

#include "compiler/Codegen/CPU/Passes.h"
#include "compiler/Codegen/CPU/SparseCostModel.h"
#include "compiler/Transforms/LinearWeights.h"
#include "compiler/Transforms/ResourceBlobs.h"
#include "dialects/tsr/IR/TsrAttrNames.h"
#include "dialects/tsr/IR/TsrDialect.h"

#include "mlir/IR/DialectResourceBlobManager.h"
#include "tessera/pack.h"

#include <cstdio>
#include <limits>
#include <cstring>
#include <string>

using namespace mlir;

namespace tessera {

#define GEN_PASS_DEF_TSRSPARSIFYPASS
#include "compiler/Codegen/CPU/Passes.h.inc"

namespace {

/// `x` with `digits` decimals.
std::string fixed(double x, int digits) {
  char buffer[32];
  std::snprintf(buffer, sizeof(buffer), "%.*f", digits, x);
  return buffer;
}

/// The sparse operands of one weight, shared by the linears that read it.
struct SparseWeight {
  tsr::SparseFormat format;
  Value values, indices, offsets;
};

struct TsrSparsifyPass : impl::TsrSparsifyPassBase<TsrSparsifyPass> {
  using Base::Base;

  void runOnOperation() override {
    if (format != "auto" && format != "block16" && format != "csr") {
      getOperation().emitError("unknown sparse format '")
          << format << "' (auto, block16 or csr)";
      return signalPassFailure();
    }
    ResourceBlobUses blobUses;
    blobUses.count(getOperation());
    DenseMap<std::pair<Operation *, unsigned>, SparseWeight> done;
    SmallVector<tsr::LinearOp> linears;
    getOperation().walk([&](tsr::LinearOp op) { linears.push_back(op); });
    for (tsr::LinearOp op : linears) {
      auto in = cast<RankedTensorType>(op.getInput().getType());
      auto out = cast<RankedTensorType>(op.getType());
      if (op.getWeightPacked() || !out.getElementType().isF32() ||
          in.getRank() < 1 || in.isDynamicDim(in.getRank() - 1) ||
          out.isDynamicDim(out.getRank() - 1))
        continue;
      std::optional<WeightSource> w = getWeightSource(op.getWeight());
      if (!w || !w->value.getElementType().isF32())
        continue;
      std::pair<Operation *, unsigned> key = {w->constant,
                                              w->transposed ? 1u : 0u};
      auto it = done.find(key);
      if (it == done.end()) {
        std::optional<SparseWeight> sparse = analyze(op, *w);
        it = done.try_emplace(key, sparse ? *sparse : SparseWeight{}).first;
      }
      if (!it->second.values ||
          it->second.values.getParentBlock() != op->getBlock() ||
          !it->second.values.getDefiningOp()->isBeforeInBlock(op))
        continue;
      OpBuilder b(op);
      const SparseWeight &s = it->second;
      auto sparse = tsr::SparseLinearOp::create(
          b, op.getLoc(), op.getType(), op.getInput(), s.values, s.indices,
          s.offsets, op.getBias(), s.format, op.getEpilogue());
      Value weight = op.getWeight();
      op.getResult().replaceAllUsesWith(sparse.getResult());
      op.erase();
      blobUses.eraseIfUnused(weight);
    }
    // Packed forms no linear could use (made in another block than a
    // linear reading the weight) go again.
    for (auto &[key, sparse] : done)
      for (Value v : {sparse.values, sparse.indices, sparse.offsets})
        if (v && v.use_empty())
          blobUses.eraseOp(v.getDefiningOp());
  }

  /// The weight's sparse form if the cost model prefers it to the dense
  /// kernel (or `format` forces it), with a remark either way.
  std::optional<SparseWeight> analyze(tsr::LinearOp op, const WeightSource &w) {
    ArrayRef<int64_t> shape = w.value.getShapedType().getShape();
    const int64_t n = w.transposed ? shape[1] : shape[0];
    const int64_t k = w.transposed ? shape[0] : shape[1];
    if (n * k == 0 || k > tsr::kSparseMaxK)
      return std::nullopt;
    std::vector<char> storage;
    ArrayRef<char> bytes = constantBytes(w.value, storage);
    if (bytes.empty())
      return std::nullopt;
    const auto *data = reinterpret_cast<const float *>(bytes.data());
    // B = Wᵀ, element (k, n): W[n, k] stored [N, K], or stored [K, N].
    const int64_t rowStride = w.transposed ? n : 1;
    const int64_t colStride = w.transposed ? 1 : k;
    const int64_t nonzeros =
        tsr_sparse_nonzeros(data, k, n, rowStride, colStride);
    std::string name = "weight";
    if (auto attr =
            w.constant->getAttrOfType<StringAttr>(tsr::kConstantNameAttr))
      name = attr.str();
    if (nonzeros == n * k || nonzeros == 0)
      return std::nullopt; // dense; or all zero (left to the dense kernel)
    const int64_t blocks =
        tsr_sparse_block16_count(data, k, n, rowStride, colStride);
    const double blockCost = block16RelativeCost(blocks, n, k);
    const double csrCost = csrRelativeCost(nonzeros, n, k);
    bool useBlocks = format == "block16" ||
                     (format == "auto" && blockCost <= csrCost);
    double cost = useBlocks ? blockCost : csrCost;
    const int64_t panels = (n + tsr::kSparseBlock - 1) / tsr::kSparseBlock;
    const int64_t kBlocks = (k + tsr::kSparseBlock - 1) / tsr::kSparseBlock;
    auto describe = [&](InFlightDiagnostic diag) {
      diag << "'" << name << "' (" << n << " x " << k << "): "
           << fixed(100.0 * nonzeros / double(n * k), 1)
           << "% nonzero, "
           << fixed(100.0 * blocks / double(panels * kBlocks), 1)
           << "% of the 16x16 blocks nonzero";
      return diag;
    };
    if (format == "auto" && cost > maxRelativeCost) {
      describe(op.emitRemark("dense: "))
          << "; the best sparse kernel would take "
          << fixed(cost, 2) << "x the dense time";
      return std::nullopt;
    }

    const int64_t stored = useBlocks ? blocks : nonzeros;
    // The formats' offsets and indices are int32.
    if (stored > std::numeric_limits<int32_t>::max() ||
        n + 1 > std::numeric_limits<int32_t>::max()) {
      op.emitRemark("dense: '")
          << name << "': " << stored
          << " stored elements are more than the sparse formats' int32 "
             "offsets hold";
      return std::nullopt;
    }
    const int64_t valueCount =
        useBlocks ? stored * tsr::kSparseBlock * tsr::kSparseBlock : stored;
    const int64_t offsetCount = useBlocks ? panels + 1 : n + 1;
    auto values = HeapAsmResourceBlob::allocate(valueCount * sizeof(float),
                                                alignof(int64_t));
    auto indices = HeapAsmResourceBlob::allocate(stored * sizeof(int32_t),
                                                 alignof(int64_t));
    auto offsets = HeapAsmResourceBlob::allocate(
        offsetCount * sizeof(int32_t), alignof(int64_t));
    auto *v = reinterpret_cast<float *>(values.getMutableData().data());
    auto *i = reinterpret_cast<int32_t *>(indices.getMutableData().data());
    auto *o = reinterpret_cast<int32_t *>(offsets.getMutableData().data());
    if (useBlocks)
      tsr_pack_sparse_block16(data, k, n, rowStride, colStride, o, i, v);
    else
      tsr_pack_sparse_csr(data, k, n, rowStride, colStride, o, i, v);

    describe(op.emitRemark("sparse: "))
        << "; " << (useBlocks ? "block16" : "csr") << ", expected "
        << fixed(cost, 2) << "x the dense time";

    // Next to the weight, so that every linear reading it sees them.
    OpBuilder b(w.constant);
    b.setInsertionPointAfter(w.constant);
    Location loc = w.constant->getLoc();
    SparseWeight s;
    s.format = useBlocks ? tsr::SparseFormat::block16 : tsr::SparseFormat::csr;
    s.values = createBlobConstant(
                   b, loc, RankedTensorType::get({valueCount}, b.getF32Type()),
                   name + ".values", name + ".values", std::move(values))
                   ->getResult(0);
    s.indices = createBlobConstant(
                    b, loc, RankedTensorType::get({stored}, b.getI32Type()),
                    name + ".indices", name + ".indices", std::move(indices))
                    ->getResult(0);
    s.offsets =
        createBlobConstant(b, loc,
                           RankedTensorType::get({offsetCount}, b.getI32Type()),
                           name + ".offsets", name + ".offsets",
                           std::move(offsets))
            ->getResult(0);
    return s;
  }
};

} // namespace
} // namespace tessera
