#!/usr/bin/env python3
"""Writes small ONNX models whose ops the importer builds as compositions
(composites.test compiles them with --emit=mlir and checks the tsr ops).

  composite_models.py OUTDIR
"""

import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

F = TensorProto.FLOAT


def save(outdir, name, nodes, inputs, outputs, inits=(), opset=17):
    g = helper.make_graph(nodes, name, inputs, outputs, initializer=list(inits))
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", opset)])
    onnx.save(m, os.path.join(outdir, name + ".onnx"))


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    vi = helper.make_tensor_value_info
    save(out, "logsoftmax",
         [helper.make_node("LogSoftmax", ["x"], ["y"], axis=-1)],
         [vi("x", F, [2, 8])], [vi("y", F, None)])
    w = np.random.default_rng(0).standard_normal((4, 3, 3, 3)).astype(np.float32)
    save(out, "conv_padded",
         [helper.make_node("Conv", ["x", "w"], ["y"], pads=[1, 1, 1, 1], strides=[2, 2])],
         [vi("x", F, [1, 3, 8, 8])], [vi("y", F, None)],
         [numpy_helper.from_array(w, "w")])
    save(out, "mod_int",
         [helper.make_node("Mod", ["a", "b"], ["y"])],
         [vi("a", TensorProto.INT32, [6]), vi("b", TensorProto.INT32, [6])],
         [vi("y", TensorProto.INT32, None)])
    # A shape web through Size and Flatten folds to constants.
    save(out, "flatten_size",
         [helper.make_node("Flatten", ["x"], ["f"], axis=2),
          helper.make_node("Size", ["x"], ["n"])],
         [vi("x", F, ["b", 3, 4, 5])], [vi("f", F, None), vi("n", TensorProto.INT64, None)])


if __name__ == "__main__":
    main()
