//===- SparseCostModel.h - When a sparse kernel beats the dense one -*- C++ -*-===//
//
// The CPU cost model of tsr-sparsify, shared with tessera-compile's report:
// the time of the runtime's sparse GEMM (TSR_SPGEMM_*) relative to the
// dense SGEMM on the same [N, K] weight, from what each stored weight costs
// relative to a dense one. The efficiencies are tessera-spgemm-bench's
// (bench/ukernels/spgemm_bench.cpp; "rate/dense", one Xeon core with
// AVX-512, BERT-base shapes at 128 tokens; docs/sparsity.md): a stored
// weight of a 16 x 16 block runs at 0.9 of a dense one (0.94-0.97 on one
// thread, 0.8-0.95 on two); an element of
// CSR at 0.55 at half density, falling to 0.30 at a tenth (fewer
// nonzeros per column leave more of the time to starting and ending
// them).
//
//===----------------------------------------------------------------------===//

#ifndef TESSERA_COMPILER_CODEGEN_CPU_SPARSECOSTMODEL_H
#define TESSERA_COMPILER_CODEGEN_CPU_SPARSECOSTMODEL_H

#include <algorithm>
#include <cstdint>

namespace tessera {

inline constexpr double kBlock16Efficiency = 0.9;

/// Time of the BLOCK16 kernel over the dense one's, for `blocks` stored
/// 16 x 16 blocks of an [n, k] weight.
inline double block16RelativeCost(int64_t blocks, int64_t n, int64_t k) {
  return double(blocks) * 256.0 / (kBlock16Efficiency * double(n) * double(k));
}

/// Time of the CSR kernel over the dense one's, for `nonzeros` stored
/// weights of an [n, k] weight.
inline double csrRelativeCost(int64_t nonzeros, int64_t n, int64_t k) {
  double density = double(nonzeros) / (double(n) * double(k));
  double efficiency =
      std::clamp(0.30 + (density - 0.1) * (0.25 / 0.4), 0.30, 0.55);
  return density / efficiency;
}

/// A sparse kernel is chosen only when the model expects it to take at most
/// this fraction of the dense time: the margin keeps a model with
/// --sparsity=auto from getting slower on a wrong estimate.
inline constexpr double kMaxSparseRelativeCost = 0.85;

} // namespace tessera

#endif // TESSERA_COMPILER_CODEGEN_CPU_SPARSECOSTMODEL_H
