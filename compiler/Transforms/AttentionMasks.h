//===- AttentionMasks.h - Facts about attention scores and masks -*- C++ -*-===//
//
// What tsr-recompose-attention needs to know about the webs around the
// scores: the bits of constant boolean masks, and which dims are provably
// equal (sizes that came from the same index value).
//
//===----------------------------------------------------------------------===//

#ifndef TESSERA_COMPILER_TRANSFORMS_ATTENTIONMASKS_H
#define TESSERA_COMPILER_TRANSFORMS_ATTENTIONMASKS_H

#include "mlir/IR/Value.h"

#include <optional>
#include <vector>

namespace tessera {

/// The i1 elements of a constant (dense or a resource blob of bytes).
std::optional<std::vector<bool>> boolElements(mlir::Value v);

/// A dim of a tensor: its static size, or for a dynamic one the index
/// value that gave it (an operand of the reshape or broadcast that made it,
/// looked up through transposes), null when unknown.
struct DimRef {
  int64_t size;
  mlir::Value value;
};

DimRef dimRef(mlir::Value t, int64_t d);

/// True if the two dims are provably equal.
bool sameDim(DimRef a, DimRef b);

/// True if `m` is provably `b` · `h`.
bool isProductDim(DimRef m, DimRef b, int64_t h);

} // namespace tessera

#endif // TESSERA_COMPILER_TRANSFORMS_ATTENTIONMASKS_H
