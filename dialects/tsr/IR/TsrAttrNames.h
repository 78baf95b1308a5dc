//===- TsrAttrNames.h - Discardable attributes of the tsr dialect -*- C++ -*-===//
//
// Names of the attributes that importers, passes and the artifact writer
// attach to functions, arguments and constants. One definition so that the
// producers and consumers cannot drift apart.
//
//===----------------------------------------------------------------------===//

#ifndef TESSERA_DIALECTS_TSR_IR_TSRATTRNAMES_H
#define TESSERA_DIALECTS_TSR_IR_TSRATTRNAMES_H

#include "llvm/ADT/StringRef.h"

namespace mlir::tsr {

/// On an entry argument or result: the model's name for the tensor.
inline constexpr llvm::StringLiteral kTensorNameAttr = "tsr.name";
/// On an entry argument: one name per dim ("" for static or anonymous).
inline constexpr llvm::StringLiteral kDimNamesAttr = "tsr.dim_names";
/// On a tsr.constant: the model's name for the weight (the initializer).
inline constexpr llvm::StringLiteral kConstantNameAttr = "tsr.name";
/// On an outlined weight argument: its unique name and its value.
inline constexpr llvm::StringLiteral kWeightNameAttr = "tsr.weight_name";
inline constexpr llvm::StringLiteral kWeightValueAttr = "tsr.weight_value";
/// On an entry argument: the runtime's tsr_kernel_context_t pointer.
inline constexpr llvm::StringLiteral kKernelContextAttr = "tsr.kernel_context";
/// On a tsr.linear (tsr-calibration-outputs): the index, among the results
/// that pass added, of the one that returns the linear's input.
inline constexpr llvm::StringLiteral kCalibrationOutputAttr =
    "tsr.calibration_output";
/// On a tsr.linear (tessera-compile --calibrate): each input channel's
/// minimum and maximum over the calibration runs, [K] f32.
inline constexpr llvm::StringLiteral kInputMinAttr = "tsr.input_min";
inline constexpr llvm::StringLiteral kInputMaxAttr = "tsr.input_max";
/// On a tsr.linear (tessera-compile --calibrate, for w4): the sum of x xᵀ
/// over the calibration runs' input rows, [K, K] f32 (GPTQ's Hessian up to
/// a factor); tsr-quantize consumes and drops it.
inline constexpr llvm::StringLiteral kInputGramAttr = "tsr.input_gram";

} // namespace mlir::tsr

#endif // TESSERA_DIALECTS_TSR_IR_TSRATTRNAMES_H
