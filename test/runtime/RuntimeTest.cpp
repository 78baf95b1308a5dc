//===- RuntimeTest.cpp - Tests of loading and running models --------------===//
//
// Part of the Tessera runtime tests.
//
//===----------------------------------------------------------------------===//
//
// The C API end to end on valid model files: signatures, runs into caller
// buffers and into session-owned memory, repeated runs with changing dynamic
// dims, named-dim consistency, results that share a buffer, loading the
// generated code through dlopen, loading an image from memory, and every
// error a caller can provoke in tsr_session_run (wrong count, dtype, rank,
// dims, buffer sizes, NULL).
//
//===----------------------------------------------------------------------===//
#include "RuntimeTestSupport.h"

#include <cstring>

using namespace tessera;
using namespace tessera::test;

namespace {

//===----------------------------------------------------------------------===//
// Happy paths
//===----------------------------------------------------------------------===//

TEST_F(RuntimeTest, ReportsSignatureAndTarget) {
  ModelPtr model = loadLinked(writeScaleAddModel());
  ASSERT_TRUE(model);
  EXPECT_STREQ(tsr_model_target(model.get()), "cpu-x86_64");
  ASSERT_EQ(tsr_model_num_inputs(model.get()), 1u);
  ASSERT_EQ(tsr_model_num_outputs(model.get()), 1u);
  tsr_tensor_info_t info;
  ASSERT_TSR_OK(tsr_model_input_info(model.get(), 0, &info));
  EXPECT_STREQ(info.name, "x");
  EXPECT_EQ(info.dtype, TSR_DTYPE_F32);
  EXPECT_EQ(info.rank, 2);
  EXPECT_EQ(info.shape[0], -1);
  EXPECT_EQ(info.shape[1], 4);
  EXPECT_STREQ(info.dim_names[0], "batch");
  EXPECT_STREQ(info.dim_names[1], "");
  ASSERT_TSR_OK(tsr_model_output_info(model.get(), 0, &info));
  EXPECT_STREQ(info.name, "y");
  EXPECT_TSR_ERROR(tsr_model_input_info(model.get(), 1, &info),
                   TSR_STATUS_INVALID_ARGUMENT, "out of range");
}

TEST_F(RuntimeTest, RunsIntoCallerBuffer) {
  ModelPtr model = loadLinked(writeScaleAddModel());
  ASSERT_TRUE(model);
  SessionPtr session = createSession(model.get());
  std::vector<float> x = {1, 1, 1, 1, 0, 1, 2, 3};
  std::vector<float> y(8, -1.0f);
  tsr_tensor_view_t input = view(TSR_DTYPE_F32, {2, 4}, x);
  tsr_tensor_view_t output = view(TSR_DTYPE_F32, {}, y);
  ASSERT_TSR_OK(tsr_session_run(session.get(), &input, 1, &output, 1));
  EXPECT_EQ(y, (std::vector<float>{2, 3, 4, 5, 1, 3, 7, 13}));
  EXPECT_EQ(output.data, y.data());
  EXPECT_EQ(output.dtype, TSR_DTYPE_F32);
  EXPECT_EQ(output.rank, 2);
  EXPECT_EQ(output.shape[0], 2);
  EXPECT_EQ(output.shape[1], 4);
}

TEST_F(RuntimeTest, LendsSessionOwnedOutputsAcrossRepeatedRuns) {
  ModelPtr model = loadLinked(writeScaleAddModel());
  ASSERT_TRUE(model);
  SessionPtr session = createSession(model.get());
  // Different batch sizes each run: the dynamic dim follows the input.
  for (int64_t batch = 1; batch <= 5; ++batch) {
    std::vector<float> x(batch * 4, static_cast<float>(batch));
    tsr_tensor_view_t input = view(TSR_DTYPE_F32, {batch, 4}, x);
    tsr_tensor_view_t output = {};
    ASSERT_TSR_OK(tsr_session_run(session.get(), &input, 1, &output, 1));
    ASSERT_NE(output.data, nullptr);
    EXPECT_EQ(output.shape[0], batch);
    EXPECT_EQ(output.byte_size, static_cast<size_t>(batch * 4 * 4));
    const float *y = static_cast<const float *>(output.data);
    for (int64_t i = 0; i < batch * 4; ++i)
      EXPECT_EQ(y[i], batch * scaleWeights[i % 4] + 1.0f);
  }
}

TEST_F(RuntimeTest, RunsTwoOutputsIncludingAScalar) {
  EntrySignature entry{
      "main",
      "two_outputs",
      {sig("x", TSR_DTYPE_F32, {3})},
      {sig("doubled", TSR_DTYPE_F32, {3}), sig("count", TSR_DTYPE_I64, {})},
      {}};
  ModelPtr model = loadLinked(writeModel("model.tsr", entry));
  ASSERT_TRUE(model);
  SessionPtr session = createSession(model.get());
  std::vector<float> x = {1, 2, 3}, doubled(3);
  tsr_tensor_view_t input = view(TSR_DTYPE_F32, {3}, x);
  // One caller buffer, one session-owned output.
  tsr_tensor_view_t outputs[2] = {view(TSR_DTYPE_F32, {3}, doubled), {}};
  for (int run = 0; run < 3; ++run) {
    outputs[1] = {};
    ASSERT_TSR_OK(tsr_session_run(session.get(), &input, 1, outputs, 2));
    EXPECT_EQ(doubled, (std::vector<float>{2, 4, 6}));
    EXPECT_EQ(outputs[1].dtype, TSR_DTYPE_I64);
    EXPECT_EQ(outputs[1].rank, 0);
    EXPECT_EQ(*static_cast<int64_t *>(outputs[1].data), 3);
  }
}

TEST_F(RuntimeTest, AcceptsConsistentNamedDims) {
  EntrySignature entry{
      "main",
      "mask",
      {sig("input_ids", TSR_DTYPE_I64, {-1, -1}, {"batch", "seq"}),
       sig("attention_mask", TSR_DTYPE_I64, {-1, -1}, {"batch", "seq"})},
      {sig("masked", TSR_DTYPE_I64, {-1, -1}, {"batch", "seq"})},
      {}};
  ModelPtr model = loadLinked(writeModel("model.tsr", entry));
  ASSERT_TRUE(model);
  SessionPtr session = createSession(model.get());
  std::vector<int64_t> ids = {5, 6, 7, 8, 9, 10}, mask = {1, 1, 0, 1, 0, 0};
  tsr_tensor_view_t inputs[2] = {view(TSR_DTYPE_I64, {2, 3}, ids),
                                 view(TSR_DTYPE_I64, {2, 3}, mask)};
  tsr_tensor_view_t output = {};
  ASSERT_TSR_OK(tsr_session_run(session.get(), inputs, 2, &output, 1));
  const int64_t *masked = static_cast<const int64_t *>(output.data);
  EXPECT_EQ(std::vector<int64_t>(masked, masked + 6),
            (std::vector<int64_t>{5, 6, 0, 8, 0, 0}));

  // Inconsistent sequence lengths are caught before the entry runs.
  std::vector<int64_t> shortMask = {1, 1, 1, 1};
  inputs[1] = view(TSR_DTYPE_I64, {2, 2}, shortMask);
  EXPECT_TSR_ERROR(tsr_session_run(session.get(), inputs, 2, &output, 1),
                   TSR_STATUS_INVALID_ARGUMENT,
                   "input 'attention_mask': dim 1 ('seq') is 2 but input "
                   "'input_ids' has 3");
}

TEST_F(RuntimeTest, FreesABufferReturnedTwiceOnce) {
  EntrySignature entry{
      "main",
      "same_buffer_twice",
      {sig("x", TSR_DTYPE_F32, {2})},
      {sig("a", TSR_DTYPE_F32, {2}), sig("b", TSR_DTYPE_F32, {2})},
      {}};
  ModelPtr model = loadLinked(writeModel("model.tsr", entry));
  ASSERT_TRUE(model);
  SessionPtr session = createSession(model.get());
  std::vector<float> x = {1, 2}, copy(2);
  tsr_tensor_view_t input = view(TSR_DTYPE_F32, {2}, x);
  // Both lent, then one lent and one copied, then both copied: each frees
  // the shared buffer exactly once (a double free would abort under glibc's
  // checks or ASan).
  for (int mode = 0; mode < 3; ++mode) {
    std::vector<float> copyA(2), copyB(2);
    tsr_tensor_view_t outputs[2] = {};
    if (mode >= 1)
      outputs[0] = view(TSR_DTYPE_F32, {2}, copyA);
    if (mode >= 2)
      outputs[1] = view(TSR_DTYPE_F32, {2}, copyB);
    ASSERT_TSR_OK(tsr_session_run(session.get(), &input, 1, outputs, 2));
    for (const tsr_tensor_view_t &output : outputs) {
      const float *y = static_cast<const float *>(output.data);
      EXPECT_EQ(y[0], 2.0f);
      EXPECT_EQ(y[1], 3.0f);
    }
  }
}

TEST_F(RuntimeTest, LoadsGeneratedCodeWithDlopen) {
  EntrySignature entry{"main",
                       "tsr_test_add_one",
                       {sig("x", TSR_DTYPE_F32, {-1}, {"n"})},
                       {sig("y", TSR_DTYPE_F32, {-1}, {"n"})},
                       {}};
  std::string file = writeModel("model.tsr", entry);
  tsr_model_options_t options;
  tsr_model_options_init(&options);
  options.library_path = TESSERA_TEST_ENTRY_LIBRARY;
  tsr_model_t *rawModel = nullptr;
  ASSERT_TSR_OK(tsr_model_load(file.c_str(), &options, &rawModel));
  ModelPtr model(rawModel);
  SessionPtr session = createSession(model.get());
  std::vector<float> x = {0.5f, 1.5f, 2.5f}, y(3);
  tsr_tensor_view_t input = view(TSR_DTYPE_F32, {3}, x);
  tsr_tensor_view_t output = view(TSR_DTYPE_F32, {3}, y);
  ASSERT_TSR_OK(tsr_session_run(session.get(), &input, 1, &output, 1));
  EXPECT_EQ(y, (std::vector<float>{1.5f, 2.5f, 3.5f}));

  // Without options, libmodel.so next to model.tsr is used.
  EXPECT_TSR_ERROR(tsr_model_load(file.c_str(), nullptr, &rawModel),
                   TSR_STATUS_NOT_FOUND, dir + "/libmodel.so");
  writeFile(path("libmodel.so"), readFile(TESSERA_TEST_ENTRY_LIBRARY));
  ASSERT_TSR_OK(tsr_model_load(file.c_str(), nullptr, &rawModel));
  tsr_model_release(rawModel);
}

TEST_F(RuntimeTest, LoadsAndRunsAnImageInMemory) {
  std::string bytes = readFile(writeScaleAddModel());
  // The image must be 64-byte aligned: weights are aligned relative to it.
  std::vector<uint64_t> storage(bytes.size() / 8 + 16);
  char *aligned = reinterpret_cast<char *>(
      (reinterpret_cast<uintptr_t>(storage.data()) + 63) & ~uintptr_t(63));
  std::memcpy(aligned, bytes.data(), bytes.size());

  tsr_model_options_t options;
  tsr_model_options_init(&options);
  options.linked_entries = kLinkedEntries;
  options.num_linked_entries = kNumLinkedEntries;
  tsr_model_t *rawModel = nullptr;
  ASSERT_TSR_OK(
      tsr_model_load_from_memory(aligned, bytes.size(), &options, &rawModel));
  ModelPtr model(rawModel);
  SessionPtr session = createSession(model.get());
  std::vector<float> x = {1, 1, 1, 1}, y(4);
  tsr_tensor_view_t input = view(TSR_DTYPE_F32, {1, 4}, x);
  tsr_tensor_view_t output = view(TSR_DTYPE_F32, {1, 4}, y);
  ASSERT_TSR_OK(tsr_session_run(session.get(), &input, 1, &output, 1));
  EXPECT_EQ(y, (std::vector<float>{2, 3, 4, 5}));

  // The same checks as for a file, under the name '<memory>'.
  EXPECT_TSR_ERROR(
      tsr_model_load_from_memory(aligned, bytes.size() - 1, &options,
                                 &rawModel),
      TSR_STATUS_CORRUPT_MODEL, "model.tsr '<memory>': data section");
  EXPECT_EQ(rawModel, nullptr);
  EXPECT_TSR_ERROR(
      tsr_model_load_from_memory(aligned, 10, &options, &rawModel),
      TSR_STATUS_CORRUPT_MODEL, "shorter than the 64-byte header");
  std::memmove(aligned + 8, aligned, bytes.size());
  EXPECT_TSR_ERROR(tsr_model_load_from_memory(aligned + 8, bytes.size(),
                                              &options, &rawModel),
                   TSR_STATUS_INVALID_ARGUMENT, "64-byte aligned");
  std::memmove(aligned, aligned + 8, bytes.size());
  EXPECT_TSR_ERROR(
      tsr_model_load_from_memory(aligned, bytes.size(), nullptr, &rawModel),
      TSR_STATUS_INVALID_ARGUMENT, "needs linked_entries or a library_path");
  EXPECT_TSR_ERROR(
      tsr_model_load_from_memory(nullptr, bytes.size(), &options, &rawModel),
      TSR_STATUS_INVALID_ARGUMENT, "data must not be NULL");
}

TEST_F(RuntimeTest, ReportsSymbolMissingFromLibrary) {
  EntrySignature entry{"main",
                       "no_such_symbol",
                       {sig("x", TSR_DTYPE_F32, {1})},
                       {sig("y", TSR_DTYPE_F32, {1})},
                       {}};
  std::string file = writeModel("model.tsr", entry);
  tsr_model_options_t options;
  tsr_model_options_init(&options);
  options.library_path = TESSERA_TEST_ENTRY_LIBRARY;
  tsr_model_t *model = nullptr;
  EXPECT_TSR_ERROR(tsr_model_load(file.c_str(), &options, &model),
                   TSR_STATUS_NOT_FOUND, "symbol 'no_such_symbol' not found");
  EXPECT_EQ(model, nullptr);
  options.library_path = "/nonexistent/libmodel.so";
  EXPECT_TSR_ERROR(tsr_model_load(file.c_str(), &options, &model),
                   TSR_STATUS_NOT_FOUND, "/nonexistent/libmodel.so");
  // A file that is not a shared library.
  writeFile(path("bogus.so"), "not an ELF file");
  std::string bogus = path("bogus.so");
  options.library_path = bogus.c_str();
  EXPECT_TSR_ERROR(tsr_model_load(file.c_str(), &options, &model),
                   TSR_STATUS_IO_ERROR, "cannot load the generated code");
  // And the linked-entries flavour.
  std::string expected = "symbol 'no_such_symbol' is not among the " +
                         std::to_string(kNumLinkedEntries) + " linked entries";
  EXPECT_TSR_ERROR(tryLoad(file), TSR_STATUS_NOT_FOUND, expected);
}

//===----------------------------------------------------------------------===//
// Session errors
//===----------------------------------------------------------------------===//

class SessionErrorTest : public RuntimeTest {
protected:
  void SetUp() override {
    RuntimeTest::SetUp();
    model = loadLinked(writeScaleAddModel());
    ASSERT_TRUE(model);
    session = createSession(model.get());
    input = view(TSR_DTYPE_F32, {2, 4}, x);
    output = view(TSR_DTYPE_F32, {2, 4}, y);
  }
  tsr_status_t run() {
    return tsr_session_run(session.get(), &input, 1, &output, 1);
  }

