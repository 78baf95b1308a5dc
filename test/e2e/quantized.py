#!/usr/bin/env python3
"""End-to-end test of quantization (tessera-compile --quantize=int8, or
--quantize=w4[:GROUP] or bf16 with --quantize): build an ONNX model, compile it with
and without --quantize, run both with tessera-run, and compare each with
onnxruntime's float32 outputs.

  quantized.py --model NAME [--model NAME ...] --tessera-compile PATH
               --tessera-run PATH --workdir DIR [--seq N] [--min-cosine C]
               [--max-rel-l2 E] [--compile-arg ARG ...] [--quantize SCHEME]
               [--calibrate N]

An int8 model cannot match float32 to 1e-4, and no elementwise tolerance
says whether it is good: what matters downstream is the direction of each
token's output vector. So for every output, per row of its last dim (one
token): the cosine between the int8 and the float32 rows, and over the whole
output ||int8 - ref|| / ||ref||. The float32 compile is checked as usual
(its worst cosine must be ~1), so a failure points at quantization. Prints,
per model:

  quantized NAME: fp32 min_cosine=... rel_l2=... int8 min_cosine=...
      mean_cosine=... rel_l2=... model.tsr int8/fp32=... PASS|FAIL

with the compiler's quantization report lines before it, and exits 1 if
any model fails or a tool fails.
"""

import argparse
import os
import shutil
import sys

import numpy as np
import onnx

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import models  # noqa: E402
from run_e2e import run_tool, write_input  # noqa: E402


def row_cosines(got, ref):
    """Cosine between matching rows of the last dim."""
    g = got.reshape(-1, got.shape[-1]).astype(np.float64)
    r = ref.reshape(-1, ref.shape[-1]).astype(np.float64)
    num = (g * r).sum(axis=1)
    den = np.linalg.norm(g, axis=1) * np.linalg.norm(r, axis=1)
    # Rows that are zero in both agree; a zero row against a non-zero one
    # does not.
    both_zero = den == 0
    return np.where(both_zero, 1.0, num / np.where(both_zero, 1.0, den))


def compare_outputs(res_dir, ref):
    """Tessera's outputs in res_dir against `ref` (name -> array): (the
    cosine of every output row, the relative L2 error over all outputs),
    or a message naming the first output of the wrong shape."""
    cos, num, den = [], 0.0, 0.0
    for oname, r in ref.items():
        g = np.load(os.path.join(res_dir, f"{oname}.npy"))
        if g.shape != r.shape:
            return f"output {oname} has shape {g.shape}, expected {r.shape}"
        cos.append(row_cosines(g, r))
        num += float(((g.astype(np.float64) - r) ** 2).sum())
        den += float((r.astype(np.float64) ** 2).sum())
    return np.concatenate(cos), float(np.sqrt(num / max(den, 1e-30)))


def compile_and_run(args, onnx_path, out_dir, res_dir, inputs, extra):
    shutil.rmtree(out_dir, ignore_errors=True)
    cmd = [args.tessera_compile, onnx_path, "-o", out_dir] + extra + args.compile_arg
    ok, msg = run_tool(cmd, args.timeout)
    if not ok:
        return None, f"tessera-compile {' '.join(extra)} failed: {msg}"
    shutil.rmtree(res_dir, ignore_errors=True)
    os.makedirs(res_dir)
    run = [args.tessera_run, out_dir, "--output-dir", res_dir]
    for name, path in inputs.items():
        run += ["--input", f"{name}={path}"]
    ok, msg = run_tool(run, args.timeout)
    if not ok:
        return None, f"tessera-run failed: {msg}"
    return msg, None


def check_model(name, args):
    onnx_path = os.path.join(args.workdir, f"{name}.onnx")
    onnx.save(models.MODELS[name](), onnx_path)
    seq = args.seq if name in models.DYNAMIC_MODELS else None
    arrays = models.make_inputs(name, seq, batch=1)
    in_dir = os.path.join(args.workdir, f"{name}.inputs")
    shutil.rmtree(in_dir, ignore_errors=True)
    os.makedirs(in_dir)
    inputs = {n: write_input(os.path.join(in_dir, n), a, "npy") for n, a in arrays.items()}
    ref = models.run_onnxruntime(onnx_path, arrays)

    quantize = [f"--quantize={args.quantize}"]
    if args.calibrate:
        # Sets drawn with other seeds than the evaluated input (seed 0).
        calib_dir = os.path.join(args.workdir, f"{name}.calibration")
        shutil.rmtree(calib_dir, ignore_errors=True)
        for i in range(args.calibrate):
            set_dir = os.path.join(calib_dir, f"set{i:03d}")
            os.makedirs(set_dir)
            for n, a in models.make_inputs(name, seq, batch=1, seed=i + 1).items():
                np.save(os.path.join(set_dir, f"{n}.npy"), a)
        quantize += ["--calibrate", calib_dir]
    results = {}
    for label, extra in (("fp32", []), ("int8", quantize)):
        out_dir = os.path.join(args.workdir, f"{name}.{label}")
        res_dir = out_dir + ".results"
        _, err = compile_and_run(args, onnx_path, out_dir,
                                 res_dir, inputs, extra + models.COMPILE_ARGS.get(name, []))
        if err:
            print(f"{name}: {err}", file=sys.stderr)
            print(f"quantized {name}: {label} failed FAIL")
            return 1
        compared = compare_outputs(res_dir, ref)
        if isinstance(compared, str):
            print(f"quantized {name}: {label} {compared} FAIL")
            return 1
        cos, rel = compared
        results[label] = dict(min=float(cos.min()), mean=float(cos.mean()), rel=rel,
                              size=os.path.getsize(os.path.join(out_dir, "model.tsr")))
    f, q = results["fp32"], results["int8"]
    ok = (f["min"] > 0.99999 and q["min"] >= args.min_cosine and
          q["mean"] >= args.min_mean_cosine and q["rel"] <= args.max_rel_l2)
    print(f"quantized {name}: fp32 min_cosine={f['min']:.6f} rel_l2={f['rel']:.2e} "
          f"{args.quantize} min_cosine={q['min']:.6f} mean_cosine={q['mean']:.6f} "
          f"rel_l2={q['rel']:.3e} model.tsr {args.quantize}/fp32={q['size'] / f['size']:.3f} "
          f"{'PASS' if ok else 'FAIL'}")
    return 0 if ok else 1


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--model", action="append", required=True, choices=sorted(models.MODELS))
    ap.add_argument("--tessera-compile", required=True)
    ap.add_argument("--tessera-run", required=True)
    ap.add_argument("--workdir", required=True)
    ap.add_argument("--seq", type=int, default=16)
    ap.add_argument("--min-cosine", type=float, default=0.99)
    ap.add_argument("--min-mean-cosine", type=float, default=0.995)
    ap.add_argument("--max-rel-l2", type=float, default=0.1)
    ap.add_argument("--compile-arg", action="append", default=[])
    ap.add_argument("--quantize", default="int8",
                    help="the --quantize scheme (int8, w4, w4:GROUP, bf16); its rows are "
                         "labelled int8 whatever the scheme")
    ap.add_argument("--calibrate", type=int, default=0,
                    help="calibrate the quantized build on this many input sets "
                         "(other seeds than the evaluated input)")
    ap.add_argument("--timeout", type=float, default=600)
    args = ap.parse_args()
    os.makedirs(args.workdir, exist_ok=True)
    return 1 if sum(check_model(m, args) for m in args.model) else 0


if __name__ == "__main__":
    sys.exit(main())
