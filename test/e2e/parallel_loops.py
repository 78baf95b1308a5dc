#!/usr/bin/env python3
"""Checks the loops outside runtime kernels on the thread pool, with
dynamic shapes.

x[B, S, 256] + r -> LayerNormalization -> Softmax(-1) -> * x: rows of 256
floats, B and S known only at run time, so the number of rows a parallel
region splits between threads is a run-time value. Compiles the model with
the default --parallel-loops and with --parallel-loops=false, checks that
the first has outlined tasks (main_forall<i> in model.o) and the second
none, then runs both at 2 threads for shapes above and below the cost
model's parallel threshold (and a single row) against onnxruntime. Prints
PASS or FAIL lines.
"""

import argparse
import os
import subprocess
import sys

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto, helper, numpy_helper

H = 256


def build(path):
    rng = np.random.default_rng(3)
    g = numpy_helper.from_array(rng.standard_normal(H).astype(np.float32), "g")
    b = numpy_helper.from_array(rng.standard_normal(H).astype(np.float32), "b")
    nodes = [
        helper.make_node("Add", ["x", "r"], ["s"]),
        helper.make_node("LayerNormalization", ["s", "g", "b"], ["n"], axis=-1, epsilon=1e-5),
        helper.make_node("Softmax", ["n"], ["p"], axis=-1),
        helper.make_node("Mul", ["p", "x"], ["y"]),
    ]
    dims = ["batch", "seq", H]
    graph = helper.make_graph(
        nodes, "parallel_loops",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, dims),
         helper.make_tensor_value_info("r", TensorProto.FLOAT, dims)],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, dims)],
        initializer=[g, b])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)],
                              ir_version=8)
    onnx.save(model, path)


def tasks(obj):
    out = subprocess.run(["nm", obj], capture_output=True, text=True, check=True).stdout
    return sum(1 for line in out.splitlines() if "_forall" in line and "ciface" not in line)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tessera-compile", required=True)
    ap.add_argument("--tessera-run", required=True)
    ap.add_argument("--workdir", required=True)
    a = ap.parse_args()
    path = os.path.join(a.workdir, "model.onnx")
    build(path)
    ok = True
    outs = {}
    for name, flags in (("par", []), ("serial", ["--parallel-loops=false"])):
        d = os.path.join(a.workdir, name)
        subprocess.run([a.tessera_compile, path, "-o", d] + flags, check=True,
                       stdout=subprocess.DEVNULL)
        n = tasks(os.path.join(d, "model.o"))
        good = n > 0 if name == "par" else n == 0
        ok &= good
        print(f"parallel-loops {name}: {n} tasks {'PASS' if good else 'FAIL'}")
        outs[name] = d
    sess = ort.InferenceSession(path)
    rng = np.random.default_rng(5)
    for shape in [(2, 48), (1, 5), (1, 1)]:
        x = rng.standard_normal(shape + (H,)).astype(np.float32)
        r = rng.standard_normal(shape + (H,)).astype(np.float32)
        ref = sess.run(None, {"x": x, "r": r})[0]
        np.save(os.path.join(a.workdir, "x.npy"), x)
        np.save(os.path.join(a.workdir, "r.npy"), r)
        for name, d in outs.items():
            res = os.path.join(a.workdir, f"res-{name}")
            subprocess.run([a.tessera_run, d, "--threads", "2",
                            "--input", f"x={a.workdir}/x.npy",
                            "--input", f"r={a.workdir}/r.npy",
                            "--output-dir", res], check=True, stdout=subprocess.DEVNULL)
            y = np.load(os.path.join(res, "y.npy"))
            err = float(np.abs(y - ref).max()) if y.shape == ref.shape else float("inf")
            good = err <= 1e-5
            ok &= good
            print(f"parallel-loops {name} {shape[0]}x{shape[1]}x{H}: "
                  f"max_abs_err={err:.2e} {'PASS' if good else 'FAIL'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
