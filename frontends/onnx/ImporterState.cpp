//===- ImporterState.cpp - The ONNX importer's values and helpers ---------===//
//
// The Importer (ImporterState.h): errors that name the file and node, ONNX
// element types, operand lookup (tsr tensors, host tensors, materializing
// one as the other), dims that may be dynamic, casts and reshapes, and the
// attribute accessors the converters use.
//
//===----------------------------------------------------------------------===//

#include "frontends/onnx/ImporterState.h"

#include "mlir/IR/BuiltinDialect.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "llvm/Support/Path.h"

using namespace mlir;
using llvm::Error;
using llvm::Expected;

namespace tessera::onnx_import {

Importer::Importer(MLIRContext *ctx, std::string path, int64_t opset)
    : ctx(ctx), b(ctx), loc(FileLineColLoc::get(ctx, path, 0, 0)),
      path(std::move(path)), opset(opset) {}

Error Importer::nodeError(const onnx::NodeProto &node, const llvm::Twine &msg) {
  return llvm::createStringError(
      llvm::inconvertibleErrorCode(),
      path + ": node '" + node.name() + "' (" + node.op_type() + ", opset " +
          llvm::Twine(opset) + "): " + msg);
}

Error Importer::fileError(const llvm::Twine &msg) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                 path + ": " + msg);
}

Expected<Type> Importer::elementType(int32_t t, const llvm::Twine &what) {
  using TP = onnx::TensorProto;
  switch (t) {
  case TP::FLOAT: return b.getF32Type();
  case TP::DOUBLE: return b.getF64Type();
  case TP::FLOAT16: return b.getF16Type();
  case TP::BFLOAT16: return b.getBF16Type();
  case TP::INT64: return b.getI64Type();
  case TP::INT32: return b.getI32Type();
  case TP::INT16: return b.getIntegerType(16);
  case TP::INT8: return b.getIntegerType(8);
  case TP::UINT8: return b.getIntegerType(8, /*isSigned=*/false);
  case TP::UINT16: return b.getIntegerType(16, /*isSigned=*/false);
  case TP::UINT32: return b.getIntegerType(32, /*isSigned=*/false);
  case TP::UINT64: return b.getIntegerType(64, /*isSigned=*/false);
  case TP::BOOL: return b.getI1Type();
  // The 8-bit floats (ONNX 1.14+; libonnx 1.12 lacks their names).
  case 17: return b.getType<Float8E4M3FNType>();
  case 18: return b.getType<Float8E4M3FNUZType>();
  case 19: return b.getType<Float8E5M2Type>();
  case 20: return b.getType<Float8E5M2FNUZType>();
  // The 4-bit types: one element per byte in memory (see runtime.h).
  case 21: return b.getIntegerType(4, /*isSigned=*/false);
  case 22: return b.getIntegerType(4);
  case 23: return b.getType<Float4E2M1FNType>();
  default: {
    // libonnx 1.12 predates the 8- and 4-bit types; name them ourselves.
    static const char *const newer[] = {
        "FLOAT8E4M3FN", "FLOAT8E4M3FNUZ", "FLOAT8E5M2", "FLOAT8E5M2FNUZ",
        "UINT4",        "INT4",           "FLOAT4E2M1", "FLOAT8E8M0"};
    std::string name = TP::DataType_IsValid(t) ? TP::DataType_Name(t) : "";
    if (name.empty() && t >= 17 && t <= 24)
      name = newer[t - 17];
    return fileError(what + " has unsupported element type " +
                     llvm::Twine(t) + " (" + name + ")");
  }
  }
}

Expected<ImportedValue *> Importer::lookup(const onnx::NodeProto &node,
                                           const std::string &name) {
  auto it = values.find(name);
  if (it == values.end())
    return nodeError(node, "input '" + name +
                               "' is not produced by any earlier node, "
                               "initializer or graph input");
  return &it->second;
}

Expected<Value> Importer::tensorOperand(const onnx::NodeProto &node, int i) {
  if (!hasInput(node, i))
    return nodeError(node, "missing input " + llvm::Twine(i));
  Expected<ImportedValue *> v = lookup(node, node.input(i));
  if (!v)
    return v.takeError();
  if (!(*v)->tensor)
    (*v)->tensor = materialize(*(*v)->host);
  return (*v)->tensor;
}

Expected<const HostTensor *> Importer::hostOperand(const onnx::NodeProto &node,
                                                   int i) {
  if (!hasInput(node, i))
    return nodeError(node, "missing input " + llvm::Twine(i));
  Expected<ImportedValue *> v = lookup(node, node.input(i));
  if (!v)
    return v.takeError();
  if (!(*v)->host)
    return nodeError(node, "input '" + node.input(i) +
                               "' must be known at compile time (a constant "
                               "or a shape computation); it depends on "
                               "run-time data");
  return &*(*v)->host;
}

void Importer::setResult(const onnx::NodeProto &node, int i, ImportedValue v) {
  if (i < node.output_size() && !node.output(i).empty())
    values[node.output(i)] = std::move(v);
}

