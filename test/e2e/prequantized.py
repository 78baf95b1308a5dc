#!/usr/bin/env python3
"""End-to-end test of models that arrive quantized: quantize an ONNX model
with onnxruntime's own tools, compile the quantized model with no flag, run
it with tessera-run and compare with onnxruntime running the same quantized
model.

  prequantized.py --model NAME [--model NAME ...] --scheme dynamic|qdq|qoperator
                  --tessera-compile PATH --tessera-run PATH --workdir DIR
                  [--seq N] [--max-rel-l2 E] [--min-cosine C]

Schemes (onnxruntime.quantization):
  dynamic    quantize_dynamic: DynamicQuantizeLinear + MatMulInteger
  qdq        quantize_static, QDQ format: QuantizeLinear/DequantizeLinear
             pairs around MatMul (activations uint8, weights int8)
  qoperator  quantize_static, QOperator format: QLinearMatMul and friends
  nbits      MatMulNBitsQuantizer: com.microsoft MatMulNBits, 4-bit weights
             in blocks of 32 with zero points (onnxruntime dequantizes them
             and multiplies in f32, as Tessera's w4 kernel does)

Tessera runs the same integer arithmetic as onnxruntime (the activations'
quantization, the int8 weights, exact int32 accumulation); what may differ
is float rounding around it (the order of the scale multiplications, the
sums of the fp32 parts) and, through it, an activation value that lands
next to a rounding boundary of a later quantization, which moves that
value by one quantization step. So the comparison is by the cosine of each
output row and the relative L2 error over the output, not bit equality.
Prints per model:

  prequantized NAME SCHEME: folded=N rel_l2=... min_cosine=... PASS|FAIL

where `folded` is how many int8 linears the compiler made (from its
report; after fusion, so Q, K and V reading one input count once), and exits 1 on any failure.
"""

import argparse
import os
import re
import shutil
import subprocess
import sys

import numpy as np
import onnx

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import models  # noqa: E402
from quantized import compare_outputs  # noqa: E402
from run_e2e import run_tool, write_input  # noqa: E402


def quantize(name, scheme, src, dst, seq):
    from onnxruntime.quantization import (CalibrationDataReader, QuantFormat,
                                          QuantType, quantize_dynamic,
                                          quantize_static)
    if scheme == "dynamic":
        quantize_dynamic(src, dst, weight_type=QuantType.QInt8)
        return
    if scheme == "nbits":
        from onnxruntime.quantization.matmul_nbits_quantizer import MatMulNBitsQuantizer
        q = MatMulNBitsQuantizer(onnx.load(src), block_size=32, is_symmetric=False)
        q.process()
        q.model.save_model_to_file(dst)
        return

    class Reader(CalibrationDataReader):
        def __init__(self):
            self.sets = [models.make_inputs(name, seq, batch=1, seed=s) for s in range(4)]

        def get_next(self):
            return self.sets.pop() if self.sets else None

    quantize_static(src, dst, Reader(),
                    quant_format=QuantFormat.QDQ if scheme == "qdq" else QuantFormat.QOperator,
                    activation_type=QuantType.QUInt8, weight_type=QuantType.QInt8,
                    # QOperator Gemm is com.microsoft's QGemm, which Tessera
                    # does not import.
                    op_types_to_quantize=["MatMul", "Gemm"] if scheme == "qdq" else ["MatMul"])


def check(name, args):
    src = os.path.join(args.workdir, f"{name}.onnx")
    dst = os.path.join(args.workdir, f"{name}.{args.scheme}.onnx")
    onnx.save(models.MODELS[name](), src)
    seq = args.seq if name in models.DYNAMIC_MODELS else None
    quantize(name, args.scheme, src, dst, seq)
    arrays = models.make_inputs(name, seq, batch=1, seed=11)
    in_dir = os.path.join(args.workdir, f"{name}.{args.scheme}.inputs")
    shutil.rmtree(in_dir, ignore_errors=True)
    os.makedirs(in_dir)
    inputs = {n: write_input(os.path.join(in_dir, n), a, "npy") for n, a in arrays.items()}
    ref = models.run_onnxruntime(dst, arrays)

    out_dir = os.path.join(args.workdir, f"{name}.{args.scheme}.out")
    res_dir = out_dir + ".results"
    shutil.rmtree(out_dir, ignore_errors=True)
    shutil.rmtree(res_dir, ignore_errors=True)
    os.makedirs(res_dir)
    cmd = [args.tessera_compile, dst, "-o", out_dir] + models.COMPILE_ARGS.get(name, [])
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=args.timeout)
    except (OSError, subprocess.TimeoutExpired) as e:
        print(f"prequantized {name} {args.scheme}: tessera-compile failed: {e} FAIL")
        return 1
    if p.returncode != 0:
        print(f"prequantized {name} {args.scheme}: tessera-compile failed "
              f"({p.returncode}): {p.stderr.strip()} FAIL")
        return 1
    report = p.stdout
    run = [args.tessera_run, out_dir, "--output-dir", res_dir]
    for n, p in inputs.items():
        run += ["--input", f"{n}={p}"]
    ok, msg = run_tool(run, args.timeout)
    if not ok:
        print(f"prequantized {name} {args.scheme}: tessera-run failed: {msg} FAIL")
        return 1
    m = re.search(r"the model's own (?:quantization runs in (\d+) int8|4-bit weights run "
                  r"in (\d+) w4) linears", report)
    folded = int(m.group(1) or m.group(2)) if m else 0
    compared = compare_outputs(res_dir, ref)
    if isinstance(compared, str):
        print(f"prequantized {name} {args.scheme}: {compared} FAIL")
        return 1
    cos, rel = compared
    ok = rel <= args.max_rel_l2 and cos.min() >= args.min_cosine
    print(f"prequantized {name} {args.scheme}: folded={folded} rel_l2={rel:.2e} "
          f"min_cosine={cos.min():.6f} {'PASS' if ok else 'FAIL'}")
    return 0 if ok else 1


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--model", action="append", required=True, choices=sorted(models.MODELS))
    ap.add_argument("--scheme", required=True, choices=["dynamic", "qdq", "qoperator", "nbits"])
    ap.add_argument("--tessera-compile", required=True)
    ap.add_argument("--tessera-run", required=True)
    ap.add_argument("--workdir", required=True)
    ap.add_argument("--seq", type=int, default=16)
    ap.add_argument("--max-rel-l2", type=float, default=1e-3)
    ap.add_argument("--min-cosine", type=float, default=0.99999)
    ap.add_argument("--timeout", type=float, default=600)
    args = ap.parse_args()
    os.makedirs(args.workdir, exist_ok=True)
    return 1 if sum(check(m, args) for m in args.model) else 0


if __name__ == "__main__":
    sys.exit(main())
