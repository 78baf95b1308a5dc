//===- ModelFileTest.cpp - Tests of model.tsr verification ----------------===//
//
// Part of the Tessera runtime tests.
//
//===----------------------------------------------------------------------===//
//
// A model file is untrusted input. These tests feed the loader missing,
// truncated, corrupted and hand-assembled malformed files and check that each
// is rejected with a status naming the file and the problem, never a crash;
// and that writeModelFile refuses to write what the loader would reject.
//
//===----------------------------------------------------------------------===//
#include "RuntimeTestSupport.h"

#include "tessera/model_format.h"
#include "tessera/model_generated.h"

#include <cstring>
#include <random>

using namespace tessera;
using namespace tessera::test;

namespace {

//===----------------------------------------------------------------------===//
// Malformed model files
//===----------------------------------------------------------------------===//

/// Offsets of the parts of a model file, read from its header.
tsr_model_file_header_t readHeader(const std::string &bytes) {
  tsr_model_file_header_t header;
  std::memcpy(&header, bytes.data(), sizeof(header));
  return header;
}

std::string withHeader(std::string bytes,
                       const tsr_model_file_header_t &header) {
  std::memcpy(bytes.data(), &header, sizeof(header));
  return bytes;
}

TEST_F(RuntimeTest, ReportsMissingFile) {
  std::string missing = path("missing.tsr");
  EXPECT_TSR_ERROR(tryLoad(missing), TSR_STATUS_NOT_FOUND,
                   "model.tsr '" + missing + "': cannot open");
  EXPECT_TSR_ERROR(tryLoad(dir), TSR_STATUS_IO_ERROR, "is not a regular file");
}

TEST_F(RuntimeTest, ReportsTruncatedFiles) {
  std::string bytes = readFile(writeScaleAddModel());
  tsr_model_file_header_t header = readHeader(bytes);
  std::vector<size_t> lengths = {0,
                                 1,
                                 8,
                                 63,
                                 64,
                                 65,
                                 64 + header.flatbuffer_size / 2,
                                 64 + header.flatbuffer_size - 1,
                                 header.data_offset,
                                 header.data_offset + 8,
                                 bytes.size() - 1};
  for (size_t length : lengths) {
    SCOPED_TRACE("length " + std::to_string(length));
    std::string file = path("truncated.tsr");
    writeFile(file, bytes.substr(0, length));
    StatusHolder status(tryLoad(file));
    EXPECT_EQ(status.code(), TSR_STATUS_CORRUPT_MODEL) << status.message();
    EXPECT_NE(status.message().find(file), std::string::npos);
  }
}

TEST_F(RuntimeTest, ReportsCorruptHeader) {
  std::string bytes = readFile(writeScaleAddModel());
  std::string file = path("bad.tsr");
  tsr_model_file_header_t header = readHeader(bytes);

  tsr_model_file_header_t bad = header;
  bad.magic[0] = 'X';
  writeFile(file, withHeader(bytes, bad));
  EXPECT_TSR_ERROR(tryLoad(file), TSR_STATUS_CORRUPT_MODEL,
                   "not a Tessera model");

  bad = header;
  bad.format_version = 2;
  writeFile(file, withHeader(bytes, bad));
  EXPECT_TSR_ERROR(tryLoad(file), TSR_STATUS_UNSUPPORTED,
                   "format version 2 is not supported");

  bad = header;
  bad.flatbuffer_offset = 128;
  writeFile(file, withHeader(bytes, bad));
  EXPECT_TSR_ERROR(tryLoad(file), TSR_STATUS_CORRUPT_MODEL,
                   "metadata offset is 128");

  bad = header;
  bad.flatbuffer_size = UINT64_MAX - 10; // Would overflow a naive bound check.
  writeFile(file, withHeader(bytes, bad));
  EXPECT_TSR_ERROR(tryLoad(file), TSR_STATUS_CORRUPT_MODEL,
                   "extends past the end of the file");

  bad = header;
  bad.data_offset += 8;
  writeFile(file, withHeader(bytes, bad));
  EXPECT_TSR_ERROR(tryLoad(file), TSR_STATUS_CORRUPT_MODEL,
                   "not a multiple of 64");

  bad = header;
  bad.data_offset = 64;
  writeFile(file, withHeader(bytes, bad));
  EXPECT_TSR_ERROR(tryLoad(file), TSR_STATUS_CORRUPT_MODEL,
                   "overlaps the metadata");

  bad = header;
  bad.data_size = UINT64_MAX;
  writeFile(file, withHeader(bytes, bad));
  EXPECT_TSR_ERROR(tryLoad(file), TSR_STATUS_CORRUPT_MODEL, "data section");

  // A data section shorter than the weight table claims.
  bad = header;
  bad.data_size = 8;
  writeFile(file, sealChecksum(withHeader(bytes, bad)));
  EXPECT_TSR_ERROR(tryLoad(file), TSR_STATUS_CORRUPT_MODEL,
                   "model.tsr '" + file +
                       "': weight 0 ('w') extends past the end of the data "
                       "section");

  // The FlatBuffer identifier.
  std::string noIdentifier = bytes;
  noIdentifier[64 + 4] = 'X';
  writeFile(file, sealChecksum(noIdentifier));
  EXPECT_TSR_ERROR(tryLoad(file), TSR_STATUS_CORRUPT_MODEL,
                   "lacks the 'TSRM' FlatBuffers identifier");
}

TEST_F(RuntimeTest, ReportsChecksumMismatch) {
  std::string bytes = readFile(writeScaleAddModel());
  tsr_model_file_header_t header = readHeader(bytes);
  std::string file = path("flipped.tsr");
  // One flipped bit in the weights: structurally fine, numerically wrong.
  std::string flipped = bytes;
  flipped[header.data_offset] ^= 0x01;
  writeFile(file, flipped);
  EXPECT_TSR_ERROR(tryLoad(file), TSR_STATUS_CORRUPT_MODEL,
                   "checksum mismatch");
  // Sealing the same bytes again makes them load: the checksum was the
  // only thing that caught it.
  writeFile(file, sealChecksum(flipped));
  EXPECT_TSR_OK(tryLoad(file));
}

TEST_F(RuntimeTest, SurvivesCorruptedMetadataBytes) {
  std::string bytes = readFile(writeScaleAddModel());
  tsr_model_file_header_t header = readHeader(bytes);
  std::string file = path("fuzzed.tsr");
  int failures = 0, loads = 0;
  // Sealed, so the mutations reach the FlatBuffers verifier and the
  // loader's own checks instead of stopping at the checksum.
  auto tryBytes = [&](const std::string &candidate) {
    writeFile(file, sealChecksum(candidate));
    tsr_model_options_t options;
    tsr_model_options_init(&options);
    options.linked_entries = kLinkedEntries;
    options.num_linked_entries = kNumLinkedEntries;
    tsr_model_t *model = nullptr;
    StatusHolder status(tsr_model_load(file.c_str(), &options, &model));
    if (status.status) {
      ++failures;
      EXPECT_EQ(model, nullptr);
      EXPECT_FALSE(status.message().empty());
      return;
    }
    // A mutation the verifier cannot tell from a valid model (a changed
    // dim or name): reading it back must still be safe.
    ++loads;
    for (size_t i = 0; i < tsr_model_num_inputs(model); ++i) {
      tsr_tensor_info_t info;
      EXPECT_TSR_OK(tsr_model_input_info(model, i, &info));
      EXPECT_LE(info.rank, TSR_MAX_RANK);
    }
    tsr_model_release(model);
  };
  // Every metadata byte, flipped in a few ways.
  for (uint64_t i = 64; i < 64 + header.flatbuffer_size; ++i) {
    for (unsigned char value : {0x00, 0xff, 0x80, 0x7f, 0x01}) {
      std::string mutated = bytes;
      mutated[i] = static_cast<char>(value);
      tryBytes(mutated);
    }
  }
  // And a few hundred multi-byte corruptions, seeded for reproducibility.
  std::mt19937 rng(1234);
  std::uniform_int_distribution<uint64_t> position(
      64, 64 + header.flatbuffer_size - 1);
  for (int round = 0; round < 300; ++round) {
    std::string mutated = bytes;
    for (int k = 0; k < 4; ++k)
      mutated[position(rng)] = static_cast<char>(rng());
    tryBytes(mutated);
  }
  EXPECT_GT(failures, 0);
  SUCCEED() << failures << " rejected, " << loads << " loaded";
}

/// Hand-assembles a model file from a FlatBuffer, so that tests can write
/// what writeModelFile refuses to.
std::string assembleModel(flatbuffers::FlatBufferBuilder &builder,
                          uint64_t dataSize) {
  tsr_model_file_header_t header = {};
  std::memcpy(header.magic, TSR_MODEL_MAGIC, 8);
  header.format_version = TSR_MODEL_FORMAT_VERSION;
  header.flatbuffer_offset = 64;
  header.flatbuffer_size = builder.GetSize();
  header.data_offset = (64 + builder.GetSize() + 63) / 64 * 64;
  header.data_size = dataSize;
  std::string bytes(header.data_offset + dataSize, '\0');
  std::memcpy(bytes.data(), &header, sizeof(header));
  std::memcpy(bytes.data() + 64, builder.GetBufferPointer(), builder.GetSize());
  return bytes;
}

struct RawWeight {
  tessera::fb::DType dtype;
  std::vector<int64_t> shape;
  uint64_t offset, size;
};

/// A model with one entry "scale_add" taking all `weights`.
std::string rawModel(const std::vector<RawWeight> &weights, uint64_t dataSize,
                     std::vector<uint32_t> indices = {0},
                     const std::string &symbol = "scale_add",
                     std::vector<int64_t> inputShape = {-1, 4},
                     uint32_t abiVersion = TSR_ABI_VERSION) {
  namespace fb = tessera::fb;
  flatbuffers::FlatBufferBuilder builder;
  std::vector<flatbuffers::Offset<fb::Weight>> fbWeights;
  for (const RawWeight &w : weights)
    fbWeights.push_back(fb::CreateWeight(builder, builder.CreateString("w"),
                                         w.dtype, builder.CreateVector(w.shape),
                                         w.offset, w.size));
  auto input =
      fb::CreateTensorSig(builder, builder.CreateString("x"), fb::DType::F32,
                          builder.CreateVector(inputShape));
  auto output =
      fb::CreateTensorSig(builder, builder.CreateString("y"), fb::DType::F32,
                          builder.CreateVector(inputShape));
  auto entry = fb::CreateEntry(
      builder, builder.CreateString("main"), builder.CreateString(symbol),
      builder.CreateVector(std::vector<decltype(input)>{input}),
      builder.CreateVector(std::vector<decltype(output)>{output}),
      builder.CreateVector(indices));
  auto model = fb::CreateModel(
      builder, TSR_MODEL_FORMAT_VERSION, builder.CreateString("test"),
      builder.CreateString("cpu-x86_64"),
      builder.CreateVector(std::vector<decltype(entry)>{entry}),
      builder.CreateVector(fbWeights), abiVersion);
  fb::FinishModelBuffer(builder, model);
  return sealChecksum(assembleModel(builder, dataSize));
}

TEST_F(RuntimeTest, RejectsCodeOfAnotherKernelAbi) {
  // A model whose code expects other kernel argument structs (an older or
  // newer runtime's) must not run: it would pass the wrong words.
  std::string file = path("abi.tsr");
  for (uint32_t abi : {0u, static_cast<uint32_t>(TSR_ABI_VERSION) - 1,
                       static_cast<uint32_t>(TSR_ABI_VERSION) + 1}) {
    writeFile(file, rawModel({{tessera::fb::DType::F32, {4}, 0, 16}}, 64, {0},
                             "scale_add", {-1, 4}, abi));
    EXPECT_TSR_ERROR(tryLoad(file), TSR_STATUS_UNSUPPORTED,
                     "its code was compiled for kernel ABI version " +
                         std::to_string(abi) + ", but this runtime has version " +
                         std::to_string(TSR_ABI_VERSION));
  }
}

TEST_F(RuntimeTest, ReportsBadWeightTables) {
  using tessera::fb::DType;
  std::string file = path("raw.tsr");
  auto expectLoadError = [&](const std::string &bytes,
                             const std::string &substring) {
    writeFile(file, bytes);
    EXPECT_TSR_ERROR(tryLoad(file), TSR_STATUS_CORRUPT_MODEL, substring);
  };
  // A sane raw model loads, so the failures below are the mutation's.
  writeFile(file, rawModel({{DType::F32, {4}, 0, 16}}, 64));
  EXPECT_TSR_OK(tryLoad(file));

  expectLoadError(rawModel({{DType::F32, {4}, 64, 16}}, 64),
                  "weight 0 ('w') extends past the end of the data section");
  expectLoadError(rawModel({{DType::F32, {4}, UINT64_MAX - 63, 16}}, 64),
                  "extends past the end of the data section");
  expectLoadError(rawModel({{DType::F32, {4}, 32, 16}}, 64),
                  "weight 0 ('w') is at offset 32, not a multiple of 64");
  expectLoadError(rawModel({{DType::F32, {4}, 0, 12}}, 64),
                  "weight 0 ('w') is 12 bytes but its dtype and shape need 16");
  expectLoadError(rawModel({{DType::F32, {-4}, 0, 16}}, 64),
                  "weight 0 ('w') has negative dim");
  expectLoadError(rawModel({{DType::F32, {1ll << 40, 1ll << 40}, 0, 16}}, 64),
                  "overflows");
  expectLoadError(rawModel({{static_cast<DType>(42), {4}, 0, 16}}, 64),
                  "weight 0 ('w') has invalid dtype 42");
  expectLoadError(rawModel({{DType::F32, {4}, 0, 16}}, 64, {0, 3}),
                  "entry 'main': weight index 3 is out of range");
  expectLoadError(rawModel({{DType::F32, {4}, 0, 16}}, 64, {0}, ""),
                  "entry 'main' has no symbol");
  expectLoadError(rawModel({{DType::F32, {4}, 0, 16}}, 64, {0}, "scale_add",
                           {1, 1, 1, 1, 1, 1, 1, 1, 1}),
                  "entry 'main': input 'x' has rank 9, more than the 8");
  expectLoadError(
      rawModel({{DType::F32, {4}, 0, 16}}, 64, {0}, "scale_add", {-2, 4}),
      "entry 'main': input 'x' has invalid dim 0 (-2)");
}

TEST(ModelFileWriterTest, RejectsInvalidInput) {
  float data[2] = {};
  EntrySignature entry{"main", "f", {sig("x", TSR_DTYPE_F32, {2})}, {}, {}};
  std::string error = writeModelFile("/tmp/unused.tsr", "cpu", {entry},
                                     {{"w", TSR_DTYPE_F32, {3}, data, 8}});
  EXPECT_NE(error.find("weight 0 ('w') is 8 bytes but its dtype and shape "
                       "need 12"),
            std::string::npos)
      << error;
  entry.weightIndices = {1};
  error = writeModelFile("/tmp/unused.tsr", "cpu", {entry}, {});
  EXPECT_NE(error.find("weight index 1 is out of range"), std::string::npos)
      << error;
  error = writeModelFile("/nonexistent-dir/model.tsr", "cpu",
                         {{"main", "f", {}, {}, {}}}, {});
  EXPECT_NE(error.find("model.tsr '/nonexistent-dir/model.tsr'"),
            std::string::npos)
      << error;
  EXPECT_NE(writeModelFile("/tmp/unused.tsr", "cpu", {}, {}), "");
}

} // namespace
