//===- Llama.cpp - LLaMA, Mistral and Qwen2 checkpoints into tsr ----------===//
//
// transformers' LlamaForCausalLM: token embeddings, pre-norm decoder layers
// (RMSNorm, rotary position embedding on q and k, causal grouped-query
// attention, a SiLU-gated MLP), a final RMSNorm and the LM head (tied to
// the embeddings with tie_word_embeddings). Input input_ids (int64 [batch,
// sequence]); output logits [batch, sequence, vocab].
//
// MistralForCausalLM and Qwen2ForCausalLM are the same network with
// sliding-window attention: a query sees only the last `sliding_window`
// keys up to itself (tsr.attention's window). Mistral applies it to every
// layer (sliding_window null: none). Qwen2 has biases on q, k and v (not
// on o) and applies the window, when use_sliding_window is set, to the
// layers from max_window_layers on; an explicit `layer_types` list
// ("sliding_attention" / "full_attention" per layer, as newer transformers
// write it) overrides both rules.
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

enum class Family { Llama, Mistral, Qwen2 };

/// The sliding window of each layer (0: full attention).
Expected<std::vector<int64_t>> layerWindows(HfGraph &g, Family family,
                                            int64_t layers) {
  std::vector<int64_t> windows(layers, 0);
  if (family == Family::Llama)
    return windows;
  Expected<int64_t> window = g.configInt("sliding_window", 0);
  Expected<bool> use = g.configBool("use_sliding_window",
                                    family == Family::Mistral);
  Expected<int64_t> firstLayer = g.configInt(
      "max_window_layers", family == Family::Qwen2 ? 28 : 0); // (transformers)
  if (Error e = firstError(window, use, firstLayer))
    return std::move(e);
  if (const llvm::json::Array *types = g.config.getArray("layer_types")) {
    if (static_cast<int64_t>(types->size()) != layers)
      return g.configError("'layer_types' has " + llvm::Twine(types->size()) +
                           " entries for " + llvm::Twine(layers) + " layers");
    for (int64_t i = 0; i < layers; ++i) {
      std::optional<llvm::StringRef> type = (*types)[i].getAsString();
      if (!type || (*type != "sliding_attention" && *type != "full_attention"))
        return g.configError("'layer_types' entry " + llvm::Twine(i) +
                             " must be \"sliding_attention\" or "
                             "\"full_attention\"");
      if (*type == "sliding_attention") {
        if (*window == 0)
          return g.configError("layer " + llvm::Twine(i) +
                               " is \"sliding_attention\" but "
                               "'sliding_window' is not set");
        windows[i] = *window;
      }
    }
    return windows;
  }
  if (*use && *window > 0)
    for (int64_t i = family == Family::Qwen2 ? *firstLayer : 0; i < layers;
         ++i)
      windows[i] = *window;
  return windows;
}

Error buildLlamaFamily(HfGraph &g, Family family) {
  Expected<int64_t> vocab = g.configInt("vocab_size");
  Expected<int64_t> hidden = g.configInt("hidden_size");
  Expected<int64_t> inner = g.configInt("intermediate_size");
  Expected<int64_t> layers = g.configInt("num_hidden_layers");
  Expected<int64_t> heads = g.configInt("num_attention_heads");
  Expected<int64_t> positions = g.configInt("max_position_embeddings", 2048);
  Expected<double> eps = g.configFloat("rms_norm_eps", 1e-6);
  Expected<double> theta = g.configFloat("rope_theta", 10000.0);
  Expected<bool> tied = g.configBool("tie_word_embeddings", false);
  // LLaMA's attention_bias covers q, k, v and o; Qwen2 has biases on q, k
  // and v only.
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
  Expected<std::vector<int64_t>> windows = layerWindows(g, family, *layers);
  if (!windows)
    return windows.takeError();
  const bool qkvBias = family == Family::Qwen2 || *attnBias;
  const bool oBias = family != Family::Qwen2 && *attnBias;
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
        projection(g, p + "self_attn.q_proj", qDim, h, qkvBias, bq);
    Expected<Value> wk =
        projection(g, p + "self_attn.k_proj", kvDim, h, qkvBias, bk);
    Expected<Value> wv =
        projection(g, p + "self_attn.v_proj", kvDim, h, qkvBias, bv);
    Expected<Value> wo =
        projection(g, p + "self_attn.o_proj", h, qDim, oBias, bo);
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
    Value ctx = g.mergeHeads(
        g.attention(q, k, v, Value(), scale, true, (*windows)[i]));
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

} // namespace

Error buildLlama(HfGraph &g) { return buildLlamaFamily(g, Family::Llama); }
Error buildMistral(HfGraph &g) { return buildLlamaFamily(g, Family::Mistral); }
Error buildQwen2(HfGraph &g) { return buildLlamaFamily(g, Family::Qwen2); }

} // namespace tessera::hf
