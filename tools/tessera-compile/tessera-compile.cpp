//===- tessera-compile.cpp - Model file to binary -------------------------===//
//
// The user-facing compiler driver:
//
//   tessera-compile MODEL -o OUTDIR [--target=cpu] [--cpu=native]
//                   [--input-shape NAME=2x128 ...] [--emit=mlir|obj|lib]
//                   [--bind-input NAME=FILE|NAME=1,2,3 ...]
//                   [--model-name NAME] [--mlir-print-ir-after-all]
//                   [--time-report] [--plan-memory=false]
//                   [--parallel-loops=false]
//                   [--quantize=int8|int8-static|w4[:GROUP]|bf16]
//                   [--quantize-skip GLOB ...] [--calibrate DIR]
//                   [--smooth-alpha A] [--sparsity=auto|off]
//                   [--prune=2:4|block16:RATIO|unstructured:RATIO]
//                   [--prune-skip GLOB ...] [--prune-heads]
//   tessera-compile --list-ops
//
// MODEL is an .onnx file, a .json graph (docs/json-format.md) or a Hugging
// Face checkpoint directory: config.json + model.safetensors
// (docs/hf-checkpoints.md). The driver
// imports the model into tsr, runs the target's pipeline and writes
// OUTDIR/{model.o, model.h, libmodel.so, model.tsr}. Every error goes to
// stderr as "tessera-compile: error: ..." with a non-zero exit. On success
// it prints (to stdout) one line per entry: its planned peak activation
// memory (tsr-plan-memory), and with --quantize what was quantized: how
// many linears, which stayed f32 and why, and the weight bytes before and
// after; with --prune the fraction of the weights kept, and whenever a
// linear goes sparse, how many did, their density and the expected saving.
//
//===----------------------------------------------------------------------===//

#include "Calibration.h"
#include "TensorFile.h"
#include "compiler/Codegen/CPU/MemoryPlan.h"
#include "compiler/Codegen/CPU/SparseCostModel.h"
#include "compiler/Pipelines/Pipelines.h"
#include "compiler/Registration.h"
#include "compiler/Target/Artifacts.h"
#include "dialects/tsr/IR/TsrDialect.h"
#include "frontends/hf/HfImporter.h"
#include "frontends/json/JsonImporter.h"
#include "frontends/onnx/OnnxImporter.h"

#include "mlir/IR/AsmState.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/Verifier.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Support/Timing.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"

#include <cstring>
#include <sys/resource.h>

using namespace mlir;
namespace cl = llvm::cl;

/// The options `--help` lists; LLVM's own options (e.g.
/// -unroll-full-max-count) are still accepted, but not listed.
static cl::OptionCategory tesseraCategory("Tessera options");

static cl::opt<std::string>
    inputPath(cl::Positional,
              cl::desc("MODEL (.onnx, .json, or a checkpoint directory)"),
              cl::Optional, cl::cat(tesseraCategory));
static cl::opt<std::string> outputDir("o", cl::desc("Output directory"),
                                      cl::value_desc("OUTDIR"),
                                      cl::cat(tesseraCategory));
static cl::opt<bool>
    listOps("list-ops",
            cl::desc("Print the supported ONNX op types, one per line, and "
                     "exit"),
            cl::init(false), cl::cat(tesseraCategory));
static cl::opt<std::string> target("target", cl::desc("cpu (default)"),
                                   cl::init("cpu"), cl::cat(tesseraCategory));
static cl::opt<std::string>
    cpu("cpu", cl::desc("CPU to generate code for: native (default) or an "
                        "LLVM CPU name such as x86-64-v3"),
        cl::init("native"), cl::cat(tesseraCategory));
static cl::opt<bool> parallelLoops(
    "parallel-loops",
    cl::desc("Run the generated loops outside the runtime kernels (norms, "
             "softmax, elementwise, copies) on the runtime's thread pool "
             "(default true; false: single-threaded)"),
    cl::init(true), cl::cat(tesseraCategory));
static cl::list<std::string>
    inputShapes("input-shape",
                cl::desc("Fix an input's shape, e.g. input_ids=1x128"),
                cl::value_desc("NAME=DxD..."), cl::cat(tesseraCategory));
static cl::list<std::string> bindInputs(
    "bind-input",
    cl::desc("Fix a graph input to a value, NAME=FILE (.npy or .pb) or "
             "NAME=1,2,3 (integers, the input's int type): ops that take "
             "shapes, starts or axes from it (Reshape, Slice, CumSum...) then "
             "compile; the input leaves the signature"),
    cl::value_desc("NAME=FILE|NAME=1,2,..."), cl::cat(tesseraCategory));
