//===- MemoryPlan.h - Packing buffers into one arena ------------*- C++ -*-===//
//
// The interval packing behind tsr-plan-memory, and the attribute through
// which the pass reports its plan to the driver (tessera-compile prints the
// peak activation memory from it).
//
//===----------------------------------------------------------------------===//

#ifndef TESSERA_COMPILER_CODEGEN_CPU_MEMORYPLAN_H
#define TESSERA_COMPILER_CODEGEN_CPU_MEMORYPLAN_H

#include "mlir/IR/BuiltinOps.h"
#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"

#include <cstdint>
#include <string>
#include <vector>

namespace tessera {

/// The function attribute tsr-plan-memory sets: a dictionary of i64
/// `allocations` (memref.allocs before planning), `planned` (those now
/// views into the arena), `arena_bytes` (the arena: the planned peak),
/// `buffer_bytes` (the planned buffers' sizes summed, i.e. without reuse)
/// and `dynamic` (allocations with run-time sizes, left to the allocator).
inline constexpr llvm::StringLiteral kMemoryPlanAttr = "tsr.memory_plan";

/// A buffer of `bytes` live from op `first` to op `last` (inclusive).
struct PlannedInterval {
  int64_t bytes;
  int64_t first, last;
};

/// Offsets (multiples of `alignment`) such that buffers whose live ranges
/// overlap never share a byte: greedy by size, each buffer in the smallest
/// free gap among the already placed buffers it overlaps. Sets `arenaBytes`
/// to the end of the highest buffer.
std::vector<int64_t> packIntervals(llvm::ArrayRef<PlannedInterval> buffers,
                                   int64_t alignment, int64_t &arenaBytes);

/// The plan of one function, as tsr.memory_plan records it.
struct FunctionMemoryPlan {
  std::string function;
  int64_t allocations = 0, planned = 0, arenaBytes = 0, bufferBytes = 0,
          dynamic = 0;
};

/// Reads the plans recorded on `module`'s functions, one per function in
/// module order (a C interface wrapper's copy counts as its function's),
/// and removes the attributes, which LLVM IR has no use for.
std::vector<FunctionMemoryPlan> takeMemoryPlans(mlir::ModuleOp module);

} // namespace tessera

#endif // TESSERA_COMPILER_CODEGEN_CPU_MEMORYPLAN_H
