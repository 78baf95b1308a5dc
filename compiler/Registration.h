//===- Registration.h - Dialects and passes of every Tessera tool -*- C++ -*-===//
//
// The one place that says which dialects and passes exist, so tessera-opt,
// tessera-compile and the tests all see the same set.
//
//===----------------------------------------------------------------------===//

#ifndef TESSERA_COMPILER_REGISTRATION_H
#define TESSERA_COMPILER_REGISTRATION_H

namespace mlir {
class DialectRegistry;
} // namespace mlir

namespace tessera {

/// tsr plus every upstream dialect and interface model the pipelines use.
void registerAllDialects(mlir::DialectRegistry &registry);
/// Tessera's passes and pipelines plus the upstream passes.
void registerAllPasses();

} // namespace tessera

#endif // TESSERA_COMPILER_REGISTRATION_H
