#!/usr/bin/env python3
"""Writes the seed corpora of the fuzz targets (test/fuzz/corpus/<target>/)
for onnx, json and safetensors (model-tsr's seeds are compiled models, see
test/fuzz/README.md).

Seeds are small on purpose (libFuzzer mutates small inputs far faster).
ONNX:
- one graph per op converter, with a [2, 3] float input (and a symbolic-dim
  variant) and tiny initializers, so that every converter is reachable;
- a folded shape web (Shape -> Gather -> Unsqueeze -> Concat -> Reshape);
- the e2e suite's mlp models and miniature BERT, GPT-2 and ViT graphs
  (bench/models.py at hidden 8, one layer), shaped as torch exports them;
- malformed models whose errors the importer must report cleanly (named
  `bad-*.onnx`): sizes that would make it allocate terabytes, unknown dtypes,
  dangling inputs, external data, truncation.

JSON graphs (docs/json-format.md): the documented example with inline
weights, symbolic dims, typed and tensor attributes, a shape web, every dtype,
and malformed graphs (bad-*.json). Safetensors: files with each dtype, a
metadata object, an empty tensor, and malformed headers and offsets.

Fixed seeds: rerunning rewrites the same bytes. Usage:
  .venv/bin/python test/fuzz/gen_corpus.py [CORPUS_DIR]
"""
import json
import os
import struct
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
    s["bad-range-float-inf"] = model(
        [helper.make_node("Range", ["a", "b", "c"], ["y"], name="range")],
        [], [vi("y", F, None)],
        [init("a", np.float32(0)), init("b", np.float32(3e38)), init("c", np.float32(1e-38))],
        name="range")
    s["bad-huge-input-dim"] = single("Relu", shape=(huge, huge))
    s["bad-gather-index"] = single("Gather", ["i"], [ints("i", [7])], axis=1)
    s["bad-transpose-perm"] = single("Transpose", perm=[5, 0])
    s["bad-opset-6"] = model(mlp.graph.node, mlp.graph.input, mlp.graph.output,
                             mlp.graph.initializer, opset=6)
    return s


