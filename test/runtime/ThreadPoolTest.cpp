//===- ThreadPoolTest.cpp - Tests of the session thread pool --------------===//
//
// Part of the Tessera runtime tests.
//
//===----------------------------------------------------------------------===//
//
// parallelFor visits every index exactly once, whatever the number of threads
// and indices (including fewer indices than threads); back-to-back regions
// (the spinning path) and regions after the workers fell asleep (the blocking
// path) both work; nested regions run inline instead of deadlocking; and the
// ABI's parallel_for reaches the pool.
//
//===----------------------------------------------------------------------===//
#include "ThreadPool.h"
#include "KernelRuntime.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <thread>
#include <vector>

using namespace tessera::runtime;

namespace {

/// Adds the indices of a chunk to the std::atomic<int64_t> at `arg`: regions
/// of this check their sum, n (n - 1) / 2, without per-index storage.
void addIndices(void *arg, int64_t begin, int64_t end, unsigned) {
  int64_t local = 0;
  for (int64_t i = begin; i < end; ++i)
    local += i;
  static_cast<std::atomic<int64_t> *>(arg)->fetch_add(local);
}

/// Counts visits per index and checks the thread index of each chunk.
struct VisitCounter {
  std::vector<std::atomic<int>> visits;
  unsigned numThreads;
  std::atomic<int> badThreadIndex{0};
  std::atomic<int> emptyChunks{0};

  VisitCounter(int64_t n, unsigned numThreads)
      : visits(static_cast<size_t>(n)), numThreads(numThreads) {}

  static void visit(void *arg, int64_t begin, int64_t end, unsigned thread) {
    auto &self = *static_cast<VisitCounter *>(arg);
    if (thread >= self.numThreads)
      self.badThreadIndex.fetch_add(1);
    if (begin >= end)
      self.emptyChunks.fetch_add(1);
    for (int64_t i = begin; i < end; ++i)
      self.visits[static_cast<size_t>(i)].fetch_add(1);
  }

