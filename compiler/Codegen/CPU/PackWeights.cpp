//===- PackWeights.cpp - Constant linear weights in panel layout ----------===//
//
// Implements tsr-pack-weights (see Passes.td for the rationale): f32
// linear weights into the SGEMM kernel's panels, int8 quantized weights
// into the int8 kernel's panels with their column sums, 4-bit and bf16
// weights into theirs.
//
//===----------------------------------------------------------------------===//

#include "compiler/Codegen/CPU/Passes.h"
#include "compiler/Transforms/PatternUtils.h"
#include "dialects/tsr/IR/TsrDialect.h"

#include "compiler/Transforms/LinearWeights.h"
#include "compiler/Transforms/ResourceBlobs.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "tessera/pack.h"

#include <algorithm>
#include <cstring>

using namespace mlir;

namespace tessera {

#define GEN_PASS_DEF_TSRPACKWEIGHTSPASS
#include "compiler/Codegen/CPU/Passes.h.inc"

namespace {

/// The f32 elements of a constant, row-major; empty if unavailable.
std::vector<float> readFloats(ElementsAttr value) {
  std::vector<float> out;
  if (!value.getElementType().isF32())
    return out;
  if (auto resource = dyn_cast<DenseResourceElementsAttr>(value)) {
    AsmResourceBlob *blob = resource.getRawHandle().getBlob();
    if (!blob)
      return out;
    ArrayRef<char> bytes = blob->getData();
    if (bytes.size() != value.getNumElements() * sizeof(float))
      return out;
    out.resize(value.getNumElements());
    std::memcpy(out.data(), bytes.data(), bytes.size());
    return out;
  }
  if (auto dense = dyn_cast<DenseElementsAttr>(value)) {
    out.reserve(value.getNumElements());
    if (dense.isSplat())
      out.assign(value.getNumElements(), dense.getSplatValue<float>());
    else
      for (float f : dense.getValues<float>())
        out.push_back(f);
  }
  return out;
}

struct TsrPackWeightsPass : impl::TsrPackWeightsPassBase<TsrPackWeightsPass> {
  ResourceBlobUses blobUses;

  void runOnOperation() override {
    OpBuilder b(&getContext());
    blobUses.count(getOperation());
    // One packed copy per (weight, transposed), even when tied weights feed
    // several linears.
    DenseMap<std::pair<Attribute, unsigned>, tsr::ConstantOp> packedCache;
    getOperation().walk([&](tsr::LinearOp op) {
      if (op.getWeightPacked() || !op.getType().getElementType().isF32())
        return;
      // B(k, n) of the GEMM is weight[n, k], or c[k, n] under a transpose.
      Value w = op.getWeight();
      ElementsAttr value;
      bool transposed = false;
      Operation *source = w.getDefiningOp();
      if (auto t = w.getDefiningOp<tsr::TransposeOp>()) {
        // [1, 0] means the constant is stored [K, N]; [0, 1] is a no-op.
        value = getConstantElements(t.getInput());
        transposed = t.getPermutation()[0] == 1;
        source = t.getInput().getDefiningOp();
      } else {
        value = getConstantElements(w);
      }
      if (!value || value.getShapedType().getRank() != 2)
        return;
      auto cached = packedCache.find({value, transposed ? 1u : 0u});
      if (cached != packedCache.end() &&
          cached->second->getBlock() == op->getBlock() &&
          cached->second->isBeforeInBlock(op)) {
        op.getWeightMutable().assign(cached->second);
        op.setWeightPacked(true);
        blobUses.eraseIfUnused(w);
        return;
      }
      ArrayRef<int64_t> shape = value.getShapedType().getShape();
      int64_t n = transposed ? shape[1] : shape[0];
      int64_t k = transposed ? shape[0] : shape[1];
      std::vector<float> data = readFloats(value);
      if (data.empty() && n * k != 0)
        return;
      int64_t panels = (n + tsr::kPackedPanelWidth - 1) / tsr::kPackedPanelWidth;
      auto blob = HeapAsmResourceBlob::allocate(
          tsr_packed_b_size(k, n) * sizeof(float), alignof(float));
      auto *packed = reinterpret_cast<float *>(blob.getMutableData().data());
      if (transposed)
        tsr_pack_b_panels(data.data(), k, n, /*row_stride=*/n,
                          /*col_stride=*/1, packed);
      else
        tsr_pack_b_panels(data.data(), k, n, /*row_stride=*/1,
                          /*col_stride=*/k, packed);

      std::string name = "weight";
      if (auto attr = source->getAttrOfType<StringAttr>(tsr::kConstantNameAttr))
        name = attr.str();
      auto type = RankedTensorType::get({panels, k, tsr::kPackedPanelWidth},
                                        b.getF32Type());
      b.setInsertionPoint(op);
      auto constant = cast<tsr::ConstantOp>(createBlobConstant(
          b, op.getLoc(), type, name + ".packed", name, std::move(blob)));
      op.getWeightMutable().assign(constant);
      op.setWeightPacked(true);
      packedCache[{value, transposed ? 1u : 0u}] = constant;
      blobUses.eraseIfUnused(w);
    });
    getOperation().walk(
        [&](tsr::QuantizedLinearOp op) { packQuantized(op, b); });
    getOperation().walk([&](tsr::W4LinearOp op) { packW4(op, b); });
    DenseMap<Operation *, Value> bf16Cache;
    getOperation().walk(
        [&](tsr::Bf16LinearOp op) { packBf16(op, b, bf16Cache); });
  }

