//===- NodeBuilder.h - ONNX ops defined by other ONNX ops -------*- C++ -*-===//
//
// Many ONNX ops are, by their spec, a composition of others (ONNX writes
// them as functions: LogSoftmax, Celu, ReduceL2, ...). A converter for such
// an op builds the composition as ONNX nodes here and converts each with
// the ordinary converters, so the composition gets their checks, their
// broadcasting and their compile-time folding for free. Intermediate values
// get names that no model value can have ("<output>/<op>#<n>"); errors
// still name the node being converted.
//
//===----------------------------------------------------------------------===//

#ifndef TESSERA_FRONTENDS_ONNX_NODEBUILDER_H
#define TESSERA_FRONTENDS_ONNX_NODEBUILDER_H

#include "frontends/onnx/ImporterState.h"

#include <string>

/// Declares `std::string var` holding the value of `expr`, an
/// Expected<std::string> (a NodeBuilder result), or returns its error.
#define ASSIGN_OR_RETURN(var, expr)                                            \
  std::string var;                                                             \
  {                                                                            \
    llvm::Expected<std::string> var##OrErr = (expr);                           \
    if (!var##OrErr)                                                           \
      return var##OrErr.takeError();                                           \
    var = std::move(*var##OrErr);                                              \
  }

namespace tessera::onnx_import {

/// An attribute for a node built by NodeBuilder.
onnx::AttributeProto intAttr(llvm::StringRef name, int64_t value);
onnx::AttributeProto floatAttr(llvm::StringRef name, float value);
onnx::AttributeProto intsAttr(llvm::StringRef name,
                              llvm::ArrayRef<int64_t> values);

/// The ONNX TensorProto data type of an element type the importer uses.
std::optional<int32_t> onnxDataType(mlir::Type elementType);

class NodeBuilder {
public:
  NodeBuilder(Importer &im, const onnx::NodeProto &parent)
      : im(im), parent(parent) {}

  /// Converts an `op` node reading the values named `inputs` ("" for an
  /// absent optional input); returns the name of its (first) output.
  llvm::Expected<std::string>
  add(llvm::StringRef op, llvm::ArrayRef<std::string> inputs,
      llvm::ArrayRef<onnx::AttributeProto> attrs = {});

  /// A scalar (rank-0) compile-time constant of `elementType`.
  std::string scalar(mlir::Type elementType, double value);
  /// A compile-time tensor.
  std::string constant(HostTensor value);
  /// A compile-time 1-D int64 tensor (axes, shapes, slice bounds).
  std::string ints(llvm::ArrayRef<IntElem> values);
  std::string ints(llvm::ArrayRef<int64_t> values);
  /// The dims of the value named `name`, constant or dynamic.
  llvm::SmallVector<IntElem> dims(const std::string &name);
  /// A value holding the tsr tensor `v`.
  std::string tensor(mlir::Value v);

  /// Input `i` of the node being converted, by name.
  const std::string &input(int i) const { return parent.input(i); }
  /// The element type and rank of the value named `name` (which exists).
  mlir::Type elementType(const std::string &name) const;
  int64_t rank(const std::string &name) const;
  /// The tsr tensor of the value named `name`, materialized if need be.
  mlir::Value tensorOf(const std::string &name);

  /// Makes output `i` of the node being converted the value named `name`.
  void setOutput(int i, const std::string &name);

  /// The value named `idx` (input `input` of the node), whose elements
  /// must lie in [-size, size): `sizes` has one size, or one per position
  /// of its last dim (index tuples). Known at compile time, it is checked
  /// now (an error naming the node, the input and the value); else a
  /// tsr.check_indices makes a bad index fail the run.
  llvm::Expected<std::string> checkIndices(const std::string &idx,
                                           llvm::ArrayRef<int64_t> sizes,
                                           int input);

private:
  std::string fresh(llvm::StringRef op);

  Importer &im;
  const onnx::NodeProto &parent;
  int counter = 0;
};

} // namespace tessera::onnx_import

#endif // TESSERA_FRONTENDS_ONNX_NODEBUILDER_H
