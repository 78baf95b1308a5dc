//===- ImporterState.h - Internal state of the ONNX importer ----*- C++ -*-===//
//
// The importer's view of ONNX values: each is a tsr tensor, a value known at
// compile time (a small constant, or a shape vector whose elements may be
// index values of dynamic dims), or both. Op converters (Onnx*Ops.cpp) read
// operands through this class and record their results in it.
//
//===----------------------------------------------------------------------===//

#ifndef TESSERA_FRONTENDS_ONNX_IMPORTERSTATE_H
#define TESSERA_FRONTENDS_ONNX_IMPORTERSTATE_H

#include "dialects/tsr/IR/TsrDialect.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Builders.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/Support/Error.h"

#include <onnx/onnx_pb.h>

#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace tessera::onnx_import {

/// One element of a compile-time integer tensor: a constant, or the index
/// value of a dynamic dimension (or of arithmetic on such dims).
struct IntElem {
  int64_t value = 0;
  mlir::Value dynamic; // index-typed; null when `value` holds
  bool isStatic() const { return !dynamic; }
};

/// A tensor whose elements are known while importing.
struct HostTensor {
  mlir::Type elementType;
  llvm::SmallVector<int64_t> shape;
  llvm::SmallVector<IntElem> ints;  // integer and bool element types
  llvm::SmallVector<double> floats; // float element types
  bool isFloat() const { return llvm::isa<mlir::FloatType>(elementType); }
  int64_t numElements() const {
    int64_t n = 1;
    for (int64_t d : shape)
      n *= d;
    return n;
  }
  bool allStatic() const {
    return llvm::all_of(ints, [](const IntElem &e) { return e.isStatic(); });
  }
};

struct ImportedValue {
  mlir::Value tensor;
  std::optional<HostTensor> host;
};

/// Host tensors up to this many elements are tracked for folding.
constexpr int64_t kMaxHostElements = 1024;

class Importer {
public:
  Importer(mlir::MLIRContext *ctx, std::string path, int64_t opset);

  mlir::MLIRContext *ctx;
  mlir::OpBuilder b;
  mlir::Location loc;
  std::string path;
  std::string modelDir;
  int64_t opset;
  llvm::StringMap<ImportedValue> values;

  // --- Errors ---------------------------------------------------------------
  /// "<file>: node '<name>' (<op>, opset N): <message>"
  llvm::Error nodeError(const onnx::NodeProto &node, const llvm::Twine &msg);
  llvm::Error fileError(const llvm::Twine &msg);

  // --- Types ----------------------------------------------------------------
  llvm::Expected<mlir::Type> elementType(int32_t onnxType,
                                         const llvm::Twine &what);

  // --- Values ---------------------------------------------------------------
  /// The value named `name`, or an error naming the node that reads it.
  llvm::Expected<ImportedValue *> lookup(const onnx::NodeProto &node,
                                         const std::string &name);
  /// The tsr tensor of input `i` of `node`, materializing host values.
  llvm::Expected<mlir::Value> tensorOperand(const onnx::NodeProto &node,
                                            int i);
  /// The host tensor of input `i` of `node`, or an error saying it must be
  /// known at compile time.
  llvm::Expected<const HostTensor *> hostOperand(const onnx::NodeProto &node,
                                                 int i);
  /// True if input `i` exists and is non-empty.
  bool hasInput(const onnx::NodeProto &node, int i) const {
    return i < node.input_size() && !node.input(i).empty();
  }
  void setResult(const onnx::NodeProto &node, int i, ImportedValue v);
  void setTensor(const onnx::NodeProto &node, int i, mlir::Value v) {
    setResult(node, i, ImportedValue{v, std::nullopt});
  }

  /// A tsr tensor holding `host` (tsr.constant, or from_elements when some
  /// elements are dynamic).
  mlir::Value materialize(const HostTensor &host);
  /// A host tensor for a constant attribute, when small enough to track.
  std::optional<HostTensor> hostFromElements(mlir::DenseElementsAttr attr);

