//===- BlockCache.cpp - The allocator of generated code -------------------===//
//
// Blocks carry a 64-byte header holding their size class, so release()
// needs no lookup table and the payload stays 64-byte aligned.
//
//===----------------------------------------------------------------------===//

#include "BlockCache.h"

#include <cstdlib>

namespace tessera::runtime {

namespace {
constexpr size_t kAlignment = 64;
constexpr size_t kHeader = 64;

size_t &headerOf(void *block) {
  return *reinterpret_cast<size_t *>(static_cast<char *>(block) - kHeader);
}
} // namespace

BlockCache::~BlockCache() {
  for (auto &entry : freeLists_)
    for (void *block : entry.second)
      std::free(static_cast<char *>(block) - kHeader);
}

size_t BlockCache::sizeClass(size_t bytes) {
  // Small blocks round to 64 bytes, larger ones to 4 KiB: sizes recur
  // exactly across runs, so coarse classes only cost memory.
  size_t granule = bytes < 65536 ? kAlignment : 4096;
  return (bytes + granule - 1) / granule * granule;
}

void *BlockCache::allocate(int64_t bytes) {
  if (bytes < 0 || static_cast<uint64_t>(bytes) > SIZE_MAX / 2)
    return nullptr;
  size_t cls = sizeClass(bytes == 0 ? 1 : static_cast<size_t>(bytes));
  auto it = freeLists_.find(cls);
  if (it != freeLists_.end() && !it->second.empty()) {
    void *block = it->second.back();
    it->second.pop_back();
    cachedBytes_ -= cls;
    return block;
  }
  void *raw = std::aligned_alloc(kAlignment, cls + kHeader);
  if (!raw)
    return nullptr;
  void *block = static_cast<char *>(raw) + kHeader;
  headerOf(block) = cls;
  return block;
}

void BlockCache::release(void *block) {
  if (!block)
    return;
  size_t cls = headerOf(block);
  freeLists_[cls].push_back(block);
  cachedBytes_ += cls;
}

} // namespace tessera::runtime
