//===- OnnxShapeOps.cpp - Shapes, constants, reshapes, ranges -------------===//
//
// Converters for the ops that make and reshape tensors: Shape, Constant and
// ConstantOfShape (host values when small), Reshape, Transpose, Squeeze and
// Unsqueeze, Concat, Expand, Range (folded at import, or start + delta *
// iota over a run-time length), CumSum and Trilu (a constant keep-mask for
// static dims, else one from two iotas). Shape webs (Shape -> Gather ->
// Unsqueeze -> Concat -> Reshape) fold here, dynamic dims carried as index
// values.
//
//===----------------------------------------------------------------------===//

#include "frontends/onnx/OnnxOpSupport.h"

#include "llvm/Support/MathExtras.h"

#include <cmath>

using namespace mlir;
using llvm::Error;
using llvm::Expected;

namespace tessera::onnx_import {
namespace {

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
    for (int64_t d = 0; d < rank; ++d) {
      if (d == axis)
        continue;
      if (!ShapedType::isDynamic(shape[d]) && !t.isDynamicDim(d) &&
          shape[d] != t.getDimSize(d))
        return im.nodeError(node, "inputs differ in dim " + std::to_string(d) +
                                      " (" + std::to_string(shape[d]) +
                                      " and " +
                                      std::to_string(t.getDimSize(d)) +
                                      "), which is not the axis");
      if (ShapedType::isDynamic(shape[d]))
        shape[d] = t.getDimSize(d);
    }
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

} // namespace

void registerShapeConverters(ConverterTable &m) {
  m["Shape"] = convertShape;
  m["Constant"] = convertConstant;
  m["ConstantOfShape"] = convertConstantOfShape;
  m["Reshape"] = convertReshape;
  m["Transpose"] = convertTranspose;
  m["Unsqueeze"] = [](Importer &im, const onnx::NodeProto &n) {
    return convertSqueezeLike(im, n, /*unsqueeze=*/true);
  };
  m["Squeeze"] = [](Importer &im, const onnx::NodeProto &n) {
    return convertSqueezeLike(im, n, /*unsqueeze=*/false);
  };
  m["Concat"] = convertConcat;
  m["Expand"] = convertExpand;
  m["Range"] = convertRange;
  m["CumSum"] = convertCumSum;
  m["Trilu"] = convertTrilu;
}

} // namespace tessera::onnx_import
