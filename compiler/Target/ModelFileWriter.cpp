//===- ModelFileWriter.cpp - Writing model.tsr ----------------------------===//
//
// Part of the Tessera compiler.
//
//===----------------------------------------------------------------------===//
//
// Builds the FlatBuffer metadata in memory (it is small: names, shapes,
// offsets) and streams the weight data straight from the caller's buffers to
// the file, so that a model with hundreds of MB of weights is never copied.
// The writer validates what it is given with the same rules the runtime's
// loader applies, so that a compiler bug shows up at compile time with a
// precise message rather than as a "corrupt model" at load time.
//
//===----------------------------------------------------------------------===//
#include "ModelFileWriter.h"

#include "tessera/model_format.h"
#include "tessera/model_generated.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <unistd.h>

using namespace tessera;
namespace fb = tessera::fb;

// The header is written as the in-memory struct; the format is little-endian.
static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__,
              "model.tsr writing assumes a little-endian host");

namespace {

uint64_t alignTo(uint64_t value, uint64_t alignment) {
  return (value + alignment - 1) / alignment * alignment;
}

bool isValidDType(tsr_dtype_t dtype) {
  return dtype >= TSR_DTYPE_F32 && dtype <= TSR_DTYPE_F4E2M1;
}

/// Checks a signature; returns "" or what is wrong with it.
std::string checkSignature(const TensorSignature &sig) {
  if (sig.name.empty())
    return "has no name";
  if (!isValidDType(sig.dtype))
    return "has invalid dtype " + std::to_string(sig.dtype);
  if (sig.shape.size() > TSR_MAX_RANK)
    return "has rank " + std::to_string(sig.shape.size()) + ", more than " +
           std::to_string(TSR_MAX_RANK);
  for (int64_t dim : sig.shape)
    if (dim < -1)
      return "has invalid dim " + std::to_string(dim);
  if (!sig.dimNames.empty() && sig.dimNames.size() != sig.shape.size())
    return "has " + std::to_string(sig.dimNames.size()) +
           " dim names for rank " + std::to_string(sig.shape.size());
  return "";
}

/// Checks a weight; returns "" or what is wrong with it.
std::string checkWeight(const WeightBlob &weight) {
  if (!isValidDType(weight.dtype))
    return "has invalid dtype " + std::to_string(weight.dtype);
  if (weight.shape.size() > TSR_MAX_RANK)
    return "has rank " + std::to_string(weight.shape.size()) + ", more than " +
           std::to_string(TSR_MAX_RANK);
  uint64_t bytes = tsr_dtype_size(weight.dtype);
  for (int64_t dim : weight.shape) {
    if (dim < 0)
      return "has negative dim " + std::to_string(dim);
    if (__builtin_mul_overflow(bytes, static_cast<uint64_t>(dim), &bytes))
      return "has a shape whose size overflows";
  }
  if (bytes != weight.size)
    return "is " + std::to_string(weight.size) +
           " bytes but its dtype and shape need " + std::to_string(bytes);
  if (weight.size && !weight.data)
    return "has no data";
  return "";
}

std::string validate(const std::vector<EntrySignature> &entries,
                     const std::vector<WeightBlob> &weights) {
  if (entries.empty())
    return "a model needs at least one entry";
  for (size_t i = 0; i < weights.size(); ++i) {
    std::string problem = checkWeight(weights[i]);
    if (!problem.empty())
      return "weight " + std::to_string(i) + " ('" + weights[i].name + "') " +
             problem;
  }
  for (const EntrySignature &entry : entries) {
    std::string where = "entry '" + entry.name + "'";
    if (entry.symbol.empty())
      return where + " has no symbol";
    for (uint32_t index : entry.weightIndices)
      if (index >= weights.size())
        return where + ": weight index " + std::to_string(index) +
               " is out of range (" + std::to_string(weights.size()) +
               " weights)";
    for (const auto *sigs : {&entry.inputs, &entry.outputs}) {
      const char *what = sigs == &entry.inputs ? "input" : "output";
      for (size_t i = 0; i < sigs->size(); ++i) {
        const TensorSignature &sig = (*sigs)[i];
        std::string problem = checkSignature(sig);
        if (!problem.empty())
          return where + ": " + what + " " + std::to_string(i) + " ('" +
                 sig.name + "') " + problem;
        for (size_t j = 0; j < i; ++j)
          if ((*sigs)[j].name == sig.name)
            return where + ": two " + what + "s are named '" + sig.name + "'";
      }
    }
  }
  return "";
}

flatbuffers::Offset<fb::TensorSig>
buildSignature(flatbuffers::FlatBufferBuilder &builder,
               const TensorSignature &sig) {
  std::vector<std::string> dimNames = sig.dimNames;
  dimNames.resize(sig.shape.size());
  auto name = builder.CreateString(sig.name);
  auto shape = builder.CreateVector(sig.shape);
  auto names = builder.CreateVectorOfStrings(dimNames);
  return fb::CreateTensorSig(builder, name, static_cast<fb::DType>(sig.dtype),
                             shape, names);
}

/// Builds the metadata; fills `weightOffsets` and `dataSize`.
void buildMetadata(flatbuffers::FlatBufferBuilder &builder,
                   const std::string &target,
                   const std::vector<EntrySignature> &entries,
                   const std::vector<WeightBlob> &weights,
                   std::vector<uint64_t> &weightOffsets, uint64_t &dataSize) {
  std::vector<flatbuffers::Offset<fb::Weight>> fbWeights;
  uint64_t offset = 0;
  for (const WeightBlob &weight : weights) {
    weightOffsets.push_back(offset);
    fbWeights.push_back(fb::CreateWeight(
        builder, builder.CreateString(weight.name),
        static_cast<fb::DType>(weight.dtype),
        builder.CreateVector(weight.shape), offset, weight.size));
    offset = alignTo(offset + weight.size, TSR_MODEL_DATA_ALIGNMENT);
  }
  dataSize = offset;

  std::vector<flatbuffers::Offset<fb::Entry>> fbEntries;
  for (const EntrySignature &entry : entries) {
    std::vector<flatbuffers::Offset<fb::TensorSig>> inputs, outputs;
    for (const TensorSignature &sig : entry.inputs)
      inputs.push_back(buildSignature(builder, sig));
    for (const TensorSignature &sig : entry.outputs)
      outputs.push_back(buildSignature(builder, sig));
    fbEntries.push_back(fb::CreateEntry(
        builder, builder.CreateString(entry.name),
        builder.CreateString(entry.symbol), builder.CreateVector(inputs),
        builder.CreateVector(outputs),
        builder.CreateVector(entry.weightIndices)));
  }
  auto model = fb::CreateModel(
      builder, TSR_MODEL_FORMAT_VERSION, builder.CreateString("tessera"),
      builder.CreateString(target), builder.CreateVector(fbEntries),
      builder.CreateVector(fbWeights), TSR_ABI_VERSION);
  fb::FinishModelBuffer(builder, model);
}

/// A FILE* that remembers the first error, so that the writing code reads
/// straight through and checks once.
class OutputFile {
public:
  explicit OutputFile(const std::string &path)
      : file(std::fopen(path.c_str(), "wb")) {
    if (!file)
      firstErrno = errno;
  }
  ~OutputFile() {
    if (file)
      std::fclose(file);
  }
  bool isOpen() const { return file != nullptr; }

