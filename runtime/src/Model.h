//===- Model.h - In-memory form of a loaded model.tsr -----------*- C++ -*-===//
//
// Part of the Tessera runtime.
//
//===----------------------------------------------------------------------===//
//
// The runtime's own copy of a model's metadata, made once the file has passed
// verification, so that sessions never touch the untrusted FlatBuffer again.
// Weight data is not copied: it points into the read-only mapping of the file.
//
//===----------------------------------------------------------------------===//
#ifndef TESSERA_RUNTIME_MODEL_H
#define TESSERA_RUNTIME_MODEL_H

#include "tessera/runtime.h"

#include <cstdint>
#include <string>
#include <vector>

namespace tessera::runtime {

/// One input or output of an entry.
struct TensorSignature {
  std::string name;
  tsr_dtype_t dtype = TSR_DTYPE_INVALID;
  std::vector<int64_t> shape;        // -1 for a dynamic dim.
  std::vector<std::string> dimNames; // Same length as shape.
  /// The public view handed out by tsr_model_{input,output}_info; its
  /// strings point into the fields above, so it is filled in only once the
  /// model's vectors stop growing (see finalizeInfo).
  tsr_tensor_info_t info = {};

  void finalizeInfo();
};

/// One constant tensor, living in the mapped data section.
struct Weight {
  std::string name;
  tsr_dtype_t dtype = TSR_DTYPE_INVALID;
  std::vector<int64_t> shape;
  const void *data = nullptr;
  uint64_t size = 0;
};

/// One callable function of the compiled model.
struct Entry {
  std::string name;
  std::string symbol;
  std::vector<TensorSignature> inputs;
  std::vector<TensorSignature> outputs;
  std::vector<uint32_t> weightIndices;
  tsr_entry_fn_t fn = nullptr;
};

} // namespace tessera::runtime

struct tsr_model {
  std::string path;
  std::string producer;
  std::string target;
  // The read-only mapping of the whole file (weights point into it), or the
  // caller's image for tsr_model_load_from_memory (not ours to unmap).
  void *mapping = nullptr;
  size_t mappingSize = 0;
  bool ownsMapping = true;
  // dlopen handle of libmodel.so; null when the entries are linked in.
  void *library = nullptr;
  std::vector<tessera::runtime::Weight> weights;
  std::vector<tessera::runtime::Entry> entries; // Never empty once loaded.

  tsr_model() = default;
  tsr_model(const tsr_model &) = delete;
  tsr_model &operator=(const tsr_model &) = delete;
  ~tsr_model();

  /// True when `pointer` lies inside the mapped file: such memory belongs to
  /// the model and must never be handed to free().
  bool ownsMemory(const void *pointer) const {
    auto *begin = static_cast<const char *>(mapping);
    auto *p = static_cast<const char *>(pointer);
    return mapping && p >= begin && p < begin + mappingSize;
  }
};

#endif // TESSERA_RUNTIME_MODEL_H
