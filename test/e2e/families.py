#!/usr/bin/env python3
"""The transformer families of Tessera's end-to-end tests, beyond bert2,
gpt2_tiny and vit_tiny: RoBERTa, DistilBERT, BERT with token types, GPT-2
with a KV cache and LLaMA (BART is in seq2seq.py), each tiny (hidden 64, 2
layers, random weights, fixed seed) and shaped as the TorchScript exporter
(opset 17) emits the Hugging Face model (transformers 4.3x, eager
attention).

models.py loads this file and calls `register(globals())`: the builders
below use its GraphBuilder and BERT layer, and add themselves to its MODELS,
DYNAMIC_MODELS and make_inputs. Kept apart so that neither file grows past
a readable size.

What each family adds to the op webs the compiler must import:

* roberta2: position ids from `cumsum(input_ids != padding_idx) * mask +
  padding_idx` (Not(Equal) -> Cast(int32) -> CumSum -> ... -> Add), token
  type embeddings from the zero buffer (Slice -> Expand -> Gather);
* distilbert2: no token types; the scale on q before Q.K^T; the mask as
  `(mask == 0).view(bs, 1, 1, k).expand_as(scores)` -> Where(finfo.min);
* bert2_tt: bert2 with a token_type_ids input;
* gpt2_past / gpt2_past_dyn: one decode step with past_key_values.N.key /
  .value inputs, Concat with the new keys, present.N.key / .value outputs,
  Range(past, past + seq) position ids and the causal-mask slice at offset
  past; the _dyn model has symbolic batch, past and new-token dims;
* llama2 / llama2_rms: RMSNorm decomposed (Pow, ReduceMean, Add, Sqrt, Div,
  Mul) or as the opset-23 RMSNormalization op, rotary embeddings gathered
  from cos/sin caches at position_ids (llama2) or computed as
  cos/sin(inv_freq @ position_ids) (llama2_rms), rotate_half (Slice, Neg, Concat),
  SiLU-gated MLP (x * Sigmoid(x) * up), grouped-query attention (4 query
  heads, 2 kv heads repeated by Unsqueeze/Expand/Reshape), the causal mask
  as Trilu(ConstantOfShape(finfo.min), k=1) merged with the padding mask;
* mistral2: llama2 with a sliding window of 5 keys, its mask a constant
  band initializer (what a static-shape export folds the mask into);
* sequence_ops: CumSum, Trilu and Range forms over run-time dims.
"""

import math

import numpy as np
from onnx import TensorProto, helper

_m = None  # the models.py namespace, set by register()

VOCAB = 100
FLOAT32_MIN = -3.4028234663852886e38


def _builder(seed):
    return _m["GraphBuilder"](seed)


def _extended_mask(b, mask, scope=""):
    """HF get_extended_attention_mask: (1 - mask[:, None, None, :]) * finfo.min."""
    m = b.op("Unsqueeze", [mask, b.const([1], scope, np.int64)], scope)
    m = b.op("Unsqueeze", [m, b.const([2], scope, np.int64)], scope)
    m = b.op("Cast", [m], scope, to=TensorProto.FLOAT)
    m = b.op("Sub", [b.const(1.0, scope), m], scope)
    return b.op("Mul", [m, b.const(FLOAT32_MIN, scope)], scope)


def _linear_nobias(b, x, d_in, d_out, scope, scale=0.08):
    """nn.Linear(bias=False) on a 3-D input: MatMul(x, W^T)."""
    w_t = b.init(b._numeric_name("MatMul"), b.weight((d_in, d_out), scale))
    return b.op("MatMul", [x, w_t], scope)


def _view(b, x, dims, scope):
    """x.view(dims) where each entry is an int or ("dim", tensor, index): the
    exporter's Shape -> Gather -> Unsqueeze -> Concat -> Reshape web."""
    pieces = []
    for d in dims:
        if isinstance(d, tuple):
            pieces.append(b.shape_dim(d[1], d[2], scope))
        else:
            pieces.append(b.const([d], scope, np.int64))
    shape = b.op("Concat", pieces, scope, axis=0)
    return b.op("Reshape", [x, shape], scope)


# ---------------------------------------------------------------------------
# Encoders: RoBERTa, DistilBERT, BERT with token types
# ---------------------------------------------------------------------------
ROBERTA_PAD = 1
ROBERTA_MAX_POS = 40


