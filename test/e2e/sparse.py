#!/usr/bin/env python3
"""End-to-end test of sparse weights: the sparse kernels (tsr-sparsify)
and pruning (tessera-compile --prune), against onnxruntime running the same
pruned model.

  sparse.py --model NAME [--model NAME ...] --prune SPEC --tessera-compile PATH
            --tessera-run PATH --workdir DIR [--seq N] [--atol A --rtol R]

For each model (models.py) and SPEC (2:4, block16:R, unstructured:R):
- tools/prune_onnx.py prunes the model's linear weights into NAME.pruned.onnx, which
  onnxruntime runs for the reference;
- "sparse": Tessera compiles the pruned model as it is (the zeros are
  found by tsr-sparsify, --sparsity=auto) and must match the reference
  within f32 tolerance, with at least --min-sparse linears sparse;
- "dense": the same with --sparsity=off (the same weights on the dense
  kernels: the sparse ones may differ only by summation order);
- "prune": Tessera compiles the dense model with --prune=SPEC
  --prune-heads, which must zero the same weights as prune_onnx.py and so
  match the same reference.
Prints one line per model and mode:

  sparse NAME SPEC MODE: linears=S/L max_abs_err=... PASS|FAIL

and exits 1 if any fails.
"""

import argparse
import os
import re
import shutil
import subprocess
import sys

import numpy as np
import onnx

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "..", "tools"))
import models  # noqa: E402
import prune_onnx as prune  # noqa: E402
from run_e2e import run_tool, write_input  # noqa: E402

REPORT = re.compile(r"sparsity: (\d+) of (\d+) linears run sparse kernels")


def run_mode(args, name, onnx_path, mode, extra, inputs, ref):
    out_dir = os.path.join(args.workdir, f"{name}.{mode}")
    res_dir = out_dir + ".results"
    shutil.rmtree(out_dir, ignore_errors=True)
    shutil.rmtree(res_dir, ignore_errors=True)
    os.makedirs(res_dir)
    cmd = [args.tessera_compile, onnx_path, "-o", out_dir] + extra + \
        models.COMPILE_ARGS.get(name, [])
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=args.timeout)
    except (OSError, subprocess.TimeoutExpired) as e:
        print(f"{name} {mode}: tessera-compile failed: {e}", file=sys.stderr)
        return None
    if p.returncode != 0:
        print(f"{name} {mode}: tessera-compile failed:\n{p.stderr}", file=sys.stderr)
        return None
    report = REPORT.search(p.stdout)
    sparse, linears = (int(report.group(1)), report.group(2)) if report else (0, "-")
    run = [args.tessera_run, out_dir, "--output-dir", res_dir]
    for n, p in inputs.items():
        run += ["--input", f"{n}={p}"]
    ok, msg = run_tool(run, args.timeout)
    if not ok:
        print(f"{name} {mode}: tessera-run failed: {msg}", file=sys.stderr)
        return None
    err, bad = 0.0, False
    for oname, r in ref.items():
        g = np.load(os.path.join(res_dir, f"{oname}.npy"))
        if g.shape != r.shape:
            print(f"{name} {mode}: output {oname} has shape {g.shape}, expected {r.shape}",
                  file=sys.stderr)
            return None
        diff = np.abs(g.astype(np.float64) - r)
        err = max(err, float(diff.max()) if diff.size else 0.0)
        bad |= not np.allclose(g, r, atol=args.atol, rtol=args.rtol)
    return sparse, linears, err, not bad


def check(args, name, spec):
    dense_path = os.path.join(args.workdir, f"{name}.onnx")
    model = models.MODELS[name]()
    onnx.save(model, dense_path)
    kept, total = prune.prune_model(model, spec)
    pruned_path = os.path.join(args.workdir, f"{name}.pruned.onnx")
    onnx.save(model, pruned_path)
    seq = args.seq if name in models.DYNAMIC_MODELS else None
    arrays = models.make_inputs(name, seq, batch=1)
    in_dir = os.path.join(args.workdir, f"{name}.inputs")
    shutil.rmtree(in_dir, ignore_errors=True)
    os.makedirs(in_dir)
    inputs = {n: write_input(os.path.join(in_dir, n), a, "npy") for n, a in arrays.items()}
    ref = models.run_onnxruntime(pruned_path, arrays)
    failures = 0
    for mode, path, extra in (
            ("sparse", pruned_path, []),
            ("dense", pruned_path, ["--sparsity=off"]),
            ("prune", dense_path, [f"--prune={spec}", "--prune-heads"])):
        result = run_mode(args, name, path, mode, extra, inputs, ref)
        if result is None:
            print(f"sparse {name} {spec} {mode}: FAIL")
            failures += 1
            continue
        sparse, linears, err, close = result
        want_sparse = 0 if mode == "dense" else args.min_sparse
        ok = close and sparse >= want_sparse and (mode != "dense" or sparse == 0)
        print(f"sparse {name} {spec} {mode}: linears={sparse}/{linears} "
              f"kept={kept / total:.3f} max_abs_err={err:.2e} "
              f"{'PASS' if ok else 'FAIL'}")
        failures += 0 if ok else 1
    return failures


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--model", action="append", required=True, choices=sorted(models.MODELS))
    ap.add_argument("--prune", action="append", required=True)
    ap.add_argument("--tessera-compile", required=True)
    ap.add_argument("--tessera-run", required=True)
    ap.add_argument("--workdir", required=True)
    ap.add_argument("--seq", type=int, default=16)
    ap.add_argument("--atol", type=float, default=1e-4)
    ap.add_argument("--rtol", type=float, default=1e-4)
    ap.add_argument("--min-sparse", type=int, default=1,
                    help="linears that must run sparse kernels (sparse and prune modes)")
    ap.add_argument("--timeout", type=float, default=600)
    args = ap.parse_args()
    os.makedirs(args.workdir, exist_ok=True)
    failures = sum(check(args, m, s) for m in args.model for s in args.prune)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
