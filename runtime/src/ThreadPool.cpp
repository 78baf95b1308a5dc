//===- ThreadPool.cpp - The worker threads of one session -----------------===//
//
// Part of the Tessera runtime.
//
//===----------------------------------------------------------------------===//
//
// Region protocol (see ThreadPool.h): the caller writes the region, bumps
// `generation_`, wakes sleeping workers if there are any, and runs chunks
// itself; chunks are claimed from an atomic counter, so a worker that wakes
// late finds the work already done instead of delaying it. The caller
// returns once every worker has checked out of the region (`workersDone_`),
// which is what makes it safe to overwrite the region for the next one.
//
//===----------------------------------------------------------------------===//
#include "ThreadPool.h"

#include <algorithm>
#include <chrono>

using namespace tessera::runtime;

namespace {

/// How long an idle worker polls for the next region before it blocks. It
/// must bridge the serial code between two regions of one model run (tens
/// to hundreds of microseconds): a worker that blocks there gives its core
/// away, and on a virtual machine the host may hand that core to someone
/// else, so waking the worker for the next region can take milliseconds
/// (measured here: a 2-thread MiniLM run went from 19 to 36-46 ms after
/// the session sat idle, with 100 us of spinning; 2 ms fixes it). Like
/// onnxruntime's workers, an idle session burns that much CPU after a run.
constexpr std::chrono::microseconds kWorkerSpinTime(2000);
/// How long the caller polls for the workers to finish before it blocks.
constexpr std::chrono::microseconds kCallerSpinTime(200);

/// Above this many indices per thread, regions are cut into several chunks
/// per thread, so that uneven iterations balance out.
constexpr int64_t kFineChunkThreshold = 16;
constexpr int64_t kChunksPerThreadWhenFine = 4;

inline void cpuRelax() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#else
  std::this_thread::yield();
#endif
}

/// Polls `done` for up to `budget`; true when it returned true.
template <typename Predicate>
bool spinFor(std::chrono::microseconds budget, Predicate done) {
  auto deadline = std::chrono::steady_clock::now() + budget;
  for (unsigned i = 1;; ++i) {
    if (done())
      return true;
    cpuRelax();
    // Reading the clock costs more than a pause; do it now and then.
    if (i % 64 == 0 && std::chrono::steady_clock::now() >= deadline)
      return done();
  }
}

} // namespace

ThreadPool::ThreadPool(unsigned numThreads)
    : numThreads_(std::max(1u, numThreads)) {
  workers_.reserve(numThreads_ - 1);
  try {
    for (unsigned i = 1; i < numThreads_; ++i)
      workers_.emplace_back(&ThreadPool::workerMain, this, i);
  } catch (...) {
    // Join the workers that did start before reporting the failure.
    stopWorkers();
    throw;
  }
}

ThreadPool::~ThreadPool() { stopWorkers(); }

void ThreadPool::stopWorkers() {
  if (workers_.empty())
    return;
  stopping_.store(true);
  work_.fetch_add(uint64_t{1} << 32);
  {
    std::lock_guard<std::mutex> lock(mutex_);
    workAvailable_.notify_all();
  }
  for (std::thread &worker : workers_)
    worker.join();
  workers_.clear();
}

unsigned ThreadPool::currentThreadIndex() const {
  std::thread::id self = std::this_thread::get_id();
  for (size_t i = 0; i < workers_.size(); ++i)
    if (workers_[i].get_id() == self)
      return static_cast<unsigned>(i + 1);
  return 0;
}

