//===- Pipelines.cpp - Tessera's pass pipelines ---------------------------===//
//
// Assembles the graph and CPU code generation pipelines. The target is a
// parameter of the driver (tessera-compile picks the codegen pipeline); a
// CUDA codegen pipeline slots in beside buildCpuCodegenPipeline.
//
//===----------------------------------------------------------------------===//

#include "compiler/Pipelines/Pipelines.h"

#include "compiler/Codegen/CPU/Passes.h"
#include "compiler/Conversion/Passes.h"
#include "compiler/Transforms/Passes.h"

#include "mlir/Conversion/Passes.h"
#include "mlir/Dialect/Bufferization/Pipelines/Passes.h"
#include "mlir/Dialect/Bufferization/Transforms/Passes.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/Transforms/Passes.h"
#include "mlir/Dialect/Linalg/Passes.h"
#include "mlir/Dialect/MemRef/Transforms/Passes.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Transforms/Passes.h"

using namespace mlir;

namespace tessera {

void buildTsrGraphPipeline(OpPassManager &pm, const PipelineOptions &options) {
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
  pm.addNestedPass<func::FuncOp>(createTsrFoldQuantizedMatmulsPass());
  pm.addNestedPass<func::FuncOp>(createTsrLowerQuantizedOpsPass());
  pm.addNestedPass<func::FuncOp>(createTsrRecomposeGeluPass());
  pm.addNestedPass<func::FuncOp>(createTsrRecomposeLayerNormPass());
  pm.addNestedPass<func::FuncOp>(createTsrRecomposeRmsNormPass());
  pm.addNestedPass<func::FuncOp>(createTsrRecomposeSiluPass());
  pm.addNestedPass<func::FuncOp>(createTsrRecomposeAttentionPass());
  pm.addNestedPass<func::FuncOp>(createTsrFuseLinearPass());
  // Pruning sees each weight matrix on its own, before Q/K/V fusion.
  if (llvm::StringRef scheme = options.prune; scheme != "none") {
    TsrPrunePassOptions prune;
    if (scheme == "2:4") {
      prune.pattern = "2:4";
    } else {
      auto [pattern, ratio] = scheme.split(':');
      prune.pattern = pattern.str();
      if (ratio.empty() || ratio.getAsDouble(prune.ratio))
        prune.ratio = -1.0; // the pass reports it
    }
    prune.skip.assign(options.pruneSkip.begin(), options.pruneSkip.end());
    prune.keepHeads = !options.pruneHeads;
    pm.addPass(createTsrPrunePass(prune));
  }
  pm.addPass(createTsrFuseQkvPass());
  pm.addNestedPass<func::FuncOp>(createTsrFuseResidualPass());
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
  // Constant band masks into causal + window, once canonicalization has
  // made them constants.
  pm.addNestedPass<func::FuncOp>(createTsrFoldAttentionMasksPass());
}

void buildCpuPreparePipeline(OpPassManager &pm,
                             const PipelineOptions &options) {
  llvm::StringRef scheme = options.quantize;
  if (scheme == "int8" || scheme == "int8-static" || scheme == "bf16" ||
      scheme.starts_with("w4")) {
    TsrQuantizePassOptions quantize;
    quantize.skip.assign(options.quantizeSkip.begin(),
                         options.quantizeSkip.end());
    quantize.smoothAlpha = options.smoothAlpha;
    if (scheme == "int8-static" || scheme == "bf16") {
      quantize.scheme = scheme.str();
    } else if (scheme != "int8") {
      // w4 or w4:GROUP (tessera-compile checks the group).
      quantize.scheme = "w4";
      int64_t group = 32;
      if (scheme.consume_front("w4:") && !scheme.getAsInteger(10, group))
        quantize.groupSize = group;
    }
    pm.addPass(createTsrQuantizePass(quantize));
  }
  // After quantization (whose linears keep their dense kernels), before
  // the dense ones are packed.
  if (options.sparsity != "off")
    pm.addPass(createTsrSparsifyPass());
  pm.addPass(createTsrPackWeightsPass());
  TsrOutlineWeightsPassOptions outline;
  outline.minElements = options.outlineMinElements;
  pm.addPass(createTsrOutlineWeightsPass(outline));
}

void buildCpuCodegenPipeline(OpPassManager &pm,
                             const PipelineOptions &options) {
  // GEMMs to runtime kernels, everything else to linalg on tensors.
  pm.addPass(createTsrLowerToUKernelsPass());
  // Out-of-range gather indices fail the run (needs the kernel context).
  pm.addPass(createTsrCheckIndicesPass());
  pm.addNestedPass<func::FuncOp>(createTsrLowerToLinalgPass());
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
  pm.addPass(createLinalgElementwiseOpFusionPass());
  pm.addPass(createCanonicalizerPass());
  // Per-thread tiles of what is left (scf.forall, run on the thread pool).
  if (options.parallelLoops) {
    TsrCpuTileAndDistributePassOptions tiling;
    tiling.cpu = options.cpu;
    pm.addNestedPass<func::FuncOp>(createTsrCpuTileAndDistributePass(tiling));
  }

  // Bufferize. Results cross the function boundary with an identity layout
  // and are owned by the caller (runtime/include/tessera/abi.h).
  bufferization::OneShotBufferizePassOptions bufferize;
  bufferize.bufferizeFunctionBoundaries = true;
  bufferize.functionBoundaryTypeConversion =
      bufferization::LayoutMapOption::IdentityLayoutMap;
  pm.addPass(bufferization::createOneShotBufferizePass(bufferize));
  bufferization::BufferDeallocationPipelineOptions dealloc;
  bufferization::buildBufferDeallocationPipeline(pm, dealloc);
  // Results whose ownership is unknown (views of other buffers) are cloned
  // for the caller; clones become alloc + copy here.
  pm.addPass(createConvertBufferizationToMemRefPass());
  pm.addNestedPass<func::FuncOp>(createTsrLowerStridedCopiesPass());
  // Statically sized intermediates share one arena by liveness.
  if (options.planMemory)
    pm.addNestedPass<func::FuncOp>(createTsrPlanMemoryPass());
  pm.addPass(createTsrCpuLowerForallPass());

  // Loops, then the LLVM dialect.
  pm.addNestedPass<func::FuncOp>(createConvertLinalgToLoopsPass());
  pm.addNestedPass<func::FuncOp>(createTsrApproximateMathPass());
  pm.addPass(createLowerAffinePass());
  pm.addPass(createSCFToControlFlowPass());
  pm.addPass(memref::createExpandStridedMetadataPass());
  pm.addPass(createLowerAffinePass());
  pm.addNestedPass<func::FuncOp>(LLVM::createLLVMRequestCWrappersPass());
  // Buffers come from the runtime's allocator (tsr-export-entry-points
  // routes the generic alloc/free calls through the kernel context).
  FinalizeMemRefToLLVMConversionPassOptions memrefToLLVM;
  memrefToLLVM.useGenericFunctions = true;
  pm.addPass(createFinalizeMemRefToLLVMConversionPass(memrefToLLVM));
  pm.addPass(createConvertMathToLLVMPass());
  pm.addPass(createConvertMathToLibmPass());
  pm.addPass(createArithToLLVMConversionPass());
  pm.addPass(createConvertIndexToLLVMPass());
  pm.addPass(createConvertControlFlowToLLVMPass());
  pm.addPass(createConvertFuncToLLVMPass());
  pm.addPass(createReconcileUnrealizedCastsPass());
  TsrExportEntryPointsPassOptions exportOptions;
  exportOptions.symbolPrefix = options.symbolPrefix;
  pm.addPass(createTsrExportEntryPointsPass(exportOptions));
  pm.addPass(createCanonicalizerPass());
}

void buildCpuPipeline(OpPassManager &pm, const PipelineOptions &options) {
  buildTsrGraphPipeline(pm, options);
  buildCpuPreparePipeline(pm, options);
  buildCpuCodegenPipeline(pm, options);
}

void registerTesseraPipelines() {
  PassPipelineRegistration<PipelineOptions>(
      "tsr-graph-pipeline",
      "Cleans up a tsr graph, recomposes and fuses (target independent).",
      buildTsrGraphPipeline);
  PassPipelineRegistration<PipelineOptions>(
      "tsr-cpu-pipeline",
      "Compiles a tsr module to the LLVM dialect for x86-64 (what "
      "tessera-compile --target=cpu runs).",
      buildCpuPipeline);
}

} // namespace tessera
