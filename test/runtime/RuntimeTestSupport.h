//===- RuntimeTestSupport.h - Shared fixture of runtime tests ---*- C++ -*-===//
//
// Part of the Tessera runtime tests.
//
//===----------------------------------------------------------------------===//
//
// What the runtime test files share: hand-written entries that follow the
// calling convention of tessera/abi.h (so that models run without the
// compiler), status-checking macros, and a fixture that writes models into a
// fresh temporary directory with writeModelFile and loads them with those
// entries linked in.
//
//===----------------------------------------------------------------------===//
#ifndef TESSERA_TEST_RUNTIME_RUNTIMETESTSUPPORT_H
#define TESSERA_TEST_RUNTIME_RUNTIMETESTSUPPORT_H

#include "ModelFileWriter.h"

#include "tessera/runtime.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <unistd.h>
#include <vector>

namespace tessera::test {

//===----------------------------------------------------------------------===//
// Hand-written entries (defined in RuntimeTestSupport.cpp)
//===----------------------------------------------------------------------===//

/// y[b, i] = x[b, i] * w[i] + 1; weight w: f32[4], input x: f32[batch, 4].
void scaleAddEntry(void **args);
/// doubled = 2 * x (f32[3]); count = number of elements (i64 scalar).
void twoOutputsEntry(void **args);
/// masked = input_ids * attention_mask, both i64[batch, seq].
void maskEntry(void **args);
/// Returns one buffer (x + 1, f32[2]) as both of its results.
void sameBufferTwiceEntry(void **args);
/// Claims a shape that contradicts its static signature (f32[2]).
void wrongShapeEntry(void **args);
/// y = x . w + 1 (w: f32[4, 3], x: f32[batch, 4]) computed through the
/// kernel context's sgemm and parallel_for.
void linearEntry(void **args);

//===----------------------------------------------------------------------===//
// Fixtures and helpers
//===----------------------------------------------------------------------===//

/// Owns a status and prints it when a check fails.
struct StatusHolder {
  tsr_status_t status;
  explicit StatusHolder(tsr_status_t status) : status(status) {}
  StatusHolder(const StatusHolder &) = delete;
  StatusHolder &operator=(const StatusHolder &) = delete;
  ~StatusHolder() { tsr_status_free(status); }
  tsr_status_code_t code() const { return tsr_status_code(status); }
  std::string message() const { return tsr_status_message(status); }
};

#define EXPECT_TSR_OK(expr)                                                    \
  do {                                                                         \
    StatusHolder holder_(expr);                                                \
    EXPECT_EQ(holder_.code(), TSR_STATUS_OK) << holder_.message();             \
  } while (0)

#define ASSERT_TSR_OK(expr)                                                    \
  do {                                                                         \
    StatusHolder holder_(expr);                                                \
    ASSERT_EQ(holder_.code(), TSR_STATUS_OK) << holder_.message();             \
  } while (0)

/// Expects `expr` to fail with `code` and a message containing `substring`.
#define EXPECT_TSR_ERROR(expr, expectedCode, substring)                        \
  do {                                                                         \
    StatusHolder holder_(expr);                                                \
    EXPECT_EQ(holder_.code(), expectedCode) << holder_.message();              \
    EXPECT_NE(holder_.message().find(substring), std::string::npos)            \
        << "message: " << holder_.message();                                   \
  } while (0)

struct ModelDeleter {
  void operator()(tsr_model_t *model) const { tsr_model_release(model); }
};
struct SessionDeleter {
  void operator()(tsr_session_t *session) const {
    tsr_session_release(session);
  }
};
using ModelPtr = std::unique_ptr<tsr_model_t, ModelDeleter>;
using SessionPtr = std::unique_ptr<tsr_session_t, SessionDeleter>;

/// The entries above, as linked into an application.
extern const tsr_linked_entry_t kLinkedEntries[];
extern const size_t kNumLinkedEntries;

inline TensorSignature sig(const std::string &name, tsr_dtype_t dtype,
                           std::vector<int64_t> shape,
                           std::vector<std::string> dimNames = {}) {
  return {name, dtype, std::move(shape), std::move(dimNames)};
}

template <typename T>
tsr_tensor_view_t view(tsr_dtype_t dtype, std::vector<int64_t> shape,
                       std::vector<T> &data) {
  tsr_tensor_view_t v = {};
  v.dtype = dtype;
  v.rank = static_cast<int32_t>(shape.size());
  for (size_t d = 0; d < shape.size(); ++d)
    v.shape[d] = shape[d];
  v.data = data.data();
  v.byte_size = data.size() * sizeof(T);
  return v;
}

std::string readFile(const std::string &path);
/// Recomputes the header checksum of model.tsr bytes, so that a test's
/// deliberate corruption reaches the structural checks behind it.
std::string sealChecksum(std::string bytes);
void writeFile(const std::string &path, const std::string &bytes);

class RuntimeTest : public ::testing::Test {
protected:
  void SetUp() override {
    char pattern[] = "/tmp/tessera-runtime-test-XXXXXX";
    ASSERT_NE(::mkdtemp(pattern), nullptr);
    dir = pattern;
  }
  void TearDown() override {
    std::error_code ignored;
    std::filesystem::remove_all(dir, ignored);
  }

