#!/usr/bin/env python3
"""Tiny Hugging Face checkpoint directories and numpy references for them.

`write_checkpoint(model_type, dir)` writes config.json + model.safetensors the
way transformers' save_pretrained lays them out (same config keys, same tensor
names and shapes: nn.Linear weights [out, in], GPT-2's Conv1D weights
[in, out], ViT's patch Conv2d [hidden, channels, p, p]), with random weights
from a fixed seed; the safetensors file is written here with numpy (no torch).
The `*_reference` functions compute each architecture in float64 numpy,
independently of Tessera, from the same tensors.

Usage:
  hf_checkpoints.py check --model bert --workdir DIR --seq 5 --seq 9 \
      --tessera-compile tessera-compile --tessera-run tessera-run
      compiles the checkpoint once (dynamic batch and sequence), runs it at
      each length and prints "hf bert seq=N: max_abs_err=E PASS|FAIL".
  hf_checkpoints.py write --model bert DIR [--break KIND]
      writes a checkpoint, optionally broken (see BREAKS) for the bad-input
      tests.
"""

import argparse
import json
import math
import os
import struct
import subprocess
import sys

import numpy as np

FLOAT32_MIN = float(np.finfo(np.float32).min)


# --- safetensors ------------------------------------------------------------

_DTYPES = {np.dtype(np.float32): "F32", np.dtype(np.float16): "F16",
           np.dtype(np.float64): "F64", np.dtype(np.int64): "I64"}


def write_safetensors(path, tensors, metadata=None):
    """Writes `tensors` (name -> array) as a .safetensors file."""
    header = {}
    if metadata:
        header["__metadata__"] = metadata
    offset = 0
    blobs = []
    for name, arr in tensors.items():
        arr = np.ascontiguousarray(arr)
        data = arr.tobytes()
        header[name] = {"dtype": _DTYPES[arr.dtype], "shape": list(arr.shape),
                        "data_offsets": [offset, offset + len(data)]}
        offset += len(data)
        blobs.append(data)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * ((8 - len(text) % 8) % 8)  # data 8-byte aligned
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for data in blobs:
            f.write(data)


# --- configs and weights ----------------------------------------------------

CONFIGS = {
    "bert": dict(model_type="bert", architectures=["BertModel"], vocab_size=50,
                 hidden_size=32, num_hidden_layers=2, num_attention_heads=4,
                 intermediate_size=64, hidden_act="gelu",
                 max_position_embeddings=24, type_vocab_size=2,
                 layer_norm_eps=1e-12, position_embedding_type="absolute",
                 hidden_dropout_prob=0.1),
    "gpt2": dict(model_type="gpt2", architectures=["GPT2LMHeadModel"],
                 vocab_size=60, n_embd=32, n_layer=2, n_head=4, n_positions=24,
                 n_inner=None, activation_function="gelu_new",
                 layer_norm_epsilon=1e-5),
    "llama": dict(model_type="llama", architectures=["LlamaForCausalLM"],
                  vocab_size=64, hidden_size=32, intermediate_size=48,
                  num_hidden_layers=2, num_attention_heads=4,
                  num_key_value_heads=2, hidden_act="silu",
                  max_position_embeddings=32, rms_norm_eps=1e-6,
                  rope_theta=10000.0, rope_scaling=None,
                  tie_word_embeddings=False, attention_bias=False),
    # LLaMA's network with sliding-window attention (shorter than the test
    # sequences): every layer for Mistral; for Qwen2 (biases on q, k, v)
    # the layers from max_window_layers on.
    "mistral": dict(model_type="mistral", architectures=["MistralForCausalLM"],
                    vocab_size=64, hidden_size=32, intermediate_size=48,
                    num_hidden_layers=2, num_attention_heads=4,
                    num_key_value_heads=2, hidden_act="silu",
                    max_position_embeddings=32, rms_norm_eps=1e-6,
                    rope_theta=10000.0, sliding_window=4,
                    tie_word_embeddings=False),
    "qwen2": dict(model_type="qwen2", architectures=["Qwen2ForCausalLM"],
                  vocab_size=64, hidden_size=32, intermediate_size=48,
                  num_hidden_layers=2, num_attention_heads=4,
                  num_key_value_heads=2, hidden_act="silu",
                  max_position_embeddings=32, rms_norm_eps=1e-6,
                  rope_theta=1000000.0, use_sliding_window=True,
                  sliding_window=3, max_window_layers=1,
                  tie_word_embeddings=True),
    "vit": dict(model_type="vit", architectures=["ViTModel"], hidden_size=32,
                num_hidden_layers=2, num_attention_heads=4,
                intermediate_size=64, hidden_act="gelu", image_size=16,
                patch_size=4, num_channels=3, layer_norm_eps=1e-12,
                qkv_bias=True),
}