  void write(const void *data, size_t size) {
    if (firstErrno || !size)
      return;
    if (std::fwrite(data, 1, size, file) != size)
      firstErrno = errno ? errno : EIO;
  }
  void padTo(uint64_t alignment) {
    static const char zeros[TSR_MODEL_DATA_ALIGNMENT] = {};
    write(zeros, alignTo(position, alignment) - position);
    position = alignTo(position, alignment);
  }
  void writeCounted(const void *data, size_t size) {
    write(data, size);
    position += size;
  }
  /// Closes the file; returns 0 or the first errno seen.
  int close() {
    if (file && std::fclose(file) != 0 && !firstErrno)
      firstErrno = errno ? errno : EIO;
    file = nullptr;
    return firstErrno;
  }

private:
  std::FILE *file;
  uint64_t position = 0;
  int firstErrno = 0;
};

} // namespace

/// The checksum of the bytes writeModelFile writes after the header: the
/// FlatBuffer, its padding, then each weight and its padding.
static uint64_t checksumOf(const flatbuffers::FlatBufferBuilder &builder,
                           const std::vector<tessera::WeightBlob> &weights) {
  static const char zeros[TSR_MODEL_DATA_ALIGNMENT] = {};
  tsr_checksum_t c;
  tsr_checksum_init(&c);
  uint64_t pos = TSR_MODEL_HEADER_SIZE;
  auto add = [&](const void *data, uint64_t size) {
    tsr_checksum_update(&c, data, size);
    pos += size;
  };
  auto pad = [&]() {
    uint64_t rem = pos % TSR_MODEL_DATA_ALIGNMENT;
    if (rem)
      add(zeros, TSR_MODEL_DATA_ALIGNMENT - rem);
  };
  add(builder.GetBufferPointer(), builder.GetSize());
  pad();
  for (const tessera::WeightBlob &w : weights) {
    add(w.data, w.size);
    pad();
  }
  return tsr_checksum_final(&c);
}

