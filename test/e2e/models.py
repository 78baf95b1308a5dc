#!/usr/bin/env python3
"""ONNX models for Tessera's end-to-end tests, built with the `onnx` package.

Every model is shaped the way the TorchScript exporter (`torch.onnx.export`,
opset 17, `do_constant_folding=True`) shapes a Hugging Face / plain PyTorch
model, so that the compiler sees the same op webs it will see in real exports:

* weights are graph initializers; `nn.Linear` on a 2-D input becomes
  `Gemm(transB=1)`, on a 3-D input `MatMul(x, Wt)` with a pre-transposed weight
  initializer named like `onnx::MatMul_1234`, followed by `Add(bias, x)` with
  the bias as the *first* operand (that is how the exporter emits it);
* scalars (1.0, 0.5, sqrt(2), eps, the attention scale) are `Constant` nodes
  holding 0-d tensors; `Unsqueeze` axes and `Concat` pieces are `Constant` nodes
  holding 1-d int64 tensors (opset 13+ takes axes as an input);
* node names are scoped like the exporter's (`/encoder/layer.0/attention/self/
  query/MatMul`) and values are named `<node>_output_0`, so names contain `/`,
  `.` and `:` that code generation must sanitize;
* `nn.LayerNorm` is the opset-17 `LayerNormalization` op; a hand-written layer
  norm (older exports, custom modules) is the ReduceMean/Sub/Pow/... web;
* `F.gelu` is torch's erf symbolic Div(x, sqrt2) -> Erf -> Add(1) -> Mul(x)
  -> Mul(0.5); HF's `gelu_new` is the tanh form with Pow(x, 3);
* shapes that depend on a dynamic dim are computed at run time through
  Shape -> Gather(scalar index) -> Unsqueeze -> Concat -> Reshape webs; with
  static shapes the exporter folds these into int64 initializers.

Only these ops are used: MatMul, Gemm, Add, Sub, Mul, Div, Pow, Sqrt, Erf, Tanh,
Softmax, LayerNormalization, ReduceMean, Gather, Reshape, Transpose, Unsqueeze,
Concat, Slice, Shape, Constant, Cast. The small GPT-2 and ViT models are
bench/models.py's full-size builders at small sizes (with the e2e weight
scales) and add Range, Split, Where, Equal, Expand and Conv. The families
in families.py (RoBERTa, DistilBERT, BERT with token types, GPT-2 with a KV
cache, LLaMA, the CumSum/Trilu/Range forms) and seq2seq.py (BART) register
themselves in the tables at the end of this file and add CumSum, Not,
Trilu, ConstantOfShape, Neg, Sigmoid, Cos, Sin, Less and RMSNormalization
(opset 23).

Weights are random with a fixed seed per model (numpy default_rng), small scale
(0.02-0.1) so activations stay O(1). Building a model twice gives byte-identical
files.

Usage as a script: `models.py NAME OUT.onnx` writes one model; `models.py
--check` builds every model, runs onnx.checker (full check) and runs it in
onnxruntime.
"""

import math
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

OPSET = 17
IR_VERSION = 8  # onnxruntime 1.23 accepts IR <= 11; 8 is what torch 1.13-2.x writes for opset 17

# torch.finfo(torch.float32).min, which HF multiplies the inverted mask by.
FLOAT32_MIN = -3.4028234663852886e38