def roberta2():
    """HF RobertaModel (2 layers, hidden 64, 4 heads, FFN 128, vocab 100,
    padding_idx 1, no pooler), dynamic batch/seq."""
    b = _builder(seed=11)
    hidden, heads, ffn = 64, 4, 128
    s = "/embeddings"
    # create_position_ids_from_input_ids(input_ids, padding_idx, 0):
    #   mask = input_ids.ne(padding_idx).int()
    #   incremental = (torch.cumsum(mask, dim=1).type_as(mask) + 0) * mask
    #   return incremental.long() + padding_idx
    ne = b.op("Not", [b.op("Equal", ["input_ids", b.const(ROBERTA_PAD, s, np.int64)], s)], s)
    mask = b.op("Cast", [ne], s, to=TensorProto.INT32)
    cs = b.op("CumSum", [mask, b.const(1, s, np.int64)], s)
    cs = b.op("Cast", [cs], s, to=TensorProto.INT32)
    cs = b.op("Add", [cs, b.const(0, s, np.int32)], s)
    inc = b.op("Mul", [cs, mask], s)
    inc = b.op("Cast", [inc], s, to=TensorProto.INT64)
    pos = b.op("Add", [inc, b.const(ROBERTA_PAD, s, np.int64)], s)
    # token_type_ids = self.token_type_ids[:, :seq].expand(batch, seq)
    tt_buf = b.init("embeddings.token_type_ids", np.zeros((1, ROBERTA_MAX_POS), np.int64))
    seq = b.shape_dim("input_ids", 1, s)
    tt = b.op("Slice", [tt_buf, b.const([0], s, np.int64), seq,
                        b.const([1], s, np.int64), b.const([1], s, np.int64)], s)
    bsz = b.shape_dim("input_ids", 0, s)
    tt = b.op("Expand", [tt, b.op("Concat", [bsz, seq], s, axis=0)], s)
    word_tab = b.init("embeddings.word_embeddings.weight", b.weight((VOCAB, hidden), 0.1))
    type_tab = b.init("embeddings.token_type_embeddings.weight", b.weight((1, hidden), 0.1))
    pos_tab = b.init("embeddings.position_embeddings.weight",
                     b.weight((ROBERTA_MAX_POS, hidden), 0.1))
    x = b.op("Gather", [word_tab, "input_ids"], f"{s}/word_embeddings", axis=0)
    x = b.op("Add", [x, b.op("Gather", [type_tab, tt], f"{s}/token_type_embeddings",
                             axis=0)], s)
    x = b.op("Add", [x, b.op("Gather", [pos_tab, pos], f"{s}/position_embeddings",
                             axis=0)], s)
    x = b.layer_norm(x, hidden, f"{s}/LayerNorm", "embeddings.LayerNorm", eps=1e-5)
    ext = _extended_mask(b, "attention_mask")
    for i in range(2):
        x = _m["_bert_layer"](b, x, f"/encoder/layer.{i}", f"encoder.layer.{i}",
                              hidden, heads, ffn, mask=ext)
    b.nodes[-1].output[0] = "last_hidden_state"
    dyn = ["batch", "seq"]
    return b.build(
        "roberta2",
        [helper.make_tensor_value_info("input_ids", TensorProto.INT64, dyn),
         helper.make_tensor_value_info("attention_mask", TensorProto.INT64, dyn)],
        [helper.make_tensor_value_info("last_hidden_state", TensorProto.FLOAT,
                                       dyn + [hidden])],
        "2-layer RoBERTa: CumSum position ids, buffered token types, dynamic batch/seq")


def distilbert2():
    """HF DistilBertModel (2 layers, dim 64, 4 heads, hidden_dim 128, vocab
    100), dynamic batch/seq."""
    b = _builder(seed=12)
    dim, heads, ffn = 64, 4, 128
    hd = dim // heads
    s = "/embeddings"
    pos_ids = b.init("embeddings.position_ids", np.arange(64, dtype=np.int64).reshape(1, 64))
    seq = b.shape_dim("input_ids", 1, s)
    pos = b.op("Slice", [pos_ids, b.const([0], s, np.int64), seq,
                         b.const([1], s, np.int64), b.const([1], s, np.int64)], s)
    word_tab = b.init("embeddings.word_embeddings.weight", b.weight((VOCAB, dim), 0.1))
    pos_tab = b.init("embeddings.position_embeddings.weight", b.weight((64, dim), 0.1))
    x = b.op("Add", [b.op("Gather", [word_tab, "input_ids"], f"{s}/word_embeddings", axis=0),
                     b.op("Gather", [pos_tab, pos], f"{s}/position_embeddings", axis=0)], s)
    x = b.layer_norm(x, dim, f"{s}/LayerNorm", "embeddings.LayerNorm")
    for i in range(2):
        scope, param = f"/transformer/layer.{i}", f"transformer.layer.{i}"
        sa = f"{scope}/attention"

        def shape(t, perm):
            # x.view(bs, -1, n_heads, dim_per_head).transpose(1, 2)
            r = _view(b, t, [("dim", x, 0), -1, heads, hd], sa)
            return b.op("Transpose", [r], sa, perm=perm)

        q = shape(b.linear3d(x, dim, dim, f"{sa}/q_lin", f"{param}.attention.q_lin", 0.1),
                  [0, 2, 1, 3])
        k = shape(b.linear3d(x, dim, dim, f"{sa}/k_lin", f"{param}.attention.k_lin", 0.1),
                  [0, 2, 3, 1])  # transpose(1, 2) then transpose(2, 3), fused
        v = shape(b.linear3d(x, dim, dim, f"{sa}/v_lin", f"{param}.attention.v_lin", 0.1),
                  [0, 2, 1, 3])
        q = b.op("Div", [q, b.const(math.sqrt(hd), sa)], sa)
        scores = b.op("MatMul", [q, k], sa)
        # mask = (mask == 0).view(bs, 1, 1, k_length).expand_as(scores)
        m = b.op("Equal", ["attention_mask", b.const(0, sa, np.int64)], sa)
        m = _view(b, m, [("dim", x, 0), 1, 1, ("dim", x, 1)], sa)
        m = b.op("Expand", [m, b.op("Shape", [scores], sa)], sa)
        scores = b.op("Where", [m, b.const(FLOAT32_MIN, sa), scores], sa)
        w = b.op("Softmax", [scores], sa, axis=-1)
        ctx = b.op("Transpose", [b.op("MatMul", [w, v], sa)], sa, perm=[0, 2, 1, 3])
        ctx = _view(b, ctx, [("dim", x, 0), -1, dim], sa)
        ctx = b.linear3d(ctx, dim, dim, f"{sa}/out_lin", f"{param}.attention.out_lin")
        x = b.layer_norm(b.op("Add", [ctx, x], scope), dim, f"{scope}/sa_layer_norm",
                         f"{param}.sa_layer_norm")
        h = b.linear3d(x, dim, ffn, f"{scope}/ffn/lin1", f"{param}.ffn.lin1")
        h = b.gelu_erf(h, f"{scope}/ffn/activation")
        h = b.linear3d(h, ffn, dim, f"{scope}/ffn/lin2", f"{param}.ffn.lin2")
        x = b.layer_norm(b.op("Add", [h, x], scope), dim, f"{scope}/output_layer_norm",
                         f"{param}.output_layer_norm")
    b.nodes[-1].output[0] = "last_hidden_state"
    dyn = ["batch", "seq"]
    return b.build(
        "distilbert2",
        [helper.make_tensor_value_info("input_ids", TensorProto.INT64, dyn),
         helper.make_tensor_value_info("attention_mask", TensorProto.INT64, dyn)],
        [helper.make_tensor_value_info("last_hidden_state", TensorProto.FLOAT, dyn + [dim])],
        "2-layer DistilBERT: Equal(mask, 0) -> Where(finfo.min), dynamic batch/seq")


