//===- Passes.td - CPU code generation passes --------------*- tablegen -*-===//
//
// Passes specific to the CPU backend.
//
//===----------------------------------------------------------------------===//

#ifndef TESSERA_CODEGEN_CPU_PASSES_TD
#define TESSERA_CODEGEN_CPU_PASSES_TD

include "mlir/Pass/PassBase.td"

//===----------------------------------------------------------------------===//
// Entry points
//===----------------------------------------------------------------------===//

def TsrExportEntryPointsPass : Pass<"tsr-export-entry-points", "ModuleOp"> {
  let summary = "Adds the packed `void <prefix>_<name>(void **args)` entries of the runtime ABI.";
  let description = [{
    Runs after the lowering to the LLVM dialect, on the `_mlir_ciface_<name>`
    functions that `llvm-request-c-wrappers` asked for. For each one it adds
    `<symbol-prefix>_<name>(ptr %args)`, which loads `args[0..n]` and calls
    the C-interface function with them (see runtime/include/tessera/abi.h),
    then gives every other defined function internal linkage, so that an
    app can link several models and its own `main` without clashes.
  }];
  let options = [
    Option<"symbolPrefix", "symbol-prefix", "std::string",
           /*default=*/"\"tsr_model\"",
           "Prefix of the exported entry symbols">
  ];
  let dependentDialects = ["::mlir::LLVM::LLVMDialect"];
}

//===----------------------------------------------------------------------===//
// Math
//===----------------------------------------------------------------------===//

def TsrApproximateMathPass : Pass<"tsr-approximate-math", "func::FuncOp"> {
  let summary = "Replaces math.erf and math.tanh by polynomial approximations.";
  let description = [{
    LLVM has no intrinsic for erf or tanh, so they would become scalar
    libm calls that block vectorization and tie generated code to libm.
    The polynomial forms are plain arithmetic (accurate to a few ulp in
    f32), which vectorizes and runs the same on every target.

    Before:
    ```mlir
    %y = math.erf %x : f32
    ```
    After: a sequence of arith ops (clamp, polynomial, select).
  }];
  let dependentDialects = ["::mlir::arith::ArithDialect",
                           "::mlir::math::MathDialect",
                           "::mlir::vector::VectorDialect"];
}

#endif // TESSERA_CODEGEN_CPU_PASSES_TD