class GraphBuilder:
    """Small helper that names nodes and values the way the torch exporter does."""

    def __init__(self, seed):
        self.rng = np.random.default_rng(seed)
        self.nodes = []
        self.initializers = []
        self._node_names = set()
        self._value_id = 1000  # the exporter's numeric names (onnx::MatMul_1000)

    # -- naming ---------------------------------------------------------------
    def _unique_node_name(self, scope, op_type):
        base = f"{scope}/{op_type}"
        name, n = base, 0
        while name in self._node_names:
            n += 1
            name = f"{base}_{n}"
        self._node_names.add(name)
        return name

    def _numeric_name(self, prefix):
        self._value_id += 1
        return f"onnx::{prefix}_{self._value_id}"

    # -- graph pieces ---------------------------------------------------------
    def op(self, op_type, inputs, scope, num_outputs=1, **attrs):
        """Adds a node; returns its output name (or list of names)."""
        name = self._unique_node_name(scope, op_type)
        outputs = [f"{name}_output_{i}" for i in range(num_outputs)]
        self.nodes.append(helper.make_node(op_type, inputs, outputs, name=name, **attrs))
        return outputs[0] if num_outputs == 1 else outputs

    def const(self, value, scope, dtype=np.float32):
        """A `Constant` node (0-d for Python scalars, 1-d for lists)."""
        arr = np.array(value, dtype=dtype)
        name = self._unique_node_name(scope, "Constant")
        out = f"{name}_output_0"
        self.nodes.append(helper.make_node(
            "Constant", [], [out], name=name,
            value=numpy_helper.from_array(arr, name="")))
        return out

    def init(self, name, arr):
        self.initializers.append(numpy_helper.from_array(np.ascontiguousarray(arr), name=name))
        return name

    def weight(self, shape, scale):
        return (self.rng.standard_normal(shape) * scale).astype(np.float32)

    # -- torch module equivalents ---------------------------------------------
    def linear3d(self, x, d_in, d_out, scope, param, scale=0.05):
        """nn.Linear on a 3-D input: MatMul(x, W^T) + Add(bias, .)."""
        w_t = self.init(self._numeric_name("MatMul"), self.weight((d_in, d_out), scale))
        b = self.init(f"{param}.bias", self.weight((d_out,), scale))
        mm = self.op("MatMul", [x, w_t], scope)
        return self.op("Add", [b, mm], scope)

    def layer_norm(self, x, dim, scope, param, eps=1e-12):
        """nn.LayerNorm -> LayerNormalization (opset 17), axis=-1."""
        g = self.init(f"{param}.weight", (1.0 + self.weight((dim,), 0.1)).astype(np.float32))
        b = self.init(f"{param}.bias", self.weight((dim,), 0.1))
        return self.op("LayerNormalization", [x, g, b], scope, axis=-1, epsilon=eps)

    def layer_norm_decomposed(self, x, dim, scope, param, eps=1e-5):
        """A hand-written layer norm (old HF BertLayerNorm, custom modules):
        u = x.mean(-1, keepdim=True); s = (x - u).pow(2).mean(-1, keepdim=True)
        x = (x - u) / torch.sqrt(s + eps); return weight * x + bias
        ReduceMean keeps `axes` as an attribute up to opset 17."""
        g = self.init(f"{param}.weight", (1.0 + self.weight((dim,), 0.1)).astype(np.float32))
        b = self.init(f"{param}.bias", self.weight((dim,), 0.1))
        u = self.op("ReduceMean", [x], scope, axes=[-1], keepdims=1)
        d = self.op("Sub", [x, u], scope)
        p = self.op("Pow", [d, self.const(2.0, scope)], scope)
        s = self.op("ReduceMean", [p], scope, axes=[-1], keepdims=1)
        s = self.op("Add", [s, self.const(eps, scope)], scope)
        r = self.op("Sqrt", [s], scope)
        n = self.op("Div", [d, r], scope)
        n = self.op("Mul", [g, n], scope)
        return self.op("Add", [n, b], scope)

    def gelu_erf(self, x, scope):
        """F.gelu (torch's opset<20 symbolic): x * 0.5 * (1 + erf(x / sqrt(2)))
        emitted as Div -> Erf -> Add(1) -> Mul(x) -> Mul(0.5)."""
        d = self.op("Div", [x, self.const(1.4142135381698608, scope)], scope)
        e = self.op("Erf", [d], scope)
        a = self.op("Add", [e, self.const(1.0, scope)], scope)
        m = self.op("Mul", [x, a], scope)
        return self.op("Mul", [m, self.const(0.5, scope)], scope)

    def gelu_tanh(self, x, scope):
        """HF NewGELUActivation (gelu_new):
        0.5 * x * (1 + tanh(sqrt(2/pi) * (x + 0.044715 * x.pow(3))))."""
        h = self.op("Mul", [x, self.const(0.5, scope)], scope)
        p = self.op("Pow", [x, self.const(3.0, scope)], scope)
        k = self.op("Mul", [p, self.const(0.044715, scope)], scope)
        s = self.op("Add", [x, k], scope)
        i = self.op("Mul", [s, self.const(math.sqrt(2.0 / math.pi), scope)], scope)
        t = self.op("Tanh", [i], scope)
        a = self.op("Add", [t, self.const(1.0, scope)], scope)
        return self.op("Mul", [h, a], scope)

    def shape_dim(self, x, index, scope):
        """x.size(index) as a 1-d int64 tensor: Shape -> Gather(0-d) -> Unsqueeze."""
        shp = self.op("Shape", [x], scope)
        g = self.op("Gather", [shp, self.const(index, scope, np.int64)], scope, axis=0)
        return self.op("Unsqueeze", [g, self.const([0], scope, np.int64)], scope)

    def build(self, name, inputs, outputs, doc, opset=OPSET):
        graph = helper.make_graph(self.nodes, name, inputs, outputs,
                                  initializer=self.initializers)
        model = helper.make_model(
            graph, opset_imports=[helper.make_opsetid("", opset)],
            # opset 23 (RMSNormalization) needs IR 10, which torch 2.5+ writes.
            ir_version=IR_VERSION if opset <= 17 else 10,
            producer_name="tessera-e2e (torch.onnx-style)",
            doc_string=doc)
        onnx.checker.check_model(model, full_check=True)
        return model