class Weights:
    def __init__(self, seed):
        self.rng = np.random.default_rng(seed)
        self.tensors = {}

    def add(self, name, shape, scale=0.1, offset=0.0):
        self.tensors[name] = (offset + scale * self.rng.standard_normal(shape)
                              ).astype(np.float32)

    def linear(self, name, out, inp, bias=True):
        self.add(name + ".weight", (out, inp), scale=1.0 / math.sqrt(inp))
        if bias:
            self.add(name + ".bias", (out,), scale=0.05)

    def norm(self, name, n, bias=True):
        self.add(name + ".weight", (n,), scale=0.1, offset=1.0)
        if bias:
            self.add(name + ".bias", (n,), scale=0.05)


def make_weights(model_type, c, seed=0):
    w = Weights(seed)
    if model_type == "bert":
        h, p = c["hidden_size"], "bert."
        w.add(p + "embeddings.word_embeddings.weight", (c["vocab_size"], h), 0.5)
        w.add(p + "embeddings.position_embeddings.weight",
              (c["max_position_embeddings"], h), 0.5)
        w.add(p + "embeddings.token_type_embeddings.weight",
              (c["type_vocab_size"], h), 0.5)
        w.norm(p + "embeddings.LayerNorm", h)
        for i in range(c["num_hidden_layers"]):
            l = f"{p}encoder.layer.{i}."
            for n in ("query", "key", "value"):
                w.linear(l + "attention.self." + n, h, h)
            w.linear(l + "attention.output.dense", h, h)
            w.norm(l + "attention.output.LayerNorm", h)
            w.linear(l + "intermediate.dense", c["intermediate_size"], h)
            w.linear(l + "output.dense", h, c["intermediate_size"])
            w.norm(l + "output.LayerNorm", h)
        w.linear(p + "pooler.dense", h, h)  # present in real checkpoints
    elif model_type == "gpt2":
        h, p = c["n_embd"], "transformer."
        inner = c["n_inner"] or 4 * h
        w.add(p + "wte.weight", (c["vocab_size"], h), 0.5)
        w.add(p + "wpe.weight", (c["n_positions"], h), 0.5)
        for i in range(c["n_layer"]):
            l = f"{p}h.{i}."
            w.norm(l + "ln_1", h)
            # Conv1D: weight [in, out].
            w.add(l + "attn.c_attn.weight", (h, 3 * h), 1.0 / math.sqrt(h))
            w.add(l + "attn.c_attn.bias", (3 * h,), 0.05)
            w.add(l + "attn.c_proj.weight", (h, h), 1.0 / math.sqrt(h))
            w.add(l + "attn.c_proj.bias", (h,), 0.05)
            w.norm(l + "ln_2", h)
            w.add(l + "mlp.c_fc.weight", (h, inner), 1.0 / math.sqrt(h))
            w.add(l + "mlp.c_fc.bias", (inner,), 0.05)
            w.add(l + "mlp.c_proj.weight", (inner, h), 1.0 / math.sqrt(inner))
            w.add(l + "mlp.c_proj.bias", (h,), 0.05)
        w.norm(p + "ln_f", h)
    elif model_type in ("llama", "mistral", "qwen2"):
        h, p = c["hidden_size"], "model."
        qkv_bias = model_type == "qwen2"
        heads, kv = c["num_attention_heads"], c["num_key_value_heads"]
        d = h // heads
        w.add(p + "embed_tokens.weight", (c["vocab_size"], h), 0.5)
        for i in range(c["num_hidden_layers"]):
            l = f"{p}layers.{i}."
            w.norm(l + "input_layernorm", h, bias=False)
            w.linear(l + "self_attn.q_proj", heads * d, h, bias=qkv_bias)
            w.linear(l + "self_attn.k_proj", kv * d, h, bias=qkv_bias)
            w.linear(l + "self_attn.v_proj", kv * d, h, bias=qkv_bias)
            w.linear(l + "self_attn.o_proj", h, heads * d, bias=False)
            w.norm(l + "post_attention_layernorm", h, bias=False)
            w.linear(l + "mlp.gate_proj", c["intermediate_size"], h, bias=False)
            w.linear(l + "mlp.up_proj", c["intermediate_size"], h, bias=False)
            w.linear(l + "mlp.down_proj", h, c["intermediate_size"], bias=False)
        w.norm(p + "norm", h, bias=False)
        if not c["tie_word_embeddings"]:
            w.add("lm_head.weight", (c["vocab_size"], h), 1.0 / math.sqrt(h))
    elif model_type == "vit":
        h, p = c["hidden_size"], "vit."
        ps, ch = c["patch_size"], c["num_channels"]
        n = (c["image_size"] // ps) ** 2
        w.add(p + "embeddings.cls_token", (1, 1, h), 0.5)
        w.add(p + "embeddings.position_embeddings", (1, n + 1, h), 0.5)
        w.add(p + "embeddings.patch_embeddings.projection.weight",
              (h, ch, ps, ps), 1.0 / math.sqrt(ch * ps * ps))
        w.add(p + "embeddings.patch_embeddings.projection.bias", (h,), 0.05)
        for i in range(c["num_hidden_layers"]):
            l = f"{p}encoder.layer.{i}."
            w.norm(l + "layernorm_before", h)
            for q in ("query", "key", "value"):
                w.linear(l + "attention.attention." + q, h, h)
            w.linear(l + "attention.output.dense", h, h)
            w.norm(l + "layernorm_after", h)
            w.linear(l + "intermediate.dense", c["intermediate_size"], h)
            w.linear(l + "output.dense", h, c["intermediate_size"])
        w.norm(p + "layernorm", h)
        w.linear(p + "pooler.dense", h, h)
    return w.tensors


def write_checkpoint(model_type, out_dir, config=None, tensors=None, seed=0,
                     shards=1):
    """Writes config.json and model.safetensors, or with shards > 1 the
    files model-0000i-of-0000n.safetensors and model.safetensors.index.json
    as save_pretrained shards large models."""
    config = dict(CONFIGS[model_type]) if config is None else config
    tensors = make_weights(model_type, config, seed) if tensors is None else tensors
    os.makedirs(out_dir, exist_ok=True)
    with open(os.path.join(out_dir, "config.json"), "w") as f:
        json.dump(config, f, indent=2)
    for old in os.listdir(out_dir):
        if old.endswith(".safetensors") or old.endswith(".index.json"):
            os.remove(os.path.join(out_dir, old))
    if shards == 1:
        write_safetensors(os.path.join(out_dir, "model.safetensors"), tensors,
                          {"format": "pt"})
        return config, tensors
    names = list(tensors)
    weight_map = {}
    for i in range(shards):
        part = names[i::shards]
        file = f"model-{i + 1:05d}-of-{shards:05d}.safetensors"
        write_safetensors(os.path.join(out_dir, file),
                          {n: tensors[n] for n in part}, {"format": "pt"})
        weight_map.update({n: file for n in part})
    with open(os.path.join(out_dir, "model.safetensors.index.json"), "w") as f:
        json.dump({"metadata": {"total_size": 0}, "weight_map": weight_map}, f,
                  indent=2)
    return config, tensors


# --- numpy references (float64) -------------------------------------------

_erf = np.frompyfunc(math.erf, 1, 1)


def gelu(x):
    return 0.5 * x * (1.0 + _erf(x / math.sqrt(2.0)).astype(np.float64))


def gelu_tanh(x):
    return 0.5 * x * (1.0 + np.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * x ** 3)))