def json_seeds():
    def graph(nodes, inputs, outputs, weights=(), **top):
        g = {"format_version": 1, "name": "seed", "opset": 17, "inputs": inputs}
        if weights:
            g["weights"] = list(weights)
        g["nodes"] = nodes
        g["outputs"] = [{"name": o} for o in outputs]
        g.update(top)
        return g

    x = {"name": "x", "dtype": "float32", "shape": ["batch", 4]}
    s = {}
    s["mlp"] = graph(
        [{"name": "fc1", "op": "Gemm", "inputs": ["x", "w1", "b1"], "outputs": ["h"],
          "attributes": {"alpha": 1, "transB": 0}},
         {"name": "act", "op": "Relu", "inputs": ["h"], "outputs": ["a"]},
         {"name": "fc2", "op": "MatMul", "inputs": ["a", "w2"], "outputs": ["y"]}],
        [x], ["y"],
        [{"name": "w1", "dtype": "float32", "shape": [4, 2],
          "data": [[0.1, 0.2], [0.3, 0.4], [0.5, 0.6], [0.7, 0.8]]},
         {"name": "b1", "dtype": "float32", "shape": [2], "data": [0, 1]},
         {"name": "w2", "dtype": "float32", "shape": [2, 3], "data": [1, 2, 3, 4, 5, 6]}])
    s["shape-web"] = graph(
        [{"op": "Shape", "inputs": ["x"], "outputs": ["s"]},
         {"op": "Gather", "inputs": ["s", "zero"], "outputs": ["b"], "attributes": {"axis": 0}},
         {"op": "Unsqueeze", "inputs": ["b", "axes"], "outputs": ["bu"]},
         {"op": "Concat", "inputs": ["bu", "tail"], "outputs": ["t"], "attributes": {"axis": 0}},
         {"op": "Reshape", "inputs": ["x", "t"], "outputs": ["y"]}],
        [x], ["y"],
        [{"name": "zero", "dtype": "int64", "shape": [], "data": 0},
         {"name": "axes", "dtype": "int64", "shape": [1], "data": [0]},
         {"name": "tail", "dtype": "int64", "shape": [2], "data": [2, 2]}])
    s["layer-norm-typed-attr"] = graph(
        [{"name": "ln", "op": "LayerNormalization", "inputs": ["x", "g", "b"], "outputs": ["y"],
          "attributes": {"axis": -1, "epsilon": {"type": "float", "value": 1}}}],
        [x], ["y"],
        [{"name": "g", "dtype": "float32", "shape": [4], "data": [1, 1, "nan", "inf"]},
         {"name": "b", "dtype": "float32", "shape": [4], "data": [0, 0, 0, "-inf"]}])
    s["constant-tensor-attr"] = graph(
        [{"name": "c", "op": "Constant", "inputs": [], "outputs": ["c"],
          "attributes": {"value": {"dtype": "int64", "shape": [2], "data": [-1, 4]}}},
         {"name": "r", "op": "Reshape", "inputs": ["x", "c"], "outputs": ["y"]}],
        [x], ["y"])
    s["softmax-transpose"] = graph(
        [{"op": "Transpose", "inputs": ["x"], "outputs": ["t"], "attributes": {"perm": [1, 0]}},
         {"op": "Softmax", "inputs": ["t"], "outputs": ["y"], "attributes": {"axis": -1}}],
        [x], ["y"])
    s["dtypes"] = graph(
        [{"op": "Cast", "inputs": [w], "outputs": [w + "_f"], "attributes": {"to": 1}}
         for w in ["f16", "bf16", "f64", "i32", "i16", "i8", "bo"]]
        + [{"op": "Identity", "inputs": ["u8"], "outputs": ["u8_id"]},
           {"op": "Gather", "inputs": ["x", "idx"], "outputs": ["y"], "attributes": {"axis": 1}}],
        [x], ["y", "u8_id"] + [w + "_f" for w in ["f16", "bf16", "f64", "i32", "i16", "i8", "bo"]],
        [{"name": "f16", "dtype": "float16", "shape": [2], "data": [0.5, -2]},
         {"name": "bf16", "dtype": "bfloat16", "shape": [2], "data": [1.5, 3]},
         {"name": "f64", "dtype": "float64", "shape": [1, 2], "data": [[1e300, -1e-300]]},
         {"name": "i32", "dtype": "int32", "shape": [2], "data": [2147483647, -2147483648]},
         {"name": "i16", "dtype": "int16", "shape": [2], "data": [32767, -32768]},
         {"name": "i8", "dtype": "int8", "shape": [2], "data": [127, -128]},
         {"name": "u8", "dtype": "uint8", "shape": [2], "data": [0, 255]},
         {"name": "bo", "dtype": "bool", "shape": [3], "data": [True, False, 1]},
         {"name": "idx", "dtype": "int64", "shape": [2], "data": [3, -1]}])
    bad = dict(s["mlp"])
    s["bad-version"] = dict(bad, format_version=2)
    s["bad-unknown-field"] = dict(bad, extra=1)
    s["bad-weights-file"] = dict(bad, weights_file="../x.safetensors")
    s["bad-missing-weights-file"] = graph(
        [{"op": "Relu", "inputs": ["w"], "outputs": ["y"]}], [x], ["y"],
        [{"name": "w", "dtype": "float32", "shape": [2]}], weights_file="w.safetensors")
    s["bad-huge-inline"] = graph(
        [{"op": "Add", "inputs": ["x", "w"], "outputs": ["y"]}], [x], ["y"],
        [{"name": "w", "dtype": "float32", "shape": [1 << 40, 1 << 40], "data": [1]}])
    s["bad-huge-input"] = graph(
        [{"op": "Relu", "inputs": ["x"], "outputs": ["y"]}],
        [{"name": "x", "dtype": "float32", "shape": [1 << 40, 1 << 40]}], ["y"])
    s["bad-int-range"] = graph(
        [{"op": "Relu", "inputs": ["w"], "outputs": ["y"]}], [x], ["y"],
        [{"name": "w", "dtype": "int8", "shape": [1], "data": [300]}])
    s["bad-duplicate-name"] = graph(
        [{"op": "Relu", "inputs": ["x"], "outputs": ["x"]}], [x], ["x"])
    s["bad-attr-type"] = graph(
        [{"op": "Softmax", "inputs": ["x"], "outputs": ["y"], "attributes": {"axis": 0.5}}],
        [x], ["y"])
    out = {f"{k}.json": json.dumps(v, indent=1).encode() for k, v in s.items()}
    out["bad-syntax.json"] = json.dumps(s["mlp"]).encode()[:-20]
    out["bad-deep-nesting.json"] = b'{"format_version": 1, "inputs": ' + b"[" * 5000 + b"]" * 5000 + b"}"
    return out