# ---------------------------------------------------------------------------
# mlp: Linear -> GELU -> Linear on a 2-D input
# ---------------------------------------------------------------------------
def _mlp(decomposed_ln, seed):
    b = GraphBuilder(seed)
    d_in, d_hid, d_out = 16, 32, 8
    # nn.Linear on a 2-D input exports as Gemm(transB=1) with W in [out, in].
    w1 = b.init("fc1.weight", b.weight((d_hid, d_in), 0.1))
    b1 = b.init("fc1.bias", b.weight((d_hid,), 0.1))
    h = b.op("Gemm", ["x", w1, b1], "/fc1", alpha=1.0, beta=1.0, transB=1)
    if decomposed_ln:
        h = b.layer_norm_decomposed(h, d_hid, "/ln", "ln")
        h = b.gelu_tanh(h, "/act")
    else:
        h = b.gelu_erf(h, "/act")
    # The second projection as MatMul + Add(bias, .) with a pre-transposed
    # weight, like nn.Linear on an N-D input; exercises both Linear forms.
    w2 = b.init(b._numeric_name("MatMul"), b.weight((d_hid, d_out), 0.1))
    b2 = b.init("fc2.bias", b.weight((d_out,), 0.1))
    mm = b.op("MatMul", [h, w2], "/fc2")
    b.op("Add", [b2, mm], "/fc2")
    # Rename the last value to the graph output name, as the exporter does.
    b.nodes[-1].output[0] = "y"
    name = "mlp_decomposed_ln" if decomposed_ln else "mlp"
    return b.build(
        name,
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, d_in])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [2, d_out])],
        "Linear(16,32) -> " + ("decomposed LayerNorm -> tanh GELU" if decomposed_ln else "erf GELU")
        + " -> Linear(32,8)")


def mlp():
    """x[2,16] -> Gemm(transB=1)+bias -> erf GELU -> MatMul+Add -> y[2,8]."""
    return _mlp(decomposed_ln=False, seed=1)


def mlp_decomposed_ln():
    """mlp with a decomposed layer norm (ReduceMean, Sub, Pow, ReduceMean, Add,
    Sqrt, Div, Mul, Add) and the tanh GELU (Pow(3), Tanh) after fc1."""
    return _mlp(decomposed_ln=True, seed=2)