static cl::opt<std::string>
    emit("emit",
         cl::desc("mlir: the imported tsr module only (model.mlir); obj: "
                  "model.o, model.h, model.tsr; lib (default): also "
                  "libmodel.so"),
         cl::init("lib"), cl::cat(tesseraCategory));
static cl::opt<std::string>
    modelName("model-name",
              cl::desc("Prefix of the exported symbols (default tsr_model)"),
              cl::init("tsr_model"), cl::cat(tesseraCategory));
static cl::opt<bool> printIRAfterAll(
    "mlir-print-ir-after-all",
    cl::desc("Print the IR after every pass (to stderr)"), cl::init(false),
    cl::cat(tesseraCategory));
static cl::opt<bool> planMemory(
    "plan-memory",
    cl::desc("Place the statically sized intermediates in one arena per run, "
             "reusing the memory of dead ones (default true; false: one "
             "allocation per buffer)"),
    cl::init(true), cl::cat(tesseraCategory));
static cl::opt<std::string> quantize(
    "quantize",
    cl::desc("int8: linears with constant weights get int8 weights (per "
             "output channel) and int8 activations (per token, at run time); "
             "int8-static: activation scales fixed from --calibrate runs; "
             "w4 or w4:GROUP: 4-bit weights per group of GROUP (default 32) "
             "k values with f32 activations; bf16: bf16 weights, "
             "activations rounded to bf16, f32 sums; norms, softmax, GELU "
             "and residuals stay f32"),
    cl::init("none"), cl::cat(tesseraCategory));
static cl::opt<std::string> calibrateDir(
    "calibrate",
    cl::desc("Folder of calibration input sets (one subfolder per set, or "
             "the folder itself: NAME.npy or NAME.pb per model input); "
             "their activation ranges drive SmoothQuant and, with "
             "int8-static, the static activation scales"),
    cl::value_desc("DIR"), cl::cat(tesseraCategory));
static cl::opt<double> smoothAlpha(
    "smooth-alpha",
    cl::desc("SmoothQuant's migration strength with --calibrate, in [0, 1] "
             "(default 0.5 with int8, 0.6 with int8-static; 0: no "
             "smoothing)"),
    cl::init(-1.0), cl::cat(tesseraCategory));
static cl::list<std::string> quantizeSkip(
    "quantize-skip",
    cl::desc("Keep in f32 the linears whose node name (ONNX) or weight name "
             "(initializer or checkpoint tensor) matches this glob"),
    cl::value_desc("GLOB"), cl::cat(tesseraCategory));
static cl::opt<std::string> sparsity(
    "sparsity",
    cl::desc("auto (default): linears whose constant weight has enough zeros "
             "(zero 16x16 blocks, or scattered zeros) run sparse kernels "
             "where the cost model expects them to be faster; off: dense "
             "kernels only"),
    cl::init("auto"), cl::cat(tesseraCategory));
static cl::opt<std::string> prune(
    "prune",
    cl::desc("Zero the smallest linear weights by magnitude, for speed at "
             "some accuracy: 2:4 (2 of every 4 inputs of an output), "
             "block16:RATIO (that fraction of the 16x16 blocks), "
             "unstructured:RATIO (that fraction of the weights); RATIO in "
             "[0, 1). Embeddings and the model's head are kept"),
    cl::init("none"), cl::cat(tesseraCategory));
static cl::list<std::string> pruneSkip(
    "prune-skip",
    cl::desc("Do not prune the linears whose node name (ONNX) or weight "
             "name matches this glob"),
    cl::value_desc("GLOB"), cl::cat(tesseraCategory));
static cl::opt<bool> pruneHeads(
    "prune-heads",
    cl::desc("Prune the model's head (the linears that compute its outputs: "
             "a classifier, a pooler, an LM head) too"),
    cl::init(false), cl::cat(tesseraCategory));
static cl::opt<bool> timeReport(
    "time-report",
    cl::desc("Print the time of each stage and pass, and the peak memory "
             "(RSS) after each stage (to stderr)"),
    cl::init(false), cl::cat(tesseraCategory));

/// The peak resident set size of this process so far, in MiB.
static double peakRssMiB() {
  struct rusage usage;
  if (getrusage(RUSAGE_SELF, &usage) != 0)
    return 0;
  return usage.ru_maxrss / 1024.0; // KiB on Linux
}

/// "3.2 MiB", "12.5 KiB" or "100 bytes".
static std::string formatBytes(int64_t bytes) {
  if (bytes >= (1 << 20))
    return llvm::formatv("{0:F1} MiB", bytes / 1048576.0).str();
  if (bytes >= (1 << 10))
    return llvm::formatv("{0:F1} KiB", bytes / 1024.0).str();
  return std::to_string(bytes) + " bytes";
}

