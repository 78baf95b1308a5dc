//===- OnnxConvOps.cpp - Convolutions and pools by windows ----------------===//
//
// Conv (any kernel, stride, dilation, padding and group count, 1-D to 3-D),
// MaxPool, AveragePool and LpPool over static spatial dims. Each kernel
// offset is one strided Slice of the (padded) input; the windows are stacked
// on a new axis next to the channels, so that
//   conv: [N, C, K, O...] -> [N, O..., C*K] x W[M, C*K]^T -> [N, M, O...]
//   pool: a reduction over the stacked axis.
// This is im2col in ONNX terms: one MatMul per group, run by the same GEMM
// kernels as every other MatMul. Conv's non-overlapping patch case keeps its
// direct lowering (convertConv); the weights here need no layout of their
// own, but the stacked windows cost K times the input's memory.
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

/// The window geometry of a Conv or pool node over `spatial` input dims.
struct Windows {
  SmallVector<int64_t> in, kernel, strides, dilations, padBegin, padEnd, out;
  /// Extra end padding that ceil_mode adds past the explicit pads.
  SmallVector<int64_t> ceilExtra;
  int64_t count() const {
    int64_t n = 1;
    for (int64_t k : kernel)
      n *= k;
    return n;
  }
};

Expected<Windows> windowsOf(Importer &im, const onnx::NodeProto &node,
                            ArrayRef<IntElem> inputDims,
                            ArrayRef<int64_t> kernel) {
  Windows w;
  size_t k = kernel.size();
  if (inputDims.size() != k + 2)
    return im.nodeError(node, "input rank must be 2 + the kernel's rank");
  for (size_t i = 0; i < k; ++i) {
    if (!inputDims[2 + i].isStatic())
      return im.nodeError(node, "unsupported: dynamic spatial dims");
    w.in.push_back(inputDims[2 + i].value);
  }
  w.kernel.assign(kernel.begin(), kernel.end());
  auto ints = [&](StringRef name, int64_t fill, size_t n) {
    SmallVector<int64_t> v(n, fill);
    if (auto a = attrInts(node, name))
      v.assign(a->begin(), a->end());
    return v;
  };
  w.strides = ints("strides", 1, k);
  w.dilations = ints("dilations", 1, k);
  SmallVector<int64_t> pads = ints("pads", 0, 2 * k);
  if (w.strides.size() != k || w.dilations.size() != k || pads.size() != 2 * k)
    return im.nodeError(node, "strides, dilations or pads do not match the "
                              "kernel's rank");
  std::string autoPad = "NOTSET";
  if (const onnx::AttributeProto *a = findAttr(node, "auto_pad"))
    autoPad = a->s();
  bool ceilMode = attrInt(node, "ceil_mode", 0);
  for (size_t i = 0; i < k; ++i) {
    if (w.strides[i] <= 0 || w.dilations[i] <= 0 || w.kernel[i] <= 0)
      return im.nodeError(node, "kernel, strides and dilations must be "
                                "positive");
    int64_t span = (w.kernel[i] - 1) * w.dilations[i] + 1;
    int64_t b = pads[i], e = pads[k + i];
    if (autoPad == "SAME_UPPER" || autoPad == "SAME_LOWER") {
      int64_t outSize = (w.in[i] + w.strides[i] - 1) / w.strides[i];
      int64_t total =
          std::max<int64_t>(0, (outSize - 1) * w.strides[i] + span - w.in[i]);
      b = autoPad == "SAME_UPPER" ? total / 2 : total - total / 2;
      e = total - b;
    } else if (autoPad == "VALID") {
      b = e = 0;
    } else if (autoPad != "NOTSET") {
      return im.nodeError(node, "unsupported auto_pad '" + autoPad + "'");
    }
    if (b < 0 || e < 0)
      return im.nodeError(node, "negative pads");
    int64_t padded = w.in[i] + b + e;
    if (padded < span)
      return im.nodeError(node, "the kernel is larger than the padded input");
    int64_t num = padded - span;
    int64_t o = (ceilMode ? (num + w.strides[i] - 1) / w.strides[i]
                          : num / w.strides[i]) + 1;
    // A last window that would start in the end padding is dropped.
    if (ceilMode && (o - 1) * w.strides[i] >= w.in[i] + b)
      --o;
    int64_t extra = std::max<int64_t>(0, (o - 1) * w.strides[i] + span - padded);
    w.padBegin.push_back(b);
    w.padEnd.push_back(e);
    w.out.push_back(o);
    w.ceilExtra.push_back(extra);
  }
  return w;
}