# ---------------------------------------------------------------------------
# BERT encoder layer (HF BertLayer), shared by bert_layer and bert2
# ---------------------------------------------------------------------------
def _bert_layer(b, x, scope, param, hidden, heads, ffn, mask=None, static_shape=None):
    """One HF BertLayer (eager attention). `scope` is like /encoder/layer.0,
    `param` like encoder.layer.0.

    static_shape=(batch, seq): shapes were constant-folded by the exporter, so
    every Reshape takes an int64 initializer, and the key is transposed in two
    steps (permute(0,2,1,3) then transpose(-1,-2)) as traced.
    static_shape=None: dynamic batch/seq; each Reshape target is a Shape ->
    Gather -> Unsqueeze -> Concat web, and the two key transposes appear as
    the exporter's peephole pass fuses them: one Transpose(perm=[0,2,3,1]).
    """
    head_dim = hidden // heads
    s_self = f"{scope}/attention/self"
    p_self = f"{param}.attention.self"

    if static_shape is not None:
        bsz, seq = static_shape
        split_shape = b.init(b._numeric_name("Reshape"),
                             np.array([bsz, seq, heads, head_dim], dtype=np.int64))
        merge_shape = b.init(b._numeric_name("Reshape"),
                             np.array([bsz, seq, hidden], dtype=np.int64))

    def split_heads(t, name):
        # transpose_for_scores: x.view(x.size()[:-1] + (heads, head_dim)).permute(0, 2, 1, 3)
        if static_shape is not None:
            shape = split_shape
        else:
            b0 = b.shape_dim(t, 0, s_self)
            b1 = b.shape_dim(t, 1, s_self)
            shape = b.op("Concat", [b0, b1, b.const([heads], s_self, np.int64),
                                    b.const([head_dim], s_self, np.int64)], s_self, axis=0)
        r = b.op("Reshape", [t, shape], s_self)
        if name == "key" and static_shape is None:
            return b.op("Transpose", [r], s_self, perm=[0, 2, 3, 1])
        r = b.op("Transpose", [r], s_self, perm=[0, 2, 1, 3])
        if name == "key":
            r = b.op("Transpose", [r], s_self, perm=[0, 1, 3, 2])
        return r

    q = split_heads(b.linear3d(x, hidden, hidden, f"{s_self}/query", f"{p_self}.query", 0.1), "query")
    k = split_heads(b.linear3d(x, hidden, hidden, f"{s_self}/key", f"{p_self}.key", 0.1), "key")
    v = split_heads(b.linear3d(x, hidden, hidden, f"{s_self}/value", f"{p_self}.value", 0.1), "value")

    scores = b.op("MatMul", [q, k], s_self)                        # [B, H, S, S]
    scores = b.op("Div", [scores, b.const(math.sqrt(head_dim), s_self)], s_self)
    if mask is not None:
        scores = b.op("Add", [scores, mask], s_self)
    probs = b.op("Softmax", [scores], s_self, axis=-1)
    ctx = b.op("MatMul", [probs, v], s_self)                       # [B, H, S, D]
    ctx = b.op("Transpose", [ctx], s_self, perm=[0, 2, 1, 3])      # [B, S, H, D]
    # context.view(context.size()[:-2] + (all_head_size,))
    if static_shape is not None:
        shape = merge_shape
    else:
        c0 = b.shape_dim(ctx, 0, s_self)
        c1 = b.shape_dim(ctx, 1, s_self)
        shape = b.op("Concat", [c0, c1, b.const([hidden], s_self, np.int64)], s_self, axis=0)
    ctx = b.op("Reshape", [ctx, shape], s_self)

    # BertSelfOutput: LayerNorm(dense(ctx) + input)
    s_out = f"{scope}/attention/output"
    h = b.linear3d(ctx, hidden, hidden, f"{s_out}/dense", f"{param}.attention.output.dense")
    h = b.op("Add", [h, x], s_out)
    attn_out = b.layer_norm(h, hidden, f"{s_out}/LayerNorm", f"{param}.attention.output.LayerNorm")

    # BertIntermediate (dense + GELU) and BertOutput (dense + residual + LayerNorm)
    i = b.linear3d(attn_out, hidden, ffn, f"{scope}/intermediate/dense",
                   f"{param}.intermediate.dense")
    i = b.gelu_erf(i, f"{scope}/intermediate/intermediate_act_fn")
    o = b.linear3d(i, ffn, hidden, f"{scope}/output/dense", f"{param}.output.dense")
    o = b.op("Add", [o, attn_out], f"{scope}/output")
    return b.layer_norm(o, hidden, f"{scope}/output/LayerNorm", f"{param}.output.LayerNorm")