def safetensors_file(tensors, metadata=None, header_extra=b""):
    """tensors: [(name, dtype, shape, bytes)] laid out back to back."""
    header, data = {}, b""
    if metadata is not None:
        header["__metadata__"] = metadata
    for name, dtype, shape, raw in tensors:
        header[name] = {"dtype": dtype, "shape": shape,
                        "data_offsets": [len(data), len(data) + len(raw)]}
        data += raw
    h = json.dumps(header).encode() + header_extra
    return struct.pack("<Q", len(h)) + h + data


def safetensors_seeds():
    def arr(dtype, shape, fill=1):
        return np.full(shape, fill, dtype=dtype).tobytes()

    s = {}
    s["f32"] = safetensors_file([("w", "F32", [2, 3], arr(np.float32, [2, 3], 0.5)),
                                 ("b", "F32", [3], arr(np.float32, [3], -1))],
                                metadata={"format": "pt"})
    s["dtypes"] = safetensors_file(
        [(n, d, [2], arr(t, [2])) for n, d, t in
         [("a", "F16", np.float16), ("b", "BF16", np.uint16), ("c", "F64", np.float64),
          ("d", "I64", np.int64), ("e", "I32", np.int32), ("f", "I16", np.int16),
          ("g", "I8", np.int8), ("h", "U8", np.uint8), ("i", "BOOL", np.uint8),
          ("j", "U16", np.uint16), ("k", "U32", np.uint32), ("l", "U64", np.uint64)]])
    s["empty-and-scalar"] = safetensors_file([("e", "F32", [0, 4], b""),
                                              ("s", "F32", [], arr(np.float32, []))])
    s["padded-header"] = safetensors_file([("w", "F32", [4], arr(np.float32, [4]))],
                                          header_extra=b"        ")
    good = s["f32"]
    s["bad-truncated"] = good[:-5]
    s["bad-header-length"] = struct.pack("<Q", 1 << 40) + good[8:]
    s["bad-unknown-dtype"] = safetensors_file([("w", "F8", [4], b"\0" * 4)])
    s["bad-size-mismatch"] = safetensors_file([("w", "F32", [5], arr(np.float32, [4]))])
    s["bad-huge-shape"] = safetensors_file([("w", "F32", [1 << 40, 1 << 40], b"\0" * 4)])
    s["bad-negative-shape"] = safetensors_file([("w", "F32", [-1], b"")])
    hdr = {"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]},
           "b": {"dtype": "F32", "shape": [2], "data_offsets": [4, 12]}}
    h = json.dumps(hdr).encode()
    s["bad-overlap"] = struct.pack("<Q", len(h)) + h + b"\0" * 12
    hdr = {"a": {"dtype": "F32", "shape": [2], "data_offsets": [1 << 62, (1 << 62) + 8]}}
    h = json.dumps(hdr).encode()
    s["bad-offset-past-end"] = struct.pack("<Q", len(h)) + h + b"\0" * 8
    hdr = {"a": {"dtype": "F32", "shape": [2], "data_offsets": [8, 0]}}
    h = json.dumps(hdr).encode()
    s["bad-reversed-offsets"] = struct.pack("<Q", len(h)) + h + b"\0" * 8
    return {f"{k}.safetensors": v for k, v in s.items()}


def write_corpus(out, files):
    os.makedirs(out, exist_ok=True)
    for name, data in sorted(files.items()):
        with open(os.path.join(out, name), "wb") as f:
            f.write(data)
    total = sum(os.path.getsize(os.path.join(out, n)) for n in os.listdir(out))
    print(f"gen_corpus: {len(os.listdir(out))} seeds, {total} bytes in {out}")


def onnx_seeds():
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
    files = {name + ".onnx": m.SerializeToString() for name, m in seeds.items()}
    data = files["mlp.onnx"]
    files["bad-truncated-mlp.onnx"] = data[: len(data) // 2]
    return files


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else os.path.join(here, "corpus")
    write_corpus(os.path.join(root, "onnx"), onnx_seeds())
    write_corpus(os.path.join(root, "json"), json_seeds())
    write_corpus(os.path.join(root, "safetensors"), safetensors_seeds())


if __name__ == "__main__":
    main()