/// The ONNX TensorProto data type of a runtime dtype, if it has one.
static std::optional<int32_t> onnxDataTypeOf(tsr_dtype_t dtype) {
  switch (dtype) {
  case TSR_DTYPE_F32: return 1;
  case TSR_DTYPE_U8: return 2;
  case TSR_DTYPE_I8: return 3;
  case TSR_DTYPE_U16: return 4;
  case TSR_DTYPE_I16: return 5;
  case TSR_DTYPE_I32: return 6;
  case TSR_DTYPE_I64: return 7;
  case TSR_DTYPE_BOOL: return 9;
  case TSR_DTYPE_F16: return 10;
  case TSR_DTYPE_F64: return 11;
  case TSR_DTYPE_U32: return 12;
  case TSR_DTYPE_U64: return 13;
  case TSR_DTYPE_BF16: return 16;
  default: return std::nullopt;
  }
}

/// A gather of a 2-D int8 or bf16 table: an embedding tsr-quantize made
/// int8 (or bf16, under --quantize=bf16).
static bool isQuantizedTable(Operation *op) {
  auto gather = dyn_cast<tsr::GatherOp>(op);
  if (!gather)
    return false;
  auto t = cast<RankedTensorType>(gather.getInput().getType());
  return t.getRank() == 2 &&
         (t.getElementType().isInteger(8) || t.getElementType().isBF16());
}

/// "tessera-compile: quantized N of M linears to int8 (weights A -> B)" (or
/// "to w4 (group G)", "to bf16"), then one line per linear left in f32 and why
/// (tsr-quantize's remarks), or a warning when there was nothing to
/// quantize.
static void printQuantizationReport(
    ModuleOp module, llvm::ArrayRef<std::string> keptFloat,
    const llvm::DenseSet<Operation *> &imported) {
  int64_t quantized = 0, floatBytes = 0, intBytes = 0, staticCount = 0,
          smoothed = 0;
  auto bytesOf = [](Value v) {
    if (!v)
      return int64_t(0);
    auto t = cast<RankedTensorType>(v.getType());
    return t.getNumElements() * t.getElementTypeBitWidth() / 8;
  };
  bool w4 = llvm::StringRef(quantize).starts_with("w4");
  module.walk([&](tsr::QuantizedLinearOp op) {
    if (w4 || imported.contains(op))
      return;
    ++quantized;
    staticCount += op.getInputQuant() == tsr::InputQuant::static_tensor;
    smoothed += op.getInputSmooth() != nullptr;
    int64_t k = op.getInput().getType().getShape().back();
    int64_t n = op.getType().getShape().back();
    floatBytes += n * k * 4;
    intBytes += bytesOf(op.getWeight()) + bytesOf(op.getWeightScale()) +
                bytesOf(op.getWeightSums());
  });
  int64_t group = 0;
  module.walk([&](tsr::W4LinearOp op) {
    if (imported.contains(op))
      return;
    ++quantized;
    group = static_cast<int64_t>(op.getGroupSize());
    int64_t k = op.getInput().getType().getShape().back();
    int64_t n = op.getType().getShape().back();
    floatBytes += n * k * 4;
    intBytes += bytesOf(op.getWeight()) + bytesOf(op.getScale()) +
                bytesOf(op.getZeroPoint());
  });
  module.walk([&](tsr::Bf16LinearOp op) {
    ++quantized;
    int64_t k = op.getInput().getType().getShape().back();
    int64_t n = op.getType().getShape().back();
    floatBytes += n * k * 4;
    intBytes += bytesOf(op.getWeight());
  });
  bool bf16 = quantize == "bf16";
  int64_t total = quantized + static_cast<int64_t>(keptFloat.size());
  if (quantized == 0) {
    llvm::outs() << "tessera-compile: warning: --quantize=" << quantize
                 << ": nothing to quantize (" << total
                 << " linears with a constant weight)\n";
  } else {
    llvm::outs() << "tessera-compile: quantized " << quantized << " of "
                 << total << " linears to "
                 << (w4     ? "w4 (group " + std::to_string(group) + ")"
                     : bf16 ? std::string("bf16")
                            : std::string("int8"))
                 << " (their weights " << formatBytes(floatBytes) << " -> "
                 << formatBytes(intBytes) << ")\n";
    if (!w4 && !calibrateDir.empty())
      llvm::outs() << "tessera-compile:   activations: " << staticCount
                   << " with static scales, " << quantized - staticCount
                   << " per token at run time; " << smoothed
                   << " smoothed (SmoothQuant, alpha "
                   << llvm::format("%.2f", smoothAlpha.getValue())
                   << ")\n";
  }
  // Embedding tables tsr-quantize made int8 or bf16 (gathers of a 2-D i8
  // or bf16 table).
  llvm::DenseSet<Value> tables;
  int64_t tableFloatBytes = 0, tableIntBytes = 0;
  module.walk([&](tsr::GatherOp op) {
    if (!isQuantizedTable(op) || imported.contains(op) ||
        !tables.insert(op.getInput()).second)
      return;
    auto t = cast<RankedTensorType>(op.getInput().getType());
    tableFloatBytes += t.getNumElements() * 4;
    tableIntBytes += t.getElementType().isBF16()
                         ? t.getNumElements() * 2
                         : t.getNumElements() + t.getDimSize(0) * 4;
  });
  if (!tables.empty())
    llvm::outs() << "tessera-compile:   and " << tables.size()
                 << " embedding table" << (tables.size() == 1 ? "" : "s")
                 << (bf16 ? " to bf16 (" : " to int8 per row (")
                 << formatBytes(tableFloatBytes)
                 << " -> " << formatBytes(tableIntBytes) << ")\n";
  for (const std::string &why : keptFloat)
    llvm::outs() << "tessera-compile:   kept in f32: " << why << "\n";
}

