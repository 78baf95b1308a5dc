//===- FuzzOnnx.cpp - libFuzzer target of the ONNX importer ---------------===//
//
// Part of Tessera's fuzz targets (tools/fuzz, built by scripts/fuzz.sh).
//
//===----------------------------------------------------------------------===//
//
// Feeds bytes to importOnnxBuffer, the path tessera-compile takes for a .onnx
// file: protobuf parsing, initializers, graph inputs, every op converter and
// the shape subgraphs evaluated at import. An import that succeeds must then
// pass the MLIR verifier: the importer checks its input so that it never
// builds invalid IR. A failure must be an error whose message names the
// model, never a crash. External data resolves against a directory that does
// not exist, so inputs never read the machine's files.
//
//===----------------------------------------------------------------------===//
#include "FuzzSupport.h"

#include "frontends/onnx/OnnxImporter.h"

#include <cstdint>
#include <cstdlib>

namespace {
constexpr const char *kDisplayPath = "/nonexistent-fuzz-dir/model.onnx";
constexpr const char *kModelDir = "/nonexistent-fuzz-dir";
} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  mlir::MLIRContext &ctx = tessera::fuzz::recycledContext();
  tessera::fuzz::SilencedDiagnostics diagnostics(ctx);
  tessera::OnnxImportOptions options;
  tessera::fuzz::checkImported(
      tessera::importOnnxBuffer(
          &ctx, llvm::StringRef(reinterpret_cast<const char *>(data), size),
          kDisplayPath, kModelDir, options),
      kDisplayPath);
  return 0;
}