def bert_layer():
    """One BERT encoder layer with static shapes (exported from a BertLayer with
    a fixed [1, 16, 64] example and constant folding): hidden 64, 4 heads,
    FFN 128, no mask."""
    b = GraphBuilder(seed=3)
    bsz, seq, hidden = 1, 16, 64
    _bert_layer(b, "hidden_states", "", "layer", hidden, heads=4, ffn=128,
                static_shape=(bsz, seq))
    b.nodes[-1].output[0] = "output"  # the final LayerNormalization is the graph output
    return b.build(
        "bert_layer",
        [helper.make_tensor_value_info("hidden_states", TensorProto.FLOAT, [bsz, seq, hidden])],
        [helper.make_tensor_value_info("output", TensorProto.FLOAT, [bsz, seq, hidden])],
        "One static-shape BERT encoder layer: hidden 64, 4 heads, FFN 128, no mask")


# ---------------------------------------------------------------------------
# bert2: embeddings + 2 encoder layers, dynamic batch and seq
# ---------------------------------------------------------------------------
BERT2_VOCAB = 100
BERT2_MAX_POS = 512


def bert2():
    """HF BertModel (2 layers, hidden 64, 4 heads, FFN 128, vocab 100, no token
    types, no pooler) exported with dynamic_axes {0: 'batch', 1: 'seq'} on
    input_ids / attention_mask / last_hidden_state."""
    b = GraphBuilder(seed=4)
    hidden, heads, ffn, layers = 64, 4, 128, 2

    # BertEmbeddings.
    #   position_ids = self.position_ids[:, 0 : seq_length]   (a [1, 512] int64 buffer)
    # seq_length comes from input_ids.size(1): Shape -> Gather(1) -> Unsqueeze
    # feeds Slice's `ends`; starts/axes/steps are Constant nodes.
    s_emb = "/embeddings"
    pos_ids = b.init("embeddings.position_ids",
                     np.arange(BERT2_MAX_POS, dtype=np.int64).reshape(1, BERT2_MAX_POS))
    seq_len = b.shape_dim("input_ids", 1, s_emb)
    pos = b.op("Slice", [pos_ids, b.const([0], s_emb, np.int64), seq_len,
                         b.const([1], s_emb, np.int64), b.const([1], s_emb, np.int64)], s_emb)
    word_tab = b.init("embeddings.word_embeddings.weight", b.weight((BERT2_VOCAB, hidden), 0.1))
    pos_tab = b.init("embeddings.position_embeddings.weight",
                     b.weight((BERT2_MAX_POS, hidden), 0.1))
    words = b.op("Gather", [word_tab, "input_ids"], f"{s_emb}/word_embeddings", axis=0)
    pos_e = b.op("Gather", [pos_tab, pos], f"{s_emb}/position_embeddings", axis=0)
    emb = b.op("Add", [words, pos_e], s_emb)                     # [B,S,64] + [1,S,64]
    x = b.layer_norm(emb, hidden, f"{s_emb}/LayerNorm", "embeddings.LayerNorm")

    # get_extended_attention_mask (pre-SDPA HF):
    #   m = attention_mask[:, None, None, :].to(float32); m = (1.0 - m) * finfo.min
    m = b.op("Unsqueeze", ["attention_mask", b.const([1], "", np.int64)], "")
    m = b.op("Unsqueeze", [m, b.const([2], "", np.int64)], "")
    m = b.op("Cast", [m], "", to=TensorProto.FLOAT)
    m = b.op("Sub", [b.const(1.0, ""), m], "")
    mask = b.op("Mul", [m, b.const(FLOAT32_MIN, "")], "")        # [B,1,1,S]

    for i in range(layers):
        x = _bert_layer(b, x, f"/encoder/layer.{i}", f"encoder.layer.{i}",
                        hidden, heads, ffn, mask=mask)
    b.nodes[-1].output[0] = "last_hidden_state"

    dyn = ["batch", "seq"]
    return b.build(
        "bert2",
        [helper.make_tensor_value_info("input_ids", TensorProto.INT64, dyn),
         helper.make_tensor_value_info("attention_mask", TensorProto.INT64, dyn)],
        [helper.make_tensor_value_info("last_hidden_state", TensorProto.FLOAT, dyn + [hidden])],
        "2-layer BERT with embeddings, dynamic batch/seq, torch-style extended mask")