/// What tsr-sparsify decided, one remark per weight ("'NAME' (N x K): ...").
struct SparsityReport {
  std::vector<std::string> sparse, dense;
};

/// "tessera-compile: pruned N weights to PATTERN: kept X of Y values
/// (P%)", then the weights kept as they were and why (tsr-prune's
/// remarks).
static void printPruningReport(llvm::ArrayRef<std::string> pruned,
                               llvm::ArrayRef<std::string> kept) {
  for (llvm::StringRef line : pruned) {
    // "N weights to PATTERN, kept X of Y values"
    int64_t keptValues = 0, total = 0;
    auto [head, counts] = line.split(", kept ");
    auto [keptText, totalText] = counts.split(" of ");
    keptText.getAsInteger(10, keptValues);
    totalText.consume_back(" values");
    totalText.getAsInteger(10, total);
    llvm::outs() << "tessera-compile: pruned " << head << ": kept "
                 << keptValues << " of " << total << " values ("
                 << llvm::formatv("{0:F1}",
                                  total ? 100.0 * keptValues / total : 0.0)
                 << "%)\n";
  }
  for (const std::string &why : kept)
    llvm::outs() << "tessera-compile:   not pruned: " << why << "\n";
}

/// "tessera-compile: sparsity: S of L linears run sparse kernels (B
/// block16, C csr), storing X% of their weights, expected GEMM time R x
/// dense", one line per sparse weight, and the weights with zeros that
/// stayed dense (tsr-sparsify's remarks). Silent for a model without
/// zeros unless it was pruned.
static void printSparsityReport(ModuleOp module, const SparsityReport &report,
                                bool pruned) {
  int64_t sparseOps = 0, denseOps = 0, blocks = 0;
  double storedWeights = 0, allWeights = 0, sparseTime = 0;
  module.walk([&](Operation *op) {
    if (auto s = dyn_cast<tsr::SparseLinearOp>(op)) {
      ++sparseOps;
      auto in = cast<RankedTensorType>(s.getInput().getType());
      int64_t k = in.getShape().back(), n = s.getType().getShape().back();
      int64_t stored = s.getIndices().getType().getShape()[0];
      bool isBlocks = s.getFormat() == tsr::SparseFormat::block16;
      blocks += isBlocks;
      storedWeights += isBlocks ? stored * 256.0 : double(stored);
      allWeights += double(n) * k;
      sparseTime +=
          double(n) * k *
          (isBlocks ? tessera::block16RelativeCost(stored, n, k)
                    : tessera::csrRelativeCost(stored, n, k));
    } else if (isa<tsr::LinearOp, tsr::QuantizedLinearOp, tsr::W4LinearOp,
                   tsr::Bf16LinearOp>(op)) {
      ++denseOps;
    }
  });
  if (sparseOps == 0 && !pruned && report.dense.empty())
    return;
  llvm::outs() << "tessera-compile: sparsity: " << sparseOps << " of "
               << sparseOps + denseOps << " linears run sparse kernels";
  if (sparseOps)
    llvm::outs() << " (" << blocks << " block16, " << sparseOps - blocks
                 << " csr), storing "
                 << llvm::formatv("{0:F1}", 100.0 * storedWeights / allWeights)
                 << "% of their weights; expected time of their GEMMs "
                 << llvm::formatv("{0:F2}", sparseTime / allWeights)
                 << "x dense";
  llvm::outs() << "\n";
  for (const std::string &line : report.sparse)
    llvm::outs() << "tessera-compile:   sparse " << line << "\n";
  for (const std::string &line : report.dense)
    llvm::outs() << "tessera-compile:   dense " << line << "\n";
}

