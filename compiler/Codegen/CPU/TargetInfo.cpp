//===- TargetInfo.cpp - What the CPU cost model knows of a target ---------===//
//
// Vector width from the CPU's features as LLVM's X86 target parser lists
// them; cache sizes from the host (sysconf) for native, else from the CPU's
// generation (server parts with AVX-512 have larger L1/L2).
//
//===----------------------------------------------------------------------===//

#include "compiler/Codegen/CPU/TargetInfo.h"

#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringSwitch.h"
#include "llvm/TargetParser/Host.h"
#include "llvm/TargetParser/X86TargetParser.h"

#include <thread>
#include <unistd.h>

using namespace llvm;

namespace tessera {

CpuTargetInfo getCpuTargetInfo(StringRef cpu) {
  CpuTargetInfo info;
  bool native = cpu.empty() || cpu == "native";
  info.cpu = native ? sys::getHostCPUName().str() : cpu.str();

  SmallVector<StringRef> features;
  X86::getFeaturesForCPU(info.cpu, features);
  bool avx512 = false, avx = false;
  for (StringRef f : features) {
    avx512 |= f == "avx512f";
    avx |= f == "avx" || f == "avx2";
  }
  info.vectorBytes = avx512 ? 64 : avx ? 32 : 16;

  // Generation defaults (per core): AVX-512 server parts since Skylake-SP
  // have 1-2 MiB of L2, Ice Lake and later 48 KiB of L1.
  info.l1Bytes = StringSwitch<int64_t>(info.cpu)
                     .Cases({"icelake-server", "icelake-client", "tigerlake",
                             "sapphirerapids", "emeraldrapids",
                             "graniterapids", "alderlake", "znver4", "znver5"},
                            48 * 1024)
                     .Default(32 * 1024);
  info.l2Bytes = StringSwitch<int64_t>(info.cpu)
                     .Cases({"sapphirerapids", "emeraldrapids", "graniterapids"},
                            2048 * 1024)
                     .Cases({"skylake-avx512", "cascadelake", "cooperlake",
                             "icelake-server", "znver4", "znver5"},
                            1024 * 1024)
                     .Cases({"znver2", "znver3"}, 512 * 1024)
                     .Default(256 * 1024);
  info.threadsHint = 1;
  if (native) {
    long l1 = sysconf(_SC_LEVEL1_DCACHE_SIZE);
    long l2 = sysconf(_SC_LEVEL2_CACHE_SIZE);
    if (l1 > 0)
      info.l1Bytes = l1;
    if (l2 > 0)
      info.l2Bytes = l2;
    info.threadsHint = std::max(1u, std::thread::hardware_concurrency());
  }
  return info;
}

} // namespace tessera
