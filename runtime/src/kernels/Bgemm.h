//===- Bgemm.h - GEMM with bf16 weights -------------------------*- C++ -*-===//
//
// Part of the Tessera runtime.
//
//===----------------------------------------------------------------------===//
//
// The runtime's implementation of tsr_bgemm_args_t (tessera/abi.h): A is
// rounded to bf16 as it is packed, multiplied by the compile-time packed
// bf16 weights with f32 accumulation, and the bias and epilogue are applied
// in registers. Micro-kernels per ISA are picked at run time from CPUID:
// AMX-BF16 tiles, AVX-512 BF16 (vdpbf16ps), AVX2 (the bf16 values widened
// to f32 by a shift), portable.
//
//===----------------------------------------------------------------------===//
#ifndef TESSERA_RUNTIME_KERNELS_BGEMM_H
#define TESSERA_RUNTIME_KERNELS_BGEMM_H

#include "tessera/abi.h"

#include <cstdint>

namespace tessera::runtime {

class ThreadPool;
class QgemmWorkspace;
struct BgemmKernelSet;

/// Instruction sets with a bf16 GEMM micro-kernel: Avx512 widens the bf16
/// weights to f32 in registers, Avx512Bf16 multiplies bf16 pairs
/// (vdpbf16ps).
enum class BgemmIsa { Generic, Avx2, Avx512, Avx512Bf16, Amx };

const char *getBgemmIsaName(BgemmIsa isa);
/// Whether this build has the kernel and this CPU can run it.
bool isBgemmIsaSupported(BgemmIsa isa);
/// The fastest supported ISA: AMX, else vdpbf16ps on AMD (Zen 4 runs it
/// at the FMA instruction rate, twice the FMA's flops), else the widening
/// AVX-512 kernel (Intel cores run vdpbf16ps at half the FMA rate), else
/// AVX2.
BgemmIsa getBestBgemmIsa();
/// The kernels of a supported ISA.
const BgemmKernelSet &getBgemmKernels(BgemmIsa isa);

/// Computes `args` with `kernels` on `pool`, packing A into the buffers of
/// `workspace` (the int8 GEMM's: a session runs one GEMM at a time per
/// thread). Nonsensical sizes (negative m, n, k or batch, k past
/// TSR_BGEMM_MAX_K) compute nothing.
void runBgemm(const tsr_bgemm_args_t &args, const BgemmKernelSet &kernels,
              ThreadPool &pool, const QgemmWorkspace &workspace);

} // namespace tessera::runtime

#endif // TESSERA_RUNTIME_KERNELS_BGEMM_H
