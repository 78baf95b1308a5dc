#!/usr/bin/env python3
"""End-to-end test: build an ONNX model, compile it with tessera-compile, run it
with tessera-run, and compare the outputs against onnxruntime.

  run_e2e.py --model NAME [--model NAME ...] --tessera-compile PATH \\
             --tessera-run PATH --workdir DIR [--seq N ...] [--atol A --rtol R]
             [--inputs-format npy|pb] [--compile-arg ARG ...] [--run-arg ARG ...]

For each model: writes DIR/NAME.onnx (from models.py), compiles it once into
DIR/NAME.out (models with dynamic dims are compiled once with the dims left
symbolic, unless models.COMPILE_ARGS fixes them with --input-shape), then for
each config (each --seq for dynamic models, the fixed shape otherwise; image
models take pixel_values [--batch, 3, H, W]) writes deterministic inputs, runs
onnxruntime (CPU EP, all graph optimizations) and tessera-run, and compares
every output with the np.allclose rule |got - ref| <= atol + rtol * |ref|.
Prints one line per config:

  e2e NAME seq=S: max_abs_err=... max_rel_err=... (atol=.., rtol=..) PASS|FAIL
  e2e NAME image=HxW batch=B: ...                                   (image models)

and exits 1 if any config fails or any tool fails (its stderr is printed).
"""

import argparse
import os
import shutil
import subprocess
import sys

import numpy as np
import onnx
from onnx import numpy_helper

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import models  # noqa: E402


def write_input(path_base, arr, fmt):
    """Writes one input as .npy or as a serialized ONNX TensorProto (.pb)."""
    if fmt == "npy":
        path = path_base + ".npy"
        np.save(path, arr)
    else:
        path = path_base + ".pb"
        with open(path, "wb") as f:
            f.write(numpy_helper.from_array(arr).SerializeToString())
    return path


def run_tool(cmd, timeout):
    """Runs a tool; returns (ok, message). Prints nothing itself."""
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    except FileNotFoundError as e:
        return False, f"cannot execute {cmd[0]}: {e}"
    except OSError as e:
        return False, f"cannot execute {cmd[0]}: {e}"
    except subprocess.TimeoutExpired:
        return False, f"timed out after {timeout}s: {' '.join(cmd)}"
    if p.returncode != 0:
        how = (f"killed by signal {-p.returncode}" if p.returncode < 0
               else f"exit code {p.returncode}")
        return False, (f"{how}: {' '.join(cmd)}\n--- stderr ---\n{p.stderr.rstrip()}"
                       f"\n--- stdout ---\n{p.stdout.rstrip()}")
    return True, ""


def compare(got, ref, atol, rtol):
    """Returns (ok, max_abs_err, max_rel_err) under the np.allclose rule."""
    diff = np.abs(got.astype(np.float64) - ref.astype(np.float64))
    mag = np.abs(ref.astype(np.float64))
    max_abs = float(diff.max()) if diff.size else 0.0
    max_rel = float((diff / np.maximum(mag, np.finfo(np.float32).tiny)).max()) if diff.size else 0.0
    finite = bool(np.all(np.isfinite(got)))
    ok = finite and bool(np.all(diff <= atol + rtol * mag))
    return ok, max_abs, max_rel


