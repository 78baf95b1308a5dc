#!/usr/bin/env python3
"""Size-parameterized ONNX models for the benchmark harness (bench/bench.py).

Built with the same `GraphBuilder` as the end-to-end tests
(test/e2e/models.py), so every graph is shaped the way `torch.onnx.export`
(opset 17, constant folding) shapes the Hugging Face model it names: weights
are initializers, `nn.Linear` on a 3-D input is `MatMul(x, W^T)` + `Add(bias,
.)`, scalars are `Constant` nodes, and with the dims left dynamic
(`dynamic_axes`) every shape is a Shape -> Gather -> Unsqueeze -> Concat web.
The text models and ViT have dynamic batch (and sequence) dims; Tessera is
compiled for one fixed shape per config (`--input-shape`), onnxruntime runs
the very same file.

Weights are random with a fixed seed per model and Hugging Face's
initializer range: every matrix (linear weights, embedding tables, the patch
convolution) is N(0, 0.02); biases and LayerNorm parameters are small random
perturbations of 0 and 1 (as in e2e). Building a model twice gives
byte-identical files.

Models (FLOPs are counted analytically by `matmul_flops`):

* `bert(...)`: HF BertModel (post-LN, erf GELU, eps 1e-12) with inputs
  input_ids, attention_mask, token_type_ids (as `optimum` exports it),
  output last_hidden_state; no pooler. The encoder layers are
  test/e2e/models.py's `_bert_layer` (dynamic-shape form).
  BERT-base: 12 layers, hidden 768, 12 heads, FFN 3072, vocab 30522.
  MiniLM-L6 (all-MiniLM-L6-v2): 6 layers, hidden 384, 12 heads, FFN 1536.
* `gpt2(...)`: HF GPT2Model (eager attention, transformers 4.3x): Range
  position ids, Conv1D as Reshape -> Gemm -> Reshape, fused c_attn split
  with Split, causal mask sliced from the `bias` buffer and applied with
  Where, pre-LN (eps 1e-5), tanh GELU; inputs input_ids, attention_mask;
  output last_hidden_state; no LM head, no KV-cache outputs (prefill only).
* `vit(...)`: HF ViTModel (ViT-B/16 at 224x224): Conv patch embedding
  (16x16, stride 16) -> flatten(2).transpose(1, 2), class token expanded
  to the batch and concatenated, position embeddings, pre-LN encoder
  layers (eps 1e-12, erf GELU), final LayerNorm; input pixel_values;
  output last_hidden_state [B, 197, 768]; no pooler.
* `gemm(m, k, n)`: one `MatMul(x[m,k], W[k,n])` + `Add(bias, .)`, static
  shape (a GEMM microbenchmark).
"""

import importlib.util
import math
import os

import numpy as np
from onnx import TensorProto, helper

_HERE = os.path.dirname(os.path.abspath(__file__))
_E2E = os.path.join(_HERE, "..", "test", "e2e", "models.py")

# The e2e builders, imported under their own name (this file is `models` too).
_spec = importlib.util.spec_from_file_location("tessera_e2e_models", _E2E)
e2e = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(e2e)

FLOAT32_MIN = e2e.FLOAT32_MIN
INIT_RANGE = 0.02  # HF initializer_range


class BenchBuilder(e2e.GraphBuilder):
    """GraphBuilder with HF's initialization scale for matrices: every weight
    of rank >= 2 is N(0, 0.02) whatever scale the layer code asks for, so
    activations keep realistic magnitudes at hidden 768 (the e2e scales are
    tuned for hidden 64). Vectors (biases, LayerNorm) keep the e2e scales.
    init_range=None keeps the e2e scales for matrices too (the small models
    of the e2e tests)."""

    def __init__(self, seed, init_range=INIT_RANGE):
        super().__init__(seed)
        self.init_range = init_range

    def weight(self, shape, scale):
        if self.init_range is not None and len(shape) >= 2:
            scale = self.init_range
        return super().weight(shape, scale)


