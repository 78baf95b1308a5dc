//===- Model.cpp - Loading and verifying model.tsr ------------------------===//
//
// Part of the Tessera runtime.
//
//===----------------------------------------------------------------------===//
//
// tsr_model_load and the model accessors. A model file is untrusted input:
// it is mapped read-only (or borrowed from the caller, for an image already in
// memory), its header and every offset are bounds-checked, the
// FlatBuffer runs through the FlatBuffers Verifier, and every weight and
// signature is validated before anything is copied into the runtime's own
// structures (Model.h). Only then are the entry symbols resolved, either from
// entries linked into the application or from libmodel.so via dlopen.
//
// Every error names the file and the offending part, so that a user can tell
// a truncated download from a compiler bug.
//
//===----------------------------------------------------------------------===//
#include "Model.h"
#include "DType.h"
#include "Status.h"

#include "tessera/abi.h"
#include "tessera/model_format.h"
#include "tessera/model_generated.h"

#include <cerrno>
#include <cstdarg>
#include <cstdint>
#include <cstring>
#include <dlfcn.h>
#include <fcntl.h>
#include <memory>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

using namespace tessera::runtime;
namespace fb = tessera::fb;

static_assert(static_cast<int>(fb::DType::Bool) == TSR_DTYPE_BOOL &&
                  static_cast<int>(fb::DType::U64) == TSR_DTYPE_U64 &&
                  static_cast<int>(fb::DType::F4E2M1) == TSR_DTYPE_F4E2M1 &&
                  static_cast<int>(fb::DType::F32) == TSR_DTYPE_F32,
              "model.fbs DType must match tsr_dtype_t");

namespace {

const char *stringOrEmpty(const flatbuffers::String *s) {
  return s ? s->c_str() : "";
}

/// Copies a verified int64 vector of the metadata. The FlatBuffers Verifier
/// (2.0) checks only the 4-byte alignment of a vector's length, so in a
/// hostile file the elements may sit at 4 mod 8, where reading them as
/// int64_t would be a misaligned load (UBSan caught it): copy the bytes.
void copyInt64s(const flatbuffers::Vector<int64_t> *vector,
                std::vector<int64_t> &out) {
  out.resize(vector->size());
  if (!out.empty())
    std::memcpy(out.data(), vector->Data(), out.size() * sizeof(int64_t));
}

/// Verifies a model file and fills a tsr_model from it. All messages are
/// prefixed with "model.tsr '<path>': ".
class ModelLoader {
public:
  ModelLoader(const char *path, const tsr_model_options_t &options,
              tsr_model &model)
      : path(path), options(options), model(model) {}

  /// Maps the file at `path`, then verifies it.
  tsr_status_t loadFile() {
    model.path = path;
    if (tsr_status_t status = mapFile())
      return status;
    return verifyAndResolve();
  }

