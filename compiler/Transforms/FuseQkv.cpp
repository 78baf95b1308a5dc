//===- FuseQkv.cpp - Linears sharing an input become one wider linear -----===//
//
// Implements tsr-fuse-qkv (see Passes.td for the rationale). The fused
// weight and bias are new resource blobs concatenated along N at compile
// time; the blobs of the weights they replace are freed once nothing
// references them, so a model's weights are not held twice.
//
//===----------------------------------------------------------------------===//

#include "compiler/Transforms/LinearWeights.h"
#include "compiler/Transforms/Passes.h"
#include "compiler/Transforms/PatternUtils.h"
#include "dialects/tsr/IR/TsrDialect.h"

#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "compiler/Transforms/ResourceBlobs.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "llvm/ADT/MapVector.h"
#include "llvm/ADT/SetVector.h"

#include <cstring>
#include <type_traits>

using namespace mlir;

namespace tessera {

#define GEN_PASS_DEF_TSRFUSEQKVPASS
#include "compiler/Transforms/Passes.h.inc"

namespace {

/// Copies the `[n, k]` weight of `s` into rows [row, row + n) of the
/// `[N, k]` row-major `dst`.
template <int64_t EB>
void copyRows(const char *src, char *dst, int64_t n, int64_t k, int64_t row,
              bool transposed) {
  dst += row * k * EB;
  if (!transposed) {
    std::memcpy(dst, src, n * k * EB);
    return;
  }
  // src is [k, n]: blocks keep both sides of the transpose in cache.
  constexpr int64_t kBlock = 64;
  for (int64_t r0 = 0; r0 < n; r0 += kBlock)
    for (int64_t c0 = 0; c0 < k; c0 += kBlock)
      for (int64_t r = r0; r < std::min(n, r0 + kBlock); ++r)
        for (int64_t c = c0; c < std::min(k, c0 + kBlock); ++c)
          std::memcpy(dst + (r * k + c) * EB, src + (c * n + r) * EB, EB);
}

void copyRows(int64_t eb, const char *src, char *dst, int64_t n, int64_t k,
              int64_t row, bool transposed) {
  switch (eb) {
  case 1: return copyRows<1>(src, dst, n, k, row, transposed);
  case 2: return copyRows<2>(src, dst, n, k, row, transposed);
  case 4: return copyRows<4>(src, dst, n, k, row, transposed);
  case 8: return copyRows<8>(src, dst, n, k, row, transposed);
  }
  llvm_unreachable("element size checked by the caller");
}

struct TsrFuseQkvPass : impl::TsrFuseQkvPassBase<TsrFuseQkvPass> {
  ResourceBlobUses blobUses;

  void runOnOperation() override {
    blobUses.count(getOperation());
    for (auto func : getOperation().getOps<func::FuncOp>()) {
      // Candidates grouped by (input, epilogue, block), in program order.
      using Key = std::tuple<Value, unsigned, Block *>;
      llvm::MapVector<Key, SmallVector<tsr::LinearOp>> groups;
      func.walk([&](tsr::LinearOp op) {
        if (isCandidate(op))
          groups[{op.getInput(), static_cast<unsigned>(op.getEpilogue()),
                  op->getBlock()}]
              .push_back(op);
      });
      for (auto &entry : groups)
        if (entry.second.size() >= 2)
          fuse(ArrayRef<tsr::LinearOp>(entry.second));
      // The int8 linears of already-quantized models
      // (tsr-fold-quantized-matmuls) that read one input with one
      // activation quantization.
      using QKey = std::tuple<Value, unsigned, Block *, unsigned, Attribute,
                              Attribute>;
      llvm::MapVector<QKey, SmallVector<tsr::QuantizedLinearOp>> qgroups;
      func.walk([&](tsr::QuantizedLinearOp op) {
        if (isCandidate(op))
          qgroups[{op.getInput(), static_cast<unsigned>(op.getEpilogue()),
                   op->getBlock(), static_cast<unsigned>(op.getInputQuant()),
                   op.getInputScaleAttr(), op.getInputZeroPointAttr()}]
              .push_back(op);
      });
      for (auto &entry : qgroups)
        if (entry.second.size() >= 2)
          fuse(ArrayRef<tsr::QuantizedLinearOp>(entry.second));
    }
  }

