//===- Pipelines.h - Tessera's pass pipelines -------------------*- C++ -*-===//
//
// The one place pipelines are assembled. tessera-compile runs them and
// tessera-opt registers them, so `tessera-opt --tsr-cpu-pipeline` reproduces
// exactly what the compiler does.
//
//===----------------------------------------------------------------------===//

#ifndef TESSERA_COMPILER_PIPELINES_PIPELINES_H
#define TESSERA_COMPILER_PIPELINES_PIPELINES_H

#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassOptions.h"

#include <string>

namespace tessera {

/// Options shared by every target's pipeline.
struct PipelineOptions : mlir::PassPipelineOptions<PipelineOptions> {
  Option<std::string> symbolPrefix{
      *this, "symbol-prefix",
      llvm::cl::desc("Prefix of the exported entry symbols"),
      llvm::cl::init("tsr_model")};
  Option<int64_t> outlineMinElements{
      *this, "outline-min-elements",
      llvm::cl::desc("Constants with at least this many elements become "
                     "weights in model.tsr"),
      llvm::cl::init(64)};
  Option<bool> planMemory{
      *this, "plan-memory",
      llvm::cl::desc("Place statically sized intermediates in one arena, "
                     "reusing dead buffers' memory (tsr-plan-memory)"),
      llvm::cl::init(true)};
  Option<std::string> cpu{
      *this, "cpu",
      llvm::cl::desc("CPU the cost model sizes tiles for (an LLVM CPU name, "
                     "or native)"),
      llvm::cl::init("native")};
  Option<std::string> quantize{
      *this, "quantize",
      llvm::cl::desc("none; int8: linears with constant weights become "
                     "int8 quantized linears; int8-static: with calibrated "
                     "static activation scales; w4 or w4:GROUP: 4-bit "
                     "weight-only linears; bf16: bf16 linears "
                     "(tsr-quantize)"),
      llvm::cl::init("none")};
  Option<double> smoothAlpha{
      *this, "smooth-alpha",
      llvm::cl::desc("SmoothQuant's migration strength for linears with "
                     "calibrated input ranges (0: none)"),
      llvm::cl::init(0.5)};
  ListOption<std::string> quantizeSkip{
      *this, "quantize-skip",
      llvm::cl::desc("Globs over weight names whose linears stay f32")};
  Option<std::string> prune{
      *this, "prune",
      llvm::cl::desc("none; 2:4, block16:RATIO or unstructured:RATIO: zero "
                     "the smallest linear weights by magnitude (tsr-prune)"),
      llvm::cl::init("none")};
  ListOption<std::string> pruneSkip{
      *this, "prune-skip",
      llvm::cl::desc("Globs over weight and node names whose linears are "
                     "not pruned")};
  Option<bool> pruneHeads{
      *this, "prune-heads",
      llvm::cl::desc("Prune the model's head (its output linears) too"),
      llvm::cl::init(false)};
  Option<std::string> sparsity{
      *this, "sparsity",
      llvm::cl::desc("auto: sparse kernels for weights whose zeros make "
                     "them faster (tsr-sparsify); off: dense kernels only"),
      llvm::cl::init("auto")};
  Option<bool> parallelLoops{
      *this, "parallel-loops",
      llvm::cl::desc("Tile the loops outside runtime kernels into per-thread "
                     "chunks run on the runtime's thread pool"),
      llvm::cl::init(true)};
};

/// tsr graph clean-up, recomposition and fusion (target independent).
void buildTsrGraphPipeline(mlir::OpPassManager &pm,
                           const PipelineOptions &options);

/// CPU-specific graph work that fixes the weights: quantization (with
/// `quantize`), packing into kernel layouts, then outlining them into entry
/// arguments (after this the entry
/// signatures and weights are final, and tessera-compile reads them off).
void buildCpuPreparePipeline(mlir::OpPassManager &pm,
                             const PipelineOptions &options);

/// tsr (after the prepare pipeline) down to the LLVM dialect for x86-64.
void buildCpuCodegenPipeline(mlir::OpPassManager &pm,
                             const PipelineOptions &options);

/// The whole CPU pipeline: graph, prepare, then codegen.
void buildCpuPipeline(mlir::OpPassManager &pm, const PipelineOptions &options);

/// Registers `tsr-graph-pipeline` and `tsr-cpu-pipeline`.
void registerTesseraPipelines();

} // namespace tessera

#endif // TESSERA_COMPILER_PIPELINES_PIPELINES_H
