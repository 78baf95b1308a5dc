//===- AttentionKernels.h - Kernels behind the attention driver -*- C++ -*-===//
//
// Part of the Tessera runtime.
//
//===----------------------------------------------------------------------===//
//
// The interface between the ISA-independent attention driver (Attention.cpp:
// tasks, row bookkeeping, Q packing, the final division) and the per-ISA
// key-block kernels (AttentionGeneric.cpp, AttentionAvx2.cpp,
// AttentionAvx512.cpp). As for SGEMM (see SgemmKernels.h), each ISA file is
// compiled with its own -m flags, keeps everything but its getter internal,
// and talks to the driver only through the plain function pointer below.
//
// Layout. A task owns up to `groups` x 16 query rows ("lanes") and keeps them
// transposed, lanes innermost, so that everything the online softmax does per
// query row (running max, sum, rescaling) is a plain vertical vector
// operation, and neither K nor V needs packing (their elements are
// broadcast):
//   qt[c * lanes + r]  = scale * Q[row r, c]                (d x lanes)
//   st[j * lanes + r]  = scores, then probabilities of key j (keys x lanes)
//   ot[c * lanes + r] += sum_j P[r, j] * V[j, c]            (dv x lanes)
// Tasks with very few rows (decoding: s = 1) would waste most lanes; an ISA
// may provide a row kernel for them instead, vectorized along d and dv
// (K and V with unit column stride), with row-major layouts:
//   qt[r * d + c], st[r * kAttentionKeyBlock + j], ot[r * dv + c].
//
//===----------------------------------------------------------------------===//
#ifndef TESSERA_RUNTIME_KERNELS_ATTENTIONKERNELS_H
#define TESSERA_RUNTIME_KERNELS_ATTENTIONKERNELS_H

#include <cstdint>

namespace tessera::runtime {

/// Query rows per vector group.
constexpr int64_t kAttentionGroupLanes = 16;
/// Tasks of at most this many rows use the row kernel when there is one.
constexpr int64_t kAttentionRowKernelMaxRows = 4;
/// At most this many groups (64 query rows) per task.
constexpr int64_t kAttentionMaxGroups = 4;
constexpr int64_t kAttentionMaxLanes =
    kAttentionGroupLanes * kAttentionMaxGroups;
/// Keys per block: one block's scores stay in L1 next to its K and V rows.
constexpr int64_t kAttentionKeyBlock = 64;

/// One key block of one task: updates ot, m and l with keys
/// [keyBegin, keyBegin + keys).
struct AttentionBlock {
  int64_t groups; // 1, 2 or 4; lanes = 16 * groups (lane kernel).
  int64_t rows;   // Rows of the task (row kernel).
  int64_t d, dv;
  int64_t keys;     // 1..kAttentionKeyBlock
  int64_t keyBegin; // Absolute index of the block's first key.
  const float *qt;  // d x lanes, pre-scaled; unused lanes are zero.
  /// Key j of the block, element c: k[j * kRowStride + c * kColStride].
  const float *k;
  int64_t kRowStride, kColStride;
  const float *v; // As k.
  int64_t vRowStride, vColStride;
  /// Additive mask, or null: lane r's value for absolute key j is
  /// maskRows[r][j * maskColStride]. Unused lanes repeat lane 0's row.
  const float *const *maskRows;
  int64_t maskColStride;
  /// Every lane reads maskRows[0] (broadcast over the block's rows).
  bool maskUniform;
  /// Or null: maskRows[r] == maskRows[0] + maskOffsets[r] for every lane.
  const int32_t *maskOffsets;
  /// Or null (every key visible to every lane): lane r sees the block's
  /// keys firstVisible[r] <= j < visibleKeys[r] (both 0..keys; the causal
  /// limit and a sliding window's start). Both set or both null.
  const int32_t *visibleKeys;
  const int32_t *firstVisible;
  float *st; // kAttentionKeyBlock x lanes scratch.
  float *ot; // dv x lanes, accumulated.
  float *m;  // lanes: running max (-inf before any visible key).
  float *l;  // lanes: running sum of exp(score - m).
};

struct AttentionKernelSet {
  const char *name;
  /// Lane kernel: any strides, any number of rows.
  void (*block)(const AttentionBlock &block);
  /// Row kernel, or null: at most kAttentionRowKernelMaxRows rows, unit
  /// column strides of K and V; groups, maskUniform and maskOffsets unused.
  void (*rowBlock)(const AttentionBlock &block);
};

const AttentionKernelSet &getGenericAttentionKernels();
#if defined(TESSERA_HAVE_X86_SGEMM_KERNELS)
const AttentionKernelSet &getAvx2AttentionKernels();
const AttentionKernelSet &getAvx512AttentionKernels();
#endif

} // namespace tessera::runtime

#endif // TESSERA_RUNTIME_KERNELS_ATTENTIONKERNELS_H
