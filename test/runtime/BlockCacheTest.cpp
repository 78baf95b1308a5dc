//===- BlockCacheTest.cpp - The allocator of generated code ---------------===//
//
// Tests that blocks are aligned and distinct, that freed blocks are reused
// for requests of their size class (the steady state of repeated runs), and
// that bad sizes are refused.
//
//===----------------------------------------------------------------------===//

#include "BlockCache.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <set>

using tessera::runtime::BlockCache;

TEST(BlockCacheTest, BlocksAreAlignedAndDistinct) {
  BlockCache cache;
  std::set<void *> seen;
  for (int64_t bytes : {0, 1, 63, 64, 65, 4096, 100000, 3 << 20}) {
    void *block = cache.allocate(bytes);
    ASSERT_NE(block, nullptr) << bytes;
    EXPECT_EQ(reinterpret_cast<uintptr_t>(block) % 64, 0u) << bytes;
    EXPECT_TRUE(seen.insert(block).second) << bytes;
    std::memset(block, 0xab, bytes); // writable over its whole size
  }
  for (void *block : seen)
    cache.release(block);
}

TEST(BlockCacheTest, RepeatedRunsReuseBlocks) {
  BlockCache cache;
  const int64_t sizes[] = {4096 * 12, 768 * 128 * 4, 7, 3072 * 128 * 4};
  void *first[4];
  for (int i = 0; i < 4; ++i)
    first[i] = cache.allocate(sizes[i]);
  for (void *block : first)
    cache.release(block);
  size_t cached = cache.cachedBytes();
  EXPECT_GT(cached, 0u);
  // The same sequence again is served entirely from the cache.
  std::set<void *> firstSet(std::begin(first), std::end(first));
  for (int64_t bytes : sizes)
    EXPECT_TRUE(firstSet.count(cache.allocate(bytes))) << bytes;
  EXPECT_EQ(cache.cachedBytes(), 0u);
}

TEST(BlockCacheTest, RefusesNegativeAndHugeSizes) {
  BlockCache cache;
  EXPECT_EQ(cache.allocate(-1), nullptr);
  EXPECT_EQ(cache.allocate(INT64_MAX), nullptr);
  cache.release(nullptr); // ignored
}
