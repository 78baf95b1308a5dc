"""Compares the basic_app example's printed outputs with onnxruntime.

The app (examples/basic_app/main.c) fills float inputs with the ramp
((k % 17) - 8) / 8 and integer inputs with zeros, sets every dynamic dim to
DIM, and prints each output's header line and values. This script feeds
onnxruntime the same inputs and checks every value (atol=rtol=1e-4).

Usage: check_app.py MODEL.onnx APP_OUTPUT.txt [DIM]
"""

import sys

import numpy as np
import onnxruntime as ort


def main():
    model, app_output = sys.argv[1], sys.argv[2]
    dim = int(sys.argv[3]) if len(sys.argv) > 3 else 4
    session = ort.InferenceSession(model, providers=["CPUExecutionProvider"])
    feeds = {}
    for inp in session.get_inputs():
        shape = [d if isinstance(d, int) else dim for d in inp.shape]
        count = int(np.prod(shape))
        if inp.type == "tensor(float)":
            ramp = ((np.arange(count) % 17) - 8) / 8.0
            feeds[inp.name] = ramp.astype(np.float32).reshape(shape)
        else:
            feeds[inp.name] = np.zeros(shape, dtype=np.int64)
    expected = session.run(None, feeds)
    lines = open(app_output).read().split("\n")
    pos = 0
    for ref in expected:
        header = lines[pos]
        pos += 1
        values = np.array([float(v) for v in lines[pos:pos + ref.size]],
                          dtype=np.float32)
        pos += ref.size
        got = values.reshape(ref.shape)
        err = float(np.max(np.abs(got - ref))) if ref.size else 0.0
        ok = np.allclose(got, ref, atol=1e-4, rtol=1e-4)
        print(f"app {header}: max_abs_err={err:.3e} {'PASS' if ok else 'FAIL'}")
        if not ok:
            sys.exit(1)


if __name__ == "__main__":
    main()
