//===- Amx.cpp - AMX tile configuration and permission --------------------===//
//
// Part of the Tessera runtime.
//
//===----------------------------------------------------------------------===//
#include "kernels/Amx.h"

#include <cpuid.h>
#include <cstdint>
#include <immintrin.h>
#include <sys/syscall.h>
#include <unistd.h>

using namespace tessera::runtime;

namespace {

/// The tile configuration (palette 1).
struct alignas(64) AmxTileConfig {
  uint8_t palette = 1;
  uint8_t startRow = 0;
  uint8_t reserved[14] = {};
  uint16_t colsb[16] = {};
  uint8_t rows[16] = {};
};

/// The tile registers: CPUID's AMX-TILE, the OS's XSAVE of the tile state,
/// and Linux's permission for this process.
bool tilesUsable() {
  static const bool usable = [] {
    unsigned eax, ebx, ecx, edx;
    if (!__get_cpuid_count(7, 0, &eax, &ebx, &ecx, &edx) ||
        !(edx & (1u << 24))) // AMX-TILE
      return false;
    // The OS saves the tile state: XCR0 bits 17 (XTILECFG), 18 (XTILEDATA).
    if (!__get_cpuid(1, &eax, &ebx, &ecx, &edx) || !(ecx & (1u << 27)))
      return false; // no OSXSAVE, no xgetbv
    uint32_t lo, hi;
    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    uint64_t xcr0 = (uint64_t(hi) << 32) | lo;
    if ((xcr0 & (3ull << 17)) != (3ull << 17))
      return false;
    // Linux hands the tile data state out on request
    // (ARCH_REQ_XCOMP_PERM, XFEATURE_XTILEDATA), once per process.
    return syscall(SYS_arch_prctl, 0x1023, 18) == 0;
  }();
  return usable;
}

} // namespace

bool tessera::runtime::isAmxUsable(AmxFeature feature) {
  unsigned eax, ebx, ecx, edx;
  if (!__get_cpuid_count(7, 0, &eax, &ebx, &ecx, &edx))
    return false;
  // CPUID.(7, 0).EDX: AMX-BF16 is bit 22, AMX-INT8 bit 25.
  unsigned bit = feature == AmxFeature::Int8 ? 25 : 22;
  return (edx & (1u << bit)) && tilesUsable();
}

__attribute__((target("amx-tile"))) void
tessera::runtime::amxLoadTileConfig() {
  AmxTileConfig config;
  for (int t = 0; t < 8; ++t) {
    config.colsb[t] = 64;
    config.rows[t] = 16;
  }
  _tile_loadconfig(&config);
}

__attribute__((target("amx-tile"))) void tessera::runtime::amxReleaseTiles() {
  _tile_release();
}
