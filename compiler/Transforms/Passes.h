//===- Passes.h - tsr to tsr passes -----------------------------*- C++ -*-===//
//
// Declarations and registration of the passes in Transforms/Passes.td.
//
//===----------------------------------------------------------------------===//

#ifndef TESSERA_COMPILER_TRANSFORMS_PASSES_H
#define TESSERA_COMPILER_TRANSFORMS_PASSES_H

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/Pass/Pass.h"

namespace tessera {

#define GEN_PASS_DECL
#include "compiler/Transforms/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "compiler/Transforms/Passes.h.inc"

} // namespace tessera

#endif // TESSERA_COMPILER_TRANSFORMS_PASSES_H
