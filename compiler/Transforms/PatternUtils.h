//===- PatternUtils.h - Matchers shared by the tsr graph passes -*- C++ -*-===//
//
// Small predicates the recomposition and fusion patterns use to recognize
// exporter webs: constants of a given value, operands in either order.
//
//===----------------------------------------------------------------------===//

#ifndef TESSERA_COMPILER_TRANSFORMS_PATTERNUTILS_H
#define TESSERA_COMPILER_TRANSFORMS_PATTERNUTILS_H

#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/Value.h"

#include <optional>

namespace tessera {

/// The value of `v` if it is a tsr.constant whose elements all equal one
/// float (a splat or a single element).
std::optional<double> getSplatFloat(mlir::Value v);

/// True if `v` is a splat float constant within `tolerance` of `expected`.
bool isSplatFloat(mlir::Value v, double expected, double tolerance = 1e-4);

/// The dense elements of `v` if it is a tsr.constant.
mlir::ElementsAttr getConstantElements(mlir::Value v);

/// For a commutative binary op with operands (a, b): if `pred(a)` holds,
/// returns {a, b}; if `pred(b)` holds, {b, a}; else std::nullopt.
template <typename Pred>
std::optional<std::pair<mlir::Value, mlir::Value>>
matchEither(mlir::Value a, mlir::Value b, Pred pred) {
  if (pred(a))
    return std::make_pair(a, b);
  if (pred(b))
    return std::make_pair(b, a);
  return std::nullopt;
}

} // namespace tessera

#endif // TESSERA_COMPILER_TRANSFORMS_PATTERNUTILS_H
