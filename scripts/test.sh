#!/usr/bin/env bash
# Runs every Tessera test from nothing: set-up (packages, venv), build of
# every target (all test binaries included), then the whole lit suite (dialect and pass tests, importer and e2e tests against
# onnxruntime, bad-input tests, the example app, and the runtime's
# GoogleTests as lit's Unit suite), then every fuzz target for a short while
# (scripts/fuzz.sh in build-fuzz/, ASan+UBSan; TESSERA_FUZZ_RUNS inputs per
# target (default 8000) with a fixed seed, at most TESSERA_FUZZ_SECONDS
# (default 120; 0 skips them)), then the runtime's GoogleTests under
# ThreadSanitizer (scripts/tsan.sh in build-tsan/; TESSERA_TSAN=0 skips
# them).
#
# Nothing is allowed to not run quietly: every lit test has a timeout (a hang
# fails), the GoogleTest binaries are an explicit list (a missing one fails),
# and with CI=true a test lit reports UNSUPPORTED (a missing feature, such as
# the real MiniLM package) fails the run; elsewhere it is counted in the
# closing line as skipped, as are GoogleTests that skip themselves.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${TESSERA_BUILD_DIR:-$root/build}"

bash "$root/scripts/setup.sh"
bash "$root/scripts/build.sh"

log="$(mktemp)"
status=0
/usr/lib/llvm-22/bin/lit -sv --show-unsupported "$build/test" 2>&1 | tee "$log" || status=$?
# One summary line in the plain form CI reads: "N passed, N failed".
count() { awk -F: "/^ *($1) *:/ {s+=\$2} END {print s+0}" "$log"; }
passed=$(count 'Passed')
failed=$(count 'Failed|Unresolved|Timed Out|Unexpectedly Passed')
unsupported=$(count 'Unsupported')
skipped=$(count 'Skipped')
if [ "$unsupported" -gt 0 ]; then
  grep -E '^UNSUPPORTED: ' "$log" || true
  if [ "${CI:-}" = "true" ]; then
    echo "test.sh: error: $unsupported test(s) UNSUPPORTED; in CI every promised test must run" >&2
    failed=$((failed + unsupported))
  else
    skipped=$((skipped + unsupported))
  fi
fi
rm -f "$log"

# Each fuzz target counts as one test: it passes when it ran its time
# without a finding.
fuzz_seconds="${TESSERA_FUZZ_SECONDS:-120}"
if [ "$fuzz_seconds" -gt 0 ]; then
  log="$(mktemp)"
  # A fixed seed and run count make this run reproducible; --time only
  # guards against a slow machine.
  bash "$root/scripts/fuzz.sh" --time "$fuzz_seconds" --runs "${TESSERA_FUZZ_RUNS:-8000}" --seed 1 2>&1 | tee "$log" || true
  summary=$(grep -E '^fuzz.sh: [0-9]+ passed, [0-9]+ failed' "$log" || echo "fuzz.sh: 0 passed, 1 failed")
  rm -f "$log"
  passed=$((passed + $(echo "$summary" | awk '{print $2}')))
  failed=$((failed + $(echo "$summary" | awk '{print $4}')))
fi

# The runtime's GoogleTests under ThreadSanitizer count as one test.
if [ "${TESSERA_TSAN:-1}" != "0" ]; then
  log="$(mktemp)"
  bash "$root/scripts/tsan.sh" 2>&1 | tee "$log" || true
  summary=$(grep -E '^tsan.sh: [0-9]+ passed, [0-9]+ failed' "$log" || echo "tsan.sh: 0 passed, 1 failed")
  rm -f "$log"
  passed=$((passed + $(echo "$summary" | awk '{print $2}')))
  failed=$((failed + $(echo "$summary" | awk '{print $4}')))
fi

echo "tessera tests: ${passed} passed, ${failed} failed, ${skipped} skipped"
if [ "$status" -ne 0 ] || [ "$failed" -ne 0 ] || [ "$passed" -eq 0 ]; then
  exit 1
fi
