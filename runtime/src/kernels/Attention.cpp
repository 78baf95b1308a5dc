//===- Attention.cpp - Fused attention driver -----------------------------===//
//
// Part of the Tessera runtime.
//
//===----------------------------------------------------------------------===//
//
// Tasks, row bookkeeping and the parts that run once per task (packing the
// scaled, transposed Q block; the final division and store of O). The key
// loop runs in the per-ISA block kernels; see Attention.h for the algorithm
// and AttentionKernels.h for the layouts.
//
// Rows of one (batch, kv head) are numbered r = hh * s + i over the
// heads / kv_heads query heads hh that share it, and a task takes 16, 32 or
// 64 consecutive ones, so a task's rows may span query heads (each row has
// its own Q, O and mask row and causal limit).
//
//===----------------------------------------------------------------------===//
#include "kernels/Attention.h"

#include "ThreadPool.h"
#include "kernels/AttentionKernels.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <new>

using namespace tessera::runtime;

namespace {

constexpr float kNegInf = -std::numeric_limits<float>::infinity();
/// Below this many multiply-adds, waking another thread costs more than it
/// saves.
constexpr double kMinParallelFmas = 65536;

int64_t ceilDiv(int64_t a, int64_t b) { return (a + b - 1) / b; }
size_t roundToLine(size_t floats) { return (floats + 15) / 16 * 16; }

struct AttentionJob {
  const tsr_attention_args_t *args;
  const AttentionKernelSet *kernels;
  const AttentionWorkspace *workspace;
  int64_t headsPerKv; // Query heads per kv head.
  int64_t rowsPerKv;  // headsPerKv * s.
  int64_t groups;     // Vector groups per task.
  int64_t lanes;      // 16 * groups.
  int64_t tasksPerKv;
  bool rowKernel; // Use kernels->rowBlock (one task per kv head).
  float scale;
};

void runTask(const AttentionJob &job, int64_t task, unsigned thread) {
  const tsr_attention_args_t &args = *job.args;
  const int64_t lanes = job.lanes, d = args.d, dv = args.dv;
  const int64_t s = args.s, t = args.t;
  const int64_t kvIndex = task / job.tasksPerKv;
  const int64_t b = kvIndex / args.kv_heads, kvHead = kvIndex % args.kv_heads;
  // Under causal, later rows see more keys: alternate cheap and expensive
  // row blocks (0, n-1, 1, n-2, ...), so that the pool's contiguous chunks
  // of tasks cost about the same.
  int64_t rowBlock = task % job.tasksPerKv;
  if (args.causal && args.window <= 0)
    rowBlock = rowBlock % 2 == 0 ? rowBlock / 2
                                 : job.tasksPerKv - 1 - rowBlock / 2;
  const int64_t firstRow = rowBlock * lanes;
  const int64_t rows = std::min(lanes, job.rowsPerKv - firstRow);

  float *qt = job.workspace->thread(thread);
  float *st = qt + roundToLine(d * kAttentionMaxLanes);
  float *ot = st + roundToLine(kAttentionKeyBlock * kAttentionMaxLanes);

  const float *qRows[kAttentionMaxLanes];
  float *oRows[kAttentionMaxLanes];
  const float *maskRows[kAttentionMaxLanes];
  int64_t lastKey[kAttentionMaxLanes], firstKey[kAttentionMaxLanes];
  alignas(64) int32_t maskOffsets[kAttentionMaxLanes];
  alignas(64) int32_t visibleKeys[kAttentionMaxLanes];
  alignas(64) int32_t firstVisible[kAttentionMaxLanes];
  alignas(64) float m[kAttentionMaxLanes];
  alignas(64) float l[kAttentionMaxLanes];

  // Unused lanes repeat the first row (their Q is zero and their results are
  // dropped), so that they never widen the key range or break uniformity.
  int64_t minLast = std::numeric_limits<int64_t>::max(), maxLast = -1;
  int64_t minFirst = std::numeric_limits<int64_t>::max(), maxFirst = 0;
  for (int64_t r = 0; r < lanes; ++r) {
    int64_t row = firstRow + (r < rows ? r : 0);
    int64_t h = kvHead * job.headsPerKv + row / s, i = row % s;
    qRows[r] = args.q + b * args.q_strides[0] + h * args.q_strides[1] +
               i * args.q_strides[2];
    oRows[r] = args.o + b * args.o_strides[0] + h * args.o_strides[1] +
               i * args.o_strides[2];
    maskRows[r] = args.mask ? args.mask + b * args.mask_strides[0] +
                                  h * args.mask_strides[1] +
                                  i * args.mask_strides[2]
                            : nullptr;
    // Row i's position among the keys; causal ends its keys there, a
    // window w starts them w - 1 before it (and ends them w - 1 after it
    // when not causal).
    const int64_t position = i + t - s;
    lastKey[r] = args.causal ? std::min(position, t - 1) : t - 1;
    firstKey[r] = 0;
    if (args.window > 0) {
      firstKey[r] = std::max<int64_t>(0, position - args.window + 1);
      if (!args.causal)
        lastKey[r] = std::min(t - 1, position + args.window - 1);
    }
    minLast = std::min(minLast, lastKey[r]);
    maxLast = std::max(maxLast, lastKey[r]);
    minFirst = std::min(minFirst, firstKey[r]);
    maxFirst = std::max(maxFirst, firstKey[r]);
    m[r] = kNegInf;
    l[r] = 0.0f;
  }

  // qt = scale * Q^T, zero in unused lanes (Q for the row kernel).
  const int64_t qColStride = args.q_strides[3];
  for (int64_t r = 0; r < lanes; ++r) {
    if (job.rowKernel) {
      for (int64_t c = 0; c < d; ++c)
        qt[r * d + c] = job.scale * qRows[r][c * qColStride];
    } else if (r < rows) {
      const float *q = qRows[r];
      for (int64_t c = 0; c < d; ++c)
        qt[c * lanes + r] = job.scale * q[c * qColStride];
    } else {
      for (int64_t c = 0; c < d; ++c)
        qt[c * lanes + r] = 0.0f;
    }
  }
  std::fill(ot, ot + dv * lanes, 0.0f);

  AttentionBlock block = {};
  block.groups = job.groups;
  block.rows = rows;
  block.d = d;
  block.dv = dv;
  block.qt = qt;
  block.kRowStride = args.k_strides[2];
  block.kColStride = args.k_strides[3];
  block.vRowStride = args.v_strides[2];
  block.vColStride = args.v_strides[3];
  block.st = st;
  block.ot = ot;
  block.m = m;
  block.l = l;
  if (args.mask) {
    block.maskRows = maskRows;
    block.maskColStride = args.mask_strides[3];
    block.maskUniform = true;
    bool offsetsFit = true;
    for (int64_t r = 1; r < lanes; ++r) {
      block.maskUniform &= maskRows[r] == maskRows[0];
      int64_t offset = maskRows[r] - maskRows[0];
      offsetsFit &= offset >= std::numeric_limits<int32_t>::min() &&
                    offset <= std::numeric_limits<int32_t>::max();
      maskOffsets[r] = static_cast<int32_t>(offset);
    }
    maskOffsets[0] = 0;
    if (!block.maskUniform && offsetsFit)
      block.maskOffsets = maskOffsets;
  }

  const float *k = args.k + b * args.k_strides[0] + kvHead * args.k_strides[1];
  const float *v = args.v + b * args.v_strides[0] + kvHead * args.v_strides[1];
  // Keys before every row's first and past every row's last are skipped
  // (causal: the upper triangle; a sliding window: all but a band, so the
  // time grows linearly with the sequence). Blocks start at multiples of
  // the block size, as without a window.
  const int64_t keyEnd = maxLast + 1;
  const int64_t keyStart =
      std::min(minFirst, keyEnd) / kAttentionKeyBlock * kAttentionKeyBlock;
  for (int64_t j0 = keyStart; j0 < keyEnd; j0 += kAttentionKeyBlock) {
    const int64_t keys = std::min(kAttentionKeyBlock, keyEnd - j0);
    block.keys = keys;
    block.keyBegin = j0;
    block.k = k + j0 * args.k_strides[2];
    block.v = v + j0 * args.v_strides[2];
    block.visibleKeys = nullptr;
    block.firstVisible = nullptr;
    if (j0 + keys - 1 > minLast || maxFirst > j0) {
      for (int64_t r = 0; r < lanes; ++r) {
        visibleKeys[r] = static_cast<int32_t>(
            std::clamp<int64_t>(lastKey[r] - j0 + 1, 0, keys));
        firstVisible[r] =
            static_cast<int32_t>(std::clamp<int64_t>(firstKey[r] - j0, 0, keys));
      }
      block.visibleKeys = visibleKeys;
      block.firstVisible = firstVisible;
    }
    if (job.rowKernel)
      job.kernels->rowBlock(block);
    else
      job.kernels->block(block);
  }

  const int64_t oColStride = args.o_strides[3];
  for (int64_t r = 0; r < rows; ++r) {
    // l is 0 only when the row saw no key or only -inf scores (the max
    // contributes exp(0) = 1 otherwise); NaN propagates.
    float inverse = l[r] != 0.0f ? 1.0f / l[r] : 0.0f;
    float *o = oRows[r];
    if (job.rowKernel)
      for (int64_t c = 0; c < dv; ++c)
        o[c * oColStride] = ot[r * dv + c] * inverse;
    else
      for (int64_t c = 0; c < dv; ++c)
        o[c * oColStride] = ot[c * lanes + r] * inverse;
  }
}

void runTasks(void *arg, int64_t begin, int64_t end, unsigned thread) {
  const AttentionJob &job = *static_cast<const AttentionJob *>(arg);
  for (int64_t task = begin; task < end; ++task)
    runTask(job, task, thread);
}

void fillOutput(const tsr_attention_args_t &args, float value) {
  for (int64_t b = 0; b < args.batch; ++b)
    for (int64_t h = 0; h < args.heads; ++h)
      for (int64_t i = 0; i < args.s; ++i)
        for (int64_t c = 0; c < args.dv; ++c)
          args.o[b * args.o_strides[0] + h * args.o_strides[1] +
                 i * args.o_strides[2] + c * args.o_strides[3]] = value;
}

} // namespace