def bert2_tt():
    """bert2 with token type embeddings from a token_type_ids input (HF
    BertModel as optimum exports it), dynamic batch/seq."""
    b = _builder(seed=13)
    hidden, heads, ffn = 64, 4, 128
    s = "/embeddings"
    pos_ids = b.init("embeddings.position_ids", np.arange(64, dtype=np.int64).reshape(1, 64))
    seq = b.shape_dim("input_ids", 1, s)
    pos = b.op("Slice", [pos_ids, b.const([0], s, np.int64), seq,
                         b.const([1], s, np.int64), b.const([1], s, np.int64)], s)
    word_tab = b.init("embeddings.word_embeddings.weight", b.weight((VOCAB, hidden), 0.1))
    type_tab = b.init("embeddings.token_type_embeddings.weight", b.weight((2, hidden), 0.1))
    pos_tab = b.init("embeddings.position_embeddings.weight", b.weight((64, hidden), 0.1))
    x = b.op("Gather", [word_tab, "input_ids"], f"{s}/word_embeddings", axis=0)
    x = b.op("Add", [x, b.op("Gather", [type_tab, "token_type_ids"],
                             f"{s}/token_type_embeddings", axis=0)], s)
    x = b.op("Add", [x, b.op("Gather", [pos_tab, pos], f"{s}/position_embeddings",
                             axis=0)], s)
    x = b.layer_norm(x, hidden, f"{s}/LayerNorm", "embeddings.LayerNorm")
    ext = _extended_mask(b, "attention_mask")
    for i in range(2):
        x = _m["_bert_layer"](b, x, f"/encoder/layer.{i}", f"encoder.layer.{i}",
                              hidden, heads, ffn, mask=ext)
    b.nodes[-1].output[0] = "last_hidden_state"
    dyn = ["batch", "seq"]
    return b.build(
        "bert2_tt",
        [helper.make_tensor_value_info("input_ids", TensorProto.INT64, dyn),
         helper.make_tensor_value_info("attention_mask", TensorProto.INT64, dyn),
         helper.make_tensor_value_info("token_type_ids", TensorProto.INT64, dyn)],
        [helper.make_tensor_value_info("last_hidden_state", TensorProto.FLOAT,
                                       dyn + [hidden])],
        "2-layer BERT with token_type_ids, dynamic batch/seq")


# ---------------------------------------------------------------------------
# GPT-2 with past key/values (one decode step)
# ---------------------------------------------------------------------------
GPT2_HEADS, GPT2_HIDDEN = 4, 64
GPT2_PAST_SHAPE = (2, 7)  # (batch, past) of gpt2_past; one new token