  /// Verifies a model image the caller keeps in memory; the model borrows it.
  tsr_status_t loadMemory(const void *data, size_t size) {
    model.path = path;
    if (reinterpret_cast<uintptr_t>(data) % TSR_MODEL_DATA_ALIGNMENT != 0)
      return error(TSR_STATUS_INVALID_ARGUMENT,
                   "the image must start at a %u-byte aligned address (its "
                   "weights are aligned relative to it)",
                   TSR_MODEL_DATA_ALIGNMENT);
    if (size < TSR_MODEL_HEADER_SIZE)
      return error(TSR_STATUS_CORRUPT_MODEL,
                   "image is %zu bytes, shorter than the %u-byte header", size,
                   TSR_MODEL_HEADER_SIZE);
    if (!options.linked_entries && !options.num_linked_entries &&
        !options.library_path)
      return error(TSR_STATUS_INVALID_ARGUMENT,
                   "a model loaded from memory needs linked_entries or a "
                   "library_path in its options");
    model.mapping = const_cast<void *>(data);
    model.mappingSize = size;
    model.ownsMapping = false;
    return verifyAndResolve();
  }

private:
  tsr_status_t verifyAndResolve() {
    const auto *base = static_cast<const uint8_t *>(model.mapping);
    tsr_model_file_header_t header;
    std::memcpy(&header, base, sizeof(header));
    if (tsr_status_t status = checkHeader(header))
      return status;
    const uint8_t *metadata = base + header.flatbuffer_offset;
    // checkHeader made sure the range lies inside the file.
    tsr_checksum_t checksum;
    tsr_checksum_init(&checksum);
    tsr_checksum_update(&checksum, metadata,
                        header.data_offset + header.data_size -
                            header.flatbuffer_offset);
    if (tsr_checksum_final(&checksum) != header.checksum)
      return error(TSR_STATUS_CORRUPT_MODEL,
                   "checksum mismatch: the file is corrupt (its metadata or "
                   "weights changed after it was written)");
    if (header.flatbuffer_size < 8 ||
        !flatbuffers::BufferHasIdentifier(metadata, fb::ModelIdentifier()))
      return error(TSR_STATUS_CORRUPT_MODEL,
                   "metadata lacks the '%s' FlatBuffers identifier",
                   fb::ModelIdentifier());
    flatbuffers::Verifier verifier(metadata, header.flatbuffer_size);
    if (!fb::VerifyModelBuffer(verifier))
      return error(TSR_STATUS_CORRUPT_MODEL,
                   "metadata (%llu bytes at offset %llu) failed FlatBuffers "
                   "verification",
                   static_cast<unsigned long long>(header.flatbuffer_size),
                   static_cast<unsigned long long>(header.flatbuffer_offset));
    const fb::Model *root = fb::GetModel(metadata);
    if (root->format_version() != header.format_version)
      return error(TSR_STATUS_CORRUPT_MODEL,
                   "metadata says format version %u but the header says %u",
                   root->format_version(), header.format_version);
    if (root->abi_version() != TSR_ABI_VERSION)
      return error(TSR_STATUS_UNSUPPORTED,
                   "its code was compiled for kernel ABI version %u, but this "
                   "runtime has version %u: recompile the model with this "
                   "release's tessera-compile",
                   root->abi_version(), static_cast<unsigned>(TSR_ABI_VERSION));
    model.producer = stringOrEmpty(root->producer());
    model.target = stringOrEmpty(root->target());
    if (tsr_status_t status =
            readWeights(root, base + header.data_offset, header.data_size))
      return status;
    if (tsr_status_t status = readEntries(root))
      return status;
    return resolveEntries();
  }

  tsr_status_t error(tsr_status_code_t code, const char *format, ...)
      __attribute__((format(printf, 3, 4))) {
    va_list args;
    va_start(args, format);
    std::string message = formatStringV(format, args);
    va_end(args);
    return makeStatusFromString(
        code, formatString("model.tsr '%s': %s", path, message.c_str()));
  }

  tsr_status_t mapFile() {
    int fd = ::open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      int err = errno;
      return error(err == ENOENT ? TSR_STATUS_NOT_FOUND : TSR_STATUS_IO_ERROR,
                   "cannot open: %s", std::strerror(err));
    }
    struct stat info;
    if (::fstat(fd, &info) != 0) {
      int err = errno;
      ::close(fd);
      return error(TSR_STATUS_IO_ERROR, "cannot stat: %s", std::strerror(err));
    }
    if (!S_ISREG(info.st_mode)) {
      ::close(fd);
      return error(TSR_STATUS_IO_ERROR, "is not a regular file");
    }
    auto fileSize = static_cast<uint64_t>(info.st_size);
    if (fileSize < TSR_MODEL_HEADER_SIZE) {
      ::close(fd);
      return error(TSR_STATUS_CORRUPT_MODEL,
                   "file is %llu bytes, shorter than the %u-byte header",
                   static_cast<unsigned long long>(fileSize),
                   TSR_MODEL_HEADER_SIZE);
    }
    // MAP_PRIVATE + PROT_READ: generated code that wrongly writes to a
    // weight faults instead of corrupting the file.
    void *mapping = ::mmap(nullptr, fileSize, PROT_READ, MAP_PRIVATE, fd, 0);
    int err = errno;
    ::close(fd);
    if (mapping == MAP_FAILED)
      return error(
          err == ENOMEM ? TSR_STATUS_OUT_OF_MEMORY : TSR_STATUS_IO_ERROR,
          "cannot mmap %llu bytes: %s",
          static_cast<unsigned long long>(fileSize), std::strerror(err));
    model.mapping = mapping;
    model.mappingSize = fileSize;
    return nullptr;
  }

