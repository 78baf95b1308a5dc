#!/usr/bin/env python3
"""End-to-end test of the JSON graph examples (examples/json/): compiles each
graph with tessera-compile, runs it with tessera-run and compares every output
with a numpy implementation of the same model written out by hand here (not
derived from the graph's nodes), with the weights read back from the example's
files (inline data, or the .safetensors file parsed by hand).

  run_json_examples.py --examples DIR --tessera-compile PATH --tessera-run PATH
                       --workdir DIR [--example NAME ...] [--atol A --rtol R]

Prints `json NAME batch=B seq=S: max_abs_err=... PASS|FAIL` per config and
exits 1 on any failure.
"""

import argparse
import json
import math
import os
import struct
import subprocess
import sys

import numpy as np


def read_safetensors(path):
    with open(path, "rb") as f:
        data = f.read()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + n])
    base = 8 + n
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        dtype = {"F32": "<f4", "F16": "<f2"}[info["dtype"]]
        b, e = info["data_offsets"]
        out[name] = np.frombuffer(data[base + b:base + e], dtype).reshape(info["shape"])
    return out


def load_weights(json_path):
    """name -> array, for inline and file-backed weights alike."""
    with open(json_path) as f:
        graph = json.load(f)
    file_tensors = {}
    if "weights_file" in graph:
        file_tensors = read_safetensors(
            os.path.join(os.path.dirname(json_path), graph["weights_file"]))
    dtypes = {"float32": np.float32, "int64": np.int64, "bool": np.bool_}
    weights = {}
    for w in graph.get("weights", []):
        if "data" in w:
            weights[w["name"]] = np.array(w["data"], dtype=dtypes[w["dtype"]]).reshape(w["shape"])
        else:
            weights[w["name"]] = file_tensors[w.get("tensor", w["name"])]
    return weights