# ---------------------------------------------------------------------------
# BERT / MiniLM
# ---------------------------------------------------------------------------
def bert(layers, hidden, heads, ffn, vocab=30522, max_pos=512, type_vocab=2, seed=100,
         name="bert"):
    """HF BertModel exported with dynamic_axes {0: 'batch', 1: 'seq'}."""
    b = BenchBuilder(seed)
    s_emb = "/embeddings"
    # position_ids = self.position_ids[:, 0:seq_length]
    pos_ids = b.init("embeddings.position_ids",
                     np.arange(max_pos, dtype=np.int64).reshape(1, max_pos))
    seq_len = b.shape_dim("input_ids", 1, s_emb)
    pos = b.op("Slice", [pos_ids, b.const([0], s_emb, np.int64), seq_len,
                         b.const([1], s_emb, np.int64), b.const([1], s_emb, np.int64)], s_emb)
    word_tab = b.init("embeddings.word_embeddings.weight", b.weight((vocab, hidden), 0.1))
    pos_tab = b.init("embeddings.position_embeddings.weight", b.weight((max_pos, hidden), 0.1))
    type_tab = b.init("embeddings.token_type_embeddings.weight",
                      b.weight((type_vocab, hidden), 0.1))
    words = b.op("Gather", [word_tab, "input_ids"], f"{s_emb}/word_embeddings", axis=0)
    types = b.op("Gather", [type_tab, "token_type_ids"], f"{s_emb}/token_type_embeddings", axis=0)
    emb = b.op("Add", [words, types], s_emb)
    pos_e = b.op("Gather", [pos_tab, pos], f"{s_emb}/position_embeddings", axis=0)
    emb = b.op("Add", [emb, pos_e], s_emb)
    x = b.layer_norm(emb, hidden, f"{s_emb}/LayerNorm", "embeddings.LayerNorm")

    mask = _extended_mask(b, "attention_mask")
    for i in range(layers):
        x = e2e._bert_layer(b, x, f"/encoder/layer.{i}", f"encoder.layer.{i}",
                            hidden, heads, ffn, mask=mask)
    b.nodes[-1].output[0] = "last_hidden_state"

    dyn = ["batch", "seq"]
    return b.build(
        name,
        [helper.make_tensor_value_info("input_ids", TensorProto.INT64, dyn),
         helper.make_tensor_value_info("attention_mask", TensorProto.INT64, dyn),
         helper.make_tensor_value_info("token_type_ids", TensorProto.INT64, dyn)],
        [helper.make_tensor_value_info("last_hidden_state", TensorProto.FLOAT, dyn + [hidden])],
        f"BertModel: {layers} layers, hidden {hidden}, {heads} heads, FFN {ffn}, vocab {vocab}")


def _extended_mask(b, name):
    """HF get_extended_attention_mask: (1 - mask[:, None, None, :]) * finfo.min."""
    m = b.op("Unsqueeze", [name, b.const([1], "", np.int64)], "")
    m = b.op("Unsqueeze", [m, b.const([2], "", np.int64)], "")
    m = b.op("Cast", [m], "", to=TensorProto.FLOAT)
    m = b.op("Sub", [b.const(1.0, ""), m], "")
    return b.op("Mul", [m, b.const(FLOAT32_MIN, "")], "")          # [B,1,1,S]


# ---------------------------------------------------------------------------
# GPT-2
# ---------------------------------------------------------------------------
def _conv1d(b, x, n_in, n_out, scope, param):
    """transformers' Conv1D: size_out = x.size()[:-1] + (nf,);
    x = addmm(bias, x.view(-1, x.size(-1)), weight); x.view(size_out).
    The weight is [n_in, n_out] (not transposed): Gemm(transB=0)."""
    shp = b.op("Shape", [x], scope)
    lead = b.op("Slice", [shp, b.const([0], scope, np.int64), b.const([-1], scope, np.int64),
                          b.const([0], scope, np.int64)], scope)
    size_out = b.op("Concat", [lead, b.const([n_out], scope, np.int64)], scope, axis=0)
    x2 = b.op("Reshape", [x, b.const([-1, n_in], scope, np.int64)], scope)
    w = b.init(f"{param}.weight", b.weight((n_in, n_out), 0.05))
    bias = b.init(f"{param}.bias", b.weight((n_out,), 0.05))
    y = b.op("Gemm", [x2, w, bias], scope, alpha=1.0, beta=1.0)
    return b.op("Reshape", [y, size_out], scope)


