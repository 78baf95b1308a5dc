#!/usr/bin/env bash
# Builds Tessera's libFuzzer targets (tools/fuzz) into build-fuzz/ with ASan
# and UBSan, then runs each for a while on a scratch copy of its seed corpus
# (test/fuzz/corpus/<target>/), so that runs never write into the repo.
#
#   bash scripts/fuzz.sh [--time SECONDS] [--runs N] [--seed S] [--list] [TARGET...]
#
# TARGET is a name such as onnx or model-tsr (executable
# build-fuzz/bin/tessera-fuzz-<name>); the default is every target that has
# a corpus (--list prints them). --time is per target (default 60; 0 only
# replays the corpus, e.g. after a fix). Ends with "fuzz.sh: N passed, M
# failed"; --runs caps the inputs tried per target and --seed fixes
# libFuzzer's random seed: with both, a run is reproducible (CI uses that,
# so a CI run cannot fail on a finding that a local run of the same tree
# would not show). Exits non-zero when a target crashes, leaks, times out or exceeds
# the memory limit, and prints where the reproducer is: rerun it with
# `build-fuzz/bin/tessera-fuzz-<name> FILE`. Fix the reader, then add the
# reproducer to the target's corpus (see test/fuzz/README.md).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${TESSERA_FUZZ_BUILD_DIR:-$root/build-fuzz}"
corpora="$root/test/fuzz/corpus"

seconds=60
runs=""
seed=""
list=0
targets=()
while [ $# -gt 0 ]; do
  case "$1" in
    --time) seconds="$2"; shift 2 ;;
    --time=*) seconds="${1#--time=}"; shift ;;
    --runs) runs="$2"; shift 2 ;;
    --runs=*) runs="${1#--runs=}"; shift ;;
    --seed) seed="$2"; shift 2 ;;
    --seed=*) seed="${1#--seed=}"; shift ;;
    --list) list=1; shift ;;
    -h|--help) sed -n '2,15p' "$0"; exit 0 ;;
    -*) echo "fuzz.sh: error: unknown option '$1'" >&2; exit 2 ;;
    *) targets+=("$1"); shift ;;
  esac
done
case "$seconds" in
  ''|*[!0-9]*) echo "fuzz.sh: error: --time wants whole seconds, got '$seconds'" >&2; exit 2 ;;
esac
for v in "$runs" "$seed"; do
  case "$v" in
    *[!0-9]*) echo "fuzz.sh: error: --runs and --seed want whole numbers, got '$v'" >&2; exit 2 ;;
  esac
done

# Every target has a corpus directory of its name.
known=()
for dir in "$corpora"/*/; do
  known+=("$(basename "$dir")")
done
if [ "$list" -eq 1 ]; then
  printf '%s\n' "${known[@]}"
  exit 0
fi
[ ${#targets[@]} -eq 0 ] && targets=("${known[@]}")
for t in "${targets[@]}"; do
  [ -d "$corpora/$t" ] || { echo "fuzz.sh: error: no target '$t' (known: ${known[*]})" >&2; exit 2; }
done

if [ ! -f "$build/build.ninja" ]; then
  flock /tmp/tessera-build.lock cmake -G Ninja -S "$root" -B "$build" \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DCMAKE_C_FLAGS_RELWITHDEBINFO="-O1 -gline-tables-only" \
    -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -gline-tables-only" \
    -DCMAKE_C_COMPILER=clang-22 -DCMAKE_CXX_COMPILER=clang++-22 \
    -DCMAKE_EXE_LINKER_FLAGS=-fuse-ld=lld \
    -DCMAKE_SHARED_LINKER_FLAGS=-fuse-ld=lld \
    -DCMAKE_MODULE_LINKER_FLAGS=-fuse-ld=lld \
    -DMLIR_DIR=/usr/lib/llvm-22/lib/cmake/mlir \
    -DTESSERA_ENABLE_FUZZERS=ON -DTESSERA_BUILD_TESTS=OFF >/dev/null
fi
ninja_targets=()
for t in "${targets[@]}"; do ninja_targets+=("tessera-fuzz-$t"); done
flock /tmp/tessera-build.lock ninja -C "$build" -j "${TESSERA_JOBS:-$(nproc)}" "${ninja_targets[@]}"

scratch="$(mktemp -d /tmp/tessera-fuzz.XXXXXX)"
trap 'rm -rf "$scratch"' EXIT
# Stop at the first UBSan report too; leaks are bugs in a reader.
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:allocator_may_return_null=0}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"

failed=()
for t in "${targets[@]}"; do
  corpus="$scratch/$t"
  artifacts="$build/fuzz-artifacts/$t"
  mkdir -p "$corpus" "$artifacts"
  cp -R "$corpora/$t/." "$corpus/"
  log="$build/fuzz-artifacts/$t.log"
  echo "fuzz.sh: $t for ${seconds}s ($(ls "$corpus" | wc -l) seeds); log: $log"
  status=0
  # -rss_limit_mb / -malloc_limit_mb: an input that makes a reader allocate
  # more than this is a bug (an unchecked size), reported like a crash.
  if [ "$seconds" -eq 0 ]; then
    limit=(-runs=0)
  else
    limit=(-max_total_time="$seconds")
    [ -n "$runs" ] && limit+=(-runs="$runs")
  fi
  [ -n "$seed" ] && limit+=(-seed="$seed")
  "$build/bin/tessera-fuzz-$t" "$corpus" "${limit[@]}" -timeout=25 \
      -rss_limit_mb=2560 -malloc_limit_mb=1024 \
      -artifact_prefix="$artifacts/" -print_final_stats=1 >"$log" 2>&1 || status=$?
  grep -E '^(stat::number_of_executed_units|stat::average_exec_per_sec|stat::new_units_added|stat::peak_rss_mb)' "$log" | sed "s/^/  $t: /" || true
  grep -E '^#[0-9]+[[:space:]]+DONE' "$log" | tail -1 | sed "s/^/  $t: /" || true
  if [ "$status" -ne 0 ]; then
    failed+=("$t")
    echo "fuzz.sh: $t FAILED (exit $status); last lines of $log:" >&2
    grep -E 'ERROR: |SUMMARY: |runtime error: |Test unit written to' "$log" | head -8 | sed 's/^/  /' >&2 || true
    reproducer=$(grep -Eo 'Test unit written to [^ ]+' "$log" | tail -1 | sed 's/Test unit written to //' || true)
    [ -n "$reproducer" ] && echo "fuzz.sh: reproducer: $reproducer (rerun: $build/bin/tessera-fuzz-$t $reproducer)" >&2
  fi
done

echo "fuzz.sh: $((${#targets[@]} - ${#failed[@]})) passed, ${#failed[@]} failed (${seconds}s per target)"
if [ ${#failed[@]} -ne 0 ]; then
  echo "fuzz.sh: failing targets: ${failed[*]}" >&2
  exit 1
fi