def softmax(x):
    e = np.exp(x - x.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def layer_norm(x, g, b, eps):
    mu = x.mean(axis=-1, keepdims=True)
    var = ((x - mu) ** 2).mean(axis=-1, keepdims=True)
    return (x - mu) / np.sqrt(var + eps) * g + b


def erf(x):
    return np.vectorize(math.erf)(x)


# -- the examples -------------------------------------------------------------

def mlp_configs():
    rng = np.random.default_rng(1)
    return [{"x": rng.standard_normal((b, 8)).astype(np.float32)} for b in (1, 5)]


def mlp_reference(w, inputs):
    x = inputs["x"].astype(np.float64)
    h = x @ w["fc1.weight"].T.astype(np.float64) + w["fc1.bias"]
    a = np.maximum(h, 0)
    logits = a @ w["fc2.weight"].T.astype(np.float64) + w["fc2.bias"]
    return {"logits": logits, "probs": softmax(logits)}


def bert_configs():
    rng = np.random.default_rng(2)
    configs = []
    for batch, seq in ((2, 7), (1, 12)):
        ids = rng.integers(0, 50, size=(batch, seq)).astype(np.int64)
        mask = np.ones((batch, seq), dtype=np.int64)
        mask[0, seq - 2:] = 0  # padding at the end of the first sequence
        configs.append({"input_ids": ids, "attention_mask": mask})
    return configs


def bert_reference(w, inputs, heads=4):
    w = {k: v.astype(np.float64) for k, v in w.items()}
    ids, mask = inputs["input_ids"], inputs["attention_mask"].astype(np.float64)
    x = w["embeddings.word_embeddings.weight"][ids]
    x0 = layer_norm(x, w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"], 1e-12)
    batch, seq, hidden = x0.shape
    d = hidden // heads

    def lin(x, scope, weight=None):
        return x @ w[weight or scope + ".weight"] + w[scope + ".bias"]

    def split(t):
        return t.reshape(batch, seq, heads, d).transpose(0, 2, 1, 3)

    q = split(lin(x0, "attention.self.query", "Wq"))
    k = split(lin(x0, "attention.self.key"))
    v = split(lin(x0, "attention.self.value"))
    scores = q @ k.transpose(0, 1, 3, 2) / math.sqrt(d)
    scores = scores + ((1.0 - mask) * -10000.0)[:, None, None, :]
    ctx = (softmax(scores) @ v).transpose(0, 2, 1, 3).reshape(batch, seq, hidden)
    x1 = layer_norm(lin(ctx, "attention.output.dense") + x0,
                    w["attention.output.LayerNorm.weight"],
                    w["attention.output.LayerNorm.bias"], 1e-12)
    inter = lin(x1, "intermediate.dense")
    gelu = 0.5 * inter * (1.0 + erf(inter / math.sqrt(2.0)))
    out = layer_norm(lin(gelu, "output.dense") + x1, w["output.LayerNorm.weight"],
                     w["output.LayerNorm.bias"], 1e-12)
    return {"last_hidden_state": out}


def features_configs():
    rng = np.random.default_rng(3)
    return [{"x": rng.standard_normal((b, 6)).astype(np.float32)} for b in (1, 3)]


def features_reference(w, inputs):
    x = inputs["x"].astype(np.float64)
    h = 2.0 * (x @ w["W"].astype(np.float64).T) + 0.5 * w["b"].astype(np.float64)
    masked = np.where(w["keep"], h, 0.0)
    return {"masked": masked, "probs": softmax(masked.reshape(-1, 2, 2))}


EXAMPLES = {
    "features": (features_configs, features_reference),
    "mlp": (mlp_configs, mlp_reference),
    "bert_layer": (bert_configs, bert_reference),
}


def run(cmd):
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    if p.returncode != 0:
        print(f"command failed ({p.returncode}): {' '.join(cmd)}\n{p.stderr}", file=sys.stderr)
        return False
    return True


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--examples", required=True)
    ap.add_argument("--tessera-compile", required=True)
    ap.add_argument("--tessera-run", required=True)
    ap.add_argument("--workdir", required=True)
    ap.add_argument("--example", action="append")
    ap.add_argument("--atol", type=float, default=1e-4)
    ap.add_argument("--rtol", type=float, default=1e-4)
    args = ap.parse_args()

    failures = 0
    for name in args.example or ["bert_layer", "mlp"]:
        configs, reference = EXAMPLES[name]
        json_path = os.path.join(args.examples, name + ".json")
        out = os.path.join(args.workdir, name + ".out")
        if not run([args.tessera_compile, json_path, "-o", out]):
            print(f"json {name}: FAIL (compile)")
            failures += 1
            continue
        weights = load_weights(json_path)
        for i, inputs in enumerate(configs()):
            cfg_dir = os.path.join(args.workdir, f"{name}.{i}")
            os.makedirs(cfg_dir, exist_ok=True)
            cmd = [args.tessera_run, out, "--output-dir", cfg_dir]
            for k, v in inputs.items():
                np.save(os.path.join(cfg_dir, k + ".npy"), v)
                cmd += ["--input", f"{k}={os.path.join(cfg_dir, k + '.npy')}"]
            shape = "x".join(str(s) for s in next(iter(inputs.values())).shape)
            if not run(cmd):
                print(f"json {name} input={shape}: FAIL (run)")
                failures += 1
                continue
            ok, worst = True, 0.0
            for oname, ref in reference(weights, inputs).items():
                got = np.load(os.path.join(cfg_dir, oname + ".npy")).astype(np.float64)
                if got.shape != ref.shape:
                    print(f"  {oname}: shape {got.shape}, reference {ref.shape}")
                    ok = False
                    continue
                diff = np.abs(got - ref)
                worst = max(worst, float(diff.max()))
                ok &= bool(np.all(np.isfinite(got))) and bool(
                    np.all(diff <= args.atol + args.rtol * np.abs(ref)))
            verdict = "PASS" if ok else "FAIL"
            failures += not ok
            print(f"json {name} input={shape}: max_abs_err={worst:.3g} "
                  f"(atol={args.atol}, rtol={args.rtol}) {verdict}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
