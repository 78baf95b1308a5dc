//===- ThreadPool.h - The worker threads of one session ---------*- C++ -*-===//
//
// Part of the Tessera runtime.
//
//===----------------------------------------------------------------------===//
//
// A fork-join pool for the parallel regions of one session: numThreads - 1
// workers plus the calling thread. A model run issues many short regions back
// to back (one per GEMM, one per parallel loop of the generated code), so the
// pool is built for low per-region latency: a region is published by bumping
// an atomic generation counter, idle workers spin on it for a short while
// before blocking on a condition variable, and the caller works on the region
// itself instead of only waiting.
//
// Regions do not nest: parallelFor called from inside a region (by a task)
// runs its whole range inline on the calling thread. Each task is told the
// index of the thread running it (0 = the caller, 1.. = workers), so kernels
// can use per-thread scratch memory without thread_local state.
//
//===----------------------------------------------------------------------===//
#ifndef TESSERA_RUNTIME_THREADPOOL_H
#define TESSERA_RUNTIME_THREADPOOL_H

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <thread>
#include <vector>

namespace tessera::runtime {

class ThreadPool {
public:
  /// Runs [begin, end) of a region on thread `threadIndex` (< numThreads()).
  using TaskFn = void (*)(void *arg, int64_t begin, int64_t end,
                          unsigned threadIndex);

  /// Starts `numThreads - 1` workers (0 counts as 1). Throws what
  /// std::thread throws when the system refuses a thread.
  explicit ThreadPool(unsigned numThreads);
  ThreadPool(const ThreadPool &) = delete;
  ThreadPool &operator=(const ThreadPool &) = delete;
  /// Stops and joins the workers; no region may be running.
  ~ThreadPool();

  unsigned numThreads() const { return numThreads_; }

  /// Calls fn over contiguous chunks covering [0, n) exactly once, on the
  /// pool's threads, and returns when all chunks are done. With n <= 1, one
  /// thread, or when called from inside a region, runs fn(arg, 0, n) inline.
  void parallelFor(int64_t n, TaskFn fn, void *arg);

  /// Gets sleeping workers spinning again, so that a region starting soon
  /// does not pay their wake-up (milliseconds for an idle virtual CPU).
  /// Cheap when nobody sleeps; call it when work is about to come.
  void wake();

  /// Index of the calling thread in this pool: 1.. for a worker, 0 for any
  /// other thread (the session's caller).
  unsigned currentThreadIndex() const;

  /// Whether a region is running (a kernel called from a task: its
  /// parallelFor runs inline, and buffers shared by all threads are not
  /// its alone).
  bool inRegion() const { return inRegion_.load(std::memory_order_acquire); }

private:
  void workerMain(unsigned index);
  void stopWorkers();
  /// Waits until a region newer than generation `seen` is published; false
  /// when stopping.
  bool waitForRegion(uint32_t seen);
  /// Claims chunks of region `generation` until none is left (or a newer
  /// region replaced it).
  void runChunks(unsigned threadIndex, uint32_t generation);

  unsigned numThreads_;
  std::vector<std::thread> workers_;

  // The current region. Written by the caller before it publishes a new
  // generation in work_, read by a worker only after it has claimed a chunk
  // of that generation; the caller waits for every claimed chunk, so it
  // never rewrites them under a worker. A worker that wakes up late finds
  // the generation moved on and claims nothing: the caller never waits for
  // a worker that did no work.
  TaskFn fn_ = nullptr;
  void *arg_ = nullptr;
  int64_t n_ = 0;
  /// Read only after a claim (atomic since the caller may be setting up the
  /// next region meanwhile).
  std::atomic<int64_t> numChunks_{0};

  /// (generation << 32) | chunks left; claimed by compare-exchange, so a
  /// chunk is only ever taken within its own generation.
  std::atomic<uint64_t> work_{0};
  std::atomic<int64_t> chunksDone_{0};
  std::atomic<bool> inRegion_{false};
  std::atomic<bool> stopping_{false};

  // Blocking, once spinning has not paid off. The counters are read without
  // the mutex (seq_cst) so that the common, spinning case never locks.
  std::mutex mutex_;
  std::condition_variable workAvailable_;
  std::condition_variable regionDone_;
  std::atomic<unsigned> sleepingWorkers_{0};
  std::atomic<uint64_t> wakeRequests_{0};
  std::atomic<bool> callerSleeping_{false};
};

} // namespace tessera::runtime

#endif // TESSERA_RUNTIME_THREADPOOL_H
