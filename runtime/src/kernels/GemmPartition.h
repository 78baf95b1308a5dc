//===- GemmPartition.h - Splitting a GEMM among threads ---------*- C++ -*-===//
//
// Part of the Tessera runtime.
//
//===----------------------------------------------------------------------===//
//
// How the SGEMM and int8 GEMM drivers split their work: each batch element
// into mParts x nParts tasks, along N when it is wide enough (each thread
// then streams its own share of the weights), else along M; batches alone
// when there are enough of them to balance.
//
//===----------------------------------------------------------------------===//
#ifndef TESSERA_RUNTIME_KERNELS_GEMMPARTITION_H
#define TESSERA_RUNTIME_KERNELS_GEMMPARTITION_H

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

} // namespace tessera::runtime

#endif // TESSERA_RUNTIME_KERNELS_GEMMPARTITION_H