/// "tessera-compile: the model's own quantization runs in N int8 linears (S
/// with static, D with dynamic activation scales)" for an already-quantized
/// model (tsr-fold-quantized-matmuls; after fusion, so Q, K and V reading
/// one input count once), nothing when there are none.
static void printFoldedQuantizationReport(ModuleOp module) {
  int64_t staticCount = 0, dynamicCount = 0;
  module.walk([&](tsr::QuantizedLinearOp op) {
    if (op.getInputQuant() == tsr::InputQuant::static_tensor)
      ++staticCount;
    else if (op.getInputQuant() == tsr::InputQuant::dynamic_tensor)
      ++dynamicCount;
  });
  if (quantize == "none") {
    int64_t w4 = 0, group = 0;
    module.walk([&](tsr::W4LinearOp op) {
      ++w4;
      group = static_cast<int64_t>(op.getGroupSize());
    });
    if (w4)
      llvm::outs() << "tessera-compile: the model's own 4-bit weights run in "
                   << w4 << " w4 linears (blocks of " << group << ")\n";
  }
  if (staticCount + dynamicCount == 0)
    return;
  llvm::outs() << "tessera-compile: the model's own quantization runs in "
               << staticCount + dynamicCount << " int8 linears ("
               << staticCount << " with static, " << dynamicCount
               << " with dynamic activation scales)\n";
}

static int fail(const llvm::Twine &msg) {
  llvm::errs() << "tessera-compile: error: " << msg << "\n";
  return 1;
}

static bool isIdentifier(llvm::StringRef s) {
  if (s.empty() || std::isdigit(static_cast<unsigned char>(s[0])))
    return false;
  return llvm::all_of(s, [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
  });
}

