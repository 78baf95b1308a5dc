#!/usr/bin/env python3
"""Unsigned integers end to end: a graph with uint64 constants above 2**63
(division, comparison, max and a cast to float that signed int64 would get
wrong), uint16/uint32 graph inputs and a uint8 output, compiled, run and
compared with onnx's reference evaluator.

  unsigned_ints.py --tessera-compile PATH --tessera-run PATH --workdir DIR

Prints `unsigned CASE: PASS|FAIL (...)`; exits 1 on a failure.
"""

import argparse
import os
import subprocess
import sys

import numpy as np
import onnx
from onnx import TensorProto as T, helper, numpy_helper
from onnx.reference import ReferenceEvaluator


def build():
    big = numpy_helper.from_array(
        np.array([2**64 - 1, 2**63 + 10, 7, 2**63], np.uint64), "big")
    small = numpy_helper.from_array(np.array([3, 2**63, 2, 5], np.uint64), "small")
    nodes = [
        # constants only: folded on the host unless unsigned
        helper.make_node("Div", ["big", "small"], ["q"]),
        helper.make_node("Less", ["small", "big"], ["lt"]),
        helper.make_node("Max", ["big", "small"], ["mx"]),
        helper.make_node("Cast", ["big"], ["bf"], to=T.FLOAT),
        # graph inputs
        helper.make_node("Sub", ["a", "b"], ["d"]),             # wraps
        helper.make_node("Mod", ["d", "b"], ["m"]),
        helper.make_node("GreaterOrEqual", ["a", "b"], ["ge"]),
        helper.make_node("Cast", ["c"], ["c8"], to=T.UINT8),     # truncates
        helper.make_node("Cast", ["c"], ["cf"], to=T.DOUBLE),
    ]
    vi = helper.make_tensor_value_info
    g = helper.make_graph(
        nodes, "unsigned",
        [vi("a", T.UINT16, [6]), vi("b", T.UINT16, [6]), vi("c", T.UINT32, [6])],
        [vi("q", T.UINT64, [4]), vi("lt", T.BOOL, [4]), vi("mx", T.UINT64, [4]),
         vi("bf", T.FLOAT, [4]), vi("d", T.UINT16, [6]), vi("m", T.UINT16, [6]),
         vi("ge", T.BOOL, [6]), vi("c8", T.UINT8, [6]), vi("cf", T.DOUBLE, [6])],
        [big, small])
    return helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tessera-compile", required=True)
    ap.add_argument("--tessera-run", required=True)
    ap.add_argument("--workdir", required=True)
    args = ap.parse_args()
    os.makedirs(args.workdir, exist_ok=True)
    model = build()
    path = os.path.join(args.workdir, "unsigned.onnx")
    onnx.save(model, path)
    rng = np.random.default_rng(7)
    feeds = {
        "a": rng.integers(0, 2**16, 6, dtype=np.uint16),
        "b": rng.integers(1, 2**16, 6, dtype=np.uint16),
        "c": np.array([0, 255, 256, 2**31 + 5, 2**32 - 1, 70000], np.uint32),
    }
    cmd = [args.tessera_run, os.path.join(args.workdir, "out"),
           "--output-dir", os.path.join(args.workdir, "res")]
    for name, value in feeds.items():
        f = os.path.join(args.workdir, name + ".npy")
        np.save(f, value)
        cmd += ["--input", f"{name}={f}"]
    for step in ([args.tessera_compile, path, "-o", os.path.join(args.workdir, "out")], cmd):
        p = subprocess.run(step, capture_output=True, text=True)
        if p.returncode != 0:
            print(f"unsigned run: FAIL ({p.stderr.strip()[-300:]})")
            return 1
    expected = ReferenceEvaluator(model).run(None, feeds)
    # The reference divides uint64 through float64; the exact quotient:
    inits = {t.name: numpy_helper.to_array(t) for t in model.graph.initializer}
    expected[0] = inits["big"] // inits["small"]
    failed = False
    for out, want in zip(model.graph.output, expected):
        got = np.load(os.path.join(args.workdir, "res", out.name + ".npy"))
        ok = got.dtype == want.dtype and np.array_equal(got, want)
        failed |= not ok
        print(f"unsigned {out.name}: {'PASS' if ok else 'FAIL'}"
              + ("" if ok else f" ({got.dtype} {got.tolist()} vs {want.dtype} {want.tolist()})"))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
