//===- OnnxAttentionOps.cpp - The ONNX Attention op (opset 23) ------------===//
//
// Attention(Q, K, V, attn_mask, past_key, past_value, nonpad_kv_seqlen) as
// ONNX defines it (opsets 23 and 24):
// 3-D inputs split into heads, past keys/values concatenated (the present
// outputs), K/V heads repeated for grouped-query attention, a boolean or
// additive mask (padded with -inf to the total length), the causal mask
// aligned to the end of the past, softcap, and the qk_matmul_output
// modes. Built from MatMul/Softmax and elementwise ops, so the graph passes
// may recompose it into tsr.attention like an exporter's decomposition.
//
//===----------------------------------------------------------------------===//

#include "frontends/onnx/NodeBuilder.h"

#include <cmath>
#include <limits>

using namespace mlir;
using llvm::Error;
using llvm::Expected;

namespace tessera::onnx_import {
namespace {

Error convertAttention(Importer &im, const onnx::NodeProto &node) {
  NodeBuilder nb(im, node);
  std::string q = node.input(0), k = node.input(1), v = node.input(2);
  Type t = nb.elementType(q);
  if (!isa<FloatType>(t))
    return im.nodeError(node, "unsupported element type for Attention "
                              "(needs a float tensor)");
  int64_t rank = nb.rank(q);
  if (rank != 3 && rank != 4)
    return im.nodeError(node, "Q, K and V must be 3-D or 4-D");
  if (rank == 3) {
    int64_t hq = attrInt(node, "q_num_heads", 0), hkv = attrInt(node, "kv_num_heads", 0);
    if (hq <= 0 || hkv <= 0)
      return im.nodeError(node, "3-D inputs need q_num_heads and kv_num_heads");
    auto split = [&](std::string &x, int64_t heads) -> Error {
      SmallVector<IntElem> d = nb.dims(x);
      ASSIGN_OR_RETURN(r, nb.add("Reshape", {x, nb.ints({d[0], d[1], IntElem{heads, {}},
                                                          IntElem{-1, {}}})}));
      ASSIGN_OR_RETURN(tr, nb.add("Transpose", {r}, {intsAttr("perm", {0, 2, 1, 3})}));
      x = tr;
      return Error::success();
    };
    if (Error e = split(q, hq))
      return e;
    if (Error e = split(k, hkv))
      return e;
    if (Error e = split(v, hkv))
      return e;
  }
  SmallVector<IntElem> qd = nb.dims(q);
  for (const IntElem &d : qd)
    if (!d.isStatic())
      return im.nodeError(node, "unsupported: Attention with dynamic dims");
  int64_t heads = qd[1].value, s = qd[2].value, headSize = qd[3].value;
  int64_t past = 0;
  if (im.hasInput(node, 4)) {
    past = nb.dims(node.input(4))[2].value;
    ASSIGN_OR_RETURN(pk, nb.add("Concat", {node.input(4), k}, {intAttr("axis", 2)}));
    k = pk;
  }
  if (im.hasInput(node, 5)) {
    ASSIGN_OR_RETURN(pv, nb.add("Concat", {node.input(5), v}, {intAttr("axis", 2)}));
    v = pv;
  }
  nb.setOutput(1, k);
  nb.setOutput(2, v);
  SmallVector<IntElem> kd = nb.dims(k);
  if (!kd[1].isStatic() || !kd[2].isStatic())
    return im.nodeError(node, "unsupported: Attention with dynamic dims");
  int64_t kvHeads = kd[1].value, total = kd[2].value;
  if (kvHeads != heads) {
    if (heads % kvHeads != 0)
      return im.nodeError(node, "the query heads are not a multiple of the "
                                "key/value heads");
    // Each key/value head serves heads/kvHeads consecutive query heads.
    int64_t g = heads / kvHeads;
    for (std::string *x : {&k, &v}) {
      SmallVector<IntElem> d = nb.dims(*x);
      ASSIGN_OR_RETURN(u, nb.add("Unsqueeze", {*x}, {intsAttr("axes", {2})}));
      ASSIGN_OR_RETURN(e, nb.add("Expand", {u, nb.ints({d[0], d[1], IntElem{g, {}},
                                                        d[2], d[3]})}));
      ASSIGN_OR_RETURN(r, nb.add("Reshape", {e, nb.ints({d[0], IntElem{heads, {}},
                                                         d[2], d[3]})}));
      *x = r;
    }
  }
  double scale = findAttr(node, "scale") ? attrFloat(node, "scale", 1.0f)
                                         : 1.0 / std::sqrt(double(headSize));
  ASSIGN_OR_RETURN(kt, nb.add("Transpose", {k}, {intsAttr("perm", {0, 1, 3, 2})}));
  ASSIGN_OR_RETURN(qk, nb.add("MatMul", {q, kt}));
  ASSIGN_OR_RETURN(scores, nb.add("Mul", {qk, nb.scalar(t, scale)}));
  // The additive bias: the mask (bool: -inf where false), padded with -inf
  // to the total length, and the causal part.
  double inf = std::numeric_limits<double>::infinity();
  std::string bias;
  if (im.hasInput(node, 3)) {
    std::string mask = node.input(3);
    if (nb.elementType(mask).isInteger(1)) {
      ASSIGN_OR_RETURN(b, nb.add("Where", {mask, nb.scalar(t, 0), nb.scalar(t, -inf)}));
      mask = b;
    }
    SmallVector<IntElem> md = nb.dims(mask);
    if (!md.back().isStatic())
      return im.nodeError(node, "unsupported: a mask of dynamic length");
    if (md.back().value < total) {
      SmallVector<int64_t> pads(2 * md.size(), 0);
      pads[2 * md.size() - 1] = total - md.back().value;
      ASSIGN_OR_RETURN(p, nb.add("Pad", {mask, nb.ints(pads), nb.scalar(t, -inf)}));
      mask = p;
    }
    bias = mask;
  }
  if (attrInt(node, "is_causal", 0)) {
    HostTensor causal;
    causal.elementType = t;
    causal.shape = {s, total};
    for (int64_t i = 0; i < s; ++i)
      for (int64_t j = 0; j < total; ++j)
        causal.floats.push_back(j > past + i ? -inf : 0.0);
    std::string c = nb.tensor(im.materialize(causal));
    if (bias.empty()) {
      bias = c;
    } else {
      ASSIGN_OR_RETURN(b, nb.add("Add", {bias, c}));
      bias = b;
    }
  }
  if (im.hasInput(node, 6)) {
    // nonpad_kv_seqlen [B]: keys at or past each batch's length are masked.
    HostTensor iota;
    iota.elementType = nb.elementType(node.input(6));
    iota.shape = {1, total};
    for (int64_t j = 0; j < total; ++j)
      iota.ints.push_back({j, {}});
    ASSIGN_OR_RETURN(len, nb.add("Unsqueeze", {node.input(6)}, {intsAttr("axes", {1})}));
    ASSIGN_OR_RETURN(keep, nb.add("Less", {nb.constant(std::move(iota)), len}));
    ASSIGN_OR_RETURN(pad, nb.add("Where", {keep, nb.scalar(t, 0), nb.scalar(t, -inf)}));
    ASSIGN_OR_RETURN(pad4, nb.add("Unsqueeze", {pad}, {intsAttr("axes", {1, 2})}));
    if (bias.empty()) {
      bias = pad4;
    } else {
      ASSIGN_OR_RETURN(b, nb.add("Add", {bias, pad4}));
      bias = b;
    }
  }
  std::string withBias = scores;
  if (!bias.empty()) {
    ASSIGN_OR_RETURN(b, nb.add("Add", {scores, bias}));
    withBias = b;
  }
  int64_t mode = attrInt(node, "qk_matmul_output_mode", 0);
  std::string qkOut = mode == 0 ? scores : withBias;
  float softcap = attrFloat(node, "softcap", 0.0f);
  if (softcap > 0) {
    std::string cap = nb.scalar(t, softcap);
    ASSIGN_OR_RETURN(d, nb.add("Div", {withBias, cap}));
    ASSIGN_OR_RETURN(th, nb.add("Tanh", {d}));
    ASSIGN_OR_RETURN(m, nb.add("Mul", {th, cap}));
    withBias = m;
    if (mode == 2)
      qkOut = m;
  }
  ASSIGN_OR_RETURN(probs, nb.add("Softmax", {withBias}, {intAttr("axis", -1)}));
  if (mode == 3)
    qkOut = probs;
  nb.setOutput(3, qkOut);
  ASSIGN_OR_RETURN(y, nb.add("MatMul", {probs, v}));
  std::string out = y;
  if (rank == 3) {
    ASSIGN_OR_RETURN(tr, nb.add("Transpose", {y}, {intsAttr("perm", {0, 2, 1, 3})}));
    ASSIGN_OR_RETURN(r, nb.add("Reshape", {tr, nb.ints({qd[0], IntElem{s, {}},
                                                        IntElem{-1, {}}})}));
    out = r;
  }
  nb.setOutput(0, out);
  return Error::success();
}

} // namespace

void registerAttentionConverters(ConverterTable &m) {
  m["Attention"] = convertAttention;
}

} // namespace tessera::onnx_import
