//===- GemmPartition.h - Splitting a GEMM among threads ---------*- C++ -*-===//
//
// Part of the Tessera runtime.
//
//===----------------------------------------------------------------------===//
//
// How the GEMM drivers split their work (runGemmBlocks for the int8 and
// 4-bit ones): each batch element
// into mParts x nParts tasks, along N when it is wide enough (each thread
// then streams its own share of the weights), else along M; batches alone
// when there are enough of them to balance.
//
//===----------------------------------------------------------------------===//
#ifndef TESSERA_RUNTIME_KERNELS_GEMMPARTITION_H
#define TESSERA_RUNTIME_KERNELS_GEMMPARTITION_H

#include "ThreadPool.h"

#include <algorithm>
#include <cstdint>
#include <numeric>

namespace tessera::runtime {

inline int64_t ceilDiv(int64_t a, int64_t b) { return (a + b - 1) / b; }

/// Part `index` of `parts` near-equal parts of [0, total), cut at multiples
/// of `unit`.
inline void splitRange(int64_t total, int64_t unit, int64_t parts,
                       int64_t index, int64_t &begin, int64_t &end) {
  int64_t units = ceilDiv(total, unit);
  int64_t base = units / parts, extra = units % parts;
  int64_t first = index * base + std::min(index, extra);
  int64_t last = first + base + (index < extra ? 1 : 0);
  begin = std::min(total, first * unit);
  end = std::min(total, last * unit);
}

struct GemmPartition {
  int64_t mParts = 1;
  int64_t nParts = 1;
};

/// Parts per batch element, so that the tasks divide evenly among
/// `threads`; M and N are counted in units of `mUnit` and `nUnit` (the
/// finest cuts the driver can make).
inline GemmPartition partitionGemm(int64_t batch, int64_t m, int64_t n,
                                   int64_t threads, int64_t mUnit,
                                   int64_t nUnit) {
  GemmPartition p;
  int64_t parts = batch % threads == 0 || batch >= 16 * threads
                      ? 1
                      : threads / std::gcd(batch, threads);
  int64_t mUnits = ceilDiv(m, mUnit), nUnits = ceilDiv(n, nUnit);
  if (nUnits >= 2 * parts) {
    p.nParts = parts;
  } else if (mUnits >= 2 * parts) {
    p.mParts = parts;
  } else {
    p.nParts = std::min(parts, nUnits);
    p.mParts = std::min(ceilDiv(parts, p.nParts), mUnits);
  }
  return p;
}

/// One task of a GEMM: rows [m0, m1) and columns [n0, n1) of one batch
/// element, on thread `thread`.
struct GemmBlock {
  int64_t batch, m0, m1, n0, n1;
  unsigned thread;
};

/// Runs `Block(job, block)` over a batch x m x n GEMM of k-long products:
/// the whole of each batch element on the calling thread when one thread
/// is all there is or the work (batch * m * n * k multiply-adds) is below
/// `minParallelMacs`, else split by partitionGemm into parts cut at
/// multiples of `mUnit` rows and `nUnit` columns (whole micro-tiles) on
/// `pool`. Empty parts are skipped.
template <typename Job, void (*Block)(const Job &, const GemmBlock &)>
void runGemmBlocks(ThreadPool &pool, const Job &job, int64_t batch,
                   int64_t m, int64_t n, int64_t k, int64_t mUnit,
                   int64_t nUnit, double minParallelMacs) {
  struct Tasks {
    const Job *job;
    int64_t m, n, mUnit, nUnit, mParts, nParts;
    static void run(void *arg, int64_t begin, int64_t end, unsigned thread) {
      const Tasks &t = *static_cast<const Tasks *>(arg);
      int64_t perBatch = t.mParts * t.nParts;
      for (int64_t task = begin; task < end; ++task) {
        GemmBlock b = {task / perBatch, 0, 0, 0, 0, thread};
        int64_t part = task % perBatch;
        splitRange(t.m, t.mUnit, t.mParts, part / t.nParts, b.m0, b.m1);
        splitRange(t.n, t.nUnit, t.nParts, part % t.nParts, b.n0, b.n1);
        if (b.m0 < b.m1 && b.n0 < b.n1)
          Block(*t.job, b);
      }
    }
  };
  Tasks tasks = {&job, m, n, mUnit, nUnit, 1, 1};
  int64_t threads = pool.numThreads();
  double macs = static_cast<double>(batch) * m * n * k;
  if (threads == 1 || macs < minParallelMacs) {
    Tasks::run(&tasks, 0, batch, pool.currentThreadIndex());
    return;
  }
  GemmPartition split = partitionGemm(batch, m, n, threads, mUnit, nUnit);
  tasks.mParts = split.mParts;
  tasks.nParts = split.nParts;
  pool.parallelFor(batch * tasks.mParts * tasks.nParts, Tasks::run, &tasks);
}

} // namespace tessera::runtime

#endif // TESSERA_RUNTIME_KERNELS_GEMMPARTITION_H
