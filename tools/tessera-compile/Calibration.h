//===- Calibration.h - Activation ranges for static quantization -*- C++ -*-===//
//
// Part of the Tessera tools.
//
//===----------------------------------------------------------------------===//
//
// `tessera-compile --calibrate DIR`: compiles the model once more in f32
// with the input of every constant-weight linear returned as an extra
// result (tsr-calibration-outputs), runs that build on each input set in
// DIR through the runtime, and reduces each returned tensor to the range of
// every channel of its last dimension. The ranges go onto the real
// compile's linears as tsr.input_min / tsr.input_max for tsr-quantize
// (SmoothQuant, static activation scales).
//
// DIR holds one input set per subdirectory (sorted by name), or is itself
// the one set when it has no subdirectory; a set holds one file per model
// input, NAME.npy or NAME.pb (an ONNX TensorProto), NAME the input's name.
//
//===----------------------------------------------------------------------===//
#ifndef TESSERA_TOOLS_CALIBRATION_H
#define TESSERA_TOOLS_CALIBRATION_H

#include "compiler/Pipelines/Pipelines.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/OwningOpRef.h"
#include "llvm/ADT/STLFunctionalExtras.h"

#include <optional>
#include <string>
#include <vector>

namespace tessera {

/// The range of each input channel of one linear over the calibration runs
/// and, when asked for, the sum of x xᵀ over every input row ([K, K]
/// row-major: GPTQ's Hessian, up to a factor).
struct ChannelRange {
  std::vector<float> lo, hi;
  std::vector<float> gram;
};

/// The widest input whose x xᵀ calibration sums (K² floats), and the most
/// bytes of them in all; past either, linears get ranges only.
inline constexpr int64_t kMaxGramK = 8192;
inline constexpr int64_t kMaxGramBytes = int64_t(1) << 30;

/// What calibrate() found: per tsr.linear of the first entry, in walk order
/// after the graph pipeline, its input's channel ranges (nullopt for a
/// linear that was not instrumented), and how many sets ran.
struct CalibrationResult {
  std::vector<std::optional<ChannelRange>> linears;
  int64_t sets = 0;
  int64_t instrumented = 0; // distinct linear inputs observed
  int64_t grams = 0;        // of them, those with x xᵀ sums
};

/// Imports the model into `context` and runs the graph pipeline on it.
using GraphBuilder =
    llvm::function_ref<mlir::OwningOpRef<mlir::ModuleOp>(mlir::MLIRContext &)>;

/// Runs the calibration described above in a context of its own (the
/// graph pipeline of `build`, then the f32 prepare and codegen pipelines of
/// `options`, for this machine's CPU whatever `options` says: the build
/// runs here), with scratch files under a temporary directory that is
/// removed. With `gram`, also sums x xᵀ per input (within kMaxGramK and
/// kMaxGramBytes). Returns "" or an error message (naming the set and
/// input).
std::string calibrate(GraphBuilder build, const PipelineOptions &options,
                      const std::string &dir, CalibrationResult &result,
                      bool gram = false);

/// Puts result.linears onto the tsr.linear ops of `module`'s first entry
/// (same walk order) as tsr.input_min / tsr.input_max, and the x xᵀ sums as
/// tsr.input_gram (a resource blob). Returns the number of linears
/// annotated.
int64_t annotateRanges(mlir::ModuleOp module, const CalibrationResult &result);

} // namespace tessera

#endif // TESSERA_TOOLS_CALIBRATION_H
