//===- Registration.cpp - Dialects and passes of every Tessera tool -------===//
//
// Registers tsr, the upstream dialects with their external interface models
// (bufferization, tiling, LLVM translation), and all passes and pipelines.
//
//===----------------------------------------------------------------------===//

#include "compiler/Registration.h"

#include "compiler/Codegen/CPU/Passes.h"
#include "compiler/Conversion/Passes.h"
#include "compiler/Pipelines/Pipelines.h"
#include "compiler/Transforms/Passes.h"
#include "dialects/tsr/IR/TsrDialect.h"

#include "mlir/IR/DialectRegistry.h"
#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/InitAllPasses.h"
#include "mlir/Target/LLVMIR/Dialect/All.h"

void tessera::registerAllDialects(mlir::DialectRegistry &registry) {
  registry.insert<mlir::tsr::TsrDialect>();
  mlir::registerAllDialects(registry);
  mlir::registerAllExtensions(registry);
  mlir::registerAllToLLVMIRTranslations(registry);
}

void tessera::registerAllPasses() {
  mlir::registerAllPasses();
  registerTesseraConversionPasses();
  registerTesseraTransformsPasses();
  registerTesseraCodegenCPUPasses();
  registerTesseraPipelines();
}
