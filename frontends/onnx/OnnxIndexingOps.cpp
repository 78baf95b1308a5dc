//===- OnnxIndexingOps.cpp - GatherND, ScatterElements, ScatterND ---------===//
//
// Converters for the index-driven ONNX ops beyond Gather and GatherElements.
// GatherND is a Gather over the leading dims flattened to one. The scatters
// have no tsr op: they are one-hot selections, as GatherElements is --
//   mask[i, j] = (index of update i == position j)
//   written[j] = any_i mask[i, j],  value[j] = combine_i where(mask, update_i)
//   out = where(written, value (combined with data for add/mul/max/min), data)
// which costs (updates x positions along the scattered dims) elements, fine
// for the small index tensors scatters take in practice. Duplicate indices
// with reduction "none" are undefined in ONNX; here they add up.
//
//===----------------------------------------------------------------------===//

#include "frontends/onnx/NodeBuilder.h"

#include <limits>

using namespace mlir;
using llvm::Error;
using llvm::Expected;

namespace tessera::onnx_import {
namespace {

/// `idx` with negative entries moved up by `bound` (a value name of idx's
/// element type that broadcasts against idx).
Expected<std::string> wrapNegative(NodeBuilder &nb, const std::string &idx,
                                   const std::string &bound) {
  ASSIGN_OR_RETURN(neg, nb.add("Less", {idx, nb.scalar(nb.elementType(idx), 0)}));
  ASSIGN_OR_RETURN(up, nb.add("Add", {idx, bound}));
  return nb.add("Where", {neg, up, idx});
}

/// A 1-D int constant [0, n) shaped with n at `axis` of `rank` dims.
std::string iotaAlong(NodeBuilder &nb, Type elt, int64_t n, int64_t axis,
                      int64_t rank) {
  HostTensor iota;
  iota.elementType = elt;
  iota.shape.assign(rank, 1);
  iota.shape[axis] = n;
  for (int64_t j = 0; j < n; ++j)
    iota.ints.push_back({j, {}});
  return nb.constant(std::move(iota));
}

/// The linear index over the first k dims of `dims` of each k-tuple of
/// `indices` ([..., k]), negative entries wrapped; k and those dims static.
Expected<std::string> linearIndex(Importer &im, const onnx::NodeProto &node,
                                  NodeBuilder &nb, const std::string &indices,
                                  ArrayRef<IntElem> dims, int64_t k) {
  SmallVector<int64_t> sizes, strides(k, 1);
  for (int64_t d = 0; d < k; ++d) {
    if (!dims[d].isStatic())
      return im.nodeError(node, "unsupported: indexing a dynamic dim");
    sizes.push_back(dims[d].value);
  }
  for (int64_t d = k - 2; d >= 0; --d)
    strides[d] = strides[d + 1] * sizes[d + 1];
  // A component out of its dim would still give an in-range linear index.
  ASSIGN_OR_RETURN(idx, nb.checkIndices(indices, sizes, /*input=*/1));
  if (!nb.elementType(idx).isSignlessInteger(64)) {
    ASSIGN_OR_RETURN(c, nb.add("Cast", {idx}, {intAttr("to", onnx::TensorProto::INT64)}));
    idx = c;
  }
  ASSIGN_OR_RETURN(w, wrapNegative(nb, idx, nb.ints(sizes)));
  ASSIGN_OR_RETURN(scaled, nb.add("Mul", {w, nb.ints(strides)}));
  return nb.add("ReduceSum", {scaled}, {intsAttr("axes", {-1}), intAttr("keepdims", 0)});
}

Error convertGatherND(Importer &im, const onnx::NodeProto &node) {
  NodeBuilder nb(im, node);
  const std::string &data = node.input(0), &indices = node.input(1);
  SmallVector<IntElem> dd = nb.dims(data), id = nb.dims(indices);
  int64_t b = attrInt(node, "batch_dims", 0);
  if (b < 0 || b >= static_cast<int64_t>(std::min(dd.size(), id.size())))
    return im.nodeError(node, "batch_dims out of range");
  if (id.empty() || !id.back().isStatic() || id.back().value < 1 ||
      b + id.back().value > static_cast<int64_t>(dd.size()))
    return im.nodeError(node, "the last dim of indices must be static and "
                              "at most data's rank minus batch_dims");
  int64_t k = id.back().value;
  // With batch dims, each batch's tuples index its own block of data.
  Expected<std::string> lin = linearIndex(
      im, node, nb, indices, ArrayRef<IntElem>(dd).drop_front(b), k);
  if (!lin)
    return lin.takeError();
  IntElem q{1, {}};
  for (int64_t d = 0; d < k; ++d)
    q.value *= dd[b + d].value;
  std::string index = *lin;
  int64_t batches = 1;
  for (int64_t d = 0; d < b; ++d) {
    if (!dd[d].isStatic() || !id[d].isStatic() || dd[d].value != id[d].value)
      return im.nodeError(node, "batch dims of data and indices must be "
                                "static and equal");
    batches *= dd[d].value;
  }
  if (b > 0) {
    HostTensor offsets;
    offsets.elementType = im.b.getI64Type();
    for (int64_t d = 0; d < b; ++d)
      offsets.shape.push_back(dd[d].value);
    offsets.shape.append(id.size() - 1 - b, 1);
    for (int64_t i = 0; i < batches; ++i)
      offsets.ints.push_back({i * q.value, {}});
    ASSIGN_OR_RETURN(shifted, nb.add("Add", {index, nb.constant(std::move(offsets))}));
    index = shifted;
  }
  SmallVector<IntElem> flat = {IntElem{batches * q.value, {}}};
  flat.append(dd.begin() + b + k, dd.end());
  ASSIGN_OR_RETURN(d2, nb.add("Reshape", {data, nb.ints(flat)}));
  ASSIGN_OR_RETURN(r, nb.add("Gather", {d2, index}, {intAttr("axis", 0)}));
  nb.setOutput(0, r);
  return Error::success();
}

/// Combines the one-hot selected updates into `data` where `written`.
Expected<std::string> combineScatter(Importer &im, const onnx::NodeProto &node,
                                     NodeBuilder &nb, const std::string &data,
                                     const std::string &mask,
                                     const std::string &updates,
                                     int64_t overAxis) {
  std::string reduction = "none";
  if (const onnx::AttributeProto *a = findAttr(node, "reduction"))
    reduction = a->s();
  Type t = nb.elementType(data);
  bool isFloat = isa<FloatType>(t);
  auto over = {intsAttr("axes", {overAxis}), intAttr("keepdims", 0)};
  ASSIGN_OR_RETURN(maskInt, nb.add("Cast", {mask}, {intAttr("to", onnx::TensorProto::INT32)}));
  ASSIGN_OR_RETURN(anyInt, nb.add("ReduceMax", {maskInt}, over));
  ASSIGN_OR_RETURN(written, nb.add("Cast", {anyInt}, {intAttr("to", onnx::TensorProto::BOOL)}));
  std::string neutral, reduce = "ReduceSum";
  if (reduction == "none" || reduction == "add") {
    neutral = nb.scalar(t, 0);
  } else if (reduction == "mul") {
    neutral = nb.scalar(t, 1);
    reduce = "ReduceProd";
  } else if (reduction == "max" || reduction == "min") {
    bool isMax = reduction == "max";
    double inf = std::numeric_limits<double>::infinity();
    if (isFloat)
      neutral = nb.scalar(t, isMax ? -inf : inf);
    else
      neutral = nb.scalar(t, isMax ? -(1ll << 62) : (1ll << 62));
    reduce = isMax ? "ReduceMax" : "ReduceMin";
  } else {
    return im.nodeError(node, "unsupported reduction '" + reduction + "'");
  }
  ASSIGN_OR_RETURN(sel, nb.add("Where", {mask, updates, neutral}));
  ASSIGN_OR_RETURN(value, nb.add(reduce, {sel}, over));
  std::string merged = value;
  if (reduction == "add" || reduction == "mul") {
    ASSIGN_OR_RETURN(m, nb.add(reduction == "add" ? "Add" : "Mul", {data, value}));
    merged = m;
  } else if (reduction == "max" || reduction == "min") {
    ASSIGN_OR_RETURN(m, nb.add(reduction == "max" ? "Max" : "Min", {data, value}));
    merged = m;
  }
  return nb.add("Where", {written, merged, data});
}

/// ScatterElements (and the deprecated Scatter): along `axis`, update i of
/// each row goes to position indices[i].
Error convertScatterElements(Importer &im, const onnx::NodeProto &node) {
  NodeBuilder nb(im, node);
  const std::string &data = node.input(0), &indices = node.input(1),
                    &updates = node.input(2);
  SmallVector<IntElem> dd = nb.dims(data), id = nb.dims(indices);
  int64_t rank = dd.size();
  if (static_cast<int64_t>(id.size()) != rank || nb.rank(updates) != rank)
    return im.nodeError(node, "data, indices and updates must have one rank");
  int64_t axis = attrInt(node, "axis", 0);
  if (axis < 0)
    axis += rank;
  if (axis < 0 || axis >= rank)
    return im.nodeError(node, "axis out of range");
  for (int64_t d = 0; d < rank; ++d)
    if (!dd[d].isStatic() || !id[d].isStatic())
      return im.nodeError(node, "unsupported: dynamic dims");
  int64_t n = dd[axis].value;
  Type it = nb.elementType(indices);
  ASSIGN_OR_RETURN(checked, nb.checkIndices(indices, {n}, /*input=*/1));
  ASSIGN_OR_RETURN(idx, wrapNegative(nb, checked, nb.scalar(it, n)));
  // [.., I_a, 1, ..] == [1.., n, ..] -> mask [.., I_a, n, ..]
  ASSIGN_OR_RETURN(col, nb.add("Unsqueeze", {idx}, {intsAttr("axes", {axis + 1})}));
  ASSIGN_OR_RETURN(mask, nb.add("Equal", {col, iotaAlong(nb, it, n, axis + 1, rank + 1)}));
  ASSIGN_OR_RETURN(upd, nb.add("Unsqueeze", {updates}, {intsAttr("axes", {axis + 1})}));
  // The mask covers indices' extent off the axis: data's window of it.
  SmallVector<int64_t> starts, ends, axes;
  SmallVector<int64_t> padEnd(rank, 0);
  for (int64_t d = 0; d < rank; ++d)
    if (d != axis && id[d].value != dd[d].value) {
      starts.push_back(0);
      ends.push_back(id[d].value);
      axes.push_back(d);
      padEnd[d] = dd[d].value - id[d].value;
    }
  std::string window = data;
  if (!axes.empty()) {
    ASSIGN_OR_RETURN(s, nb.add("Slice", {data, nb.ints(starts), nb.ints(ends), nb.ints(axes)}));
    window = s;
  }
  Expected<std::string> out =
      combineScatter(im, node, nb, window, mask, upd, axis);
  if (!out)
    return out.takeError();
  std::string r = *out;
  if (!axes.empty()) {
    // Put the updated window back: the rest of data is unchanged.
    SmallVector<std::string> pieces;
    std::string cur = r;
    for (int64_t d : axes) {
      ASSIGN_OR_RETURN(rest, nb.add("Slice", {data, nb.ints({id[d].value}),
                                              nb.ints({dd[d].value}), nb.ints({d})}));
      // `rest` spans data's full extent on the other dims; take the part
      // matching `cur` on the dims not yet restored.
      SmallVector<int64_t> s2, e2, a2;
      for (int64_t o : axes)
        if (o > d) {
          s2.push_back(0);
          e2.push_back(id[o].value);
          a2.push_back(o);
        }
      std::string part = rest;
      if (!a2.empty()) {
        ASSIGN_OR_RETURN(p, nb.add("Slice", {rest, nb.ints(s2), nb.ints(e2), nb.ints(a2)}));
        part = p;
      }
      ASSIGN_OR_RETURN(c, nb.add("Concat", {cur, part}, {intAttr("axis", d)}));
      cur = c;
    }
    r = cur;
  }
  nb.setOutput(0, r);
  return Error::success();
}

/// ScatterND: update slice b goes to data[indices[b]] (k leading dims).
Error convertScatterND(Importer &im, const onnx::NodeProto &node) {
  NodeBuilder nb(im, node);
  const std::string &data = node.input(0), &indices = node.input(1),
                    &updates = node.input(2);
  SmallVector<IntElem> dd = nb.dims(data), id = nb.dims(indices);
  for (const IntElem &d : dd)
    if (!d.isStatic())
      return im.nodeError(node, "unsupported: dynamic dims");
  for (const IntElem &d : id)
    if (!d.isStatic())
      return im.nodeError(node, "unsupported: dynamic dims");
  if (id.empty() || id.back().value < 1 ||
      id.back().value > static_cast<int64_t>(dd.size()))
    return im.nodeError(node, "the last dim of indices must be at most "
                              "data's rank");
  int64_t k = id.back().value;
  Expected<std::string> lin = linearIndex(im, node, nb, indices, dd, k);
  if (!lin)
    return lin.takeError();
  int64_t q = 1, rest = 1, batch = 1;
  for (int64_t d = 0; d < k; ++d)
    q *= dd[d].value;
  for (size_t d = k; d < dd.size(); ++d)
    rest *= dd[d].value;
  for (size_t d = 0; d + 1 < id.size(); ++d)
    batch *= id[d].value;
  ASSIGN_OR_RETURN(l1, nb.add("Reshape", {*lin, nb.ints({batch, int64_t{1}})}));
  ASSIGN_OR_RETURN(mask2, nb.add("Equal", {l1, iotaAlong(nb, im.b.getI64Type(), q, 1, 2)}));
  ASSIGN_OR_RETURN(mask, nb.add("Unsqueeze", {mask2}, {intsAttr("axes", {2})}));
  ASSIGN_OR_RETURN(u2, nb.add("Reshape", {updates, nb.ints({batch, int64_t{1}, rest})}));
  ASSIGN_OR_RETURN(d2, nb.add("Reshape", {data, nb.ints({q, rest})}));
  Expected<std::string> out = combineScatter(im, node, nb, d2, mask, u2, 0);
  if (!out)
    return out.takeError();
  ASSIGN_OR_RETURN(r, nb.add("Reshape", {*out, nb.ints(dd)}));
  nb.setOutput(0, r);
  return Error::success();
}

} // namespace

void registerIndexingConverters(ConverterTable &m) {
  m["GatherND"] = convertGatherND;
  m["ScatterElements"] = convertScatterElements;
  m["Scatter"] = convertScatterElements;
  m["ScatterND"] = convertScatterND;
}

} // namespace tessera::onnx_import
