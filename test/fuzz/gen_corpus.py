#!/usr/bin/env python3
"""Writes the ONNX seed corpus of the fuzz targets (test/fuzz/corpus/onnx/).

Seeds are small on purpose (libFuzzer mutates small inputs far faster):
- one graph per op converter, with a [2, 3] float input (and a symbolic-dim
  variant) and tiny initializers, so that every converter is reachable;
- a folded shape web (Shape -> Gather -> Unsqueeze -> Concat -> Reshape);
- the e2e suite's mlp models and miniature BERT, GPT-2 and ViT graphs
  (bench/models.py at hidden 8, one layer), shaped as torch exports them;
- malformed models whose errors the importer must report cleanly (named
  `bad-*.onnx`): sizes that would make it allocate terabytes, unknown dtypes,
  dangling inputs, external data, truncation.

Fixed seeds: rerunning rewrites the same bytes. Usage:
  .venv/bin/python test/fuzz/gen_corpus.py [OUT_DIR]
"""
import os
import sys

import numpy as np
from onnx import TensorProto, helper, numpy_helper

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(here, "..", "e2e"))
import models  # noqa: E402  (test/e2e/models.py)

OPSET = 17
F = TensorProto.FLOAT
I64 = TensorProto.INT64
BOOL = TensorProto.BOOL


def model(nodes, inputs, outputs, inits=(), opset=OPSET, name="seed"):
    graph = helper.make_graph(nodes, name, inputs, outputs, list(inits))
    m = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
    m.ir_version = 8
    return m


def vi(name, dtype, shape):
    return helper.make_tensor_value_info(name, dtype, shape)


def init(name, arr):
    return numpy_helper.from_array(np.asarray(arr), name)


def ints(name, values):
    return init(name, np.array(values, dtype=np.int64))


def floats(name, shape, seed=0):
    return init(name, np.random.default_rng(seed).standard_normal(shape).astype(np.float32))


def single(op, extra_inputs=(), inits=(), out_dtype=F, in_dtype=F, shape=(2, 3),
           out_shape=None, **attrs):
    """One node `op` on input x (plus `extra_inputs`) producing y."""
    node = helper.make_node(op, ["x", *extra_inputs], ["y"], name=op.lower(), **attrs)
    return model([node], [vi("x", in_dtype, list(shape))],
                 [vi("y", out_dtype, out_shape)], inits, name=op)


