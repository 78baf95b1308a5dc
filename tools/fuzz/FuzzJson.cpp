//===- FuzzJson.cpp - libFuzzer target of the JSON graph reader -----------===//
//
// Part of Tessera's fuzz targets (tools/fuzz, built by scripts/fuzz.sh).
//
//===----------------------------------------------------------------------===//
//
// Feeds text to importJsonGraph (docs/json-format.md): the JSON parser, the
// checks of every field, inline weights, the ONNX model it builds and that
// model's import. As for ONNX, a graph that imports must verify, and an error
// must name the graph. A "weights_file" resolves against a directory that
// does not exist, so inputs never read the machine's files.
//
//===----------------------------------------------------------------------===//
#include "FuzzSupport.h"

#include "frontends/json/JsonImporter.h"

#include <cstdint>
#include <cstdlib>

namespace {
constexpr const char *kDisplayPath = "/nonexistent-fuzz-dir/graph.json";
constexpr const char *kBaseDir = "/nonexistent-fuzz-dir";
} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  mlir::MLIRContext &ctx = tessera::fuzz::recycledContext();
  tessera::fuzz::SilencedDiagnostics diagnostics(ctx);
  tessera::OnnxImportOptions options;
  tessera::fuzz::checkImported(
      tessera::importJsonGraph(
          &ctx, llvm::StringRef(reinterpret_cast<const char *>(data), size),
          kBaseDir, kDisplayPath, options),
      kDisplayPath);
  return 0;
}
