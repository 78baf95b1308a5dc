#!/usr/bin/env python3
"""Writes the JSON graph examples of docs/json-format.md (fixed seeds, so the
outputs are byte-identical on every run):

  mlp.json                     a 2-layer MLP with inline weights
                               (Gemm + Relu + Gemm + Softmax, dynamic batch)
  bert_layer.json              one BERT-style encoder block: word embedding,
  bert_layer.safetensors       LayerNorm, 4-head self-attention with an
                               attention mask, erf-GELU FFN, residuals;
                               dynamic batch and sequence; weights in the
                               safetensors file, shape constants inline

  gen_examples.py [OUTDIR]     (default: this script's directory)

Only numpy is needed; the safetensors file is written by hand (8-byte
header length, JSON header, data).
"""

import json
import math
import os
import struct
import sys

import numpy as np


def rounded(rng, shape, scale):
    # Four decimals keep the inline JSON short (float64 here, so that the
    # JSON shows 0.1234, not float32's repr); files store them as float32.
    return np.round(rng.standard_normal(shape) * scale, 4)


def write_safetensors(path, tensors):
    """tensors: list of (name, float32 array), stored in this order."""
    header, offset, blobs = {}, 0, []
    for name, arr in tensors:
        data = np.ascontiguousarray(arr, dtype="<f4").tobytes()
        header[name] = {"dtype": "F32", "shape": list(arr.shape),
                        "data_offsets": [offset, offset + len(data)]}
        offset += len(data)
        blobs.append(data)
    text = json.dumps(header, separators=(",", ":"))
    text += " " * (-len(text) % 8)  # keep the data area 8-byte aligned
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text.encode())
        for b in blobs:
            f.write(b)


def write_json(path, graph):
    # One node / weight per line: readable and diffable.
    lines = ["{"]
    items = list(graph.items())
    for i, (k, v) in enumerate(items):
        comma = "," if i + 1 < len(items) else ""
        if isinstance(v, list) and v:
            lines.append(f'  "{k}": [')
            for j, e in enumerate(v):
                c = "," if j + 1 < len(v) else ""
                lines.append("    " + json.dumps(e) + c)
            lines.append("  ]" + comma)
        else:
            lines.append(f'  "{k}": {json.dumps(v)}{comma}')
    lines.append("}")
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")


def mlp(outdir):
    rng = np.random.default_rng(7)
    w1, b1 = rounded(rng, (16, 8), 0.3), rounded(rng, (16,), 0.1)
    w2, b2 = rounded(rng, (4, 16), 0.3), rounded(rng, (4,), 0.1)
    weight = lambda name, a: {"name": name, "dtype": "float32",
                              "shape": list(a.shape), "data": a.tolist()}
    graph = {
        "format_version": 1,
        "name": "mlp",
        "opset": 17,
        "inputs": [{"name": "x", "dtype": "float32", "shape": ["batch", 8]}],
        "weights": [weight("fc1.weight", w1), weight("fc1.bias", b1),
                    weight("fc2.weight", w2), weight("fc2.bias", b2)],
        "nodes": [
            {"name": "fc1", "op": "Gemm", "inputs": ["x", "fc1.weight", "fc1.bias"],
             "outputs": ["h"], "attributes": {"transB": 1, "alpha": 1, "beta": 1}},
            {"name": "relu", "op": "Relu", "inputs": ["h"], "outputs": ["a"]},
            {"name": "fc2", "op": "Gemm", "inputs": ["a", "fc2.weight", "fc2.bias"],
             "outputs": ["logits"], "attributes": {"transB": 1}},
            {"name": "softmax", "op": "Softmax", "inputs": ["logits"],
             "outputs": ["probs"], "attributes": {"axis": -1}},
        ],
        "outputs": [{"name": "logits"}, {"name": "probs"}],
    }
    write_json(os.path.join(outdir, "mlp.json"), graph)


HIDDEN, HEADS, FFN, VOCAB = 32, 4, 64, 50