  void expectEachVisitedOnce() const {
    for (size_t i = 0; i < visits.size(); ++i)
      ASSERT_EQ(visits[i].load(), 1) << "index " << i;
    EXPECT_EQ(badThreadIndex.load(), 0);
    EXPECT_EQ(emptyChunks.load(), 0);
  }
};

TEST(ThreadPoolTest, VisitsEveryIndexExactlyOnce) {
  for (unsigned threads : {1u, 2u, 3u, 4u}) {
    ThreadPool pool(threads);
    EXPECT_EQ(pool.numThreads(), threads);
    for (int64_t n : {0, 1, 2, 3, 5, 16, 17, 64, 100, 1000, 100003}) {
      SCOPED_TRACE(testing::Message() << threads << " threads, n = " << n);
      VisitCounter counter(n, threads);
      pool.parallelFor(n, VisitCounter::visit, &counter);
      counter.expectEachVisitedOnce();
    }
  }
}

TEST(ThreadPoolTest, ZeroThreadsMeansOne) {
  ThreadPool pool(0);
  EXPECT_EQ(pool.numThreads(), 1u);
  VisitCounter counter(10, 1);
  pool.parallelFor(10, VisitCounter::visit, &counter);
  counter.expectEachVisitedOnce();
}

TEST(ThreadPoolTest, FewerIndicesThanThreads) {
  ThreadPool pool(4);
  for (int64_t n : {1, 2, 3}) {
    VisitCounter counter(n, 4);
    pool.parallelFor(n, VisitCounter::visit, &counter);
    counter.expectEachVisitedOnce();
  }
}

TEST(ThreadPoolTest, ManyBackToBackRegions) {
  ThreadPool pool(2);
  std::atomic<int64_t> sum{0};
  int64_t expected = 0;
  for (int region = 0; region < 20000; ++region) {
    int64_t n = 1 + region % 37;
    pool.parallelFor(n, addIndices, &sum);
    expected += n * (n - 1) / 2;
  }
  EXPECT_EQ(sum.load(), expected);
}

TEST(ThreadPoolTest, WakesWorkersThatFellAsleep) {
  ThreadPool pool(3);
  for (int region = 0; region < 5; ++region) {
    // Longer than the workers' spin, so each region starts with them blocked.
    std::this_thread::sleep_for(std::chrono::milliseconds(3));
    VisitCounter counter(64, 3);
    pool.parallelFor(64, VisitCounter::visit, &counter);
    counter.expectEachVisitedOnce();
  }
}

TEST(ThreadPoolTest, UsesTheWorkers) {
  ThreadPool pool(2);
  // Each chunk waits for the other: only two threads running at once can
  // finish (a pool that serialized the chunks would wait forever, hence the
  // timeout fallback, which fails the test instead of hanging it).
  struct Rendezvous {
    std::atomic<int> arrived{0};
    std::atomic<bool> timedOut{false};
    std::atomic<unsigned> threadMask{0};
  } rendezvous;
  auto meet = [](void *arg, int64_t begin, int64_t end, unsigned thread) {
    auto &r = *static_cast<Rendezvous *>(arg);
    r.threadMask.fetch_or(1u << thread);
    for (int64_t i = begin; i < end; ++i)
      r.arrived.fetch_add(1);
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (r.arrived.load() < 2)
      if (std::chrono::steady_clock::now() > deadline) {
        r.timedOut.store(true);
        return;
      }
  };
  pool.parallelFor(2, meet, &rendezvous);
  EXPECT_FALSE(rendezvous.timedOut.load());
  EXPECT_EQ(rendezvous.threadMask.load(), 3u); // Caller (0) and worker (1).
}

TEST(ThreadPoolTest, NestedRegionsRunInline) {
  ThreadPool pool(2);
  struct Outer {
    ThreadPool *pool;
    std::vector<std::atomic<int>> visits = std::vector<std::atomic<int>>(8 * 8);
  } outer{&pool};
  auto outerTask = [](void *arg, int64_t begin, int64_t end, unsigned thread) {
    auto &o = *static_cast<Outer *>(arg);
    EXPECT_EQ(o.pool->currentThreadIndex(), thread);
    for (int64_t i = begin; i < end; ++i) {
      struct Inner {
        Outer *outer;
        int64_t row;
        unsigned thread;
      } inner{&o, i, thread};
      auto innerTask = [](void *arg, int64_t b, int64_t e, unsigned t) {
        auto &in = *static_cast<Inner *>(arg);
        EXPECT_EQ(t, in.thread); // Inline, on the same thread.
        for (int64_t j = b; j < e; ++j)
          in.outer->visits[static_cast<size_t>(in.row * 8 + j)].fetch_add(1);
      };
      o.pool->parallelFor(8, innerTask, &inner);
    }
  };
  pool.parallelFor(8, outerTask, &outer);
  for (auto &v : outer.visits)
    EXPECT_EQ(v.load(), 1);
}

TEST(ThreadPoolTest, AbiParallelForReachesThePool) {
  KernelRuntime runtime(2);
  tsr_kernel_context_t *context = runtime.context();
  EXPECT_EQ(context->abi_version, static_cast<uint32_t>(TSR_ABI_VERSION));
  EXPECT_EQ(context->num_threads, 2u);
  std::vector<std::atomic<int>> visits(1000);
  auto visit = [](void *arg, int64_t begin, int64_t end) {
    auto &v = *static_cast<std::vector<std::atomic<int>> *>(arg);
    for (int64_t i = begin; i < end; ++i)
      v[static_cast<size_t>(i)].fetch_add(1);
  };
  context->parallel_for(context->runtime, 1000, visit, &visits);
  for (auto &v : visits)
    EXPECT_EQ(v.load(), 1);
}

TEST(ThreadPoolTest, ShutsDownWhileWorkersSpinOrSleep) {
  for (int i = 0; i < 50; ++i) {
    auto pool = std::make_unique<ThreadPool>(3);
    VisitCounter counter(10, 3);
    pool->parallelFor(10, VisitCounter::visit, &counter);
    if (i % 10 == 0)
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    pool.reset(); // Joins; hangs (and times out) if a worker missed the stop.
  }
}

} // namespace

// Tests that wake() between regions, with workers asleep or spinning,
// changes nothing about what the regions compute.
TEST(ThreadPoolTest, ShutsDownRightAfterARegion) {
  // A worker woken for a region the caller then finished alone may read
  // the generation only after the destructor bumped it; it must still see
  // the stop (it once waited forever there, and the join hung: seen in CI
  // with other tests loading both cores; several copies of this binary at
  // once reproduce it).
  for (int round = 0; round < 2000; ++round) {
    ThreadPool pool(2);
    std::atomic<int64_t> sum{0};
    pool.parallelFor(2, addIndices, &sum);
    EXPECT_EQ(sum.load(), 1);
  }
}

TEST(ThreadPoolTest, WakeBetweenRegions) {
  ThreadPool pool(2);
  std::atomic<int64_t> sum{0};
  int64_t expected = 0;
  for (int region = 0; region < 200; ++region) {
    if (region % 50 == 0) // let the worker fall asleep now and then
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    pool.wake();
    int64_t n = 2 + region % 40;
    pool.parallelFor(n, addIndices, &sum);
    expected += n * (n - 1) / 2;
  }
  EXPECT_EQ(sum.load(), expected);
}
