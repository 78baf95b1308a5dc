//===- OnnxSliceOps.cpp - Slice, Gather, Split -----------------------------===//
//
// Converters for the ops that select along axes: Slice (folded on host
// values; tsr.slice with static or run-time bounds and positive steps, and
// negative steps over static dims as a Gather of the reversed indices),
// Gather (folded on host values; tsr.gather otherwise) and Split.
//
//===----------------------------------------------------------------------===//

#include "frontends/onnx/NodeBuilder.h"
#include "frontends/onnx/OnnxOpSupport.h"

using namespace mlir;
using llvm::Error;
using llvm::Expected;

namespace tessera::onnx_import {
namespace {

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

/// Slice with negative steps (static dims): the positive-step part by the
/// Slice converter, then each reversed axis as a Gather of its indices.
ConverterFn sliceNegativeSteps(ConverterFn slice) {
  return [=](Importer &im, const onnx::NodeProto &node) -> Error {
    if (im.opset < 10 || !im.hasInput(node, 4))
      return slice(im, node);
    Expected<SmallVector<int64_t>> steps = staticIntList(im, node, 4);
    if (!steps)
      return steps.takeError();
    if (llvm::all_of(*steps, [](int64_t s) { return s > 0; }))
      return slice(im, node);
    NodeBuilder nb(im, node);
    Expected<SmallVector<int64_t>> starts = staticIntList(im, node, 1);
    if (!starts)
      return starts.takeError();
    Expected<SmallVector<int64_t>> ends = staticIntList(im, node, 2);
    if (!ends)
      return ends.takeError();
    SmallVector<int64_t> axes;
    if (im.hasInput(node, 3)) {
      Expected<SmallVector<int64_t>> a = staticIntList(im, node, 3);
      if (!a)
        return a.takeError();
      axes = *a;
    } else {
      for (size_t i = 0; i < starts->size(); ++i)
        axes.push_back(i);
    }
    if (axes.size() != steps->size() || starts->size() != steps->size() ||
        ends->size() != steps->size())
      return im.nodeError(node, "starts, ends, axes and steps differ in length");
    std::string cur = node.input(0);
    SmallVector<IntElem> dims = nb.dims(cur);
    int64_t rank = dims.size();
    for (size_t i = 0; i < axes.size(); ++i) {
      int64_t axis = axes[i] < 0 ? axes[i] + rank : axes[i];
      if (axis < 0 || axis >= rank)
        return im.nodeError(node, "axis out of range");
      int64_t step = (*steps)[i];
      if (step == 0)
        return im.nodeError(node, "step 0");
      if (!dims[axis].isStatic())
        return im.nodeError(node, "unsupported: a Slice with a negative step "
                                  "over a dynamic dim");
      int64_t n = dims[axis].value;
      HostTensor idx;
      idx.elementType = im.b.getI64Type();
      int64_t s = (*starts)[i], e = (*ends)[i];
      // ONNX's clamping: from [0, n] for positive steps, [-1, n-1] else.
      s = s < 0 ? s + n : s;
      e = e < 0 ? e + n : e;
      if (step > 0) {
        s = std::clamp<int64_t>(s, 0, n);
        e = std::clamp<int64_t>(e, 0, n);
        for (int64_t k = s; k < e; k += step)
          idx.ints.push_back({k, {}});
      } else {
        s = std::clamp<int64_t>(s, -1, n - 1);
        e = std::clamp<int64_t>((*ends)[i] < -n ? -1 : e, -1, n - 1);
        for (int64_t k = s; k > e; k += step)
          idx.ints.push_back({k, {}});
      }
      idx.shape = {static_cast<int64_t>(idx.ints.size())};
      if (idx.ints.empty())
        return im.nodeError(node, "unsupported: an empty Slice with negative "
                                  "steps");
      ASSIGN_OR_RETURN(g, nb.add("Gather", {cur, nb.constant(std::move(idx))},
                                 {intAttr("axis", axis)}));
      cur = g;
    }
    nb.setOutput(0, cur);
    return Error::success();
  };
}

} // namespace

void registerSliceConverters(ConverterTable &m) {
  m["Slice"] = sliceNegativeSteps(convertSlice);
  m["Gather"] = convertGather;
  m["Split"] = convertSplit;
}

} // namespace tessera::onnx_import
