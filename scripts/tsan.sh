#!/usr/bin/env bash
# Builds the runtime's GoogleTests with ThreadSanitizer into build-tsan/ and
# runs them: the thread pool, the parallel GEMM and attention drivers,
# concurrent sessions of one model and concurrent calls on one session
# (SessionAbuseTest). A data race, or any other TSan report, fails the run.
# Prints "tsan.sh: 1 passed, 0 failed" or "tsan.sh: 0 passed, 1 failed".
#
#   bash scripts/tsan.sh [-- GTEST_ARGS...]
set -uo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${TESSERA_TSAN_BUILD_DIR:-$root/build-tsan}"
[ "${1:-}" = "--" ] && shift

fail() {
  echo "tsan.sh: error: $*" >&2
  echo "tsan.sh: 0 passed, 1 failed"
  exit 1
}

# C stays uninstrumented: the test's stand-in libmodel.so (test_entry.c) is
# linked with -z defs and cannot reach TSan's runtime, which lives in the
# executable.
if [ ! -f "$build/build.ninja" ]; then
  cmake -G Ninja -S "$root" -B "$build" \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DCMAKE_C_COMPILER=clang-22 -DCMAKE_CXX_COMPILER=clang++-22 \
    -DCMAKE_CXX_FLAGS=-fsanitize=thread \
    -DCMAKE_EXE_LINKER_FLAGS="-fuse-ld=lld -fsanitize=thread" \
    -DCMAKE_SHARED_LINKER_FLAGS=-fuse-ld=lld \
    -DMLIR_DIR=/usr/lib/llvm-22/lib/cmake/mlir \
    -DLLVM_EXTERNAL_LIT=/usr/lib/llvm-22/bin/lit >/dev/null ||
    fail "cmake failed in $build"
fi
ninja -C "$build" tessera-runtime-tests || fail "build failed"
# allocator_may_return_null: BlockCacheTest asks for absurd sizes on
# purpose and expects NULL back.
if TSAN_OPTIONS="halt_on_error=1 allocator_may_return_null=1 ${TSAN_OPTIONS:-}" \
    timeout 1200 "$build/test/runtime/tessera-runtime-tests" "$@"; then
  echo "tsan.sh: 1 passed, 0 failed"
else
  echo "tsan.sh: 0 passed, 1 failed"
  exit 1
fi
