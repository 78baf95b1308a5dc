//===- OnnxReductionOps.cpp - Reductions, log-softmax, arg-max ------------===//
//
// Converters for the reductions tsr has (ReduceSum, ReduceMean, ReduceMax,
// ReduceMin, ReduceProd), Softmax, and those that ONNX defines over them
// (ReduceL1, ReduceL2, ReduceSumSquare, ReduceLogSum, ReduceLogSumExp),
// LogSoftmax (and Softmax over trailing dims before opset 13), ArgMax and
// ArgMin, ReduceMax/ReduceMin of bools, and the NegativeLogLikelihoodLoss and
// SoftmaxCrossEntropyLoss losses. All are compositions built with NodeBuilder; the
// log-sum-exp forms subtract the maximum first, as a numerically careful
// implementation must.
//
//===----------------------------------------------------------------------===//

#include "frontends/onnx/NodeBuilder.h"
#include "frontends/onnx/OnnxOpSupport.h"

using namespace mlir;
using llvm::Error;
using llvm::Expected;

namespace tessera::onnx_import {
namespace {

/// The reduction attributes of `node` (keepdims, noop_with_empty_axes and
/// the axes attribute of older opsets), with keepdims overridden if asked.
SmallVector<onnx::AttributeProto>
reduceAttrs(const onnx::NodeProto &node, std::optional<int64_t> keepdims = {}) {
  SmallVector<onnx::AttributeProto> attrs;
  for (const onnx::AttributeProto &a : node.attribute())
    if (a.name() == "axes" || a.name() == "noop_with_empty_axes" ||
        (a.name() == "keepdims" && !keepdims))
      attrs.push_back(a);
  if (keepdims)
    attrs.push_back(intAttr("keepdims", *keepdims));
  return attrs;
}

/// The inputs of a reduction of `x` with the axes input of `node`, if any.
SmallVector<std::string> reduceInputs(const onnx::NodeProto &node,
                                      const std::string &x) {
  SmallVector<std::string> in = {x};
  if (node.input_size() > 1 && !node.input(1).empty())
    in.push_back(node.input(1));
  return in;
}

Error convertReduceComposite(Importer &im, const onnx::NodeProto &node) {
  StringRef op = node.op_type();
  NodeBuilder nb(im, node);
  const std::string &x = node.input(0);
  auto reduce = [&](StringRef kind, const std::string &v,
                    std::optional<int64_t> keep = {}) {
    return nb.add(kind, reduceInputs(node, v), reduceAttrs(node, keep));
  };
  std::string out;
  if (op == "ReduceL1") {
    ASSIGN_OR_RETURN(a, nb.add("Abs", {x}));
    ASSIGN_OR_RETURN(r, reduce("ReduceSum", a));
    out = r;
  } else if (op == "ReduceL2" || op == "ReduceSumSquare") {
    ASSIGN_OR_RETURN(sq, nb.add("Mul", {x, x}));
    ASSIGN_OR_RETURN(r, reduce("ReduceSum", sq));
    out = r;
    if (op == "ReduceL2") {
      if (!isa<FloatType>(nb.elementType(x)))
        return im.nodeError(node, "unsupported element type for ReduceL2 "
                                  "(needs a float tensor)");
      ASSIGN_OR_RETURN(s, nb.add("Sqrt", {r}));
      out = s;
    }
  } else if (op == "ReduceLogSum") {
    ASSIGN_OR_RETURN(r, reduce("ReduceSum", x));
    ASSIGN_OR_RETURN(l, nb.add("Log", {r}));
    out = l;
  } else { // ReduceLogSumExp = max + log(sum(exp(x - max)))
    if (!isa<FloatType>(nb.elementType(x)))
      return im.nodeError(node, "unsupported element type for "
                                "ReduceLogSumExp (needs a float tensor)");
    ASSIGN_OR_RETURN(m, reduce("ReduceMax", x, 1));
    ASSIGN_OR_RETURN(s, nb.add("Sub", {x, m}));
    ASSIGN_OR_RETURN(e, nb.add("Exp", {s}));
    ASSIGN_OR_RETURN(sum, reduce("ReduceSum", e));
    ASSIGN_OR_RETURN(l, nb.add("Log", {sum}));
    ASSIGN_OR_RETURN(mk, reduce("ReduceMax", x));
    ASSIGN_OR_RETURN(r, nb.add("Add", {l, mk}));
    out = r;
  }
  nb.setOutput(0, out);
  return Error::success();
}

/// The axes a (Log)Softmax normalizes over: `axis` alone from opset 13,
/// `axis` and every later dim before (the input seen as 2-D).
Expected<SmallVector<int64_t>> softmaxAxes(Importer &im,
                                           const onnx::NodeProto &node,
                                           int64_t rank) {
  int64_t axis = attrInt(node, "axis", im.opset >= 13 ? -1 : 1);
  if (axis < 0)
    axis += rank;
  if (axis < 0 || axis >= std::max<int64_t>(rank, 1))
    return im.nodeError(node, "axis out of range");
  SmallVector<int64_t> axes = {axis};
  if (im.opset < 13)
    for (int64_t d = axis + 1; d < rank; ++d)
      axes.push_back(d);
  return axes;
}

/// log_softmax(x) = (x - max) - log(sum(exp(x - max))); before opset 13
/// also Softmax over several trailing dims: exp(x - max) / sum(...).
Error convertSoftmaxFamily(Importer &im, const onnx::NodeProto &node,
                           const ConverterFn &softmax) {
  NodeBuilder nb(im, node);
  const std::string &x = node.input(0);
  Expected<SmallVector<int64_t>> axes = softmaxAxes(im, node, nb.rank(x));
  if (!axes)
    return axes.takeError();
  bool log = node.op_type() == "LogSoftmax";
  if (!log && axes->size() == 1)
    return softmax(im, node);
  if (!isa<FloatType>(nb.elementType(x)))
    return im.nodeError(node, "unsupported element type for " +
                                  node.op_type() + " (needs a float tensor)");
  auto attrs = {intsAttr("axes", *axes), intAttr("keepdims", 1)};
  ASSIGN_OR_RETURN(m, nb.add("ReduceMax", {x}, attrs));
  ASSIGN_OR_RETURN(s, nb.add("Sub", {x, m}));
  ASSIGN_OR_RETURN(e, nb.add("Exp", {s}));
  ASSIGN_OR_RETURN(sum, nb.add("ReduceSum", {e}, attrs));
  std::string out;
  if (log) {
    ASSIGN_OR_RETURN(l, nb.add("Log", {sum}));
    ASSIGN_OR_RETURN(r, nb.add("Sub", {s, l}));
    out = r;
  } else {
    ASSIGN_OR_RETURN(r, nb.add("Div", {e, sum}));
    out = r;
  }
  nb.setOutput(0, out);
  return Error::success();
}

/// ArgMax/ArgMin: the smallest (or, with select_last_index, largest) index
/// along `axis` whose element equals the reduction's result.
Error convertArgExtreme(Importer &im, const onnx::NodeProto &node) {
  NodeBuilder nb(im, node);
  const std::string &x = node.input(0);
  int64_t rank = nb.rank(x);
  int64_t axis = attrInt(node, "axis", 0);
  if (axis < 0)
    axis += rank;
  if (axis < 0 || axis >= rank)
    return im.nodeError(node, "axis out of range");
  IntElem dim = nb.dims(x)[axis];
  if (!dim.isStatic())
    return im.nodeError(node, "unsupported: " + node.op_type() +
                                  " over a dynamic dim");
  if (nb.elementType(x).isInteger(1))
    return im.nodeError(node, "unsupported element type i1 for " +
                                  node.op_type());
  bool last = attrInt(node, "select_last_index", 0);
  bool isMax = node.op_type() == "ArgMax";
  int64_t keep = attrInt(node, "keepdims", 1);
  ASSIGN_OR_RETURN(m, nb.add(isMax ? "ReduceMax" : "ReduceMin", {x},
                             {intsAttr("axes", {axis}), intAttr("keepdims", 1)}));
  ASSIGN_OR_RETURN(hit, nb.add("Equal", {x, m}));
  HostTensor iota;
  iota.elementType = im.b.getI64Type();
  iota.shape.assign(rank, 1);
  iota.shape[axis] = dim.value;
  for (int64_t i = 0; i < dim.value; ++i)
    iota.ints.push_back({i, {}});
  std::string idx = nb.constant(std::move(iota));
  std::string none = nb.scalar(im.b.getI64Type(), last ? -1 : dim.value);
  ASSIGN_OR_RETURN(cand, nb.add("Where", {hit, idx, none}));
  ASSIGN_OR_RETURN(r, nb.add(last ? "ReduceMax" : "ReduceMin", {cand},
                             {intsAttr("axes", {axis}), intAttr("keepdims", keep)}));
  nb.setOutput(0, r);
  return Error::success();
}

/// ReduceMax/ReduceMin of bools (opset 20) as int32 reductions.
ConverterFn boolExtreme(ConverterFn reduce) {
  return [=](Importer &im, const onnx::NodeProto &node) -> Error {
    NodeBuilder nb(im, node);
    if (!nb.elementType(node.input(0)).isInteger(1))
      return reduce(im, node);
    ASSIGN_OR_RETURN(i, nb.add("Cast", {node.input(0)},
                               {intAttr("to", onnx::TensorProto::INT32)}));
    ASSIGN_OR_RETURN(r, nb.add(node.op_type(), reduceInputs(node, i),
                               reduceAttrs(node)));
    ASSIGN_OR_RETURN(b, nb.add("Cast", {r}, {intAttr("to", onnx::TensorProto::BOOL)}));
    nb.setOutput(0, b);
    return Error::success();
  };
}

/// NegativeLogLikelihoodLoss(input [N, C, d...], target [N, d...], weight):
///   loss[n, d] = -input[n, target[n, d], d] * weight[target[n, d]]
/// (0 where target == ignore_index), then none / sum / weighted mean.
Error convertNllLoss(Importer &im, const onnx::NodeProto &node) {
  NodeBuilder nb(im, node);
  const std::string &input = node.input(0), &target = node.input(1);
  Type t = nb.elementType(input);
  if (!isa<FloatType>(t))
    return im.nodeError(node, "unsupported element type for " +
                                  node.op_type() + " (needs a float tensor)");
  std::string reduction = "mean";
  if (const onnx::AttributeProto *a = findAttr(node, "reduction"))
    reduction = a->s();
  if (reduction != "none" && reduction != "sum" && reduction != "mean")
    return im.nodeError(node, "unsupported reduction '" + reduction + "'");
  Type it = nb.elementType(target);
  std::string safe = target, ignored;
  if (findAttr(node, "ignore_index")) {
    int64_t ii = attrInt(node, "ignore_index", 0);
    ASSIGN_OR_RETURN(ig, nb.add("Equal", {target, nb.scalar(it, ii)}));
    ASSIGN_OR_RETURN(s, nb.add("Where", {ig, nb.scalar(it, 0), target}));
    ignored = ig;
    safe = s;
  }
  ASSIGN_OR_RETURN(idx, nb.add("Unsqueeze", {safe}, {intsAttr("axes", {1})}));
  ASSIGN_OR_RETURN(g, nb.add("GatherElements", {input, idx}, {intAttr("axis", 1)}));
  ASSIGN_OR_RETURN(picked, nb.add("Squeeze", {g}, {intsAttr("axes", {1})}));
  // The weight of each element: weight[target], 1 without weights; 0 where
  // ignored.
  std::string w;
  if (im.hasInput(node, 2)) {
    ASSIGN_OR_RETURN(gw, nb.add("Gather", {node.input(2), safe}, {intAttr("axis", 0)}));
    w = gw;
  }
  if (!ignored.empty()) {
    ASSIGN_OR_RETURN(keep, nb.add("Where", {ignored, nb.scalar(t, 0),
                                            w.empty() ? nb.scalar(t, 1) : w}));
    w = keep;
  }
  std::string loss = picked;
  if (!w.empty()) {
    ASSIGN_OR_RETURN(m, nb.add("Mul", {picked, w}));
    loss = m;
  }
  ASSIGN_OR_RETURN(neg, nb.add("Neg", {loss}));
  std::string out = neg;
  auto all = {intAttr("keepdims", 0)};
  if (reduction == "sum") {
    ASSIGN_OR_RETURN(r, nb.add("ReduceSum", {neg}, all));
    out = r;
  } else if (reduction == "mean") {
    if (w.empty()) {
      ASSIGN_OR_RETURN(r, nb.add("ReduceMean", {neg}, all));
      out = r;
    } else {
      ASSIGN_OR_RETURN(num, nb.add("ReduceSum", {neg}, all));
      // w may be a scalar (ignore_index without weights): as picked's shape.
      ASSIGN_OR_RETURN(shape, nb.add("Shape", {picked}));
      ASSIGN_OR_RETURN(wf, nb.add("Expand", {w, shape}));
      ASSIGN_OR_RETURN(den, nb.add("ReduceSum", {wf}, all));
      ASSIGN_OR_RETURN(r, nb.add("Div", {num, den}));
      out = r;
    }
  }
  nb.setOutput(0, out);
  return Error::success();
}

/// SoftmaxCrossEntropyLoss: NegativeLogLikelihoodLoss of the log-softmax
/// over the class axis (1); the log-probabilities are the optional output 1.
Error convertSceLoss(Importer &im, const onnx::NodeProto &node) {
  NodeBuilder nb(im, node);
  const std::string &scores = node.input(0);
  if (!isa<FloatType>(nb.elementType(scores)))
    return im.nodeError(node, "unsupported element type for " +
                                  node.op_type() + " (needs a float tensor)");
  auto overClasses = {intsAttr("axes", {1}), intAttr("keepdims", 1)};
  ASSIGN_OR_RETURN(m, nb.add("ReduceMax", {scores}, overClasses));
  ASSIGN_OR_RETURN(s, nb.add("Sub", {scores, m}));
  ASSIGN_OR_RETURN(e, nb.add("Exp", {s}));
  ASSIGN_OR_RETURN(sum, nb.add("ReduceSum", {e}, overClasses));
  ASSIGN_OR_RETURN(l, nb.add("Log", {sum}));
  ASSIGN_OR_RETURN(logp, nb.add("Sub", {s, l}));
  SmallVector<onnx::AttributeProto> attrs;
  for (const onnx::AttributeProto &a : node.attribute())
    if (a.name() == "reduction" || a.name() == "ignore_index")
      attrs.push_back(a);
  SmallVector<std::string> in = {logp, node.input(1)};
  if (im.hasInput(node, 2))
    in.push_back(node.input(2));
  ASSIGN_OR_RETURN(loss, nb.add("NegativeLogLikelihoodLoss", in, attrs));
  nb.setOutput(0, loss);
  nb.setOutput(1, logp);
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

} // namespace

void registerReductionConverters(ConverterTable &m) {
  for (const char *op : {"ReduceSum", "ReduceMean", "ReduceMax",
                         "ReduceMin", "ReduceProd"})
    m[op] = convertReduce;
  for (const char *op : {"ReduceL1", "ReduceL2", "ReduceSumSquare",
                         "ReduceLogSum", "ReduceLogSumExp"})
    m[op] = convertReduceComposite;
  ConverterFn softmax = convertSoftmax;
  m["Softmax"] = [softmax](Importer &im, const onnx::NodeProto &n) {
    return convertSoftmaxFamily(im, n, softmax);
  };
  m["LogSoftmax"] = [softmax](Importer &im, const onnx::NodeProto &n) {
    return convertSoftmaxFamily(im, n, softmax);
  };
  m["ArgMax"] = convertArgExtreme;
  m["ArgMin"] = convertArgExtreme;
  m["ReduceMax"] = boolExtreme(convertReduce);
  m["ReduceMin"] = boolExtreme(convertReduce);
  m["NegativeLogLikelihoodLoss"] = convertNllLoss;
  m["SoftmaxCrossEntropyLoss"] = convertSceLoss;
}

} // namespace tessera::onnx_import
