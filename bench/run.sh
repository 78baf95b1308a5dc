#!/usr/bin/env bash
# Tessera vs onnxruntime CPU benchmark (see bench/README.md).
#   bash bench/run.sh --quick          # MiniLM-L6 b1 s128 + one GEMM, threads 1 and 2 (about a minute)
#   bash bench/run.sh                  # everything (about half an hour on 2 cores)
#   bash bench/run.sh --models bert-base --batch 1 --seq 128 --threads 1
# Sets up the venv when missing and brings the build up to date first (a no-op
# when it is), so the timed compiler and runtime are those of the checked-out
# commit; bench.py refuses a tree that differs from it.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
[ -x "$root/.venv/bin/python" ] || bash "$root/scripts/setup.sh"
bash "$root/scripts/build.sh" tessera-compile tessera_runtime tessera_runtime_shared >&2
exec "$root/.venv/bin/python" "$root/bench/bench.py" "$@"
