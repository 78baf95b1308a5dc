//===- Llama.cpp - LLaMA checkpoints (model_type "llama") into tsr --------===//
//
// transformers' LlamaForCausalLM: token embeddings, pre-norm decoder layers
// (RMSNorm, rotary position embedding on q and k, causal grouped-query
// attention, a SiLU-gated MLP), a final RMSNorm and the LM head (tied to
// the embeddings with tie_word_embeddings). Input input_ids (int64 [batch,
// sequence]); output logits [batch, sequence, vocab].
//
// The rotary cos/sin tables are computed here for every position up to
// max_position_embeddings and gathered at the run-time positions.
//
//===----------------------------------------------------------------------===//

#include "frontends/hf/HfGraph.h"

#include <cmath>

using namespace mlir;
using llvm::Error;
using llvm::Expected;

namespace tessera::hf {

namespace {

/// x / sqrt(mean(x², last axis) + eps) * weight.
Value rmsNorm(HfGraph &g, Value x, Value weight, double eps) {
  auto t = g.typeOf(x);
  SmallVector<int64_t> reducedShape(t.getShape());
  reducedShape.back() = 1;
  Value sq = g.mul(x, x);
  Value mean = tsr::ReduceOp::create(
      g.b, g.loc, RankedTensorType::get(reducedShape, g.f32),
      tsr::ReduceKind::mean, sq, g.b.getDenseI64ArrayAttr({t.getRank() - 1}),
      /*keep_dims=*/true);
  Value inv = tsr::UnaryOp::create(g.b, g.loc, g.typeOf(mean),
                                   tsr::UnaryKind::rsqrt,
                                   g.add(mean, g.scalar(eps)));
  return g.mul(g.mul(x, inv), weight);
}

/// x·cos + rotate_half(x)·sin for x [B, H, S, D], where rotate_half(x) =
/// concat(-x[..., D/2:], x[..., :D/2]) and cos/sin are [S, D].
Value applyRotary(HfGraph &g, Value x, Value cos, Value sin) {
  auto t = g.typeOf(x);
  int64_t d = t.getDimSize(3), half = d / 2;
  SmallVector<int64_t> halfShape(t.getShape());
  halfShape[3] = half;
  auto halfType = RankedTensorType::get(halfShape, g.f32);
  SmallVector<Value> sizes;
  for (int64_t i = 0; i < 3; ++i)
    if (t.isDynamicDim(i))
      sizes.push_back(g.dimOf(x, i).dynamic);
  auto sliceAt = [&](int64_t offset) -> Value {
    return tsr::SliceOp::create(g.b, g.loc, halfType, x, ValueRange(), sizes,
                                g.b.getDenseI64ArrayAttr({0, 0, 0, offset}),
                                g.b.getDenseI64ArrayAttr({1, 1, 1, 1}));
  };
  Value first = sliceAt(0), second = sliceAt(half);
  Value negSecond = tsr::UnaryOp::create(g.b, g.loc, halfType,
                                         tsr::UnaryKind::neg, second);
  Value rotated = tsr::ConcatOp::create(g.b, g.loc, t, ValueRange{negSecond, first},
                                        g.b.getI64IntegerAttr(3));
  return g.add(g.mul(x, cos), g.mul(rotated, sin));
}

Expected<Value> projection(HfGraph &g, const std::string &base, int64_t out,
                           int64_t in, bool hasBias, Value &bias) {
  Expected<Value> w = g.weight(base + ".weight", {out, in});
  if (!w)
    return w.takeError();
  bias = Value();
  if (hasBias) {
    Expected<Value> b = g.weight(base + ".bias", {out});
    if (!b)
      return b.takeError();
    bias = *b;
  }
  return *w;
}

} // namespace

Error buildLlama(HfGraph &g) {
  Expected<int64_t> vocab = g.configInt("vocab_size");
  Expected<int64_t> hidden = g.configInt("hidden_size");
  Expected<int64_t> inner = g.configInt("intermediate_size");
  Expected<int64_t> layers = g.configInt("num_hidden_layers");
  Expected<int64_t> heads = g.configInt("num_attention_heads");
  Expected<int64_t> positions = g.configInt("max_position_embeddings", 2048);
  Expected<double> eps = g.configFloat("rms_norm_eps", 1e-6);
  Expected<double> theta = g.configFloat("rope_theta", 10000.0);
  Expected<bool> tied = g.configBool("tie_word_embeddings", false);
  Expected<bool> attnBias = g.configBool("attention_bias", false);
  Expected<bool> mlpBias = g.configBool("mlp_bias", false);
  if (Error e = firstError(vocab, hidden, inner, layers, heads, positions, eps,
                           theta, tied, attnBias, mlpBias))
    return e;
  Expected<int64_t> kvHeads = g.configInt("num_key_value_heads", *heads);
  Expected<int64_t> headDim =
      g.configInt("head_dim", *hidden / std::max<int64_t>(*heads, 1));
  if (Error e = firstError(kvHeads, headDim))
    return e;
  if (Error e = g.configMustBeNull(
          "rope_scaling", "scaled rotary embeddings are not supported"))
    return e;
  if (*heads % *kvHeads != 0)
    return g.configError("'num_attention_heads' " + llvm::Twine(*heads) +
                         " is not a multiple of 'num_key_value_heads' " +
                         llvm::Twine(*kvHeads));
  if (*headDim % 2 != 0)
    return g.configError("the head size " + llvm::Twine(*headDim) +
                         " must be even for rotary embeddings");
  Expected<tsr::Epilogue> act = g.activation("hidden_act", "silu");
  if (!act)
    return act.takeError();
  if (Error e = g.detectPrefix("embed_tokens.weight", {"model.", ""}))
    return e;

  int64_t h = *hidden, d = *headDim, qDim = *heads * d, kvDim = *kvHeads * d;
  int64_t dyn = ShapedType::kDynamic;
  if (Error e = g.addInput("input_ids", g.b.getI64Type(), {dyn, dyn},
                           {"batch", "sequence"}))
    return e;
  g.beginFunction();
  Value ids = g.input(0);

  Expected<Value> embed = g.weight("embed_tokens.weight", {*vocab, h});
  if (!embed)
    return embed.takeError();
  Dim seq = g.dimOf(ids, 1);
  if (seq.isStatic() && seq.value > *positions)
    return g.inputError(
        "input 'input_ids' has " + llvm::Twine(seq.value) +
        " positions, more than the model's max_position_embeddings " +
        llvm::Twine(*positions));

  // The tables below hold positions x head size floats each.
  if (*positions * d > (int64_t(1) << 28))
    return g.configError("'max_position_embeddings' " +
                         llvm::Twine(*positions) + " x head size " +
                         llvm::Twine(d) +
                         " is too large for the rotary tables");
  // Rotary tables [positions, d]: angle p·θ^(-2i/d), repeated for both
  // halves, as transformers builds them.
  std::vector<float> cosTable(static_cast<size_t>(*positions * d)),
      sinTable(cosTable.size());
  for (int64_t p = 0; p < *positions; ++p)
    for (int64_t i = 0; i < d / 2; ++i) {
      double invFreq = 1.0 / std::pow(*theta, (2.0 * i) / d);
      double angle = static_cast<double>(p) * invFreq;
      for (int64_t j : {i, i + d / 2}) {
        cosTable[p * d + j] = static_cast<float>(std::cos(angle));
        sinTable[p * d + j] = static_cast<float>(std::sin(angle));
      }
    }
  Value posIds = g.iota(seq);
  Value cos = g.gather(
      g.constant(g.prefix + "rotary.cos", {*positions, d}, cosTable), posIds);
  Value sin = g.gather(
      g.constant(g.prefix + "rotary.sin", {*positions, d}, sinTable), posIds);

  Value x = g.gather(*embed, ids);
  double scale = 1.0 / std::sqrt(static_cast<double>(d));
  for (int64_t i = 0; i < *layers; ++i) {
    std::string p = "layers." + std::to_string(i) + ".";
    Expected<Value> inNorm = g.weight(p + "input_layernorm.weight", {h});
    if (!inNorm)
      return inNorm.takeError();
    Expected<Value> postNorm =
        g.weight(p + "post_attention_layernorm.weight", {h});
    if (!postNorm)
      return postNorm.takeError();
    Value bq, bk, bv, bo, bg, bu, bd;
    Expected<Value> wq =
        projection(g, p + "self_attn.q_proj", qDim, h, *attnBias, bq);
    Expected<Value> wk =
        projection(g, p + "self_attn.k_proj", kvDim, h, *attnBias, bk);
    Expected<Value> wv =
        projection(g, p + "self_attn.v_proj", kvDim, h, *attnBias, bv);
    Expected<Value> wo =
        projection(g, p + "self_attn.o_proj", h, qDim, *attnBias, bo);
    Expected<Value> wg =
        projection(g, p + "mlp.gate_proj", *inner, h, *mlpBias, bg);
    Expected<Value> wu = projection(g, p + "mlp.up_proj", *inner, h, *mlpBias, bu);
    Expected<Value> wd =
        projection(g, p + "mlp.down_proj", h, *inner, *mlpBias, bd);
    if (Error e = firstError(wq, wk, wv, wo, wg, wu, wd))
      return e;

    Value a = rmsNorm(g, x, *inNorm, *eps);
    Value q = applyRotary(g, g.splitHeads(g.linear(a, *wq, bq), *heads, d),
                          cos, sin);
    Value k = applyRotary(g, g.splitHeads(g.linear(a, *wk, bk), *kvHeads, d),
                          cos, sin);
    Value v = g.splitHeads(g.linear(a, *wv, bv), *kvHeads, d);
    Value ctx = g.mergeHeads(g.attention(q, k, v, Value(), scale, true));
    x = g.add(x, g.linear(ctx, *wo, bo));
    Value m = rmsNorm(g, x, *postNorm, *eps);
    Value gate = g.linear(m, *wg, bg, *act);
    Value up = g.linear(m, *wu, bu);
    x = g.add(x, g.linear(g.mul(gate, up), *wd, bd));
  }
  Expected<Value> finalNorm = g.weight("norm.weight", {h});
  if (!finalNorm)
    return finalNorm.takeError();
  x = rmsNorm(g, x, *finalNorm, *eps);

  Value head = *embed;
  if (!*tied) {
    // lm_head sits outside the "model." prefix.
    std::string savedPrefix = g.prefix;
    g.prefix = "";
    Expected<Value> w = g.weight("lm_head.weight", {*vocab, h});
    g.prefix = savedPrefix;
    if (!w)
      return w.takeError();
    head = *w;
  }
  Value logits = g.linear(x, head, Value());
  return g.finishFunction({logits}, {"logits"});
}

} // namespace tessera::hf
