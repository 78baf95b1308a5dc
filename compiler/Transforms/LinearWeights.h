//===- LinearWeights.h - Reading a linear's constant weight -----*- C++ -*-===//
//
// What the passes that rewrite constant weights share (Q/K/V fusion, int8
// quantization, panel packing): where a linear's weight comes from, and the
// bytes of a constant whether it is a resource blob, dense storage or a
// splat.
//
//===----------------------------------------------------------------------===//

#ifndef TESSERA_COMPILER_TRANSFORMS_LINEARWEIGHTS_H
#define TESSERA_COMPILER_TRANSFORMS_LINEARWEIGHTS_H

#include "mlir/IR/AsmState.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/Operation.h"
#include "mlir/IR/Value.h"

#include <optional>
#include <vector>

namespace tessera {

/// Bytes per element of a constant's element type; 0 if not a whole number
/// of bytes (i1, i4) or not an int/float.
int64_t elementBytes(mlir::Type t);

/// The row-major bytes of a constant: the resource blob or the dense
/// storage itself, or `storage` filled from a splat. Empty on failure.
llvm::ArrayRef<char> constantBytes(mlir::ElementsAttr value,
                                   std::vector<char> &storage);

/// The elements of a compile-time tensor (tsr.constant) of 8- or 32-bit
/// integers (signed or unsigned) or of f32, in row-major order; nullopt
/// for anything else.
std::optional<llvm::SmallVector<int64_t>> constantIntegers(mlir::Value v);
std::optional<llvm::SmallVector<float>> constantFloats(mlir::Value v);

/// A linear's constant weight: `[N, K]` as is, or a `[K, N]` constant
/// under a `[1, 0]` transpose (`transposed`).
struct WeightSource {
  mlir::ElementsAttr value;
  bool transposed = false;
  mlir::Operation *constant = nullptr;
};

/// Where the weight operand `w` of a tsr.linear comes from, if constant.
std::optional<WeightSource> getWeightSource(mlir::Value w);

/// A tsr.constant holding `blob` (resource key `key`) and named `name`
/// (tsr.name: the weight's name in model.tsr).
mlir::Operation *createBlobConstant(mlir::OpBuilder &b, mlir::Location loc,
                                    mlir::RankedTensorType type,
                                    llvm::StringRef key, llvm::StringRef name,
                                    mlir::AsmResourceBlob blob);

} // namespace tessera

#endif // TESSERA_COMPILER_TRANSFORMS_LINEARWEIGHTS_H
