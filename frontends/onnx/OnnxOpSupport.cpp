//===- OnnxOpSupport.cpp - What the ONNX op converters share --------------===//
//
// Host evaluation for the converters (OnnxOpSupport.h).
//
//===----------------------------------------------------------------------===//

#include "frontends/onnx/OnnxOpSupport.h"

using namespace mlir;
using llvm::Error;
using llvm::Expected;

namespace tessera::onnx_import {

SmallVector<int64_t> stridesOf(ArrayRef<int64_t> shape) {
  SmallVector<int64_t> strides(shape.size(), 1);
  for (int64_t d = static_cast<int64_t>(shape.size()) - 2; d >= 0; --d)
    strides[d] = strides[d + 1] * shape[d + 1];
  return strides;
}

std::optional<HostTensor> hostBroadcast(
    ArrayRef<const HostTensor *> ins, Type resultType,
    function_ref<std::optional<IntElem>(ArrayRef<IntElem>)> intFn,
    function_ref<double(ArrayRef<double>)> floatFn) {
  SmallVector<ArrayRef<int64_t>> shapes;
  for (const HostTensor *h : ins)
    shapes.push_back(h->shape);
  auto shape = tsr::broadcastShapes(shapes);
  if (!shape)
    return std::nullopt;
  HostTensor out;
  out.elementType = resultType;
  out.shape = *shape;
  int64_t n = out.numElements();
  SmallVector<int64_t> outStrides = stridesOf(*shape);
  for (int64_t i = 0; i < n; ++i) {
    SmallVector<IntElem> iargs;
    SmallVector<double> fargs;
    for (const HostTensor *h : ins) {
      int64_t lead = shape->size() - h->shape.size(), idx = 0;
      SmallVector<int64_t> hs = stridesOf(h->shape);
      for (size_t d = 0; d < h->shape.size(); ++d) {
        int64_t coord = (i / outStrides[lead + d]) % (*shape)[lead + d];
        idx += (h->shape[d] == 1 ? 0 : coord) * hs[d];
      }
      if (h->isFloat()) {
        fargs.push_back(h->floats[idx]);
      } else {
        iargs.push_back(h->ints[idx]);
        fargs.push_back(static_cast<double>(h->ints[idx].value));
      }
    }
    if (out.isFloat()) {
      out.floats.push_back(floatFn(fargs));
    } else {
      std::optional<IntElem> r = intFn(iargs);
      if (!r)
        return std::nullopt;
      out.ints.push_back(*r);
    }
  }
  return out;
}

std::optional<IntElem> intArith(Importer &im, StringRef op, IntElem a,
                                IntElem c) {
  if (a.isStatic() && c.isStatic()) {
    // Two's complement wrap-around, as the ops compute at run time (and
    // without C++'s undefined behaviour on overflow).
    int64_t x = a.value, y = c.value;
    auto wrap = [](uint64_t v) { return IntElem{static_cast<int64_t>(v), {}}; };
    if (op == "Add") return wrap(uint64_t(x) + uint64_t(y));
    if (op == "Sub") return wrap(uint64_t(x) - uint64_t(y));
    if (op == "Mul") return wrap(uint64_t(x) * uint64_t(y));
    if (op == "Div") {
      if (y == 0)
        return std::nullopt;
      if (y == -1)
        return wrap(0 - uint64_t(x));
      return IntElem{x / y, {}};
    }
    if (op == "Max") return IntElem{std::max(x, y), {}};
    if (op == "Min") return IntElem{std::min(x, y), {}};
    if (op == "And") return IntElem{x & y, {}};
    if (op == "Or") return IntElem{x | y, {}};
    return std::nullopt;
  }
  // x * 1, x + 0 and x / 1 keep the dynamic value itself.
  if ((op == "Mul" || op == "Div") && c.isStatic() && c.value == 1)
    return a;
  if (op == "Mul" && a.isStatic() && a.value == 1)
    return c;
  if ((op == "Add" || op == "Sub") && c.isStatic() && c.value == 0)
    return a;
  if (op == "Add" && a.isStatic() && a.value == 0)
    return c;
  Value x = im.indexValue(a), y = im.indexValue(c);
  Value r;
  if (op == "Add") r = arith::AddIOp::create(im.b, im.loc, x, y);
  else if (op == "Sub") r = arith::SubIOp::create(im.b, im.loc, x, y);
  else if (op == "Mul") r = arith::MulIOp::create(im.b, im.loc, x, y);
  else if (op == "Div") r = arith::DivSIOp::create(im.b, im.loc, x, y);
  else if (op == "Max") r = arith::MaxSIOp::create(im.b, im.loc, x, y);
  else if (op == "Min") r = arith::MinSIOp::create(im.b, im.loc, x, y);
  else return std::nullopt;
  return IntElem{0, r};
}

std::optional<bool> intCompare(StringRef op, IntElem a, IntElem c) {
  if (a.isStatic() && c.isStatic()) {
    if (op == "Equal") return a.value == c.value;
    if (op == "Less") return a.value < c.value;
    if (op == "Greater") return a.value > c.value;
    if (op == "LessOrEqual") return a.value <= c.value;
    if (op == "GreaterOrEqual") return a.value >= c.value;
    return std::nullopt;
  }
  if (a.dynamic && c.dynamic && a.dynamic == c.dynamic && op == "Equal")
    return true;
  const IntElem &s = a.isStatic() ? a : c;
  if (!s.isStatic() || s.value >= 0 || op != "Equal")
    return std::nullopt;
  return false;
}

Expected<SmallVector<IntElem>> intList(Importer &im,
                                       const onnx::NodeProto &node, int i) {
  Expected<const HostTensor *> h = im.hostOperand(node, i);
  if (!h)
    return h.takeError();
  if ((*h)->isFloat())
    return im.nodeError(node, "input " + llvm::Twine(i) +
                                  " must be an integer tensor");
  return SmallVector<IntElem>((*h)->ints.begin(), (*h)->ints.end());
}

Expected<SmallVector<int64_t>> staticIntList(Importer &im,
                                             const onnx::NodeProto &node,
                                             int i) {
  Expected<SmallVector<IntElem>> l = intList(im, node, i);
  if (!l)
    return l.takeError();
  SmallVector<int64_t> out;
  for (const IntElem &e : *l) {
    if (!e.isStatic())
      return im.nodeError(node, "input " + llvm::Twine(i) +
                                    " must be a compile-time constant");
    out.push_back(e.value);
  }
  return out;
}

Expected<std::optional<SmallVector<int64_t>>>
axesOf(Importer &im, const onnx::NodeProto &node, int inputIndex) {
  if (auto a = attrInts(node, "axes"))
    return std::optional<SmallVector<int64_t>>(
        SmallVector<int64_t>(a->begin(), a->end()));
  if (im.hasInput(node, inputIndex)) {
    Expected<SmallVector<int64_t>> l = staticIntList(im, node, inputIndex);
    if (!l)
      return l.takeError();
    return std::optional<SmallVector<int64_t>>(*l);
  }
  return std::optional<SmallVector<int64_t>>();
}

bool allHost(Importer &im, const onnx::NodeProto &node) {
  for (int i = 0; i < node.input_size(); ++i) {
    if (node.input(i).empty())
      continue;
    auto it = im.values.find(node.input(i));
    if (it == im.values.end() || !it->second.host)
      return false;
  }
  return node.input_size() > 0;
}

const HostTensor *hostOf(Importer &im, const onnx::NodeProto &node, int i) {
  return &*im.values.find(node.input(i))->second.host;
}

} // namespace tessera::onnx_import
