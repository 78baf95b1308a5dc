//===- Utils.h - Builders shared by the tsr to linalg patterns --*- C++ -*-===//
//
// Broadcasting linalg.generic builders, reductions and shape helpers that
// every op family's lowering uses.
//
//===----------------------------------------------------------------------===//

#ifndef TESSERA_COMPILER_CONVERSION_TSRTOLINALG_UTILS_H
#define TESSERA_COMPILER_CONVERSION_TSRTOLINALG_UTILS_H

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Builders.h"

namespace tessera {

using BodyBuilder = llvm::function_ref<mlir::Value(
    mlir::OpBuilder &, mlir::Location, mlir::ValueRange)>;

/// The indexing map of an operand of type `operand` broadcast (numpy rules)
/// into an iteration space of rank `resultRank`: leading dims align right,
/// and a static size-1 dim facing a non-1 result dim reads index 0.
mlir::AffineMap getBroadcastMap(mlir::MLIRContext *ctx,
                                mlir::RankedTensorType operand,
                                mlir::RankedTensorType result);

/// The sizes of `resultType` where dynamic dims are read off the first
/// operand that carries that dim without broadcasting it.
llvm::SmallVector<mlir::OpFoldResult>
getBroadcastResultSizes(mlir::OpBuilder &b, mlir::Location loc,
                        mlir::RankedTensorType resultType,
                        mlir::ValueRange operands);

/// `tensor.empty` of `type` with `sizes` (one per dim).
mlir::Value createEmpty(mlir::OpBuilder &b, mlir::Location loc,
                        mlir::RankedTensorType type,
                        llvm::ArrayRef<mlir::OpFoldResult> sizes);

/// An all-parallel linalg.generic producing `resultType` from broadcast
/// `operands`; `body` maps the scalar operands to the scalar result.
/// Unsigned integers (ui8..ui64, how the importer marks ONNX's unsigned
/// types) reach `body` as signless integers, since arith takes only those;
/// the op chooses the unsigned arith ops itself (see isUnsignedElement). A
/// signless scalar that `body` returns for an unsigned result is cast back.
mlir::Value buildElementwise(mlir::OpBuilder &b, mlir::Location loc,
                             mlir::RankedTensorType resultType,
                             mlir::ValueRange operands, BodyBuilder body);

/// Same, with explicit result sizes (for results whose dynamic dims no
/// operand carries).
mlir::Value buildElementwise(mlir::OpBuilder &b, mlir::Location loc,
                             mlir::RankedTensorType resultType,
                             llvm::ArrayRef<mlir::OpFoldResult> sizes,
                             mlir::ValueRange operands, BodyBuilder body);

/// Whether `type` (a tensor or a scalar) holds unsigned integers.
bool isUnsignedElement(mlir::Type type);

enum class Combiner { Add, Max, Min, Mul };

/// The neutral element of `combiner` for `type`.
mlir::TypedAttr getNeutralElement(Combiner combiner, mlir::Type type);
/// Combines two scalars; Max and Min of integers compare as unsigned when
/// `isUnsigned`.
mlir::Value combine(mlir::OpBuilder &b, mlir::Location loc, Combiner combiner,
                    mlir::Value acc, mlir::Value x, bool isUnsigned = false);

/// Reduces `input` over the dims marked in `reduced` with `combiner`,
/// applying `map` to each element first (identity when null). The result
/// drops the reduced dims.
mlir::Value buildReduction(
    mlir::OpBuilder &b, mlir::Location loc, mlir::Value input,
    llvm::ArrayRef<bool> reduced, Combiner combiner,
    llvm::function_ref<mlir::Value(mlir::OpBuilder &, mlir::Location,
                                   mlir::Value)>
        map = nullptr);

/// The number of elements of `value` over the dims in `reduced`, as a float
/// of type `type`.
mlir::Value countElements(mlir::OpBuilder &b, mlir::Location loc,
                          mlir::Value value, llvm::ArrayRef<bool> reduced,
                          mlir::Type type);

/// Reshapes `value` (row-major) to `resultType`, whose dynamic dims are
/// `dynamicDims` in order.
mlir::Value buildReshape(mlir::OpBuilder &b, mlir::Location loc,
                         mlir::Value value, mlir::RankedTensorType resultType,
                         mlir::ValueRange dynamicDims);

/// Converts a scalar to `type` with ONNX Cast semantics. `x` (a signless
/// integer) is read as unsigned when `fromUnsigned`, and an integer result
/// converted from a float is unsigned when `toUnsigned` (`type` is signless
/// either way). Conversions from and to the 8-bit floats go through f32 and
/// integer bit manipulation (LLVM has no such types); `saturate` is ONNX's
/// Cast attribute for them.
mlir::Value convertScalar(mlir::OpBuilder &b, mlir::Location loc,
                          mlir::Value x, mlir::Type type,
                          bool fromUnsigned = false, bool toUnsigned = false,
                          bool saturate = true);

/// A scalar float constant of `type`.
mlir::Value floatConstant(mlir::OpBuilder &b, mlir::Location loc,
                          mlir::Type type, double value);

/// GELU of a float scalar, erf form or (with `tanhForm`) tanh form.
mlir::Value buildGeluScalar(mlir::OpBuilder &b, mlir::Location loc,
                            mlir::Value x, bool tanhForm);
/// x * sigmoid(x).
mlir::Value buildSiluScalar(mlir::OpBuilder &b, mlir::Location loc,
                            mlir::Value x);

} // namespace tessera

#endif // TESSERA_COMPILER_CONVERSION_TSRTOLINALG_UTILS_H
