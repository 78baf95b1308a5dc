//===- AttentionMasks.cpp - Facts about attention scores and masks --------===//
//
// Constant masks and dim equalities for tsr-recompose-attention (see
// AttentionMasks.h).
//
//===----------------------------------------------------------------------===//

#include "compiler/Transforms/AttentionMasks.h"
#include "compiler/Transforms/PatternUtils.h"
#include "dialects/tsr/IR/TsrDialect.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/IR/DialectResourceBlobManager.h"

using namespace mlir;

namespace tessera {

/// The i1 elements of a constant (dense or a resource blob of bytes).
std::optional<std::vector<bool>> boolElements(Value v) {
  ElementsAttr value = getConstantElements(v);
  if (!value || !value.getElementType().isInteger(1))
    return std::nullopt;
  std::vector<bool> out;
  if (auto dense = dyn_cast<DenseElementsAttr>(value)) {
    for (bool b : dense.getValues<bool>())
      out.push_back(b);
    return out;
  }
  if (auto resource = dyn_cast<DenseResourceElementsAttr>(value)) {
    AsmResourceBlob *blob = resource.getRawHandle().getBlob();
    if (!blob ||
        blob->getData().size() != static_cast<size_t>(value.getNumElements()))
      return std::nullopt;
    for (char c : blob->getData())
      out.push_back(c != 0);
    return out;
  }
  return std::nullopt;
}

DimRef dimRef(Value t, int64_t d) {
  auto type = cast<RankedTensorType>(t.getType());
  if (!type.isDynamicDim(d))
    return {type.getDimSize(d), Value()};
  if (auto tr = t.getDefiningOp<tsr::TransposeOp>())
    return dimRef(tr.getInput(), tr.getPermutation()[d]);
  // Reshape and broadcast take each dynamic result size as an operand.
  unsigned pos = 0;
  for (int64_t i = 0; i < d; ++i)
    pos += type.isDynamicDim(i);
  if (auto r = t.getDefiningOp<tsr::ReshapeOp>())
    return {ShapedType::kDynamic, r.getDynamicDims()[pos]};
  if (auto b = t.getDefiningOp<tsr::BroadcastOp>())
    return {ShapedType::kDynamic, b.getDynamicDims()[pos]};
  return {ShapedType::kDynamic, Value()};
}

/// True if the two dims are provably equal.
bool sameDim(DimRef a, DimRef b) {
  if (!ShapedType::isDynamic(a.size) || !ShapedType::isDynamic(b.size))
    return a.size == b.size;
  return a.value && a.value == b.value;
}

/// True if `m` is provably `b` · `h`.
bool isProductDim(DimRef m, DimRef b, int64_t h) {
  if (!ShapedType::isDynamic(m.size))
    return !ShapedType::isDynamic(b.size) && m.size == b.size * h;
  auto mul = m.value ? m.value.getDefiningOp<arith::MulIOp>() : nullptr;
  if (!mul)
    return false;
  for (auto [x, c] : {std::pair(mul.getLhs(), mul.getRhs()),
                      std::pair(mul.getRhs(), mul.getLhs())})
    if (getConstantIntValue(c) == h &&
        sameDim({ShapedType::kDynamic, x}, b))
      return true;
  return false;
}

} // namespace tessera
