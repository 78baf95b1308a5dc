#!/usr/bin/env python3
"""Runs the ONNX backend node-test suite through tessera-compile + tessera-run.

  node_suite.py [--jobs N] [--filter REGEX] [--cases FILE] [--timeout S]
                [--tessera-compile PATH] [--tessera-run PATH] [--report PATH]
                [--workdir DIR] [--keep]

The suite is the test data shipped inside the `onnx` Python package:
<onnx>/backend/test/data/node/<case>/{model.onnx, test_data_set_0/input_*.pb,
output_*.pb}. Each case is compiled, run on its inputs, and its outputs are
compared with the expected ones the way onnx's backend runner does: same
dtype and shape, then rtol=1e-3, atol=1e-7 for floats (NaN equals NaN),
exact for integers and bools. Each case ends as one of

  PASS         outputs match
  FIXED        outputs match, but only with every graph input bound (see
               below): the answer was fixed at compile time, so this is no
               pass of the op and is counted apart
  MISMATCH     ran, but an output differs (or is missing)
  UNSUPPORTED  a tool failed with a clean `error:` line that says unsupported
  ERROR        a tool failed with another clean `error:` line
  CRASH        a signal, a timeout, or a failure without an `error:` line

An ahead-of-time compile needs shape-like operands (Reshape's shape,
reduction axes, Slice bounds, ...) at compile time, which the node tests feed
as graph inputs: when tessera-compile says such an input "must be known at
compile time", the case is compiled again with that input bound to the
test's value as an initializer (when the operand is computed from inputs,
the small integer inputs, <= 8 elements, are bound); --no-bind turns this
off. Each case also records its strict result, the one it gets with nothing
bound (a case that needed binding fails strictly with the compiler's "must
be known at compile time" error), so one run gives both rates: strict, and
bound (passes over in-scope cases less the FIXED ones). tessera-run writes bfloat16, 8-bit and 4-bit float outputs as float32 .npy
files and int4/uint4 outputs as int8/uint8 (npy has none of them): such an
output matches when its values are values of the expected type that equal
the expected ones.

A case is *in scope* when every op type in its graph (subgraphs included) is
on `tessera-compile --list-ops`. The script prints one line per case, the pass
rate per op and overall over in-scope cases, and how the out-of-scope cases
fail (cleanly or by crashing). With no --filter/--cases it writes
docs/onnx-node-report.md and docs/onnx-node-report.json; --report PATH writes
PATH and PATH with a .json suffix. Exits 0 (the numbers are the result).
"""

import argparse
import collections
import concurrent.futures
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

import numpy as np
import onnx
from onnx import numpy_helper

RTOL, ATOL = 1e-3, 1e-7
KINDS = ["PASS", "FIXED", "MISMATCH", "UNSUPPORTED", "ERROR", "CRASH"]
ERROR_LINE = re.compile(r"^tessera-(compile|run): error: (.*)$", re.M)
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def node_data_dir():
    return os.path.join(os.path.dirname(onnx.__file__), "backend", "test", "data", "node")


def snake(op):
    """ReduceSum -> reduce_sum, LayerNormalization -> layer_normalization."""
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])", "_", op).lower()


def graph_ops(graph, out):
    """Collects the op types of `graph` and its subgraphs (If, Loop, Scan)."""
    for node in graph.node:
        out.add(node.op_type if node.domain in ("", "ai.onnx") else
                f"{node.domain}:{node.op_type}")
        for attr in node.attribute:
            if attr.HasField("g"):
                graph_ops(attr.g, out)
            for g in attr.graphs:
                graph_ops(g, out)
    return out


def named_op(case, ops):
    """The op of `ops` whose snake_case name the case name starts with
    (longest wins), or None."""
    best = None
    for op in ops:
        name = "test_" + snake(op.split(":")[-1])
        if (case == name or case.startswith(name + "_")) and (
                best is None or len(op) > len(best)):
            best = op
    return best


ALL_ONNX_OPS = sorted({s.name for s in onnx.defs.get_all_schemas_with_history()
                       if s.domain in ("", "ai.onnx")})


def primary_op(case, ops, model):
    """The op a case tests: the one in its graph it is named after; for
    function-expanded cases ("..._expanded") the op it is named after, marked
    "(expanded)"; else the graph's last node."""
    best = named_op(case, ops)
    if best:
        return best
    best = named_op(case, ALL_ONNX_OPS)
    if best:
        return best + " (expanded)"
    nodes = model.graph.node
    return nodes[-1].op_type if nodes else "<empty>"


