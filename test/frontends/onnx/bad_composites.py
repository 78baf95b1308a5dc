#!/usr/bin/env python3
"""Negative tests for the ONNX converters built as compositions (NodeBuilder:
activations, Mod, reductions, Pad, Tile, GatherElements, Conv and pools,
losses, Dropout, unsigned operands): each unsupported form must end with one
clean `tessera-compile: error:` line naming the node and saying what is
unsupported, and exit 1 -- never a crash.

  bad_composites.py --tessera-compile PATH --workdir DIR

Prints `bad-composite CASE: PASS|FAIL (...)` per case; exits 1 on a failure.
"""

import argparse
import os
import subprocess
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper


def model(nodes, inputs, outputs, inits=(), opset=17):
    g = helper.make_graph(nodes, "bad", inputs, outputs, initializer=list(inits))
    return helper.make_model(g, opset_imports=[helper.make_opsetid("", opset)])


def vi(name, dtype, shape):
    return helper.make_tensor_value_info(name, dtype, shape)


F, I64 = TensorProto.FLOAT, TensorProto.INT64


def ints(name, values):
    return numpy_helper.from_array(np.array(values, np.int64), name)


# name -> (model, words that must all appear in the error line)
CASES = {
    "pad_mode": (model(
        [helper.make_node("Pad", ["x", "p"], ["y"], name="pad_node", mode="mirror")],
        [vi("x", F, [2, 3])], [vi("y", F, None)], [ints("p", [0, 1, 0, 1])]),
        ["pad_node", "Pad", "unsupported Pad mode 'mirror'"]),
    "pad_reflect_too_far": (model(
        [helper.make_node("Pad", ["x", "p"], ["y"], name="pad_node", mode="reflect")],
        [vi("x", F, [2, 3])], [vi("y", F, None)], [ints("p", [0, 5, 0, 0])]),
        ["pad_node", "pads too large for reflect"]),
    "tile_zero": (model(
        [helper.make_node("Tile", ["x", "r"], ["y"], name="tile_node")],
        [vi("x", F, [2, 3])], [vi("y", F, None)], [ints("r", [1, 0])]),
        ["tile_node", "unsupported repeat count 0"]),
    "argmax_dynamic": (model(
        [helper.make_node("ArgMax", ["x"], ["y"], name="argmax_node", axis=1)],
        [vi("x", F, [2, "n"])], [vi("y", I64, None)]),
        ["argmax_node", "unsupported", "dynamic dim"]),
    "gather_elements_rank": (model(
        [helper.make_node("GatherElements", ["x", "i"], ["y"], name="ge_node")],
        [vi("x", F, [2, 3]), vi("i", I64, [2])], [vi("y", F, None)]),
        ["ge_node", "same rank"]),
    "mod_float_fmod0": (model(
        [helper.make_node("Mod", ["a", "b"], ["y"], name="mod_node")],
        [vi("a", F, [4]), vi("b", F, [4])], [vi("y", F, None)]),
        ["mod_node", "fmod=1"]),
    "gelu_approximation": (model(
        [helper.make_node("Gelu", ["x"], ["y"], name="gelu_node", approximate="erf")],
        [vi("x", F, [4])], [vi("y", F, None)], opset=20),
        ["gelu_node", "unsupported approximate 'erf'"]),
    "sin_integer": (model(
        [helper.make_node("Sin", ["x"], ["y"], name="sin_node")],
        [vi("x", I64, [4])], [vi("y", I64, None)]),
        ["sin_node", "unsupported element type", "needs a float tensor"]),
    # Elementwise math on unsigned integers is supported; reductions are not.
    "unsigned_reduce": (model(
        [helper.make_node("ReduceMax", ["a"], ["y"], name="reduce_node")],
        [vi("a", TensorProto.UINT8, [4])],
        [vi("y", TensorProto.UINT8, None)]),
        ["reduce_node", "unsupported element type ui8"]),
    "dropout_training": (model(
        [helper.make_node("Dropout", ["x", "r", "t"], ["y"], name="drop_node")],
        [vi("x", F, [4])], [vi("y", F, None)],
        [numpy_helper.from_array(np.array(0.5, np.float32), "r"),
         numpy_helper.from_array(np.array(True), "t")]),
        ["drop_node", "unsupported", "training mode"]),
    "maxpool_indices": (model(
        [helper.make_node("MaxPool", ["x"], ["y", "i"], name="pool_node", kernel_shape=[2, 2])],
        [vi("x", F, [1, 1, 4, 4])], [vi("y", F, None), vi("i", I64, None)]),
        ["pool_node", "unsupported", "Indices"]),
    "conv_dynamic_spatial": (model(
        [helper.make_node("Conv", ["x", "w"], ["y"], name="conv_node", pads=[1, 1, 1, 1])],
        [vi("x", F, [1, 2, "h", "w"])], [vi("y", F, None)],
        [numpy_helper.from_array(np.zeros((4, 2, 3, 3), np.float32), "w")]),
        ["conv_node", "unsupported", "dynamic spatial dims"]),
    "conv_groups": (model(
        [helper.make_node("Conv", ["x", "w"], ["y"], name="conv_node", group=3)],
        [vi("x", F, [1, 4, 5, 5])], [vi("y", F, None)],
        [numpy_helper.from_array(np.zeros((6, 2, 3, 3), np.float32), "w")]),
        ["conv_node", "channels do not match"]),
    "nll_reduction": (model(
        [helper.make_node("NegativeLogLikelihoodLoss", ["x", "t"], ["y"], name="nll_node",
                          reduction="max")],
        [vi("x", F, [2, 3]), vi("t", I64, [2])], [vi("y", F, None)]),
        ["nll_node", "unsupported reduction 'max'"]),
    "lpnorm_p3": (model(
        [helper.make_node("LpNormalization", ["x"], ["y"], name="lp_node", p=3)],
        [vi("x", F, [2, 3])], [vi("y", F, None)]),
        ["lp_node", "unsupported p 3"]),
    "attention_3d_no_heads": (model(
        [helper.make_node("Attention", ["q", "k", "v"], ["y"], name="attn_node")],
        [vi("q", F, [1, 4, 8]), vi("k", F, [1, 4, 8]), vi("v", F, [1, 4, 8])],
        [vi("y", F, None)], opset=23),
        ["attn_node", "q_num_heads and kv_num_heads"]),
    "attention_heads_not_multiple": (model(
        [helper.make_node("Attention", ["q", "k", "v"], ["y"], name="attn_node")],
        [vi("q", F, [1, 3, 4, 8]), vi("k", F, [1, 2, 4, 8]), vi("v", F, [1, 2, 4, 8])],
        [vi("y", F, None)], opset=23),
        ["attn_node", "not a multiple"]),
    "resize_mode": (model(
        [helper.make_node("Resize", ["x", "", "s"], ["y"], name="resize_node", mode="area")],
        [vi("x", F, [1, 1, 4, 4])], [vi("y", F, None)],
        [numpy_helper.from_array(np.array([1, 1, 2, 2], np.float32), "s")]),
        ["resize_node", "unsupported mode 'area'"]),
    "einsum_operands": (model(
        [helper.make_node("Einsum", ["a"], ["y"], name="einsum_node", equation="ij,jk->ik")],
        [vi("a", F, [2, 3])], [vi("y", F, None)]),
        ["einsum_node", "names 2 operands"]),
    "scatternd_reduction": (model(
        [helper.make_node("ScatterND", ["d", "i", "u"], ["y"], name="scatter_node",
                          reduction="avg")],
        [vi("d", F, [4]), vi("i", I64, [1, 1]), vi("u", F, [1])], [vi("y", F, None)],
        opset=18),
        ["scatter_node", "unsupported reduction 'avg'"]),
}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tessera-compile", required=True)
    ap.add_argument("--workdir", required=True)
    args = ap.parse_args()
    os.makedirs(args.workdir, exist_ok=True)
    failed = False
    for name, (m, words) in CASES.items():
        path = os.path.join(args.workdir, name + ".onnx")
        onnx.save(m, path)
        p = subprocess.run([args.tessera_compile, path, "-o",
                            os.path.join(args.workdir, name + ".out")],
                           capture_output=True, text=True, errors="replace", timeout=120)
        lines = [l for l in p.stderr.splitlines() if l.strip()]
        why = None
        if p.returncode < 0:
            why = f"killed by signal {-p.returncode}"
        elif p.returncode != 1:
            why = f"exit code {p.returncode}"
        elif len(lines) != 1 or not lines[0].startswith("tessera-compile: error: "):
            why = f"expected one error line, got: {p.stderr.strip()[:300]}"
        else:
            missing = [w for w in words if w not in lines[0]]
            if missing:
                why = f"missing {missing} in: {lines[0]}"
        failed |= why is not None
        print(f"bad-composite {name}: " + (f"FAIL ({why})" if why else f"PASS ({lines[0]})"))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