def _gpt2_block(b, x, scope, param, hidden, heads, ffn, causal_buf, mask):
    head_dim = hidden // heads
    s_attn = f"{scope}/attn"
    h = b.layer_norm(x, hidden, f"{scope}/ln_1", f"{param}.ln_1", eps=1e-5)
    qkv = _conv1d(b, h, hidden, 3 * hidden, f"{s_attn}/c_attn", f"{param}.attn.c_attn")
    q, k, v = b.op("Split", [qkv, b.const([hidden] * 3, s_attn, np.int64)], s_attn,
                   num_outputs=3, axis=2)

    def split_heads(t, perm):
        # tensor.view(size()[:-1] + (heads, head_dim)).permute(0, 2, 1, 3)
        d0 = b.shape_dim(t, 0, s_attn)
        d1 = b.shape_dim(t, 1, s_attn)
        shape = b.op("Concat", [d0, d1, b.const([heads], s_attn, np.int64),
                                b.const([head_dim], s_attn, np.int64)], s_attn, axis=0)
        r = b.op("Reshape", [t, shape], s_attn)
        return b.op("Transpose", [r], s_attn, perm=perm)

    q = split_heads(q, [0, 2, 1, 3])
    k = split_heads(k, [0, 2, 3, 1])  # permute(0,2,1,3) + transpose(-1,-2), fused by the exporter
    v = split_heads(v, [0, 2, 1, 3])
    w = b.op("MatMul", [q, k], s_attn)                               # [B,H,S,S]
    w = b.op("Div", [w, b.const(math.sqrt(head_dim), s_attn)], s_attn)
    # causal_mask = self.bias[:, :, key_length - query_length:key_length, :key_length]
    q_len = b.op("Gather", [b.op("Shape", [q], s_attn), b.const(-2, s_attn, np.int64)],
                 s_attn, axis=0)
    k_len = b.op("Gather", [b.op("Shape", [k], s_attn), b.const(-1, s_attn, np.int64)],
                 s_attn, axis=0)
    start = b.op("Sub", [k_len, q_len], s_attn)
    start = b.op("Unsqueeze", [start, b.const([0], s_attn, np.int64)], s_attn)
    end = b.op("Unsqueeze", [k_len, b.const([0], s_attn, np.int64)], s_attn)
    cm = b.op("Slice", [causal_buf, start, end, b.const([2], s_attn, np.int64),
                        b.const([1], s_attn, np.int64)], s_attn)
    cm = b.op("Slice", [cm, b.const([0], s_attn, np.int64), end,
                        b.const([3], s_attn, np.int64), b.const([1], s_attn, np.int64)], s_attn)
    w = b.op("Where", [cm, w, b.const(FLOAT32_MIN, s_attn)], s_attn)
    w = b.op("Add", [w, mask], s_attn)
    p = b.op("Softmax", [w], s_attn, axis=-1)
    ctx = b.op("MatMul", [p, v], s_attn)                             # [B,H,S,D]
    ctx = b.op("Transpose", [ctx], s_attn, perm=[0, 2, 1, 3])
    c0 = b.shape_dim(ctx, 0, s_attn)
    c1 = b.shape_dim(ctx, 1, s_attn)
    shape = b.op("Concat", [c0, c1, b.const([hidden], s_attn, np.int64)], s_attn, axis=0)
    ctx = b.op("Reshape", [ctx, shape], s_attn)
    a = _conv1d(b, ctx, hidden, hidden, f"{s_attn}/c_proj", f"{param}.attn.c_proj")
    x = b.op("Add", [a, x], scope)                                   # attn_output + residual

    h = b.layer_norm(x, hidden, f"{scope}/ln_2", f"{param}.ln_2", eps=1e-5)
    h = _conv1d(b, h, hidden, ffn, f"{scope}/mlp/c_fc", f"{param}.mlp.c_fc")
    h = b.gelu_tanh(h, f"{scope}/mlp/act")
    h = _conv1d(b, h, ffn, hidden, f"{scope}/mlp/c_proj", f"{param}.mlp.c_proj")
    return b.op("Add", [x, h], scope)                                # residual + feed_forward