  std::string path(const std::string &name) const { return dir + "/" + name; }

  /// Writes a model whose only entry is `entry`, with `weights`.
  std::string writeModel(const std::string &name, const EntrySignature &entry,
                         const std::vector<WeightBlob> &weights = {}) {
    std::string file = path(name);
    std::string error = writeModelFile(file, "cpu-x86_64", {entry}, weights);
    EXPECT_EQ(error, "");
    return file;
  }

  /// The scale_add model: y = x * w + 1 with x: f32[batch, 4].
  std::string writeScaleAddModel(const std::string &name = "model.tsr") {
    EntrySignature entry{"main",
                         "scale_add",
                         {sig("x", TSR_DTYPE_F32, {-1, 4}, {"batch", ""})},
                         {sig("y", TSR_DTYPE_F32, {-1, 4}, {"batch", ""})},
                         {0}};
    return writeModel(
        name, entry,
        {{"w", TSR_DTYPE_F32, {4}, scaleWeights, sizeof(scaleWeights)}});
  }

  ModelPtr loadLinked(const std::string &file) {
    tsr_model_options_t options;
    tsr_model_options_init(&options);
    options.linked_entries = kLinkedEntries;
    options.num_linked_entries = kNumLinkedEntries;
    tsr_model_t *model = nullptr;
    StatusHolder status(tsr_model_load(file.c_str(), &options, &model));
    EXPECT_EQ(status.code(), TSR_STATUS_OK) << status.message();
    return ModelPtr(model);
  }

  /// Loads `file` with the linked entries; returns the status (the caller
  /// frees it, typically through a StatusHolder).
  tsr_status_t tryLoad(const std::string &file) {
    tsr_model_options_t options;
    tsr_model_options_init(&options);
    options.linked_entries = kLinkedEntries;
    options.num_linked_entries = kNumLinkedEntries;
    tsr_model_t *model = nullptr;
    tsr_status_t status = tsr_model_load(file.c_str(), &options, &model);
    EXPECT_EQ(model == nullptr, status != nullptr);
    tsr_model_release(model);
    return status;
  }

  SessionPtr createSession(const tsr_model_t *model) {
    tsr_session_t *session = nullptr;
    StatusHolder status(tsr_session_create(model, nullptr, &session));
    EXPECT_EQ(status.code(), TSR_STATUS_OK) << status.message();
    return SessionPtr(session);
  }

  std::string dir;
  float scaleWeights[4] = {1.0f, 2.0f, 3.0f, 4.0f};
};

} // namespace tessera::test

#endif // TESSERA_TEST_RUNTIME_RUNTIMETESTSUPPORT_H