def load_case(path):
    """Reads what the runner needs from a case directory (no big arrays)."""
    model = onnx.load(os.path.join(path, "model.onnx"), load_external_data=False)
    inits = {t.name for t in model.graph.initializer}
    inputs = [i.name for i in model.graph.input if i.name not in inits]
    outputs = [o.name for o in model.graph.output]
    ops = sorted(graph_ops(model.graph, set()))
    return model, inputs, outputs, ops


def classify_failure(proc_rc, stderr, timed_out):
    """(kind, detail) for a tool run that did not succeed."""
    if timed_out:
        return "CRASH", "timed out"
    m = ERROR_LINE.search(stderr)
    if proc_rc < 0:
        return "CRASH", f"killed by signal {-proc_rc}"
    if not m:
        tail = stderr.strip().splitlines()[-1] if stderr.strip() else "<empty stderr>"
        return "CRASH", f"exit {proc_rc} without an error line: {tail[:200]}"
    line = m.group(0)
    return ("UNSUPPORTED" if "unsupported" in line.lower() else "ERROR"), line[:300]


class HarnessError(Exception):
    """A problem of the runner itself (a tool that cannot be executed)."""


def run_tool(cmd, timeout):
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, errors="replace",
                           timeout=timeout)
        return p.returncode, p.stderr, False
    except OSError as e:
        raise HarnessError(f"cannot execute {cmd[0]}: {e}")
    except subprocess.TimeoutExpired as e:
        err = e.stderr.decode(errors="replace") if isinstance(e.stderr, bytes) else (e.stderr or "")
        return -9, err, True


def read_tensor_pb(path):
    t = onnx.TensorProto()
    with open(path, "rb") as f:
        t.ParseFromString(f.read())
    return t


# Float types NumPy lacks: tessera-run writes them widened to float32.
WIDENED_FLOATS = {"bfloat16", "float8_e4m3fn", "float8_e4m3fnuz", "float8_e5m2",
                  "float8_e5m2fnuz", "float4_e2m1fn"}
# 4-bit integers: tessera-run writes them as int8 / uint8.
WIDENED_INTS = {"int4": np.int8, "uint4": np.uint8}


def compare(expected, actual):
    """None if `actual` matches `expected` as onnx's backend runner checks,
    else why not."""
    if expected.dtype.name in WIDENED_FLOATS and actual.dtype == np.float32:
        if not np.array_equal(actual.astype(expected.dtype).astype(np.float32), actual,
                              equal_nan=True):
            return f"float32 output holds values that are not {expected.dtype.name}"
        expected = expected.astype(np.float32)
    if expected.dtype.name in WIDENED_INTS and actual.dtype == WIDENED_INTS[expected.dtype.name]:
        expected = expected.astype(actual.dtype)
    if expected.dtype != actual.dtype:
        return f"dtype {actual.dtype}, expected {expected.dtype}"
    if expected.shape != actual.shape:
        return f"shape {list(actual.shape)}, expected {list(expected.shape)}"
    if expected.dtype.kind in "fc" or "float" in expected.dtype.name:
        e = expected.astype(np.complex128 if expected.dtype.kind == "c" else np.float64)
        a = actual.astype(e.dtype)
        ok = np.isclose(a, e, rtol=RTOL, atol=ATOL, equal_nan=True)
        if not ok.all():
            bad = np.argwhere(~ok)[0]
            i = tuple(bad)
            return (f"{int((~ok).sum())}/{ok.size} elements differ, first at {list(bad)}: "
                    f"{a[i]!r} vs {e[i]!r}")
        return None
    if not np.array_equal(expected, actual):
        diff = np.argwhere(expected != actual)
        i = tuple(diff[0]) if len(diff) else ()
        return (f"{len(diff)}/{expected.size} elements differ"
                + (f", first at {list(i)}: {actual[i]!r} vs {expected[i]!r}" if len(diff) else ""))
    return None


NEEDS_CONSTANT = re.compile(r"input '([^']+)' must be known at compile time")


def is_small_int(pb):
    """True if the TensorProto file `pb` holds an integer tensor of at most 8
    elements (a shape, axes, a size: the inputs an operand may be computed
    from)."""
    if not os.path.exists(pb):
        return False
    try:
        a = numpy_helper.to_array(read_tensor_pb(pb))
    except Exception:
        return False
    return a.dtype.kind in "iu" and a.size <= 8


