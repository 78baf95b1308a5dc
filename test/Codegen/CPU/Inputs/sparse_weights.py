#!/usr/bin/env python3
"""Prints a tsr module for sparsify.mlir: one function per weight pattern,
each a tsr.linear over a 64 x 64 f32 weight written out densely:

  dense        no zeros (stays dense, silently)
  blocks       half of the 16 x 16 blocks zero (block16)
  scattered    90% of the weights zero, at random (csr)
  two_four     2 of every 4 inputs zero (the cost model keeps it dense)
"""

import numpy as np

rng = np.random.default_rng(3)


def weight(pattern):
    w = rng.uniform(0.5, 1.0, (64, 64)).astype(np.float32)
    if pattern == "blocks":
        for i in range(4):
            for j in range(4):
                if (i + j) % 2:
                    w[i * 16:(i + 1) * 16, j * 16:(j + 1) * 16] = 0
    elif pattern == "scattered":
        w[rng.uniform(size=w.shape) < 0.9] = 0
    elif pattern == "two_four":
        w[:, 1::4] = 0
        w[:, 2::4] = 0
    return w


for pattern in ("dense", "blocks", "scattered", "two_four"):
    rows = ", ".join("[" + ", ".join(f"{v:.3f}" for v in row) + "]"
                     for row in weight(pattern))
    print(f"func.func @{pattern}(%x: tensor<8x64xf32>) -> tensor<8x64xf32> {{")
    print(f'  %w = tsr.constant {{tsr.name = "{pattern}"}} dense<[{rows}]> : tensor<64x64xf32>')
    print("  %0 = tsr.linear %x, %w : (tensor<8x64xf32>, tensor<64x64xf32>) -> tensor<8x64xf32>")
    print("  return %0 : tensor<8x64xf32>")
    print("}")
