//===- Calibration.cpp - Activation ranges for static quantization --------===//
//
// Part of the Tessera tools.
//
//===----------------------------------------------------------------------===//
#include "Calibration.h"

#include "mlir/IR/DialectResourceBlobManager.h"

#include "RuntimeHandles.h"
#include "TensorFile.h"
#include "compiler/Codegen/CPU/MemoryPlan.h"
#include "compiler/Registration.h"
#include "compiler/Target/Artifacts.h"
#include "compiler/Transforms/Passes.h"
#include "dialects/tsr/IR/TsrAttrNames.h"
#include "dialects/tsr/IR/TsrDialect.h"
#include "tessera/runtime.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/Pass/PassManager.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <memory>

using namespace mlir;

namespace tessera {
namespace {

using tools::takeError;

/// The first public function with a body: the entry calibration runs.
func::FuncOp firstEntry(ModuleOp module) {
  for (auto fn : module.getOps<func::FuncOp>())
    if (fn.isPublic() && !fn.isExternal())
      return fn;
  return {};
}

/// The input sets under `dir`: its subdirectories, sorted, or `dir` itself.
std::string listSets(const std::string &dir, std::vector<std::string> &sets) {
  if (!llvm::sys::fs::is_directory(dir))
    return "--calibrate '" + dir + "': not a directory";
  std::error_code ec;
  for (llvm::sys::fs::directory_iterator it(dir, ec), end; it != end && !ec;
       it.increment(ec))
    if (llvm::sys::fs::is_directory(it->path()))
      sets.push_back(it->path());
  if (ec)
    return "--calibrate '" + dir + "': " + ec.message();
  std::sort(sets.begin(), sets.end());
  if (sets.empty())
    sets.push_back(dir);
  return "";
}

/// Compiles the instrumented module into `dir` (model.tsr, libmodel.so).
std::string emitModel(ModuleOp module, const PipelineOptions &options,
                      const std::string &cpu, const std::string &dir) {
  PassManager prepare(module.getContext());
  buildCpuPreparePipeline(prepare, options);
  if (failed(prepare.run(module)))
    return "the f32 build for calibration failed (prepare)";
  auto description = describeModel(module, options.symbolPrefix);
  if (failed(description))
    return "the f32 build for calibration failed (entries)";
  PassManager codegen(module.getContext());
  buildCpuCodegenPipeline(codegen, options);
  if (failed(codegen.run(module)))
    return "the f32 build for calibration failed (code generation)";
  (void)takeMemoryPlans(module);
  auto path = [&](llvm::StringRef name) {
    llvm::SmallString<256> p(dir);
    llvm::sys::path::append(p, name);
    return std::string(p);
  };
  CpuTargetOptions cpuOptions;
  cpuOptions.cpu = cpu;
  if (failed(emitObjectFile(module, cpuOptions, path("model.o"))))
    return "the f32 build for calibration failed (object file)";
  std::string error = writeModelFile(path("model.tsr"), "cpu-x86_64",
                                     description->entries,
                                     description->weights);
  if (!error.empty())
    return error;
  if (!linkSharedLibrary(path("model.o"), path("libmodel.so"), error))
    return error;
  return "";
}

/// Runs the build in `dir` on every set, folding outputs [first, first +
/// ranges.size()) into `ranges` (per channel of the last dim).
/// gram += Σ_r x_r x_rᵀ over the `rows` rows of `data` ([rows, k]), the
/// upper triangle summed and mirrored (a row with a NaN or an infinity is
/// skipped: it says nothing of the correlations).
void accumulateGram(const float *data, int64_t rows, int64_t k,
                    std::vector<float> &gram) {
  std::vector<double> sum(k * k, 0.0);
  for (int64_t r = 0; r < rows; ++r) {
    const float *x = data + r * k;
    if (!std::all_of(x, x + k, [](float v) { return std::isfinite(v); }))
      continue;
    for (int64_t i = 0; i < k; ++i) {
      double xi = x[i];
      if (xi == 0.0)
        continue;
      double *row = sum.data() + i * k;
      for (int64_t j = i; j < k; ++j)
        row[j] += xi * x[j];
    }
  }
  for (int64_t i = 0; i < k; ++i)
    for (int64_t j = i; j < k; ++j) {
      gram[i * k + j] += static_cast<float>(sum[i * k + j]);
      if (j != i)
        gram[j * k + i] = gram[i * k + j];
    }
}

std::string runSets(const std::string &dir,
                    const std::vector<std::string> &sets, size_t first,
                    std::vector<ChannelRange> &ranges, bool gram,
                    int64_t &grams) {
  llvm::SmallString<256> modelPath(dir);
  llvm::sys::path::append(modelPath, "model.tsr");
  tsr_model_t *rawModel = nullptr;
  if (std::string error =
          takeError(tsr_model_load(modelPath.c_str(), nullptr, &rawModel));
      !error.empty())
    return "loading the f32 build for calibration: " + error;
  tools::ModelPtr model(rawModel);
  tsr_session_t *rawSession = nullptr;
  if (std::string error = takeError(
          tsr_session_create(model.get(), nullptr, &rawSession));
      !error.empty())
    return "calibration session: " + error;
  tools::SessionPtr session(rawSession);

  size_t numInputs = tsr_model_num_inputs(model.get());
  size_t numOutputs = tsr_model_num_outputs(model.get());
  if (numOutputs < first + ranges.size())
    return "the f32 build for calibration lost its extra outputs";
  for (const std::string &set : sets) {
    std::vector<npy::Array> arrays(numInputs);
    std::vector<tsr_tensor_view_t> views(numInputs);
    for (size_t i = 0; i < numInputs; ++i) {
      tsr_tensor_info_t info;
      if (std::string error =
              takeError(tsr_model_input_info(model.get(), i, &info));
          !error.empty())
        return error;
      std::string file;
      for (const char *ext : {".npy", ".pb"}) {
        llvm::SmallString<256> p(set);
        llvm::sys::path::append(p, std::string(info.name) + ext);
        if (llvm::sys::fs::exists(p)) {
          file = std::string(p);
          break;
        }
      }
      if (file.empty())
        return "calibration set '" + set + "': no file for input '" +
               info.name + "' (" + info.name + ".npy or " + info.name +
               ".pb)";
      npy::Array &a = arrays[i];
      if (std::string error = npy::readTensorFile(file, a); !error.empty())
        return "calibration set '" + set + "': " + error;
      if (a.dtype != info.dtype)
        return "calibration set '" + set + "': '" + file + "' holds " +
               tsr_dtype_name(a.dtype) + " but input '" + info.name +
               "' is " + tsr_dtype_name(info.dtype);
      if (a.shape.size() > TSR_MAX_RANK)
        return "calibration set '" + set + "': '" + file +
               "' has too many dims";
      tsr_tensor_view_t &v = views[i];
      v.dtype = a.dtype;
      v.rank = static_cast<int32_t>(a.shape.size());
      std::copy(a.shape.begin(), a.shape.end(), v.shape);
      v.data = a.data.data();
      v.byte_size = a.data.size();
    }
    std::vector<tsr_tensor_view_t> outputs(numOutputs);
    if (std::string error =
            takeError(tsr_session_run(session.get(), views.data(), numInputs,
                                      outputs.data(), numOutputs));
        !error.empty())
      return "calibration set '" + set + "': " + error;
    for (size_t j = 0; j < ranges.size(); ++j) {
      const tsr_tensor_view_t &out = outputs[first + j];
      ChannelRange &range = ranges[j];
      if (out.dtype != TSR_DTYPE_F32 || out.rank < 1)
        return "the f32 build for calibration returned a non-f32 input";
      int64_t k = out.shape[out.rank - 1];
      int64_t rows = 1;
      for (int32_t d = 0; d + 1 < out.rank; ++d)
        rows *= out.shape[d];
      if (range.lo.empty()) {
        range.lo.assign(k, std::numeric_limits<float>::infinity());
        range.hi.assign(k, -std::numeric_limits<float>::infinity());
      }
      if (static_cast<int64_t>(range.lo.size()) != k)
        return "the f32 build for calibration changed a channel count";
      const float *data = static_cast<const float *>(out.data);
      if (gram && range.gram.empty() && k <= kMaxGramK &&
          (grams + k * k) * int64_t(sizeof(float)) <= kMaxGramBytes) {
        range.gram.assign(k * k, 0.0f);
        grams += k * k;
      }
      if (!range.gram.empty())
        accumulateGram(data, rows, k, range.gram);
      for (int64_t r = 0; r < rows; ++r)
        for (int64_t c = 0; c < k; ++c) {
          float x = data[r * k + c];
          if (std::isfinite(x)) { // NaN and infinities say nothing of range
            range.lo[c] = std::min(range.lo[c], x);
            range.hi[c] = std::max(range.hi[c], x);
          }
        }
    }
  }
  // A channel that never saw a finite value ranges over [0, 0].
  for (ChannelRange &range : ranges)
    for (size_t c = 0; c < range.lo.size(); ++c)
      if (range.lo[c] > range.hi[c])
        range.lo[c] = range.hi[c] = 0.0f;
  return "";
}

/// Removes a scratch directory and its files on scope exit.
struct ScratchDir {
  llvm::SmallString<256> path;
  ~ScratchDir() {
    if (!path.empty())
      (void)llvm::sys::fs::remove_directories(path);
  }
};

} // namespace

std::string calibrate(GraphBuilder build, const PipelineOptions &options,
                      const std::string &dir, CalibrationResult &result,
                      bool gram) {
  std::vector<std::string> sets;
  if (std::string error = listSets(dir, sets); !error.empty())
    return error;

  ScratchDir scratch;
  if (std::error_code ec = llvm::sys::fs::createUniqueDirectory(
          "tessera-calibration", scratch.path))
    return "cannot create a scratch directory for calibration: " +
           ec.message();
  size_t first = 0, count = 0;
  std::vector<std::optional<int64_t>> outputOf;
  // The f32 build, in a context (and with weights) that end before the
  // runs.
  {
  DialectRegistry registry;
  registerAllDialects(registry);
  MLIRContext context(registry);
  context.loadAllAvailableDialects();
  // Errors as the driver prints them; remarks (tsr-quantize's) do not
  // concern this f32 build.
  ScopedDiagnosticHandler diagnostics(&context, [](Diagnostic &diag) {
    if (diag.getSeverity() == DiagnosticSeverity::Error)
      llvm::errs() << "tessera-compile: error: " << diag.getLocation() << ": "
                   << diag << "\n";
    return success();
  });
  OwningOpRef<ModuleOp> module = build(context);
  if (!module)
    return "the f32 build for calibration failed (import)";
  PassManager instrument(&context);
  instrument.addPass(createTsrCalibrationOutputsPass());
  if (failed(instrument.run(*module)))
    return "the f32 build for calibration failed (instrumentation)";
  func::FuncOp entry = firstEntry(*module);
  if (!entry)
    return "the model has no entry to calibrate";
  entry.walk([&](tsr::LinearOp op) {
    auto index = op->getAttrOfType<IntegerAttr>(tsr::kCalibrationOutputAttr);
    outputOf.push_back(index ? std::optional<int64_t>(index.getInt())
                             : std::nullopt);
    if (index)
      count = std::max<size_t>(count, index.getInt() + 1);
  });
  first = entry.getNumResults() - count;
  result.instrumented = static_cast<int64_t>(count);
  result.sets = static_cast<int64_t>(sets.size());
  result.linears.assign(outputOf.size(), std::nullopt);
  if (count == 0)
    return "";
  // For this machine, whatever --cpu says: this build runs here.
  PipelineOptions f32Options;
  f32Options.symbolPrefix = options.symbolPrefix;
  f32Options.planMemory = options.planMemory;
  f32Options.cpu = "native";
  f32Options.parallelLoops = options.parallelLoops;
  f32Options.quantize = "none";
  if (std::string error = emitModel(*module, f32Options, "native",
                                    std::string(scratch.path));
      !error.empty())
    return error;
  }

  std::vector<ChannelRange> ranges(count);
  if (std::string error = runSets(std::string(scratch.path), sets, first,
                                  ranges, gram, result.grams);
      !error.empty())
    return error;
  for (size_t i = 0; i < outputOf.size(); ++i)
    if (outputOf[i])
      result.linears[i] = ranges[*outputOf[i]];
  return "";
}

int64_t annotateRanges(ModuleOp module, const CalibrationResult &result) {
  func::FuncOp entry = firstEntry(module);
  if (!entry)
    return 0;
  size_t i = 0;
  int64_t annotated = 0;
  entry.walk([&](tsr::LinearOp op) {
    size_t index = i++;
    if (index >= result.linears.size() || !result.linears[index])
      return;
    const ChannelRange &range = *result.linears[index];
    int64_t k = op.getInput().getType().getShape().back();
    if (static_cast<int64_t>(range.lo.size()) != k)
      return; // not the same linear: the two builds diverged
    auto type = RankedTensorType::get({k}, Float32Type::get(op.getContext()));
    op->setAttr(tsr::kInputMinAttr,
                DenseElementsAttr::get(type, llvm::ArrayRef(range.lo)));
    op->setAttr(tsr::kInputMaxAttr,
                DenseElementsAttr::get(type, llvm::ArrayRef(range.hi)));
    if (static_cast<int64_t>(range.gram.size()) == k * k)
      op->setAttr(tsr::kInputGramAttr,
                  DenseResourceElementsAttr::get(
                      RankedTensorType::get({k, k},
                                            Float32Type::get(op.getContext())),
                      "input_gram",
                      HeapAsmResourceBlob::allocateAndCopyInferAlign(
                          llvm::ArrayRef(range.gram))));
    ++annotated;
  });
  return annotated;
}

} // namespace tessera