  tsr_status_t checkHeader(const tsr_model_file_header_t &header) {
    uint64_t fileSize = model.mappingSize;
    if (std::memcmp(header.magic, TSR_MODEL_MAGIC, sizeof(header.magic)) != 0)
      return error(TSR_STATUS_CORRUPT_MODEL,
                   "not a Tessera model (bad magic; expected '%s')",
                   TSR_MODEL_MAGIC);
    if (header.format_version != TSR_MODEL_FORMAT_VERSION)
      return error(TSR_STATUS_UNSUPPORTED,
                   "format version %u is not supported (this runtime reads "
                   "version %u)",
                   header.format_version, TSR_MODEL_FORMAT_VERSION);
    if (header.flatbuffer_offset != TSR_MODEL_HEADER_SIZE)
      return error(TSR_STATUS_CORRUPT_MODEL,
                   "metadata offset is %llu, expected %u",
                   static_cast<unsigned long long>(header.flatbuffer_offset),
                   TSR_MODEL_HEADER_SIZE);
    uint64_t metadataEnd = TSR_MODEL_HEADER_SIZE + header.flatbuffer_size;
    if (header.flatbuffer_size > fileSize - TSR_MODEL_HEADER_SIZE)
      return error(TSR_STATUS_CORRUPT_MODEL,
                   "metadata (%llu bytes at offset %u) extends past the end of "
                   "the file (%llu bytes); is the file truncated?",
                   static_cast<unsigned long long>(header.flatbuffer_size),
                   TSR_MODEL_HEADER_SIZE,
                   static_cast<unsigned long long>(fileSize));
    // The Verifier asserts (rather than fails) on buffers this large.
    if (header.flatbuffer_size >= FLATBUFFERS_MAX_BUFFER_SIZE)
      return error(TSR_STATUS_CORRUPT_MODEL,
                   "metadata is %llu bytes, more than FlatBuffers allows",
                   static_cast<unsigned long long>(header.flatbuffer_size));
    if (header.data_offset % TSR_MODEL_DATA_ALIGNMENT != 0)
      return error(TSR_STATUS_CORRUPT_MODEL,
                   "data section offset %llu is not a multiple of %u",
                   static_cast<unsigned long long>(header.data_offset),
                   TSR_MODEL_DATA_ALIGNMENT);
    if (header.data_offset < metadataEnd)
      return error(TSR_STATUS_CORRUPT_MODEL,
                   "data section offset %llu overlaps the metadata (which "
                   "ends at %llu)",
                   static_cast<unsigned long long>(header.data_offset),
                   static_cast<unsigned long long>(metadataEnd));
    if (header.data_offset > fileSize ||
        header.data_size > fileSize - header.data_offset)
      return error(TSR_STATUS_CORRUPT_MODEL,
                   "data section (%llu bytes at offset %llu) extends past the "
                   "end of the file (%llu bytes); is the file truncated?",
                   static_cast<unsigned long long>(header.data_size),
                   static_cast<unsigned long long>(header.data_offset),
                   static_cast<unsigned long long>(fileSize));
    return nullptr;
  }