def op_seeds():
    s = {}
    for op in ["Abs", "Erf", "Exp", "Log", "Neg", "Reciprocal", "Relu", "Sigmoid",
               "Sqrt", "Tanh", "Identity", "Dropout"]:
        s[op] = single(op)
    s["Not"] = single("Not", in_dtype=BOOL, out_dtype=BOOL)
    s["Softmax"] = single("Softmax", axis=-1)
    s["Cast"] = single("Cast", out_dtype=I64, to=I64)
    for op in ["Add", "Sub", "Mul", "Div", "Pow", "Max", "Min"]:
        s[op] = single(op, ["b"], [floats("b", [3], 1)])
    for op in ["Equal", "Greater", "GreaterOrEqual", "Less", "LessOrEqual"]:
        s[op] = single(op, ["b"], [floats("b", [1, 3], 2)], out_dtype=BOOL)
    for op in ["And", "Or"]:
        s[op] = single(op, ["b"], [init("b", np.array([True, False, True]))],
                       in_dtype=BOOL, out_dtype=BOOL)
    s["Where"] = model(
        [helper.make_node("Where", ["c", "x", "b"], ["y"], name="where")],
        [vi("c", BOOL, [2, 3]), vi("x", F, [2, 3])], [vi("y", F, None)],
        [floats("b", [3], 3)], name="Where")
    s["MatMul"] = single("MatMul", ["w"], [floats("w", [3, 4], 4)])
    s["Gemm"] = single("Gemm", ["w", "b"], [floats("w", [4, 3], 5), floats("b", [4], 6)],
                       transB=1, alpha=0.5, beta=2.0)
    s["Concat"] = single("Concat", ["b"], [floats("b", [1, 3], 7)], axis=0)
    s["Gather"] = single("Gather", ["i"], [ints("i", [[0, 1], [1, 0]])], axis=1)
    s["Reshape"] = single("Reshape", ["s"], [ints("s", [3, -1])])
    s["Transpose"] = single("Transpose", perm=[1, 0])
    s["Unsqueeze"] = single("Unsqueeze", ["a"], [ints("a", [0, 3])])
    s["Squeeze"] = single("Squeeze", ["a"], [ints("a", [0])], shape=(1, 3))
    s["Slice"] = single("Slice", ["st", "en", "ax", "sp"],
                        [ints("st", [0, 1]), ints("en", [2, 3]), ints("ax", [0, 1]),
                         ints("sp", [1, 2])])
    s["Split"] = model(
        [helper.make_node("Split", ["x", "sp"], ["y", "z"], name="split", axis=1)],
        [vi("x", F, [2, 3])], [vi("y", F, None), vi("z", F, None)],
        [ints("sp", [1, 2])], name="Split")
    s["Expand"] = single("Expand", ["s"], [ints("s", [4, 2, 3])], shape=(1, 3))
    s["Shape"] = single("Shape", out_dtype=I64)
    s["ConstantOfShape"] = model(
        [helper.make_node("Shape", ["x"], ["s"], name="shape"),
         helper.make_node("ConstantOfShape", ["s"], ["y"], name="cos",
                          value=helper.make_tensor("v", F, [1], [1.5]))],
        [vi("x", F, ["n", 3])], [vi("y", F, None)], name="ConstantOfShape")
    s["Range"] = model(
        [helper.make_node("Range", ["a", "b", "c"], ["y"], name="range")],
        [], [vi("y", I64, None)], [ints("a", 0), ints("b", 7), ints("c", 2)], name="Range")
    for op in ["ReduceSum", "ReduceMean", "ReduceMax", "ReduceMin", "ReduceProd"]:
        if op == "ReduceSum":
            s[op] = single(op, ["a"], [ints("a", [1])], keepdims=1)
        else:
            s[op] = single(op, axes=[1], keepdims=0)
    s["LayerNormalization"] = single("LayerNormalization", ["g", "b"],
                                     [floats("g", [3], 8), floats("b", [3], 9)],
                                     axis=-1, epsilon=1e-5)
    s["RMSNormalization"] = model(
        [helper.make_node("RMSNormalization", ["x", "g"], ["y"], name="rms", axis=-1)],
        [vi("x", F, [2, 3])], [vi("y", F, None)], [floats("g", [3], 10)], opset=23,
        name="RMSNormalization")
    s["Conv"] = single("Conv", ["w", "b"], [floats("w", [4, 3, 2, 2], 11), floats("b", [4], 12)],
                       shape=(1, 3, 4, 4), kernel_shape=[2, 2], strides=[2, 2])
    s["CumSum"] = single("CumSum", ["a"], [ints("a", 1)])
    s["Trilu"] = single("Trilu", ["k"], [ints("k", 0)], shape=(3, 3), upper=0)
    s["Constant"] = model(
        [helper.make_node("Constant", [], ["c"], name="c",
                          value=helper.make_tensor("v", F, [3], [1, 2, 3])),
         helper.make_node("Add", ["x", "c"], ["y"], name="add")],
        [vi("x", F, [2, 3])], [vi("y", F, None)], name="Constant")
    # The same converters on a symbolic leading dim.
    s["Add-dynamic"] = model(
        [helper.make_node("Add", ["x", "b"], ["y"], name="add")],
        [vi("x", F, ["batch", 3])], [vi("y", F, ["batch", 3])], [floats("b", [3], 13)],
        name="AddDynamic")
    return s


def shape_web():
    """Reshape of x [batch, seq, 4] to [batch, seq, 2, 2] through a shape web."""
    nodes = [
        helper.make_node("Shape", ["x"], ["s"], name="shape"),
        helper.make_node("Gather", ["s", "i0"], ["d0"], name="g0", axis=0),
        helper.make_node("Gather", ["s", "i1"], ["d1"], name="g1", axis=0),
        helper.make_node("Unsqueeze", ["d0", "ax"], ["u0"], name="u0"),
        helper.make_node("Unsqueeze", ["d1", "ax"], ["u1"], name="u1"),
        helper.make_node("Concat", ["u0", "u1", "tail"], ["t"], name="cat", axis=0),
        helper.make_node("Reshape", ["x", "t"], ["y"], name="reshape"),
    ]
    return model(nodes, [vi("x", F, ["batch", "seq", 4])], [vi("y", F, None)],
                 [ints("i0", 0), ints("i1", 1), ints("ax", [0]), ints("tail", [2, 2])],
                 name="shape_web")


