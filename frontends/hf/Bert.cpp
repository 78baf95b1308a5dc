//===- Bert.cpp - BERT checkpoints (model_type "bert") into tsr -----------===//
//
// transformers' BertModel: word + absolute position + token type
// embeddings, a layer norm, then post-norm encoder layers (self attention
// with the padding mask, a GELU MLP); the outputs are last_hidden_state
// and, when the checkpoint has a pooler, pooler_output.
// Inputs as transformers' ONNX export names them: input_ids,
// attention_mask, token_type_ids, all int64 [batch, sequence].
//
//===----------------------------------------------------------------------===//

#include "frontends/hf/HfGraph.h"

#include <cmath>

using namespace mlir;
using llvm::Error;
using llvm::Expected;

namespace tessera::hf {

namespace {

/// A layer norm's scale and bias under `base` ("weight"/"bias", or the
/// "gamma"/"beta" of old TensorFlow-converted checkpoints).
Error layerNormParams(HfGraph &g, const std::string &base, int64_t hidden,
                      Value &scale, Value &bias) {
  bool old = !g.hasWeight(base + ".weight") && g.hasWeight(base + ".gamma");
  Expected<Value> s = g.weight(base + (old ? ".gamma" : ".weight"), {hidden});
  if (!s)
    return s.takeError();
  Expected<Value> b = g.weight(base + (old ? ".beta" : ".bias"), {hidden});
  if (!b)
    return b.takeError();
  scale = *s;
  bias = *b;
  return Error::success();
}

Error linearParams(HfGraph &g, const std::string &base, int64_t out,
                   int64_t in, Value &w, Value &bias) {
  Expected<Value> wv = g.weight(base + ".weight", {out, in});
  if (!wv)
    return wv.takeError();
  Expected<Value> bv = g.weight(base + ".bias", {out});
  if (!bv)
    return bv.takeError();
  w = *wv;
  bias = *bv;
  return Error::success();
}

} // namespace

Error buildBert(HfGraph &g) {
  Expected<int64_t> vocab = g.configInt("vocab_size");
  Expected<int64_t> hidden = g.configInt("hidden_size");
  Expected<int64_t> layers = g.configInt("num_hidden_layers");
  Expected<int64_t> heads = g.configInt("num_attention_heads");
  Expected<int64_t> inner = g.configInt("intermediate_size");
  Expected<int64_t> positions = g.configInt("max_position_embeddings", 512);
  Expected<int64_t> types = g.configInt("type_vocab_size", 2);
  Expected<double> eps = g.configFloat("layer_norm_eps", 1e-12);
  Expected<std::string> posType =
      g.configString("position_embedding_type", "absolute");
  if (Error e = firstError(vocab, hidden, layers, heads, inner, positions,
                           types, eps, posType))
    return e;
  if (*posType != "absolute")
    return g.configError("unsupported 'position_embedding_type' value '" +
                         *posType + "' (supported: absolute)");
  if (*hidden % *heads != 0)
    return g.configError("'hidden_size' " + llvm::Twine(*hidden) +
                         " is not a multiple of 'num_attention_heads' " +
                         llvm::Twine(*heads));
  Expected<tsr::Epilogue> act = g.activation("hidden_act", "gelu");
  if (!act)
    return act.takeError();
  if (Error e = g.detectPrefix("embeddings.word_embeddings.weight",
                               {"", "bert.", "model."}))
    return e;

  int64_t h = *hidden, headDim = h / *heads;
  Type i64 = g.b.getI64Type();
  int64_t dyn = ShapedType::kDynamic;
  for (llvm::StringRef name : {"input_ids", "attention_mask", "token_type_ids"})
    if (Error e = g.addInput(name, i64, {dyn, dyn}, {"batch", "sequence"}))
      return e;
  g.beginFunction();
  Value ids = g.input(0), mask = g.input(1), tokenTypes = g.input(2);

  // Embeddings.
  Expected<Value> words =
      g.weight("embeddings.word_embeddings.weight", {*vocab, h});
  if (!words)
    return words.takeError();
  Expected<Value> posTable =
      g.weight("embeddings.position_embeddings.weight", {*positions, h});
  if (!posTable)
    return posTable.takeError();
  Expected<Value> typeTable =
      g.weight("embeddings.token_type_embeddings.weight", {*types, h});
  if (!typeTable)
    return typeTable.takeError();
  Dim seq = g.dimOf(ids, 1);
  if (seq.isStatic() && seq.value > *positions)
    return g.inputError(
        "input 'input_ids' has " + llvm::Twine(seq.value) +
        " positions, more than the model's max_position_embeddings " +
        llvm::Twine(*positions));
  Value x = g.add(g.gather(*words, ids), g.gather(*typeTable, tokenTypes));
  x = g.add(x, g.gather(*posTable, g.iota(seq)));
  Value lnScale, lnBias;
  if (Error e = layerNormParams(g, "embeddings.LayerNorm", h, lnScale, lnBias))
    return e;
  x = g.layerNorm(x, lnScale, lnBias, *eps);

  Value additive = g.additiveMask(mask);
  double scale = 1.0 / std::sqrt(static_cast<double>(headDim));
  for (int64_t i = 0; i < *layers; ++i) {
    std::string p = "encoder.layer." + std::to_string(i) + ".";
    Value wq, bq, wk, bk, wv, bv, wo, bo, wi, bi, wd, bd;
    Value ln1s, ln1b, ln2s, ln2b;
    if (Error e = linearParams(g, p + "attention.self.query", h, h, wq, bq))
      return e;
    if (Error e = linearParams(g, p + "attention.self.key", h, h, wk, bk))
      return e;
    if (Error e = linearParams(g, p + "attention.self.value", h, h, wv, bv))
      return e;
    if (Error e = linearParams(g, p + "attention.output.dense", h, h, wo, bo))
      return e;
    if (Error e = layerNormParams(g, p + "attention.output.LayerNorm", h,
                                  ln1s, ln1b))
      return e;
    if (Error e = linearParams(g, p + "intermediate.dense", *inner, h, wi, bi))
      return e;
    if (Error e = linearParams(g, p + "output.dense", h, *inner, wd, bd))
      return e;
    if (Error e = layerNormParams(g, p + "output.LayerNorm", h, ln2s, ln2b))
      return e;

    Value q = g.splitHeads(g.linear(x, wq, bq), *heads, headDim);
    Value k = g.splitHeads(g.linear(x, wk, bk), *heads, headDim);
    Value v = g.splitHeads(g.linear(x, wv, bv), *heads, headDim);
    Value ctx = g.mergeHeads(g.attention(q, k, v, additive, scale, false));
    Value attnOut = g.linear(ctx, wo, bo);
    x = g.layerNorm(attnOut, ln1s, ln1b, *eps, /*residual=*/x);
    Value up = g.linear(x, wi, bi, *act);
    Value down = g.linear(up, wd, bd);
    x = g.layerNorm(down, ln2s, ln2b, *eps, /*residual=*/x);
  }
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