def run_model(name, args):
    """Runs every config of one model; returns the number of failures."""
    failures = 0
    onnx_path = os.path.join(args.workdir, f"{name}.onnx")
    out_dir = os.path.join(args.workdir, f"{name}.out")
    onnx.save(models.MODELS[name](), onnx_path)

    dynamic = name in models.DYNAMIC_MODELS
    configs = args.seq if dynamic else [None]
    tol = f"(atol={args.atol:g}, rtol={args.rtol:g})"

    def label(seq):
        if name in models.IMAGE_SIZES:
            img = models.IMAGE_SIZES[name]
            return f"e2e {name} image={img}x{img} batch={args.batch}"
        return f"e2e {name} seq={seq if seq is not None else 'static'}"

    shutil.rmtree(out_dir, ignore_errors=True)  # stale artifacts must not mask a failure
    ok, msg = run_tool([args.tessera_compile, onnx_path, "-o", out_dir, "--target=cpu"]
                       + models.COMPILE_ARGS.get(name, []) + args.compile_arg, args.timeout)
    if not ok:
        print(f"tessera-compile failed for {name}: {msg}", file=sys.stderr)
        for seq in configs:
            print(f"{label(seq)}: compile failed {tol} FAIL")
        return len(configs)

    for seq in configs:
        cfg = f"{name}.seq{seq}" if seq is not None else name
        in_dir = os.path.join(args.workdir, cfg + ".inputs")
        res_dir = os.path.join(args.workdir, cfg + ".results")
        for d in (in_dir, res_dir):
            shutil.rmtree(d, ignore_errors=True)
            os.makedirs(d)

        inputs = models.make_inputs(name, seq, batch=args.batch)
        ref = models.run_onnxruntime(onnx_path, inputs)

        cmd = [args.tessera_run, out_dir, "--output-dir", res_dir]
        for iname, arr in inputs.items():
            cmd += ["--input", f"{iname}={write_input(os.path.join(in_dir, iname), arr, args.inputs_format)}"]
        ok, msg = run_tool(cmd + args.run_arg, args.timeout)
        if not ok:
            print(f"tessera-run failed for {cfg}: {msg}", file=sys.stderr)
            print(f"{label(seq)}: run failed {tol} FAIL")
            failures += 1
            continue

        worst_abs, worst_rel, passed, notes = 0.0, 0.0, True, []
        for oname, ref_arr in ref.items():
            path = os.path.join(res_dir, f"{oname}.npy")
            try:
                got = np.load(path, allow_pickle=False)
            except (OSError, ValueError) as e:
                notes.append(f"cannot load output {path}: {e}")
                passed = False
                continue
            if got.shape != ref_arr.shape or got.dtype != ref_arr.dtype:
                notes.append(f"output {oname}: got {got.dtype}{list(got.shape)}, "
                             f"expected {ref_arr.dtype}{list(ref_arr.shape)}")
                passed = False
                continue
            ok, a, r = compare(got, ref_arr, args.atol, args.rtol)
            passed &= ok
            worst_abs, worst_rel = max(worst_abs, a), max(worst_rel, r)
        for n in notes:
            print(f"{cfg}: {n}", file=sys.stderr)
        print(f"{label(seq)}: max_abs_err={worst_abs:.3e} max_rel_err={worst_rel:.3e} "
              f"{tol} {'PASS' if passed else 'FAIL'}")
        failures += not passed
    return failures


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--model", action="append", required=True,
                    choices=sorted(models.MODELS) + ["all"],
                    help="model to test (repeatable; 'all' for every model)")
    ap.add_argument("--tessera-compile", required=True, help="path of tessera-compile")
    ap.add_argument("--tessera-run", required=True, help="path of tessera-run")
    ap.add_argument("--workdir", required=True, help="scratch directory (created)")
    ap.add_argument("--seq", type=int, action="append",
                    help="sequence length for dynamic models (repeatable; default 8 and 13)")
    ap.add_argument("--batch", type=int, default=2, help="batch for dynamic models (default 2)")
    ap.add_argument("--atol", type=float, default=1e-4, help="absolute tolerance (fp32 default 1e-4)")
    ap.add_argument("--rtol", type=float, default=1e-4, help="relative tolerance (fp32 default 1e-4)")
    ap.add_argument("--inputs-format", choices=["npy", "pb"], default="npy",
                    help="write inputs as .npy or ONNX TensorProto .pb")
    ap.add_argument("--compile-arg", action="append", default=[],
                    help="extra argument for tessera-compile (repeatable, use --compile-arg=--x)")
    ap.add_argument("--run-arg", action="append", default=[],
                    help="extra argument for tessera-run (repeatable, use --run-arg=--x)")
    ap.add_argument("--timeout", type=float, default=600, help="seconds per tool invocation")
    args = ap.parse_args()
    sys.stdout.reconfigure(line_buffering=True)  # keep FAIL lines next to tool stderr

    if args.seq is None:
        args.seq = [8, 13]
    if any(s < 1 for s in args.seq) or args.batch < 1:
        ap.error("--seq and --batch must be positive")
    names = sorted(models.MODELS) if "all" in args.model else list(dict.fromkeys(args.model))
    os.makedirs(args.workdir, exist_ok=True)

    failures = sum(run_model(name, args) for name in names)
    if failures:
        print(f"e2e: {failures} config(s) failed", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