def _gpt2_past_block(b, x, i, mask, causal_buf):
    bench = _m["_bench_models"]()
    hidden, heads, ffn = GPT2_HIDDEN, GPT2_HEADS, 256
    hd = hidden // heads
    scope, param = f"/h.{i}", f"h.{i}"
    sa = f"{scope}/attn"
    h = b.layer_norm(x, hidden, f"{scope}/ln_1", f"{param}.ln_1", eps=1e-5)
    qkv = bench._conv1d(b, h, hidden, 3 * hidden, f"{sa}/c_attn", f"{param}.attn.c_attn")
    q, k, v = b.op("Split", [qkv, b.const([hidden] * 3, sa, np.int64)], sa,
                   num_outputs=3, axis=2)

    def split_heads(t):
        r = _view(b, t, [("dim", t, 0), ("dim", t, 1), heads, hd], sa)
        return b.op("Transpose", [r], sa, perm=[0, 2, 1, 3])

    q, k, v = split_heads(q), split_heads(k), split_heads(v)
    # key = torch.cat((past_key, key), dim=-2); present = (key, value)
    k = b.op("Concat", [f"past_key_values.{i}.key", k], sa, axis=-2)
    b.nodes[-1].output[0] = k = f"present.{i}.key"
    v = b.op("Concat", [f"past_key_values.{i}.value", v], sa, axis=-2)
    b.nodes[-1].output[0] = v = f"present.{i}.value"
    w = b.op("MatMul", [q, b.op("Transpose", [k], sa, perm=[0, 1, 3, 2])], sa)
    w = b.op("Div", [w, b.const(math.sqrt(hd), sa)], sa)
    # causal_mask = self.bias[:, :, key_length - query_length:key_length, :key_length]
    q_len = b.op("Gather", [b.op("Shape", [q], sa), b.const(-2, sa, np.int64)], sa, axis=0)
    k_len = b.op("Gather", [b.op("Shape", [k], sa), b.const(-2, sa, np.int64)], sa, axis=0)
    start = b.op("Unsqueeze", [b.op("Sub", [k_len, q_len], sa), b.const([0], sa, np.int64)],
                 sa)
    end = b.op("Unsqueeze", [k_len, b.const([0], sa, np.int64)], sa)
    cm = b.op("Slice", [causal_buf, start, end, b.const([2], sa, np.int64),
                        b.const([1], sa, np.int64)], sa)
    cm = b.op("Slice", [cm, b.const([0], sa, np.int64), end, b.const([3], sa, np.int64),
                        b.const([1], sa, np.int64)], sa)
    w = b.op("Where", [cm, w, b.const(FLOAT32_MIN, sa)], sa)
    w = b.op("Add", [w, mask], sa)
    p = b.op("Softmax", [w], sa, axis=-1)
    ctx = b.op("Transpose", [b.op("MatMul", [p, v], sa)], sa, perm=[0, 2, 1, 3])
    ctx = _view(b, ctx, [("dim", ctx, 0), ("dim", ctx, 1), hidden], sa)
    a = bench._conv1d(b, ctx, hidden, hidden, f"{sa}/c_proj", f"{param}.attn.c_proj")
    x = b.op("Add", [a, x], scope)
    h = b.layer_norm(x, hidden, f"{scope}/ln_2", f"{param}.ln_2", eps=1e-5)
    h = bench._conv1d(b, h, hidden, ffn, f"{scope}/mlp/c_fc", f"{param}.mlp.c_fc")
    h = b.gelu_tanh(h, f"{scope}/mlp/act")
    h = bench._conv1d(b, h, ffn, hidden, f"{scope}/mlp/c_proj", f"{param}.mlp.c_proj")
    return b.op("Add", [x, h], scope)


def _gpt2_past(name, batch, past, seq):
    """HF GPT2Model forward with past_key_values (legacy tuples) and
    use_cache=True: outputs last_hidden_state and present.N.key/value."""
    b = _builder(seed=14)
    b.init_range = None
    hidden, heads, layers, n_pos = GPT2_HIDDEN, GPT2_HEADS, 2, 64
    hd = hidden // heads
    # past_length = past_key_values[0][0].size(-2)
    # position_ids = torch.arange(past_length, input_shape[-1] + past_length).unsqueeze(0)
    past_len = b.op("Gather", [b.op("Shape", ["past_key_values.0.key"], ""),
                               b.const(2, "", np.int64)], "", axis=0)
    seq_len = b.op("Gather", [b.op("Shape", ["input_ids"], ""), b.const(1, "", np.int64)], "",
                   axis=0)
    limit = b.op("Add", [seq_len, past_len], "")
    pos = b.op("Range", [past_len, limit, b.const(1, "", np.int64)], "")
    pos = b.op("Unsqueeze", [pos, b.const([0], "", np.int64)], "")
    wte = b.init("wte.weight", b.weight((VOCAB, hidden), 0.1))
    wpe = b.init("wpe.weight", b.weight((n_pos, hidden), 0.1))
    x = b.op("Add", [b.op("Gather", [wte, "input_ids"], "/wte", axis=0),
                     b.op("Gather", [wpe, pos], "/wpe", axis=0)], "")
    am = _view(b, "attention_mask", [("dim", "input_ids", 0), -1], "")
    mask = _extended_mask(b, am)
    causal = b.init("h.attn.bias", np.tril(np.ones((n_pos, n_pos), dtype=bool))
                    .reshape(1, 1, n_pos, n_pos))
    for i in range(layers):
        x = _gpt2_past_block(b, x, i, mask, causal)
    b.layer_norm(x, hidden, "/ln_f", "ln_f", eps=1e-5)
    b.nodes[-1].output[0] = "last_hidden_state"
    total = "past_seq" if isinstance(past, str) else past + seq  # keys after the concat
    inputs = [helper.make_tensor_value_info("input_ids", TensorProto.INT64, [batch, seq])]
    outputs = [helper.make_tensor_value_info("last_hidden_state", TensorProto.FLOAT,
                                             [batch, seq, hidden])]
    for i in range(layers):
        for kind in ("key", "value"):
            inputs.append(helper.make_tensor_value_info(
                f"past_key_values.{i}.{kind}", TensorProto.FLOAT, [batch, heads, past, hd]))
            outputs.append(helper.make_tensor_value_info(
                f"present.{i}.{kind}", TensorProto.FLOAT, [batch, heads, total, hd]))
    inputs.append(helper.make_tensor_value_info("attention_mask", TensorProto.INT64,
                                                [batch, total]))
    return b.build(name, inputs, outputs,
                   "2-layer GPT-2 decode step with past key/values and present outputs")