std::string tessera::writeModelFile(const std::string &path,
                                    const std::string &target,
                                    const std::vector<EntrySignature> &entries,
                                    const std::vector<WeightBlob> &weights) {
  std::string prefix = "model.tsr '" + path + "': ";
  std::string problem = validate(entries, weights);
  if (!problem.empty())
    return prefix + problem;

  flatbuffers::FlatBufferBuilder builder(4096);
  std::vector<uint64_t> weightOffsets;
  uint64_t dataSize = 0;
  buildMetadata(builder, target, entries, weights, weightOffsets, dataSize);
  if (builder.GetSize() >= FLATBUFFERS_MAX_BUFFER_SIZE)
    return prefix + "metadata is too large for FlatBuffers";

  tsr_model_file_header_t header = {};
  std::memcpy(header.magic, TSR_MODEL_MAGIC, sizeof(header.magic));
  header.format_version = TSR_MODEL_FORMAT_VERSION;
  header.flatbuffer_offset = TSR_MODEL_HEADER_SIZE;
  header.flatbuffer_size = builder.GetSize();
  header.data_offset = alignTo(TSR_MODEL_HEADER_SIZE + builder.GetSize(),
                               TSR_MODEL_DATA_ALIGNMENT);
  header.data_size = dataSize;
  header.checksum = checksumOf(builder, weights);

  std::string tempPath = path + ".tmp." + std::to_string(::getpid());
  int err;
  {
    OutputFile out(tempPath);
    if (!out.isOpen())
      return prefix + "cannot create '" + tempPath +
             "': " + std::strerror(errno);
    out.writeCounted(&header, sizeof(header));
    out.writeCounted(builder.GetBufferPointer(), builder.GetSize());
    out.padTo(TSR_MODEL_DATA_ALIGNMENT);
    for (size_t i = 0; i < weights.size(); ++i) {
      // Offsets were assigned in this order with the same padding.
      out.writeCounted(weights[i].data, weights[i].size);
      out.padTo(TSR_MODEL_DATA_ALIGNMENT);
    }
    err = out.close();
  }
  if (err) {
    std::remove(tempPath.c_str());
    return prefix + "write failed: " + std::strerror(err);
  }
  if (std::rename(tempPath.c_str(), path.c_str()) != 0) {
    err = errno;
    std::remove(tempPath.c_str());
    return prefix + "cannot rename '" + tempPath +
           "' into place: " + std::strerror(err);
  }
  return "";
}
