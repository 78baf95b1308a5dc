//===- FuzzSupport.h - What the MLIR-based fuzz targets share ---*- C++ -*-===//
//
// Part of Tessera's fuzz targets (tools/fuzz, built by scripts/fuzz.sh).
//
//===----------------------------------------------------------------------===//
//
// An MLIR context reused across inputs (creating one per input would dominate
// the time) and replaced every few hundred, so that uniqued types, attributes
// and resource blobs do not pile up; and the check every target makes of a
// reader's error: it must be a message that names the input. With
// TESSERA_FUZZ_VERBOSE set, each input's error is printed (handy when
// replaying a corpus: `TESSERA_FUZZ_VERBOSE=1 tessera-fuzz-onnx FILE...`).
// FuzzSupport.cpp, linked into these targets, sets their ASan defaults.
//
//===----------------------------------------------------------------------===//
#ifndef TESSERA_TOOLS_FUZZ_FUZZSUPPORT_H
#define TESSERA_TOOLS_FUZZ_FUZZSUPPORT_H

#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/OwningOpRef.h"
#include "mlir/IR/Verifier.h"
#include "llvm/Support/Error.h"
#include "llvm/Support/raw_ostream.h"

#include <cstdlib>
#include <memory>

namespace tessera::fuzz {

/// A context with threading off, fresh every `inputsPerContext` calls.
inline mlir::MLIRContext &recycledContext(unsigned inputsPerContext = 256) {
  static std::unique_ptr<mlir::MLIRContext> context;
  static unsigned inputs = 0;
  if (!context || ++inputs > inputsPerContext) {
    context.reset();
    context = std::make_unique<mlir::MLIRContext>(
        mlir::MLIRContext::Threading::DISABLED);
    inputs = 0;
  }
  return *context;
}

/// Consumes a reader's error; aborts (a finding) unless its message starts
/// with `displayPath`, as every user-facing error must.
inline void checkError(llvm::Error error, llvm::StringRef displayPath) {
  std::string message = llvm::toString(std::move(error));
  static const bool verbose = std::getenv("TESSERA_FUZZ_VERBOSE") != nullptr;
  if (verbose)
    llvm::errs() << message << "\n";
  if (!llvm::StringRef(message).starts_with(displayPath))
    std::abort();
}

/// What an importer's fuzz target checks of its result: an error must name
/// the input (checkError), and a module must verify; either failure aborts.
inline void checkImported(
    llvm::Expected<mlir::OwningOpRef<mlir::ModuleOp>> module,
    llvm::StringRef displayPath) {
  if (!module)
    return checkError(module.takeError(), displayPath);
  if (mlir::failed(mlir::verify(**module)))
    std::abort(); // The importer built IR that does not verify.
}

/// Counts (and so silences) the diagnostics a context emits, e.g. the
/// verifier's.
class SilencedDiagnostics {
public:
  explicit SilencedDiagnostics(mlir::MLIRContext &ctx)
      : handler(&ctx, [this](mlir::Diagnostic &diagnostic) {
          ++count;
          static const bool verbose =
              std::getenv("TESSERA_FUZZ_VERBOSE") != nullptr;
          if (verbose)
            llvm::errs() << diagnostic << "\n";
          return mlir::success();
        }) {}
  unsigned count = 0;

private:
  mlir::ScopedDiagnosticHandler handler;
};

} // namespace tessera::fuzz

#endif // TESSERA_TOOLS_FUZZ_FUZZSUPPORT_H
