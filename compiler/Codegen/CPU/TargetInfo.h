//===- TargetInfo.h - What the CPU cost model knows of a target -*- C++ -*-===//
//
// The few numbers of an x86-64 CPU that tile-size choices depend on: the
// vector width, the data cache sizes, a thread count hint and the cost of
// handing work to the runtime's thread pool. Derived from the `--cpu` name
// the pipeline is built for (`native`: the host).
//
//===----------------------------------------------------------------------===//

#ifndef TESSERA_COMPILER_CODEGEN_CPU_TARGETINFO_H
#define TESSERA_COMPILER_CODEGEN_CPU_TARGETINFO_H

#include "llvm/ADT/StringRef.h"

#include <algorithm>
#include <cstdint>
#include <string>

namespace tessera {

struct CpuTargetInfo {
  std::string cpu;              // resolved LLVM CPU name
  int64_t vectorBytes = 16;     // widest vector register (SSE: 16)
  int64_t l1Bytes = 32 * 1024;  // per-core L1 data cache
  int64_t l2Bytes = 256 * 1024; // per-core L2 cache
  int64_t threadsHint = 1;      // hardware threads (the host's for native)
  // Cycles one parallel_for costs the caller (waking the pool, waiting for
  // the slowest chunk): a region must do several times this much work.
  // About 1 us: workers spin between the regions of a run.
  int64_t dispatchCycles = 3000;

  int64_t vectorLanes(int64_t elementBytes) const {
    return elementBytes > 0 ? std::max<int64_t>(1, vectorBytes / elementBytes)
                            : 1;
  }
};

/// The target info of `cpu` (an LLVM x86 CPU name, or "native"/"" for the
/// host). Unknown names get SSE2-level defaults.
CpuTargetInfo getCpuTargetInfo(llvm::StringRef cpu);

} // namespace tessera

#endif // TESSERA_COMPILER_CODEGEN_CPU_TARGETINFO_H
