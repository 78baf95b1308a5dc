//===- TsrDialect.h - The tsr dialect ---------------------------*- C++ -*-===//
//
// Declares the tsr dialect, its attributes and ops. Include this header to
// use any of them.
//
//===----------------------------------------------------------------------===//

#ifndef TESSERA_DIALECTS_TSR_IR_TSRDIALECT_H
#define TESSERA_DIALECTS_TSR_IR_TSRDIALECT_H

#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Dialect.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/IR/OpImplementation.h"
#include "mlir/Interfaces/InferTypeOpInterface.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#include "dialects/tsr/IR/TsrDialect.h.inc"
#include "dialects/tsr/IR/TsrEnums.h.inc"

#define GET_ATTRDEF_CLASSES
#include "dialects/tsr/IR/TsrAttrs.h.inc"

#define GET_OP_CLASSES
#include "dialects/tsr/IR/TsrOps.h.inc"

#include "dialects/tsr/IR/TsrAttrNames.h"
#include "dialects/tsr/IR/TsrShapes.h"

#endif // TESSERA_DIALECTS_TSR_IR_TSRDIALECT_H
