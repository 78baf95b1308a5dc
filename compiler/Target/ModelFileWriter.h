//===- ModelFileWriter.h - Writing model.tsr --------------------*- C++ -*-===//
//
// Part of the Tessera compiler.
//
//===----------------------------------------------------------------------===//
//
// Serializes a compiled model's metadata (entry signatures, weight table) and
// weight data into the model.tsr format that the runtime loads: the 64-byte
// header of tessera/model_format.h, the FlatBuffer of runtime/schema/model.fbs,
// then the 64-byte-aligned data section. Plain C++ with no MLIR dependency, so
// that the runtime's tests can produce model files too.
//
//===----------------------------------------------------------------------===//
#ifndef TESSERA_TARGET_MODELFILEWRITER_H
#define TESSERA_TARGET_MODELFILEWRITER_H

#include "tessera/runtime.h"

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace tessera {

/// An entry input or output.
struct TensorSignature {
  std::string name;
  tsr_dtype_t dtype;
  std::vector<int64_t> shape; // -1 for a dynamic dim.
  /// Same length as shape, "" for static dims; may be left empty when every
  /// dim is static or anonymous.
  std::vector<std::string> dimNames;
};

/// A constant tensor. `data` is only read during writeModelFile and must hold
/// `size` bytes (numel * dtype size).
struct WeightBlob {
  std::string name;
  tsr_dtype_t dtype;
  std::vector<int64_t> shape;
  const void *data;
  size_t size;
};

/// A callable function of the compiled model; `weightIndices` index the
/// weights passed to writeModelFile, in the order the entry takes them.
struct EntrySignature {
  std::string name;
  std::string symbol;
  std::vector<TensorSignature> inputs, outputs;
  std::vector<uint32_t> weightIndices;
  /// The planned peak of its intermediate buffers (tsr-plan-memory's
  /// arena), -1 when not known; `dynamicBuffers` buffers with run-time
  /// sizes come on top. Written into model.h only.
  int64_t arenaBytes = -1;
  int64_t dynamicBuffers = 0;
};

/// Writes model.tsr at `path` (through a temporary file renamed into place,
/// so a failed write never leaves a half-written model behind). Weight data
/// is streamed from the blobs, never copied as a whole. The first entry is
/// the model's main entry. Returns "" on success, else an error message
/// naming the path.
std::string writeModelFile(const std::string &path, const std::string &target,
                           const std::vector<EntrySignature> &entries,
                           const std::vector<WeightBlob> &weights);

} // namespace tessera

#endif // TESSERA_TARGET_MODELFILEWRITER_H
