//===- TsrShapes.cpp - Shape rules shared by tsr ops ----------------------===//
//
// Implements the broadcasting and matmul shape rules of TsrShapes.h.
//
//===----------------------------------------------------------------------===//

#include "dialects/tsr/IR/TsrShapes.h"

#include "llvm/ADT/STLExtras.h"

#include <string>

using namespace mlir;

std::optional<SmallVector<int64_t>>
tsr::broadcastShapes(ArrayRef<ArrayRef<int64_t>> shapes) {
  size_t rank = 0;
  for (ArrayRef<int64_t> s : shapes)
    rank = std::max(rank, s.size());
  SmallVector<int64_t> result(rank, 1);
  for (ArrayRef<int64_t> s : shapes) {
    size_t lead = rank - s.size();
    for (auto [i, d] : llvm::enumerate(s)) {
      int64_t &r = result[lead + i];
      if (d == 1)
        continue;
      if (r == 1) {
        r = d;
        continue;
      }
      if (ShapedType::isDynamic(d))
        continue;
      if (ShapedType::isDynamic(r)) {
        r = d;
        continue;
      }
      if (r != d)
        return std::nullopt;
    }
  }
  return result;
}

std::optional<SmallVector<int64_t>>
tsr::matmulResultShape(ArrayRef<int64_t> lhs, ArrayRef<int64_t> rhs,
                       bool transposeLhs, bool transposeRhs,
                       std::string *why) {
  if (lhs.size() < 2 || rhs.size() < 2) {
    if (why)
      *why = "operands must have rank >= 2";
    return std::nullopt;
  }
  int64_t m = lhs[lhs.size() - (transposeLhs ? 1 : 2)];
  int64_t kl = lhs[lhs.size() - (transposeLhs ? 2 : 1)];
  int64_t kr = rhs[rhs.size() - (transposeRhs ? 1 : 2)];
  int64_t n = rhs[rhs.size() - (transposeRhs ? 2 : 1)];
  if (!ShapedType::isDynamic(kl) && !ShapedType::isDynamic(kr) && kl != kr) {
    if (why)
      *why = "contraction dims differ: " + std::to_string(kl) + " vs " +
             std::to_string(kr);
    return std::nullopt;
  }
  std::optional<SmallVector<int64_t>> batch =
      broadcastShapes({lhs.drop_back(2), rhs.drop_back(2)});
  if (!batch) {
    if (why)
      *why = "batch dims do not broadcast";
    return std::nullopt;
  }
  SmallVector<int64_t> result = *batch;
  result.push_back(m);
  result.push_back(n);
  return result;
}

bool tsr::areShapesCompatible(ArrayRef<int64_t> a, ArrayRef<int64_t> b) {
  if (a.size() != b.size())
    return false;
  for (auto [x, y] : llvm::zip_equal(a, b))
    if (!ShapedType::isDynamic(x) && !ShapedType::isDynamic(y) && x != y)
      return false;
  return true;
}
