//===- HfImporter.h - Hugging Face checkpoint directories into tsr -*- C++ -*-===//
//
// Reads a Hugging Face checkpoint directory (config.json + model.safetensors,
// or shards listed by model.safetensors.index.json) and builds a module with one `func.func @main` of fused tsr ops directly
// from the config, with no ONNX and no torch: model_type bert, gpt2, llama
// and vit. Weights become resource blobs over the mmapped safetensors file.
//
//===----------------------------------------------------------------------===//

#ifndef TESSERA_FRONTENDS_HF_HFIMPORTER_H
#define TESSERA_FRONTENDS_HF_HFIMPORTER_H

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"
#include "llvm/Support/Error.h"

#include <map>
#include <string>
#include <vector>

namespace tessera {

struct HfImportOptions {
  /// Fixes the shape of named inputs (e.g. `--input-shape input_ids=1x128`).
  std::map<std::string, std::vector<int64_t>> inputShapes;
};

/// The model types importHfCheckpoint understands.
std::vector<std::string> supportedHfModelTypes();

/// Imports the checkpoint directory `dir`. Errors name the file (config.json
/// or model.safetensors) and the config key or tensor at fault.
llvm::Expected<mlir::OwningOpRef<mlir::ModuleOp>>
importHfCheckpoint(mlir::MLIRContext *context, const std::string &dir,
                   const HfImportOptions &options);

} // namespace tessera

#endif // TESSERA_FRONTENDS_HF_HFIMPORTER_H
