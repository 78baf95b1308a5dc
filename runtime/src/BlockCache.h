//===- BlockCache.h - The allocator of generated code -----------*- C++ -*-===//
//
// Every buffer generated code allocates (intermediates and results) comes
// from here. A model run allocates the same sizes in the same order every
// time, so freed blocks are kept, by size class, for the next request:
// after the first run a session makes no system calls and takes no page
// faults for its buffers. Memory is returned when the session is released.
//
// Not thread-safe: a session runs one entry at a time, and kernels' worker
// tasks never allocate through it.
//
//===----------------------------------------------------------------------===//

#ifndef TESSERA_RUNTIME_BLOCKCACHE_H
#define TESSERA_RUNTIME_BLOCKCACHE_H

#include <cstddef>
#include <cstdint>
#include <unordered_map>
#include <vector>

namespace tessera::runtime {

class BlockCache {
public:
  BlockCache() = default;
  BlockCache(const BlockCache &) = delete;
  BlockCache &operator=(const BlockCache &) = delete;
  ~BlockCache();

  /// A 64-byte-aligned block of at least `bytes` bytes; nullptr when out of
  /// memory or for a negative size.
  void *allocate(int64_t bytes);
  /// Returns a block from allocate() for reuse; nullptr is ignored.
  void release(void *block);

  /// Bytes held in free lists (for tests).
  size_t cachedBytes() const { return cachedBytes_; }

private:
  /// Rounds up to the size class a request is served from.
  static size_t sizeClass(size_t bytes);

  std::unordered_map<size_t, std::vector<void *>> freeLists_;
  size_t cachedBytes_ = 0;
};

} // namespace tessera::runtime

#endif // TESSERA_RUNTIME_BLOCKCACHE_H