  tsr_status_t readWeights(const fb::Model *root, const uint8_t *data,
                           uint64_t dataSize) {
    if (!root->weights())
      return nullptr;
    model.weights.reserve(root->weights()->size());
    for (flatbuffers::uoffset_t i = 0; i < root->weights()->size(); ++i) {
      const fb::Weight *fbWeight = root->weights()->Get(i);
      Weight weight;
      weight.name = stringOrEmpty(fbWeight->name());
      const char *name = weight.name.c_str();
      int dtype = static_cast<int>(fbWeight->dtype());
      if (!isValidDType(dtype))
        return error(TSR_STATUS_CORRUPT_MODEL,
                     "weight %u ('%s') has invalid dtype %d", i, name, dtype);
      weight.dtype = static_cast<tsr_dtype_t>(dtype);
      if (fbWeight->shape()) {
        if (fbWeight->shape()->size() > TSR_MAX_RANK)
          return error(TSR_STATUS_CORRUPT_MODEL,
                       "weight %u ('%s') has rank %u, more than the %d "
                       "supported",
                       i, name, fbWeight->shape()->size(), TSR_MAX_RANK);
        copyInt64s(fbWeight->shape(), weight.shape);
      }
      uint64_t expectedSize = tsr_dtype_size(weight.dtype);
      for (size_t d = 0; d < weight.shape.size(); ++d) {
        int64_t dim = weight.shape[d];
        if (dim < 0)
          return error(TSR_STATUS_CORRUPT_MODEL,
                       "weight %u ('%s') has negative dim %zu (%lld)", i, name,
                       d, static_cast<long long>(dim));
        if (__builtin_mul_overflow(expectedSize, static_cast<uint64_t>(dim),
                                   &expectedSize))
          return error(TSR_STATUS_CORRUPT_MODEL,
                       "weight %u ('%s') has a shape whose size overflows", i,
                       name);
      }
      uint64_t offset = fbWeight->offset();
      weight.size = fbWeight->size();
      if (weight.size != expectedSize)
        return error(TSR_STATUS_CORRUPT_MODEL,
                     "weight %u ('%s') is %llu bytes but its dtype and shape "
                     "need %llu",
                     i, name, static_cast<unsigned long long>(weight.size),
                     static_cast<unsigned long long>(expectedSize));
      if (offset % TSR_MODEL_DATA_ALIGNMENT != 0)
        return error(TSR_STATUS_CORRUPT_MODEL,
                     "weight %u ('%s') is at offset %llu, not a multiple of %u",
                     i, name, static_cast<unsigned long long>(offset),
                     TSR_MODEL_DATA_ALIGNMENT);
      if (offset > dataSize || weight.size > dataSize - offset)
        return error(TSR_STATUS_CORRUPT_MODEL,
                     "weight %u ('%s') extends past the end of the data "
                     "section (%llu bytes at offset %llu; the section has "
                     "%llu)",
                     i, name, static_cast<unsigned long long>(weight.size),
                     static_cast<unsigned long long>(offset),
                     static_cast<unsigned long long>(dataSize));
      weight.data = data + offset;
      model.weights.push_back(std::move(weight));
    }
    return nullptr;
  }

  /// Reads one input or output signature; `what` is "input" or "output".
  tsr_status_t readSignature(const fb::TensorSig *fbSig, const Entry &entry,
                             const char *what, size_t index,
                             TensorSignature &sig) {
    const char *entryName = entry.name.c_str();
    if (!fbSig->name() || fbSig->name()->size() == 0)
      return error(TSR_STATUS_CORRUPT_MODEL, "entry '%s': %s %zu has no name",
                   entryName, what, index);
    sig.name = fbSig->name()->str();
    const char *name = sig.name.c_str();
    int dtype = static_cast<int>(fbSig->dtype());
    if (!isValidDType(dtype))
      return error(TSR_STATUS_CORRUPT_MODEL,
                   "entry '%s': %s '%s' has invalid dtype %d", entryName, what,
                   name, dtype);
    sig.dtype = static_cast<tsr_dtype_t>(dtype);
    size_t rank = fbSig->shape() ? fbSig->shape()->size() : 0;
    if (rank > TSR_MAX_RANK)
      return error(TSR_STATUS_CORRUPT_MODEL,
                   "entry '%s': %s '%s' has rank %zu, more than the %d "
                   "supported",
                   entryName, what, name, rank, TSR_MAX_RANK);
    if (rank)
      copyInt64s(fbSig->shape(), sig.shape);
    for (size_t d = 0; d < rank; ++d)
      if (sig.shape[d] < -1)
        return error(TSR_STATUS_CORRUPT_MODEL,
                     "entry '%s': %s '%s' has invalid dim %zu (%lld)",
                     entryName, what, name, d,
                     static_cast<long long>(sig.shape[d]));
    sig.dimNames.assign(rank, std::string());
    if (const auto *names = fbSig->dim_names()) {
      if (names->size() != rank)
        return error(TSR_STATUS_CORRUPT_MODEL,
                     "entry '%s': %s '%s' has %u dim names for rank %zu",
                     entryName, what, name, names->size(), rank);
      for (size_t d = 0; d < rank; ++d)
        sig.dimNames[d] = stringOrEmpty(names->Get(d));
    }
    return nullptr;
  }

  tsr_status_t readSignatures(
      const flatbuffers::Vector<flatbuffers::Offset<fb::TensorSig>> *fbSigs,
      Entry &entry, const char *what, std::vector<TensorSignature> &sigs) {
    if (!fbSigs)
      return nullptr;
    sigs.resize(fbSigs->size());
    for (size_t i = 0; i < sigs.size(); ++i) {
      if (tsr_status_t status =
              readSignature(fbSigs->Get(static_cast<flatbuffers::uoffset_t>(i)),
                            entry, what, i, sigs[i]))
        return status;
      // Inputs and outputs are matched by name (e.g. by tessera-run).
      for (size_t j = 0; j < i; ++j)
        if (sigs[j].name == sigs[i].name)
          return error(TSR_STATUS_CORRUPT_MODEL,
                       "entry '%s': two %ss are named '%s'", entry.name.c_str(),
                       what, sigs[i].name.c_str());
    }
    return nullptr;
  }

