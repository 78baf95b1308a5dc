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
// builds invalid IR. A failure must be an error with a message that names the
// model, never a crash.
//
// External data resolves against a directory that does not exist, so inputs
// never read the machine's files. The MLIR context is reused across inputs
// (creating one per input would dominate the time) and replaced every few
// hundred so that uniqued types and attributes do not pile up. With
// TESSERA_FUZZ_VERBOSE set, each input's error is printed.
//
//===----------------------------------------------------------------------===//
#include "frontends/onnx/OnnxImporter.h"

#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/Verifier.h"
#include "llvm/Support/raw_ostream.h"

#include <cstdint>
#include <cstdlib>
#include <memory>

namespace {

constexpr const char *kDisplayPath = "/nonexistent-fuzz-dir/model.onnx";
constexpr const char *kModelDir = "/nonexistent-fuzz-dir";
constexpr unsigned kInputsPerContext = 256;

std::unique_ptr<mlir::MLIRContext> context;
unsigned inputsOnContext = 0;

mlir::MLIRContext &freshEnoughContext() {
  if (!context || ++inputsOnContext > kInputsPerContext) {
    context = std::make_unique<mlir::MLIRContext>(
        mlir::MLIRContext::Threading::DISABLED);
    inputsOnContext = 0;
  }
  return *context;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  mlir::MLIRContext &ctx = freshEnoughContext();
  // Diagnostics (from the verifier) are counted, not printed.
  unsigned diagnostics = 0;
  mlir::ScopedDiagnosticHandler handler(&ctx, [&](mlir::Diagnostic &) {
    ++diagnostics;
    return mlir::success();
  });
  tessera::OnnxImportOptions options;
  auto module = tessera::importOnnxBuffer(
      &ctx, llvm::StringRef(reinterpret_cast<const char *>(data), size),
      kDisplayPath, kModelDir, options);
  if (!module) {
    std::string message = llvm::toString(module.takeError());
    static const bool verbose = std::getenv("TESSERA_FUZZ_VERBOSE") != nullptr;
    if (verbose)
      llvm::errs() << message << "\n";
    if (message.rfind(kDisplayPath, 0) != 0)
      std::abort(); // An error must name the model.
    return 0;
  }
  if (mlir::failed(mlir::verify(**module)))
    std::abort(); // The importer built IR that does not verify.
  return 0;
}