def gpt2(layers=12, hidden=768, heads=12, ffn=3072, vocab=50257, n_positions=1024, seed=200,
         name="gpt2", batch="batch", seq="seq", init_range=INIT_RANGE):
    """HF GPT2Model exported with dynamic_axes {0: 'batch', 1: 'seq'}.

    `batch` / `seq` are the input dims: names (symbolic, the default) or ints
    (the graph is the same, only the declared input and output shapes are
    static). `init_range` as BenchBuilder's."""
    b = BenchBuilder(seed, init_range)
    # position_ids = torch.arange(0, input_shape[-1]).unsqueeze(0)
    seq_len = b.op("Gather", [b.op("Shape", ["input_ids"], ""), b.const(1, "", np.int64)], "",
                   axis=0)
    pos = b.op("Range", [b.const(0, "", np.int64), seq_len, b.const(1, "", np.int64)], "")
    pos = b.op("Unsqueeze", [pos, b.const([0], "", np.int64)], "")
    wte = b.init("wte.weight", b.weight((vocab, hidden), 0.1))
    wpe = b.init("wpe.weight", b.weight((n_positions, hidden), 0.1))
    tok = b.op("Gather", [wte, "input_ids"], "/wte", axis=0)
    x = b.op("Add", [tok, b.op("Gather", [wpe, pos], "/wpe", axis=0)], "")
    # attention_mask.view(batch_size, -1)[:, None, None, :], (1 - m) * finfo.min
    bsz = b.shape_dim("input_ids", 0, "")
    am = b.op("Reshape", ["attention_mask",
                          b.op("Concat", [bsz, b.const([-1], "", np.int64)], "", axis=0)], "")
    mask = _extended_mask(b, am)
    causal = b.init("h.attn.bias", np.tril(np.ones((n_positions, n_positions), dtype=bool))
                    .reshape(1, 1, n_positions, n_positions))
    for i in range(layers):
        x = _gpt2_block(b, x, f"/h.{i}", f"h.{i}", hidden, heads, ffn, causal, mask)
    x = b.layer_norm(x, hidden, "/ln_f", "ln_f", eps=1e-5)
    b.nodes[-1].output[0] = "last_hidden_state"
    dyn = [batch, seq]
    return b.build(
        name,
        [helper.make_tensor_value_info("input_ids", TensorProto.INT64, dyn),
         helper.make_tensor_value_info("attention_mask", TensorProto.INT64, dyn)],
        [helper.make_tensor_value_info("last_hidden_state", TensorProto.FLOAT, dyn + [hidden])],
        f"GPT2Model: {layers} layers, hidden {hidden}, {heads} heads, FFN {ffn}, vocab {vocab}")


# ---------------------------------------------------------------------------
# ViT
# ---------------------------------------------------------------------------
def _self_attention(b, x, scope, param, hidden, heads):
    """HF ViTSelfAttention + ViTSelfOutput.dense (dynamic batch): returns the
    projected context, before the residual."""
    head_dim = hidden // heads
    s_self = f"{scope}/attention/attention"
    p_self = f"{param}.attention.attention"

    def split_heads(t, perm):
        d0 = b.shape_dim(t, 0, s_self)
        d1 = b.shape_dim(t, 1, s_self)
        shape = b.op("Concat", [d0, d1, b.const([heads], s_self, np.int64),
                                b.const([head_dim], s_self, np.int64)], s_self, axis=0)
        return b.op("Transpose", [b.op("Reshape", [t, shape], s_self)], s_self, perm=perm)

    q = split_heads(b.linear3d(x, hidden, hidden, f"{s_self}/query", f"{p_self}.query"),
                    [0, 2, 1, 3])
    k = split_heads(b.linear3d(x, hidden, hidden, f"{s_self}/key", f"{p_self}.key"),
                    [0, 2, 3, 1])
    v = split_heads(b.linear3d(x, hidden, hidden, f"{s_self}/value", f"{p_self}.value"),
                    [0, 2, 1, 3])
    s = b.op("MatMul", [q, k], s_self)
    s = b.op("Div", [s, b.const(math.sqrt(head_dim), s_self)], s_self)
    p = b.op("Softmax", [s], s_self, axis=-1)
    ctx = b.op("Transpose", [b.op("MatMul", [p, v], s_self)], s_self, perm=[0, 2, 1, 3])
    c0 = b.shape_dim(ctx, 0, s_self)
    c1 = b.shape_dim(ctx, 1, s_self)
    shape = b.op("Concat", [c0, c1, b.const([hidden], s_self, np.int64)], s_self, axis=0)
    ctx = b.op("Reshape", [ctx, shape], s_self)
    return b.linear3d(ctx, hidden, hidden, f"{scope}/attention/output/dense",
                      f"{param}.attention.output.dense")