  tsr_status_t readEntries(const fb::Model *root) {
    if (!root->entries() || root->entries()->size() == 0)
      return error(TSR_STATUS_CORRUPT_MODEL, "has no entries");
    model.entries.resize(root->entries()->size());
    for (flatbuffers::uoffset_t i = 0; i < root->entries()->size(); ++i) {
      const fb::Entry *fbEntry = root->entries()->Get(i);
      Entry &entry = model.entries[i];
      entry.name = stringOrEmpty(fbEntry->name());
      if (entry.name.empty())
        entry.name = formatString("#%u", i);
      if (!fbEntry->symbol() || fbEntry->symbol()->size() == 0)
        return error(TSR_STATUS_CORRUPT_MODEL, "entry '%s' has no symbol",
                     entry.name.c_str());
      entry.symbol = fbEntry->symbol()->str();
      if (const auto *indices = fbEntry->weights()) {
        for (uint32_t index : *indices)
          if (index >= model.weights.size())
            return error(TSR_STATUS_CORRUPT_MODEL,
                         "entry '%s': weight index %u is out of range (the "
                         "model has %zu weights)",
                         entry.name.c_str(), index, model.weights.size());
        entry.weightIndices.assign(indices->begin(), indices->end());
      }
      if (tsr_status_t status =
              readSignatures(fbEntry->inputs(), entry, "input", entry.inputs))
        return status;
      if (tsr_status_t status = readSignatures(fbEntry->outputs(), entry,
                                               "output", entry.outputs))
        return status;
      for (TensorSignature &sig : entry.inputs)
        sig.finalizeInfo();
      for (TensorSignature &sig : entry.outputs)
        sig.finalizeInfo();
    }
    return nullptr;
  }

  tsr_status_t resolveEntries() {
    if (options.linked_entries || options.num_linked_entries)
      return resolveLinkedEntries();
    std::string library;
    if (options.library_path) {
      library = options.library_path;
    } else {
      // dlopen searches the library path for a name without a slash, so
      // always give it one.
      std::string modelPath = path;
      size_t slash = modelPath.rfind('/');
      library = slash == std::string::npos
                    ? std::string("./libmodel.so")
                    : modelPath.substr(0, slash + 1) + "libmodel.so";
    }
    struct stat info;
    if (::stat(library.c_str(), &info) != 0)
      return error(TSR_STATUS_NOT_FOUND, "cannot find the generated code '%s'",
                   library.c_str());
    // RTLD_LOCAL: two models loaded in one process must not resolve each
    // other's symbols.
    model.library = ::dlopen(library.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (!model.library) {
      const char *reason = ::dlerror();
      return error(TSR_STATUS_IO_ERROR, "cannot load the generated code: %s",
                   reason ? reason : library.c_str());
    }
    for (Entry &entry : model.entries) {
      ::dlerror(); // Clear any stale error.
      void *symbol = ::dlsym(model.library, entry.symbol.c_str());
      if (!symbol)
        return error(TSR_STATUS_NOT_FOUND,
                     "entry '%s': symbol '%s' not found in '%s'",
                     entry.name.c_str(), entry.symbol.c_str(), library.c_str());
      entry.fn = reinterpret_cast<tsr_entry_fn_t>(symbol);
    }
    return nullptr;
  }

  tsr_status_t resolveLinkedEntries() {
    if (!options.linked_entries)
      return makeStatus(TSR_STATUS_INVALID_ARGUMENT,
                        "tsr_model_load: num_linked_entries is %zu but "
                        "linked_entries is NULL",
                        options.num_linked_entries);
    for (Entry &entry : model.entries) {
      for (size_t i = 0; i < options.num_linked_entries && !entry.fn; ++i) {
        const tsr_linked_entry_t &linked = options.linked_entries[i];
        if (linked.symbol && entry.symbol == linked.symbol)
          entry.fn = linked.fn;
      }
      if (!entry.fn)
        return error(TSR_STATUS_NOT_FOUND,
                     "entry '%s': symbol '%s' is not among the %zu linked "
                     "entries",
                     entry.name.c_str(), entry.symbol.c_str(),
                     options.num_linked_entries);
    }
    return nullptr;
  }

  const char *path;
  const tsr_model_options_t &options;
  tsr_model &model;
};

tsr_status_t checkModelAndIndex(const tsr_model_t *model, size_t index,
                                const tsr_tensor_info_t *outInfo, size_t count,
                                const char *what) {
  if (!model || !outInfo)
    return makeStatus(TSR_STATUS_INVALID_ARGUMENT,
                      "tsr_model_%s_info: model and out_info must not be NULL",
                      what);
  if (index >= count)
    return makeStatus(TSR_STATUS_INVALID_ARGUMENT,
                      "%s index %zu is out of range (the model has %zu %ss)",
                      what, index, count, what);
  return nullptr;
}

} // namespace