# ---------------------------------------------------------------------------
# gpt2_tiny / vit_tiny: bench/models.py's GPT-2 and ViT at test sizes
# ---------------------------------------------------------------------------
_bench = None


def _bench_models():
    """bench/models.py, loaded by path (it is `models` too) on first use."""
    global _bench
    if _bench is None:
        import importlib.util
        import os
        path = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                            "..", "..", "bench", "models.py")
        spec = importlib.util.spec_from_file_location("tessera_bench_models", path)
        _bench = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(_bench)
    return _bench


GPT2_VOCAB = 100
GPT2_SHAPE = (2, 16)  # (batch, seq) of the gpt2_tiny inputs


def _gpt2_tiny(name, batch, seq):
    return _bench_models().gpt2(layers=2, hidden=64, heads=4, ffn=256, vocab=GPT2_VOCAB,
                                n_positions=32, seed=5, name=name, batch=batch, seq=seq,
                                init_range=None)


def gpt2_tiny():
    """HF GPT2Model (2 layers, hidden 64, 4 heads, FFN 256, vocab 100, 32
    positions) with static [2, 16] inputs: Range position ids over a
    compile-time length, Gemm Conv1D, Split of the fused QKV, causal mask
    with Where, tanh GELU."""
    return _gpt2_tiny("gpt2_tiny", *GPT2_SHAPE)


def gpt2_tiny_dyn():
    """gpt2_tiny exported with dynamic batch and seq: compiled with
    --input-shape (COMPILE_ARGS), which the Range needs."""
    return _gpt2_tiny("gpt2_tiny_dyn", "batch", "seq")


def _vit_tiny(name, image):
    return _bench_models().vit(layers=2, hidden=64, heads=4, ffn=128, image=image, patch=8,
                               channels=3, seed=6, name=name, init_range=None)


def vit_tiny():
    """HF ViTModel (2 layers, hidden 64, 4 heads, FFN 128) on 3x32x32 images
    with 8x8 patches (Conv kernel == stride 8) and a class token: 17 tokens,
    dynamic batch."""
    return _vit_tiny("vit_tiny", 32)


def vit_tiny_35():
    """vit_tiny on 3x35x35 images: the patch Conv drops the last 3 rows and
    columns (still 4x4 patches, 17 tokens)."""
    return _vit_tiny("vit_tiny_35", 35)


MODELS = {
    "mlp": mlp,
    "mlp_decomposed_ln": mlp_decomposed_ln,
    "bert_layer": bert_layer,
    "bert2": bert2,
    "gpt2_tiny": gpt2_tiny,
    "gpt2_tiny_dyn": gpt2_tiny_dyn,
    "vit_tiny": vit_tiny,
    "vit_tiny_35": vit_tiny_35,
}

# Models whose graph inputs have symbolic dims; e2e runs these at several seqs.
DYNAMIC_MODELS = {"bert2"}

# Image models: pixel_values [batch, 3, H, W] (batch symbolic, run at --batch).
IMAGE_SIZES = {"vit_tiny": 32, "vit_tiny_35": 35}

# Extra tessera-compile arguments a model always needs.
COMPILE_ARGS = {
    "gpt2_tiny_dyn": [f"--input-shape={n}={GPT2_SHAPE[0]}x{GPT2_SHAPE[1]}"
                      for n in ("input_ids", "attention_mask")],
}