  // --- Shapes ---------------------------------------------------------------
  /// Size of dim `d` of `v` as an IntElem (constant or tensor.dim).
  IntElem dimOf(mlir::Value v, int64_t d);
  /// An index value for `e`.
  mlir::Value indexValue(const IntElem &e);
  /// Splits `dims` into a static shape (kDynamic where dynamic) and the
  /// dynamic index operands, in order.
  void splitDims(llvm::ArrayRef<IntElem> dims,
                 llvm::SmallVectorImpl<int64_t> &shape,
                 llvm::SmallVectorImpl<mlir::Value> &dynamic);

  // --- Building helpers -----------------------------------------------------
  mlir::Value castTo(mlir::Value v, mlir::Type elementType,
                     bool saturate = true);
  mlir::Value reshape(mlir::Value v, llvm::ArrayRef<IntElem> dims);
  /// Broadcasting binary op (element types must already agree).
  template <typename OpTy>
  llvm::Expected<mlir::Value> binary(const onnx::NodeProto &node,
                                     mlir::Value l, mlir::Value r);
  mlir::Value scalarConstant(mlir::Type elementType, double value);
};

/// Builds the value of an initializer or Constant node's tensor; large
/// tensors become resource-blob constants. Defined in OnnxImporter.cpp.
llvm::Expected<ImportedValue> importTensorProto(Importer &im,
                                                const onnx::TensorProto &t,
                                                const std::string &modelDir);

/// Converts one node through the table of OnnxOps.cpp.
llvm::Error convertNode(Importer &im, const onnx::NodeProto &node);

// --- Converter table ----------------------------------------------------------
using ConverterFn =
    std::function<llvm::Error(Importer &, const onnx::NodeProto &)>;
using ConverterTable = llvm::StringMap<ConverterFn>;

/// The converters, one file per op family (Onnx<Family>Ops.cpp). Each adds
/// its ops to the table; where an op has cases of its own it wraps the
/// family's own base converter, never an entry of another family, so the
/// order of the calls does not matter.
void registerElementwiseConverters(ConverterTable &table);
void registerMatMulConverters(ConverterTable &table);
void registerReductionConverters(ConverterTable &table);
void registerNormalizationConverters(ConverterTable &table);
void registerShapeConverters(ConverterTable &table);
void registerSliceConverters(ConverterTable &table);
void registerTensorConverters(ConverterTable &table);
void registerConvConverters(ConverterTable &table);
void registerIndexingConverters(ConverterTable &table);
void registerResizeConverters(ConverterTable &table);
void registerEinsumConverters(ConverterTable &table);
void registerAttentionConverters(ConverterTable &table);
void registerQuantizeConverters(ConverterTable &table);
/// The com.microsoft ops (a separate table: that domain only).
void registerContribConverters(ConverterTable &table);

/// Rejects, with an "unsupported" error, operands of an element type that
/// the op's lowering cannot handle (unsigned integers outside data movement).
llvm::Error checkOperandTypes(Importer &im, const onnx::NodeProto &node);

// --- Attribute helpers ------------------------------------------------------
const onnx::AttributeProto *findAttr(const onnx::NodeProto &node,
                                     llvm::StringRef name);
int64_t attrInt(const onnx::NodeProto &node, llvm::StringRef name,
                int64_t fallback);
float attrFloat(const onnx::NodeProto &node, llvm::StringRef name,
                float fallback);
std::optional<std::vector<int64_t>> attrInts(const onnx::NodeProto &node,
                                             llvm::StringRef name);

template <typename OpTy>
llvm::Expected<mlir::Value> Importer::binary(const onnx::NodeProto &node,
                                             mlir::Value l, mlir::Value r) {
  auto lt = llvm::cast<mlir::RankedTensorType>(l.getType());
  auto rt = llvm::cast<mlir::RankedTensorType>(r.getType());
  if (lt.getElementType() != rt.getElementType())
    return nodeError(node, "operand element types differ");
  std::optional<llvm::SmallVector<int64_t>> shape =
      mlir::tsr::broadcastShapes({lt.getShape(), rt.getShape()});
  if (!shape)
    return nodeError(node, "operand shapes do not broadcast");
  auto type = mlir::RankedTensorType::get(*shape, lt.getElementType());
  return OpTy::create(b, loc, type, l, r).getResult();
}

} // namespace tessera::onnx_import

#endif // TESSERA_FRONTENDS_ONNX_IMPORTERSTATE_H
