#!/usr/bin/env python3
"""Writes small ONNX models with malformed quantization into DIR, one per
case, for the importer's error tests (prequantized.test):

  bad_quant_models.py DIR

zero_scale        DequantizeLinear with a scale of 0
negative_scale    QuantizeLinear with a negative scale
zero_point_type   QuantizeLinear whose zero point is int8 and data uint8
                  (DequantizeLinear of uint8 data with an int8 zero point)
axis_range        per-axis DequantizeLinear with axis 2 of a rank-2 input
axis_size         per-axis scale with the wrong number of elements
blocked           QuantizeLinear with block_size (opset 21)
int16             QuantizeLinear to int16
nbits_bits8       com.microsoft MatMulNBits with bits = 8
nbits_block       MatMulNBits whose block_size does not divide K
nbits_bytes       MatMulNBits whose B has the wrong number of bytes
"""

import os
import sys

import numpy as np
import onnx
from onnx import TensorProto as T
from onnx import helper as h
from onnx import numpy_helper as nh


def model(nodes, inputs, outputs, inits, opset=19):
    g = h.make_graph(nodes, "g", inputs, outputs, inits)
    return h.make_model(g, opset_imports=[h.make_opsetid("", opset)])


def dq(name, data, scale, zero, axis=None, out_shape=(2, 4)):
    attrs = {} if axis is None else {"axis": axis}
    return model([h.make_node("DequantizeLinear", ["q", "s", "z"], ["y"], name=name, **attrs)],
                 [], [h.make_tensor_value_info("y", T.FLOAT, list(out_shape))],
                 [nh.from_array(data, "q"), nh.from_array(scale, "s"), nh.from_array(zero, "z")])


def q(name, scale, zero, attrs=None, opset=19):
    return model([h.make_node("QuantizeLinear", ["x", "s", "z"], ["y"], name=name, **(attrs or {}))],
                 [h.make_tensor_value_info("x", T.FLOAT, [2, 4])],
                 [h.make_tensor_value_info("y", onnx.helper.np_dtype_to_tensor_dtype(zero.dtype), [2, 4])],
                 [nh.from_array(scale, "s"), nh.from_array(zero, "z")], opset)


def nbits(name, k, n, block, bits=4, b_bytes=None):
    blocks = -(-k // block)
    b = np.full((n, blocks, block * bits // 8), 0x88, np.uint8)
    if b_bytes is not None:
        b = np.zeros(b_bytes, np.uint8)
    node = h.make_node("MatMulNBits", ["a", "b", "s"], ["y"], name=name, domain="com.microsoft",
                       K=k, N=n, bits=bits, block_size=block)
    g = h.make_graph([node], "g", [h.make_tensor_value_info("a", T.FLOAT, [2, k])],
                     [h.make_tensor_value_info("y", T.FLOAT, [2, n])],
                     [nh.from_array(b, "b"), nh.from_array(np.ones(n * blocks, np.float32), "s")])
    return h.make_model(g, opset_imports=[h.make_opsetid("", 17), h.make_opsetid("com.microsoft", 1)])


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    u8 = np.arange(8, dtype=np.uint8).reshape(2, 4)
    cases = {
        "zero_scale": dq("dq_zero", u8, np.array(0.0, np.float32), np.array(1, np.uint8)),
        "negative_scale": q("q_neg", np.array(-0.5, np.float32), np.array(3, np.uint8)),
        "zero_point_type": dq("dq_type", u8, np.array(0.5, np.float32), np.array(1, np.int8)),
        "axis_range": dq("dq_axis", u8, np.ones(4, np.float32), np.zeros(4, np.uint8), axis=2),
        "axis_size": dq("dq_size", u8, np.ones(3, np.float32), np.zeros(3, np.uint8), axis=1),
        "blocked": q("q_block", np.ones((2, 2), np.float32), np.zeros((2, 2), np.uint8),
                     {"block_size": 2, "axis": 1}, opset=21),
        "int16": q("q_16", np.array(0.5, np.float32), np.array(0, np.int16), opset=21),
        "nbits_bits8": nbits("nb_8", 64, 8, 32, bits=8),
        "nbits_block": nbits("nb_block", 48, 8, 32),
        "nbits_bytes": nbits("nb_bytes", 64, 8, 32, b_bytes=7),
    }
    for name, m in cases.items():
        onnx.save(m, os.path.join(out, f"{name}.onnx"))


if __name__ == "__main__":
    main()