const AttentionKernelSet &tessera::runtime::getAttentionKernels(SgemmIsa isa) {
  switch (isa) {
#if defined(TESSERA_HAVE_X86_SGEMM_KERNELS)
  case SgemmIsa::Avx512:
    return getAvx512AttentionKernels();
  case SgemmIsa::Avx2:
    return getAvx2AttentionKernels();
#endif
  default:
    return getGenericAttentionKernels();
  }
}

size_t AttentionWorkspace::floatsPerThread(int64_t d, int64_t dv) {
  return roundToLine(d * kAttentionMaxLanes) +
         roundToLine(kAttentionKeyBlock * kAttentionMaxLanes) +
         roundToLine(dv * kAttentionMaxLanes);
}

AttentionWorkspace::AttentionWorkspace(unsigned numThreads)
    : numThreads_(std::max(1u, numThreads)) {
  if (!reserve(kPreallocatedHeadSize, kPreallocatedHeadSize))
    throw std::bad_alloc();
}

bool AttentionWorkspace::reserve(int64_t d, int64_t dv) noexcept {
  size_t floats = floatsPerThread(d, dv);
  if (floats <= floatsPerThread_)
    return true;
  float *storage = static_cast<float *>(
      std::aligned_alloc(64, floats * sizeof(float) * numThreads_));
  if (!storage)
    return false;
  storage_.reset(storage);
  floatsPerThread_ = floats;
  return true;
}