  /// A bf16 linear's [N, K] weight in the bf16 kernels' layout
  /// (tsr_pack_bf16_panels); tied weights are packed once.
  void packBf16(tsr::Bf16LinearOp op, OpBuilder &b,
                DenseMap<Operation *, Value> &done) {
    if (op.getWeightPacked())
      return;
    Value w = op.getWeight();
    Operation *source = w.getDefiningOp();
    Value packed = source ? done.lookup(source) : Value();
    if (!packed || packed.getParentBlock() != op->getBlock() ||
        !packed.getDefiningOp()->isBeforeInBlock(op)) {
      ElementsAttr value = getConstantElements(w);
      if (!value)
        return;
      std::vector<char> storage;
      ArrayRef<char> bytes = constantBytes(value, storage);
      ArrayRef<int64_t> shape = value.getShapedType().getShape();
      int64_t n = shape[0], k = shape[1];
      if (bytes.empty() && n * k != 0)
        return;
      auto blob = HeapAsmResourceBlob::allocate(
          tsr_packed_bf16_size(k, n) * sizeof(uint16_t), alignof(int64_t));
      tsr_pack_bf16_panels(
          reinterpret_cast<const uint16_t *>(bytes.data()), k, n,
          /*row_stride=*/1, /*col_stride=*/k,
          reinterpret_cast<uint16_t *>(blob.getMutableData().data()));
      std::string name = "weight";
      if (auto attr = source->getAttrOfType<StringAttr>(tsr::kConstantNameAttr))
        name = attr.str();
      int64_t panels =
          (n + tsr::kPackedPanelWidth - 1) / tsr::kPackedPanelWidth;
      int64_t rows = (k + tsr::kBf16KGroup - 1) / tsr::kBf16KGroup;
      b.setInsertionPoint(op);
      packed = createBlobConstant(
                   b, op.getLoc(),
                   RankedTensorType::get({panels, rows, tsr::kBf16RowElements},
                                         b.getBF16Type()),
                   name + ".packed", name, std::move(blob))
                   ->getResult(0);
      done[source] = packed;
    }
    op.getWeightMutable().assign(packed);
    op.setWeightPacked(true);
    blobUses.eraseIfUnused(w);
  }

  /// A constant [groups, N] parameter (f32 or f16) of a 4-bit linear in the
  /// kernels' panel-major layout [ceil(N / 16), groups, 16], zero past N.
  Value packParams(OpBuilder &b, Location loc, Value v) {
    ElementsAttr value = getConstantElements(v);
    if (!value)
      return Value();
    ArrayRef<int64_t> shape = value.getShapedType().getShape();
    int64_t groups = shape[0], n = shape[1];
    int64_t width = tsr::kPackedPanelWidth, panels = (n + width - 1) / width;
    Type elementType = value.getElementType();
    int64_t eb = elementType.isF16() ? 2 : 4;
    std::vector<char> storage;
    ArrayRef<char> bytes = constantBytes(value, storage);
    if (bytes.empty() && groups * n != 0)
      return Value();
    auto blob = HeapAsmResourceBlob::allocate(panels * groups * width * eb,
                                              alignof(float));
    char *out = blob.getMutableData().data();
    std::fill_n(out, panels * groups * width * eb, 0);
    for (int64_t g = 0; g < groups; ++g)
      for (int64_t j = 0; j < n; ++j)
        std::memcpy(out + (((j / width) * groups + g) * width + j % width) * eb,
                    bytes.data() + (g * n + j) * eb, eb);
    std::string name = "param";
    if (auto attr =
            v.getDefiningOp()->getAttrOfType<StringAttr>(tsr::kConstantNameAttr))
      name = attr.str();
    return createBlobConstant(
               b, loc,
               RankedTensorType::get({panels, groups, width}, elementType),
               name + ".packed", name, std::move(blob))
        ->getResult(0);
  }