void ThreadPool::parallelFor(int64_t n, TaskFn fn, void *arg) {
  if (n <= 0)
    return;
  if (n == 1 || workers_.empty()) {
    fn(arg, 0, n, currentThreadIndex());
    return;
  }
  // A task that opens a region of its own runs it alone: its siblings are
  // busy, and waiting for them from inside a region could deadlock.
  if (inRegion_.exchange(true, std::memory_order_acquire)) {
    fn(arg, 0, n, currentThreadIndex());
    return;
  }

  int64_t threads = numThreads_;
  fn_ = fn;
  arg_ = arg;
  n_ = n;
  numChunks_.store(n >= kFineChunkThreshold * threads
                       ? threads * kChunksPerThreadWhenFine
                       : std::min(n, threads),
                   std::memory_order_relaxed);
  chunksDone_.store(0, std::memory_order_relaxed);
  uint32_t generation = static_cast<uint32_t>(work_.load() >> 32) + 1;
  // Publishes the region (seq_cst, see below) with all its chunks unclaimed.
  work_.store((static_cast<uint64_t>(generation) << 32) |
              static_cast<uint64_t>(numChunks_.load(std::memory_order_relaxed)));
  // Pairs with the increment in waitForRegion: either the worker sees the
  // new generation before it sleeps, or we see it sleeping and wake it.
  if (sleepingWorkers_.load() != 0) {
    std::lock_guard<std::mutex> lock(mutex_);
    workAvailable_.notify_all();
  }

  runChunks(/*threadIndex=*/0, generation);

  int64_t numChunks = numChunks_.load(std::memory_order_relaxed);
  auto allDone = [&] { return chunksDone_.load() == numChunks; };
  if (!spinFor(kCallerSpinTime, allDone)) {
    std::unique_lock<std::mutex> lock(mutex_);
    callerSleeping_.store(true);
    regionDone_.wait(lock, allDone);
    callerSleeping_.store(false);
  }
  inRegion_.store(false, std::memory_order_release);
}

void ThreadPool::runChunks(unsigned threadIndex, uint32_t generation) {
  for (;;) {
    // The low word counts the chunks left, so whether one is left is
    // decided by the word alone: a stale generation can never claim, even
    // while the caller is already writing the next region's fields.
    uint64_t work = work_.load();
    uint64_t left = work & 0xffffffffu;
    if (static_cast<uint32_t>(work >> 32) != generation || left == 0)
      return;
    if (!work_.compare_exchange_weak(work, work - 1))
      continue;
    // The chunk is ours: the region's fields stay put until we report it.
    int64_t numChunks = numChunks_.load(std::memory_order_relaxed);
    int64_t chunk = numChunks - static_cast<int64_t>(left);
    int64_t base = n_ / numChunks, extra = n_ % numChunks;
    // The first `extra` chunks are one index longer.
    int64_t begin = chunk * base + std::min(chunk, extra);
    int64_t end = begin + base + (chunk < extra ? 1 : 0);
    fn_(arg_, begin, end, threadIndex);
    // Pairs with callerSleeping_ in parallelFor, like the wake-up above.
    if (chunksDone_.fetch_add(1) + 1 == numChunks && threadIndex != 0 &&
        callerSleeping_.load()) {
      std::lock_guard<std::mutex> lock(mutex_);
      regionDone_.notify_one();
    }
  }
}

bool ThreadPool::waitForRegion(uint32_t seen) {
  // Stopping counts as news: a worker that read its `seen` after
  // stopWorkers() bumped the generation (it was descheduled between a wake
  // and that read) would otherwise wait for a region that never comes,
  // and the destructor's join would hang (seen under load in CI).
  auto published = [&] {
    return stopping_.load() ||
           static_cast<uint32_t>(work_.load() >> 32) != seen;
  };
  for (;;) {
    uint64_t wakes = wakeRequests_.load();
    if (spinFor(kWorkerSpinTime, published))
      break;
    std::unique_lock<std::mutex> lock(mutex_);
    sleepingWorkers_.fetch_add(1);
    workAvailable_.wait(lock, [&] {
      return published() || wakeRequests_.load() != wakes;
    });
    sleepingWorkers_.fetch_sub(1);
    if (published())
      break;
    // Woken ahead of a region (wake()): spin for it again.
  }
  return !stopping_.load();
}

void ThreadPool::wake() {
  if (workers_.empty())
    return;
  wakeRequests_.fetch_add(1);
  if (sleepingWorkers_.load() != 0) {
    std::lock_guard<std::mutex> lock(mutex_);
    workAvailable_.notify_all();
  }
}

void ThreadPool::workerMain(unsigned index) {
  uint32_t seen = 0;
  while (waitForRegion(seen)) {
    seen = static_cast<uint32_t>(work_.load() >> 32);
    runChunks(index, seen);
  }
}
