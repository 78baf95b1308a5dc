//===- LowerStridedCopies.cpp - Non-contiguous copies become linalg.copy --===//
//
// Implements tsr-lower-strided-copies (see Passes.td for the rationale).
//
//===----------------------------------------------------------------------===//

#include "compiler/Codegen/CPU/Passes.h"

#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/MemRef/Utils/MemRefUtils.h"

using namespace mlir;

namespace tessera {

#define GEN_PASS_DEF_TSRLOWERSTRIDEDCOPIESPASS
#include "compiler/Codegen/CPU/Passes.h.inc"

namespace {

bool isContiguous(Type t) {
  auto m = cast<MemRefType>(t);
  return m.getLayout().isIdentity() || memref::isStaticShapeAndContiguousRowMajor(m);
}

struct TsrLowerStridedCopiesPass
    : impl::TsrLowerStridedCopiesPassBase<TsrLowerStridedCopiesPass> {
  void runOnOperation() override {
    SmallVector<memref::CopyOp> copies;
    getOperation().walk([&](memref::CopyOp copy) {
      if (!isContiguous(copy.getSource().getType()) ||
          !isContiguous(copy.getTarget().getType()))
        copies.push_back(copy);
    });
    for (memref::CopyOp copy : copies) {
      OpBuilder b(copy);
      linalg::CopyOp::create(b, copy.getLoc(), copy.getSource(),
                             copy.getTarget());
      copy.erase();
    }
  }
};

} // namespace
} // namespace tessera
