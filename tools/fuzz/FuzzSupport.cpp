//===- FuzzSupport.cpp - ASan defaults of the MLIR-based fuzz targets -----===//
//
// Part of Tessera's fuzz targets (tools/fuzz, built by scripts/fuzz.sh).
//
//===----------------------------------------------------------------------===//
//
// Manual poisoning is off in the targets that link libMLIR.so: LLVM's
// BumpPtrAllocator poisons the unused part of its slabs in code built with
// ASan (ours, inlined from LLVM's headers) but not in the uninstrumented
// dylib, which then writes into "poisoned" memory of the same allocator, a
// false use-after-poison when the two share an attribute uniquer. Options
// from ASAN_OPTIONS still apply on top of these.
//
//===----------------------------------------------------------------------===//

extern "C" __attribute__((visibility("default"), used)) const char *
__asan_default_options() {
  return "allow_user_poisoning=0";
}
