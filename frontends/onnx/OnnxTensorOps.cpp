//===- OnnxTensorOps.cpp - Flatten, Size, Tile, Pad, GatherElements, ... --===//
//
// Converters for more data-movement ops: Flatten and Size
// (shape arithmetic, folded at import), CastLike, Tile and Pad (slices and
// concatenations along each axis), GatherElements (a one-hot selection and
// a sum, which needs no gather kernel), and Dropout's training-mode and mask
// cases (Identity otherwise), EyeLike, OneHot, DepthToSpace/SpaceToDepth,
// Hardmax, CenterCropPad and the Hann/Hamming/Blackman windows.
//
//===----------------------------------------------------------------------===//

#include "frontends/onnx/NodeBuilder.h"
#include "frontends/onnx/OnnxOpSupport.h"

#include <cmath>
#include <limits>

using namespace mlir;
using llvm::Error;
using llvm::Expected;

namespace tessera::onnx_import {
namespace {

/// a * b as an IntElem: folded when both are constants, else index arith.
IntElem mulElems(Importer &im, IntElem a, IntElem b) {
  if (a.isStatic() && b.isStatic())
    return {a.value * b.value, {}};
  if (a.isStatic() && a.value == 1)
    return b;
  if (b.isStatic() && b.value == 1)
    return a;
  return {0, arith::MulIOp::create(im.b, im.loc, im.indexValue(a),
                                   im.indexValue(b))};
}

IntElem product(Importer &im, ArrayRef<IntElem> dims) {
  IntElem p{1, {}};
  for (const IntElem &d : dims)
    p = mulElems(im, p, d);
  return p;
}

Error convertFlatten(Importer &im, const onnx::NodeProto &node) {
  NodeBuilder nb(im, node);
  const std::string &x = node.input(0);
  SmallVector<IntElem> dims = nb.dims(x);
  int64_t rank = dims.size();
  int64_t axis = attrInt(node, "axis", 1);
  if (axis < 0)
    axis += rank;
  if (axis < 0 || axis > rank)
    return im.nodeError(node, "axis out of range");
  IntElem outer = product(im, ArrayRef<IntElem>(dims).take_front(axis));
  IntElem inner = product(im, ArrayRef<IntElem>(dims).drop_front(axis));
  // allowzero: a 0 in the target is a real 0, not "copy the input dim".
  ASSIGN_OR_RETURN(r, nb.add("Reshape", {x, nb.ints({outer, inner})},
                             {intAttr("allowzero", 1)}));
  nb.setOutput(0, r);
  return Error::success();
}

Error convertSize(Importer &im, const onnx::NodeProto &node) {
  NodeBuilder nb(im, node);
  HostTensor h;
  h.elementType = im.b.getI64Type();
  h.ints.push_back(product(im, nb.dims(node.input(0))));
  im.setResult(node, 0, ImportedValue{Value(), std::move(h)});
  return Error::success();
}

Error convertCastLike(Importer &im, const onnx::NodeProto &node) {
  NodeBuilder nb(im, node);
  std::optional<int32_t> to = onnxDataType(nb.elementType(node.input(1)));
  if (!to)
    return im.nodeError(node, "unsupported element type of input 'target_type'");
  ASSIGN_OR_RETURN(r, nb.add("Cast", {node.input(0)},
                             {intAttr("to", *to),
                              intAttr("saturate", attrInt(node, "saturate", 1))}));
  nb.setOutput(0, r);
  return Error::success();
}

/// Tile: the input concatenated `repeats[d]` times along each dim d.
Error convertTile(Importer &im, const onnx::NodeProto &node) {
  NodeBuilder nb(im, node);
  std::string cur = node.input(0);
  Expected<SmallVector<int64_t>> reps = staticIntList(im, node, 1);
  if (!reps)
    return reps.takeError();
  if (static_cast<int64_t>(reps->size()) != nb.rank(cur))
    return im.nodeError(node, "repeats must have one entry per dim");
  for (auto [d, r] : llvm::enumerate(*reps)) {
    if (r < 1)
      return im.nodeError(node, "unsupported repeat count " + llvm::Twine(r) +
                                    " (must be >= 1)");
    if (r == 1)
      continue;
    SmallVector<std::string> copies(r, cur);
    ASSIGN_OR_RETURN(c, nb.add("Concat", copies,
                               {intAttr("axis", static_cast<int64_t>(d))}));
    cur = c;
  }
  nb.setOutput(0, cur);
  return Error::success();
}

/// Pad in constant, edge, reflect and wrap modes (negative pads crop), one
/// axis at a time: slices of the input (or broadcast fill values)
/// concatenated around it.
Error convertPad(Importer &im, const onnx::NodeProto &node) {
  NodeBuilder nb(im, node);
  std::string cur = node.input(0);
  int64_t rank = nb.rank(cur);
  Type t = nb.elementType(cur);
  std::string mode = "constant";
  if (const onnx::AttributeProto *a = findAttr(node, "mode"))
    mode = a->s();
  if (mode != "constant" && mode != "edge" && mode != "reflect" &&
      mode != "wrap")
    return im.nodeError(node, "unsupported Pad mode '" + mode + "'");
  SmallVector<int64_t> pads;
  std::string value;
  SmallVector<int64_t> axes;
  if (im.opset >= 11) {
    Expected<SmallVector<int64_t>> p = staticIntList(im, node, 1);
    if (!p)
      return p.takeError();
    pads = *p;
    if (im.hasInput(node, 2))
      value = node.input(2);
    if (im.hasInput(node, 3)) {
      Expected<SmallVector<int64_t>> a = staticIntList(im, node, 3);
      if (!a)
        return a.takeError();
      axes = *a;
    }
  } else {
    auto p = attrInts(node, "pads");
    if (!p)
      p = attrInts(node, "paddings");
    if (!p)
      return im.nodeError(node, "needs pads");
    pads.assign(p->begin(), p->end());
    value = nb.scalar(t, attrFloat(node, "value", 0.0f));
  }
  if (value.empty())
    value = nb.scalar(t, 0);
  if (axes.empty())
    for (int64_t d = 0; d < rank; ++d)
      axes.push_back(d);
  if (pads.size() != 2 * axes.size())
    return im.nodeError(node, "pads must have two entries per axis");
  if (nb.rank(value) != 0) {
    ASSIGN_OR_RETURN(s, nb.add("Reshape", {value, nb.ints(ArrayRef<int64_t>{})}));
    value = s;
  }
  int64_t big = std::numeric_limits<int64_t>::max();
  for (auto [i, axisIn] : llvm::enumerate(axes)) {
    int64_t axis = axisIn < 0 ? axisIn + rank : axisIn;
    if (axis < 0 || axis >= rank)
      return im.nodeError(node, "axis " + llvm::Twine(axisIn) + " out of range");
    int64_t before = pads[i], after = pads[i + axes.size()];
    auto slice = [&](int64_t start, int64_t end) {
      return nb.add("Slice", {cur, nb.ints({start}), nb.ints({end}),
                              nb.ints({axis})});
    };
    if (before < 0 || after < 0) {
      ASSIGN_OR_RETURN(c, slice(std::max<int64_t>(0, -before),
                                after < 0 ? after : big));
      cur = c;
      before = std::max<int64_t>(before, 0);
      after = std::max<int64_t>(after, 0);
    }
    if (before == 0 && after == 0)
      continue;
    IntElem dim = nb.dims(cur)[axis];
    if (mode != "constant" && !dim.isStatic())
      return im.nodeError(node, "unsupported: " + mode +
                                    " padding of a dynamic dim");
    int64_t n = dim.value;
    if ((mode == "reflect" && std::max(before, after) > n - 1) ||
        (mode != "constant" && n == 0) ||
        (mode == "wrap" && std::max(before, after) > n))
      return im.nodeError(node, "pads too large for " + mode + " mode");
    // The block of `p` elements that goes before (or after) the input.
    auto block = [&](int64_t p, bool front) -> Expected<std::string> {
      if (mode == "constant" || mode == "edge") {
        std::string fill = value;
        if (mode == "edge") {
          Expected<std::string> e = front ? slice(0, 1) : slice(n - 1, n);
          if (!e)
            return e.takeError();
          fill = *e;
        }
        SmallVector<IntElem> shape = nb.dims(cur);
        shape[axis] = {p, {}};
        return nb.add("Expand", {fill, nb.ints(shape)});
      }
      if (mode == "wrap")
        return front ? slice(n - p, n) : slice(0, p);
      // reflect: x[p], ..., x[1] before; x[n-2], ..., x[n-1-p] after.
      SmallVector<std::string> pieces;
      for (int64_t k = 0; k < p; ++k) {
        int64_t at = front ? p - k : n - 2 - k;
        Expected<std::string> s = slice(at, at + 1);
        if (!s)
          return s.takeError();
        pieces.push_back(*s);
      }
      if (pieces.size() == 1)
        return pieces[0];
      return nb.add("Concat", pieces, {intAttr("axis", axis)});
    };
    SmallVector<std::string> parts;
    if (before > 0) {
      ASSIGN_OR_RETURN(b, block(before, true));
      parts.push_back(b);
    }
    parts.push_back(cur);
    if (after > 0) {
      ASSIGN_OR_RETURN(a, block(after, false));
      parts.push_back(a);
    }
    ASSIGN_OR_RETURN(c, nb.add("Concat", parts, {intAttr("axis", axis)}));
    cur = c;
  }
  nb.setOutput(0, cur);
  return Error::success();
}

/// GatherElements(data, indices, axis): out[.., i, ..] = data[.., idx, ..]
/// with idx = indices[.., i, ..] along `axis`. Built as a one-hot selection
/// over a new dim next to `axis` and a sum over it:
///   mask[.., i, j, ..] = (indices[.., i, ..] == j)
///   out = sum_j where(mask, data[.., j, ..], 0)
Error convertGatherElements(Importer &im, const onnx::NodeProto &node) {
  NodeBuilder nb(im, node);
  std::string data = node.input(0), idx = node.input(1);
  int64_t rank = nb.rank(data);
  if (nb.rank(idx) != rank)
    return im.nodeError(node, "data and indices must have the same rank");
  Type it = nb.elementType(idx);
  if (!it.isSignlessInteger() || it.isInteger(1))
    return im.nodeError(node, "indices must be int32 or int64");
  int64_t axis = attrInt(node, "axis", 0);
  if (axis < 0)
    axis += rank;
  if (axis < 0 || axis >= rank)
    return im.nodeError(node, "axis out of range");
  SmallVector<IntElem> dd = nb.dims(data), id = nb.dims(idx);
  if (!dd[axis].isStatic())
    return im.nodeError(node, "unsupported: GatherElements along a dynamic dim");
  int64_t n = dd[axis].value;
  // Off the axis, indices may be smaller than data: take the leading part.
  SmallVector<int64_t> starts, ends, sliceAxes;
  for (int64_t d = 0; d < rank; ++d) {
    if (d == axis)
      continue;
    if (!id[d].isStatic() || !dd[d].isStatic()) {
      if (id[d].dynamic != dd[d].dynamic)
        return im.nodeError(node, "unsupported: dynamic dims of data and "
                                  "indices that may differ");
      continue;
    }
    if (id[d].value > dd[d].value)
      return im.nodeError(node, "indices dim " + llvm::Twine(d) +
                                    " is larger than data's");
    if (id[d].value < dd[d].value) {
      starts.push_back(0);
      ends.push_back(id[d].value);
      sliceAxes.push_back(d);
    }
  }
  if (!sliceAxes.empty()) {
    ASSIGN_OR_RETURN(s, nb.add("Slice", {data, nb.ints(starts), nb.ints(ends),
                                         nb.ints(sliceAxes)}));
    data = s;
  }
  // Out of range, the one-hot mask below would pick nothing: a zero.
  ASSIGN_OR_RETURN(checked, nb.checkIndices(idx, {n}, /*input=*/1));
  idx = checked;
  std::string zeroIdx = nb.scalar(it, 0);
  ASSIGN_OR_RETURN(neg, nb.add("Less", {idx, zeroIdx}));
  ASSIGN_OR_RETURN(wrapped, nb.add("Add", {idx, nb.scalar(it, n)}));
  ASSIGN_OR_RETURN(index, nb.add("Where", {neg, wrapped, idx}));
  ASSIGN_OR_RETURN(xs, nb.add("Unsqueeze", {data}, {intsAttr("axes", {axis})}));
  ASSIGN_OR_RETURN(is, nb.add("Unsqueeze", {index}, {intsAttr("axes", {axis + 1})}));
  HostTensor iota;
  iota.elementType = it;
  iota.shape.assign(rank + 1, 1);
  iota.shape[axis + 1] = n;
  for (int64_t j = 0; j < n; ++j)
    iota.ints.push_back({j, {}});
  ASSIGN_OR_RETURN(mask, nb.add("Equal", {is, nb.constant(std::move(iota))}));
  ASSIGN_OR_RETURN(picked, nb.add("Where", {mask, xs,
                                            nb.scalar(nb.elementType(data), 0)}));
  ASSIGN_OR_RETURN(r, nb.add("ReduceSum", {picked},
                             {intsAttr("axes", {axis + 1}), intAttr("keepdims", 0)}));
  nb.setOutput(0, r);
  return Error::success();
}

/// Dropout: the identity in inference mode (and with ratio 0), whose mask
/// output is all true; training mode with a non-zero ratio draws random
/// numbers, which compiled code does not do.
ConverterFn dropout(ConverterFn identity) {
  return [=](Importer &im, const onnx::NodeProto &node) -> Error {
    bool training = false;
    if (im.hasInput(node, 2)) {
      Expected<const HostTensor *> h = im.hostOperand(node, 2);
      if (!h)
        return h.takeError();
      training = (*h)->isFloat() ? (*h)->floats[0] != 0
                                 : (*h)->ints[0].value != 0;
    }
    double ratio = attrFloat(node, "ratio", 0.5f);
    if (im.hasInput(node, 1)) {
      Expected<const HostTensor *> h = im.hostOperand(node, 1);
      if (!h)
        return h.takeError();
      ratio = (*h)->isFloat() ? (*h)->floats[0] : (*h)->ints[0].value;
    }
    if (training && ratio != 0)
      return im.nodeError(node, "unsupported: Dropout in training mode (it "
                                "draws random numbers)");
    onnx::NodeProto data = node;
    while (data.output_size() > 1)
      data.mutable_output()->RemoveLast();
    if (Error e = identity(im, data))
      return e;
    if (node.output_size() > 1 && !node.output(1).empty()) {
      NodeBuilder nb(im, node);
      HostTensor yes;
      yes.elementType = im.b.getI1Type();
      yes.ints.push_back({1, {}});
      ASSIGN_OR_RETURN(mask, nb.add("Expand", {nb.constant(std::move(yes)),
                                               nb.ints(nb.dims(node.input(0)))}));
      nb.setOutput(1, mask);
    }
    return Error::success();
  };
}

/// EyeLike: ones where column - row == k, of the input's static 2-D shape.
Error convertEyeLike(Importer &im, const onnx::NodeProto &node) {
  NodeBuilder nb(im, node);
  SmallVector<IntElem> dims = nb.dims(node.input(0));
  if (dims.size() != 2 || !dims[0].isStatic() || !dims[1].isStatic())
    return im.nodeError(node, "needs a 2-D input of static shape");
  int64_t k = attrInt(node, "k", 0);
  std::optional<int32_t> dt = onnxDataType(nb.elementType(node.input(0)));
  if (const onnx::AttributeProto *a = findAttr(node, "dtype"))
    dt = a->i();
  if (!dt)
    return im.nodeError(node, "unsupported element type");
  HostTensor rows, cols;
  rows.elementType = cols.elementType = im.b.getI64Type();
  rows.shape = {dims[0].value, 1};
  cols.shape = {1, dims[1].value};
  for (int64_t i = 0; i < dims[0].value; ++i)
    rows.ints.push_back({i + k, {}});
  for (int64_t j = 0; j < dims[1].value; ++j)
    cols.ints.push_back({j, {}});
  ASSIGN_OR_RETURN(eq, nb.add("Equal", {nb.constant(std::move(cols)),
                                        nb.constant(std::move(rows))}));
  ASSIGN_OR_RETURN(r, nb.add("Cast", {eq}, {intAttr("to", *dt)}));
  nb.setOutput(0, r);
  return Error::success();
}

/// OneHot(indices, depth, values): values[1] where the (wrapped) index
/// equals the position along the new `axis`, values[0] elsewhere.
Error convertOneHot(Importer &im, const onnx::NodeProto &node) {
  NodeBuilder nb(im, node);
  Expected<const HostTensor *> depthHost = im.hostOperand(node, 1);
  if (!depthHost)
    return depthHost.takeError();
  const HostTensor &dh = **depthHost;
  if (dh.numElements() != 1 || (!dh.isFloat() && !dh.allStatic()))
    return im.nodeError(node, "depth must be a constant scalar");
  int64_t depth = dh.isFloat() ? static_cast<int64_t>(dh.floats[0])
                               : dh.ints[0].value;
  if (depth <= 0)
    return im.nodeError(node, "depth must be positive");
  std::string idx = node.input(0);
  if (!nb.elementType(idx).isSignlessInteger(64)) {
    ASSIGN_OR_RETURN(c, nb.add("Cast", {idx}, {intAttr("to", onnx::TensorProto::INT64)}));
    idx = c;
  }
  int64_t outRank = nb.rank(idx) + 1;
  int64_t axis = attrInt(node, "axis", -1);
  if (axis < 0)
    axis += outRank;
  if (axis < 0 || axis >= outRank)
    return im.nodeError(node, "axis out of range");
  std::string i64zero = nb.scalar(im.b.getI64Type(), 0);
  ASSIGN_OR_RETURN(neg, nb.add("Less", {idx, i64zero}));
  ASSIGN_OR_RETURN(wrapped, nb.add("Add", {idx, nb.scalar(im.b.getI64Type(), depth)}));
  ASSIGN_OR_RETURN(index, nb.add("Where", {neg, wrapped, idx}));
  ASSIGN_OR_RETURN(u, nb.add("Unsqueeze", {index}, {intsAttr("axes", {axis})}));
  HostTensor iota;
  iota.elementType = im.b.getI64Type();
  iota.shape.assign(outRank, 1);
  iota.shape[axis] = depth;
  for (int64_t j = 0; j < depth; ++j)
    iota.ints.push_back({j, {}});
  ASSIGN_OR_RETURN(hit, nb.add("Equal", {u, nb.constant(std::move(iota))}));
  const std::string &values = node.input(2);
  ASSIGN_OR_RETURN(off, nb.add("Gather", {values, nb.scalar(im.b.getI64Type(), 0)}));
  ASSIGN_OR_RETURN(on, nb.add("Gather", {values, nb.scalar(im.b.getI64Type(), 1)}));
  ASSIGN_OR_RETURN(r, nb.add("Where", {hit, on, off}));
  nb.setOutput(0, r);
  return Error::success();
}

/// DepthToSpace and SpaceToDepth: a reshape, a transpose and a reshape.
Error convertDepthSpace(Importer &im, const onnx::NodeProto &node) {
  NodeBuilder nb(im, node);
  const std::string &x = node.input(0);
  SmallVector<IntElem> d = nb.dims(x);
  int64_t b = attrInt(node, "blocksize", 0);
  if (d.size() != 4 || b <= 0 || !d[1].isStatic() || !d[2].isStatic() ||
      !d[3].isStatic())
    return im.nodeError(node, "needs an [N, C, H, W] input with static C, H, "
                              "W and a positive blocksize");
  int64_t c = d[1].value, h = d[2].value, w = d[3].value;
  IntElem n = d[0];
  auto I = [](int64_t v) { return IntElem{v, {}}; };
  SmallVector<IntElem> split, out;
  SmallVector<int64_t> perm;
  if (node.op_type() == "DepthToSpace") {
    if (c % (b * b) != 0)
      return im.nodeError(node, "channels must be divisible by blocksize^2");
    std::string mode = "DCR";
    if (const onnx::AttributeProto *a = findAttr(node, "mode"))
      mode = a->s();
    if (mode == "DCR") {
      split = {n, I(b), I(b), I(c / (b * b)), I(h), I(w)};
      perm = {0, 3, 4, 1, 5, 2};
    } else {
      split = {n, I(c / (b * b)), I(b), I(b), I(h), I(w)};
      perm = {0, 1, 4, 2, 5, 3};
    }
    out = {n, I(c / (b * b)), I(h * b), I(w * b)};
  } else {
    if (h % b != 0 || w % b != 0)
      return im.nodeError(node, "height and width must be divisible by "
                                "blocksize");
    split = {n, I(c), I(h / b), I(b), I(w / b), I(b)};
    perm = {0, 3, 5, 1, 2, 4};
    out = {n, I(c * b * b), I(h / b), I(w / b)};
  }
  ASSIGN_OR_RETURN(s, nb.add("Reshape", {x, nb.ints(split)}));
  ASSIGN_OR_RETURN(t, nb.add("Transpose", {s}, {intsAttr("perm", perm)}));
  ASSIGN_OR_RETURN(r, nb.add("Reshape", {t, nb.ints(out)}));
  nb.setOutput(0, r);
  return Error::success();
}

/// Hardmax: 1 at the first maximum along `axis`, 0 elsewhere (before
/// opset 13, over the input flattened to 2-D at `axis`).
Error convertHardmax(Importer &im, const onnx::NodeProto &node) {
  NodeBuilder nb(im, node);
  std::string x = node.input(0);
  SmallVector<IntElem> dims = nb.dims(x);
  int64_t rank = dims.size();
  int64_t axis = attrInt(node, "axis", im.opset >= 13 ? -1 : 1);
  if (axis < 0)
    axis += rank;
  if (axis < 0 || axis >= rank)
    return im.nodeError(node, "axis out of range");
  if (im.opset < 13) {
    ASSIGN_OR_RETURN(f, nb.add("Flatten", {x}, {intAttr("axis", axis)}));
    x = f;
    axis = 1;
  }
  IntElem n = nb.dims(x)[axis];
  if (!n.isStatic())
    return im.nodeError(node, "unsupported: Hardmax over a dynamic dim");
  ASSIGN_OR_RETURN(am, nb.add("ArgMax", {x}, {intAttr("axis", axis),
                                             intAttr("keepdims", 1)}));
  HostTensor iota;
  iota.elementType = im.b.getI64Type();
  iota.shape.assign(nb.rank(x), 1);
  iota.shape[axis] = n.value;
  for (int64_t j = 0; j < n.value; ++j)
    iota.ints.push_back({j, {}});
  ASSIGN_OR_RETURN(hit, nb.add("Equal", {am, nb.constant(std::move(iota))}));
  ASSIGN_OR_RETURN(r, nb.add("Cast", {hit}, {intAttr("to", *onnxDataType(nb.elementType(x)))}));
  std::string out = r;
  if (im.opset < 13) {
    ASSIGN_OR_RETURN(back, nb.add("Reshape", {r, nb.ints(dims)}));
    out = back;
  }
  nb.setOutput(0, out);
  return Error::success();
}

/// Hann, Hamming and Blackman windows of a compile-time size, computed here.
Error convertWindow(Importer &im, const onnx::NodeProto &node) {
  NodeBuilder nb(im, node);
  Expected<const HostTensor *> sizeHost = im.hostOperand(node, 0);
  if (!sizeHost)
    return sizeHost.takeError();
  const HostTensor &sh = **sizeHost;
  if (sh.numElements() != 1 || sh.isFloat() || !sh.allStatic() ||
      sh.ints[0].value < 0)
    return im.nodeError(node, "size must be a non-negative integer scalar");
  int64_t n = sh.ints[0].value;
  bool periodic = attrInt(node, "periodic", 1);
  double denom = periodic ? n : n - 1;
  StringRef op = node.op_type();
  HostTensor w;
  w.elementType = im.b.getF64Type();
  w.shape = {n};
  for (int64_t i = 0; i < n; ++i) {
    double x = denom > 0 ? 2 * M_PI * i / denom : 0;
    double v;
    if (op == "HannWindow")
      v = 0.5 - 0.5 * std::cos(x);
    else if (op == "HammingWindow")
      v = 25.0 / 46 - (1 - 25.0 / 46) * std::cos(x);
    else
      v = 0.42 - 0.5 * std::cos(x) + 0.08 * std::cos(2 * x);
    w.floats.push_back(v);
  }
  ASSIGN_OR_RETURN(r, nb.add("Cast", {nb.constant(std::move(w))},
                             {intAttr("to", attrInt(node, "output_datatype",
                                                    onnx::TensorProto::FLOAT))}));
  nb.setOutput(0, r);
  return Error::success();
}

/// CenterCropPad: each listed axis cropped or zero-padded to the target
/// size around its center.
Error convertCenterCropPad(Importer &im, const onnx::NodeProto &node) {
  NodeBuilder nb(im, node);
  std::string cur = node.input(0);
  Expected<SmallVector<int64_t>> target = staticIntList(im, node, 1);
  if (!target)
    return target.takeError();
  int64_t rank = nb.rank(cur);
  SmallVector<int64_t> axes;
  if (auto a = attrInts(node, "axes"))
    axes.assign(a->begin(), a->end());
  else
    for (int64_t d = 0; d < rank; ++d)
      axes.push_back(d);
  if (axes.size() != target->size())
    return im.nodeError(node, "shape must have one entry per axis");
  for (auto [i, a] : llvm::enumerate(axes)) {
    int64_t axis = a < 0 ? a + rank : a;
    if (axis < 0 || axis >= rank)
      return im.nodeError(node, "axis out of range");
    IntElem dim = nb.dims(cur)[axis];
    if (!dim.isStatic())
      return im.nodeError(node, "unsupported: a dynamic dim");
    int64_t have = dim.value, want = (*target)[i];
    if (want < 0)
      return im.nodeError(node, "negative target size");
    if (have > want) {
      int64_t start = (have - want) / 2;
      ASSIGN_OR_RETURN(s, nb.add("Slice", {cur, nb.ints({start}), nb.ints({start + want}),
                                           nb.ints({axis})}));
      cur = s;
    } else if (have < want) {
      int64_t before = (want - have) / 2;
      SmallVector<int64_t> pads(2 * rank, 0);
      pads[axis] = before;
      pads[rank + axis] = want - have - before;
      ASSIGN_OR_RETURN(p, nb.add("Pad", {cur, nb.ints(pads)}));
      cur = p;
    }
  }
  nb.setOutput(0, cur);
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

} // namespace

void registerTensorConverters(ConverterTable &m) {
  m["Flatten"] = convertFlatten;
  m["Size"] = convertSize;
  m["CastLike"] = convertCastLike;
  m["Tile"] = convertTile;
  m["Pad"] = convertPad;
  m["GatherElements"] = convertGatherElements;
  m["Identity"] = convertIdentity;
  m["Dropout"] = dropout(convertIdentity);
  m["EyeLike"] = convertEyeLike;
  m["OneHot"] = convertOneHot;
  m["DepthToSpace"] = convertDepthSpace;
  m["SpaceToDepth"] = convertDepthSpace;
  m["Hardmax"] = convertHardmax;
  m["HannWindow"] = convertWindow;
  m["HammingWindow"] = convertWindow;
  m["BlackmanWindow"] = convertWindow;
  m["CenterCropPad"] = convertCenterCropPad;
}

} // namespace tessera::onnx_import
