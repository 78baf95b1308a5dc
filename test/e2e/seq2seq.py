#!/usr/bin/env python3
"""The encoder-decoder family of Tessera's end-to-end tests: BART, tiny
(d_model 64, 2 + 2 layers, random weights, fixed seed) and shaped as the
TorchScript exporter (opset 17) emits Hugging Face's BartModel
(transformers 4.3x, eager attention): learned positions (offset 2), post-LN
layers, q scaled after its projection, attention as 3-D bmm over
batch*heads with the mask added on a [B, H, S, T] view, decoder
self-attention with the masked_fill causal mask, cross-attention to the
encoder output; outputs both hidden states. bart2 has static shapes (the
exporter's views are int64 initializers, the causal mask folds at import),
bart2_dyn dynamic batch, source and target lengths.

models.py loads this file and calls `register(globals())`, as families.py.
"""

import numpy as np
from onnx import TensorProto, helper

_m = None  # the models.py namespace, set by register()

VOCAB = 100
FLOAT32_MIN = -3.4028234663852886e38


def _builder(seed):
    return _m["GraphBuilder"](seed)


# ---------------------------------------------------------------------------
# BART (encoder-decoder)
# ---------------------------------------------------------------------------
BART_SHAPE = (2, 12, 7)  # (batch, source length, target length) of bart2

# BART's sizes are ints (static export: every view an int64 initializer) or,
# exported with dynamic axes, 1-d int64 tensors read off the inputs (every
# view a Shape -> Gather -> Unsqueeze -> Concat web).


def _bart_shape(b, dims, scope):
    if all(isinstance(d, int) for d in dims):
        return b.init(b._numeric_name("Reshape"), np.array(dims, dtype=np.int64))
    return b.op("Concat", [b.const([d], scope, np.int64) if isinstance(d, int) else d
                           for d in dims], scope, axis=0)


def _bart_times(b, d, k, scope):
    return d * k if isinstance(d, int) else b.op("Mul", [d, b.const([k], scope, np.int64)],
                                                  scope)


def _bart_arange(b, ids, n, scope):
    """torch.arange(0, n) with n = ids.size(1): a 0-d Gather when dynamic."""
    if isinstance(n, int):
        limit = b.const(n, scope, np.int64)
    else:
        limit = b.op("Gather", [b.op("Shape", [ids], scope), b.const(1, scope, np.int64)],
                     scope, axis=0)
    return b.op("Range", [b.const(0, scope, np.int64), limit, b.const(1, scope, np.int64)],
                scope)


def _bart_attention(b, x, kv, scope, param, mask, bsz, tgt, src):
    """BartAttention (eager): q scaled after its projection, heads folded
    into the batch for two bmm's."""
    d, heads = 64, 4
    hd = d // heads
    bh = _bart_times(b, bsz, heads, scope)
    q = b.linear3d(x, d, d, f"{scope}/q_proj", f"{param}.q_proj", 0.1)
    q = b.op("Mul", [q, b.const(hd ** -0.5, scope)], scope)
    k = b.linear3d(kv, d, d, f"{scope}/k_proj", f"{param}.k_proj", 0.1)
    v = b.linear3d(kv, d, d, f"{scope}/v_proj", f"{param}.v_proj", 0.1)

    def view(t, *dims):
        return b.op("Reshape", [t, _bart_shape(b, dims, scope)], scope)

    def heads_first(t, n):
        t = b.op("Transpose", [view(t, bsz, n, heads, hd)], scope, perm=[0, 2, 1, 3])
        return view(t, bh, n, hd)

    q, k, v = heads_first(q, tgt), heads_first(k, src), heads_first(v, src)
    w = b.op("MatMul", [q, b.op("Transpose", [k], scope, perm=[0, 2, 1])], scope)
    w = view(b.op("Add", [view(w, bsz, heads, tgt, src), mask], scope), bh, tgt, src)
    o = b.op("MatMul", [b.op("Softmax", [w], scope, axis=-1), v], scope)
    o = b.op("Transpose", [view(o, bsz, heads, tgt, hd)], scope, perm=[0, 2, 1, 3])
    return b.linear3d(view(o, bsz, tgt, d), d, d, f"{scope}/out_proj", f"{param}.out_proj")


