//===- OnnxResizeOps.cpp - Resize as one resampling matrix per axis -------===//
//
// Resize (and the older Upsample) over static shapes. Every mode ONNX has --
// nearest (four rounding rules), linear and cubic, with or without
// antialiasing, under every coordinate transformation -- is separable: along
// each resized axis, output element o is a weighted sum of input elements.
// The weights are computed here, at compile time, as a dense [out, in]
// matrix per axis; the axis is then resampled by one MatMul (nearest on
// integer data: a Gather of the chosen indices). tf_crop_and_resize points
// outside the input take extrapolation_value through a mask.
//
//===----------------------------------------------------------------------===//

#include "frontends/onnx/NodeBuilder.h"

#include <cmath>

using namespace mlir;
using llvm::Error;
using llvm::Expected;

namespace tessera::onnx_import {
namespace {

struct AxisPlan {
  int64_t in = 0, out = 0;
  double scale = 1;
  double roiStart = 0, roiEnd = 1;
};

struct ResizeAttrs {
  std::string mode = "nearest", coord = "half_pixel", nearest = "round_prefer_floor";
  double cubicA = -0.75;
  bool excludeOutside = false, antialias = false;
};

/// The input coordinate of output index `o` along one axis. As ONNX
/// defines it, the "output length" in these formulas is scale * input length,
/// which differs from the integer output size when scales are given.
double sourceCoordinate(const ResizeAttrs &a, const AxisPlan &p, int64_t o) {
  double s = p.scale, x = o, outLen = s * p.in;
  if (a.coord == "half_pixel")
    return (x + 0.5) / s - 0.5;
  if (a.coord == "half_pixel_symmetric") {
    double adjustment = p.out / outLen;
    double center = p.in / 2.0;
    double offset = center * (1 - adjustment);
    return offset + (x + 0.5) / s - 0.5;
  }
  if (a.coord == "pytorch_half_pixel")
    return outLen == 1 ? -0.5 : (x + 0.5) / s - 0.5;
  if (a.coord == "align_corners")
    return outLen == 1 ? 0 : x * (p.in - 1) / (outLen - 1);
  if (a.coord == "asymmetric")
    return x / s;
  // tf_crop_and_resize
  double span = (p.roiEnd - p.roiStart) * (p.in - 1);
  double start = p.roiStart * (p.in - 1);
  return outLen == 1 ? start + span / 2 : start + x * span / (outLen - 1);
}

int64_t nearestIndex(const ResizeAttrs &a, double x) {
  double f = std::floor(x), frac = x - f;
  if (a.nearest == "floor")
    return static_cast<int64_t>(f);
  if (a.nearest == "ceil")
    return static_cast<int64_t>(std::ceil(x));
  if (frac == 0.5)
    return static_cast<int64_t>(a.nearest == "round_prefer_ceil" ? f + 1 : f);
  return static_cast<int64_t>(std::round(x));
}

double cubicKernel(double t, double A) {
  t = std::fabs(t);
  if (t <= 1)
    return ((A + 2) * t - (A + 3)) * t * t + 1;
  if (t < 2)
    return ((A * t - 5 * A) * t + 8 * A) * t - 4 * A;
  return 0;
}

/// The [out, in] resampling weights of one axis, row-major.
std::vector<double> axisWeights(const ResizeAttrs &a, const AxisPlan &p,
                                std::vector<bool> &inside) {
  std::vector<double> w(p.out * p.in, 0.0);
  inside.assign(p.out, true);
  auto clampIdx = [&](int64_t i) {
    return std::clamp<int64_t>(i, 0, p.in - 1);
  };
  for (int64_t o = 0; o < p.out; ++o) {
    double x = sourceCoordinate(a, p, o);
    double *row = &w[o * p.in];
    if (a.coord == "tf_crop_and_resize" && (x < 0 || x > p.in - 1))
      inside[o] = false;
    if (a.mode == "nearest") {
      row[clampIdx(nearestIndex(a, x))] = 1;
      continue;
    }
    // Taps at base + i around x, where base < x <= base + 1; the kernel
    // is evaluated at scale * (i - (x - base)) when antialiasing a
    // downsampling, at i - (x - base) otherwise. Taps past the ends take the
    // edge element, or drop out with exclude_outside.
    bool linear = a.mode == "linear";
    double stretch = a.antialias ? std::min(p.scale, 1.0) : 1.0;
    double base = std::ceil(x) - 1, ratio = x - base;
    int64_t first, count;
    if (linear) {
      first = a.antialias ? static_cast<int64_t>(std::floor(-1 / stretch)) + 1 : 0;
      count = 2 - 2 * first;
    } else {
      first = a.antialias ? static_cast<int64_t>(std::floor(-2 / stretch)) + 1 : -1;
      count = 2 - 2 * first;
    }
    std::vector<double> k(count);
    double total = 0;
    for (int64_t i = 0; i < count; ++i) {
      double d = stretch * ((first + i) - ratio);
      k[i] = linear ? std::max(0.0, 1 - std::fabs(d)) : cubicKernel(d, a.cubicA);
      total += k[i];
    }
    if (a.antialias && total != 0)
      for (double &v : k)
        v /= total;
    if (a.excludeOutside) {
      double kept = 0;
      for (int64_t i = 0; i < count; ++i) {
        int64_t j = static_cast<int64_t>(base) + first + i;
        if (j < 0 || j >= p.in)
          k[i] = 0;
        kept += k[i];
      }
      if (kept != 0)
        for (double &v : k)
          v /= kept;
    }
    for (int64_t i = 0; i < count; ++i)
      row[clampIdx(static_cast<int64_t>(base) + first + i)] += k[i];
  }
  return w;
}

Error convertResize(Importer &im, const onnx::NodeProto &node) {
  NodeBuilder nb(im, node);
  const std::string &x = node.input(0);
  SmallVector<IntElem> dims = nb.dims(x);
  int64_t rank = dims.size();
  for (const IntElem &d : dims)
    if (!d.isStatic())
      return im.nodeError(node, "unsupported: Resize of dynamic dims");
  ResizeAttrs a;
  auto str = [&](StringRef name, std::string &into) {
    if (const onnx::AttributeProto *at = findAttr(node, name))
      into = at->s();
  };
  str("mode", a.mode);
  str("coordinate_transformation_mode", a.coord);
  str("nearest_mode", a.nearest);
  a.cubicA = attrFloat(node, "cubic_coeff_a", -0.75f);
  a.excludeOutside = attrInt(node, "exclude_outside", 0);
  a.antialias = attrInt(node, "antialias", 0);
  if (a.mode != "nearest" && a.mode != "linear" && a.mode != "cubic")
    return im.nodeError(node, "unsupported mode '" + a.mode + "'");
  bool upsample = node.op_type() == "Upsample";
  if (upsample && a.mode == "nearest")
    a.coord = "asymmetric", a.nearest = "floor";
  else if (upsample)
    a.coord = "asymmetric";
  static const char *coords[] = {"half_pixel", "half_pixel_symmetric",
                                 "pytorch_half_pixel", "align_corners",
                                 "asymmetric", "tf_crop_and_resize"};
  if (!llvm::is_contained(coords, a.coord))
    return im.nodeError(node, "unsupported coordinate_transformation_mode '" +
                                  a.coord + "'");
  SmallVector<int64_t> axes;
  if (auto at = attrInts(node, "axes"))
    for (int64_t v : *at)
      axes.push_back(v < 0 ? v + rank : v);
  else
    for (int64_t d = 0; d < rank; ++d)
      axes.push_back(d);
  // Inputs: Upsample(X, scales); Resize-10(X, scales);
  // Resize-11+(X, roi, scales, sizes).
  int scalesInput = upsample || im.opset < 11 ? 1 : 2;
  int sizesInput = upsample || im.opset < 11 ? -1 : 3;
  int roiInput = upsample || im.opset < 11 ? -1 : 1;
  auto hostList = [&](int i, SmallVector<double> &out) -> Error {
    out.clear();
    if (i < 0 || !im.hasInput(node, i))
      return Error::success();
    Expected<const HostTensor *> h = im.hostOperand(node, i);
    if (!h)
      return h.takeError();
    if ((*h)->isFloat())
      out.assign((*h)->floats.begin(), (*h)->floats.end());
    else
      for (const IntElem &e : (*h)->ints) {
        if (!e.isStatic())
          return im.nodeError(node, "sizes must be constants");
        out.push_back(e.value);
      }
    return Error::success();
  };
  SmallVector<double> scales, sizes, roi;
  if (Error e = hostList(scalesInput, scales))
    return e;
  if (Error e = hostList(sizesInput, sizes))
    return e;
  if (Error e = hostList(roiInput, roi))
    return e;
  if (upsample && scales.empty())
    if (auto at = findAttr(node, "scales"))
      scales.assign(at->floats().begin(), at->floats().end());
  size_t n = axes.size();
  if ((scales.empty() == sizes.empty()) ||
      (!scales.empty() && scales.size() != n) || (!sizes.empty() && sizes.size() != n))
    return im.nodeError(node, "needs one of scales and sizes, with one entry "
                              "per resized axis");
  SmallVector<AxisPlan> plans(rank);
  for (int64_t d = 0; d < rank; ++d) {
    plans[d].in = plans[d].out = dims[d].value;
  }
  std::string policy = "stretch";
  str("keep_aspect_ratio_policy", policy);
  double common = 0;
  if (!sizes.empty() && policy != "stretch") {
    common = policy == "not_larger" ? 1e300 : 0;
    for (size_t i = 0; i < n; ++i) {
      double s = sizes[i] / plans[axes[i]].in;
      common = policy == "not_larger" ? std::min(common, s) : std::max(common, s);
    }
  }
  for (size_t i = 0; i < n; ++i) {
    AxisPlan &p = plans[axes[i]];
    if (!sizes.empty()) {
      if (policy == "stretch") {
        p.out = static_cast<int64_t>(sizes[i]);
        p.scale = static_cast<double>(p.out) / p.in;
      } else {
        p.scale = common;
        p.out = static_cast<int64_t>(std::floor(common * p.in + 0.5));
      }
    } else {
      p.scale = scales[i];
      p.out = static_cast<int64_t>(std::floor(p.in * scales[i]));
    }
    if (p.scale <= 0 || p.out <= 0)
      return im.nodeError(node, "scales and sizes must be positive");
    if (roi.size() == 2 * n) {
      p.roiStart = roi[i];
      p.roiEnd = roi[n + i];
    } else if (roi.size() == 2 * static_cast<size_t>(rank)) {
      p.roiStart = roi[axes[i]];
      p.roiEnd = roi[rank + axes[i]];
    }
  }
  Type t = nb.elementType(x);
  bool isFloat = isa<FloatType>(t);
  if (!isFloat && a.mode != "nearest")
    return im.nodeError(node, "unsupported: " + a.mode +
                                  " Resize of integer data");
  std::string cur = x, inside;
  for (size_t i = 0; i < n; ++i) {
    int64_t axis = axes[i];
    const AxisPlan &p = plans[axis];
    if (p.out == p.in && p.scale == 1 && a.coord != "tf_crop_and_resize")
      continue;
    std::vector<bool> in;
    std::vector<double> w = axisWeights(a, p, in);
    if (!isFloat) {
      // Nearest on integers: gather the chosen index of each row.
      HostTensor idx;
      idx.elementType = im.b.getI64Type();
      idx.shape = {p.out};
      for (int64_t o = 0; o < p.out; ++o)
        for (int64_t j = 0; j < p.in; ++j)
          if (w[o * p.in + j] == 1)
            idx.ints.push_back({j, {}});
      ASSIGN_OR_RETURN(g, nb.add("Gather", {cur, nb.constant(std::move(idx))},
                                 {intAttr("axis", axis)}));
      cur = g;
    } else {
      // [.., in, ..] -> [.., in] x [in, out] -> [.., out] -> [.., out, ..]
      SmallVector<int64_t> perm;
      for (int64_t d = 0; d < rank; ++d)
        if (d != axis)
          perm.push_back(d);
      perm.push_back(axis);
      SmallVector<int64_t> back(rank);
      for (int64_t d = 0; d < rank; ++d)
        back[perm[d]] = d;
      HostTensor wt;
      wt.elementType = t;
      wt.shape = {p.in, p.out};
      for (int64_t j = 0; j < p.in; ++j)
        for (int64_t o = 0; o < p.out; ++o)
          wt.floats.push_back(w[o * p.in + j]);
      ASSIGN_OR_RETURN(moved, nb.add("Transpose", {cur}, {intsAttr("perm", perm)}));
      ASSIGN_OR_RETURN(mm, nb.add("MatMul", {moved, nb.tensor(im.materialize(wt))}));
      ASSIGN_OR_RETURN(r, nb.add("Transpose", {mm}, {intsAttr("perm", back)}));
      cur = r;
    }
    if (a.coord == "tf_crop_and_resize") {
      HostTensor mask;
      mask.elementType = im.b.getI1Type();
      mask.shape.assign(rank, 1);
      mask.shape[axis] = p.out;
      for (bool b : in)
        mask.ints.push_back({b ? 1 : 0, {}});
      std::string m = nb.constant(std::move(mask));
      if (inside.empty()) {
        inside = m;
      } else {
        ASSIGN_OR_RETURN(both, nb.add("And", {inside, m}));
        inside = both;
      }
    }
  }
  if (!inside.empty()) {
    std::string fill = nb.scalar(t, attrFloat(node, "extrapolation_value", 0.0f));
    ASSIGN_OR_RETURN(r, nb.add("Where", {inside, cur, fill}));
    cur = r;
  }
  nb.setOutput(0, cur);
  return Error::success();
}

} // namespace

void registerResizeConverters(ConverterTable &m) {
  m["Resize"] = convertResize;
  m["Upsample"] = convertResize;
}

} // namespace tessera::onnx_import
