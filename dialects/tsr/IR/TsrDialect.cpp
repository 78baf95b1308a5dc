//===- TsrDialect.cpp - The tsr dialect -----------------------------------===//
//
// Registers the tsr ops and attributes and materializes folded constants.
//
//===----------------------------------------------------------------------===//

#include "dialects/tsr/IR/TsrDialect.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/DialectImplementation.h"
#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;
using namespace mlir::tsr;

#include "dialects/tsr/IR/TsrDialect.cpp.inc"
#include "dialects/tsr/IR/TsrEnums.cpp.inc"

#define GET_ATTRDEF_CLASSES
#include "dialects/tsr/IR/TsrAttrs.cpp.inc"

void TsrDialect::initialize() {
  addAttributes<
#define GET_ATTRDEF_LIST
#include "dialects/tsr/IR/TsrAttrs.cpp.inc"
      >();
  addOperations<
#define GET_OP_LIST
#include "dialects/tsr/IR/TsrOps.cpp.inc"
      >();
}

Operation *TsrDialect::materializeConstant(OpBuilder &builder, Attribute value,
                                           Type type, Location loc) {
  auto elements = dyn_cast<ElementsAttr>(value);
  if (!elements || elements.getType() != type)
    return nullptr;
  return ConstantOp::create(builder, loc, elements);
}
