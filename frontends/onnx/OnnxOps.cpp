//===- OnnxOps.cpp - ONNX node converters ---------------------------------===//
//
// One converter per ONNX op. Nodes whose inputs are all known at compile
// time and that compute shapes or small integer tensors (Shape, Gather,
// Unsqueeze, Concat, Slice, arithmetic, Equal, Where, ...) are evaluated
// here, with dynamic dims carried as index values; everything else becomes
// tsr ops.
//
//===----------------------------------------------------------------------===//

#include "frontends/onnx/ImporterState.h"
#include "frontends/onnx/OnnxImporter.h"

#include "llvm/ADT/StringSwitch.h"
#include "llvm/Support/MathExtras.h"

#include <cmath>
#include <functional>
#include <limits>

using namespace mlir;
using llvm::Error;
using llvm::Expected;

namespace tessera::onnx_import {
namespace {

int64_t normalizeAxis(int64_t axis, int64_t rank) {
  return axis < 0 ? axis + rank : axis;
}

RankedTensorType typeOf(Value v) { return cast<RankedTensorType>(v.getType()); }

//===----------------------------------------------------------------------===//
// Host evaluation
//===----------------------------------------------------------------------===//

/// Strides of a row-major shape.
SmallVector<int64_t> stridesOf(ArrayRef<int64_t> shape) {
  SmallVector<int64_t> strides(shape.size(), 1);
  for (int64_t d = static_cast<int64_t>(shape.size()) - 2; d >= 0; --d)
    strides[d] = strides[d + 1] * shape[d + 1];
  return strides;
}

/// Applies `fn` elementwise with numpy broadcasting over host tensors.
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

/// Integer arithmetic on IntElems, emitting index arith for dynamic ones.
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

/// Compares IntElems when the answer is known: dims are never negative, so
/// a dynamic dim differs from any negative constant.
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

/// The IntElems of a host tensor used as a 1-D list (shape, axes, ...).
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

/// Axes from the attribute (older opsets) or from input `inputIndex`.
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


//===----------------------------------------------------------------------===//
// Converters
//===----------------------------------------------------------------------===//

using Converter = std::function<Error(Importer &, const onnx::NodeProto &)>;

Error convertBinary(Importer &im, const onnx::NodeProto &node) {
  StringRef op = node.op_type();
  if (node.input_size() != 2)
    return im.nodeError(node, "expects 2 inputs");
  if (allHost(im, node)) {
    const HostTensor *a = hostOf(im, node, 0), *c = hostOf(im, node, 1);
    // Host ints are int64 with signed semantics: unsigned operands are
    // computed at run time (divui, maxui, ...) instead.
    if (a->elementType == c->elementType &&
        !a->elementType.isUnsignedInteger()) {
      auto r = hostBroadcast(
          {a, c}, a->elementType,
          [&](ArrayRef<IntElem> x) { return intArith(im, op, x[0], x[1]); },
          [&](ArrayRef<double> x) -> double {
            if (op == "Add") return x[0] + x[1];
            if (op == "Sub") return x[0] - x[1];
            if (op == "Mul") return x[0] * x[1];
            if (op == "Div") return x[0] / x[1];
            if (op == "Pow") return std::pow(x[0], x[1]);
            if (op == "Max") return std::max(x[0], x[1]);
            return std::min(x[0], x[1]);
          });
      if (r && (op != "Pow" || r->isFloat())) {
        im.setResult(node, 0, ImportedValue{Value(), std::move(*r)});
        return Error::success();
      }
    }
  }
  Expected<Value> l = im.tensorOperand(node, 0);
  if (!l)
    return l.takeError();
  // Pow by a constant 2 (layer-norm variance) is a multiply.
  if (op == "Pow") {
    auto it = im.values.find(node.input(1));
    if (it->second.host && it->second.host->numElements() == 1) {
      const HostTensor &e = *it->second.host;
      double p = e.isFloat() ? e.floats[0] : e.ints[0].value;
      if (p == 2.0 && (e.isFloat() || e.allStatic())) {
        Expected<Value> r = im.binary<tsr::MulOp>(node, *l, *l);
        if (!r)
          return r.takeError();
        im.setTensor(node, 0, *r);
        return Error::success();
      }
    }
  }
  Expected<Value> r = im.tensorOperand(node, 1);
  if (!r)
    return r.takeError();
  Value rv = *r;
  if (op == "Pow")
    rv = im.castTo(rv, typeOf(*l).getElementType());
  Expected<Value> out = [&]() -> Expected<Value> {
    if (op == "Add") return im.binary<tsr::AddOp>(node, *l, rv);
    if (op == "Sub") return im.binary<tsr::SubOp>(node, *l, rv);
    if (op == "Mul") return im.binary<tsr::MulOp>(node, *l, rv);
    if (op == "Div") return im.binary<tsr::DivOp>(node, *l, rv);
    if (op == "Pow") {
      if (!isa<FloatType>(typeOf(*l).getElementType()))
        return im.nodeError(node, "integer Pow is unsupported");
      return im.binary<tsr::PowOp>(node, *l, rv);
    }
    if (op == "Max") return im.binary<tsr::MaxOp>(node, *l, rv);
    if (op == "Min") return im.binary<tsr::MinOp>(node, *l, rv);
    if (op == "And") return im.binary<tsr::AndOp>(node, *l, rv);
    return im.binary<tsr::OrOp>(node, *l, rv);
  }();
  if (!out)
    return out.takeError();
  im.setTensor(node, 0, *out);
  return Error::success();
}

Error convertCompare(Importer &im, const onnx::NodeProto &node) {
  StringRef op = node.op_type();
  if (node.input_size() != 2)
    return im.nodeError(node, "expects 2 inputs");
  if (allHost(im, node)) {
    const HostTensor *a = hostOf(im, node, 0), *c = hostOf(im, node, 1);
    if (!a->isFloat() && !c->isFloat() &&
        !a->elementType.isUnsignedInteger() &&
        !c->elementType.isUnsignedInteger()) {
      auto r = hostBroadcast(
          {a, c}, im.b.getI1Type(),
          [&](ArrayRef<IntElem> x) -> std::optional<IntElem> {
            std::optional<bool> v = intCompare(op, x[0], x[1]);
            if (!v)
              return std::nullopt;
            return IntElem{*v ? 1 : 0, {}};
          },
          [](ArrayRef<double>) { return 0.0; });
      if (r) {
        im.setResult(node, 0, ImportedValue{Value(), std::move(*r)});
        return Error::success();
      }
    }
  }
  Expected<Value> l = im.tensorOperand(node, 0);
  if (!l)
    return l.takeError();
  Expected<Value> r = im.tensorOperand(node, 1);
  if (!r)
    return r.takeError();
  if (typeOf(*l).getElementType() != typeOf(*r).getElementType())
    return im.nodeError(node, "operand element types differ");
  auto kind = llvm::StringSwitch<tsr::CompareKind>(op)
                  .Case("Equal", tsr::CompareKind::eq)
                  .Case("Less", tsr::CompareKind::lt)
                  .Case("LessOrEqual", tsr::CompareKind::le)
                  .Case("Greater", tsr::CompareKind::gt)
                  .Default(tsr::CompareKind::ge);
  auto shape = tsr::broadcastShapes({typeOf(*l).getShape(), typeOf(*r).getShape()});
  if (!shape)
    return im.nodeError(node, "operand shapes do not broadcast");
  Value out = tsr::CompareOp::create(
      im.b, im.loc, RankedTensorType::get(*shape, im.b.getI1Type()), kind, *l,
      *r);
  im.setTensor(node, 0, out);
  return Error::success();
}

Error convertUnary(Importer &im, const onnx::NodeProto &node) {
  StringRef op = node.op_type();
  if (op == "Neg" && allHost(im, node)) {
    HostTensor h = *hostOf(im, node, 0);
    if (h.isFloat()) {
      for (double &f : h.floats)
        f = -f;
      im.setResult(node, 0, ImportedValue{Value(), h});
      return Error::success();
    }
    if (h.allStatic()) {
      for (IntElem &e : h.ints)
        e.value = -e.value;
      im.setResult(node, 0, ImportedValue{Value(), h});
      return Error::success();
    }
  }
  Expected<Value> x = im.tensorOperand(node, 0);
  if (!x)
    return x.takeError();
  auto kind = llvm::StringSwitch<tsr::UnaryKind>(op)
                  .Case("Neg", tsr::UnaryKind::neg)
                  .Case("Abs", tsr::UnaryKind::abs)
                  .Case("Sqrt", tsr::UnaryKind::sqrt)
                  .Case("Exp", tsr::UnaryKind::exp)
                  .Case("Log", tsr::UnaryKind::log)
                  .Case("Erf", tsr::UnaryKind::erf)
                  .Case("Tanh", tsr::UnaryKind::tanh)
                  .Case("Sigmoid", tsr::UnaryKind::sigmoid)
                  .Case("Relu", tsr::UnaryKind::relu)
                  .Case("Reciprocal", tsr::UnaryKind::reciprocal)
                  .Default(tsr::UnaryKind::kNot);
  Type elt = typeOf(*x).getElementType();
  bool intOk = kind == tsr::UnaryKind::neg || kind == tsr::UnaryKind::abs ||
               kind == tsr::UnaryKind::relu;
  if (kind == tsr::UnaryKind::kNot ? !elt.isInteger(1)
                                   : !(isa<FloatType>(elt) ||
                                       (intOk && elt.isSignlessInteger())))
    return im.nodeError(node, "unsupported element type for " + op);
  im.setTensor(node, 0,
               tsr::UnaryOp::create(im.b, im.loc, typeOf(*x), kind, *x));
  return Error::success();
}

Error convertMatMul(Importer &im, const onnx::NodeProto &node) {
  Expected<Value> a = im.tensorOperand(node, 0);
  if (!a)
    return a.takeError();
  Expected<Value> c = im.tensorOperand(node, 1);
  if (!c)
    return c.takeError();
  Value l = *a, r = *c;
  if (typeOf(l).getElementType() != typeOf(r).getElementType())
    return im.nodeError(node, "operand element types differ");
  // numpy.matmul: a rank-1 lhs is [1, K], a rank-1 rhs is [K, 1]; the added
  // dim is dropped afterwards.
  bool lhsVector = typeOf(l).getRank() == 1, rhsVector = typeOf(r).getRank() == 1;
  if (typeOf(l).getRank() == 0 || typeOf(r).getRank() == 0)
    return im.nodeError(node, "MatMul operands must have rank >= 1");
  if (lhsVector)
    l = im.reshape(l, {IntElem{1, {}}, im.dimOf(l, 0)});
  if (rhsVector)
    r = im.reshape(r, {im.dimOf(r, 0), IntElem{1, {}}});
  std::string why;
  auto shape = tsr::matmulResultShape(typeOf(l).getShape(), typeOf(r).getShape(),
                                      false, false, &why);
  if (!shape)
    return im.nodeError(node, why);
  Value out = tsr::MatmulOp::create(
      im.b, im.loc, RankedTensorType::get(*shape, typeOf(l).getElementType()),
      l, r, false, false);
  if (lhsVector || rhsVector) {
    SmallVector<IntElem> dims;
    int64_t rank = typeOf(out).getRank();
    for (int64_t d = 0; d < rank; ++d) {
      if ((lhsVector && d == rank - 2) || (rhsVector && d == rank - 1))
        continue;
      dims.push_back(im.dimOf(out, d));
    }
    out = im.reshape(out, dims);
  }
  im.setTensor(node, 0, out);
  return Error::success();
}

Error convertGemm(Importer &im, const onnx::NodeProto &node) {
  Expected<Value> a = im.tensorOperand(node, 0);
  if (!a)
    return a.takeError();
  Expected<Value> c = im.tensorOperand(node, 1);
  if (!c)
    return c.takeError();
  if (typeOf(*a).getRank() != 2 || typeOf(*c).getRank() != 2)
    return im.nodeError(node, "Gemm operands must be rank 2");
  bool ta = attrInt(node, "transA", 0), tb = attrInt(node, "transB", 0);
  float alpha = attrFloat(node, "alpha", 1.0f), beta = attrFloat(node, "beta", 1.0f);
  std::string why;
  auto shape = tsr::matmulResultShape(typeOf(*a).getShape(), typeOf(*c).getShape(),
                                      ta, tb, &why);
  if (!shape)
    return im.nodeError(node, why);
  Type elt = typeOf(*a).getElementType();
  if (!isa<FloatType>(elt) || typeOf(*c).getElementType() != elt)
    return im.nodeError(node, "Gemm needs float operands of one type");
  Value out = tsr::MatmulOp::create(im.b, im.loc,
                                    RankedTensorType::get(*shape, elt), *a, *c,
                                    ta, tb);
  if (alpha != 1.0f) {
    Expected<Value> r =
        im.binary<tsr::MulOp>(node, out, im.scalarConstant(elt, alpha));
    if (!r)
      return r.takeError();
    out = *r;
  }
  if (im.hasInput(node, 2) && beta != 0.0f) {
    Expected<Value> bias = im.tensorOperand(node, 2);
    if (!bias)
      return bias.takeError();
    Value bv = *bias;
    if (beta != 1.0f) {
      Expected<Value> r =
          im.binary<tsr::MulOp>(node, bv, im.scalarConstant(elt, beta));
      if (!r)
        return r.takeError();
      bv = *r;
    }
    Expected<Value> r = im.binary<tsr::AddOp>(node, out, bv);
    if (!r)
      return r.takeError();
    if (typeOf(*r).getShape() != typeOf(out).getShape())
      return im.nodeError(node, "C does not broadcast to the result");
    out = *r;
  }
  im.setTensor(node, 0, out);
  return Error::success();
}

Error convertSoftmax(Importer &im, const onnx::NodeProto &node) {
  Expected<Value> x = im.tensorOperand(node, 0);
  if (!x)
    return x.takeError();
  int64_t rank = typeOf(*x).getRank();
  int64_t axis = normalizeAxis(attrInt(node, "axis", im.opset >= 13 ? -1 : 1),
                               rank);
  if (axis < 0 || axis >= rank)
    return im.nodeError(node, "axis out of range");
  if (im.opset < 13 && axis != rank - 1)
    return im.nodeError(node, "Softmax before opset 13 is only supported on "
                              "the last axis");
  if (!isa<FloatType>(typeOf(*x).getElementType()))
    return im.nodeError(node, "Softmax needs a float tensor");
  im.setTensor(node, 0,
               tsr::SoftmaxOp::create(im.b, im.loc, typeOf(*x), *x,
                                      im.b.getI64IntegerAttr(axis)));
  return Error::success();
}

Error convertLayerNorm(Importer &im, const onnx::NodeProto &node) {
  for (int i = 1; i < node.output_size(); ++i)
    if (!node.output(i).empty())
      return im.nodeError(node, "the Mean/InvStdDev outputs are unsupported");
  Expected<Value> x = im.tensorOperand(node, 0);
  if (!x)
    return x.takeError();
  Expected<Value> scale = im.tensorOperand(node, 1);
  if (!scale)
    return scale.takeError();
  int64_t rank = typeOf(*x).getRank();
  int64_t axis = normalizeAxis(attrInt(node, "axis", -1), rank);
  if (axis < 0 || axis >= rank)
    return im.nodeError(node, "axis out of range");
  Value bias;
  if (im.hasInput(node, 2)) {
    Expected<Value> bv = im.tensorOperand(node, 2);
    if (!bv)
      return bv.takeError();
    bias = *bv;
  }
  // ONNX lets scale/bias broadcast; tsr wants the normalized shape exactly.
  auto fit = [&](Value p) -> Expected<Value> {
    auto pt = typeOf(p);
    // Checked here too, not only against the schema (which newer opsets
    // than libonnx knows skip): tsr.layer_norm takes one element type.
    if (pt.getElementType() != typeOf(*x).getElementType())
      return im.nodeError(node, "scale and bias must have the element type "
                                "of the input");
    ArrayRef<int64_t> want = typeOf(*x).getShape().drop_front(axis);
    if (tsr::areShapesCompatible(pt.getShape(), want))
      return p;
    SmallVector<int64_t> shape(want);
    SmallVector<Value> dyn;
    for (int64_t d = 0; d < static_cast<int64_t>(want.size()); ++d)
      if (ShapedType::isDynamic(want[d]))
        dyn.push_back(tensor::DimOp::create(im.b, im.loc, *x, axis + d));
    auto bt = tsr::broadcastShapes({pt.getShape(), want});
    if (!bt || pt.getRank() > static_cast<int64_t>(want.size()))
      return im.nodeError(node, "scale/bias do not broadcast to the "
                                "normalized dims");
    return tsr::BroadcastOp::create(
               im.b, im.loc, RankedTensorType::get(shape, pt.getElementType()),
               p, dyn)
        .getResult();
  };
  Expected<Value> s = fit(*scale);
  if (!s)
    return s.takeError();
  if (bias) {
    Expected<Value> bf = fit(bias);
    if (!bf)
      return bf.takeError();
    bias = *bf;
  }
  if (typeOf(*s).getElementType() != typeOf(*x).getElementType())
    return im.nodeError(node, "scale must have the input's element type");
  float eps = attrFloat(node, "epsilon", 1e-5f);
  im.setTensor(node, 0,
               tsr::LayerNormOp::create(im.b, im.loc, typeOf(*x), *x, *s, bias,
                                        Value(), im.b.getI64IntegerAttr(axis),
                                        im.b.getF32FloatAttr(eps)));
  return Error::success();
}

Error convertReduce(Importer &im, const onnx::NodeProto &node) {
  StringRef op = node.op_type();
  Expected<Value> x = im.tensorOperand(node, 0);
  if (!x)
    return x.takeError();
  int64_t rank = typeOf(*x).getRank();
  // ReduceSum takes axes as an input from opset 13, the others from 18.
  int axesInput = 1;
  Expected<std::optional<SmallVector<int64_t>>> axes = axesOf(im, node, axesInput);
  if (!axes)
    return axes.takeError();
  bool keep = attrInt(node, "keepdims", 1);
  SmallVector<int64_t> list;
  if (!*axes || (*axes)->empty()) {
    if (attrInt(node, "noop_with_empty_axes", 0)) {
      im.setTensor(node, 0, *x);
      return Error::success();
    }
    for (int64_t d = 0; d < rank; ++d)
      list.push_back(d);
  } else {
    for (int64_t a : **axes) {
      int64_t n = normalizeAxis(a, rank);
      if (n < 0 || n >= rank)
        return im.nodeError(node, "axis " + llvm::Twine(a) + " out of range");
      list.push_back(n);
    }
  }
  llvm::sort(list);
  list.erase(std::unique(list.begin(), list.end()), list.end());
  auto kind = llvm::StringSwitch<tsr::ReduceKind>(op)
                  .Case("ReduceSum", tsr::ReduceKind::sum)
                  .Case("ReduceMean", tsr::ReduceKind::mean)
                  .Case("ReduceMax", tsr::ReduceKind::max)
                  .Case("ReduceMin", tsr::ReduceKind::min)
                  .Default(tsr::ReduceKind::prod);
  if (kind == tsr::ReduceKind::mean &&
      !isa<FloatType>(typeOf(*x).getElementType()))
    return im.nodeError(node, "ReduceMean needs a float tensor");
  SmallVector<int64_t> shape;
  for (int64_t d = 0; d < rank; ++d) {
    if (!llvm::is_contained(list, d))
      shape.push_back(typeOf(*x).getDimSize(d));
    else if (keep)
      shape.push_back(1);
  }
  im.setTensor(node, 0,
               tsr::ReduceOp::create(
                   im.b, im.loc,
                   RankedTensorType::get(shape, typeOf(*x).getElementType()),
                   kind, *x, im.b.getDenseI64ArrayAttr(list), keep));
  return Error::success();
}

Error convertShape(Importer &im, const onnx::NodeProto &node) {
  Expected<ImportedValue *> v = im.lookup(node, node.input(0));
  if (!v)
    return v.takeError();
  Expected<Value> x = im.tensorOperand(node, 0);
  if (!x)
    return x.takeError();
  int64_t rank = typeOf(*x).getRank();
  int64_t start = normalizeAxis(attrInt(node, "start", 0), rank);
  int64_t end = findAttr(node, "end") ? normalizeAxis(attrInt(node, "end", rank), rank)
                                      : rank;
  start = std::clamp<int64_t>(start, 0, rank);
  end = std::clamp<int64_t>(end, start, rank);
  HostTensor h;
  h.elementType = im.b.getI64Type();
  h.shape = {end - start};
  for (int64_t d = start; d < end; ++d)
    h.ints.push_back(im.dimOf(*x, d));
  im.setResult(node, 0, ImportedValue{Value(), h});
  return Error::success();
}

Error convertConstant(Importer &im, const onnx::NodeProto &node) {
  if (node.attribute_size() != 1)
    return im.nodeError(node, "expects exactly one value attribute");
  const onnx::AttributeProto &a = node.attribute(0);
  HostTensor h;
  if (a.name() == "value") {
    onnx::TensorProto t = a.t();
    if (t.name().empty())
      t.set_name(node.output(0));
    Expected<ImportedValue> v = importTensorProto(im, t, im.modelDir);
    if (!v)
      return v.takeError();
    im.setResult(node, 0, std::move(*v));
    return Error::success();
  }
  if (a.name() == "value_float" || a.name() == "value_floats") {
    h.elementType = im.b.getF32Type();
    if (a.name() == "value_float")
      h.floats.push_back(a.f());
    else {
      h.floats.assign(a.floats().begin(), a.floats().end());
      h.shape = {static_cast<int64_t>(h.floats.size())};
    }
  } else if (a.name() == "value_int" || a.name() == "value_ints") {
    h.elementType = im.b.getI64Type();
    if (a.name() == "value_int")
      h.ints.push_back({a.i(), {}});
    else {
      for (int64_t v : a.ints())
        h.ints.push_back({v, {}});
      h.shape = {static_cast<int64_t>(h.ints.size())};
    }
  } else {
    return im.nodeError(node, "attribute '" + a.name() + "' is unsupported");
  }
  im.setResult(node, 0, ImportedValue{Value(), h});
  return Error::success();
}

Error convertConstantOfShape(Importer &im, const onnx::NodeProto &node) {
  Expected<SmallVector<IntElem>> dims = intList(im, node, 0);
  if (!dims)
    return dims.takeError();
  HostTensor fill;
  fill.elementType = im.b.getF32Type();
  fill.floats = {0.0};
  if (const onnx::AttributeProto *a = findAttr(node, "value")) {
    Expected<ImportedValue> v = importTensorProto(im, a->t(), im.modelDir);
    if (!v)
      return v.takeError();
    if (!v->host || v->host->numElements() != 1)
      return im.nodeError(node, "value must hold one element");
    fill = *v->host;
  }
  fill.shape.clear();
  SmallVector<int64_t> shape;
  SmallVector<Value> dyn;
  im.splitDims(*dims, shape, dyn);
  for (int64_t d : shape)
    if (d < 0 && !ShapedType::isDynamic(d))
      return im.nodeError(node, "negative dim in the shape");
  bool isStatic = dyn.empty();
  int64_t n = 1;
  for (int64_t d : shape)
    if (isStatic && llvm::MulOverflow(n, d, n))
      return im.nodeError(node, "the shape's element count overflows");
  if (isStatic && n <= kMaxHostElements) {
    HostTensor h = fill;
    h.shape.assign(shape.begin(), shape.end());
    if (h.isFloat())
      h.floats.assign(n, fill.floats[0]);
    else
      h.ints.assign(n, fill.ints[0]);
    im.setResult(node, 0, ImportedValue{Value(), h});
    return Error::success();
  }
  Value scalar = im.materialize(fill);
  auto type = RankedTensorType::get(shape, fill.elementType);
  im.setTensor(node, 0, tsr::BroadcastOp::create(im.b, im.loc, type, scalar, dyn));
  return Error::success();
}

/// A float folded to an integer the way hardware conversions go, without
/// C++'s undefined behaviour for NaN and out-of-range values (which ONNX
/// leaves unspecified): NaN becomes 0, the rest saturates.
static int64_t saturatingFloatToInt(double f) {
  if (std::isnan(f))
    return 0;
  if (f >= 9.2233720368547758e18)
    return std::numeric_limits<int64_t>::max();
  if (f <= -9.2233720368547758e18)
    return std::numeric_limits<int64_t>::min();
  return static_cast<int64_t>(f);
}

Error convertCast(Importer &im, const onnx::NodeProto &node) {
  Expected<Type> to = im.elementType(attrInt(node, "to", 0),
                                     "Cast node '" + node.name() + "' target");
  if (!to)
    return to.takeError();
  // 8-bit float targets round and saturate in the lowering, not here.
  bool toFloat8 = isa<FloatType>(*to) && to->getIntOrFloatBitWidth() == 8;
  // Host ints are signed int64: unsigned sources convert at run time.
  if (allHost(im, node) && !toFloat8 &&
      !hostOf(im, node, 0)->elementType.isUnsignedInteger()) {
    HostTensor h = *hostOf(im, node, 0);
    HostTensor out;
    out.elementType = *to;
    out.shape = h.shape;
    bool toFloat = isa<FloatType>(*to);
    if (h.isFloat() && toFloat) {
      out.floats = h.floats;
    } else if (h.isFloat()) {
      for (double f : h.floats)
        out.ints.push_back(
            {to->isInteger(1) ? (f != 0) : saturatingFloatToInt(f), {}});
    } else if (toFloat && h.allStatic()) {
      for (const IntElem &e : h.ints)
        out.floats.push_back(static_cast<double>(e.value));
    } else if (!toFloat) {
      out.ints = h.ints;
      if (to->isInteger(1))
        for (IntElem &e : out.ints)
          if (e.isStatic())
            e.value = e.value != 0;
    }
    if (out.numElements() ==
        static_cast<int64_t>(out.isFloat() ? out.floats.size() : out.ints.size())) {
      im.setResult(node, 0, ImportedValue{Value(), out});
      return Error::success();
    }
  }
  Expected<Value> x = im.tensorOperand(node, 0);
  if (!x)
    return x.takeError();
  im.setTensor(node, 0, im.castTo(*x, *to, attrInt(node, "saturate", 1) != 0));
  return Error::success();
}

Error convertWhere(Importer &im, const onnx::NodeProto &node) {
  if (allHost(im, node)) {
    const HostTensor *c = hostOf(im, node, 0), *x = hostOf(im, node, 1),
                     *y = hostOf(im, node, 2);
    if (c->allStatic() && x->elementType == y->elementType) {
      auto r = hostBroadcast(
          {c, x, y}, x->elementType,
          [](ArrayRef<IntElem> a) -> std::optional<IntElem> {
            return a[0].value ? a[1] : a[2];
          },
          [](ArrayRef<double> a) { return a[0] != 0 ? a[1] : a[2]; });
      if (r) {
        im.setResult(node, 0, ImportedValue{Value(), std::move(*r)});
        return Error::success();
      }
    }
  }
  Expected<Value> c = im.tensorOperand(node, 0);
  if (!c)
    return c.takeError();
  Expected<Value> x = im.tensorOperand(node, 1);
  if (!x)
    return x.takeError();
  Expected<Value> y = im.tensorOperand(node, 2);
  if (!y)
    return y.takeError();
  if (typeOf(*x).getElementType() != typeOf(*y).getElementType())
    return im.nodeError(node, "X and Y element types differ");
  Value cond = im.castTo(*c, im.b.getI1Type());
  auto shape = tsr::broadcastShapes(
      {typeOf(cond).getShape(), typeOf(*x).getShape(), typeOf(*y).getShape()});
  if (!shape)
    return im.nodeError(node, "operand shapes do not broadcast");
  im.setTensor(node, 0,
               tsr::SelectOp::create(
                   im.b, im.loc,
                   RankedTensorType::get(*shape, typeOf(*x).getElementType()),
                   cond, *x, *y));
  return Error::success();
}

Error convertReshape(Importer &im, const onnx::NodeProto &node) {
  Expected<SmallVector<IntElem>> target = intList(im, node, 1);
  if (!target)
    return target.takeError();
  Expected<ImportedValue *> in = im.lookup(node, node.input(0));
  if (!in)
    return in.takeError();
  bool allowZero = attrInt(node, "allowzero", 0);
  // Input dims, from the host value's shape or the tensor's type.
  SmallVector<IntElem> inDims;
  Value x;
  if ((*in)->host) {
    for (int64_t d : (*in)->host->shape)
      inDims.push_back({d, {}});
  } else {
    x = (*in)->tensor;
    for (int64_t d = 0; d < typeOf(x).getRank(); ++d)
      inDims.push_back(im.dimOf(x, d));
  }
  SmallVector<IntElem> dims;
  int inferAt = -1;
  for (auto [i, e] : llvm::enumerate(*target)) {
    if (e.isStatic() && e.value == 0 && !allowZero) {
      if (i >= inDims.size())
        return im.nodeError(node, "shape copies dim " + llvm::Twine(i) +
                                      " which the input does not have");
      dims.push_back(inDims[i]);
    } else if (e.isStatic() && e.value == -1) {
      if (inferAt >= 0)
        return im.nodeError(node, "shape has more than one -1");
      inferAt = i;
      dims.push_back({-1, {}});
    } else if (e.isStatic() && e.value < 0) {
      return im.nodeError(node, "shape has a negative dim");
    } else {
      dims.push_back(e);
    }
  }
  if (inferAt >= 0) {
    // The inferred dim is numel(input) / prod(other dims); cancel dims that
    // appear on both sides first so dynamic ones drop out when they can.
    SmallVector<IntElem> num(inDims), den;
    for (int i = 0, e = static_cast<int>(dims.size()); i < e; ++i) {
      if (i == inferAt)
        continue;
      const IntElem &d = dims[i];
      auto it = llvm::find_if(num, [&](const IntElem &n) {
        return (n.isStatic() && d.isStatic() && n.value == d.value) ||
               (n.dynamic && n.dynamic == d.dynamic);
      });
      if (it != num.end())
        num.erase(it);
      else
        den.push_back(d);
    }
    IntElem n{1, {}}, d{1, {}};
    for (const IntElem &e : num)
      n = *intArith(im, "Mul", n, e);
    for (const IntElem &e : den)
      d = *intArith(im, "Mul", d, e);
    if (d.isStatic() && d.value == 0)
      return im.nodeError(node, "cannot infer the -1 dim of an empty shape");
    if (n.isStatic() && d.isStatic() && n.value % d.value != 0)
      return im.nodeError(node, "cannot reshape " + llvm::Twine(n.value) +
                                    " elements with the given shape");
    dims[inferAt] = *intArith(im, "Div", n, d);
  }
  if ((*in)->host && llvm::all_of(dims, [](const IntElem &e) {
        return e.isStatic();
      })) {
    HostTensor h = *(*in)->host;
    int64_t n = 1;
    for (const IntElem &e : dims)
      if (e.value < 0 || llvm::MulOverflow(n, e.value, n))
        return im.nodeError(node, "shape does not match the element count");
    if (n != h.numElements())
      return im.nodeError(node, "shape does not match the element count");
    h.shape.clear();
    for (const IntElem &e : dims)
      h.shape.push_back(e.value);
    im.setResult(node, 0, ImportedValue{Value(), h});
    return Error::success();
  }
  Expected<Value> xv = im.tensorOperand(node, 0);
  if (!xv)
    return xv.takeError();
  auto inType = typeOf(*xv);
  if (inType.hasStaticShape() && llvm::all_of(dims, [](const IntElem &e) {
        return e.isStatic();
      })) {
    int64_t n = 1;
    bool overflow = false;
    for (const IntElem &e : dims)
      overflow |= e.value < 0 || llvm::MulOverflow(n, e.value, n);
    if (overflow)
      return im.nodeError(node, "the target shape's element count overflows");
    if (n != inType.getNumElements())
      return im.nodeError(node, "cannot reshape " +
                                    llvm::Twine(inType.getNumElements()) +
                                    " elements into " + llvm::Twine(n));
  }
  im.setTensor(node, 0, im.reshape(*xv, dims));
  return Error::success();
}

Error convertTranspose(Importer &im, const onnx::NodeProto &node) {
  Expected<Value> x = im.tensorOperand(node, 0);
  if (!x)
    return x.takeError();
  int64_t rank = typeOf(*x).getRank();
  SmallVector<int64_t> perm;
  if (auto p = attrInts(node, "perm"))
    perm.assign(p->begin(), p->end());
  else
    for (int64_t d = rank - 1; d >= 0; --d)
      perm.push_back(d);
  SmallVector<bool> seen(rank, false);
  if (static_cast<int64_t>(perm.size()) != rank)
    return im.nodeError(node, "perm must have one entry per dim");
  SmallVector<int64_t> shape;
  for (int64_t &p : perm) {
    p = normalizeAxis(p, rank);
    if (p < 0 || p >= rank || seen[p])
      return im.nodeError(node, "perm is not a permutation");
    seen[p] = true;
    shape.push_back(typeOf(*x).getDimSize(p));
  }
  im.setTensor(node, 0,
               tsr::TransposeOp::create(
                   im.b, im.loc,
                   RankedTensorType::get(shape, typeOf(*x).getElementType()),
                   *x, im.b.getDenseI64ArrayAttr(perm)));
  return Error::success();
}

/// Unsqueeze and Squeeze: a reshape that adds or drops unit dims.
Error convertSqueezeLike(Importer &im, const onnx::NodeProto &node,
                         bool unsqueeze) {
  Expected<ImportedValue *> in = im.lookup(node, node.input(0));
  if (!in)
    return in.takeError();
  Expected<std::optional<SmallVector<int64_t>>> axes = axesOf(im, node, 1);
  if (!axes)
    return axes.takeError();
  SmallVector<IntElem> inDims;
  if ((*in)->host) {
    for (int64_t d : (*in)->host->shape)
      inDims.push_back({d, {}});
  } else {
    for (int64_t d = 0; d < typeOf((*in)->tensor).getRank(); ++d)
      inDims.push_back(im.dimOf((*in)->tensor, d));
  }
  SmallVector<IntElem> dims;
  if (unsqueeze) {
    if (!*axes)
      return im.nodeError(node, "Unsqueeze needs axes");
    int64_t outRank = inDims.size() + (*axes)->size();
    SmallVector<bool> isNew(outRank, false);
    for (int64_t a : **axes) {
      int64_t n = normalizeAxis(a, outRank);
      if (n < 0 || n >= outRank || isNew[n])
        return im.nodeError(node, "axis " + llvm::Twine(a) + " is invalid");
      isNew[n] = true;
    }
    size_t next = 0;
    for (int64_t d = 0; d < outRank; ++d)
      dims.push_back(isNew[d] ? IntElem{1, {}} : inDims[next++]);
  } else {
    int64_t rank = inDims.size();
    SmallVector<bool> drop(rank, false);
    if (*axes) {
      for (int64_t a : **axes) {
        int64_t n = normalizeAxis(a, rank);
        if (n < 0 || n >= rank)
          return im.nodeError(node, "axis " + llvm::Twine(a) + " is invalid");
        if (inDims[n].isStatic() && inDims[n].value != 1)
          return im.nodeError(node, "cannot squeeze dim " + llvm::Twine(n) +
                                        " of size " +
                                        llvm::Twine(inDims[n].value));
        drop[n] = true;
      }
    } else {
      for (int64_t d = 0; d < rank; ++d)
        drop[d] = inDims[d].isStatic() && inDims[d].value == 1;
    }
    for (int64_t d = 0; d < rank; ++d)
      if (!drop[d])
        dims.push_back(inDims[d]);
  }
  if ((*in)->host) {
    HostTensor h = *(*in)->host;
    h.shape.clear();
    for (const IntElem &e : dims)
      h.shape.push_back(e.value);
    im.setResult(node, 0, ImportedValue{Value(), h});
    return Error::success();
  }
  im.setTensor(node, 0, im.reshape((*in)->tensor, dims));
  return Error::success();
}

Error convertConcat(Importer &im, const onnx::NodeProto &node) {
  if (node.input_size() == 0)
    return im.nodeError(node, "needs at least one input");
  int64_t axisAttr = attrInt(node, "axis", 0);
  if (allHost(im, node)) {
    SmallVector<const HostTensor *> ins;
    for (int i = 0; i < node.input_size(); ++i)
      ins.push_back(hostOf(im, node, i));
    // Host concat of 1-D lists (the shape webs); others go to tsr.
    bool lists = llvm::all_of(ins, [&](const HostTensor *h) {
      return h->shape.size() == 1 && h->elementType == ins[0]->elementType;
    });
    if (lists) {
      HostTensor h;
      h.elementType = ins[0]->elementType;
      for (const HostTensor *x : ins) {
        llvm::append_range(h.ints, x->ints);
        llvm::append_range(h.floats, x->floats);
      }
      h.shape = {static_cast<int64_t>(h.isFloat() ? h.floats.size() : h.ints.size())};
      im.setResult(node, 0, ImportedValue{Value(), h});
      return Error::success();
    }
  }
  SmallVector<Value> ins;
  for (int i = 0; i < node.input_size(); ++i) {
    Expected<Value> v = im.tensorOperand(node, i);
    if (!v)
      return v.takeError();
    ins.push_back(*v);
  }
  auto t0 = typeOf(ins[0]);
  int64_t rank = t0.getRank();
  int64_t axis = normalizeAxis(axisAttr, rank);
  if (axis < 0 || axis >= rank)
    return im.nodeError(node, "axis out of range");
  SmallVector<int64_t> shape(t0.getShape());
  int64_t total = 0;
  for (Value v : ins) {
    auto t = typeOf(v);
    if (t.getRank() != rank || t.getElementType() != t0.getElementType())
      return im.nodeError(node, "inputs differ in rank or element type");
    for (int64_t d = 0; d < rank; ++d)
      if (d != axis && ShapedType::isDynamic(shape[d]))
        shape[d] = t.getDimSize(d);
    total = (ShapedType::isDynamic(total) || t.isDynamicDim(axis))
                ? ShapedType::kDynamic
                : total + t.getDimSize(axis);
  }
  shape[axis] = total;
  im.setTensor(node, 0,
               tsr::ConcatOp::create(
                   im.b, im.loc, RankedTensorType::get(shape, t0.getElementType()),
                   ins, im.b.getI64IntegerAttr(axis)));
  return Error::success();
}

Error convertSlice(Importer &im, const onnx::NodeProto &node) {
  Expected<ImportedValue *> in = im.lookup(node, node.input(0));
  if (!in)
    return in.takeError();
  SmallVector<IntElem> starts, ends;
  SmallVector<int64_t> axes, steps;
  if (im.opset < 10) {
    auto s = attrInts(node, "starts"), e = attrInts(node, "ends");
    if (!s || !e)
      return im.nodeError(node, "needs starts and ends");
    for (int64_t v : *s) starts.push_back({v, {}});
    for (int64_t v : *e) ends.push_back({v, {}});
    if (auto a = attrInts(node, "axes"))
      axes.assign(a->begin(), a->end());
  } else {
    Expected<SmallVector<IntElem>> s = intList(im, node, 1);
    if (!s)
      return s.takeError();
    Expected<SmallVector<IntElem>> e = intList(im, node, 2);
    if (!e)
      return e.takeError();
    starts = *s;
    ends = *e;
    if (im.hasInput(node, 3)) {
      Expected<SmallVector<int64_t>> a = staticIntList(im, node, 3);
      if (!a)
        return a.takeError();
      axes = *a;
    }
    if (im.hasInput(node, 4)) {
      Expected<SmallVector<int64_t>> st = staticIntList(im, node, 4);
      if (!st)
        return st.takeError();
      steps = *st;
    }
  }
  if (starts.size() != ends.size())
    return im.nodeError(node, "starts and ends differ in length");
  if (axes.empty())
    for (size_t i = 0; i < starts.size(); ++i)
      axes.push_back(i);
  if (steps.empty())
    steps.assign(starts.size(), 1);
  if (axes.size() != starts.size() || steps.size() != starts.size())
    return im.nodeError(node, "axes/steps differ in length from starts");

  bool isHost = static_cast<bool>((*in)->host);
  Value x;
  SmallVector<IntElem> inDims;
  if (isHost) {
    for (int64_t d : (*in)->host->shape)
      inDims.push_back({d, {}});
  } else {
    x = (*in)->tensor;
    for (int64_t d = 0; d < typeOf(x).getRank(); ++d)
      inDims.push_back(im.dimOf(x, d));
  }
  int64_t rank = inDims.size();
  SmallVector<IntElem> offsets(rank, IntElem{0, {}}), sizes(inDims);
  SmallVector<int64_t> strides(rank, 1);
  for (size_t i = 0; i < axes.size(); ++i) {
    int64_t a = normalizeAxis(axes[i], rank);
    if (a < 0 || a >= rank)
      return im.nodeError(node, "axis out of range");
    if (steps[i] <= 0)
      return im.nodeError(node, "non-positive steps are unsupported");
    IntElem dim = inDims[a], s = starts[i], e = ends[i];
    // Clamp as ONNX does: negative values count from the end, then both
    // ends are clamped to [0, dim].
    auto clampIndex = [&](IntElem v) -> IntElem {
      if (v.isStatic() && dim.isStatic()) {
        int64_t n = v.value < 0 ? v.value + dim.value : v.value;
        return {std::clamp<int64_t>(n, 0, dim.value), {}};
      }
      if (v.isStatic() && v.value >= 0) {
        if (v.value >= (int64_t{1} << 62))
          return dim;
        return *intArith(im, "Min", v, dim);
      }
      if (v.isStatic()) {
        IntElem n = *intArith(im, "Add", v, dim);
        return *intArith(im, "Max", n, IntElem{0, {}});
      }
      // A dynamic value is a dim-derived index: non-negative.
      return *intArith(im, "Min", v, dim);
    };
    IntElem cs = clampIndex(s), ce = clampIndex(e);
    IntElem len = *intArith(im, "Sub", ce, cs);
    len = *intArith(im, "Max", len, IntElem{0, {}});
    if (steps[i] != 1) {
      IntElem adj = *intArith(im, "Add", len, IntElem{steps[i] - 1, {}});
      len = *intArith(im, "Div", adj, IntElem{steps[i], {}});
    }
    // An empty window may start anywhere; at 0 it is in bounds even when
    // the clamped start is the dim itself.
    if (len.isStatic() && len.value == 0)
      cs = IntElem{0, {}};
    offsets[a] = cs;
    sizes[a] = len;
    strides[a] = steps[i];
  }
  if (isHost && llvm::all_of(offsets, [](auto &e) { return e.isStatic(); }) &&
      llvm::all_of(sizes, [](auto &e) { return e.isStatic(); })) {
    const HostTensor &h = *(*in)->host;
    HostTensor out;
    out.elementType = h.elementType;
    for (const IntElem &e : sizes)
      out.shape.push_back(e.value);
    SmallVector<int64_t> inStrides = stridesOf(h.shape), outStrides = stridesOf(out.shape);
    for (int64_t i = 0; i < out.numElements(); ++i) {
      int64_t src = 0;
      for (int64_t d = 0; d < rank; ++d) {
        int64_t c = (i / outStrides[d]) % out.shape[d];
        src += (offsets[d].value + c * strides[d]) * inStrides[d];
      }
      if (h.isFloat())
        out.floats.push_back(h.floats[src]);
      else
        out.ints.push_back(h.ints[src]);
    }
    im.setResult(node, 0, ImportedValue{Value(), out});
    return Error::success();
  }
  Expected<Value> xv = im.tensorOperand(node, 0);
  if (!xv)
    return xv.takeError();
  SmallVector<int64_t> staticOffsets, shape;
  SmallVector<Value> dynOffsets, dynSizes;
  im.splitDims(offsets, staticOffsets, dynOffsets);
  im.splitDims(sizes, shape, dynSizes);
  im.setTensor(node, 0,
               tsr::SliceOp::create(
                   im.b, im.loc,
                   RankedTensorType::get(shape, typeOf(*xv).getElementType()),
                   *xv, dynOffsets, dynSizes,
                   im.b.getDenseI64ArrayAttr(staticOffsets),
                   im.b.getDenseI64ArrayAttr(strides)));
  return Error::success();
}

Error convertGather(Importer &im, const onnx::NodeProto &node) {
  if (allHost(im, node)) {
    const HostTensor *data = hostOf(im, node, 0), *idx = hostOf(im, node, 1);
    int64_t rank = data->shape.size();
    int64_t axis = normalizeAxis(attrInt(node, "axis", 0), rank);
    if (axis < 0 || axis >= rank)
      return im.nodeError(node, "axis out of range");
    if (!idx->allStatic() || idx->isFloat())
      return im.nodeError(node, "indices must be integers");
    HostTensor out;
    out.elementType = data->elementType;
    for (int64_t d = 0; d < axis; ++d)
      out.shape.push_back(data->shape[d]);
    llvm::append_range(out.shape, idx->shape);
    for (int64_t d = axis + 1; d < rank; ++d)
      out.shape.push_back(data->shape[d]);
    int64_t outer = 1, inner = 1, axisSize = data->shape[axis];
    for (int64_t d = 0; d < axis; ++d)
      outer *= data->shape[d];
    for (int64_t d = axis + 1; d < rank; ++d)
      inner *= data->shape[d];
    for (int64_t o = 0; o < outer; ++o)
      for (const IntElem &ie : idx->ints) {
        int64_t k = ie.value < 0 ? ie.value + axisSize : ie.value;
        if (k < 0 || k >= axisSize)
          return im.nodeError(node, "index " + llvm::Twine(ie.value) +
                                        " out of range for a dim of " +
                                        llvm::Twine(axisSize));
        for (int64_t in = 0; in < inner; ++in) {
          int64_t src = (o * axisSize + k) * inner + in;
          if (data->isFloat())
            out.floats.push_back(data->floats[src]);
          else
            out.ints.push_back(data->ints[src]);
        }
      }
    im.setResult(node, 0, ImportedValue{Value(), out});
    return Error::success();
  }
  Expected<Value> data = im.tensorOperand(node, 0);
  if (!data)
    return data.takeError();
  Expected<Value> idx = im.tensorOperand(node, 1);
  if (!idx)
    return idx.takeError();
  auto dt = typeOf(*data), it = typeOf(*idx);
  if (!it.getElementType().isSignlessInteger() || it.getElementType().isInteger(1))
    return im.nodeError(node, "indices must be int32 or int64");
  int64_t axis = normalizeAxis(attrInt(node, "axis", 0), dt.getRank());
  if (axis < 0 || axis >= dt.getRank())
    return im.nodeError(node, "axis out of range");
  // Constant indices are checked here: out of range (an error in ONNX), the
  // generated code would clamp them, a silently wrong answer.
  auto idxValue = im.values.find(node.input(1));
  if (idxValue != im.values.end() && idxValue->second.host &&
      !dt.isDynamicDim(axis)) {
    int64_t axisSize = dt.getDimSize(axis);
    for (const IntElem &ie : idxValue->second.host->ints)
      if (ie.isStatic() && (ie.value < -axisSize || ie.value >= axisSize))
        return im.nodeError(node, "index " + llvm::Twine(ie.value) +
                                      " out of range for a dim of " +
                                      llvm::Twine(axisSize));
  }
  SmallVector<int64_t> shape(dt.getShape().take_front(axis));
  llvm::append_range(shape, it.getShape());
  llvm::append_range(shape, dt.getShape().drop_front(axis + 1));
  im.setTensor(node, 0,
               tsr::GatherOp::create(im.b, im.loc,
                                     RankedTensorType::get(shape, dt.getElementType()),
                                     *data, *idx, im.b.getI64IntegerAttr(axis)));
  return Error::success();
}

Error convertExpand(Importer &im, const onnx::NodeProto &node) {
  Expected<SmallVector<IntElem>> target = intList(im, node, 1);
  if (!target)
    return target.takeError();
  Expected<Value> x = im.tensorOperand(node, 0);
  if (!x)
    return x.takeError();
  auto t = typeOf(*x);
  int64_t rank = std::max<int64_t>(t.getRank(), target->size());
  SmallVector<IntElem> dims;
  for (int64_t d = 0; d < rank; ++d) {
    int64_t ti = d - (rank - target->size()), xi = d - (rank - t.getRank());
    IntElem want = ti >= 0 ? (*target)[ti] : IntElem{1, {}};
    IntElem have = xi >= 0 ? im.dimOf(*x, xi) : IntElem{1, {}};
    // numpy rules: a 1 on either side takes the other side's size.
    if (want.isStatic() && want.value == 1)
      dims.push_back(have);
    else if (have.isStatic() && have.value == 1)
      dims.push_back(want);
    else if (want.isStatic() && have.isStatic() && want.value != have.value)
      return im.nodeError(node, "cannot expand dim of size " +
                                    llvm::Twine(have.value) + " to " +
                                    llvm::Twine(want.value));
    else
      dims.push_back(have.isStatic() ? have : want);
  }
  SmallVector<int64_t> shape;
  SmallVector<Value> dyn;
  im.splitDims(dims, shape, dyn);
  auto type = RankedTensorType::get(shape, t.getElementType());
  if (type == t) {
    im.setTensor(node, 0, *x);
    return Error::success();
  }
  im.setTensor(node, 0, tsr::BroadcastOp::create(im.b, im.loc, type, *x, dyn));
  return Error::success();
}

//===----------------------------------------------------------------------===//
// Running sums and the ops built from them (CumSum, run-time Range, Trilu)
//===----------------------------------------------------------------------===//

/// [0, 1, ..., n-1] as a run-time 1-D tensor of `elt`: an exclusive running
/// sum of ones (tsr has no iota; the cumsum lowering is one generic).
Value buildIota(Importer &im, IntElem n, Type elt) {
  SmallVector<int64_t> shape;
  SmallVector<Value> dyn;
  im.splitDims({n}, shape, dyn);
  auto type = RankedTensorType::get(shape, elt);
  Value ones = tsr::BroadcastOp::create(im.b, im.loc, type,
                                        im.scalarConstant(elt, 1.0), dyn);
  return tsr::CumsumOp::create(im.b, im.loc, type, ones,
                               im.b.getI64IntegerAttr(0), im.b.getUnitAttr(),
                               UnitAttr());
}

/// Range over a run-time length (start or limit derived from dynamic dims,
/// e.g. GPT-2's arange(past, past + seq)): start + delta * iota(n).
Error convertDynamicRange(Importer &im, const onnx::NodeProto &node,
                          const HostTensor *const args[3]) {
  IntElem start = args[0]->ints[0], limit = args[1]->ints[0],
          delta = args[2]->ints[0];
  if (!delta.isStatic())
    return im.nodeError(node, "a Range with a run-time delta is unsupported");
  if (delta.value == 0)
    return im.nodeError(node, "delta is 0");
  // n = max(0, ceil((limit - start) / delta)).
  IntElem span = *intArith(im, "Sub", limit, start);
  span = *intArith(im, "Add", span,
                   IntElem{delta.value > 0 ? delta.value - 1 : delta.value + 1,
                           {}});
  IntElem n = *intArith(im, "Div", span, delta);
  n = *intArith(im, "Max", n, IntElem{0, {}});
  Type elt = args[0]->elementType;
  Value out = buildIota(im, n, elt);
  auto type = typeOf(out);
  if (delta.value != 1)
    out = tsr::MulOp::create(im.b, im.loc, type, out,
                             im.scalarConstant(elt, delta.value));
  if (!start.isStatic() || start.value != 0) {
    HostTensor s;
    s.elementType = elt;
    s.ints = {start};
    out = tsr::AddOp::create(im.b, im.loc, type, out, im.materialize(s));
  }
  im.setTensor(node, 0, out);
  return Error::success();
}

/// CumSum(x, axis) with the exclusive and reverse attributes.
Error convertCumSum(Importer &im, const onnx::NodeProto &node) {
  Expected<Value> x = im.tensorOperand(node, 0);
  if (!x)
    return x.takeError();
  Expected<SmallVector<int64_t>> axisList = staticIntList(im, node, 1);
  if (!axisList)
    return axisList.takeError();
  if (axisList->size() != 1)
    return im.nodeError(node, "axis must hold one value");
  int64_t rank = typeOf(*x).getRank();
  int64_t axis = normalizeAxis((*axisList)[0], rank);
  if (axis < 0 || axis >= rank)
    return im.nodeError(node, "axis " + llvm::Twine((*axisList)[0]) +
                                  " out of range for rank " +
                                  llvm::Twine(rank));
  Type elt = typeOf(*x).getElementType();
  if (!isa<FloatType>(elt) && (!elt.isSignlessInteger() || elt.isInteger(1)))
    return im.nodeError(node, "CumSum needs a float or integer tensor");
  UnitAttr unit = im.b.getUnitAttr();
  im.setTensor(node, 0,
               tsr::CumsumOp::create(
                   im.b, im.loc, typeOf(*x), *x, im.b.getI64IntegerAttr(axis),
                   attrInt(node, "exclusive", 0) ? unit : UnitAttr(),
                   attrInt(node, "reverse", 0) ? unit : UnitAttr()));
  return Error::success();
}

/// Trilu(x, k): keeps element (i, j) of the last two dims where j - i >= k
/// (upper) or j - i <= k (lower), zeroing the rest. The keep mask is a
/// constant when those dims are static (HF's causal mask: triu(full(min),
/// 1)), else it is built from two iotas.
Error convertTrilu(Importer &im, const onnx::NodeProto &node) {
  Expected<Value> x = im.tensorOperand(node, 0);
  if (!x)
    return x.takeError();
  auto xt = typeOf(*x);
  if (xt.getRank() < 2)
    return im.nodeError(node, "input must have rank >= 2");
  int64_t k = 0;
  if (im.hasInput(node, 1)) {
    Expected<SmallVector<int64_t>> kl = staticIntList(im, node, 1);
    if (!kl)
      return kl.takeError();
    if (kl->size() != 1)
      return im.nodeError(node, "k must hold one value");
    k = (*kl)[0];
  }
  bool upper = attrInt(node, "upper", 1);
  int64_t rank = xt.getRank();
  IntElem rows = im.dimOf(*x, rank - 2), cols = im.dimOf(*x, rank - 1);
  Value keep;
  // A constant mask up to 4M elements (a 2048-token causal mask); beyond
  // that the iotas are cheaper than the blob.
  constexpr int64_t kMaxConstantMask = int64_t{1} << 22;
  if (rows.isStatic() && cols.isStatic() &&
      rows.value * cols.value <= kMaxConstantMask) {
    SmallVector<bool> bits;
    for (int64_t i = 0; i < rows.value; ++i)
      for (int64_t j = 0; j < cols.value; ++j)
        bits.push_back(upper ? j - i >= k : j - i <= k);
    auto type = RankedTensorType::get({rows.value, cols.value},
                                      im.b.getI1Type());
    keep = tsr::ConstantOp::create(im.b, im.loc,
                                   DenseElementsAttr::get(type, bits));
  } else {
    Type i64 = im.b.getI64Type();
    Value r = im.reshape(buildIota(im, rows, i64), {rows, IntElem{1, {}}});
    Value c = im.reshape(buildIota(im, cols, i64), {IntElem{1, {}}, cols});
    SmallVector<int64_t> shape;
    SmallVector<Value> dyn;
    im.splitDims({rows, cols}, shape, dyn);
    Value diff = tsr::SubOp::create(
        im.b, im.loc, RankedTensorType::get(shape, i64), c, r);
    keep = tsr::CompareOp::create(
        im.b, im.loc, RankedTensorType::get(shape, im.b.getI1Type()),
        upper ? tsr::CompareKind::ge : tsr::CompareKind::le, diff,
        im.scalarConstant(i64, k));
  }
  Value zero = im.scalarConstant(xt.getElementType(), 0.0);
  im.setTensor(node, 0,
               tsr::SelectOp::create(im.b, im.loc, xt, keep, *x, zero));
  return Error::success();
}

/// RMSNormalization (opset 23): x / sqrt(mean(x^2 over axis..rank-1) + eps)
/// * scale, as the same tsr ops the exporter's decomposed RMSNorm imports
/// to, so both forms meet one recomposition.
Error convertRMSNorm(Importer &im, const onnx::NodeProto &node) {
  Expected<Value> x = im.tensorOperand(node, 0);
  if (!x)
    return x.takeError();
  Expected<Value> scale = im.tensorOperand(node, 1);
  if (!scale)
    return scale.takeError();
  auto xt = typeOf(*x);
  Type elt = xt.getElementType();
  if (!isa<FloatType>(elt) || typeOf(*scale).getElementType() != elt)
    return im.nodeError(node, "X and scale must be floats of one type");
  int64_t rank = xt.getRank();
  int64_t axis = normalizeAxis(attrInt(node, "axis", -1), rank);
  if (axis < 0 || axis >= rank)
    return im.nodeError(node, "axis out of range");
  auto scaleShape = tsr::broadcastShapes(
      {typeOf(*scale).getShape(), xt.getShape().drop_front(axis)});
  if (!scaleShape || typeOf(*scale).getRank() > rank - axis ||
      !tsr::areShapesCompatible(*scaleShape, xt.getShape().drop_front(axis)))
    return im.nodeError(node, "scale does not broadcast to the normalized "
                              "dims");
  SmallVector<int64_t> axes, meanShape(xt.getShape());
  for (int64_t d = axis; d < rank; ++d) {
    axes.push_back(d);
    meanShape[d] = 1;
  }
  auto meanType = RankedTensorType::get(meanShape, elt);
  Value sq = tsr::MulOp::create(im.b, im.loc, xt, *x, *x);
  Value ms = tsr::ReduceOp::create(im.b, im.loc, meanType,
                                   tsr::ReduceKind::mean, sq,
                                   im.b.getDenseI64ArrayAttr(axes), true);
  ms = tsr::AddOp::create(
      im.b, im.loc, meanType, ms,
      im.scalarConstant(elt, attrFloat(node, "epsilon", 1e-5f)));
  ms = tsr::UnaryOp::create(im.b, im.loc, meanType, tsr::UnaryKind::sqrt, ms);
  Value y = tsr::DivOp::create(im.b, im.loc, xt, *x, ms);
  im.setTensor(node, 0, tsr::MulOp::create(im.b, im.loc, xt, y, *scale));
  return Error::success();
}

/// Range(start, limit, delta): folded when the operands are compile-time
/// constants, else built at run time (convertDynamicRange).
Error convertRange(Importer &im, const onnx::NodeProto &node) {
  HostTensor out;
  const HostTensor *args[3];
  for (int i = 0; i < 3; ++i) {
    Expected<const HostTensor *> h = im.hostOperand(node, i);
    if (!h)
      return h.takeError();
    if ((*h)->numElements() != 1)
      return im.nodeError(node, "start, limit and delta must be scalars");
    args[i] = *h;
  }
  out.elementType = args[0]->elementType;
  if (out.isFloat()) {
    double start = args[0]->floats[0], limit = args[1]->floats[0],
           delta = args[2]->floats[0];
    if (delta == 0)
      return im.nodeError(node, "delta is 0");
    // Checked before the cast to an integer, which is undefined past int64.
    double count = std::ceil((limit - start) / delta);
    if (std::isnan(count) || count > double(kMaxHostElements))
      return im.nodeError(node, "ranges over " + llvm::Twine(kMaxHostElements) +
                                    " elements are unsupported");
    int64_t n = count > 0 ? static_cast<int64_t>(count) : 0;
    if (n > kMaxHostElements)
      return im.nodeError(node, "ranges over " + llvm::Twine(kMaxHostElements) +
                                    " elements are unsupported");
    for (int64_t i = 0; i < n; ++i)
      out.floats.push_back(start + i * delta);
    out.shape = {n};
  } else {
    for (const HostTensor *a : args)
      if (!a->allStatic())
        return convertDynamicRange(im, node, args);
    int64_t start = args[0]->ints[0].value, limit = args[1]->ints[0].value,
            delta = args[2]->ints[0].value;
    if (delta == 0)
      return im.nodeError(node, "delta is 0");
    // In 128 bits: limit - start overflows int64 for far-apart bounds.
    __int128 count =
        (static_cast<__int128>(limit) - start + delta + (delta > 0 ? -1 : 1)) /
        delta;
    if (count > (__int128(1) << 40))
      return im.nodeError(node, "ranges of more than 2^40 elements are "
                                "unsupported");
    __int128 span = static_cast<__int128>(limit) - start;
    if (span > std::numeric_limits<int64_t>::max() ||
        span < std::numeric_limits<int64_t>::min())
      return im.nodeError(node, "start and limit are too far apart (their "
                                "difference overflows int64)");
    int64_t n = std::max<int64_t>(0, static_cast<int64_t>(count));
    if (n > kMaxHostElements) // too long to track: build it at run time
      return convertDynamicRange(im, node, args);
    for (int64_t i = 0; i < n; ++i)
      out.ints.push_back({start + i * delta, {}});
    out.shape = {n};
  }
  im.setResult(node, 0, ImportedValue{Value(), out});
  return Error::success();
}

/// Split into static pieces along one axis: one tsr.slice per output.
Error convertSplit(Importer &im, const onnx::NodeProto &node) {
  Expected<Value> x = im.tensorOperand(node, 0);
  if (!x)
    return x.takeError();
  auto t = typeOf(*x);
  int64_t axis = normalizeAxis(attrInt(node, "axis", 0), t.getRank());
  if (axis < 0 || axis >= t.getRank())
    return im.nodeError(node, "axis out of range");
  if (t.isDynamicDim(axis))
    return im.nodeError(node, "splitting a dynamic dim is unsupported");
  int64_t dim = t.getDimSize(axis), outputs = node.output_size();
  SmallVector<int64_t> sizes;
  if (im.hasInput(node, 1)) {
    Expected<SmallVector<int64_t>> l = staticIntList(im, node, 1);
    if (!l)
      return l.takeError();
    sizes = *l;
  } else if (auto a = attrInts(node, "split")) {
    sizes.assign(a->begin(), a->end());
  } else {
    int64_t parts = attrInt(node, "num_outputs", outputs);
    if (parts <= 0)
      return im.nodeError(node, "needs at least one output");
    int64_t chunk = (dim + parts - 1) / parts;
    for (int64_t i = 0; i < parts; ++i)
      sizes.push_back(std::max<int64_t>(0, std::min(chunk, dim - i * chunk)));
  }
  if (static_cast<int64_t>(sizes.size()) != outputs)
    return im.nodeError(node, "split sizes do not match the outputs");
  int64_t total = 0;
  for (int64_t s : sizes) {
    if (s < 0)
      return im.nodeError(node, "negative split size");
    total += s;
  }
  if (total != dim)
    return im.nodeError(node, "split sizes add up to " + llvm::Twine(total) +
                                  ", not " + llvm::Twine(dim));
  int64_t offset = 0;
  for (int64_t i = 0; i < outputs; ++i) {
    SmallVector<int64_t> offsets(t.getRank(), 0), steps(t.getRank(), 1),
        shape(t.getShape());
    offsets[axis] = offset;
    shape[axis] = sizes[i];
    SmallVector<Value> dyn;
    for (int64_t d = 0; d < t.getRank(); ++d)
      if (t.isDynamicDim(d))
        dyn.push_back(tensor::DimOp::create(im.b, im.loc, *x, d));
    Value slice = tsr::SliceOp::create(
        im.b, im.loc, RankedTensorType::get(shape, t.getElementType()), *x,
        ValueRange(), dyn, im.b.getDenseI64ArrayAttr(offsets),
        im.b.getDenseI64ArrayAttr(steps));
    im.setTensor(node, i, slice);
    offset += sizes[i];
  }
  return Error::success();
}

/// Conv with non-overlapping windows (kernel == stride, no padding, no
/// dilation, one group): the patch embedding of vision transformers. It is
/// exactly a linear over flattened patches:
/// [N,C,H,W] → [N·H'·W', C·kh·kw] · Wᵀ → [N,O,H',W'].
Error convertConv(Importer &im, const onnx::NodeProto &node) {
  Expected<Value> x = im.tensorOperand(node, 0);
  if (!x)
    return x.takeError();
  Expected<Value> w = im.tensorOperand(node, 1);
  if (!w)
    return w.takeError();
  auto xt = typeOf(*x), wt = typeOf(*w);
  if (xt.getRank() != 4 || wt.getRank() != 4 || !wt.hasStaticShape() ||
      xt.getElementType() != wt.getElementType())
    return im.nodeError(node, "only 2-D convolutions with a static weight "
                              "are supported");
  int64_t o = wt.getDimSize(0), c = wt.getDimSize(1), kh = wt.getDimSize(2),
          kw = wt.getDimSize(3);
  auto ints = [&](StringRef name, SmallVector<int64_t> fallback) {
    auto v = attrInts(node, name);
    return v ? SmallVector<int64_t>(v->begin(), v->end()) : fallback;
  };
  SmallVector<int64_t> strides = ints("strides", {1, 1}),
                       pads = ints("pads", {0, 0, 0, 0}),
                       dilations = ints("dilations", {1, 1});
  std::string autoPad = "NOTSET";
  if (const onnx::AttributeProto *a = findAttr(node, "auto_pad"))
    autoPad = a->s();
  bool patches = attrInt(node, "group", 1) == 1 && strides.size() == 2 &&
                 strides[0] == kh && strides[1] == kw &&
                 llvm::all_of(pads, [](int64_t p) { return p == 0; }) &&
                 llvm::all_of(dilations, [](int64_t d) { return d == 1; }) &&
                 (autoPad == "NOTSET" || autoPad == "VALID");
  if (!patches)
    return im.nodeError(node, "unsupported op 'Conv' configuration: only "
                              "non-overlapping patches (kernel == stride, no "
                              "padding, dilation or groups) are supported");
  if (xt.getDimSize(1) != c && !xt.isDynamicDim(1))
    return im.nodeError(node, "input has " + llvm::Twine(xt.getDimSize(1)) +
                                  " channels, the weight " + llvm::Twine(c));
  for (int64_t d : {2, 3})
    if (xt.isDynamicDim(d))
      return im.nodeError(node, "the spatial dims must be static");
  int64_t h = xt.getDimSize(2) / kh, wd = xt.getDimSize(3) / kw;
  IntElem n = im.dimOf(*x, 0);
  Type elt = xt.getElementType();
  // Input windows past the last full patch are dropped, as Conv does.
  Value in = *x;
  if (h * kh != xt.getDimSize(2) || wd * kw != xt.getDimSize(3)) {
    SmallVector<Value> dyn;
    if (xt.isDynamicDim(0))
      dyn.push_back(im.indexValue(n));
    in = tsr::SliceOp::create(
        im.b, im.loc,
        RankedTensorType::get({xt.getDimSize(0), c, h * kh, wd * kw}, elt), in,
        ValueRange(), dyn, im.b.getDenseI64ArrayAttr({0, 0, 0, 0}),
        im.b.getDenseI64ArrayAttr({1, 1, 1, 1}));
  }
  Value six = im.reshape(in, {n, {c, {}}, {h, {}}, {kh, {}}, {wd, {}}, {kw, {}}});
  auto sixType = typeOf(six);
  SmallVector<int64_t> perm = {0, 2, 4, 1, 3, 5};
  SmallVector<int64_t> permShape;
  for (int64_t p : perm)
    permShape.push_back(sixType.getDimSize(p));
  Value moved = tsr::TransposeOp::create(
      im.b, im.loc, RankedTensorType::get(permShape, elt), six,
      im.b.getDenseI64ArrayAttr(perm));
  Value rows = im.reshape(moved, {n, {h, {}}, {wd, {}}, {c * kh * kw, {}}});
  Value weight = im.reshape(*w, {{o, {}}, {c * kh * kw, {}}});
  Value bias;
  if (im.hasInput(node, 2)) {
    Expected<Value> bv = im.tensorOperand(node, 2);
    if (!bv)
      return bv.takeError();
    bias = *bv;
    if (typeOf(bias).getShape() != ArrayRef<int64_t>{o})
      return im.nodeError(node, "bias must be [" + llvm::Twine(o) + "]");
  }
  auto linType = RankedTensorType::get(
      {typeOf(rows).getDimSize(0), h, wd, o}, elt);
  Value lin = tsr::LinearOp::create(im.b, im.loc, linType, rows, weight, bias,
                                    tsr::Epilogue::none, false);
  Value out = tsr::TransposeOp::create(
      im.b, im.loc,
      RankedTensorType::get({linType.getDimSize(0), o, h, wd}, elt), lin,
      im.b.getDenseI64ArrayAttr({0, 3, 1, 2}));
  im.setTensor(node, 0, out);
  return Error::success();
}

Error convertIdentity(Importer &im, const onnx::NodeProto &node) {
  Expected<ImportedValue *> in = im.lookup(node, node.input(0));
  if (!in)
    return in.takeError();
  ImportedValue copy = **in;
  im.setResult(node, 0, copy);
  // Dropout's mask output is all-true in inference mode.
  if (node.op_type() == "Dropout" && node.output_size() > 1 &&
      !node.output(1).empty())
    return im.nodeError(node, "the mask output of Dropout is unsupported");
  return Error::success();
}

const llvm::StringMap<Converter> &converters() {
  static const llvm::StringMap<Converter> table = [] {
    llvm::StringMap<Converter> m;
    for (const char *op : {"Add", "Sub", "Mul", "Div", "Pow", "Max", "Min",
                           "And", "Or"})
      m[op] = convertBinary;
    for (const char *op : {"Equal", "Less", "Greater", "LessOrEqual",
                           "GreaterOrEqual"})
      m[op] = convertCompare;
    for (const char *op : {"Neg", "Abs", "Sqrt", "Exp", "Log", "Erf", "Tanh",
                           "Sigmoid", "Relu", "Reciprocal", "Not"})
      m[op] = convertUnary;
    for (const char *op : {"ReduceSum", "ReduceMean", "ReduceMax",
                           "ReduceMin", "ReduceProd"})
      m[op] = convertReduce;
    m["MatMul"] = convertMatMul;
    m["Gemm"] = convertGemm;
    m["Softmax"] = convertSoftmax;
    m["LayerNormalization"] = convertLayerNorm;
    m["Shape"] = convertShape;
    m["Constant"] = convertConstant;
    m["ConstantOfShape"] = convertConstantOfShape;
    m["Cast"] = convertCast;
    m["Where"] = convertWhere;
    m["Reshape"] = convertReshape;
    m["Transpose"] = convertTranspose;
    m["Unsqueeze"] = [](Importer &im, const onnx::NodeProto &n) {
      return convertSqueezeLike(im, n, /*unsqueeze=*/true);
    };
    m["Squeeze"] = [](Importer &im, const onnx::NodeProto &n) {
      return convertSqueezeLike(im, n, /*unsqueeze=*/false);
    };
    m["Concat"] = convertConcat;
    m["Slice"] = convertSlice;
    m["Gather"] = convertGather;
    m["Expand"] = convertExpand;
    m["Identity"] = convertIdentity;
    m["Range"] = convertRange;
    m["Split"] = convertSplit;
    m["Conv"] = convertConv;
    m["Dropout"] = convertIdentity;
    // Op families in files of their own (they may wrap entries above).
    registerElementwiseConverters(m);
    registerReductionConverters(m);
    registerTensorConverters(m);
    registerNormalizationConverters(m);
    registerConvConverters(m);
    registerIndexingConverters(m);
    registerResizeConverters(m);
    registerEinsumConverters(m);
    registerAttentionConverters(m);
    m["CumSum"] = convertCumSum;
    m["Trilu"] = convertTrilu;
    m["RMSNormalization"] = convertRMSNorm;
    return m;
  }();
  return table;
}

} // namespace

Error convertNode(Importer &im, const onnx::NodeProto &node) {
  if (!node.domain().empty() && node.domain() != "ai.onnx")
    return im.nodeError(node, "unsupported op: domain '" + node.domain() +
                                  "' is not supported");
  const auto &table = converters();
  auto it = table.find(node.op_type());
  if (it == table.end())
    return im.nodeError(node, "unsupported op '" + node.op_type() + "'");
  for (int i = 0; i < node.input_size(); ++i)
    if (!node.input(i).empty() && !im.values.count(node.input(i)))
      return im.nodeError(node, "input '" + node.input(i) +
                                    "' is not produced by any earlier node, "
                                    "initializer or graph input");
  if (node.output_size() == 0)
    return im.nodeError(node, "has no outputs");
  if (Error e = checkOperandTypes(im, node))
    return e;
  return it->second(im, node);
}

} // namespace tessera::onnx_import

std::vector<std::string> tessera::supportedOnnxOps() {
  std::vector<std::string> ops;
  for (const auto &entry : onnx_import::converters())
    ops.push_back(entry.getKey().str());
  llvm::sort(ops);
  return ops;
}