def gpt2_past():
    """One decode step: input_ids [2, 1], past length 7, static shapes."""
    bsz, past = GPT2_PAST_SHAPE
    return _gpt2_past("gpt2_past", bsz, past, 1)


def gpt2_past_dyn():
    """gpt2_past with symbolic batch, past length and new-token count: one
    binary for every cache length (e2e runs past = --seq, 1 + seq % 3 new
    tokens, so the causal slice at offset `past` masks something)."""
    return _gpt2_past("gpt2_past_dyn", "batch", "past", "seq")


def _gpt2_past_inputs(name, seq, batch, rng):
    if name == "gpt2_past":
        batch, past = GPT2_PAST_SHAPE
        new = 1
    else:
        past = 8 if seq is None else seq
        new = 1 + past % 3
    hd = GPT2_HIDDEN // GPT2_HEADS
    total = past + new
    inputs = {"input_ids": rng.integers(0, VOCAB, size=(batch, new), dtype=np.int64)}
    for i in range(2):
        for kind in ("key", "value"):
            inputs[f"past_key_values.{i}.{kind}"] = (
                rng.standard_normal((batch, GPT2_HEADS, past, hd)) * 0.5).astype(np.float32)
    mask = np.ones((batch, total), dtype=np.int64)
    if batch > 1:
        mask[1, :2] = 0  # left padding, as batched generation pads
    inputs["attention_mask"] = mask
    return inputs


# ---------------------------------------------------------------------------
# LLaMA
# ---------------------------------------------------------------------------
LLAMA = dict(hidden=64, heads=4, kv_heads=2, ffn=128, layers=2, max_pos=64, eps=1e-6,
             theta=10000.0)
LLAMA_SHAPE = (2, 12)  # (batch, seq) of the static llama2_rms


def _rms_norm(b, x, scope, param, use_op):
    """LlamaRMSNorm: weight * (x * rsqrt(mean(x^2) + eps)); torch exports
    rsqrt as Div(1, Sqrt). With use_op, the opset-23 RMSNormalization."""
    hidden, eps = LLAMA["hidden"], LLAMA["eps"]
    w = b.init(f"{param}.weight", (1.0 + b.weight((hidden,), 0.1)).astype(np.float32))
    if use_op:
        return b.op("RMSNormalization", [x, w], scope, axis=-1, epsilon=eps)
    h = b.op("Cast", [x], scope, to=TensorProto.FLOAT)
    p = b.op("Pow", [h, b.const(2.0, scope)], scope)
    var = b.op("ReduceMean", [p], scope, axes=[-1], keepdims=1)
    r = b.op("Sqrt", [b.op("Add", [var, b.const(eps, scope)], scope)], scope)
    r = b.op("Div", [b.const(1.0, scope), r], scope)
    h = b.op("Mul", [h, r], scope)
    h = b.op("Cast", [h], scope, to=TensorProto.FLOAT)
    return b.op("Mul", [w, h], scope)


def _rotate_half(b, x, scope):
    """torch.cat((-x[..., d // 2:], x[..., :d // 2]), dim=-1), d from the shape."""
    d = b.op("Gather", [b.op("Shape", [x], scope), b.const(3, scope, np.int64)], scope, axis=0)
    half = b.op("Div", [d, b.const(2, scope, np.int64)], scope)
    half = b.op("Unsqueeze", [half, b.const([0], scope, np.int64)], scope)
    x1 = b.op("Slice", [x, b.const([0], scope, np.int64), half, b.const([3], scope, np.int64),
                        b.const([1], scope, np.int64)], scope)
    x2 = b.op("Slice", [x, half, b.const([2 ** 63 - 1], scope, np.int64),
                        b.const([3], scope, np.int64), b.const([1], scope, np.int64)], scope)
    return b.op("Concat", [b.op("Neg", [x2], scope), x1], scope, axis=-1)


