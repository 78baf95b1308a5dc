//===- NodeBuilder.cpp - ONNX ops defined by other ONNX ops ---------------===//
//
// See NodeBuilder.h.
//
//===----------------------------------------------------------------------===//

#include "frontends/onnx/NodeBuilder.h"

#include "llvm/Support/FormatVariadic.h"

using namespace mlir;
using llvm::Error;
using llvm::Expected;

namespace tessera::onnx_import {

onnx::AttributeProto intAttr(llvm::StringRef name, int64_t value) {
  onnx::AttributeProto a;
  a.set_name(name.str());
  a.set_type(onnx::AttributeProto::INT);
  a.set_i(value);
  return a;
}

onnx::AttributeProto floatAttr(llvm::StringRef name, float value) {
  onnx::AttributeProto a;
  a.set_name(name.str());
  a.set_type(onnx::AttributeProto::FLOAT);
  a.set_f(value);
  return a;
}

onnx::AttributeProto intsAttr(llvm::StringRef name, ArrayRef<int64_t> values) {
  onnx::AttributeProto a;
  a.set_name(name.str());
  a.set_type(onnx::AttributeProto::INTS);
  for (int64_t v : values)
    a.add_ints(v);
  return a;
}

std::optional<int32_t> onnxDataType(Type t) {
  using TP = onnx::TensorProto;
  if (t.isF32()) return TP::FLOAT;
  if (t.isF64()) return TP::DOUBLE;
  if (t.isF16()) return TP::FLOAT16;
  if (t.isBF16()) return TP::BFLOAT16;
  if (t.isInteger(1)) return TP::BOOL;
  if (isa<Float4E2M1FNType>(t)) return 23;
  if (t.isUnsignedInteger(4)) return 21;
  if (t.isSignlessInteger(4)) return 22;
  if (isa<Float8E4M3FNType>(t)) return 17;
  if (isa<Float8E4M3FNUZType>(t)) return 18;
  if (isa<Float8E5M2Type>(t)) return 19;
  if (isa<Float8E5M2FNUZType>(t)) return 20;
  if (t.isUnsignedInteger(8)) return TP::UINT8;
  if (t.isUnsignedInteger(16)) return TP::UINT16;
  if (t.isUnsignedInteger(32)) return TP::UINT32;
  if (t.isUnsignedInteger(64)) return TP::UINT64;
  if (t.isSignlessInteger(8)) return TP::INT8;
  if (t.isSignlessInteger(16)) return TP::INT16;
  if (t.isSignlessInteger(32)) return TP::INT32;
  if (t.isSignlessInteger(64)) return TP::INT64;
  return std::nullopt;
}

std::string NodeBuilder::fresh(StringRef op) {
  std::string base = (parent.output_size() ? parent.output(0) : parent.name()) +
                     "/" + op.str() + "#";
  std::string name;
  do
    name = base + std::to_string(counter++);
  while (im.values.count(name));
  return name;
}

Expected<std::string> NodeBuilder::add(StringRef op,
                                       ArrayRef<std::string> inputs,
                                       ArrayRef<onnx::AttributeProto> attrs) {
  onnx::NodeProto node;
  node.set_op_type(op.str());
  node.set_name(parent.name());
  for (const std::string &in : inputs)
    node.add_input(in);
  std::string out = fresh(op);
  node.add_output(out);
  for (const onnx::AttributeProto &a : attrs)
    *node.add_attribute() = a;
  if (Error e = convertNode(im, node))
    return std::move(e);
  return out;
}

std::string NodeBuilder::scalar(Type elementType, double value) {
  HostTensor h;
  h.elementType = elementType;
  if (h.isFloat())
    h.floats.push_back(value);
  else
    h.ints.push_back({static_cast<int64_t>(value), {}});
  return constant(std::move(h));
}

std::string NodeBuilder::constant(HostTensor value) {
  std::string name = fresh("Constant");
  im.values[name] = ImportedValue{Value(), std::move(value)};
  return name;
}

std::string NodeBuilder::ints(ArrayRef<IntElem> values) {
  HostTensor h;
  h.elementType = im.b.getI64Type();
  h.shape = {static_cast<int64_t>(values.size())};
  h.ints.assign(values.begin(), values.end());
  return constant(std::move(h));
}

std::string NodeBuilder::ints(ArrayRef<int64_t> values) {
  SmallVector<IntElem> elems;
  for (int64_t v : values)
    elems.push_back({v, {}});
  return ints(elems);
}

SmallVector<IntElem> NodeBuilder::dims(const std::string &name) {
  const ImportedValue &v = im.values.find(name)->second;
  SmallVector<IntElem> out;
  if (v.tensor) {
    for (int64_t d = 0; d < cast<RankedTensorType>(v.tensor.getType()).getRank(); ++d)
      out.push_back(im.dimOf(v.tensor, d));
  } else {
    for (int64_t d : v.host->shape)
      out.push_back({d, {}});
  }
  return out;
}

std::string NodeBuilder::tensor(Value v) {
  std::string name = fresh("Value");
  im.values[name] = ImportedValue{v, std::nullopt};
  return name;
}

Type NodeBuilder::elementType(const std::string &name) const {
  const ImportedValue &v = im.values.find(name)->second;
  if (v.tensor)
    return cast<RankedTensorType>(v.tensor.getType()).getElementType();
  return v.host->elementType;
}

int64_t NodeBuilder::rank(const std::string &name) const {
  const ImportedValue &v = im.values.find(name)->second;
  if (v.tensor)
    return cast<RankedTensorType>(v.tensor.getType()).getRank();
  return v.host->shape.size();
}

Expected<std::string> NodeBuilder::checkIndices(const std::string &idx,
                                                ArrayRef<int64_t> sizes,
                                                int input) {
  const ImportedValue &v = im.values.find(idx)->second;
  if (v.host && v.host->allStatic()) {
    int64_t k = static_cast<int64_t>(sizes.size());
    for (size_t i = 0; i < v.host->ints.size(); ++i) {
      int64_t x = v.host->ints[i].value, size = sizes[i % k];
      if (x < -size || x >= size)
        return im.nodeError(parent,
                            llvm::formatv("input '{0}': index {1} is out of "
                                          "range for a dimension of size {2}",
                                          parent.input(input), x, size)
                                .str());
    }
    return idx;
  }
  Value t = tensorOf(idx);
  std::string what = "node '" + parent.name() + "' (input '" +
                     parent.input(input) + "')";
  auto checked = tsr::CheckIndicesOp::create(
      im.b, im.loc, t.getType(), t, im.b.getDenseI64ArrayAttr(sizes),
      im.b.getStringAttr(what));
  return tensor(checked.getResult());
}

Value NodeBuilder::tensorOf(const std::string &name) {
  ImportedValue &v = im.values.find(name)->second;
  if (!v.tensor)
    v.tensor = im.materialize(*v.host);
  return v.tensor;
}

void NodeBuilder::setOutput(int i, const std::string &name) {
  ImportedValue v = im.values.find(name)->second;
  im.setResult(parent, i, std::move(v));
}

} // namespace tessera::onnx_import