/// Pads the spatial dims of `x` with `value` (begin pads, end pads plus
/// `withExtra` of the ceil-mode extra).
Expected<std::string> padSpatial(NodeBuilder &nb, const std::string &x,
                                 const Windows &w, const std::string &value,
                                 bool withExtra) {
  size_t k = w.kernel.size();
  SmallVector<int64_t> pads(2 * (k + 2), 0);
  bool any = false;
  for (size_t i = 0; i < k; ++i) {
    pads[2 + i] = w.padBegin[i];
    pads[k + 2 + 2 + i] = w.padEnd[i] + (withExtra ? w.ceilExtra[i] : 0);
    any |= pads[2 + i] || pads[k + 4 + i];
  }
  if (!any)
    return x;
  return nb.add("Pad", {x, nb.ints(pads), value});
}

/// The windows of a padded `xp` stacked at axis 2: [N, C, K, O...].
Expected<std::string> stackWindows(NodeBuilder &nb, const std::string &xp,
                                   const Windows &w) {
  size_t k = w.kernel.size();
  SmallVector<int64_t> axes;
  for (size_t i = 0; i < k; ++i)
    axes.push_back(2 + i);
  SmallVector<std::string> windows;
  SmallVector<int64_t> at(k, 0);
  for (int64_t n = 0; n < w.count(); ++n) {
    SmallVector<int64_t> starts, ends;
    for (size_t i = 0; i < k; ++i) {
      starts.push_back(at[i] * w.dilations[i]);
      ends.push_back(starts.back() + (w.out[i] - 1) * w.strides[i] + 1);
    }
    ASSIGN_OR_RETURN(s, nb.add("Slice", {xp, nb.ints(starts), nb.ints(ends),
                                         nb.ints(axes), nb.ints(w.strides)}));
    ASSIGN_OR_RETURN(u, nb.add("Unsqueeze", {s}, {intsAttr("axes", {2})}));
    windows.push_back(u);
    // Next kernel offset, row-major (the order of W's trailing dims).
    for (int64_t i = k - 1; i >= 0; --i) {
      if (++at[i] < w.kernel[i])
        break;
      at[i] = 0;
    }
  }
  if (windows.size() == 1)
    return windows[0];
  return nb.add("Concat", windows, {intAttr("axis", 2)});
}