def bert_layer(outdir):
    rng = np.random.default_rng(11)
    h, f = HIDDEN, FFN
    tensors = [("embeddings.word_embeddings.weight", rounded(rng, (VOCAB, h), 0.5))]
    for ln in ("embeddings.LayerNorm", "attention.output.LayerNorm", "output.LayerNorm"):
        tensors.append((ln + ".weight", 1 + rounded(rng, (h,), 0.1)))
        tensors.append((ln + ".bias", rounded(rng, (h,), 0.1)))
    # Projections stored as [in, out] (MatMul's right operand), as exporters do.
    for proj, shape in (("attention.self.query", (h, h)), ("attention.self.key", (h, h)),
                        ("attention.self.value", (h, h)), ("attention.output.dense", (h, h)),
                        ("intermediate.dense", (h, f)), ("output.dense", (f, h))):
        tensors.append((proj + ".weight", rounded(rng, shape, 0.2)))
        tensors.append((proj + ".bias", rounded(rng, (shape[1],), 0.05)))
    write_safetensors(os.path.join(outdir, "bert_layer.safetensors"), tensors)

    weights = [{"name": n, "dtype": "float32", "shape": list(a.shape)} for n, a in tensors]
    # Rename on the way in: the graph calls the query weight "Wq".
    weights[[w["name"] for w in weights].index("attention.self.query.weight")] = {
        "name": "Wq", "tensor": "attention.self.query.weight", "dtype": "float32",
        "shape": [h, h]}
    const = lambda name, dtype, shape, data: {"name": name, "dtype": dtype,
                                              "shape": shape, "data": data}
    weights += [
        const("heads_shape", "int64", [4], [0, 0, HEADS, h // HEADS]),
        const("hidden_shape", "int64", [3], [0, 0, h]),
        const("mask_axes", "int64", [2], [1, 2]),
        const("scale", "float32", [], [1.0 / math.sqrt(h // HEADS)]),
        const("one", "float32", [], [1.0]),
        const("half", "float32", [], [0.5]),
        const("sqrt2", "float32", [], [math.sqrt(2.0)]),
        const("mask_value", "float32", [], [-10000.0]),
    ]

    nodes = []

    def node(name, op, inputs, outputs, **attrs):
        n = {"name": name, "op": op, "inputs": inputs, "outputs": outputs}
        if attrs:
            n["attributes"] = attrs
        nodes.append(n)

    def linear(scope, x, out, weight=None):
        node(scope + "/MatMul", "MatMul", [x, weight or scope + ".weight"], [out + "_mm"])
        node(scope + "/Add", "Add", [out + "_mm", scope + ".bias"], [out])

    def layer_norm(scope, x, out):
        node(scope, "LayerNormalization", [x, scope + ".weight", scope + ".bias"], [out],
             axis=-1, epsilon=1e-12)

    node("embeddings/Gather", "Gather",
         ["embeddings.word_embeddings.weight", "input_ids"], ["emb"], axis=0)
    layer_norm("embeddings.LayerNorm", "emb", "x0")
    # Self-attention.
    linear("attention.self.query", "x0", "q", weight="Wq")
    linear("attention.self.key", "x0", "k")
    linear("attention.self.value", "x0", "v")
    for t, perm in (("q", [0, 2, 1, 3]), ("k", [0, 2, 3, 1]), ("v", [0, 2, 1, 3])):
        node(f"attention/{t}/Reshape", "Reshape", [t, "heads_shape"], [t + "_heads"])
        node(f"attention/{t}/Transpose", "Transpose", [t + "_heads"], [t + "_t"], perm=perm)
    node("attention/scores", "MatMul", ["q_t", "k_t"], ["scores"])
    node("attention/scale", "Mul", ["scores", "scale"], ["scores_scaled"])
    node("attention/mask/Cast", "Cast", ["attention_mask"], ["mask_f"], to=1)
    node("attention/mask/Sub", "Sub", ["one", "mask_f"], ["mask_inv"])
    node("attention/mask/Mul", "Mul", ["mask_inv", "mask_value"], ["mask_add"])
    node("attention/mask/Unsqueeze", "Unsqueeze", ["mask_add", "mask_axes"], ["mask_b"])
    node("attention/mask/Add", "Add", ["scores_scaled", "mask_b"], ["scores_masked"])
    node("attention/Softmax", "Softmax", ["scores_masked"], ["probs"], axis=-1)
    node("attention/context", "MatMul", ["probs", "v_t"], ["ctx_heads"])
    node("attention/context/Transpose", "Transpose", ["ctx_heads"], ["ctx_t"],
         perm=[0, 2, 1, 3])
    node("attention/context/Reshape", "Reshape", ["ctx_t", "hidden_shape"], ["ctx"])
    linear("attention.output.dense", "ctx", "attn")
    node("attention/residual", "Add", ["attn", "x0"], ["attn_res"])
    layer_norm("attention.output.LayerNorm", "attn_res", "x1")
    # FFN with torch's erf GELU.
    linear("intermediate.dense", "x1", "inter")
    node("gelu/Div", "Div", ["inter", "sqrt2"], ["g_div"])
    node("gelu/Erf", "Erf", ["g_div"], ["g_erf"])
    node("gelu/Add", "Add", ["g_erf", "one"], ["g_add"])
    node("gelu/Mul", "Mul", ["inter", "g_add"], ["g_mul"])
    node("gelu/Mul_1", "Mul", ["g_mul", "half"], ["gelu"])
    linear("output.dense", "gelu", "ffn")
    node("output/residual", "Add", ["ffn", "x1"], ["ffn_res"])
    layer_norm("output.LayerNorm", "ffn_res", "last_hidden_state")

    graph = {
        "format_version": 1,
        "name": "bert_layer",
        "opset": 17,
        "weights_file": "bert_layer.safetensors",
        "inputs": [
            {"name": "input_ids", "dtype": "int64", "shape": ["batch", "seq"]},
            {"name": "attention_mask", "dtype": "int64", "shape": ["batch", "seq"]},
        ],
        "weights": weights,
        "nodes": nodes,
        "outputs": [{"name": "last_hidden_state"}],
    }
    write_json(os.path.join(outdir, "bert_layer.json"), graph)


def main():
    outdir = sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(os.path.abspath(__file__))
    os.makedirs(outdir, exist_ok=True)
    mlp(outdir)
    bert_layer(outdir)


if __name__ == "__main__":
    main()