def make_inputs(name, seq=None, batch=2, seed=0):
    """Deterministic inputs for a model, as {input name: numpy array}.

    bert2: input ids in [0, vocab); attention mask all ones except the second
    row, whose last third (at least one token) is padding (0)."""
    rng = np.random.default_rng(seed)
    if name in ("mlp", "mlp_decomposed_ln"):
        return {"x": rng.standard_normal((2, 16)).astype(np.float32)}
    if name == "bert_layer":
        return {"hidden_states": rng.standard_normal((1, 16, 64)).astype(np.float32)}
    if name == "bert2":
        seq = 8 if seq is None else seq
        ids = rng.integers(0, BERT2_VOCAB, size=(batch, seq), dtype=np.int64)
        mask = np.ones((batch, seq), dtype=np.int64)
        if batch > 1:
            pad = max(1, seq // 3)
            mask[1, seq - pad:] = 0
            ids[1, seq - pad:] = 0  # [PAD] token id, as a tokenizer writes it
        return {"input_ids": ids, "attention_mask": mask}
    if name in ("gpt2_tiny", "gpt2_tiny_dyn"):
        # Right padding on the second row, as bert2: every query keeps key 0.
        bsz, seq = GPT2_SHAPE
        ids = rng.integers(0, GPT2_VOCAB, size=(bsz, seq), dtype=np.int64)
        mask = np.ones((bsz, seq), dtype=np.int64)
        mask[1, seq - seq // 4:] = 0
        ids[1, seq - seq // 4:] = 0
        return {"input_ids": ids, "attention_mask": mask}
    if name in IMAGE_SIZES:
        img = IMAGE_SIZES[name]
        return {"pixel_values": rng.standard_normal((batch, 3, img, img)).astype(np.float32)}
    raise KeyError(name)


def run_onnxruntime(model_path, inputs):
    """Reference outputs from onnxruntime (CPU EP, all graph optimizations)."""
    import onnxruntime as ort
    so = ort.SessionOptions()
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    so.intra_op_num_threads = 1
    sess = ort.InferenceSession(str(model_path), so, providers=["CPUExecutionProvider"])
    names = [o.name for o in sess.get_outputs()]
    return dict(zip(names, sess.run(names, inputs)))


def _register_families():
    """Adds the models of test/e2e/families.py (RoBERTa, DistilBERT, GPT-2
    with a KV cache, LLaMA, ...) and seq2seq.py (BART) to the tables above;
    loaded by path, as this file is also loaded by path from bench/."""
    import importlib.util
    import os
    for name in ("families", "seq2seq"):
        path = os.path.join(os.path.dirname(os.path.abspath(__file__)), name + ".py")
        spec = importlib.util.spec_from_file_location("tessera_e2e_" + name, path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        module.register(globals())


_register_families()


def _self_check():
    import os
    import tempfile
    with tempfile.TemporaryDirectory() as tmp:
        for name, fn in MODELS.items():
            model = fn()
            path = os.path.join(tmp, name + ".onnx")
            onnx.save(model, path)
            ops = sorted({n.op_type for n in model.graph.node})
            seqs = [8, 13] if name in DYNAMIC_MODELS else [None]
            for seq in seqs:
                outs = run_onnxruntime(path, make_inputs(name, seq))
                for oname, arr in outs.items():
                    assert np.all(np.isfinite(arr)), (name, oname)
                    print(f"{name} seq={seq}: {oname} {arr.shape} {arr.dtype} "
                          f"mean={arr.mean():+.4f} std={arr.std():.4f}")
            print(f"  {len(model.graph.node)} nodes, ops: {' '.join(ops)}")


if __name__ == "__main__":
    if len(sys.argv) == 2 and sys.argv[1] == "--check":
        _self_check()
    elif len(sys.argv) == 3 and sys.argv[1] in MODELS:
        onnx.save(MODELS[sys.argv[1]](), sys.argv[2])
    else:
        sys.exit(f"usage: {sys.argv[0]} --check | {{{'|'.join(MODELS)}}} OUT.onnx")
