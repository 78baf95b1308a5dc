//===- Vit.cpp - ViT checkpoints (model_type "vit") into tsr --------------===//
//
// transformers' ViTModel: a patch embedding (a Conv2d whose kernel equals
// its stride, built as a linear over flattened patches, as the ONNX
// importer builds such a Conv), a class token and absolute position
// embeddings, pre-norm encoder layers and a final layer norm. Input
// pixel_values (f32 [batch, channels, image_size, image_size]); output
// last_hidden_state [batch, patches + 1, hidden] (and pooler_output when
// the checkpoint has a pooler).
//
//===----------------------------------------------------------------------===//

#include "frontends/hf/HfGraph.h"

#include <cmath>

using namespace mlir;
using llvm::Error;
using llvm::Expected;

namespace tessera::hf {

namespace {

Error paramPair(HfGraph &g, const std::string &base, ArrayRef<int64_t> wShape,
                int64_t n, bool withBias, Value &w, Value &bias) {
  Expected<Value> wv = g.weight(base + ".weight", wShape);
  if (!wv)
    return wv.takeError();
  w = *wv;
  bias = Value();
  if (withBias) {
    Expected<Value> bv = g.weight(base + ".bias", {n});
    if (!bv)
      return bv.takeError();
    bias = *bv;
  }
  return Error::success();
}

} // namespace

Error buildVit(HfGraph &g) {
  Expected<int64_t> hidden = g.configInt("hidden_size");
  Expected<int64_t> layers = g.configInt("num_hidden_layers");
  Expected<int64_t> heads = g.configInt("num_attention_heads");
  Expected<int64_t> inner = g.configInt("intermediate_size");
  Expected<int64_t> image = g.configInt("image_size", 224);
  Expected<int64_t> patch = g.configInt("patch_size", 16);
  Expected<int64_t> channels = g.configInt("num_channels", 3);
  Expected<double> eps = g.configFloat("layer_norm_eps", 1e-12);
  Expected<bool> qkvBias = g.configBool("qkv_bias", true);
  if (Error e = firstError(hidden, layers, heads, inner, image, patch,
                           channels, eps, qkvBias))
    return e;
  if (*image % *patch != 0)
    return g.configError("'image_size' " + llvm::Twine(*image) +
                         " is not a multiple of 'patch_size' " +
                         llvm::Twine(*patch));
  if (*hidden % *heads != 0)
    return g.configError("'hidden_size' " + llvm::Twine(*hidden) +
                         " is not a multiple of 'num_attention_heads' " +
                         llvm::Twine(*heads));
  Expected<tsr::Epilogue> act = g.activation("hidden_act", "gelu");
  if (!act)
    return act.takeError();
  if (Error e = g.detectPrefix("embeddings.cls_token", {"vit.", ""}))
    return e;

  int64_t h = *hidden, p = *patch, c = *channels, side = *image / p;
  int64_t numPatches = side * side, headDim = h / *heads;
  if (Error e = g.addInput("pixel_values", g.f32,
                           {ShapedType::kDynamic, c, *image, *image},
                           {"batch", "", "", ""}))
    return e;
  g.beginFunction();
  Value pixels = g.input(0);
  for (int64_t d : {1, 2, 3})
    if (g.typeOf(pixels).getDimSize(d) != (d == 1 ? c : *image))
      return g.inputError(
          "input 'pixel_values' must be [batch, " + llvm::Twine(c) + ", " +
          llvm::Twine(*image) + ", " + llvm::Twine(*image) + "]");

  // Patch embedding: [B, C, s·p, s·p] -> [B, s, s, C, p, p] -> [B, s·s, C·p·p].
  Value convW, convB;
  if (Error e = paramPair(g, "embeddings.patch_embeddings.projection",
                          {h, c, p, p}, h, true, convW, convB))
    return e;
  Dim batch = g.dimOf(pixels, 0);
  auto k = [](int64_t v) { return Dim{v, {}}; };
  Value six = g.reshape(pixels, {batch, k(c), k(side), k(p), k(side), k(p)});
  Value moved = g.transpose(six, {0, 2, 4, 1, 3, 5});
  Value rows = g.reshape(moved, {batch, k(numPatches), k(c * p * p)});
  Value x = g.linear(rows, g.reshape(convW, {k(h), k(c * p * p)}), convB);

  Expected<Value> cls = g.weight("embeddings.cls_token", {1, 1, h});
  if (!cls)
    return cls.takeError();
  Expected<Value> pos =
      g.weight("embeddings.position_embeddings", {1, numPatches + 1, h});
  if (!pos)
    return pos.takeError();
  SmallVector<Value> dyn;
  if (batch.dynamic)
    dyn.push_back(batch.dynamic);
  int64_t b = batch.staticOr(ShapedType::kDynamic);
  Value clsRows = tsr::BroadcastOp::create(
      g.b, g.loc, RankedTensorType::get({b, 1, h}, g.f32), *cls, dyn);
  x = tsr::ConcatOp::create(g.b, g.loc,
                            RankedTensorType::get({b, numPatches + 1, h}, g.f32),
                            ValueRange{clsRows, x}, g.b.getI64IntegerAttr(1));
  x = g.add(x, *pos);

  double scale = 1.0 / std::sqrt(static_cast<double>(headDim));
  for (int64_t i = 0; i < *layers; ++i) {
    std::string l = "encoder.layer." + std::to_string(i) + ".";
    Value ln1s, ln1b, ln2s, ln2b, wq, bq, wk, bk, wv, bv, wo, bo, wi, bi, wd, bd;
    if (Error e = paramPair(g, l + "layernorm_before", {h}, h, true, ln1s, ln1b))
      return e;
    if (Error e = paramPair(g, l + "attention.attention.query", {h, h}, h,
                            *qkvBias, wq, bq))
      return e;
    if (Error e = paramPair(g, l + "attention.attention.key", {h, h}, h,
                            *qkvBias, wk, bk))
      return e;
    if (Error e = paramPair(g, l + "attention.attention.value", {h, h}, h,
                            *qkvBias, wv, bv))
      return e;
    if (Error e =
            paramPair(g, l + "attention.output.dense", {h, h}, h, true, wo, bo))
      return e;
    if (Error e = paramPair(g, l + "layernorm_after", {h}, h, true, ln2s, ln2b))
      return e;
    if (Error e = paramPair(g, l + "intermediate.dense", {*inner, h}, *inner,
                            true, wi, bi))
      return e;
    if (Error e =
            paramPair(g, l + "output.dense", {h, *inner}, h, true, wd, bd))
      return e;

    Value a = g.layerNorm(x, ln1s, ln1b, *eps);
    Value q = g.splitHeads(g.linear(a, wq, bq), *heads, headDim);
    Value kk = g.splitHeads(g.linear(a, wk, bk), *heads, headDim);
    Value v = g.splitHeads(g.linear(a, wv, bv), *heads, headDim);
    Value ctx = g.mergeHeads(g.attention(q, kk, v, Value(), scale, false));
    x = g.add(x, g.linear(ctx, wo, bo));
    Value m = g.layerNorm(x, ln2s, ln2b, *eps);
    x = g.add(x, g.linear(g.linear(m, wi, bi, *act), wd, bd));
  }
  Value lnS, lnB;
  if (Error e = paramPair(g, "layernorm", {h}, h, true, lnS, lnB))
    return e;
  x = g.layerNorm(x, lnS, lnB, *eps);
  // BertModel/ViTModel also return the pooler's output when the
  // checkpoint has one.
  Expected<Value> pooled = g.pooler(x, "pooler.dense");
  if (!pooled)
    return pooled.takeError();
  if (*pooled)
    return g.finishFunction({x, *pooled},
                            {"last_hidden_state", "pooler_output"});
  return g.finishFunction({x}, {"last_hidden_state"});
}

} // namespace tessera::hf