def raw_tensor(name, dtype, dims, raw=None, float_data=None):
    """A TensorProto as a corrupt file may hold it (onnx.helper refuses)."""
    t = TensorProto()
    t.name, t.data_type = name, dtype
    t.dims.extend(dims)
    if raw is not None:
        t.raw_data = raw
    if float_data is not None:
        t.float_data.extend(float_data)
    return t


def bad_seeds(mlp):
    s = {}
    huge = 1 << 40
    s["bad-huge-initializer"] = single("Add", ["w"], [raw_tensor("w", F, [huge], raw=b"\0" * 4)])
    s["bad-huge-float-data"] = single(
        "Add", ["w"], [raw_tensor("w", F, [1 << 20, 1 << 20], float_data=[1.0])])
    s["bad-unknown-dtype"] = single("Add", ["w"], [raw_tensor("w", 99, [3], raw=b"\0" * 12)])
    s["bad-negative-dim"] = single("Add", ["w"], [raw_tensor("w", F, [-3], raw=b"")])
    s["bad-dangling-input"] = single("Add", ["nowhere"])
    ext = raw_tensor("w", F, [3])
    ext.data_location = TensorProto.EXTERNAL
    for k, v in [("location", "weights.bin"), ("offset", "0"), ("length", "12")]:
        e = ext.external_data.add()
        e.key, e.value = k, v
    s["bad-external-data"] = single("Add", ["w"], [ext])
    s["bad-huge-reshape"] = single("Reshape", ["s"], [ints("s", [huge, huge])])
    s["bad-huge-expand"] = single("Expand", ["s"], [ints("s", [huge, huge, 3])], shape=(1, 3))
    s["bad-huge-constant-of-shape"] = model(
        [helper.make_node("ConstantOfShape", ["s"], ["y"], name="cos")],
        [], [vi("y", F, None)], [ints("s", [1 << 21, 1 << 21])], name="cos")
    s["bad-huge-range"] = model(
        [helper.make_node("Range", ["a", "b", "c"], ["y"], name="range")],
        [], [vi("y", I64, None)], [ints("a", 0), ints("b", 1 << 62), ints("c", 1)],
        name="range")
    s["bad-huge-input-dim"] = single("Relu", shape=(huge, huge))
    s["bad-gather-index"] = single("Gather", ["i"], [ints("i", [7])], axis=1)
    s["bad-transpose-perm"] = single("Transpose", perm=[5, 0])
    s["bad-opset-6"] = model(mlp.graph.node, mlp.graph.input, mlp.graph.output,
                             mlp.graph.initializer, opset=6)
    return s


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(here, "corpus", "onnx")
    os.makedirs(out, exist_ok=True)
    bench = models._bench_models()
    seeds = {f"op-{k}": v for k, v in op_seeds().items()}
    seeds["shape-web"] = shape_web()
    seeds["mlp"] = models.mlp()
    seeds["mlp_decomposed_ln"] = models.mlp_decomposed_ln()
    seeds["bert-mini"] = bench.bert(layers=1, hidden=8, heads=2, ffn=16, vocab=10, max_pos=8,
                                    seed=1, name="bert_mini")
    seeds["gpt2-mini"] = bench.gpt2(layers=1, hidden=8, heads=2, ffn=16, vocab=10,
                                    n_positions=8, seed=2, name="gpt2_mini", batch=1, seq=4)
    seeds["vit-mini"] = bench.vit(layers=1, hidden=8, heads=2, ffn=16, image=8, patch=4,
                                  seed=3, name="vit_mini")
    seeds.update(bad_seeds(seeds["mlp"]))
    for name, m in sorted(seeds.items()):
        with open(os.path.join(out, name + ".onnx"), "wb") as f:
            f.write(m.SerializeToString())
    data = seeds["mlp"].SerializeToString()
    with open(os.path.join(out, "bad-truncated-mlp.onnx"), "wb") as f:
        f.write(data[: len(data) // 2])
    total = sum(os.path.getsize(os.path.join(out, n)) for n in os.listdir(out))
    print(f"gen_corpus: {len(os.listdir(out))} seeds, {total} bytes in {out}")


if __name__ == "__main__":
    main()