def silu(x):
    return x / (1.0 + np.exp(-x))


ACTS = {"gelu": gelu, "gelu_new": gelu_tanh, "gelu_pytorch_tanh": gelu_tanh,
        "relu": lambda x: np.maximum(x, 0), "silu": silu}


def layer_norm(x, g, b, eps):
    m = x.mean(-1, keepdims=True)
    v = ((x - m) ** 2).mean(-1, keepdims=True)
    return (x - m) / np.sqrt(v + eps) * g + b


def rms_norm(x, g, eps):
    return x / np.sqrt((x * x).mean(-1, keepdims=True) + eps) * g


def softmax(x):
    x = x - x.max(-1, keepdims=True)
    e = np.exp(x)
    return e / e.sum(-1, keepdims=True)


def heads_of(x, n):
    b, s, hd = x.shape
    return x.reshape(b, s, n, hd // n).transpose(0, 2, 1, 3)


def merge(x):
    b, n, s, d = x.shape
    return x.transpose(0, 2, 1, 3).reshape(b, s, n * d)


def attend(q, k, v, add_mask=None, causal=False, window=0):
    s = q @ k.transpose(0, 1, 3, 2) / math.sqrt(q.shape[-1])
    if add_mask is not None:
        s = s + add_mask
    if causal:
        n = s.shape[-1]
        keep = np.tril(np.ones((n, n), bool))
        if window:
            # transformers' sliding window: key j > query i - window.
            keep &= ~np.tril(np.ones((n, n), bool), -window)
        s = np.where(keep, s, FLOAT32_MIN)
    return softmax(s) @ v


def layer_windows(model_type, c):
    """The sliding window of each layer (0: full attention)."""
    n = c["num_hidden_layers"]
    if model_type == "mistral":
        return [c.get("sliding_window") or 0] * n
    if model_type == "qwen2" and c.get("use_sliding_window"):
        return [c["sliding_window"] if i >= c["max_window_layers"] else 0
                for i in range(n)]
    return [0] * n


def _w(t, name):
    return t[name].astype(np.float64)


def bert_reference(c, t, ids, mask, token_types, prefix="bert."):
    g = lambda n: _w(t, prefix + n)
    eps = c["layer_norm_eps"]
    s = ids.shape[1]
    x = (g("embeddings.word_embeddings.weight")[ids]
         + g("embeddings.token_type_embeddings.weight")[token_types]
         + g("embeddings.position_embeddings.weight")[np.arange(s)])
    x = layer_norm(x, g("embeddings.LayerNorm.weight"),
                   g("embeddings.LayerNorm.bias"), eps)
    add_mask = (1.0 - mask[:, None, None, :].astype(np.float64)) * FLOAT32_MIN
    lin = lambda x, n: x @ g(n + ".weight").T + g(n + ".bias")
    nh = c["num_attention_heads"]
    act = ACTS[c["hidden_act"]]
    for i in range(c["num_hidden_layers"]):
        l = f"encoder.layer.{i}."
        q, k, v = (heads_of(lin(x, l + "attention.self." + n), nh)
                   for n in ("query", "key", "value"))
        a = lin(merge(attend(q, k, v, add_mask)), l + "attention.output.dense")
        x = layer_norm(a + x, g(l + "attention.output.LayerNorm.weight"),
                       g(l + "attention.output.LayerNorm.bias"), eps)
        m = lin(act(lin(x, l + "intermediate.dense")), l + "output.dense")
        x = layer_norm(m + x, g(l + "output.LayerNorm.weight"),
                       g(l + "output.LayerNorm.bias"), eps)
    return x


def gpt2_reference(c, t, ids, mask):
    g = lambda n: _w(t, "transformer." + n)
    eps = c["layer_norm_epsilon"]
    s = ids.shape[1]
    x = g("wte.weight")[ids] + g("wpe.weight")[np.arange(s)]
    add_mask = (1.0 - mask[:, None, None, :].astype(np.float64)) * FLOAT32_MIN
    conv1d = lambda x, n: x @ g(n + ".weight") + g(n + ".bias")
    ln = lambda x, n: layer_norm(x, g(n + ".weight"), g(n + ".bias"), eps)
    nh, h = c["n_head"], c["n_embd"]
    act = ACTS[c["activation_function"]]
    for i in range(c["n_layer"]):
        l = f"h.{i}."
        qkv = conv1d(ln(x, l + "ln_1"), l + "attn.c_attn")
        q, k, v = (heads_of(qkv[..., j * h:(j + 1) * h], nh) for j in range(3))
        x = x + conv1d(merge(attend(q, k, v, add_mask, causal=True)),
                       l + "attn.c_proj")
        m = ln(x, l + "ln_2")
        x = x + conv1d(act(conv1d(m, l + "mlp.c_fc")), l + "mlp.c_proj")
    x = ln(x, "ln_f")
    return x @ g("wte.weight").T


def llama_reference(c, t, ids, model_type="llama"):
    g = lambda n: _w(t, "model." + n)
    eps = c["rms_norm_eps"]
    nh, kv = c["num_attention_heads"], c["num_key_value_heads"]
    d = c["hidden_size"] // nh
    s = ids.shape[1]
    x = g("embed_tokens.weight")[ids]
    inv_freq = 1.0 / (c["rope_theta"] ** (np.arange(0, d, 2) / d))
    freqs = np.arange(s)[:, None] * inv_freq[None, :]
    emb = np.concatenate([freqs, freqs], -1)
    cos, sin = np.cos(emb), np.sin(emb)

    def rope(x):
        half = x.shape[-1] // 2
        rot = np.concatenate([-x[..., half:], x[..., :half]], -1)
        return x * cos + rot * sin

    def lin(x, n):
        y = x @ g(n + ".weight").T
        return y + g(n + ".bias") if "model." + n + ".bias" in t else y

    windows = layer_windows(model_type, c)
    for i in range(c["num_hidden_layers"]):
        l = f"layers.{i}."
        a = rms_norm(x, g(l + "input_layernorm.weight"), eps)
        q = rope(heads_of(lin(a, l + "self_attn.q_proj"), nh))
        k = rope(heads_of(lin(a, l + "self_attn.k_proj"), kv))
        v = heads_of(lin(a, l + "self_attn.v_proj"), kv)
        k = np.repeat(k, nh // kv, axis=1)
        v = np.repeat(v, nh // kv, axis=1)
        x = x + lin(merge(attend(q, k, v, causal=True, window=windows[i])),
                    l + "self_attn.o_proj")
        m = rms_norm(x, g(l + "post_attention_layernorm.weight"), eps)
        x = x + lin(silu(lin(m, l + "mlp.gate_proj")) * lin(m, l + "mlp.up_proj"),
                    l + "mlp.down_proj")
    x = rms_norm(x, g("norm.weight"), eps)
    head = (g("embed_tokens.weight") if c["tie_word_embeddings"]
            else _w(t, "lm_head.weight"))
    return x @ head.T


def vit_reference(c, t, pixels):
    g = lambda n: _w(t, "vit." + n)
    eps = c["layer_norm_eps"]
    ps, h = c["patch_size"], c["hidden_size"]
    b, ch, hh, ww = pixels.shape
    nh_, nw_ = hh // ps, ww // ps
    # Conv2d with stride == kernel: a linear over each patch.
    patches = pixels.astype(np.float64).reshape(b, ch, nh_, ps, nw_, ps)
    patches = patches.transpose(0, 2, 4, 1, 3, 5).reshape(b, nh_ * nw_, ch * ps * ps)
    wconv = g("embeddings.patch_embeddings.projection.weight").reshape(h, -1)
    x = patches @ wconv.T + g("embeddings.patch_embeddings.projection.bias")
    cls = np.broadcast_to(g("embeddings.cls_token"), (b, 1, h))
    x = np.concatenate([cls, x], 1) + g("embeddings.position_embeddings")
    lin = lambda x, n: x @ g(n + ".weight").T + g(n + ".bias")
    ln = lambda x, n: layer_norm(x, g(n + ".weight"), g(n + ".bias"), eps)
    nh = c["num_attention_heads"]
    act = ACTS[c["hidden_act"]]
    for i in range(c["num_hidden_layers"]):
        l = f"encoder.layer.{i}."
        a = ln(x, l + "layernorm_before")
        q, k, v = (heads_of(lin(a, l + "attention.attention." + n), nh)
                   for n in ("query", "key", "value"))
        x = x + lin(merge(attend(q, k, v)), l + "attention.output.dense")
        m = ln(x, l + "layernorm_after")
        x = x + lin(act(lin(m, l + "intermediate.dense")), l + "output.dense")
    return ln(x, "layernorm")


# --- inputs -----------------------------------------------------------------

def make_inputs(model_type, c, batch, seq, rng):
    """(inputs dict for tessera-run, name of the main output)."""
    if model_type == "vit":
        px = rng.standard_normal((batch, c["num_channels"], c["image_size"],
                                  c["image_size"])).astype(np.float32)
        return {"pixel_values": px}, "last_hidden_state"
    vocab = c["vocab_size"]
    ids = rng.integers(0, vocab, (batch, seq)).astype(np.int64)
    mask = np.ones((batch, seq), np.int64)
    if batch > 1:
        mask[1, seq - seq // 3:] = 0  # right padding in the second row
    if model_type == "bert":
        tt = np.zeros((batch, seq), np.int64)
        tt[:, seq // 2:] = 1
        return ({"input_ids": ids, "attention_mask": mask, "token_type_ids": tt},
                "last_hidden_state")
    if model_type == "gpt2":
        return {"input_ids": ids, "attention_mask": mask}, "logits"
    return {"input_ids": ids}, "logits"


def pooler_reference(t, x, base):
    """transformers' pooler: tanh(dense(x[:, 0]))."""
    return np.tanh(x[:, 0] @ _w(t, base + ".weight").T + _w(t, base + ".bias"))


def reference(model_type, c, t, inputs):
    """Output name -> reference value."""
    if model_type == "bert":
        x = bert_reference(c, t, inputs["input_ids"], inputs["attention_mask"],
                           inputs["token_type_ids"])
        return {"last_hidden_state": x,
                "pooler_output": pooler_reference(t, x, "bert.pooler.dense")}
    if model_type == "gpt2":
        return {"logits": gpt2_reference(c, t, inputs["input_ids"],
                                         inputs["attention_mask"])}
    if model_type in ("llama", "mistral", "qwen2"):
        return {"logits": llama_reference(c, t, inputs["input_ids"], model_type)}
    x = vit_reference(c, t, inputs["pixel_values"])
    return {"last_hidden_state": x,
            "pooler_output": pooler_reference(t, x, "vit.pooler.dense")}


def run_model(tessera_run, model_dir, inputs, out_dir, names):
    os.makedirs(out_dir, exist_ok=True)
    args = [tessera_run, model_dir, "--output-dir", out_dir]
    for k, v in inputs.items():
        path = os.path.join(out_dir, k + ".npy")
        np.save(path, v)
        args += ["--input", f"{k}={path}"]
    subprocess.run(args, check=True)
    return {n: np.load(os.path.join(out_dir, n + ".npy")) for n in names}


def check(args):
    ckpt = os.path.join(args.workdir, "ckpt")
    config = dict(CONFIGS[args.model])
    tensors = make_weights(args.model, config)
    if args.dtype != "f32":
        # Half-precision checkpoints: the frontend widens them to f32; the
        # reference uses the same rounded values.
        tensors = {k: v.astype(np.float16) for k, v in tensors.items()}
    if args.model == "llama" and args.tied:
        config["tie_word_embeddings"] = True
        tensors.pop("lm_head.weight")
    write_checkpoint(args.model, ckpt, config, tensors, shards=args.shards)
    out = os.path.join(args.workdir, "out")
    rng = np.random.default_rng(1)
    compile_args = []
    if args.static:
        # Fixed shapes: the inputs of the one run, drawn the same way below.
        batch = args.seq[0] if args.model == "vit" else args.batch
        shapes, _ = make_inputs(args.model, config, batch, args.seq[0],
                                np.random.default_rng(1))
        for name, v in shapes.items():
            compile_args += ["--input-shape",
                             name + "=" + "x".join(map(str, v.shape))]
    subprocess.run([args.tessera_compile, ckpt, "-o", out] + compile_args,
                   check=True)
    ok = True
    for seq in args.seq:
        # ViT's sequence is fixed by the image size: vary the batch instead.
        batch = seq if args.model == "vit" else args.batch
        inputs, _ = make_inputs(args.model, config, batch, seq, rng)
        want = reference(args.model, config, tensors, inputs)
        got = run_model(args.tessera_run, out, inputs,
                        os.path.join(args.workdir, f"run{seq}"), list(want))
        parts, passed = [], True
        for name, w in want.items():
            if got[name].shape != w.shape:
                parts.append(f"{name} shape {got[name].shape} != {w.shape}")
                passed = False
                continue
            err = float(np.abs(got[name] - w).max())
            passed &= err <= args.atol
            parts.append(f"{name} max_abs_err={err:.3g}")
        ok &= passed
        print(f"hf {args.model} seq={seq}: {', '.join(parts)} "
              f"{'PASS' if passed else 'FAIL'}")
    return 0 if ok else 1


# --- broken checkpoints for the bad-input tests -----------------------------

def broken(model_type, kind):
    """(config, tensors) of a checkpoint broken in one way."""
    config = dict(CONFIGS[model_type])
    tensors = make_weights(model_type, config)
    if kind == "missing-tensor":
        tensors.pop("bert.encoder.layer.1.attention.self.key.bias")
    elif kind == "wrong-shape":
        tensors["bert.encoder.layer.0.intermediate.dense.weight"] = np.zeros(
            (config["intermediate_size"], 7), np.float32)
    elif kind == "int-weight":
        tensors["bert.embeddings.LayerNorm.weight"] = np.zeros(
            config["hidden_size"], np.int64)
    elif kind == "hidden-act":
        config["hidden_act"] = "mish"
    elif kind == "position-type":
        config["position_embedding_type"] = "relative_key"
    elif kind == "missing-key":
        config.pop("num_attention_heads")
    elif kind == "bad-key-type":
        config["hidden_size"] = "32"
    elif kind == "model-type":
        config["model_type"] = "mamba"
    elif kind == "heads":
        config["num_attention_heads"] = 5
    elif kind == "rope-scaling":
        config["rope_scaling"] = {"type": "linear", "factor": 2.0}
    elif kind == "gqa":
        config["num_key_value_heads"] = 3
    elif kind == "huge-positions":
        config["max_position_embeddings"] = 2 ** 30
    elif kind == "huge-size":
        config["num_hidden_layers"] = 2 ** 40
    elif kind == "bad-window":
        config["sliding_window"] = -4
    elif kind == "layer-types":
        config["layer_types"] = ["sliding_attention", "local"]
    elif kind == "qwen2-bias":
        tensors.pop("model.layers.0.self_attn.k_proj.bias")
    elif kind == "no-prefix-match":
        tensors = {"encoder." + k: v for k, v in tensors.items()}
    elif kind in ("truncated-weights", "bad-config-json", "no-weights",
                  "no-config", "shard-missing", "shard-path", "shard-dup",
                  "shard-wrong-file"):
        pass  # the files are damaged after writing (see damage())
    else:
        raise SystemExit(f"unknown break {kind}")
    return config, tensors


def damage(kind, out_dir):
    weights = os.path.join(out_dir, "model.safetensors")
    if kind == "truncated-weights":
        size = os.path.getsize(weights)
        with open(weights, "r+b") as f:
            f.truncate(size - 100)
    elif kind == "bad-config-json":
        with open(os.path.join(out_dir, "config.json"), "w") as f:
            f.write('{"model_type": "bert",\n  "hidden_size": }')
    elif kind == "no-weights":
        os.remove(weights)
    elif kind == "no-config":
        os.remove(os.path.join(out_dir, "config.json"))
    elif kind.startswith("shard-"):
        # Re-write as two shards, then damage the set.
        config = json.load(open(os.path.join(out_dir, "config.json")))
        tensors = make_weights("bert", config)
        write_checkpoint("bert", out_dir, config, tensors, shards=2)
        index_path = os.path.join(out_dir, "model.safetensors.index.json")
        index = json.load(open(index_path))
        first = "model-00001-of-00002.safetensors"
        if kind == "shard-missing":
            os.remove(os.path.join(out_dir, "model-00002-of-00002.safetensors"))
        elif kind == "shard-path":
            index["weight_map"]["bert.pooler.dense.bias"] = "../outside.safetensors"
        elif kind == "shard-dup":
            # The second shard also holds a tensor of the first.
            name = next(n for n, f in index["weight_map"].items() if f == first)
            second = {n: tensors[n] for n, f in index["weight_map"].items()
                      if f != first}
            second[name] = tensors[name]
            write_safetensors(os.path.join(
                out_dir, "model-00002-of-00002.safetensors"), second)
        elif kind == "shard-wrong-file":
            name = next(n for n, f in index["weight_map"].items() if f == first)
            index["weight_map"][name] = "model-00002-of-00002.safetensors"
        json.dump(index, open(index_path, "w"))


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    c = sub.add_parser("check")
    c.add_argument("--model", required=True, choices=sorted(CONFIGS))
    c.add_argument("--workdir", required=True)
    c.add_argument("--seq", type=int, action="append", required=True)
    c.add_argument("--batch", type=int, default=2)
    c.add_argument("--tied", action="store_true")
    c.add_argument("--shards", type=int, default=1,
                   help="split the weights into this many safetensors files")
    c.add_argument("--static", action="store_true",
                   help="compile for the shapes of the (single) --seq run")
    c.add_argument("--dtype", default="f32", choices=["f32", "f16"])
    c.add_argument("--atol", type=float, default=1e-4)
    c.add_argument("--tessera-compile", default="tessera-compile")
    c.add_argument("--tessera-run", default="tessera-run")
    w = sub.add_parser("write")
    w.add_argument("--model", required=True, choices=sorted(CONFIGS))
    w.add_argument("--break", dest="brk")
    w.add_argument("dir")
    args = ap.parse_args()
    if args.cmd == "check":
        return check(args)
    if args.brk:
        config, tensors = broken(args.model, args.brk)
        write_checkpoint(args.model, args.dir, config, tensors)
        damage(args.brk, args.dir)
    else:
        write_checkpoint(args.model, args.dir)
    return 0


if __name__ == "__main__":
    sys.exit(main())