def vit(layers=12, hidden=768, heads=12, ffn=3072, image=224, patch=16, channels=3, seed=300,
        name="vit", batch="batch", init_range=INIT_RANGE):
    """HF ViTModel (no pooler) exported with dynamic_axes {0: 'batch'}.

    `batch` is the batch dim: a name (symbolic, the default) or an int.
    `image` need not be a multiple of `patch`: the Conv drops the remainder
    rows and columns. `init_range` as BenchBuilder's."""
    b = BenchBuilder(seed, init_range)
    n_patches = (image // patch) ** 2
    s_emb = "/embeddings"
    s_pe = f"{s_emb}/patch_embeddings/projection"
    w = b.init("embeddings.patch_embeddings.projection.weight",
               b.weight((hidden, channels, patch, patch), 0.1))
    bias = b.init("embeddings.patch_embeddings.projection.bias", b.weight((hidden,), 0.1))
    pe = b.op("Conv", ["pixel_values", w, bias], s_pe, dilations=[1, 1], group=1,
              kernel_shape=[patch, patch], pads=[0, 0, 0, 0], strides=[patch, patch])
    # .flatten(2).transpose(1, 2)
    d0 = b.shape_dim(pe, 0, f"{s_emb}/patch_embeddings")
    d1 = b.shape_dim(pe, 1, f"{s_emb}/patch_embeddings")
    flat = b.op("Reshape", [pe, b.op("Concat", [d0, d1, b.const([-1], s_emb, np.int64)],
                                     f"{s_emb}/patch_embeddings", axis=0)],
                f"{s_emb}/patch_embeddings")
    emb = b.op("Transpose", [flat], f"{s_emb}/patch_embeddings", perm=[0, 2, 1])
    # cls_tokens = self.cls_token.expand(batch_size, -1, -1): the exporter
    # replaces -1 by 1 with an Equal/Where web before Expand.
    cls = b.init("embeddings.cls_token", b.weight((1, 1, hidden), 0.1))
    bsz = b.shape_dim("pixel_values", 0, s_emb)
    size = b.op("Concat", [bsz, b.const([-1], s_emb, np.int64), b.const([-1], s_emb, np.int64)],
                s_emb, axis=0)
    is_neg = b.op("Equal", [size, b.const([-1, -1, -1], s_emb, np.int64)], s_emb)
    size = b.op("Where", [is_neg, b.const([1, 1, 1], s_emb, np.int64), size], s_emb)
    cls_tokens = b.op("Expand", [cls, size], s_emb)
    x = b.op("Concat", [cls_tokens, emb], s_emb, axis=1)
    pos = b.init("embeddings.position_embeddings", b.weight((1, n_patches + 1, hidden), 0.1))
    x = b.op("Add", [x, pos], s_emb)

    for i in range(layers):
        scope, param = f"/encoder/layer.{i}", f"encoder.layer.{i}"
        h = b.layer_norm(x, hidden, f"{scope}/layernorm_before", f"{param}.layernorm_before")
        a = _self_attention(b, h, scope, param, hidden, heads)
        x = b.op("Add", [a, x], scope)
        h = b.layer_norm(x, hidden, f"{scope}/layernorm_after", f"{param}.layernorm_after")
        h = b.linear3d(h, hidden, ffn, f"{scope}/intermediate/dense", f"{param}.intermediate.dense")
        h = b.gelu_erf(h, f"{scope}/intermediate/intermediate_act_fn")
        h = b.linear3d(h, ffn, hidden, f"{scope}/output/dense", f"{param}.output.dense")
        x = b.op("Add", [h, x], f"{scope}/output")
    b.layer_norm(x, hidden, "/layernorm", "layernorm")
    b.nodes[-1].output[0] = "last_hidden_state"
    return b.build(
        name,
        [helper.make_tensor_value_info("pixel_values", TensorProto.FLOAT,
                                       [batch, channels, image, image])],
        [helper.make_tensor_value_info("last_hidden_state", TensorProto.FLOAT,
                                       [batch, n_patches + 1, hidden])],
        f"ViTModel: {layers} layers, hidden {hidden}, {heads} heads, FFN {ffn}, "
        f"{image}x{image} / {patch}x{patch} patches")


# ---------------------------------------------------------------------------
# GEMM microbenchmark
# ---------------------------------------------------------------------------
def gemm(m, k, n, seed=400, name="gemm"):
    """y[m,n] = Add(bias[n], MatMul(x[m,k], W[k,n])), static shapes."""
    b = BenchBuilder(seed)
    w = b.init(b._numeric_name("MatMul"), b.weight((k, n), 0.05))
    bias = b.init("fc.bias", b.weight((n,), 0.05))
    mm = b.op("MatMul", ["x", w], "/fc")
    b.op("Add", [bias, mm], "/fc")
    b.nodes[-1].output[0] = "y"
    return b.build(
        name,
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [m, k])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [m, n])],
        f"MatMul [{m},{k}]x[{k},{n}] + bias")


