"""Writes the ONNX models of large-initializers.test into OUTDIR.

listed_as_input.onnx: y = x @ W + b, W a 64x32 f32 initializer (over the
  importer's host-value limit, so its raw data becomes a resource blob) that
  is also listed among the graph inputs, as exporters of IR version < 4 do;
  W[i, j] = i * 32 + j.
short_raw_data.onnx: the same with W's raw data one float short.
"""
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper


def model(w_raw):
    w = numpy_helper.from_array(np.zeros((64, 32), np.float32), "W")
    w.raw_data = w_raw
    b = numpy_helper.from_array(np.full((32,), 0.5, np.float32), "b")
    nodes = [helper.make_node("MatMul", ["x", "W"], ["xw"], name="mm"),
             helper.make_node("Add", ["xw", "b"], ["y"], name="add")]
    graph = helper.make_graph(
        nodes, "g",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 64]),
         helper.make_tensor_value_info("W", TensorProto.FLOAT, [64, 32])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [2, 32])],
        initializer=[w, b])
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])


out = sys.argv[1]
w = np.arange(64 * 32, dtype=np.float32).reshape(64, 32)
onnx.save(model(w.tobytes()), f"{out}/listed_as_input.onnx")
onnx.save(model(w.tobytes()[:-4]), f"{out}/short_raw_data.onnx")