def bind_inputs(case_dir, model, files, out):
    """Writes a copy of the case's model in which the graph inputs named in
    `files` are initializers holding the test's values; returns its path."""
    m = onnx.ModelProto()
    m.CopyFrom(model)
    keep = [i for i in m.graph.input if i.name not in files]
    del m.graph.input[:]
    m.graph.input.extend(keep)
    for name, pb in files.items():
        t = read_tensor_pb(pb)
        t.name = name
        m.graph.initializer.append(t)
    path = os.path.join(out, "bound.onnx")
    onnx.save(m, path)
    return path


def run_case(case, path, args, workdir):
    """Runs one case; returns a result dict (paths in its detail shortened
    to the case's own directory)."""
    res = run_case_in(case, path, args, workdir)
    if res.get("detail"):
        for prefix in (path + os.sep, os.path.join(workdir, case) + os.sep):
            res["detail"] = res["detail"].replace(prefix, "")
    return res


def run_case_in(case, path, args, workdir):
    res = {"case": case}
    try:
        model, inputs, outputs, ops = load_case(path)
    except Exception as e:  # a model the onnx package itself cannot read
        res.update(kind="ERROR", stage="load", detail=f"onnx cannot load the model: {e}",
                   ops=[], op="<unreadable>")
        return res
    res["ops"] = ops
    res["op"] = primary_op(case, ops, model)
    out = os.path.join(workdir, case)
    shutil.rmtree(out, ignore_errors=True)
    os.makedirs(out)
    data = os.path.join(path, "test_data_set_0")
    input_files = {name: os.path.join(data, f"input_{i}.pb") for i, name in enumerate(inputs)}
    model_path = os.path.join(path, "model.onnx")
    bound = []
    strict = None  # the outcome with nothing bound, when binding changed it
    start = time.monotonic()
    while True:
        rc, err, to = run_tool([args.tessera_compile, model_path, "-o", out], args.timeout)
        m = NEEDS_CONSTANT.search(err) if rc > 0 and not args.no_bind else None
        name = m.group(1) if m else None
        # An ahead-of-time compile needs shape-like operands (axes, target
        # shapes, slice bounds, ...) at compile time; the node tests feed
        # them as graph inputs. Bind such an input to the test's value, as
        # an initializer, and compile again. When the operand is computed
        # from inputs, bind the small integer inputs (<= 8 elements) it may
        # come from.
        if name in input_files:
            more = [name]
        elif name:
            more = [n for n in inputs if is_small_int(input_files[n])]
        else:
            more = []
        more = [n for n in more if n not in bound and os.path.exists(input_files[n])]
        if not more:
            break
        if not bound:
            strict = classify_failure(rc, err, to)
        bound.extend(more)
        model_path = bind_inputs(path, model, {n: input_files[n] for n in bound}, out)
    res["compile_s"] = round(time.monotonic() - start, 3)
    if bound:
        res["bound"] = bound
        res["strict_kind"], res["strict_detail"] = strict
        # No input is left to feed at run time: the outputs were computed
        # at compile time, whatever the op does.
        res["all_bound"] = set(bound) >= set(inputs)
    if rc != 0 or to:
        kind, detail = classify_failure(rc, err, to)
        res.update(kind=kind, stage="compile", detail=detail)
        return res

    cmd = [args.tessera_run, out, "--output-dir", os.path.join(out, "res")]
    for name, pb in input_files.items():
        if name not in bound and os.path.exists(pb):
            cmd += ["--input", f"{name}={pb}"]
    rc, err, to = run_tool(cmd, args.timeout)
    if rc != 0 or to:
        kind, detail = classify_failure(rc, err, to)
        res.update(kind=kind, stage="run", detail=detail)
        return res

    for i, name in enumerate(outputs):
        pb = os.path.join(data, f"output_{i}.pb")
        try:
            expected = numpy_helper.to_array(read_tensor_pb(pb))
        except Exception as e:
            res.update(kind="ERROR", stage="compare",
                       detail=f"cannot read expected output {i} ('{name}'): {e}")
            return res
        got = os.path.join(out, "res", name + ".npy")
        if not os.path.exists(got):
            res.update(kind="MISMATCH", stage="compare", detail=f"output '{name}' missing")
            return res
        why = compare(expected, np.load(got, allow_pickle=False))
        if why:
            res.update(kind="MISMATCH", stage="compare", detail=f"output '{name}': {why}")
            return res
    res.update(kind="FIXED" if res.get("all_bound") else "PASS", stage="compare", detail="")
    if not args.keep:
        shutil.rmtree(out, ignore_errors=True)
    return res


