//===- KernelContext.h - Reading the runtime's kernel table -----*- C++ -*-===//
//
// Generated code reaches runtime kernels and the buffer allocator through
// tsr_kernel_context_t (runtime/include/tessera/abi.h). The passes that emit
// those calls share this one way of finding the table and reading a field
// of it.
//
//===----------------------------------------------------------------------===//

#ifndef TESSERA_COMPILER_CODEGEN_CPU_KERNELCONTEXT_H
#define TESSERA_COMPILER_CODEGEN_CPU_KERNELCONTEXT_H

#include "dialects/tsr/IR/TsrAttrNames.h"

#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/IR/Builders.h"

#include <cstddef>

namespace tessera {

/// Loads the pointer at byte `offset` of the kernel context `ctx` (use
/// offsetof(tsr_kernel_context_t, field)).
inline mlir::Value loadKernelContextField(mlir::OpBuilder &b,
                                          mlir::Location loc, mlir::Value ctx,
                                          size_t offset) {
  auto ptrType = mlir::LLVM::LLVMPointerType::get(b.getContext());
  mlir::Value field = mlir::LLVM::GEPOp::create(
      b, loc, ptrType, b.getI8Type(), ctx,
      llvm::ArrayRef<mlir::LLVM::GEPArg>{static_cast<int32_t>(offset)});
  return mlir::LLVM::LoadOp::create(b, loc, ptrType, field);
}

/// The function's tsr.kernel_context argument (tsr-lower-to-ukernels adds
/// one to every public function), or null; for func.func and llvm.func.
template <typename FuncOpT> mlir::Value kernelContextOf(FuncOpT fn) {
  if (fn.isExternal())
    return mlir::Value();
  for (unsigned i = 0; i < fn.getNumArguments(); ++i)
    if (fn.getArgAttr(i, mlir::tsr::kKernelContextAttr))
      return fn.getArgument(i);
  return mlir::Value();
}

} // namespace tessera

#endif // TESSERA_COMPILER_CODEGEN_CPU_KERNELCONTEXT_H
