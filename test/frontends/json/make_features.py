#!/usr/bin/env python3
"""Writes OUTDIR/features.json and OUTDIR/features.safetensors: a small graph
that exercises the JSON format's less common paths, checked numerically by
run_json_examples.py --example features:

* a float16 safetensors tensor declared float32 (converted while compiling);
* Gemm's float attributes written as integer literals (typed by the schema);
* an explicitly typed attribute ({"type": "int", "value": -1});
* a Constant node whose tensor attribute is an inline tensor;
* inline bool and nested inline float data; a node without a name.

  make_features.py OUTDIR
"""

import json
import os
import struct
import sys

import numpy as np


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    rng = np.random.default_rng(5)
    w = (rng.standard_normal((4, 6)) * 0.5).astype(np.float16)
    data = w.astype("<f2").tobytes()
    header = json.dumps({"fc.weight": {"dtype": "F16", "shape": [4, 6],
                                       "data_offsets": [0, len(data)]}})
    with open(os.path.join(out, "features.safetensors"), "wb") as f:
        f.write(struct.pack("<Q", len(header)) + header.encode() + data)
    graph = {
        "format_version": 1,
        "weights_file": "features.safetensors",
        "inputs": [{"name": "x", "dtype": "float32", "shape": ["batch", 6]}],
        "weights": [
            {"name": "W", "tensor": "fc.weight", "dtype": "float32", "shape": [4, 6]},
            {"name": "b", "dtype": "float32", "shape": [4], "data": [[0.5, -1], [2, 0.25]]},
            {"name": "keep", "dtype": "bool", "shape": [4], "data": [True, False, 1, 0]},
            {"name": "zero", "dtype": "float32", "shape": [], "data": 0},
        ],
        "nodes": [
            {"name": "fc", "op": "Gemm", "inputs": ["x", "W", "b"], "outputs": ["h"],
             "attributes": {"transB": 1, "alpha": 2, "beta": 0.5}},
            {"op": "Where", "inputs": ["keep", "h", "zero"], "outputs": ["masked"]},
            {"name": "shape", "op": "Constant", "inputs": [], "outputs": ["shape"],
             "attributes": {"value": {"dtype": "int64", "shape": [3], "data": [-1, 2, 2]}}},
            {"name": "reshape", "op": "Reshape", "inputs": ["masked", "shape"],
             "outputs": ["pairs"]},
            {"name": "softmax", "op": "Softmax", "inputs": ["pairs"], "outputs": ["probs"],
             "attributes": {"axis": {"type": "int", "value": -1}}},
        ],
        "outputs": [{"name": "masked"}, {"name": "probs"}],
    }
    with open(os.path.join(out, "features.json"), "w") as f:
        json.dump(graph, f, indent=1)


if __name__ == "__main__":
    main()