# ---------------------------------------------------------------------------
# The benchmark's model table
# ---------------------------------------------------------------------------
def _encoder_flops(tokens, seq, batch, layers, hidden, ffn, qkv=3, causal=False):
    """2*M*N*K for every matmul of `layers` transformer layers: Q/K/V and
    output projections, the two FFN matmuls, and the two attention matmuls
    (Q*K^T and P*V, over all heads: 2 * batch * seq * seq * hidden each).
    For a causal model only the work the mask leaves is counted: query i sees
    keys 0..i, seq*(seq+1)/2 (query, key) pairs instead of seq*seq (the
    attention kernel skips the masked blocks, so counting the full square
    would overstate its GFLOP/s)."""
    proj = 2 * tokens * hidden * hidden * (qkv + 1)
    mlp = 2 * tokens * hidden * ffn * 2
    pairs = seq * (seq + 1) // 2 if causal else seq * seq
    attn = 2 * (2 * batch * pairs * hidden)
    return layers * (proj + mlp + attn)


# name -> description, builder (no-arg, for the cached ONNX file), kind.
MODELS = {
    "bert-base": dict(
        desc="BERT-base (12 layers, hidden 768, 12 heads, FFN 3072, vocab 30522)",
        build=lambda: bert(12, 768, 12, 3072, seed=101, name="bert_base"),
        kind="text", layers=12, hidden=768, ffn=3072, seqs=[128, 384]),
    "minilm": dict(
        desc="MiniLM-L6 (6 layers, hidden 384, 12 heads, FFN 1536, vocab 30522)",
        build=lambda: bert(6, 384, 12, 1536, seed=102, name="minilm_l6"),
        kind="text", layers=6, hidden=384, ffn=1536, seqs=[128]),
    "gpt2": dict(
        desc="GPT-2 small prefill (12 layers, hidden 768, 12 heads, FFN 3072, causal)",
        build=lambda: gpt2(seed=201, name="gpt2_small"),
        kind="text", layers=12, hidden=768, ffn=3072, seqs=[128], causal=True),
    "vit-b16": dict(
        desc="ViT-B/16 at 224x224 (Conv patch embedding + class token, 12 layers)",
        build=lambda: vit(seed=301, name="vit_b16"),
        kind="image", layers=12, hidden=768, ffn=3072, image=224, patch=16),
}

GEMM_K, GEMM_N = 768, 3072


def matmul_flops(model, batch, seq):
    """Analytic matmul FLOPs (2*M*N*K per matmul) of one run."""
    if model == "gemm":
        return 2 * seq * GEMM_K * GEMM_N  # `seq` is M for the GEMM
    m = MODELS[model]
    if m["kind"] == "image":
        patches = (m["image"] // m["patch"]) ** 2
        s = patches + 1
        conv = 2 * batch * patches * m["hidden"] * (3 * m["patch"] ** 2)
        return conv + _encoder_flops(batch * s, s, batch, m["layers"], m["hidden"], m["ffn"])
    return _encoder_flops(batch * seq, seq, batch, m["layers"], m["hidden"], m["ffn"],
                          causal=m.get("causal", False))


def make_inputs(model, batch, seq, seed=0):
    """Deterministic inputs {name: array}. Text models: random token ids, an
    all-ones attention mask (no padding: every token is real work),
    token_type_ids zeros."""
    rng = np.random.default_rng(seed)
    if model == "gemm":
        return {"x": rng.standard_normal((seq, GEMM_K)).astype(np.float32)}
    m = MODELS[model]
    if m["kind"] == "image":
        img = m["image"]
        return {"pixel_values": rng.standard_normal((batch, 3, img, img)).astype(np.float32)}
    vocab = 50257 if model == "gpt2" else 30522
    ids = rng.integers(0, vocab, size=(batch, seq), dtype=np.int64)
    feeds = {"input_ids": ids, "attention_mask": np.ones((batch, seq), dtype=np.int64)}
    if model != "gpt2":
        feeds["token_type_ids"] = np.zeros((batch, seq), dtype=np.int64)
    return feeds


def build(model, seq=None):
    """The ONNX ModelProto of a model (`seq` is M for the GEMM)."""
    if model == "gemm":
        return gemm(seq, GEMM_K, GEMM_N, name=f"gemm_{seq}x{GEMM_K}x{GEMM_N}")
    return MODELS[model]["build"]()