  ModelPtr model;
  SessionPtr session;
  std::vector<float> x = std::vector<float>(8, 1.0f), y = std::vector<float>(8);
  tsr_tensor_view_t input, output;
};

TEST_F(SessionErrorTest, WrongInputCount) {
  EXPECT_TSR_ERROR(tsr_session_run(session.get(), &input, 2, &output, 1),
                   TSR_STATUS_INVALID_ARGUMENT,
                   "expected 1 inputs ('x'), got 2");
  EXPECT_TSR_ERROR(tsr_session_run(session.get(), nullptr, 0, &output, 1),
                   TSR_STATUS_INVALID_ARGUMENT, "expected 1 inputs");
  EXPECT_TSR_ERROR(tsr_session_run(session.get(), &input, 1, &output, 0),
                   TSR_STATUS_INVALID_ARGUMENT, "expected 1 outputs, got 0");
}

TEST_F(SessionErrorTest, WrongDType) {
  input.dtype = TSR_DTYPE_I32;
  EXPECT_TSR_ERROR(run(), TSR_STATUS_INVALID_ARGUMENT,
                   "input 'x': expected dtype float32, got int32");
  input.dtype = static_cast<tsr_dtype_t>(77);
  EXPECT_TSR_ERROR(run(), TSR_STATUS_INVALID_ARGUMENT,
                   "expected dtype float32, got invalid");
}

TEST_F(SessionErrorTest, WrongRank) {
  input.rank = 3;
  input.shape[2] = 1;
  EXPECT_TSR_ERROR(run(), TSR_STATUS_INVALID_ARGUMENT,
                   "input 'x': expected rank 2, got 3");
  input.rank = -1;
  EXPECT_TSR_ERROR(run(), TSR_STATUS_INVALID_ARGUMENT,
                   "expected rank 2, got -1");
}

TEST_F(SessionErrorTest, WrongStaticDim) {
  input.shape[0] = 4;
  input.shape[1] = 2;
  EXPECT_TSR_ERROR(run(), TSR_STATUS_INVALID_ARGUMENT,
                   "input 'x': dim 1 is 2 but the model expects 4");
  input.shape[1] = -4;
  EXPECT_TSR_ERROR(run(), TSR_STATUS_INVALID_ARGUMENT,
                   "input 'x': dim 1 is negative");
}

TEST_F(SessionErrorTest, InputBufferTooSmallOrNull) {
  input.byte_size = 31;
  EXPECT_TSR_ERROR(run(), TSR_STATUS_INVALID_ARGUMENT,
                   "input 'x': byte_size is 31 but a float32 tensor of shape "
                   "[2, 4] needs 32 bytes");
  input.byte_size = 32;
  input.data = nullptr;
  EXPECT_TSR_ERROR(run(), TSR_STATUS_INVALID_ARGUMENT,
                   "input 'x': data is NULL");
  input.shape[0] = INT64_MAX / 2;
  EXPECT_TSR_ERROR(run(), TSR_STATUS_INVALID_ARGUMENT, "too large");
}

TEST_F(SessionErrorTest, OutputBufferTooSmall) {
  output.byte_size = 16;
  EXPECT_TSR_ERROR(run(), TSR_STATUS_INVALID_ARGUMENT,
                   "output 'y': byte_size is 16 but the float32 result of "
                   "shape [2, 4] needs 32 bytes");
  // The view still learns the shape it would need.
  EXPECT_EQ(output.shape[0], 2);
  // And the session recovers.
  output = view(TSR_DTYPE_F32, {2, 4}, y);
  EXPECT_TSR_OK(run());
}

TEST_F(SessionErrorTest, OutputDTypeMismatch) {
  output.dtype = TSR_DTYPE_F64;
  EXPECT_TSR_ERROR(run(), TSR_STATUS_INVALID_ARGUMENT,
                   "output 'y': the view has dtype float64 but the model "
                   "produces float32");
}

TEST_F(SessionErrorTest, NullArguments) {
  EXPECT_TSR_ERROR(tsr_session_run(nullptr, &input, 1, &output, 1),
                   TSR_STATUS_INVALID_ARGUMENT, "session must not be NULL");
  EXPECT_TSR_ERROR(tsr_session_run(session.get(), &input, 1, nullptr, 1),
                   TSR_STATUS_INVALID_ARGUMENT, "outputs NULL");
  EXPECT_TSR_ERROR(tsr_session_run(session.get(), nullptr, 1, &output, 1),
                   TSR_STATUS_INVALID_ARGUMENT, "inputs NULL");
  tsr_session_t *newSession = nullptr;
  EXPECT_TSR_ERROR(tsr_session_create(nullptr, nullptr, &newSession),
                   TSR_STATUS_INVALID_ARGUMENT, "model must not be NULL");
  EXPECT_TSR_ERROR(tsr_session_create(model.get(), nullptr, nullptr),
                   TSR_STATUS_INVALID_ARGUMENT, "out_session");
  tsr_session_options_t options;
  tsr_session_options_init(&options);
  options.num_threads = -2;
  EXPECT_TSR_ERROR(tsr_session_create(model.get(), &options, &newSession),
                   TSR_STATUS_INVALID_ARGUMENT, "num_threads is -2");
  tsr_model_t *newModel = nullptr;
  EXPECT_TSR_ERROR(tsr_model_load(nullptr, nullptr, &newModel),
                   TSR_STATUS_INVALID_ARGUMENT, "path must not be NULL");
  EXPECT_TSR_ERROR(tsr_model_load("x", nullptr, nullptr),
                   TSR_STATUS_INVALID_ARGUMENT, "out_model");
  tsr_tensor_info_t info;
  EXPECT_TSR_ERROR(tsr_model_input_info(nullptr, 0, &info),
                   TSR_STATUS_INVALID_ARGUMENT, "must not be NULL");
  EXPECT_TSR_ERROR(tsr_model_output_info(model.get(), 0, nullptr),
                   TSR_STATUS_INVALID_ARGUMENT, "must not be NULL");
  EXPECT_EQ(tsr_model_num_inputs(nullptr), 0u);
  EXPECT_STREQ(tsr_model_target(nullptr), "");
  tsr_model_release(nullptr);
  tsr_session_release(nullptr);
  tsr_status_free(nullptr);
  EXPECT_STREQ(tsr_status_message(nullptr), "OK");
  EXPECT_EQ(tsr_status_code(nullptr), TSR_STATUS_OK);
  tsr_model_options_t modelOptions;
  tsr_model_options_init(&modelOptions);
  modelOptions.num_linked_entries = 3;
  std::string file = path("model.tsr");
  EXPECT_TSR_ERROR(tsr_model_load(file.c_str(), &modelOptions, &newModel),
                   TSR_STATUS_INVALID_ARGUMENT, "linked_entries is NULL");
}

TEST_F(RuntimeTest, ReportsResultsThatContradictTheSignature) {
  EntrySignature entry{
      "main", "wrong_shape", {}, {sig("y", TSR_DTYPE_F32, {2})}, {}};
  ModelPtr model = loadLinked(writeModel("model.tsr", entry));
  ASSERT_TRUE(model);
  SessionPtr session = createSession(model.get());
  tsr_tensor_view_t output = {};
  EXPECT_TSR_ERROR(tsr_session_run(session.get(), nullptr, 0, &output, 1),
                   TSR_STATUS_INTERNAL,
                   "output 'y': the generated code returned shape [3]");
}

TEST(DTypeTest, SizesAndNames) {
  EXPECT_EQ(tsr_dtype_size(TSR_DTYPE_F32), 4u);
  EXPECT_EQ(tsr_dtype_size(TSR_DTYPE_BF16), 2u);
  EXPECT_EQ(tsr_dtype_size(TSR_DTYPE_I64), 8u);
  EXPECT_EQ(tsr_dtype_size(TSR_DTYPE_BOOL), 1u);
  EXPECT_EQ(tsr_dtype_size(TSR_DTYPE_U16), 2u);
  EXPECT_EQ(tsr_dtype_size(TSR_DTYPE_U32), 4u);
  EXPECT_EQ(tsr_dtype_size(TSR_DTYPE_U64), 8u);
  EXPECT_EQ(tsr_dtype_size(TSR_DTYPE_F8E4M3FN), 1u);
  EXPECT_EQ(tsr_dtype_size(TSR_DTYPE_F8E5M2FNUZ), 1u);
  EXPECT_EQ(tsr_dtype_size(TSR_DTYPE_I4), 1u); // unpacked in memory
  EXPECT_EQ(tsr_dtype_size(TSR_DTYPE_F4E2M1), 1u);
  EXPECT_EQ(tsr_dtype_size(static_cast<tsr_dtype_t>(21)), 0u);
  EXPECT_STREQ(tsr_dtype_name(TSR_DTYPE_U4), "uint4");
  EXPECT_STREQ(tsr_dtype_name(TSR_DTYPE_F8E4M3FNUZ), "float8_e4m3fnuz");
  EXPECT_STREQ(tsr_dtype_name(TSR_DTYPE_F8E5M2), "float8_e5m2");
  EXPECT_STREQ(tsr_dtype_name(TSR_DTYPE_U16), "uint16");
  EXPECT_STREQ(tsr_dtype_name(TSR_DTYPE_U32), "uint32");
  EXPECT_STREQ(tsr_dtype_name(TSR_DTYPE_U64), "uint64");
  EXPECT_EQ(tsr_dtype_size(TSR_DTYPE_INVALID), 0u);
  EXPECT_EQ(tsr_dtype_size(static_cast<tsr_dtype_t>(42)), 0u);
  EXPECT_STREQ(tsr_dtype_name(TSR_DTYPE_I64), "int64");
  EXPECT_STREQ(tsr_dtype_name(TSR_DTYPE_F16), "float16");
  EXPECT_STREQ(tsr_dtype_name(static_cast<tsr_dtype_t>(-3)), "invalid");
}

} // namespace