  /// A 4-bit linear's [N, K] values (one per byte) in the kernels' layout,
  /// two per byte (tsr_pack_w4_panels), and its scales and zero points
  /// panel-major (packParams).
  void packW4(tsr::W4LinearOp op, OpBuilder &b) {
    if (op.getWeightPacked())
      return;
    Value w = op.getWeight();
    ElementsAttr value = getConstantElements(w);
    if (!value)
      return;
    std::vector<char> storage;
    ArrayRef<char> bytes = constantBytes(value, storage);
    ArrayRef<int64_t> shape = value.getShapedType().getShape();
    int64_t n = shape[0], k = shape[1];
    if (bytes.empty() && n * k != 0)
      return;
    int64_t panels = (n + tsr::kPackedPanelWidth - 1) / tsr::kPackedPanelWidth;
    b.setInsertionPoint(op);
    Value scale = packParams(b, op.getLoc(), op.getScale());
    Value zero = op.getZeroPoint()
                     ? packParams(b, op.getLoc(), op.getZeroPoint())
                     : Value();
    if (!scale || (op.getZeroPoint() && !zero))
      return;
    auto blob = HeapAsmResourceBlob::allocate(tsr_packed_w4_size(k, n),
                                              alignof(int64_t));
    tsr_pack_w4_panels(reinterpret_cast<const uint8_t *>(bytes.data()), k, n,
                       /*row_stride=*/1, /*col_stride=*/k,
                       reinterpret_cast<uint8_t *>(blob.getMutableData().data()));
    std::string name = "weight";
    if (auto attr =
            w.getDefiningOp()->getAttrOfType<StringAttr>(tsr::kConstantNameAttr))
      name = attr.str();
    Operation *packed = createBlobConstant(
        b, op.getLoc(),
        RankedTensorType::get({panels, k / 2, tsr::kPackedPanelWidth},
                              b.getIntegerType(8, /*isSigned=*/false)),
        name + ".packed", name, std::move(blob));
    Value oldScale = op.getScale(), oldZero = op.getZeroPoint();
    op.getWeightMutable().assign(packed->getResult(0));
    op.getScaleMutable().assign(scale);
    if (zero)
      op.getZeroPointMutable().assign(zero);
    op.setWeightPacked(true);
    blobUses.eraseIfUnused(w);
    blobUses.eraseIfUnused(oldScale);
    if (oldZero)
      blobUses.eraseIfUnused(oldZero);
  }

  /// A quantized linear's [N, K] int8 weight in the int8 kernels' layout,
  /// with its column sums (tsr_pack_qb_panels: the same bytes the runtime's
  /// tests pack).
  void packQuantized(tsr::QuantizedLinearOp op, OpBuilder &b) {
    if (op.getWeightPacked())
      return;
    Value w = op.getWeight();
    ElementsAttr value = getConstantElements(w);
    if (!value)
      return;
    std::vector<char> storage;
    ArrayRef<char> bytes = constantBytes(value, storage);
    ArrayRef<int64_t> shape = value.getShapedType().getShape();
    int64_t n = shape[0], k = shape[1];
    if (bytes.empty() && n * k != 0)
      return;
    auto blob = HeapAsmResourceBlob::allocate(tsr_packed_qb_size(k, n),
                                              alignof(int64_t));
    auto sums = HeapAsmResourceBlob::allocate(n * sizeof(int32_t),
                                              alignof(int32_t));
    tsr_pack_qb_panels(reinterpret_cast<const int8_t *>(bytes.data()), k, n,
                       /*row_stride=*/1, /*col_stride=*/k,
                       reinterpret_cast<int8_t *>(blob.getMutableData().data()),
                       reinterpret_cast<int32_t *>(sums.getMutableData().data()));
    std::string name = "weight";
    if (auto attr =
            w.getDefiningOp()->getAttrOfType<StringAttr>(tsr::kConstantNameAttr))
      name = attr.str();
    int64_t panels = (n + tsr::kPackedPanelWidth - 1) / tsr::kPackedPanelWidth;
    int64_t groups = (k + tsr::kQuantizedKGroup - 1) / tsr::kQuantizedKGroup;
    b.setInsertionPoint(op);
    Operation *packed = createBlobConstant(
        b, op.getLoc(),
        RankedTensorType::get({panels, groups, tsr::kQuantizedGroupBytes},
                              b.getI8Type()),
        name + ".packed", name, std::move(blob));
    Operation *sumsConstant = createBlobConstant(
        b, op.getLoc(), RankedTensorType::get({n}, b.getI32Type()),
        name + ".sums", name + ".sums", std::move(sums));
    op.getWeightMutable().assign(packed->getResult(0));
    op.getWeightSumsMutable().assign(sumsConstant->getResult(0));
    op.setWeightPacked(true);
    blobUses.eraseIfUnused(w);
  }
};

} // namespace
} // namespace tessera
