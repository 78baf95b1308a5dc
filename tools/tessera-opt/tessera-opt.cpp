//===- tessera-opt.cpp - Runs tsr passes and pipelines on MLIR files ------===//
//
// mlir-opt with the tsr dialect, Tessera's passes and its pipelines, so that
// `tessera-opt --tsr-cpu-pipeline` reproduces what tessera-compile runs.
//
//===----------------------------------------------------------------------===//

#include "compiler/Registration.h"

#include "mlir/IR/DialectRegistry.h"
#include "mlir/Tools/mlir-opt/MlirOptMain.h"

int main(int argc, char **argv) {
  mlir::DialectRegistry registry;
  tessera::registerAllDialects(registry);
  tessera::registerAllPasses();
  return mlir::asMainReturnCode(
      mlir::MlirOptMain(argc, argv, "Tessera optimizer driver\n", registry));
}