int main(int argc, char **argv) {
  llvm::InitLLVM init(argc, argv);
  // --mlir-elide-elementsattrs-if-larger and friends, for --emit=mlir.
  registerAsmPrinterCLOptions();
  cl::HideUnrelatedOptions(tesseraCategory);
  cl::ParseCommandLineOptions(argc, argv, "Tessera model compiler\n");

  if (listOps) {
    for (const std::string &op : tessera::supportedOnnxOps())
      llvm::outs() << op << "\n";
    return 0;
  }
  if (inputPath.empty())
    return fail("no MODEL given (usage: tessera-compile MODEL -o OUTDIR)");
  if (outputDir.empty())
    return fail("no output directory given (-o OUTDIR)");

  if (target != "cpu")
    return fail("unsupported --target '" + target + "' (supported: cpu)");
  if (emit != "mlir" && emit != "obj" && emit != "lib")
    return fail("unsupported --emit '" + emit + "' (mlir, obj or lib)");
  if (!isIdentifier(modelName))
    return fail("--model-name must be a C identifier");
  if (llvm::StringRef scheme = quantize; scheme.consume_front("w4")) {
    int64_t group = 32;
    if (!scheme.empty() && (!scheme.consume_front(":") ||
                            scheme.getAsInteger(10, group) || group <= 0 ||
                            group % 2 != 0))
      return fail("unsupported --quantize '" + quantize +
                  "': the w4 group size must be an even positive number "
                  "(w4:32, w4:128)");
  } else if (quantize != "none" && quantize != "int8" &&
             quantize != "int8-static" && quantize != "bf16") {
    return fail("unsupported --quantize '" + quantize +
                "' (supported: int8, int8-static, w4, w4:GROUP, bf16)");
  }
  if (!quantizeSkip.empty() && quantize == "none")
    return fail("--quantize-skip needs --quantize");
  if (quantize == "int8-static" && calibrateDir.empty())
    return fail("--quantize=int8-static needs --calibrate DIR (a folder of "
                "input sets to take the activation ranges from)");
  if (!calibrateDir.empty() && quantize != "int8" &&
      quantize != "int8-static" && !llvm::StringRef(quantize).starts_with("w4"))
    return fail("--calibrate goes with --quantize=int8, int8-static or w4");
  // The defaults measured best on all-MiniLM-L6-v2 (docs/quantization.md):
  // a per-tensor static scale wants more of the range moved into the
  // weights than a per-token one.
  if (smoothAlpha.getNumOccurrences() == 0)
    smoothAlpha = quantize == "int8-static" ? 0.6 : 0.5;
  if (!(smoothAlpha >= 0.0 && smoothAlpha <= 1.0))
    return fail("--smooth-alpha must be in [0, 1]");
  if (sparsity != "auto" && sparsity != "off")
    return fail("unsupported --sparsity '" + sparsity + "' (auto or off)");
  if (prune != "none") {
    auto [pattern, ratioText] = llvm::StringRef(prune).split(':');
    double ratio = 0;
    if (pattern == "2:4" || prune == "2:4") {
      // 2:4 takes no ratio (split cut it at the colon).
    } else if (pattern != "block16" && pattern != "unstructured") {
      return fail("unsupported --prune '" + prune +
                  "' (2:4, block16:RATIO or unstructured:RATIO)");
    } else if (ratioText.empty() || ratioText.getAsDouble(ratio) ||
               !(ratio >= 0.0 && ratio < 1.0)) {
      return fail("--prune '" + prune + "': the ratio must be a number in "
                  "[0, 1)");
    }
  }
  if (!pruneSkip.empty() && prune == "none")
    return fail("--prune-skip needs --prune");
  if (pruneHeads && prune == "none")
    return fail("--prune-heads needs --prune");
  if (!calibrateDir.empty() && emit == "mlir")
    return fail("--calibrate goes with code generation (--emit=obj or lib)");
  if (!calibrateDir.empty() && !llvm::sys::fs::is_directory(calibrateDir))
    return fail("--calibrate '" + calibrateDir + "': no such directory");

  tessera::OnnxImportOptions importOptions;
  for (const std::string &spec : inputShapes) {
    auto [name, dims] = llvm::StringRef(spec).rsplit('=');
    if (name.empty() || dims.empty())
      return fail("--input-shape '" + spec + "' is not NAME=DxD...");
    std::vector<int64_t> shape;
    llvm::SmallVector<llvm::StringRef> parts;
    dims.split(parts, 'x');
    for (llvm::StringRef p : parts) {
      int64_t d;
      if (p.getAsInteger(10, d) || d < 0)
        return fail("--input-shape '" + spec + "': bad dim '" + p + "'");
      shape.push_back(d);
    }
    importOptions.inputShapes[name.str()] = shape;
  }

  for (const std::string &spec : bindInputs) {
    auto [name, value] = llvm::StringRef(spec).split('=');
    if (name.empty() || value.empty())
      return fail("--bind-input '" + spec + "' is not NAME=FILE or "
                  "NAME=1,2,...");
    if (importOptions.boundInputs.count(name.str()))
      return fail("--bind-input '" + name + "' is given twice");
    tessera::BoundInput bound;
    llvm::SmallVector<llvm::StringRef> parts;
    value.split(parts, ',');
    bool integers = llvm::all_of(parts, [](llvm::StringRef p) {
      int64_t v;
      return !p.trim().getAsInteger(10, v);
    });
    if (integers) {
      bound.integerList = true;
      bound.shape = {static_cast<int64_t>(parts.size())};
      for (llvm::StringRef p : parts) {
        int64_t v = 0;
        (void)p.trim().getAsInteger(10, v);
        bound.rawData.append(reinterpret_cast<const char *>(&v), sizeof(v));
      }
    } else {
      tessera::npy::Array array;
      if (std::string error = tessera::npy::readTensorFile(value.str(), array);
          !error.empty())
        return fail("--bind-input '" + name + "': " + error);
      std::optional<int32_t> type = onnxDataTypeOf(array.dtype);
      if (!type)
        return fail("--bind-input '" + name + "': '" + value +
                    "' holds " + tsr_dtype_name(array.dtype) +
                    ", which no ONNX input takes");
      bound.onnxDataType = *type;
      bound.shape = array.shape;
      bound.rawData.assign(array.data.begin(), array.data.end());
    }
    importOptions.boundInputs[name.str()] = std::move(bound);
  }

  if (!llvm::sys::fs::exists(inputPath))
    return fail(inputPath + ": no such file");
  // A directory is a Hugging Face checkpoint (config.json + safetensors).
  bool checkpointDir = llvm::sys::fs::is_directory(inputPath);
  llvm::StringRef ext = llvm::sys::path::extension(inputPath);
  bool jsonGraph = !checkpointDir && ext == ".json";
  if (!checkpointDir && !jsonGraph && ext != ".onnx")
    return fail(inputPath + ": unknown model format '" + ext +
                "' (supported: .onnx, .json, a checkpoint directory)");
  if (checkpointDir && !bindInputs.empty())
    return fail("--bind-input applies to ONNX and JSON models (a checkpoint "
                "directory's inputs are token ids)");

  DialectRegistry registry;
  tessera::registerAllDialects(registry);
  MLIRContext context(registry);
  context.loadAllAvailableDialects();

  // Diagnostics from passes go to stderr with our prefix; tsr-quantize's
  // remarks (the linears it left in f32, and why) go into the report.
  std::string firstError;
  std::vector<std::string> keptFloat, notPruned, prunedReport;
  SparsityReport sparsityReport;
  ScopedDiagnosticHandler diagHandler(&context, [&](Diagnostic &diag) {
    if (diag.getSeverity() == DiagnosticSeverity::Remark) {
      std::string msg = diag.str();
      llvm::StringRef rest = msg;
      if (rest.consume_front("not quantized: "))
        keptFloat.push_back(rest.str());
      else if (rest.consume_front("not pruned: "))
        notPruned.push_back(rest.str());
      else if (rest.consume_front("pruned: "))
        prunedReport.push_back(rest.str());
      else if (rest.consume_front("sparse: "))
        sparsityReport.sparse.push_back(rest.str());
      else if (rest.consume_front("dense: "))
        sparsityReport.dense.push_back(rest.str());
      return success();
    }
    if (diag.getSeverity() != DiagnosticSeverity::Error)
      return success();
    std::string msg;
    llvm::raw_string_ostream os(msg);
    os << diag.getLocation() << ": " << diag;
    llvm::errs() << "tessera-compile: error: " << msg << "\n";
    return success();
  });

  // --time-report: a tree of stage timers (passes nest under the pipeline
  // stages) and the peak RSS after each stage.
  DefaultTimingManager timingManager;
  timingManager.setEnabled(timeReport);
  timingManager.setDisplayMode(DefaultTimingManager::DisplayMode::Tree);
  TimingScope rootTimer = timingManager.getRootScope();
  std::vector<std::pair<std::string, double>> peakRss;
  auto notePeakRss = [&](llvm::StringRef stage) {
    if (timeReport)
      peakRss.push_back({stage.str(), peakRssMiB()});
  };

  auto importInto = [&](MLIRContext &ctx) {
    return checkpointDir
               ? tessera::importHfCheckpoint(&ctx, inputPath,
                                             {importOptions.inputShapes})
           : jsonGraph
               ? tessera::importJsonFile(&ctx, inputPath, importOptions)
               : tessera::importOnnxFile(&ctx, inputPath, importOptions);
  };
  tessera::PipelineOptions options;
  options.symbolPrefix = modelName;
  options.planMemory = planMemory;
  options.cpu = cpu;
  options.parallelLoops = parallelLoops;
  options.quantize = quantize;
  options.quantizeSkip = quantizeSkip;
  options.smoothAlpha = smoothAlpha;
  options.sparsity = sparsity;
  options.prune = prune;
  options.pruneSkip = pruneSkip;
  options.pruneHeads = pruneHeads;

  // Calibration first, in a context of its own that ends before the
  // model's weights are imported here.
  std::optional<tessera::CalibrationResult> calibration;
  if (!calibrateDir.empty()) {
    TimingScope calibrationTimer = rootTimer.nest("calibration");
    calibration.emplace();
    std::string error = tessera::calibrate(
        [&](MLIRContext &ctx) -> OwningOpRef<ModuleOp> {
          auto again = importInto(ctx);
          if (!again) {
            llvm::consumeError(again.takeError());
            return nullptr;
          }
          PassManager pm(&ctx);
          tessera::buildTsrGraphPipeline(pm, options);
          if (failed(pm.run(**again)))
            return nullptr;
          return std::move(*again);
        },
        options, calibrateDir, *calibration,
        /*gram=*/llvm::StringRef(quantize).starts_with("w4"));
    if (!error.empty())
      return fail(error);
    calibrationTimer.stop();
    notePeakRss("calibration");
  }

  TimingScope importTimer = rootTimer.nest("import");
  auto imported = importInto(context);
  if (!imported)
    return fail(llvm::toString(imported.takeError()));
  OwningOpRef<ModuleOp> module = std::move(*imported);
  if (failed(verify(*module)))
    return fail(inputPath + ": the imported module does not verify");
  importTimer.stop();
  notePeakRss("import");

  if (std::error_code ec = llvm::sys::fs::create_directories(outputDir))
    return fail("cannot create '" + outputDir + "': " + ec.message());
  auto outPath = [&](llvm::StringRef name) {
    llvm::SmallString<256> p(outputDir);
    llvm::sys::path::append(p, name);
    return std::string(p);
  };

  if (emit == "mlir") {
    std::error_code ec;
    llvm::raw_fd_ostream os(outPath("model.mlir"), ec);
    if (ec)
      return fail("cannot write model.mlir: " + ec.message());
    // Faithful by default (weights included), so the file parses back into
    // the same module; --mlir-elide-elementsattrs-if-larger=N shortens it.
    module->print(os, OpPrintingFlags());
    return 0;
  }


  // Runs one stage's pipeline (built by `build`) on the module, timed
  // under `stage` and with the peak RSS noted after it.
  if (printIRAfterAll)
    context.disableMultithreading();
  auto runStage = [&](llvm::StringRef stage,
                      void (*build)(OpPassManager &,
                                    const tessera::PipelineOptions &)) {
    PassManager pm(&context);
    if (printIRAfterAll)
      pm.enableIRPrinting();
    TimingScope timer = rootTimer.nest((stage + " pipeline").str());
    if (timeReport)
      pm.enableTiming(timer);
    build(pm, options);
    bool ok = succeeded(pm.run(*module));
    timer.stop();
    notePeakRss(("the " + stage + " pipeline").str());
    return ok;
  };

  // Graph pipeline, (calibration,) the target's preparation (quantization,
  // packing), then read the signature and weights off the module before
  // code generation turns the tensors into LLVM structs.
  if (!runStage("graph", tessera::buildTsrGraphPipeline))
    return fail(inputPath + ": the graph pipeline failed");
  if (prune != "none")
    printPruningReport(prunedReport, notPruned);
  printFoldedQuantizationReport(*module);
  // The model's own quantized linears, which the report of --quantize
  // leaves out.
  llvm::DenseSet<Operation *> importedQuantized;
  module->walk([&](Operation *op) {
    if (isa<tsr::QuantizedLinearOp, tsr::W4LinearOp>(op) || isQuantizedTable(op))
      importedQuantized.insert(op);
  });

  if (calibration) {
    int64_t annotated = tessera::annotateRanges(*module, *calibration);
    llvm::outs() << "tessera-compile: calibrated " << annotated
                 << " linears (" << calibration->instrumented
                 << " distinct inputs"
                 << (calibration->grams
                         ? ", their x xT sums kept for GPTQ"
                         : "")
                 << ") over " << calibration->sets
                 << " input set" << (calibration->sets == 1 ? "" : "s")
                 << " from " << calibrateDir << "\n";
  }

  if (!runStage("prepare", tessera::buildCpuPreparePipeline))
    return fail(inputPath + ": the target's preparation (quantization, "
                "weight packing) failed");
  if (quantize != "none")
    printQuantizationReport(*module, keptFloat, importedQuantized);
  printSparsityReport(*module, sparsityReport, prune != "none");
  auto description = tessera::describeModel(*module, modelName);
  if (failed(description))
    return fail(inputPath + ": cannot describe the model's entries");

  if (!runStage("codegen", tessera::buildCpuCodegenPipeline))
    return fail(inputPath + ": code generation failed");

  // The memory plans of the entries: printed, and written into model.h.
  for (const tessera::FunctionMemoryPlan &plan :
       tessera::takeMemoryPlans(*module)) {
    auto entry = llvm::find_if(description->entries, [&](const auto &e) {
      return e.name == plan.function;
    });
    if (entry == description->entries.end())
      continue;
    entry->arenaBytes = plan.arenaBytes;
    entry->dynamicBuffers = plan.dynamic;
    llvm::outs() << "tessera-compile: peak activation memory";
    if (description->entries.size() > 1)
      llvm::outs() << " of '" << plan.function << "'";
    llvm::outs() << ": " << formatBytes(plan.arenaBytes) << " ("
                 << plan.arenaBytes << " bytes: " << plan.planned
                 << " buffers in 1 arena, " << formatBytes(plan.bufferBytes)
                 << " without reuse; " << plan.allocations
                 << " allocations, " << plan.allocations - plan.planned
                 << " left to the allocator";
    if (plan.dynamic > 0)
      llvm::outs() << ", " << plan.dynamic
                   << " of them with run-time sizes, not counted";
    llvm::outs() << ")\n";
  }

  tessera::CpuTargetOptions cpuOptions;
  cpuOptions.cpu = cpu;
  std::string objPath = outPath("model.o");
  TimingScope objectTimer = rootTimer.nest("object file");
  if (failed(tessera::emitObjectFile(*module, cpuOptions, objPath,
                                     /*irDump=*/nullptr, &objectTimer)))
    return fail("cannot emit " + objPath);
  objectTimer.stop();
  notePeakRss("the object file");
  TimingScope writeTimer = rootTimer.nest("model.tsr, model.h, libmodel.so");

  std::string error;
  std::string targetName = "cpu-x86_64";
  error = tessera::writeModelFile(outPath("model.tsr"), targetName,
                                  description->entries, description->weights);
  if (!error.empty())
    return fail(error);
  if (!tessera::writeModelHeader(outPath("model.h"), *description, modelName,
                                 error))
    return fail(error);
  if (emit == "lib" &&
      !tessera::linkSharedLibrary(objPath, outPath("libmodel.so"), error))
    return fail(error);
  writeTimer.stop();
  notePeakRss("writing");
  if (timeReport) {
    rootTimer.stop();
    timingManager.print();
    timingManager.setEnabled(false); // printed: not again on destruction
    for (const auto &[stage, mib] : peakRss)
      llvm::errs() << llvm::format("peak RSS after %-22s %8.1f MiB\n",
                                   (stage + ":").c_str(), mib);
  }
  return 0;
}
