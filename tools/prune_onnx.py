#!/usr/bin/env python3
"""Magnitude pruning of an ONNX model's linear weights, by the rules of
tessera-compile --prune (compiler/Transforms/Passes.td, tsr-prune), written
independently so that onnxruntime (or any other engine) can run the same
pruned model that Tessera makes: the tests and the benchmark compare them.

  python tools/prune_onnx.py IN.onnx OUT.onnx --prune 2:4|block16:R|unstructured:R

A linear weight here is a 2-D float initializer used as the second input
of MatMul (stored [K, N]: W[n, k] = B[k, n]) or as Gemm's B (transB says
the layout), and by nothing else (an initializer also gathered, a tied
embedding, is kept, as tsr-prune keeps it). Every such weight is pruned:
this is --prune with --prune-heads.

  prune_model(model, "2:4" | "block16:R" | "unstructured:R") -> (kept, total)

Rules on W [N, K] (ties go to the lower index):
- 2:4: in each group of 4 consecutive k of a row, keep the 2 of largest |W|;
  a last group of fewer than 4 keeps its 2 largest;
- block16:R: 16 x 16 blocks of W on the grid from (0, 0), ranked by the
  sum of squares (float64), the floor(R * blocks) smallest zeroed;
- unstructured:R: the floor(R * N * K) entries of smallest |W| zeroed.
"""

import numpy as np
from onnx import numpy_helper


def prune_weight(w, pattern, ratio):
    """Prunes W ([N, K], float32) in place by `pattern`."""
    n, k = w.shape
    if pattern == "2:4":
        for g in range(0, k, 4):
            group = w[:, g:g + 4]
            order = np.argsort(-np.abs(group), axis=1, kind="stable")
            for j in range(2, group.shape[1]):
                group[np.arange(n), order[:, j]] = 0.0
    elif pattern == "block16":
        nb, kb = -(-n // 16), -(-k // 16)
        score = np.zeros(nb * kb)
        w64 = w.astype(np.float64)
        for i in range(nb):
            for j in range(kb):
                block = w64[i * 16:(i + 1) * 16, j * 16:(j + 1) * 16]
                score[i * kb + j] = float((block * block).sum())
        count = int(ratio * nb * kb)
        order = np.lexsort((np.arange(nb * kb), score))[:count]
        for b in order:
            i, j = divmod(int(b), kb)
            w[i * 16:(i + 1) * 16, j * 16:(j + 1) * 16] = 0.0
    elif pattern == "unstructured":
        score = np.abs(w).astype(np.float64).ravel()
        count = int(ratio * n * k)
        order = np.lexsort((np.arange(n * k), score))[:count]
        w.reshape(-1)[order] = 0.0
    else:
        raise ValueError(f"unknown pattern {pattern}")


def parse(spec):
    if spec == "2:4":
        return "2:4", 0.0
    pattern, ratio = spec.split(":")
    return pattern, float(ratio)


def prune_model(model, spec):
    """Prunes `model`'s linear weights in place; returns (kept, total)."""
    pattern, ratio = parse(spec)
    inits = {t.name: t for t in model.graph.initializer}
    uses = {}
    for node in model.graph.node:
        for slot, name in enumerate(node.input):
            if name in inits:
                uses.setdefault(name, []).append((node, slot))
    kept = total = 0
    for name, users in uses.items():
        t = inits[name]
        arr = numpy_helper.to_array(t)
        if arr.dtype != np.float32 or arr.ndim != 2:
            continue
        layouts = set()
        for node, slot in users:
            if node.op_type == "MatMul" and slot == 1:
                layouts.add("KN")
            elif node.op_type == "Gemm" and slot == 1:
                trans_b = any(a.name == "transB" and a.i for a in node.attribute)
                layouts.add("NK" if trans_b else "KN")
            else:
                layouts.add(None)
        if len(layouts) != 1 or None in layouts:
            continue
        arr = arr.copy()
        w = arr.T.copy() if "KN" in layouts else arr
        prune_weight(w, pattern, ratio)
        arr = w.T.copy() if "KN" in layouts else w
        kept += int(np.count_nonzero(arr))
        total += arr.size
        t.CopyFrom(numpy_helper.from_array(np.ascontiguousarray(arr), name))
    return kept, total


def main():
    import argparse
    import onnx
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("input")
    ap.add_argument("output")
    ap.add_argument("--prune", required=True, help="2:4, block16:RATIO or unstructured:RATIO")
    args = ap.parse_args()
    try:
        pattern, ratio = parse(args.prune)
    except ValueError:
        ap.error(f"bad --prune '{args.prune}'")
    if pattern not in ("2:4", "block16", "unstructured") or not 0 <= ratio < 1:
        ap.error(f"bad --prune '{args.prune}' (2:4, block16:RATIO or unstructured:RATIO, "
                 "RATIO in [0, 1))")
    model = onnx.load(args.input)
    kept, total = prune_model(model, args.prune)
    onnx.save(model, args.output)
    print(f"pruned {args.input} to {args.prune}: kept {kept} of {total} values "
          f"({100.0 * kept / max(total, 1):.1f}%) -> {args.output}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
