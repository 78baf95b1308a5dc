// RUN: tessera-opt %s --split-input-file --tsr-export-entry-points -verify-diagnostics

// The C interfaces tsr-export-entry-points refuses to wrap.

// Tests that an entry symbol that already exists is reported, not clobbered.
// expected-error @+1 {{entry symbol 'tsr_model_a' already exists}}
llvm.func @_mlir_ciface_a(%x: !llvm.ptr) {
  llvm.return
}
llvm.func @tsr_model_a(%x: !llvm.ptr) {
  llvm.return
}

// -----

// Tests that a C interface returning a value (not through a pointer) is refused.
// expected-error @+1 {{expected a C interface returning through a pointer}}
llvm.func @_mlir_ciface_b(%x: !llvm.ptr) -> i32 {
  %0 = llvm.mlir.constant(0 : i32) : i32
  llvm.return %0 : i32
}

// -----

// Tests that a C interface with a non-pointer parameter (a scalar argument) is refused.
// expected-error @+1 {{expected only pointer parameters, got 'i64'}}
llvm.func @_mlir_ciface_c(%x: !llvm.ptr, %n: i64) {
  llvm.return
}