def supported_ops(tessera_compile):
    p = subprocess.run([tessera_compile, "--list-ops"], capture_output=True, text=True)
    if p.returncode != 0:
        sys.exit(f"node_suite.py: error: {tessera_compile} --list-ops failed: {p.stderr.strip()}")
    return set(p.stdout.split())


def strict_kind(r):
    """The case's result with nothing bound."""
    return r.get("strict_kind", r["kind"])


def summarize(results, supported):
    """Per-op and overall numbers; a case is in scope if all its ops are
    supported. `strict` counts the in-scope results with nothing bound."""
    per_op = collections.OrderedDict()
    overall = collections.Counter()
    strict = collections.Counter()
    oos = collections.Counter()
    unsupported = collections.Counter()
    for r in results:
        r["in_scope"] = bool(r["ops"]) and all(op in supported for op in r["ops"])
        if r["in_scope"]:
            overall[r["kind"]] += 1
            strict[strict_kind(r)] += 1
            per_op.setdefault(r["op"], collections.Counter())[r["kind"]] += 1
        else:
            oos[r["kind"]] += 1
            for op in r["ops"]:
                if op not in supported:
                    unsupported[op] += 1
    return per_op, overall, strict, oos, unsupported


def failure_reasons(results):
    """Counts failures by their reason with case-specific names, paths and
    numbers elided, so that one cause reads as one line."""
    reasons = collections.Counter()
    for r in results:
        why = r["detail"]
        why = re.sub(r"^tessera-(compile|run): error: ", "", why)
        why = re.sub(r"\S*\.onnx: ", "", why)
        why = re.sub(r"node '[^']*' \((\w+), opset \d+\)", r"\1", why)
        why = re.sub(r"'[^']*'", "'…'", why)
        why = re.sub(r"element type \d+ \((\w*)\)",
                     lambda m: "element type " + (m.group(1) or "(newer than libonnx)"), why)
        why = re.sub(r"\d+/\d+ elements differ.*", "elements differ", why)
        reasons[(r["kind"], why[:160])] += 1
    return reasons


def rate(c):
    """Passes over cases, FIXED ones left out of both."""
    n = sum(c.values()) - c["FIXED"]
    return 100.0 * c["PASS"] / n if n else 0.0


def headline(overall, strict):
    """The two in-scope rates, as one line each: strict (nothing bound) and
    bound (FIXED cases counted apart)."""
    n_in = sum(overall.values())
    return (f"strict (no input bound): {strict['PASS']}/{n_in} pass ({rate(strict):.1f}%)",
            f"inputs bound: {overall['PASS']}/{n_in - overall['FIXED']} pass "
            f"({rate(overall):.1f}%), {overall['FIXED']} fixed at compile time counted apart; "
            + ", ".join(f"{k.lower()} {overall[k]}" for k in KINDS[2:]))


