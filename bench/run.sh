#!/usr/bin/env bash
# Tessera vs onnxruntime CPU benchmark (see bench/README.md).
#   bash bench/run.sh --quick          # MiniLM-L6 b1 s128 + one GEMM, threads 1 and 2 (about a minute)
#   bash bench/run.sh                  # everything (long while code generation is naive)
#   bash bench/run.sh --models bert-base --batch 1 --seq 128 --threads 1 --iters 5
# Needs the build (bash scripts/build.sh) and the venv (bash scripts/setup.sh).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
[ -x "$root/.venv/bin/python" ] || bash "$root/scripts/setup.sh"
exec "$root/.venv/bin/python" "$root/bench/bench.py" "$@"
