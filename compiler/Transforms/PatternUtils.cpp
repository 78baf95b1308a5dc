//===- PatternUtils.cpp - Matchers shared by the tsr graph passes ---------===//
//
// Implements the constant matchers of PatternUtils.h.
//
//===----------------------------------------------------------------------===//

#include "compiler/Transforms/PatternUtils.h"

#include "dialects/tsr/IR/TsrDialect.h"

#include <cmath>

using namespace mlir;

namespace tessera {

ElementsAttr getConstantElements(Value v) {
  auto c = v.getDefiningOp<tsr::ConstantOp>();
  return c ? c.getValue() : ElementsAttr();
}

std::optional<double> getSplatFloat(Value v) {
  auto dense = dyn_cast_or_null<DenseElementsAttr>(getConstantElements(v));
  if (!dense || !isa<FloatType>(dense.getElementType()))
    return std::nullopt;
  if (!dense.isSplat() && dense.getNumElements() != 1)
    return std::nullopt;
  return (*dense.getValues<APFloat>().begin()).convertToDouble();
}

bool isSplatFloat(Value v, double expected, double tolerance) {
  std::optional<double> f = getSplatFloat(v);
  return f && std::abs(*f - expected) <= tolerance * std::abs(expected);
}

} // namespace tessera