def _llama_causal_padding_mask(b):
    # _update_causal_mask: full((S, S), min).triu(1)[None, None].expand(B, 1, S, S),
    # then min where (causal + attention_mask[:, None, None, :]) == 0.
    s_len = b.shape_dim("input_ids", 1, "")
    full = b.op("ConstantOfShape", [b.op("Concat", [s_len, s_len], "", axis=0)], "",
                value=helper.make_tensor("", TensorProto.FLOAT, [1], [FLOAT32_MIN]))
    cm = b.op("Trilu", [full, b.const(1, "", np.int64)], "", upper=1)
    cm = b.op("Unsqueeze", [cm, b.const([0, 1], "", np.int64)], "")
    bsz = b.shape_dim("input_ids", 0, "")
    cm = b.op("Expand", [cm, b.op("Concat", [bsz, b.const([1], "", np.int64), s_len, s_len],
                                  "", axis=0)], "")
    am = b.op("Unsqueeze", ["attention_mask", b.const([1, 2], "", np.int64)], "")
    am = b.op("Cast", [am], "", to=TensorProto.FLOAT)
    pad = b.op("Equal", [b.op("Add", [cm, am], ""), b.const(0.0, "")], "")
    mask = b.op("Where", [pad, b.const(FLOAT32_MIN, ""), cm], "")
    return mask


