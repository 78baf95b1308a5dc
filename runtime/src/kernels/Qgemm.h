//===- Qgemm.h - Int8 GEMM with dynamic activation quantization -*- C++ -*-===//
//
// Part of the Tessera runtime.
//
//===----------------------------------------------------------------------===//
//
// The runtime's implementation of tsr_qgemm_args_t (tessera/abi.h): each
// thread quantizes its rows of A (per row, symmetric int8 shifted to u8, or
// affine with one scale and zero point) and packs them, then sweeps micro-tiles over its share of the compile-time
// packed int8 weights; the int32 products are scaled back to float with the
// bias and the epilogue in registers. Micro-kernels per ISA are picked at
// run time from CPUID (AVX-512 VNNI, AVX2, portable).
//
//===----------------------------------------------------------------------===//
#ifndef TESSERA_RUNTIME_KERNELS_QGEMM_H
#define TESSERA_RUNTIME_KERNELS_QGEMM_H

#include "tessera/abi.h"

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>

namespace tessera::runtime {

class ThreadPool;
struct QgemmKernelSet;

/// Instruction sets with an int8 GEMM micro-kernel.
enum class QgemmIsa { Generic, Avx2, Avx512Vnni, Amx };

const char *getQgemmIsaName(QgemmIsa isa);
/// Whether this build has the kernel and this CPU can run it.
bool isQgemmIsaSupported(QgemmIsa isa);
/// The fastest supported ISA.
QgemmIsa getBestQgemmIsa();
/// The kernels of a supported ISA.
const QgemmKernelSet &getQgemmKernels(QgemmIsa isa);

/// The quantization of one value of a row whose scale's inverse is
/// `invScale` (round half to even, clamped to [-127, 127]), plus 128: what
/// every ISA feeds its kernel, so that they all see the same integers.
uint8_t quantizeToU8(float x, float invScale);
/// The affine quantization of TSR_QGEMM_A_STATIC: clamp(round(x / scale) +
/// zero, 0, 255), NaN to 0.
uint8_t quantizeAffineToU8(float x, float scale, int32_t zero);
/// The scale and zero point DynamicQuantizeLinear gives values in [lo, hi].
void dynamicQuantParams(float lo, float hi, float &scale, int32_t &zero);

/// Per-thread buffers for the quantized, packed rows of A, allocated once
/// per session (pages are touched only by the GEMMs that need them).
class QgemmWorkspace {
public:
  /// Throws std::bad_alloc.
  explicit QgemmWorkspace(unsigned numThreads);

  /// Bytes of packed A one thread holds: a block of rows that stays in L2
  /// with the weights it meets; 8 rows of TSR_QGEMM_MAX_K (a kernel set
  /// with a taller mr takes a smaller maxK).
  static constexpr size_t kPackedABytes = size_t(8) * TSR_QGEMM_MAX_K;
  /// Rows of a block (bounds the row scales).
  static constexpr int64_t kMaxBlockRows = 1024;
  /// The most rows a micro-kernel may have.
  static constexpr int64_t kMaxMr = 32;

  uint8_t *packedA(unsigned thread) const {
    return storage_.get() + thread * bytesPerThread_;
  }
  float *rowScales(unsigned thread) const {
    return reinterpret_cast<float *>(packedA(thread) + kPackedABytes);
  }

  /// All of A packed once for every thread, when the threads split N and
  /// it fits (BERT-base's 8 x 128 tokens at K = 3072 take 3 MiB); with one
  /// thread there is none.
  static constexpr size_t kSharedABytes = size_t(4) << 20;
  static constexpr int64_t kSharedMaxRows = 8192;
  uint8_t *sharedA() const { return shared_.get(); }
  float *sharedScales() const {
    return reinterpret_cast<float *>(shared_.get() + kSharedABytes);
  }

private:
  struct FreeDeleter {
    void operator()(uint8_t *p) const { std::free(p); }
  };
  std::unique_ptr<uint8_t, FreeDeleter> storage_;
  std::unique_ptr<uint8_t, FreeDeleter> shared_;
  size_t bytesPerThread_ = 0;
};

/// Computes `args` (see tessera/abi.h) with the kernels of `kernels` on
/// `pool`. Nonsensical sizes (negative m, n, k or batch, k past
/// TSR_QGEMM_MAX_K, an mr past QgemmWorkspace::kMaxMr) compute nothing.
void runQgemm(const tsr_qgemm_args_t &args, const QgemmKernelSet &kernels,
              ThreadPool &pool, const QgemmWorkspace &workspace);

} // namespace tessera::runtime

#endif // TESSERA_RUNTIME_KERNELS_QGEMM_H
