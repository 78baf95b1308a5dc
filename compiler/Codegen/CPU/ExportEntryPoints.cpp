//===- ExportEntryPoints.cpp - Packed runtime entries ---------------------===//
//
// Implements tsr-export-entry-points (see Passes.td for the rationale).
//
//===----------------------------------------------------------------------===//

#include "compiler/Codegen/CPU/Passes.h"

#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinOps.h"

using namespace mlir;

namespace tessera {

#define GEN_PASS_DEF_TSREXPORTENTRYPOINTSPASS
#include "compiler/Codegen/CPU/Passes.h.inc"

namespace {

constexpr llvm::StringLiteral kCInterfacePrefix = "_mlir_ciface_";

struct TsrExportEntryPointsPass
    : impl::TsrExportEntryPointsPassBase<TsrExportEntryPointsPass> {
  using Base::Base;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    MLIRContext *ctx = module.getContext();
    auto ptrType = LLVM::LLVMPointerType::get(ctx);
    auto voidType = LLVM::LLVMVoidType::get(ctx);

    SmallVector<LLVM::LLVMFuncOp> cifaces;
    for (auto fn : module.getOps<LLVM::LLVMFuncOp>())
      // Private helpers (e.g. __tsr_sgemm) get C interfaces too; only
      // public functions are entries.
      if (fn.getName().starts_with(kCInterfacePrefix) && !fn.isExternal() &&
          !fn.isPrivate())
        cifaces.push_back(fn);

    for (auto fn : module.getOps<LLVM::LLVMFuncOp>())
      if (!fn.isExternal())
        fn.setLinkage(LLVM::Linkage::Internal);

    OpBuilder b(ctx);
    for (LLVM::LLVMFuncOp ciface : cifaces) {
      StringRef name = ciface.getName().drop_front(kCInterfacePrefix.size());
      std::string symbol = symbolPrefix + "_" + name.str();
      if (module.lookupSymbol(symbol)) {
        ciface.emitError("entry symbol '") << symbol << "' already exists";
        return signalPassFailure();
      }
      LLVM::LLVMFunctionType cifaceType = ciface.getFunctionType();
      if (!isa<LLVM::LLVMVoidType>(cifaceType.getReturnType())) {
        ciface.emitError("expected a C interface returning through a pointer");
        return signalPassFailure();
      }
      for (Type t : cifaceType.getParams())
        if (!isa<LLVM::LLVMPointerType>(t)) {
          ciface.emitError("expected only pointer parameters, got ") << t;
          return signalPassFailure();
        }

      b.setInsertionPointToEnd(module.getBody());
      Location loc = ciface.getLoc();
      auto entry = LLVM::LLVMFuncOp::create(
          b, loc, symbol, LLVM::LLVMFunctionType::get(voidType, {ptrType}));
      Block *body = entry.addEntryBlock(b);
      b.setInsertionPointToStart(body);
      Value args = body->getArgument(0);
      // args[0] is the results block; a function without results has no
      // result pointer in its C interface, so its arguments start at 1.
      auto impl = module.lookupSymbol<LLVM::LLVMFuncOp>(name);
      bool hasResults =
          impl && !isa<LLVM::LLVMVoidType>(impl.getFunctionType().getReturnType());
      int32_t first = hasResults ? 0 : 1;
      SmallVector<Value> operands;
      for (unsigned i = 0; i < cifaceType.getNumParams(); ++i) {
        Value slot = LLVM::GEPOp::create(
            b, loc, ptrType, ptrType, args,
            ArrayRef<LLVM::GEPArg>{first + static_cast<int32_t>(i)});
        operands.push_back(LLVM::LoadOp::create(b, loc, ptrType, slot));
      }
      LLVM::CallOp::create(b, loc, ciface, operands);
      LLVM::ReturnOp::create(b, loc, ValueRange{});
    }
  }
};

} // namespace
} // namespace tessera
