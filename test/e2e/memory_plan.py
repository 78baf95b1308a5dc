#!/usr/bin/env python3
"""Checks tessera-compile's planned peak activation memory on a MatMul chain.

x[M, N0] -> MatMul -> t1[M, N1] -> MatMul -> t2[M, N2] -> MatMul -> t3[M, N3]
-> MatMul -> y[M, N4]. Each intermediate t_i lives from the GEMM that writes
it to the GEMM that reads it, so only neighbours live at the same time: the
least memory any plan can use is max(t1 + t2, t2 + t3) (each size rounded up
to the planner's 64-byte alignment), while the buffers sum to t1 + t2 + t3.
The widths make the greedy-by-size packing reach that bound only by putting
t1 and t3 at the same offset. y is the caller's, not an activation; small
buffers the lowering adds must fit in the gaps.

Builds the model (random weights, fixed seed), compiles it, parses the
"peak activation memory" line and compares it with the bound computed here
from the shapes, then runs the compiled model and compares it with numpy.
Prints PASS or FAIL lines.
"""

import argparse
import os
import re
import subprocess
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper


def build(path, m, widths):
    rng = np.random.default_rng(7)
    inits, nodes, weights = [], [], []
    prev = "x"
    for i in range(len(widths) - 1):
        w = (rng.standard_normal((widths[i], widths[i + 1])) * 0.1).astype(np.float32)
        weights.append(w)
        inits.append(numpy_helper.from_array(w, f"w{i}"))
        out = "y" if i == len(widths) - 2 else f"t{i + 1}"
        nodes.append(helper.make_node("MatMul", [prev, f"w{i}"], [out], name=f"mm{i}"))
        prev = out
    graph = helper.make_graph(
        nodes, "chain",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [m, widths[0]])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [m, widths[-1]])],
        inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    onnx.save(model, path)
    return weights


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tessera-compile", required=True)
    ap.add_argument("--tessera-run", required=True)
    ap.add_argument("--workdir", required=True)
    a = ap.parse_args()
    os.makedirs(a.workdir, exist_ok=True)
    m, widths = 4, [64, 256, 512, 128, 32]
    onnx_path = os.path.join(a.workdir, "chain.onnx")
    weights = build(onnx_path, m, widths)

    align = lambda n: (n + 63) // 64 * 64
    t = [align(m * n * 4) for n in widths[1:-1]]
    bound = max(t[i] + t[i + 1] for i in range(len(t) - 1))
    total = sum(m * n * 4 for n in widths[1:-1])

    out = os.path.join(a.workdir, "out")
    p = subprocess.run([a.tessera_compile, onnx_path, "-o", out],
                       capture_output=True, text=True)
    if p.returncode != 0:
        print(f"memory-plan chain: FAIL (compile: {p.stderr.strip()})")
        return 1
    print(p.stdout.strip())
    match = re.search(r"peak activation memory: .*\((\d+) bytes: (\d+) buffers", p.stdout)
    if not match:
        print("memory-plan chain: FAIL (no peak activation memory line)")
        return 1
    peak, buffers = int(match.group(1)), int(match.group(2))
    with open(os.path.join(out, "model.h")) as f:
        header = re.search(r"#define \w+_PEAK_ACTIVATION_BYTES (\d+)", f.read())
    # Small buffers the lowering adds (an empty bias, the last GEMM's output
    # before its copy into y) fit in the gaps: the peak stays at the bound.
    ok = (peak == bound and buffers >= len(t) and peak < total and header
          and int(header.group(1)) == peak)
    print(f"memory-plan chain: peak {peak} bound {bound} sum {total} buffers {buffers} "
          f"header {header.group(1) if header else None}: {'PASS' if ok else 'FAIL'}")

    # The planned buffers must still give the right answer.
    x = np.random.default_rng(1).standard_normal((m, widths[0])).astype(np.float32)
    np.save(os.path.join(a.workdir, "x.npy"), x)
    res = os.path.join(a.workdir, "res")
    r = subprocess.run([a.tessera_run, out, "--input", "x=" + os.path.join(a.workdir, "x.npy"),
                        "--output-dir", res], capture_output=True, text=True)
    expected = x
    for w in weights:
        expected = expected @ w
    got = np.load(os.path.join(res, "y.npy")) if r.returncode == 0 else None
    close = got is not None and np.allclose(got, expected, atol=1e-4, rtol=1e-4)
    print(f"memory-plan chain run: {'PASS' if close else 'FAIL'}"
          + ("" if r.returncode == 0 else f" ({r.stderr.strip()})"))
    return 0 if ok and close else 1


if __name__ == "__main__":
    sys.exit(main())