def _llama(name, batch, seq, use_op, seed, rope_from_inv_freq, window=0):
    """HF LlamaModel (no cache), position_ids as an input (as optimum exports
    it), rotary cos/sin gathered from the cos_cached/sin_cached buffers
    (transformers 4.3x) or computed from inv_freq by MatMul, Cos and Sin
    (rope_from_inv_freq, transformers >= 4.38). With a window (Mistral's
    sliding window, static shapes, no padding input), the mask is the
    constant band a static export folds it into: key j visible to query i
    when i - window < j <= i."""
    b = _builder(seed)
    c = LLAMA
    hidden, heads, kvh = c["hidden"], c["heads"], c["kv_heads"]
    hd, rep = hidden // heads, heads // kvh
    x = b.op("Gather", [b.init("embed_tokens.weight", b.weight((VOCAB, hidden), 0.1)),
                        "input_ids"], "/embed_tokens", axis=0)
    if window:
        i, j = np.arange(seq)[:, None], np.arange(seq)[None, :]
        band = (j <= i) & (j > i - window)
        mask = b.init("sliding_window_mask",
                      np.where(band, 0.0, FLOAT32_MIN).astype(np.float32)[None, None])
    else:
        mask = _llama_causal_padding_mask(b)
    inv_freq = 1.0 / (c["theta"] ** (np.arange(0, hd, 2, dtype=np.float64) / hd))
    if rope_from_inv_freq:
        # transformers >= 4.38: freqs = (inv_freq[None, :, None].expand(B, -1, 1)
        # @ position_ids[:, None, :].float()).transpose(1, 2); emb = cat(freqs,
        # freqs); cos, sin = emb.cos(), emb.sin(), shared by every layer.
        s = "/rotary_emb"
        f = b.init("rotary_emb.inv_freq", inv_freq.astype(np.float32))
        f = b.op("Unsqueeze", [f, b.const([0, 2], s, np.int64)], s)
        f = b.op("Expand", [f, b.op("Concat", [b.shape_dim("position_ids", 0, s),
                                                b.const([hd // 2, 1], s, np.int64)],
                                      s, axis=0)], s)
        p = b.op("Unsqueeze", ["position_ids", b.const([1], s, np.int64)], s)
        p = b.op("Cast", [p], s, to=TensorProto.FLOAT)
        freqs = b.op("Transpose", [b.op("MatMul", [f, p], s)], s, perm=[0, 2, 1])
        emb = b.op("Concat", [freqs, freqs], s, axis=-1)
        rope = (b.op("Unsqueeze", [b.op("Cos", [emb], s), b.const([1], s, np.int64)], s),
                b.op("Unsqueeze", [b.op("Sin", [emb], s), b.const([1], s, np.int64)], s))
    else:
        # transformers 4.3x caches: emb = cat(freqs, freqs); cos/sin [max_pos, hd]
        freqs = np.outer(np.arange(c["max_pos"], dtype=np.float64), inv_freq)
        emb = np.concatenate([freqs, freqs], axis=-1)
        cos_cached = b.init("rotary_emb.cos_cached", np.cos(emb).astype(np.float32))
        sin_cached = b.init("rotary_emb.sin_cached", np.sin(emb).astype(np.float32))
    for i in range(c["layers"]):
        scope, param = f"/layers.{i}", f"layers.{i}"
        sa = f"{scope}/self_attn"
        h = _rms_norm(b, x, f"{scope}/input_layernorm", f"{param}.input_layernorm", use_op)

        def proj(n_heads, which):
            t = _linear_nobias(b, h, hidden, n_heads * hd, f"{sa}/{which}_proj")
            t = _view(b, t, [("dim", h, 0), ("dim", h, 1), n_heads, hd], sa)
            return b.op("Transpose", [t], sa, perm=[0, 2, 1, 3])

        q, k, v = proj(heads, "q"), proj(kvh, "k"), proj(kvh, "v")
        if rope_from_inv_freq:
            cos, sin = rope
        else:
            # cos, sin = self.rotary_emb(v, seq_len=kv_seq_len): cos_cached[:seq_len]
            kv_len = b.shape_dim(k, 2, sa)
            cos = b.op("Slice", [cos_cached, b.const([0], sa, np.int64), kv_len,
                                 b.const([0], sa, np.int64), b.const([1], sa, np.int64)], sa)
            sin = b.op("Slice", [sin_cached, b.const([0], sa, np.int64), kv_len,
                                 b.const([0], sa, np.int64), b.const([1], sa, np.int64)], sa)
            # apply_rotary_pos_emb: cos[position_ids].unsqueeze(1)
            cos = b.op("Unsqueeze", [b.op("Gather", [cos, "position_ids"], sa, axis=0),
                                     b.const([1], sa, np.int64)], sa)
            sin = b.op("Unsqueeze", [b.op("Gather", [sin, "position_ids"], sa, axis=0),
                                     b.const([1], sa, np.int64)], sa)
        q = b.op("Add", [b.op("Mul", [q, cos], sa),
                         b.op("Mul", [_rotate_half(b, q, sa), sin], sa)], sa)
        k = b.op("Add", [b.op("Mul", [k, cos], sa),
                         b.op("Mul", [_rotate_half(b, k, sa), sin], sa)], sa)

        def repeat_kv(t):
            # t[:, :, None].expand(B, kvh, rep, S, hd).reshape(B, kvh * rep, S, hd)
            u = b.op("Unsqueeze", [t, b.const([2], sa, np.int64)], sa)
            shape = b.op("Concat", [b.shape_dim(t, 0, sa), b.const([kvh], sa, np.int64),
                                    b.const([rep], sa, np.int64), b.shape_dim(t, 2, sa),
                                    b.const([hd], sa, np.int64)], sa, axis=0)
            e = b.op("Expand", [u, shape], sa)
            return _view(b, e, [("dim", t, 0), kvh * rep, ("dim", t, 2), hd], sa)

        k, v = repeat_kv(k), repeat_kv(v)
        w = b.op("MatMul", [q, b.op("Transpose", [k], sa, perm=[0, 1, 3, 2])], sa)
        w = b.op("Div", [w, b.const(math.sqrt(hd), sa)], sa)
        w = b.op("Add", [w, mask], sa)
        p = b.op("Softmax", [w], sa, axis=-1)
        p = b.op("Cast", [p], sa, to=TensorProto.FLOAT)  # softmax(dtype=float32).to(dtype)
        o = b.op("Transpose", [b.op("MatMul", [p, v], sa)], sa, perm=[0, 2, 1, 3])
        o = _view(b, o, [("dim", h, 0), ("dim", h, 1), hidden], sa)
        o = _linear_nobias(b, o, hidden, hidden, f"{sa}/o_proj")
        x = b.op("Add", [x, o], scope)
        h = _rms_norm(b, x, f"{scope}/post_attention_layernorm",
                      f"{param}.post_attention_layernorm", use_op)
        mlp = f"{scope}/mlp"
        g = _linear_nobias(b, h, hidden, c["ffn"], f"{mlp}/gate_proj")
        g = b.op("Mul", [g, b.op("Sigmoid", [g], f"{mlp}/act_fn")], f"{mlp}/act_fn")
        u = _linear_nobias(b, h, hidden, c["ffn"], f"{mlp}/up_proj")
        d = _linear_nobias(b, b.op("Mul", [g, u], mlp), c["ffn"], hidden, f"{mlp}/down_proj")
        x = b.op("Add", [x, d], scope)
    _rms_norm(b, x, "/norm", "norm", use_op)
    b.nodes[-1].output[0] = "last_hidden_state"
    dims = [batch, seq]
    inputs = ["input_ids", "position_ids"] if window else \
        ["input_ids", "attention_mask", "position_ids"]
    return b.build(
        name,
        [helper.make_tensor_value_info(n, TensorProto.INT64, dims) for n in inputs],
        [helper.make_tensor_value_info("last_hidden_state", TensorProto.FLOAT,
                                       dims + [hidden])],
        "2-layer LLaMA (GQA 4/2 heads, RoPE, SiLU MLP, "
        + ("RMSNormalization op" if use_op else "decomposed RMSNorm")
        + (f", sliding window {window}" if window else "") + ")",
        **({"opset": 23} if use_op else {}))


def llama2():
    """LLaMA with the decomposed RMSNorm (opset 17), dynamic batch/seq: the
    Trilu runs on a run-time [seq, seq] tensor."""
    return _llama("llama2", "batch", "seq", use_op=False, seed=15, rope_from_inv_freq=False)


def llama2_rms():
    """LLaMA with the RMSNormalization op (opset 23) and rotary cos/sin from
    inv_freq, static [2, 12]."""
    return _llama("llama2_rms", *LLAMA_SHAPE, use_op=True, seed=16, rope_from_inv_freq=True)


MISTRAL_SHAPE = (2, 24)  # (batch, seq) of the static mistral2
MISTRAL_WINDOW = 5


def mistral2():
    """Mistral: LLaMA with a sliding window of 5 over 24 tokens, the mask a
    constant band (as a static-shape export folds it), which
    tsr-recompose-attention turns into the attention's window."""
    return _llama("mistral2", *MISTRAL_SHAPE, use_op=False, seed=19,
                  rope_from_inv_freq=True, window=MISTRAL_WINDOW)


def _llama_inputs(name, seq, batch, rng):
    if name == "mistral2":
        batch, seq = MISTRAL_SHAPE
        ids = rng.integers(0, VOCAB, size=(batch, seq), dtype=np.int64)
        pos = np.tile(np.arange(seq, dtype=np.int64), (batch, 1))
        return {"input_ids": ids, "position_ids": pos}
    if name == "llama2_rms":
        batch, seq = LLAMA_SHAPE
    seq = 8 if seq is None else seq
    ids = rng.integers(0, VOCAB, size=(batch, seq), dtype=np.int64)
    mask = np.ones((batch, seq), dtype=np.int64)
    pos = np.tile(np.arange(seq, dtype=np.int64), (batch, 1))
    if batch > 1:
        # Left padding on row 1, positions as generate() computes them.
        npad = max(1, seq // 4)
        mask[1, :npad] = 0
        ids[1, :npad] = 0
        pos[1] = np.maximum(np.cumsum(mask[1]) - 1, 1)
    return {"input_ids": ids, "attention_mask": mask, "position_ids": pos}


# ---------------------------------------------------------------------------
# The ops behind these families, one per output, over dynamic dims
# ---------------------------------------------------------------------------
def sequence_ops():
    """x [batch, seq] -> every CumSum form (exclusive, reverse, both, negative
    axis), Trilu upper k=1 and lower k=-1 on a run-time shape, and Range over
    run-time bounds (arange(seq, 4 * seq, 3)), each a graph output."""
    b = _builder(seed=18)
    s = "/ops"
    outs = []

    def out(name):
        b.nodes[-1].output[0] = name
        outs.append(name)

    b.op("CumSum", ["x", b.const(1, s, np.int64)], s)
    out("cumsum")
    b.op("CumSum", ["x", b.const(1, s, np.int64)], s, exclusive=1)
    out("cumsum_exclusive")
    b.op("CumSum", ["x", b.const(-1, s, np.int32)], s, reverse=1)
    out("cumsum_reverse")
    b.op("CumSum", ["x", b.const(0, s, np.int64)], s, exclusive=1, reverse=1)
    out("cumsum_exclusive_reverse")
    b.op("Trilu", ["x", b.const(1, s, np.int64)], s, upper=1)
    out("triu_1")
    b.op("Trilu", ["x", b.const(-1, s, np.int64)], s, upper=0)
    out("tril_m1")
    n = b.op("Gather", [b.op("Shape", ["x"], s), b.const(1, s, np.int64)], s, axis=0)
    limit = b.op("Mul", [n, b.const(4, s, np.int64)], s)
    b.op("Range", [n, limit, b.const(3, s, np.int64)], s)
    out("range")
    dyn = ["batch", "seq"]
    return b.build(
        "sequence_ops",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, dyn)],
        [helper.make_tensor_value_info(o, TensorProto.INT64, ["n"]) if o == "range"
         else helper.make_tensor_value_info(o, TensorProto.FLOAT, dyn) for o in outs],
        "CumSum, Trilu and Range forms over run-time dims")


def _sequence_ops_inputs(name, seq, batch, rng):
    seq = 8 if seq is None else seq
    return {"x": rng.standard_normal((batch, seq)).astype(np.float32)}


# ---------------------------------------------------------------------------
# Inputs and registration
# ---------------------------------------------------------------------------
def _encoder_inputs(name, seq, batch, rng):
    seq = 8 if seq is None else seq
    pad_id = ROBERTA_PAD if name == "roberta2" else 0
    low = 3 if name == "roberta2" else 0
    ids = rng.integers(low, VOCAB, size=(batch, seq), dtype=np.int64)
    mask = np.ones((batch, seq), dtype=np.int64)
    if batch > 1:
        npad = max(1, seq // 3)
        mask[1, seq - npad:] = 0
        ids[1, seq - npad:] = pad_id
    out = {"input_ids": ids, "attention_mask": mask}
    if name == "bert2_tt":
        tt = np.zeros((batch, seq), dtype=np.int64)
        tt[:, seq // 2:] = 1  # sentence B
        out["token_type_ids"] = tt
    return out


_MODELS = {
    "roberta2": (roberta2, _encoder_inputs),
    "distilbert2": (distilbert2, _encoder_inputs),
    "bert2_tt": (bert2_tt, _encoder_inputs),
    "gpt2_past": (gpt2_past, _gpt2_past_inputs),
    "gpt2_past_dyn": (gpt2_past_dyn, _gpt2_past_inputs),
    "llama2": (llama2, _llama_inputs),
    "llama2_rms": (llama2_rms, _llama_inputs),
    "mistral2": (mistral2, _llama_inputs),
    "sequence_ops": (sequence_ops, _sequence_ops_inputs),
}
_DYNAMIC = {"roberta2", "distilbert2", "bert2_tt", "gpt2_past_dyn", "llama2", "sequence_ops"}


def register(namespace):
    """Adds the families to models.py's tables (called from models.py)."""
    global _m
    _m = namespace
    for name, (build, _) in _MODELS.items():
        namespace["MODELS"][name] = build
    namespace["DYNAMIC_MODELS"].update(_DYNAMIC)
    base_inputs = namespace["make_inputs"]

    def make_inputs(name, seq=None, batch=2, seed=0):
        if name in _MODELS:
            return _MODELS[name][1](name, seq, batch, np.random.default_rng(seed))
        return base_inputs(name, seq, batch, seed)

    make_inputs.__doc__ = base_inputs.__doc__
    namespace["make_inputs"] = make_inputs
