#!/usr/bin/env python3
"""The numbers README.md states about the tests, computed from the tests.

  readme_numbers.py --check [--tessera-compile PATH] [--readme README.md]
  readme_numbers.py --write [--tessera-compile PATH] [--readme README.md]

A number in README.md that comes from the repository stands between markers,
`<!--gen:NAME-->VALUE<!--/gen-->` (invisible when rendered). --check exits 1
naming every marker whose value is stale, unknown or missing; --write
rewrites the values in place. test/docs/readme-numbers.test runs --check, so
a README count cannot drift from what the tests hold.

The names and where their values come from:
"""

import argparse
import json
import os
import re
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MARKER = re.compile(r"<!--gen:([a-z0-9-]+)-->(.*?)<!--/gen-->", re.S)


def _read(rel):
    with open(os.path.join(ROOT, rel)) as f:
        return f.read()


def _expected_failures(rel):
    """RUN lines of a lit test that expect a tool to fail (`RUN: not ...`):
    one per bad-input case."""
    return str(len(re.findall(r"^# RUN: not ", _read(rel), re.M)))


def _smoke_cases():
    lines = (ln.split("#")[0].strip() for ln in _read("test/onnx_node/smoke-cases.txt").splitlines())
    return str(sum(1 for ln in lines if ln))


def _bad_composites():
    sys.path.insert(0, os.path.join(ROOT, "test", "frontends", "onnx"))
    import bad_composites
    return str(len(bad_composites.CASES))


def _node_report():
    return json.loads(_read("docs/onnx-node-report.json"))


def _node(field):
    def get(_):
        d = _node_report()
        ins, strict, meta = d["in_scope"], d["in_scope_strict"], d["meta"]
        n_in = sum(v for k, v in ins.items() if k != "rate")
        values = {
            "in-scope": n_in,
            "strict-pass": strict.get("PASS", 0),
            "strict-rate": f"{strict['rate']:.1f}%",
            "bound-pass": ins.get("PASS", 0),
            "bound-total": n_in - ins.get("FIXED", 0),
            "bound-rate": f"{ins['rate']:.1f}%",
            "fixed": ins.get("FIXED", 0),
            "bound-cases": meta["bound"],
            "out-of-scope": sum(v for k, v in d["out_of_scope"].items()),
            "cases": meta["cases"],
        }
        return str(values[field])
    return get


def _list_ops(compiler):
    if not compiler:
        raise LookupError("needs --tessera-compile")
    p = subprocess.run([compiler, "--list-ops"], capture_output=True, text=True)
    if p.returncode != 0:
        raise LookupError(f"{compiler} --list-ops failed: {p.stderr.strip()}")
    return p.stdout.split()


def _op_count(compiler):
    return str(len(_list_ops(compiler)))


def _op_list(compiler):
    """The op names, comma-separated, wrapped as the README wraps prose."""
    words = [op + "," for op in _list_ops(compiler)]
    words[-1] = words[-1][:-1] + "."
    lines, line = [], ""
    for w in words:
        if line and len(line) + 1 + len(w) > 78:
            lines.append(line)
            line = w
        else:
            line = f"{line} {w}" if line else w
    return "\n" + "\n".join(lines + [line]) + "\n"


GENERATORS = {
    "onnx-op-count": (_op_count, "`tessera-compile --list-ops`, counted"),
    "onnx-op-list": (_op_list, "`tessera-compile --list-ops`"),
    "smoke-cases": (lambda _: _smoke_cases(), "cases in test/onnx_node/smoke-cases.txt"),
    "bad-composites": (lambda _: _bad_composites(),
                       "CASES of test/frontends/onnx/bad_composites.py"),
    "json-bad-inputs": (lambda _: _expected_failures("test/frontends/json/bad-inputs.test"),
                        "`RUN: not` lines of test/frontends/json/bad-inputs.test"),
    "hf-bad-checkpoints": (lambda _: _expected_failures("test/frontends/hf/bad-checkpoints.test"),
                           "`RUN: not` lines of test/frontends/hf/bad-checkpoints.test"),
}
for _f in ("in-scope", "strict-pass", "strict-rate", "bound-pass", "bound-total", "bound-rate",
           "fixed", "bound-cases", "out-of-scope", "cases"):
    GENERATORS["node-" + _f] = (_node(_f), f"docs/onnx-node-report.json ({_f})")
__doc__ += "".join(f"  {name:22} {why}\n" for name, (_, why) in GENERATORS.items())


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    mode = ap.add_mutually_exclusive_group(required=True)
    mode.add_argument("--check", action="store_true")
    mode.add_argument("--write", action="store_true")
    ap.add_argument("--tessera-compile", default=os.path.join(ROOT, "build", "bin",
                                                              "tessera-compile"))
    ap.add_argument("--readme", default=os.path.join(ROOT, "README.md"))
    args = ap.parse_args()

    with open(args.readme) as f:
        text = f.read()
    problems, cache = [], {}

    def value(name):
        if name not in cache:
            fn, _ = GENERATORS[name]
            cache[name] = fn(args.tessera_compile)
        return cache[name]

    def replace(m):
        name, old = m.group(1), m.group(2)
        if name not in GENERATORS:
            problems.append(f"unknown marker '{name}'")
            return m.group(0)
        try:
            new = value(name)
        except LookupError as e:
            problems.append(f"'{name}': {e}")
            return m.group(0)
        if new != old:
            problems.append(f"'{name}' says {old.strip()[:60]!r}, the tests say {new.strip()[:60]!r}")
        return f"<!--gen:{name}-->{new}<!--/gen-->"

    new_text = MARKER.sub(replace, text)
    used = {n for n, _ in MARKER.findall(text)}
    if "node-strict-rate" not in used or "smoke-cases" not in used:
        problems.append("README must state the strict node-suite rate and the smoke-subset size "
                        "through markers (node-strict-rate, smoke-cases)")
    rel = os.path.relpath(args.readme, ROOT)
    if args.write:
        with open(args.readme, "w") as f:
            f.write(new_text)
        print(f"readme_numbers.py: wrote {rel}")
        hard = [p for p in problems if "says" not in p]
        for p in hard:
            print(f"readme_numbers.py: error: {rel}: {p}", file=sys.stderr)
        return 1 if hard else 0
    for p in problems:
        print(f"readme_numbers.py: error: {rel}: {p} (scripts/readme_numbers.py --write "
              "updates the values)", file=sys.stderr)
    if not problems:
        print(f"readme_numbers.py: {rel}: {len(MARKER.findall(text))} numbers match the tests")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