Value Importer::materialize(const HostTensor &host) {
  auto type = RankedTensorType::get(host.shape, host.elementType);
  if (host.isFloat()) {
    SmallVector<APFloat> vals;
    auto ft = cast<FloatType>(host.elementType);
    for (double d : host.floats) {
      APFloat f(d);
      bool lost;
      f.convert(ft.getFloatSemantics(), APFloat::rmNearestTiesToEven, &lost);
      vals.push_back(f);
    }
    return tsr::ConstantOp::create(b, loc, DenseElementsAttr::get(type, vals));
  }
  unsigned width = host.elementType.getIntOrFloatBitWidth();
  if (host.allStatic()) {
    SmallVector<APInt> vals;
    for (const IntElem &e : host.ints)
      vals.push_back(APInt(width, e.value, /*isSigned=*/true, /*implicitTrunc=*/true));
    return tsr::ConstantOp::create(b, loc, DenseElementsAttr::get(type, vals));
  }
  // Some elements are dynamic dims: build the tensor at run time.
  SmallVector<Value> elems;
  for (const IntElem &e : host.ints)
    elems.push_back(arith::IndexCastOp::create(b, loc, host.elementType,
                                               indexValue(e)));
  return tensor::FromElementsOp::create(b, loc, type, elems);
}

std::optional<HostTensor> Importer::hostFromElements(DenseElementsAttr attr) {
  auto type = cast<RankedTensorType>(attr.getType());
  if (type.getNumElements() > kMaxHostElements)
    return std::nullopt;
  HostTensor h;
  h.elementType = type.getElementType();
  h.shape.assign(type.getShape().begin(), type.getShape().end());
  if (h.isFloat()) {
    for (APFloat f : attr.getValues<APFloat>())
      h.floats.push_back(f.convertToDouble());
  } else if (h.elementType.isInteger(1)) {
    for (bool v : attr.getValues<bool>())
      h.ints.push_back({v ? 1 : 0, {}});
  } else {
    bool isUnsigned = h.elementType.isUnsignedInteger();
    for (APInt v : attr.getValues<APInt>())
      h.ints.push_back(
          {isUnsigned ? static_cast<int64_t>(v.getZExtValue()) : v.getSExtValue(),
           {}});
  }
  return h;
}

IntElem Importer::dimOf(Value v, int64_t d) {
  auto t = cast<RankedTensorType>(v.getType());
  if (!t.isDynamicDim(d))
    return {t.getDimSize(d), {}};
  return {0, tensor::DimOp::create(b, loc, v, d)};
}

Value Importer::indexValue(const IntElem &e) {
  if (e.dynamic)
    return e.dynamic;
  return arith::ConstantIndexOp::create(b, loc, e.value);
}

void Importer::splitDims(ArrayRef<IntElem> dims, SmallVectorImpl<int64_t> &shape,
                         SmallVectorImpl<Value> &dynamic) {
  for (const IntElem &e : dims) {
    if (e.isStatic()) {
      shape.push_back(e.value);
    } else {
      shape.push_back(ShapedType::kDynamic);
      dynamic.push_back(e.dynamic);
    }
  }
}

Value Importer::castTo(Value v, Type elementType, bool saturate) {
  auto t = cast<RankedTensorType>(v.getType());
  if (t.getElementType() == elementType)
    return v;
  return tsr::CastOp::create(b, loc, t.clone(elementType), v, saturate);
}

Value Importer::reshape(Value v, ArrayRef<IntElem> dims) {
  SmallVector<int64_t> shape;
  SmallVector<Value> dynamic;
  splitDims(dims, shape, dynamic);
  auto t = cast<RankedTensorType>(v.getType());
  auto type = RankedTensorType::get(shape, t.getElementType());
  if (type == t && dynamic.empty())
    return v;
  return tsr::ReshapeOp::create(b, loc, type, v, dynamic);
}

Value Importer::scalarConstant(Type elementType, double value) {
  auto type = RankedTensorType::get({}, elementType);
  Attribute attr = isa<FloatType>(elementType)
                       ? Attribute(b.getFloatAttr(elementType, value))
                       : Attribute(b.getIntegerAttr(elementType,
                                                    static_cast<int64_t>(value)));
  return tsr::ConstantOp::create(
      b, loc, DenseElementsAttr::get(type, ArrayRef<Attribute>{attr}));
}

const onnx::AttributeProto *findAttr(const onnx::NodeProto &node,
                                     llvm::StringRef name) {
  for (const auto &a : node.attribute())
    if (a.name() == name)
      return &a;
  return nullptr;
}

int64_t attrInt(const onnx::NodeProto &node, llvm::StringRef name,
                int64_t fallback) {
  const onnx::AttributeProto *a = findAttr(node, name);
  return a ? a->i() : fallback;
}

float attrFloat(const onnx::NodeProto &node, llvm::StringRef name,
                float fallback) {
  const onnx::AttributeProto *a = findAttr(node, name);
  return a ? a->f() : fallback;
}

std::optional<std::vector<int64_t>> attrInts(const onnx::NodeProto &node,
                                             llvm::StringRef name) {
  const onnx::AttributeProto *a = findAttr(node, name);
  if (!a)
    return std::nullopt;
  return std::vector<int64_t>(a->ints().begin(), a->ints().end());
}

} // namespace tessera::onnx_import