def _bart_expand_mask(b, bsz, tgt, src, scope):
    """_expand_mask: inverted = 1 - mask[:, None, None, :].expand(B, 1, tgt,
    src); inverted.masked_fill(inverted.bool(), finfo.min)."""
    m = b.op("Unsqueeze", ["attention_mask", b.const([1, 2], scope, np.int64)], scope)
    m = b.op("Expand", [m, _bart_shape(b, [bsz, 1, tgt, src], scope)], scope)
    m = b.op("Cast", [m], scope, to=TensorProto.FLOAT)
    inv = b.op("Sub", [b.const(1.0, scope), m], scope)
    cond = b.op("Cast", [inv], scope, to=TensorProto.BOOL)
    return b.op("Where", [cond, b.const(FLOAT32_MIN, scope), inv], scope)


def _bart_embed(b, ids, shared, pos_tab, bsz, n, scope, param):
    # BartLearnedPositionalEmbedding: arange(0, n).expand(bsz, -1) + offset 2
    pos = _bart_arange(b, ids, n, scope)
    pos = b.op("Expand", [pos, _bart_shape(b, [bsz, n], scope)], scope)
    pos = b.op("Add", [pos, b.const(2, scope, np.int64)], scope)
    x = b.op("Gather", [shared, ids], f"{scope}/embed_tokens", axis=0)
    x = b.op("Add", [x, b.op("Gather", [pos_tab, pos], f"{scope}/embed_positions", axis=0)],
             scope)
    return b.layer_norm(x, 64, f"{scope}/layernorm_embedding", f"{param}.layernorm_embedding",
                        eps=1e-5)


def _bart_ffn(b, x, scope, param):
    h = b.linear3d(x, 64, 128, f"{scope}/fc1", f"{param}.fc1")
    h = b.gelu_erf(h, f"{scope}/activation_fn")
    h = b.linear3d(h, 128, 64, f"{scope}/fc2", f"{param}.fc2")
    return b.layer_norm(b.op("Add", [x, h], scope), 64, f"{scope}/final_layer_norm",
                        f"{param}.final_layer_norm", eps=1e-5)