/// Conv beyond non-overlapping patches.
ConverterFn generalConv(ConverterFn patchConv) {
  return [=](Importer &im, const onnx::NodeProto &node) -> Error {
    NodeBuilder nb(im, node);
    const std::string &x = node.input(0), &wName = node.input(1);
    SmallVector<IntElem> xd = nb.dims(x), wd = nb.dims(wName);
    for (const IntElem &d : wd)
      if (!d.isStatic())
        return im.nodeError(node, "the weight's shape must be static");
    if (wd.size() < 3 || xd.size() != wd.size())
      return im.nodeError(node, "input and weight ranks must match (>= 3)");
    Type t = nb.elementType(x);
    if (!isa<FloatType>(t) || nb.elementType(wName) != t)
      return im.nodeError(node, "unsupported element types (needs float "
                                "input and weight of one type)");
    // The ViT patch embedding keeps its direct lowering.
    if (wd.size() == 4) {
      llvm::Error e = patchConv(im, node);
      if (!e)
        return Error::success();
      llvm::handleAllErrors(std::move(e), [&](const llvm::ErrorInfoBase &) {});
    }
    int64_t m = wd[0].value, cg = wd[1].value;
    int64_t groups = attrInt(node, "group", 1);
    if (groups <= 0 || m % groups != 0 || !xd[1].isStatic() ||
        xd[1].value != cg * groups)
      return im.nodeError(node, "channels do not match the weight and group");
    SmallVector<int64_t> kernel;
    for (size_t i = 2; i < wd.size(); ++i)
      kernel.push_back(wd[i].value);
    if (auto ks = attrInts(node, "kernel_shape"))
      if (SmallVector<int64_t>(ks->begin(), ks->end()) != kernel)
        return im.nodeError(node, "kernel_shape does not match the weight");
    Expected<Windows> w = windowsOf(im, node, xd, kernel);
    if (!w)
      return w.takeError();
    size_t k = kernel.size();
    ASSIGN_OR_RETURN(xp, padSpatial(nb, x, *w, nb.scalar(t, 0), false));
    ASSIGN_OR_RETURN(stacked, stackWindows(nb, xp, *w));
    // [N, C, K, O...] -> [N, O..., C*K]
    SmallVector<int64_t> perm = {0};
    for (size_t i = 0; i < k; ++i)
      perm.push_back(3 + i);
    perm.append({1, 2});
    ASSIGN_OR_RETURN(moved, nb.add("Transpose", {stacked}, {intsAttr("perm", perm)}));
    SmallVector<IntElem> rows = {xd[0]};
    for (int64_t o : w->out)
      rows.push_back({o, {}});
    int64_t kk = w->count(), mg = m / groups;
    SmallVector<std::string> outs;
    for (int64_t g = 0; g < groups; ++g) {
      std::string cols = moved;
      if (groups > 1) {
        ASSIGN_OR_RETURN(s, nb.add("Slice", {moved, nb.ints({g * cg}),
                                             nb.ints({(g + 1) * cg}),
                                             nb.ints({static_cast<int64_t>(k + 1)})}));
        cols = s;
      }
      SmallVector<IntElem> flat(rows);
      flat.push_back({cg * kk, {}});
      ASSIGN_OR_RETURN(a, nb.add("Reshape", {cols, nb.ints(flat)}));
      std::string wg = wName;
      if (groups > 1) {
        ASSIGN_OR_RETURN(s, nb.add("Slice", {wName, nb.ints({g * mg}),
                                             nb.ints({(g + 1) * mg}),
                                             nb.ints({0})}));
        wg = s;
      }
      ASSIGN_OR_RETURN(w2, nb.add("Reshape", {wg, nb.ints({mg, cg * kk})}));
      ASSIGN_OR_RETURN(wt, nb.add("Transpose", {w2}, {intsAttr("perm", {1, 0})}));
      ASSIGN_OR_RETURN(y, nb.add("MatMul", {a, wt}));
      outs.push_back(y);
    }
    std::string y = outs[0];
    if (outs.size() > 1) {
      ASSIGN_OR_RETURN(c, nb.add("Concat", outs,
                                 {intAttr("axis", static_cast<int64_t>(k + 1))}));
      y = c;
    }
    if (im.hasInput(node, 2)) {
      ASSIGN_OR_RETURN(b, nb.add("Add", {y, node.input(2)}));
      y = b;
    }
    // [N, O..., M] -> [N, M, O...]
    SmallVector<int64_t> back = {0, static_cast<int64_t>(k + 1)};
    for (size_t i = 0; i < k; ++i)
      back.push_back(1 + i);
    ASSIGN_OR_RETURN(r, nb.add("Transpose", {y}, {intsAttr("perm", back)}));
    nb.setOutput(0, r);
    return Error::success();
  };
}

