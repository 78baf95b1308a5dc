//===- Artifacts.h - What tessera-compile writes out ------------*- C++ -*-===//
//
// Turns a compiled module into the output directory's artifacts: the entry
// signatures and weights (model.tsr), the object file (model.o, emitted
// through LLVM's TargetMachine), the shared library (libmodel.so) and the
// C header (model.h).
//
//===----------------------------------------------------------------------===//

#ifndef TESSERA_COMPILER_TARGET_ARTIFACTS_H
#define TESSERA_COMPILER_TARGET_ARTIFACTS_H

#include "compiler/Target/ModelFileWriter.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/Support/LLVM.h"
#include "mlir/Support/Timing.h"

#include <memory>
#include <string>
#include <vector>

namespace tessera {

/// The signatures and weights of a module's entries, with the weight bytes
/// borrowed from the module's attributes (or owned here when they had to be
/// expanded, e.g. splats).
struct ModelDescription {
  std::vector<EntrySignature> entries;
  std::vector<WeightBlob> weights;
  std::vector<std::unique_ptr<std::vector<char>>> ownedData;
};

/// Reads the entry signatures of every public function of `module` (after
/// tsr-outline-weights, still on tensors). Entry symbols are
/// `<symbolPrefix>_<function name>`. Emits an error on unsupported types.
mlir::FailureOr<ModelDescription>
describeModel(mlir::ModuleOp module, llvm::StringRef symbolPrefix);

/// Options of the CPU object emitter.
struct CpuTargetOptions {
  /// "native" (the host CPU and its features) or an LLVM CPU name such as
  /// "x86-64-v3" or "znver4".
  std::string cpu = "native";
  /// Loops with a constant trip count above this are never fully unrolled
  /// (0: LLVM's default, no limit), and with `partialUnrolling` false none
  /// is partially unrolled. LLVM's defaults made the static loops of small
  /// models into blocks so large that scheduling them dominated the compile
  /// (vit_tiny: 8.5 s -> 0.8 s, gpt2_tiny: 7.2 s -> 0.7 s; BERT-base's
  /// object code 176 KB -> 78 KB, its LLVM time halved; no measurable
  /// change in MiniLM's latency, whose time is in the runtime's kernels).
  /// Options given on the command line win.
  unsigned fullUnrollMaxCount = 8;
  bool partialUnrolling = false;
};

/// Translates `module` (LLVM dialect) to LLVM IR, optimizes it at O3 for
/// the CPU and writes an ELF object to `path`. Drops the functions'
/// argument and result attributes of other dialects than LLVM's first (read
/// them with describeModel before code generation). With `timing`, the
/// translation, optimization and code generation are timed as its children.
mlir::LogicalResult emitObjectFile(mlir::ModuleOp module,
                                   const CpuTargetOptions &options,
                                   llvm::StringRef path,
                                   std::string *irDump = nullptr,
                                   mlir::TimingScope *timing = nullptr);

/// Links `objectPath` into a shared library at `libraryPath` with the
/// system's C compiler driver. On failure returns false with `error` set.
bool linkSharedLibrary(llvm::StringRef objectPath, llvm::StringRef libraryPath,
                       std::string &error);

/// Writes model.h: the entry symbols, the signature as constants, and an
/// inline loader that links the entries statically.
bool writeModelHeader(llvm::StringRef path, const ModelDescription &model,
                      llvm::StringRef symbolPrefix, std::string &error);

} // namespace tessera

#endif // TESSERA_COMPILER_TARGET_ARTIFACTS_H