def write_report(path, results, per_op, overall, strict, oos, unsupported, meta):
    n_in = sum(overall.values())
    n_oos = sum(oos.values())
    lines = [
        "# ONNX backend node-test suite",
        "",
        "Generated by `test/onnx_node/node_suite.py` (do not edit by hand):",
        "",
        "```sh",
        meta["command"],
        "```",
        "",
        f"onnx {meta['onnx_version']}, {meta['cases']} cases, run {meta['date']}, "
        f"{meta['seconds']:.0f} s with {meta['jobs']} jobs.",
        "",
        "A case is in scope when every op type in its graph is on "
        "`tessera-compile --list-ops`. Outputs are compared as onnx's backend "
        f"runner does (rtol={RTOL}, atol={ATOL} for floats; exact for integers and bools).",
        "",
        "## Overall",
        "",
        f"{n_in} cases are in scope. Two rates, from the same run:",
        "",
        f"- **Strict, nothing bound: {strict['PASS']} / {n_in} pass ({rate(strict):.1f}%).** "
        "Every graph input is fed at run time, as an application would feed it.",
        f"- **With shape-like inputs bound: {overall['PASS']} / {n_in - overall['FIXED']} pass "
        f"({rate(overall):.1f}%)**; "
        + ", ".join(f"{k.lower()} {overall[k]}" for k in KINDS[2:])
        + f". {meta['bound']} in-scope cases were compiled with some inputs bound to the "
        f"test's values ({meta['bound_pass']} of them pass). The {overall['FIXED']} cases that "
        "pass only with *every* input bound (FIXED: their output is computed at compile time, "
        "so they say nothing about the op at run time) are counted apart, in neither number.",
        f"- Out of scope: {n_oos} cases; "
        f"{n_oos - oos['CRASH'] - oos['PASS'] - oos['FIXED']} fail cleanly, {oos['CRASH']} crash"
        + (f", {oos['PASS']} pass" if oos["PASS"] else "")
        + (f", {oos['FIXED']} fixed" if oos["FIXED"] else ""),
        "",
        "## In-scope cases per op",
        "",
        "The op is the one the case is named after (its graph may use others).",
        "",
        "| op | cases | pass | fixed | mismatch | unsupported | error | crash | pass rate |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for op in sorted(per_op):
        c = per_op[op]
        lines.append(f"| {op} | {sum(c.values())} | "
                     + " | ".join(str(c[k]) for k in KINDS)
                     + f" | {rate(c):.0f}% |")
    fixed = [r for r in results if r["in_scope"] and r["kind"] == "FIXED"]
    if fixed:
        lines += ["", "## In-scope cases fixed at compile time (counted apart)", "",
                  "Every graph input of these cases was bound, so their outputs are constants "
                  "of the compiled model.", "",
                  ", ".join(f"`{r['case']}`" for r in fixed)]
    bound = [r for r in results if r["in_scope"] and r["kind"] == "PASS" and r.get("bound")]
    if bound:
        lines += ["", "## In-scope cases that pass only with some inputs bound", "",
                  "| case | bound inputs |", "|---|---|"]
        for r in bound:
            lines.append(f"| {r['case']} | " + ", ".join(r["bound"]) + " |")
    fails = [r for r in results if r["in_scope"] and r["kind"] not in ("PASS", "FIXED")]
    lines += ["", "## In-scope cases that do not pass", ""]
    if not fails:
        lines.append("None.")
    else:
        lines += ["| case | result | why |", "|---|---|---|"]
        for r in fails:
            lines.append(f"| {r['case']} | {r['kind']} | "
                         + r["detail"].replace("|", "\\|").replace("\n", " ")[:200] + " |")
    if fails:
        lines += ["", "## Why in-scope cases fail, grouped", "",
                  "| cases | result | reason (names and paths elided) |", "|---:|---|---|"]
        for (kind, why), n in failure_reasons(fails).most_common():
            lines.append(f"| {n} | {kind} | " + why.replace("|", "\\|") + " |")
    crashes = [r for r in results if not r["in_scope"] and r["kind"] == "CRASH"]
    if crashes:
        lines += ["", "## Out-of-scope cases that crash", "",
                  "| case | why |", "|---|---|"]
        for r in crashes:
            lines.append(f"| {r['case']} | " + r["detail"].replace("|", "\\|")[:200] + " |")
    lines += ["", "## Unsupported ops, by the number of cases that use them", "",
              "| op | cases |", "|---|---:|"]
    for op, n in sorted(unsupported.items(), key=lambda kv: (-kv[1], kv[0])):
        lines.append(f"| {op} | {n} |")
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--filter", help="run only cases whose name matches this regex")
    ap.add_argument("--cases", help="run only the cases named in this file (one a line, # comments)")
    ap.add_argument("--timeout", type=float, default=120.0, help="seconds per tool run")
    ap.add_argument("--tessera-compile", default=os.path.join(ROOT, "build", "bin", "tessera-compile"))
    ap.add_argument("--tessera-run", default=os.path.join(ROOT, "build", "bin", "tessera-run"))
    ap.add_argument("--report", help="report path (default docs/onnx-node-report.md "
                    "when neither --filter nor --cases is given)")
    ap.add_argument("--workdir", help="where compiled cases go (default: a temp dir)")
    ap.add_argument("--keep", action="store_true", help="keep the compiled cases that pass")
    ap.add_argument("--progress", action="store_true", help="print each case to stderr as it ends")
    ap.add_argument("--no-bind", action="store_true",
                    help="never bind shape-like graph inputs to the test's values")
    ap.add_argument("--data", default=node_data_dir(), help="the node-test data directory")
    args = ap.parse_args()

    cases = sorted(d for d in os.listdir(args.data)
                   if os.path.isfile(os.path.join(args.data, d, "model.onnx")))
    if args.cases:
        with open(args.cases) as f:
            wanted = [l.split("#")[0].strip() for l in f]
        wanted = [w for w in wanted if w]
        missing = sorted(set(wanted) - set(cases))
        if missing:
            sys.exit(f"node_suite.py: error: no such cases: {', '.join(missing)}")
        cases = [c for c in cases if c in set(wanted)]
    if args.filter:
        rx = re.compile(args.filter)
        cases = [c for c in cases if rx.search(c)]
    report = args.report
    if report is None and not args.filter and not args.cases:
        report = os.path.join(ROOT, "docs", "onnx-node-report.md")

    workdir = args.workdir or tempfile.mkdtemp(prefix="tessera-node-suite-")
    os.makedirs(workdir, exist_ok=True)
    # Run copies of the tools, so that a rebuild during a long run cannot
    # mix two compilers (or remove one) halfway.
    tools = os.path.join(workdir, "tools")
    os.makedirs(tools, exist_ok=True)
    for attr in ("tessera_compile", "tessera_run"):
        exe = shutil.which(getattr(args, attr))
        if not exe:
            sys.exit(f"node_suite.py: error: no such tool: {getattr(args, attr)}")
        copy = os.path.join(tools, os.path.basename(exe))
        shutil.copy2(exe, copy)
        setattr(args, attr, copy)
    supported = supported_ops(args.tessera_compile)
    start = time.monotonic()
    results = []
    with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        futures = {pool.submit(run_case, c, os.path.join(args.data, c), args, workdir): c
                   for c in cases}
        for fut in concurrent.futures.as_completed(futures):
            try:
                r = fut.result()
            except HarnessError as e:
                pool.shutdown(cancel_futures=True)
                sys.exit(f"node_suite.py: error: {e}")
            results.append(r)
            if args.progress:
                print(f"[{len(results)}/{len(cases)}] {r['case']}: {r['kind']}",
                      file=sys.stderr, flush=True)
    seconds = time.monotonic() - start
    if not args.workdir and not args.keep:
        shutil.rmtree(workdir, ignore_errors=True)
    results.sort(key=lambda r: r["case"])
    for r in results:
        print(f"{r['case']}: {r['kind']}" + (f" ({r['detail']})" if r["detail"] else ""))

    per_op, overall, strict, oos, unsupported = summarize(results, supported)
    print("\nper-op (in-scope cases):")
    for op in sorted(per_op):
        c = per_op[op]
        print(f"  {op}: {c['PASS']}/{sum(c.values()) - c['FIXED']} pass ({rate(c):.0f}%)"
              + "".join(f", {k.lower()} {c[k]}" for k in KINDS[1:] if c[k]))
    n_oos = sum(oos.values())
    for line in headline(overall, strict):
        print(f"in-scope, {line}")
    print(f"out-of-scope: {n_oos} cases, "
          f"{n_oos - oos['CRASH'] - oos['PASS'] - oos['FIXED']} fail cleanly, "
          f"{oos['CRASH']} crash, {oos['PASS']} pass, {oos['FIXED']} fixed")
    print(f"crashes: {overall['CRASH'] + oos['CRASH']}")
    print("unsupported ops by case count: "
          + ", ".join(f"{op} {n}" for op, n in
                      sorted(unsupported.items(), key=lambda kv: (-kv[1], kv[0]))))

    if report:
        meta = {
            "command": "test/onnx_node/node_suite.py --jobs %d" % args.jobs
                       + (f" --filter '{args.filter}'" if args.filter else "")
                       + (f" --cases {args.cases}" if args.cases else ""),
            "onnx_version": onnx.__version__,
            "cases": len(results),
            "date": time.strftime("%Y-%m-%d", time.gmtime()),
            "seconds": seconds,
            "jobs": args.jobs,
            "bound": sum(1 for r in results if r["in_scope"] and r.get("bound")),
            "bound_pass": sum(1 for r in results if r["in_scope"] and r.get("bound")
                              and r["kind"] == "PASS"),
            "fixed": overall["FIXED"],
        }
        os.makedirs(os.path.dirname(os.path.abspath(report)), exist_ok=True)
        write_report(report, results, per_op, overall, strict, oos, unsupported, meta)
        with open(os.path.splitext(report)[0] + ".json", "w") as f:
            json.dump({"meta": meta, "supported_ops": sorted(supported),
                       "in_scope": dict(overall, rate=round(rate(overall), 2)),
                       "in_scope_strict": dict(strict, rate=round(rate(strict), 2)),
                       "out_of_scope": dict(oos),
                       "unsupported_ops": dict(unsupported),
                       "cases": results}, f, indent=1)
        print(f"report: {report}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