Error convertPool(Importer &im, const onnx::NodeProto &node) {
  StringRef op = node.op_type();
  NodeBuilder nb(im, node);
  const std::string &x = node.input(0);
  if (node.output_size() > 1 && !node.output(1).empty())
    return im.nodeError(node, "unsupported: the Indices output of MaxPool");
  Type t = nb.elementType(x);
  if (!isa<FloatType>(t))
    return im.nodeError(node, "unsupported element type for " + op +
                                  " (needs a float tensor)");
  auto ks = attrInts(node, "kernel_shape");
  if (!ks)
    return im.nodeError(node, "needs kernel_shape");
  SmallVector<int64_t> kernel(ks->begin(), ks->end());
  SmallVector<IntElem> xd = nb.dims(x);
  Expected<Windows> w = windowsOf(im, node, xd, kernel);
  if (!w)
    return w.takeError();
  size_t k = kernel.size();
  SmallVector<onnx::AttributeProto> overWindows = {intsAttr("axes", {2}),
                                                   intAttr("keepdims", 0)};
  std::string out;
  if (op == "MaxPool") {
    double lowest = -std::numeric_limits<double>::infinity();
    ASSIGN_OR_RETURN(xp, padSpatial(nb, x, *w, nb.scalar(t, lowest), true));
    ASSIGN_OR_RETURN(st, stackWindows(nb, xp, *w));
    ASSIGN_OR_RETURN(r, nb.add("ReduceMax", {st}, overWindows));
    out = r;
  } else if (op == "LpPool") {
    int64_t p = attrInt(node, "p", 2);
    ASSIGN_OR_RETURN(xp, padSpatial(nb, x, *w, nb.scalar(t, 0), true));
    ASSIGN_OR_RETURN(st, stackWindows(nb, xp, *w));
    ASSIGN_OR_RETURN(ab, nb.add("Abs", {st}));
    ASSIGN_OR_RETURN(pw, nb.add("Pow", {ab, nb.scalar(t, p)}));
    ASSIGN_OR_RETURN(sum, nb.add("ReduceSum", {pw}, overWindows));
    ASSIGN_OR_RETURN(r, nb.add("Pow", {sum, nb.scalar(t, 1.0 / p)}));
    out = r;
  } else { // AveragePool
    ASSIGN_OR_RETURN(xp, padSpatial(nb, x, *w, nb.scalar(t, 0), true));
    ASSIGN_OR_RETURN(st, stackWindows(nb, xp, *w));
    ASSIGN_OR_RETURN(sum, nb.add("ReduceSum", {st}, overWindows));
    // The divisor of each output: the window positions inside the input
    // (and inside the explicit pads with count_include_pad), never the
    // ceil-mode overhang. Computed from a ones image the input's size.
    bool includePad = attrInt(node, "count_include_pad", 0);
    HostTensor ones;
    ones.elementType = t;
    ones.shape = {1, 1};
    int64_t n = 1;
    for (size_t i = 0; i < k; ++i) {
      int64_t d = w->in[i] + (includePad ? w->padBegin[i] + w->padEnd[i] : 0);
      ones.shape.push_back(d);
      n *= d;
    }
    ones.floats.assign(n, 1.0);
    std::string image = nb.constant(std::move(ones));
    Windows cw = *w;
    if (includePad) {
      // The explicit pads are part of the ones image already.
      for (size_t i = 0; i < k; ++i) {
        cw.ceilExtra[i] = w->ceilExtra[i];
        cw.padBegin[i] = 0;
        cw.padEnd[i] = 0;
      }
    }
    ASSIGN_OR_RETURN(ip, padSpatial(nb, image, cw, nb.scalar(t, 0), true));
    ASSIGN_OR_RETURN(ist, stackWindows(nb, ip, cw));
    ASSIGN_OR_RETURN(count, nb.add("ReduceSum", {ist}, overWindows));
    ASSIGN_OR_RETURN(r, nb.add("Div", {sum, count}));
    out = r;
  }
  nb.setOutput(0, out);
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

} // namespace

void registerConvConverters(ConverterTable &m) {
  m["Conv"] = generalConv(convertConv);
  m["MaxPool"] = convertPool;
  m["AveragePool"] = convertPool;
  m["LpPool"] = convertPool;
}

} // namespace tessera::onnx_import