void tessera::runtime::runAttention(const tsr_attention_args_t &args,
                                    const AttentionKernelSet &kernels,
                                    ThreadPool &pool,
                                    AttentionWorkspace &workspace) {
  if (args.batch <= 0 || args.heads <= 0 || args.kv_heads <= 0 ||
      args.heads % args.kv_heads != 0 || args.s <= 0 || args.t < 0 ||
      args.d < 0 || args.dv <= 0 || args.window < 0)
    return;
  if (!workspace.reserve(args.d, args.dv)) {
    fillOutput(args, std::numeric_limits<float>::quiet_NaN());
    return;
  }

  AttentionJob job = {};
  job.args = &args;
  job.kernels = &kernels;
  job.workspace = &workspace;
  job.headsPerKv = args.heads / args.kv_heads;
  job.rowsPerKv = job.headsPerKv * args.s;
  job.groups = job.rowsPerKv > 2 * kAttentionGroupLanes ? 4
               : job.rowsPerKv > kAttentionGroupLanes  ? 2
                                                       : 1;
  job.scale = static_cast<float>(args.scale);
  const int64_t threads = pool.numThreads();
  const int64_t kvCount = args.batch * args.kv_heads;
  // Smaller tasks when there are too few to keep every thread busy.
  while (job.groups > 1 &&
         kvCount * ceilDiv(job.rowsPerKv, job.groups * kAttentionGroupLanes) <
             2 * threads)
    job.groups /= 2;
  job.lanes = job.groups * kAttentionGroupLanes;
  job.rowKernel = kernels.rowBlock &&
                  job.rowsPerKv <= kAttentionRowKernelMaxRows &&
                  args.k_strides[3] == 1 && args.v_strides[3] == 1;
  if (job.rowKernel)
    job.lanes = job.rowsPerKv;
  job.tasksPerKv = ceilDiv(job.rowsPerKv, job.lanes);

  const int64_t tasks = kvCount * job.tasksPerKv;
  const double keysPerRow =
      args.window > 0 ? std::min<double>(args.t, 2.0 * args.window) : args.t;
  double fmas = static_cast<double>(args.batch) * args.heads * args.s *
                keysPerRow * static_cast<double>(args.d + args.dv);
  if (threads == 1 || fmas < kMinParallelFmas) {
    runTasks(&job, 0, tasks, pool.currentThreadIndex());
    return;
  }
  pool.parallelFor(tasks, runTasks, &job);
}
