//===- OnnxNormalizationOps.cpp - Batch/instance/group/Lp norms, pools ----===//
//
// Converters for the normalizations: LayerNormalization (one tsr.layer_norm;
// its Mean and InvStdDev outputs composed) and RMSNormalization (the ops the
// decomposed form imports to), and those convolutional and older models use
// (BatchNormalization in inference and training mode, InstanceNormalization,
// GroupNormalization, LpNormalization, MeanVarianceNormalization) and the
// global pools, as compositions of reductions and elementwise ops built with
// NodeBuilder. Per-channel parameters ([C]) are unsqueezed to [C, 1, ...] so
// they broadcast over the spatial dims of an [N, C, ...] input.
//
//===----------------------------------------------------------------------===//

#include "frontends/onnx/NodeBuilder.h"
#include "frontends/onnx/OnnxOpSupport.h"

using namespace mlir;
using llvm::Error;
using llvm::Expected;

namespace tessera::onnx_import {
namespace {

SmallVector<int64_t> range(int64_t from, int64_t to) {
  SmallVector<int64_t> r;
  for (int64_t d = from; d < to; ++d)
    r.push_back(d);
  return r;
}

/// `p` ([C]) as [C, 1, ..., 1] for an input of rank `rank` (channels at 1).
Expected<std::string> perChannel(NodeBuilder &nb, const std::string &p,
                                 int64_t rank) {
  if (rank <= 2)
    return p;
  return nb.add("Unsqueeze", {p}, {intsAttr("axes", range(1, rank - 1))});
}

/// (x - mean) / sqrt(var + eps) over `axes`, with the mean and the
/// (population) variance of x over those axes.
Expected<std::string> standardize(NodeBuilder &nb, const std::string &x,
                                  ArrayRef<int64_t> axes, float eps) {
  auto attrs = {intsAttr("axes", axes), intAttr("keepdims", 1)};
  ASSIGN_OR_RETURN(mean, nb.add("ReduceMean", {x}, attrs));
  ASSIGN_OR_RETURN(d, nb.add("Sub", {x, mean}));
  ASSIGN_OR_RETURN(d2, nb.add("Mul", {d, d}));
  ASSIGN_OR_RETURN(var, nb.add("ReduceMean", {d2}, attrs));
  ASSIGN_OR_RETURN(ve, nb.add("Add", {var, nb.scalar(nb.elementType(x), eps)}));
  ASSIGN_OR_RETURN(sd, nb.add("Sqrt", {ve}));
  return nb.add("Div", {d, sd});
}

Error requireFloatInput(Importer &im, const onnx::NodeProto &node,
                        NodeBuilder &nb) {
  if (isa<FloatType>(nb.elementType(node.input(0))))
    return Error::success();
  return im.nodeError(node, "unsupported element type for " + node.op_type() +
                                " (needs a float tensor)");
}

Error convertBatchNorm(Importer &im, const onnx::NodeProto &node) {
  NodeBuilder nb(im, node);
  if (Error e = requireFloatInput(im, node, nb))
    return e;
  const std::string &x = node.input(0);
  int64_t rank = nb.rank(x);
  if (rank < 2)
    return im.nodeError(node, "input must have rank >= 2");
  Type t = nb.elementType(x);
  float eps = attrFloat(node, "epsilon", 1e-5f);
  bool training = attrInt(node, "training_mode", 0);
  ASSIGN_OR_RETURN(scale, perChannel(nb, node.input(1), rank));
  ASSIGN_OR_RETURN(bias, perChannel(nb, node.input(2), rank));
  std::string mean = node.input(3), var = node.input(4);
  if (training) {
    // Batch statistics over every dim but the channels; the running
    // statistics move towards them by (1 - momentum).
    SmallVector<int64_t> axes = {0};
    llvm::append_range(axes, range(2, rank));
    auto attrs = {intsAttr("axes", axes), intAttr("keepdims", 0)};
    ASSIGN_OR_RETURN(bm, nb.add("ReduceMean", {x}, attrs));
    ASSIGN_OR_RETURN(bmc, perChannel(nb, bm, rank));
    ASSIGN_OR_RETURN(d, nb.add("Sub", {x, bmc}));
    ASSIGN_OR_RETURN(d2, nb.add("Mul", {d, d}));
    ASSIGN_OR_RETURN(bv, nb.add("ReduceMean", {d2}, attrs));
    float momentum = attrFloat(node, "momentum", 0.9f);
    auto blend = [&](const std::string &running,
                     const std::string &batch) -> Expected<std::string> {
      ASSIGN_OR_RETURN(a, nb.add("Mul", {running, nb.scalar(t, momentum)}));
      ASSIGN_OR_RETURN(b, nb.add("Mul", {batch, nb.scalar(t, 1 - momentum)}));
      return nb.add("Add", {a, b});
    };
    if (node.output_size() > 1 && !node.output(1).empty()) {
      ASSIGN_OR_RETURN(rm, blend(mean, bm));
      nb.setOutput(1, rm);
    }
    if (node.output_size() > 2 && !node.output(2).empty()) {
      ASSIGN_OR_RETURN(rv, blend(var, bv));
      nb.setOutput(2, rv);
    }
    mean = bm;
    var = bv;
  } else if (node.output_size() > 1) {
    for (int i = 1; i < node.output_size(); ++i)
      if (!node.output(i).empty())
        return im.nodeError(node, "unsupported: running statistics outputs "
                                  "outside training mode");
  }
  ASSIGN_OR_RETURN(mc, perChannel(nb, mean, rank));
  ASSIGN_OR_RETURN(vc, perChannel(nb, var, rank));
  ASSIGN_OR_RETURN(d, nb.add("Sub", {x, mc}));
  ASSIGN_OR_RETURN(ve, nb.add("Add", {vc, nb.scalar(nb.elementType(vc), eps)}));
  ASSIGN_OR_RETURN(sd, nb.add("Sqrt", {ve}));
  ASSIGN_OR_RETURN(n, nb.add("Div", {d, sd}));
  ASSIGN_OR_RETURN(s, nb.add("Mul", {n, scale}));
  ASSIGN_OR_RETURN(y, nb.add("Add", {s, bias}));
  nb.setOutput(0, y);
  return Error::success();
}

Error convertInstanceNorm(Importer &im, const onnx::NodeProto &node) {
  NodeBuilder nb(im, node);
  if (Error e = requireFloatInput(im, node, nb))
    return e;
  const std::string &x = node.input(0);
  int64_t rank = nb.rank(x);
  if (rank < 3)
    return im.nodeError(node, "input must have rank >= 3");
  ASSIGN_OR_RETURN(n, standardize(nb, x, range(2, rank),
                                  attrFloat(node, "epsilon", 1e-5f)));
  ASSIGN_OR_RETURN(scale, perChannel(nb, node.input(1), rank));
  ASSIGN_OR_RETURN(bias, perChannel(nb, node.input(2), rank));
  ASSIGN_OR_RETURN(s, nb.add("Mul", {n, scale}));
  ASSIGN_OR_RETURN(y, nb.add("Add", {s, bias}));
  nb.setOutput(0, y);
  return Error::success();
}

/// GroupNormalization: [N, C, ...] seen as [N, G, C/G * ...], standardized
/// over the last dim; scale and bias per channel (opset 21) or per group.
Error convertGroupNorm(Importer &im, const onnx::NodeProto &node) {
  NodeBuilder nb(im, node);
  if (Error e = requireFloatInput(im, node, nb))
    return e;
  std::string x = node.input(0);
  SmallVector<IntElem> dims = nb.dims(x);
  int64_t rank = dims.size();
  int64_t groups = attrInt(node, "num_groups", 0);
  if (rank < 3 || !dims[1].isStatic() || groups <= 0 ||
      dims[1].value % groups != 0)
    return im.nodeError(node, "needs [N, C, ...] with a static C divisible "
                              "by num_groups");
  int64_t c = dims[1].value;
  Type t = nb.elementType(x);
  if (attrInt(node, "stash_type", 1) == 1 && !t.isF32()) {
    ASSIGN_OR_RETURN(xc, nb.add("Cast", {x}, {intAttr("to", onnx::TensorProto::FLOAT)}));
    x = xc;
  }
  ASSIGN_OR_RETURN(g, nb.add("Reshape", {x, nb.ints({dims[0], IntElem{groups, {}},
                                                     IntElem{-1, {}}})}));
  ASSIGN_OR_RETURN(n, standardize(nb, g, {2}, attrFloat(node, "epsilon", 1e-5f)));
  ASSIGN_OR_RETURN(back, nb.add("Reshape", {n, nb.ints(dims)}));
  std::string y = back;
  if (nb.elementType(y) != t) {
    ASSIGN_OR_RETURN(yc, nb.add("Cast", {y}, {intAttr("to", *onnxDataType(t))}));
    y = yc;
  }
  SmallVector<IntElem> pdims = nb.dims(node.input(1));
  bool perGroup = pdims.size() == 1 && pdims[0].isStatic() &&
                  pdims[0].value == groups && groups != c;
  std::string scale = node.input(1), bias = node.input(2);
  if (perGroup) {
    // Each group's parameter repeated over its C/G channels.
    for (std::string *p : {&scale, &bias}) {
      ASSIGN_OR_RETURN(u, nb.add("Unsqueeze", {*p}, {intsAttr("axes", {1})}));
      ASSIGN_OR_RETURN(e, nb.add("Expand", {u, nb.ints({groups, c / groups})}));
      ASSIGN_OR_RETURN(f, nb.add("Reshape", {e, nb.ints({c})}));
      *p = f;
    }
  }
  ASSIGN_OR_RETURN(sc, perChannel(nb, scale, rank));
  ASSIGN_OR_RETURN(bc, perChannel(nb, bias, rank));
  ASSIGN_OR_RETURN(s, nb.add("Mul", {y, sc}));
  ASSIGN_OR_RETURN(r, nb.add("Add", {s, bc}));
  nb.setOutput(0, r);
  return Error::success();
}

Error convertLpNorm(Importer &im, const onnx::NodeProto &node) {
  NodeBuilder nb(im, node);
  if (Error e = requireFloatInput(im, node, nb))
    return e;
  const std::string &x = node.input(0);
  int64_t p = attrInt(node, "p", 2);
  if (p != 1 && p != 2)
    return im.nodeError(node, "unsupported p " + llvm::Twine(p) +
                                  " (1 or 2)");
  int64_t axis = attrInt(node, "axis", -1);
  ASSIGN_OR_RETURN(norm, nb.add(p == 1 ? "ReduceL1" : "ReduceL2", {x},
                                {intsAttr("axes", {axis}), intAttr("keepdims", 1)}));
  ASSIGN_OR_RETURN(y, nb.add("Div", {x, norm}));
  nb.setOutput(0, y);
  return Error::success();
}

Error convertMeanVarianceNorm(Importer &im, const onnx::NodeProto &node) {
  NodeBuilder nb(im, node);
  if (Error e = requireFloatInput(im, node, nb))
    return e;
  const std::string &x = node.input(0);
  SmallVector<int64_t> axes = {0, 2, 3};
  if (auto a = attrInts(node, "axes"))
    axes.assign(a->begin(), a->end());
  auto attrs = {intsAttr("axes", axes), intAttr("keepdims", 1)};
  ASSIGN_OR_RETURN(mean, nb.add("ReduceMean", {x}, attrs));
  ASSIGN_OR_RETURN(d, nb.add("Sub", {x, mean}));
  ASSIGN_OR_RETURN(d2, nb.add("Mul", {d, d}));
  ASSIGN_OR_RETURN(var, nb.add("ReduceMean", {d2}, attrs));
  ASSIGN_OR_RETURN(sd, nb.add("Sqrt", {var}));
  ASSIGN_OR_RETURN(sde, nb.add("Add", {sd, nb.scalar(nb.elementType(x), 1e-9)}));
  ASSIGN_OR_RETURN(y, nb.add("Div", {d, sde}));
  nb.setOutput(0, y);
  return Error::success();
}

Error convertGlobalPool(Importer &im, const onnx::NodeProto &node) {
  NodeBuilder nb(im, node);
  const std::string &x = node.input(0);
  int64_t rank = nb.rank(x);
  if (rank < 3)
    return im.nodeError(node, "input must have rank >= 3");
  bool isMax = node.op_type() == "GlobalMaxPool";
  ASSIGN_OR_RETURN(y, nb.add(isMax ? "ReduceMax" : "ReduceMean", {x},
                             {intsAttr("axes", range(2, rank)),
                              intAttr("keepdims", 1)}));
  nb.setOutput(0, y);
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

/// LayerNormalization with its Mean and InvStdDev outputs: Y from the fused
/// converter, the statistics (in float32 for stash_type 1) composed.
ConverterFn layerNormStatistics(ConverterFn layerNorm) {
  return [=](Importer &im, const onnx::NodeProto &node) -> Error {
    bool stats = false;
    for (int i = 1; i < node.output_size(); ++i)
      stats |= !node.output(i).empty();
    if (!stats)
      return layerNorm(im, node);
    onnx::NodeProto yNode = node;
    while (yNode.output_size() > 1)
      yNode.mutable_output()->RemoveLast();
    if (Error e = layerNorm(im, yNode))
      return e;
    NodeBuilder nb(im, node);
    std::string x = node.input(0);
    int64_t rank = nb.rank(x);
    int64_t axis = attrInt(node, "axis", -1);
    if (axis < 0)
      axis += rank;
    SmallVector<int64_t> axes;
    for (int64_t d = axis; d < rank; ++d)
      axes.push_back(d);
    if (attrInt(node, "stash_type", 1) == 1 && !nb.elementType(x).isF32()) {
      ASSIGN_OR_RETURN(c, nb.add("Cast", {x}, {intAttr("to", onnx::TensorProto::FLOAT)}));
      x = c;
    }
    Type t = nb.elementType(x);
    auto attrs = {intsAttr("axes", axes), intAttr("keepdims", 1)};
    ASSIGN_OR_RETURN(mean, nb.add("ReduceMean", {x}, attrs));
    ASSIGN_OR_RETURN(d, nb.add("Sub", {x, mean}));
    ASSIGN_OR_RETURN(d2, nb.add("Mul", {d, d}));
    ASSIGN_OR_RETURN(var, nb.add("ReduceMean", {d2}, attrs));
    ASSIGN_OR_RETURN(ve, nb.add("Add", {var, nb.scalar(t, attrFloat(node, "epsilon", 1e-5f))}));
    ASSIGN_OR_RETURN(sd, nb.add("Sqrt", {ve}));
    ASSIGN_OR_RETURN(inv, nb.add("Reciprocal", {sd}));
    nb.setOutput(1, mean);
    nb.setOutput(2, inv);
    return Error::success();
  };
}

} // namespace

void registerNormalizationConverters(ConverterTable &m) {
  m["LayerNormalization"] = layerNormStatistics(convertLayerNorm);
  m["RMSNormalization"] = convertRMSNorm;
  m["BatchNormalization"] = convertBatchNorm;
  m["InstanceNormalization"] = convertInstanceNorm;
  m["GroupNormalization"] = convertGroupNorm;
  m["LpNormalization"] = convertLpNorm;
  m["MeanVarianceNormalization"] = convertMeanVarianceNorm;
  m["GlobalAveragePool"] = convertGlobalPool;
  m["GlobalMaxPool"] = convertGlobalPool;
}

} // namespace tessera::onnx_import