def _bart(name, dynamic):
    """HF BartModel (d_model 64, 4 heads, FFN 128, 2 encoder + 2 decoder
    layers, vocab 100)."""
    b = _builder(seed=17)
    if dynamic:
        bsz = b.shape_dim("input_ids", 0, "")
        src = b.shape_dim("input_ids", 1, "")
        tgt = b.shape_dim("decoder_input_ids", 1, "")
        dims = {"b": "batch", "s": "src_len", "t": "tgt_len"}
    else:
        bsz, src, tgt = BART_SHAPE
        dims = {"b": bsz, "s": src, "t": tgt}
    shared = b.init("shared.weight", b.weight((VOCAB, 64), 0.1))
    # Encoder.
    enc_pos = b.init("encoder.embed_positions.weight", b.weight((34, 64), 0.1))
    x = _bart_embed(b, "input_ids", shared, enc_pos, bsz, src, "/encoder", "encoder")
    enc_mask = _bart_expand_mask(b, bsz, src, src, "/encoder")
    for i in range(2):
        scope, param = f"/encoder/layers.{i}", f"encoder.layers.{i}"
        a = _bart_attention(b, x, x, f"{scope}/self_attn", f"{param}.self_attn", enc_mask,
                            bsz, src, src)
        x = b.layer_norm(b.op("Add", [x, a], scope), 64, f"{scope}/self_attn_layer_norm",
                         f"{param}.self_attn_layer_norm", eps=1e-5)
        x = _bart_ffn(b, x, scope, param)
    b.nodes[-1].output[0] = enc = "encoder_last_hidden_state"
    # Decoder: _make_causal_mask, folded from shape-only ops when static.
    s = "/decoder"
    full = b.op("ConstantOfShape", [_bart_shape(b, [tgt, tgt], s)], s,
                value=helper.make_tensor("", TensorProto.FLOAT, [1], [FLOAT32_MIN]))
    cond = _bart_arange(b, "decoder_input_ids", tgt, s)
    nxt = b.op("Reshape", [b.op("Add", [cond, b.const(1, s, np.int64)], s),
                           _bart_shape(b, [tgt, 1], s)], s)
    causal = b.op("Where", [b.op("Less", [cond, nxt], s), b.const(0.0, s), full], s)
    causal = b.op("Unsqueeze", [causal, b.const([0, 1], s, np.int64)], s)
    causal = b.op("Expand", [causal, _bart_shape(b, [bsz, 1, tgt, tgt], s)], s)
    cross_mask = _bart_expand_mask(b, bsz, tgt, src, s)
    dec_pos = b.init("decoder.embed_positions.weight", b.weight((34, 64), 0.1))
    y = _bart_embed(b, "decoder_input_ids", shared, dec_pos, bsz, tgt, s, "decoder")
    for i in range(2):
        scope, param = f"/decoder/layers.{i}", f"decoder.layers.{i}"
        a = _bart_attention(b, y, y, f"{scope}/self_attn", f"{param}.self_attn", causal,
                            bsz, tgt, tgt)
        y = b.layer_norm(b.op("Add", [y, a], scope), 64, f"{scope}/self_attn_layer_norm",
                         f"{param}.self_attn_layer_norm", eps=1e-5)
        a = _bart_attention(b, y, enc, f"{scope}/encoder_attn", f"{param}.encoder_attn",
                            cross_mask, bsz, tgt, src)
        y = b.layer_norm(b.op("Add", [y, a], scope), 64, f"{scope}/encoder_attn_layer_norm",
                         f"{param}.encoder_attn_layer_norm", eps=1e-5)
        y = _bart_ffn(b, y, scope, param)
    b.nodes[-1].output[0] = "last_hidden_state"
    bd, sd, td = dims["b"], dims["s"], dims["t"]
    return b.build(
        name,
        [helper.make_tensor_value_info("input_ids", TensorProto.INT64, [bd, sd]),
         helper.make_tensor_value_info("attention_mask", TensorProto.INT64, [bd, sd]),
         helper.make_tensor_value_info("decoder_input_ids", TensorProto.INT64, [bd, td])],
        [helper.make_tensor_value_info("last_hidden_state", TensorProto.FLOAT, [bd, td, 64]),
         helper.make_tensor_value_info("encoder_last_hidden_state", TensorProto.FLOAT,
                                       [bd, sd, 64])],
        "BART encoder-decoder: 2+2 layers, causal self-attention, cross-attention")


def bart2():
    """BART with static [2, 12] source and [2, 7] target."""
    return _bart("bart2", dynamic=False)


def bart2_dyn():
    """BART exported with dynamic batch, source and target lengths: the
    views, the positions' Range and the causal mask come from run-time dims
    (e2e runs source --seq, target seq // 2 + 1)."""
    return _bart("bart2_dyn", dynamic=True)


def _bart_inputs(name, seq, batch, rng):
    bsz, src, tgt = BART_SHAPE
    if name == "bart2_dyn":
        bsz, src = batch, (8 if seq is None else seq)
        tgt = src // 2 + 1
    ids = rng.integers(3, VOCAB, size=(bsz, src), dtype=np.int64)
    mask = np.ones((bsz, src), dtype=np.int64)
    if bsz > 1:
        mask[1, src - src // 3:] = 0
        ids[1, src - src // 3:] = 1  # <pad>
    dec = rng.integers(3, VOCAB, size=(bsz, tgt), dtype=np.int64)
    dec[:, 0] = 2  # decoder_start_token_id
    return {"input_ids": ids, "attention_mask": mask, "decoder_input_ids": dec}


def register(namespace):
    """Adds bart2 and bart2_dyn to models.py's tables (called from models.py)."""
    global _m
    _m = namespace
    namespace["MODELS"].update({"bart2": bart2, "bart2_dyn": bart2_dyn})
    namespace["DYNAMIC_MODELS"].add("bart2_dyn")
    base_inputs = namespace["make_inputs"]

    def make_inputs(name, seq=None, batch=2, seed=0):
        if name in ("bart2", "bart2_dyn"):
            return _bart_inputs(name, seq, batch, np.random.default_rng(seed))
        return base_inputs(name, seq, batch, seed)

    make_inputs.__doc__ = base_inputs.__doc__
    namespace["make_inputs"] = make_inputs