  /// An unpacked quantized linear with constant [N, K] int8 values, scales
  /// (and bias) and a static N.
  static bool isCandidate(tsr::QuantizedLinearOp op) {
    if (op.getWeightPacked() || op.getWeightSums() || op.getInputSmooth())
      return false;
    int64_t n = op.getType().getShape().back();
    int64_t k = op.getInput().getType().getShape().back();
    ElementsAttr w = getConstantElements(op.getWeight());
    if (!w || ShapedType::isDynamic(n) || ShapedType::isDynamic(k) ||
        w.getShapedType().getShape() != ArrayRef<int64_t>{n, k} ||
        !getConstantElements(op.getWeightScale()))
      return false;
    Value bias = op.getBias();
    return !bias || getConstantElements(bias);
  }

  /// An unpacked linear with a constant weight (and bias) and a static N.
  static bool isCandidate(tsr::LinearOp op) {
    if (op.getWeightPacked())
      return false;
    auto type = op.getType();
    auto inType = cast<RankedTensorType>(op.getInput().getType());
    int64_t n = type.getShape().back();
    int64_t k = inType.getShape().back();
    std::optional<WeightSource> w = getWeightSource(op.getWeight());
    if (!w || ShapedType::isDynamic(n) || ShapedType::isDynamic(k) ||
        !elementBytes(type.getElementType()) ||
        w->value.getElementType() != type.getElementType())
      return false;
    ArrayRef<int64_t> ws = w->value.getShapedType().getShape();
    if (ws[w->transposed ? 1 : 0] != n || ws[w->transposed ? 0 : 1] != k)
      return false;
    if (Value bias = op.getBias()) {
      ElementsAttr b = getConstantElements(bias);
      if (!b || b.getShapedType().getRank() != 1 ||
          b.getShapedType().getDimSize(0) != n ||
          b.getElementType() != type.getElementType())
        return false;
    }
    return true;
  }

  /// A name for the fused constant from those of the parts.
  static std::string fusedName(ArrayRef<Operation *> parts,
                               StringRef fallback) {
    std::string name;
    for (Operation *op : parts) {
      auto attr = op ? op->getAttrOfType<StringAttr>(tsr::kConstantNameAttr)
                     : StringAttr();
      if (!attr)
        return fallback.str();
      name += (name.empty() ? "" : "+") + attr.str();
    }
    return name;
  }

  /// Where part `op`'s [n] vector operand `v` (bias or scales) comes from:
  /// its bytes, appended to `blob` at element `row`.
  static bool copyVector(Value v, int64_t n, int64_t eb, int64_t row,
                         AsmResourceBlob &blob,
                         SmallVectorImpl<Operation *> &parts) {
    std::vector<char> storage;
    ArrayRef<char> b = constantBytes(getConstantElements(v), storage);
    if (b.empty() && n != 0)
      return false;
    std::memcpy(blob.getMutableData().data() + row * eb, b.data(), n * eb);
    parts.push_back(v.getDefiningOp());
    return true;
  }

