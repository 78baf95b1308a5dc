//===- Gpt2.cpp - GPT-2 checkpoints (model_type "gpt2") into tsr ----------===//
//
// transformers' GPT2LMHeadModel: token + position embeddings, pre-norm
// decoder blocks (causal self attention that also honours the padding
// mask, a gelu_new MLP), a final layer norm and the LM head tied to the
// token embeddings. Inputs input_ids and attention_mask (int64 [batch,
// sequence]); output logits [batch, sequence, vocab].
//
// GPT-2 stores its projections as Conv1D weights [in, out]; they are
// transposed here, at compile time, into tsr.linear's [out, in], and the
// fused Q/K/V projection (c_attn) is split into three.
//
//===----------------------------------------------------------------------===//

#include "frontends/hf/HfGraph.h"

#include <cmath>

using namespace mlir;
using llvm::Error;
using llvm::Expected;

namespace tessera::hf {

namespace {

/// The [out, in] weights and [out] biases of a Conv1D [in, out] whose output
/// columns are split into `parts` equal pieces.
Error conv1dParams(HfGraph &g, const std::string &base, int64_t in,
                   int64_t out, int64_t parts, SmallVectorImpl<Value> &w,
                   SmallVectorImpl<Value> &bias) {
  Expected<const SafetensorsTensor *> wt =
      g.weightEntry(base + ".weight", {in, out});
  if (!wt)
    return wt.takeError();
  Expected<const SafetensorsTensor *> bt = g.weightEntry(base + ".bias", {out});
  if (!bt)
    return bt.takeError();
  Expected<std::vector<float>> wv = g.weightValues(**wt);
  if (!wv)
    return wv.takeError();
  Expected<std::vector<float>> bv = g.weightValues(**bt);
  if (!bv)
    return bv.takeError();
  int64_t n = out / parts;
  for (int64_t p = 0; p < parts; ++p) {
    std::vector<float> t(static_cast<size_t>(n * in));
    for (int64_t o = 0; o < n; ++o)
      for (int64_t i = 0; i < in; ++i)
        t[o * in + i] = (*wv)[i * out + p * n + o];
    std::string suffix = parts == 1 ? "" : "." + std::to_string(p);
    w.push_back(g.constant(g.prefix + base + ".weight.T" + suffix, {n, in}, t));
    bias.push_back(g.constant(
        g.prefix + base + ".bias" + suffix, {n},
        ArrayRef<float>(*bv).slice(static_cast<size_t>(p * n), n)));
  }
  return Error::success();
}

Error layerNormParams(HfGraph &g, const std::string &base, int64_t h,
                      Value &scale, Value &bias) {
  Expected<Value> s = g.weight(base + ".weight", {h});
  if (!s)
    return s.takeError();
  Expected<Value> b = g.weight(base + ".bias", {h});
  if (!b)
    return b.takeError();
  scale = *s;
  bias = *b;
  return Error::success();
}

} // namespace

Error buildGpt2(HfGraph &g) {
  Expected<int64_t> vocab = g.configInt("vocab_size");
  Expected<int64_t> hidden = g.configInt("n_embd");
  Expected<int64_t> layers = g.configInt("n_layer");
  Expected<int64_t> heads = g.configInt("n_head");
  Expected<int64_t> positions = g.configInt("n_positions", 1024);
  Expected<double> eps = g.configFloat("layer_norm_epsilon", 1e-5);
  Expected<bool> scaleByIdx =
      g.configBool("scale_attn_by_inverse_layer_idx", false);
  Expected<bool> cross = g.configBool("add_cross_attention", false);
  Expected<bool> scaleWeights = g.configBool("scale_attn_weights", true);
  if (Error e = firstError(vocab, hidden, layers, heads, positions, eps,
                           scaleByIdx, cross, scaleWeights))
    return e;
  Expected<int64_t> inner = g.configInt("n_inner", 4 * *hidden);
  if (!inner)
    return inner.takeError();
  if (*scaleByIdx)
    return g.configError("unsupported 'scale_attn_by_inverse_layer_idx' "
                         "value true");
  if (*cross)
    return g.configError("unsupported 'add_cross_attention' value true");
  if (*hidden % *heads != 0)
    return g.configError("'n_embd' " + llvm::Twine(*hidden) +
                         " is not a multiple of 'n_head' " +
                         llvm::Twine(*heads));
  Expected<tsr::Epilogue> act = g.activation("activation_function", "gelu_new");
  if (!act)
    return act.takeError();
  if (Error e = g.detectPrefix("wte.weight", {"transformer.", ""}))
    return e;

  int64_t h = *hidden, headDim = h / *heads;
  Type i64 = g.b.getI64Type();
  int64_t dyn = ShapedType::kDynamic;
  for (llvm::StringRef name : {"input_ids", "attention_mask"})
    if (Error e = g.addInput(name, i64, {dyn, dyn}, {"batch", "sequence"}))
      return e;
  g.beginFunction();
  Value ids = g.input(0), mask = g.input(1);

  Expected<Value> wte = g.weight("wte.weight", {*vocab, h});
  if (!wte)
    return wte.takeError();
  Expected<Value> wpe = g.weight("wpe.weight", {*positions, h});
  if (!wpe)
    return wpe.takeError();
  Dim seq = g.dimOf(ids, 1);
  if (seq.isStatic() && seq.value > *positions)
    return g.inputError(
        "input 'input_ids' has " + llvm::Twine(seq.value) +
        " positions, more than the model's n_positions " +
        llvm::Twine(*positions));
  Value x = g.add(g.gather(*wte, ids), g.gather(*wpe, g.iota(seq)));
  Value additive = g.additiveMask(mask);
  double scale =
      *scaleWeights ? 1.0 / std::sqrt(static_cast<double>(headDim)) : 1.0;

  for (int64_t i = 0; i < *layers; ++i) {
    std::string p = "h." + std::to_string(i) + ".";
    Value ln1s, ln1b, ln2s, ln2b;
    SmallVector<Value> qkvW, qkvB, projW, projB, fcW, fcB, outW, outB;
    if (Error e = layerNormParams(g, p + "ln_1", h, ln1s, ln1b))
      return e;
    if (Error e = conv1dParams(g, p + "attn.c_attn", h, 3 * h, 3, qkvW, qkvB))
      return e;
    if (Error e = conv1dParams(g, p + "attn.c_proj", h, h, 1, projW, projB))
      return e;
    if (Error e = layerNormParams(g, p + "ln_2", h, ln2s, ln2b))
      return e;
    if (Error e = conv1dParams(g, p + "mlp.c_fc", h, *inner, 1, fcW, fcB))
      return e;
    if (Error e = conv1dParams(g, p + "mlp.c_proj", *inner, h, 1, outW, outB))
      return e;

    Value a = g.layerNorm(x, ln1s, ln1b, *eps);
    Value q = g.splitHeads(g.linear(a, qkvW[0], qkvB[0]), *heads, headDim);
    Value k = g.splitHeads(g.linear(a, qkvW[1], qkvB[1]), *heads, headDim);
    Value v = g.splitHeads(g.linear(a, qkvW[2], qkvB[2]), *heads, headDim);
    Value ctx = g.mergeHeads(g.attention(q, k, v, additive, scale, true));
    x = g.add(x, g.linear(ctx, projW[0], projB[0]));
    Value m = g.layerNorm(x, ln2s, ln2b, *eps);
    Value up = g.linear(m, fcW[0], fcB[0], *act);
    x = g.add(x, g.linear(up, outW[0], outB[0]));
  }
  Value lnfS, lnfB;
  if (Error e = layerNormParams(g, "ln_f", h, lnfS, lnfB))
    return e;
  x = g.layerNorm(x, lnfS, lnfB, *eps);
  // The LM head is tied to the token embeddings (a separate lm_head.weight,
  // when a checkpoint has one, holds the same values).
  Value logits = g.linear(x, *wte, Value());
  return g.finishFunction({logits}, {"logits"});
}

} // namespace tessera::hf
