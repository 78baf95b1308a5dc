//===- OnnxImporter.h - ONNX models into the tsr dialect --------*- C++ -*-===//
//
// Reads an ONNX ModelProto (protobuf, via libonnx's generated classes) and
// builds a module with one `func.func @main` of tsr ops. Shape subgraphs
// (Shape, Gather, Unsqueeze, Concat, ...) are evaluated while importing, so
// Reshape and Expand get their target shapes as constants or as index values
// of dynamic dims; symbolic input dims stay dynamic.
//
//===----------------------------------------------------------------------===//

#ifndef TESSERA_FRONTENDS_ONNX_ONNXIMPORTER_H
#define TESSERA_FRONTENDS_ONNX_ONNXIMPORTER_H

#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"
#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <map>
#include <string>
#include <vector>

namespace onnx {
class ModelProto;
} // namespace onnx

namespace tessera {

/// A value that replaces a graph input (`--bind-input`): it is imported as
/// an initializer of that name, so that ops taking shapes, starts or axes
/// from it (Reshape, Slice, CumSum...) see a constant.
struct BoundInput {
  int32_t onnxDataType = 0;    // onnx::TensorProto::DataType
  std::vector<int64_t> shape;  // its dims
  std::string rawData;         // little-endian, C order
  /// Integers given on the command line: they take the input's own integer
  /// type (int64 or int32) instead of onnxDataType.
  bool integerList = false;
};

struct OnnxImportOptions {
  /// Fixes the shape of named inputs (e.g. from `--input-shape ids=1x128`),
  /// overriding what the model declares; checked against static dims.
  std::map<std::string, std::vector<int64_t>> inputShapes;
  /// Graph inputs fixed to values; each must be an input of the model, of
  /// its element type and rank (static dims equal).
  std::map<std::string, BoundInput> boundInputs;
};

/// Imports the ONNX model at `path`. Errors name the file and, where there is
/// one, the node (name, op type and opset) or the initializer at fault.
llvm::Expected<mlir::OwningOpRef<mlir::ModuleOp>>
importOnnxFile(mlir::MLIRContext *context, const std::string &path,
               const OnnxImportOptions &options);

/// Imports the serialized ModelProto `bytes` (the contents of a .onnx file),
/// with the same checks as importOnnxFile; `displayPath` names it in errors,
/// relative external-data paths resolve against `modelDir`.
llvm::Expected<mlir::OwningOpRef<mlir::ModuleOp>>
importOnnxBuffer(mlir::MLIRContext *context, llvm::StringRef bytes,
                 llvm::StringRef displayPath, llvm::StringRef modelDir,
                 const OnnxImportOptions &options);

/// A weight that lives outside the ModelProto: an initializer name and its
/// value, typically a DenseResourceElementsAttr over a mapped file, so that
/// large weights are never copied into protobuf strings or IR attributes.
struct ExternalWeight {
  std::string name;
  mlir::ElementsAttr value;
};

/// Imports an in-memory model. `displayPath` names the model in errors and
/// locations; relative external-data paths resolve against `modelDir`.
/// `externalWeights` are imported as initializers, after the proto's own;
/// nodes read them by name like any other initializer.
llvm::Expected<mlir::OwningOpRef<mlir::ModuleOp>>
importOnnxModel(mlir::MLIRContext *context, const onnx::ModelProto &model,
                llvm::StringRef displayPath, llvm::StringRef modelDir,
                const OnnxImportOptions &options,
                llvm::ArrayRef<ExternalWeight> externalWeights = {});

/// The ONNX op types (default domain) the importer converts, sorted.
std::vector<std::string> supportedOnnxOps();

} // namespace tessera

#endif // TESSERA_FRONTENDS_ONNX_ONNXIMPORTER_H
