#!/usr/bin/env python3
"""Writes the bundled default model used by the README's main command.

  gen_default_model.py OUTDIR [--reference]

OUTDIR (normally examples/models) receives
  tiny_bert.onnx       the 2-layer BERT of test/e2e/models.py (bert2): inputs
                       input_ids / attention_mask int64 [batch, seq], output
                       last_hidden_state float32 [batch, seq, 64]
  input_ids.npy        int64 [1, 8], token ids in [0, 100)
  attention_mask.npy   int64 [1, 8], all ones
and with --reference also
  last_hidden_state.npy  onnxruntime's output for those inputs.

The model is generated rather than checked into git; a fixed seed makes every
run produce byte-identical files. Then, for example:

  tessera-compile OUTDIR/tiny_bert.onnx -o out/
  tessera-run out/ --input input_ids=OUTDIR/input_ids.npy \\
                   --input attention_mask=OUTDIR/attention_mask.npy --output-dir res/
"""

import argparse
import os
import sys

import numpy as np
import onnx

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "test", "e2e"))
import models  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("outdir", help="output directory (created), normally examples/models")
    ap.add_argument("--reference", action="store_true",
                    help="also write onnxruntime's last_hidden_state.npy")
    args = ap.parse_args()
    os.makedirs(args.outdir, exist_ok=True)

    model_path = os.path.join(args.outdir, "tiny_bert.onnx")
    onnx.save(models.bert2(), model_path)

    # batch 1, seq 8, no padding: the natural single-sentence demo input.
    inputs = models.make_inputs("bert2", seq=8, batch=1)
    for name, arr in inputs.items():
        np.save(os.path.join(args.outdir, f"{name}.npy"), arr)
    written = [model_path] + [os.path.join(args.outdir, f"{n}.npy") for n in inputs]

    if args.reference:
        for name, arr in models.run_onnxruntime(model_path, inputs).items():
            path = os.path.join(args.outdir, f"{name}.npy")
            np.save(path, arr)
            written.append(path)
    for path in written:
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
