//===- OnnxOpSupport.h - What the ONNX op converters share ------*- C++ -*-===//
//
// Helpers of the op converters (Onnx*Ops.cpp): axis normalization, and the
// host evaluation that folds shape computations while importing -- numpy
// broadcasting over host tensors, integer arithmetic on dims that may be
// dynamic (emitting index arith for those), and reading compile-time integer
// lists (shapes, axes, slice bounds) from operands.
//
//===----------------------------------------------------------------------===//

#ifndef TESSERA_FRONTENDS_ONNX_ONNXOPSUPPORT_H
#define TESSERA_FRONTENDS_ONNX_ONNXOPSUPPORT_H

#include "frontends/onnx/ImporterState.h"

namespace tessera::onnx_import {

/// `axis` counted from the front (ONNX allows negative axes); may still be
/// out of range.
inline int64_t normalizeAxis(int64_t axis, int64_t rank) {
  return axis < 0 ? axis + rank : axis;
}

inline mlir::RankedTensorType typeOf(mlir::Value v) {
  return llvm::cast<mlir::RankedTensorType>(v.getType());
}

/// Strides of a row-major shape.
llvm::SmallVector<int64_t> stridesOf(llvm::ArrayRef<int64_t> shape);

/// Applies `intFn` or `floatFn` elementwise with numpy broadcasting over
/// host tensors; nullopt when the shapes do not broadcast or `intFn` cannot
/// evaluate an element.
std::optional<HostTensor> hostBroadcast(
    llvm::ArrayRef<const HostTensor *> ins, mlir::Type resultType,
    llvm::function_ref<std::optional<IntElem>(llvm::ArrayRef<IntElem>)> intFn,
    llvm::function_ref<double(llvm::ArrayRef<double>)> floatFn);

/// Integer arithmetic (Add, Sub, Mul, Div, Max, Min, And, Or) on IntElems,
/// folded when both are constants, else emitted as index arith.
std::optional<IntElem> intArith(Importer &im, llvm::StringRef op, IntElem a,
                                IntElem c);

/// Compares IntElems when the answer is known at compile time.
std::optional<bool> intCompare(llvm::StringRef op, IntElem a, IntElem c);

/// The IntElems of input `i` used as a 1-D list (shape, axes, ...), which
/// must be known at compile time.
llvm::Expected<llvm::SmallVector<IntElem>>
intList(Importer &im, const onnx::NodeProto &node, int i);
/// The same, every element a constant.
llvm::Expected<llvm::SmallVector<int64_t>>
staticIntList(Importer &im, const onnx::NodeProto &node, int i);

/// Axes from the attribute (older opsets) or from input `inputIndex`;
/// nullopt when neither is there.
llvm::Expected<std::optional<llvm::SmallVector<int64_t>>>
axesOf(Importer &im, const onnx::NodeProto &node, int inputIndex);

/// True if every present input of `node` is known at compile time.
bool allHost(Importer &im, const onnx::NodeProto &node);
/// The host tensor of input `i` (allHost() must hold).
const HostTensor *hostOf(Importer &im, const onnx::NodeProto &node, int i);

} // namespace tessera::onnx_import

#endif // TESSERA_FRONTENDS_ONNX_ONNXOPSUPPORT_H