void TensorSignature::finalizeInfo() {
  info = {};
  info.name = name.c_str();
  info.dtype = dtype;
  info.rank = static_cast<int32_t>(shape.size());
  for (size_t d = 0; d < shape.size(); ++d) {
    info.shape[d] = shape[d];
    info.dim_names[d] = dimNames[d].c_str();
  }
}

tsr_model::~tsr_model() {
  if (library)
    ::dlclose(library);
  if (mapping && ownsMapping)
    ::munmap(mapping, mappingSize);
}

extern "C" {

void tsr_model_options_init(tsr_model_options_t *options) {
  if (options)
    *options = tsr_model_options_t{};
}

tsr_status_t tsr_model_load(const char *path,
                            const tsr_model_options_t *options,
                            tsr_model_t **out_model) {
  if (!out_model)
    return makeStatus(TSR_STATUS_INVALID_ARGUMENT,
                      "tsr_model_load: out_model must not be NULL");
  *out_model = nullptr;
  if (!path)
    return makeStatus(TSR_STATUS_INVALID_ARGUMENT,
                      "tsr_model_load: path must not be NULL");
  return guardStatus([&]() -> tsr_status_t {
    tsr_model_options_t defaults;
    tsr_model_options_init(&defaults);
    auto model = std::make_unique<tsr_model>();
    ModelLoader loader(path, options ? *options : defaults, *model);
    if (tsr_status_t status = loader.loadFile())
      return status;
    *out_model = model.release();
    return nullptr;
  });
}

tsr_status_t tsr_model_load_from_memory(const void *data, size_t size,
                                        const tsr_model_options_t *options,
                                        tsr_model_t **out_model) {
  if (!out_model)
    return makeStatus(TSR_STATUS_INVALID_ARGUMENT,
                      "tsr_model_load_from_memory: out_model must not be NULL");
  *out_model = nullptr;
  if (!data)
    return makeStatus(TSR_STATUS_INVALID_ARGUMENT,
                      "tsr_model_load_from_memory: data must not be NULL");
  return guardStatus([&]() -> tsr_status_t {
    tsr_model_options_t defaults;
    tsr_model_options_init(&defaults);
    auto model = std::make_unique<tsr_model>();
    ModelLoader loader("<memory>", options ? *options : defaults, *model);
    if (tsr_status_t status = loader.loadMemory(data, size))
      return status;
    *out_model = model.release();
    return nullptr;
  });
}

void tsr_model_release(tsr_model_t *model) { delete model; }

size_t tsr_model_num_inputs(const tsr_model_t *model) {
  return model ? model->entries.front().inputs.size() : 0;
}

size_t tsr_model_num_outputs(const tsr_model_t *model) {
  return model ? model->entries.front().outputs.size() : 0;
}

tsr_status_t tsr_model_input_info(const tsr_model_t *model, size_t index,
                                  tsr_tensor_info_t *out_info) {
  size_t count = tsr_model_num_inputs(model);
  if (tsr_status_t status =
          checkModelAndIndex(model, index, out_info, count, "input"))
    return status;
  *out_info = model->entries.front().inputs[index].info;
  return nullptr;
}

tsr_status_t tsr_model_output_info(const tsr_model_t *model, size_t index,
                                   tsr_tensor_info_t *out_info) {
  size_t count = tsr_model_num_outputs(model);
  if (tsr_status_t status =
          checkModelAndIndex(model, index, out_info, count, "output"))
    return status;
  *out_info = model->entries.front().outputs[index].info;
  return nullptr;
}

const char *tsr_model_target(const tsr_model_t *model) {
  return model ? model->target.c_str() : "";
}

} // extern "C"
