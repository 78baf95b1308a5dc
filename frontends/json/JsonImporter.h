//===- JsonImporter.h - JSON graphs into the tsr dialect --------*- C++ -*-===//
//
// Reads a Tessera JSON graph (docs/json-format.md): inputs, outputs, nodes
// with ONNX op names and attributes, and weights given inline or taken from
// a .safetensors file next to the graph. The graph becomes an
// onnx::ModelProto that the ONNX importer imports, so every op the ONNX
// frontend converts works here too. Weights from the safetensors file are
// not copied into the proto: they reach the importer as resource blobs over
// the mapped file.
//
// The text is untrusted input: every field is checked (type, dtype, shape,
// counts, nesting depth) and every error is one line naming the file and the
// input, weight or node at fault.
//
//===----------------------------------------------------------------------===//

#ifndef TESSERA_FRONTENDS_JSON_JSONIMPORTER_H
#define TESSERA_FRONTENDS_JSON_JSONIMPORTER_H

#include "frontends/onnx/OnnxImporter.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <memory>
#include <string>
#include <vector>

namespace tessera {

/// The JSON format version this build reads.
inline constexpr int64_t kJsonGraphFormatVersion = 1;

/// A parsed JSON graph: the ONNX model (inline weights as initializers) and
/// the weights read from the safetensors file.
struct JsonGraph {
  JsonGraph();
  JsonGraph(JsonGraph &&);
  ~JsonGraph();
  std::unique_ptr<onnx::ModelProto> model;
  std::vector<ExternalWeight> weights;
};

/// Parses and checks the graph in `text`. `baseDir` is where a relative
/// "weights_file" is looked up; `displayPath` names the graph in errors.
llvm::Expected<JsonGraph> parseJsonGraph(mlir::MLIRContext *context,
                                         llvm::StringRef text,
                                         llvm::StringRef baseDir,
                                         llvm::StringRef displayPath);

/// Parses the graph in `text` and imports it (what a fuzz target calls).
llvm::Expected<mlir::OwningOpRef<mlir::ModuleOp>>
importJsonGraph(mlir::MLIRContext *context, llvm::StringRef text,
                llvm::StringRef baseDir, llvm::StringRef displayPath,
                const OnnxImportOptions &options);

/// Reads the JSON graph at `path` and imports it; weights are looked up next
/// to it.
llvm::Expected<mlir::OwningOpRef<mlir::ModuleOp>>
importJsonFile(mlir::MLIRContext *context, const std::string &path,
               const OnnxImportOptions &options);

} // namespace tessera

#endif // TESSERA_FRONTENDS_JSON_JSONIMPORTER_H