  template <typename LinearOpTy> void fuse(ArrayRef<LinearOpTy> linears) {
    constexpr bool quantized =
        std::is_same_v<LinearOpTy, tsr::QuantizedLinearOp>;
    // All parts are in one block; the first one in program order is where
    // the fused op goes (the shared input dominates it).
    LinearOpTy first = linears.front();
    for (LinearOpTy op : linears)
      if (op->isBeforeInBlock(first))
        first = op;
    RankedTensorType type = first.getType();
    Type elementType = type.getElementType();
    Type weightType =
        cast<RankedTensorType>(first.getWeight().getType()).getElementType();
    if (!quantized)
      weightType = elementType;
    int64_t eb = elementBytes(elementType), web = elementBytes(weightType);
    int64_t k =
        cast<RankedTensorType>(first.getInput().getType()).getShape().back();
    int64_t total = 0;
    bool anyBias = false;
    for (LinearOpTy op : linears) {
      total += op.getType().getShape().back();
      anyBias |= static_cast<bool>(op.getBias());
      // Same input, so the same leading dims; checked for safety.
      if (op.getType().getShape().drop_back() != type.getShape().drop_back())
        return;
    }

    auto weightBlob = HeapAsmResourceBlob::allocate(total * k * web, 64);
    auto biasBlob =
        anyBias ? HeapAsmResourceBlob::allocate(total * eb, 64) : AsmResourceBlob();
    auto scaleBlob =
        quantized ? HeapAsmResourceBlob::allocate(total * 4, 64) : AsmResourceBlob();
    if (anyBias)
      std::memset(biasBlob.getMutableData().data(), 0, total * eb);
    SmallVector<Operation *> weightParts, biasParts, scaleParts;
    int64_t row = 0;
    for (LinearOpTy op : linears) {
      int64_t n = op.getType().getShape().back();
      WeightSource w;
      if constexpr (quantized) {
        w.value = getConstantElements(op.getWeight());
        w.constant = op.getWeight().getDefiningOp();
        if (!copyVector(op.getWeightScale(), n, 4, row, scaleBlob, scaleParts))
          return;
      } else {
        w = *getWeightSource(op.getWeight());
      }
      std::vector<char> storage;
      ArrayRef<char> bytes = constantBytes(w.value, storage);
      if (bytes.empty() && n * k != 0)
        return;
      copyRows(web, bytes.data(), weightBlob.getMutableData().data(), n, k,
               row, w.transposed);
      weightParts.push_back(w.constant);
      if (Value bias = op.getBias())
        if (!copyVector(bias, n, eb, row, biasBlob, biasParts))
          return;
      row += n;
    }

    OpBuilder b(first);
    Location loc = b.getFusedLoc(llvm::map_to_vector(
        linears, [](LinearOpTy op) { return op.getLoc(); }));
    auto makeConstant = [&](RankedTensorType t, std::string name,
                            AsmResourceBlob blob, bool named) {
      auto c = tsr::ConstantOp::create(
          b, loc, DenseResourceElementsAttr::get(t, name, std::move(blob)));
      if (named)
        c->setAttr(tsr::kConstantNameAttr, b.getStringAttr(name));
      return c;
    };
    std::string weightName = fusedName(weightParts, "");
    auto weight = makeConstant(RankedTensorType::get({total, k}, weightType),
                               weightName.empty() ? "fused_weight" : weightName,
                               std::move(weightBlob), !weightName.empty());
    Value bias;
    if (anyBias) {
      std::string biasName = fusedName(biasParts, "");
      bias = makeConstant(RankedTensorType::get({total}, elementType),
                          biasName.empty() ? "fused_bias" : biasName,
                          std::move(biasBlob), !biasName.empty());
    }
    SmallVector<int64_t> fusedShape(type.getShape());
    fusedShape.back() = total;
    auto fusedType = RankedTensorType::get(fusedShape, elementType);
    Value fused;
    if constexpr (quantized) {
      std::string scaleName = fusedName(scaleParts, "");
      Value scales = makeConstant(
          RankedTensorType::get({total}, b.getF32Type()),
          scaleName.empty() ? "fused_scale" : scaleName, std::move(scaleBlob),
          !scaleName.empty());
      fused = tsr::QuantizedLinearOp::create(
          b, loc, fusedType, first.getInput(), weight, scales, bias,
          /*weight_sums=*/Value(), /*input_smooth=*/Value(),
          first.getEpilogueAttr(),
          /*weight_packed=*/nullptr, first.getInputQuantAttr(),
          first.getInputScaleAttr(), first.getInputZeroPointAttr());
    } else {
      fused = tsr::LinearOp::create(b, loc, fusedType, first.getInput(),
                                    weight, bias, first.getEpilogue(), false);
    }

    // Each part is a slice of the fused result along N.
    SmallVector<Value> dynamicSizes;
    for (int64_t d = 0; d < type.getRank(); ++d)
      if (type.isDynamicDim(d))
        dynamicSizes.push_back(tensor::DimOp::create(b, loc, fused, d));
    SmallVector<int64_t> steps(type.getRank(), 1);
    int64_t offset = 0;
    for (LinearOpTy op : linears) {
      SmallVector<int64_t> offsets(type.getRank(), 0);
      offsets.back() = offset;
      offset += op.getType().getShape().back();
      auto slice = tsr::SliceOp::create(
          b, op.getLoc(), op.getType(), fused, ValueRange(), dynamicSizes,
          b.getDenseI64ArrayAttr(offsets), b.getDenseI64ArrayAttr(steps));
      op.getResult().replaceAllUsesWith(slice.getResult());
    }

    // The parts, then their weights (and the constants under transposed
    // ones) and biases once nothing uses them.
    llvm::SetVector<Operation *> maybeDead;
    for (LinearOpTy op : linears) {
      Value scales;
      if constexpr (quantized)
        scales = op.getWeightScale();
      for (Value v : {Value(op.getWeight()), Value(op.getBias()), scales}) {
        Operation *def = v ? v.getDefiningOp() : nullptr;
        if (!def)
          continue;
        maybeDead.insert(def);
        if (isa<tsr::TransposeOp>(def))
          if (Operation *c = def->getOperand(0).getDefiningOp())
            maybeDead.insert(c);
      }
      op->erase();
    }
    SmallVector<Operation *> pending(maybeDead.begin(), maybeDead.end());
    for (bool changed = true; changed;) {
      changed = false;
      for (Operation *&op : pending)
        if (op && op->use_empty()) {
          blobUses.eraseOp(op);
          op = nullptr;
          changed = true;
        }
    }
  }
};

} // namespace
} // namespace tessera
