//===- FuzzModelTsr.cpp - libFuzzer target of the model.tsr loader --------===//
//
// Part of Tessera's fuzz targets (tools/fuzz, built by scripts/fuzz.sh).
//
//===----------------------------------------------------------------------===//
//
// Feeds bytes to tsr_model_load_from_memory, the same verification that
// tsr_model_load runs on a mapped file, then reads the signature through the
// accessors and creates a session, as tessera-run would.
//
// The header's checksum would stop nearly every mutation at the first check,
// so the target recomputes it over whatever the mutated header describes
// (when that lies inside the input) before loading: mutations then reach the
// header bounds checks, the FlatBuffers verifier and the loader's own checks
// of weights and signatures. Entries resolve against a stand-in for the
// generated code under the symbols tessera-compile writes by default. With
// TESSERA_FUZZ_VERBOSE set, each input's status is printed.
//
//===----------------------------------------------------------------------===//
#include "tessera/model_format.h"
#include "tessera/runtime.h"

#include <sanitizer/asan_interface.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace {

/// Does nothing: sessions are created but never run.
void standInEntry(void **) {}

const tsr_linked_entry_t kLinkedEntries[] = {
    {"tsr_model_main", standInEntry},
    {"main", standInEntry},
};

/// Rewrites the header's checksum to match the bytes it covers, when the
/// header's ranges lie inside the image (otherwise the loader rejects the
/// header before it looks at the checksum).
void sealChecksum(uint8_t *image, size_t size) {
  if (size < sizeof(tsr_model_file_header_t))
    return;
  tsr_model_file_header_t header;
  std::memcpy(&header, image, sizeof(header));
  if (header.data_offset < TSR_MODEL_HEADER_SIZE ||
      header.data_offset > size || header.data_size > size - header.data_offset)
    return;
  tsr_checksum_t checksum;
  tsr_checksum_init(&checksum);
  tsr_checksum_update(&checksum, image + TSR_MODEL_HEADER_SIZE,
                      header.data_offset + header.data_size -
                          TSR_MODEL_HEADER_SIZE);
  header.checksum = tsr_checksum_final(&checksum);
  std::memcpy(image, &header, sizeof(header));
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  // The loader wants a 64-byte aligned image. The padding up to the next
  // multiple of 64 is poisoned, so that AddressSanitizer catches a read even
  // one byte past the input.
  size_t padded = (size + TSR_MODEL_DATA_ALIGNMENT - 1) /
                  TSR_MODEL_DATA_ALIGNMENT * TSR_MODEL_DATA_ALIGNMENT;
  auto *image = static_cast<uint8_t *>(
      std::aligned_alloc(TSR_MODEL_DATA_ALIGNMENT, padded ? padded : 64));
  if (!image)
    return 0;
  if (size)
    std::memcpy(image, data, size);
  ASAN_POISON_MEMORY_REGION(image + size, (padded ? padded : 64) - size);
  sealChecksum(image, size);

  tsr_model_options_t options;
  tsr_model_options_init(&options);
  options.linked_entries = kLinkedEntries;
  options.num_linked_entries = sizeof(kLinkedEntries) / sizeof(kLinkedEntries[0]);
  tsr_model_t *model = nullptr;
  tsr_status_t status =
      tsr_model_load_from_memory(image, size, &options, &model);
  static const bool verbose = std::getenv("TESSERA_FUZZ_VERBOSE") != nullptr;
  if (status) {
    // Every failure must come with a message that names the image.
    const char *message = tsr_status_message(status);
    if (verbose)
      std::fprintf(stderr, "%s\n", message);
    if (std::strncmp(message, "model.tsr '<memory>'", 20) != 0)
      std::abort();
    tsr_status_free(status);
  } else {
    if (verbose)
      std::fprintf(stderr, "loaded: %zu inputs, %zu outputs\n",
                   tsr_model_num_inputs(model), tsr_model_num_outputs(model));
    tsr_tensor_info_t info;
    for (size_t i = 0, n = tsr_model_num_inputs(model); i < n; ++i)
      tsr_status_free(tsr_model_input_info(model, i, &info));
    for (size_t i = 0, n = tsr_model_num_outputs(model); i < n; ++i)
      tsr_status_free(tsr_model_output_info(model, i, &info));
    (void)tsr_model_target(model);
    tsr_session_options_t sessionOptions;
    tsr_session_options_init(&sessionOptions);
    sessionOptions.num_threads = 1;
    tsr_session_t *session = nullptr;
    tsr_status_free(tsr_session_create(model, &sessionOptions, &session));
    tsr_session_release(session);
    tsr_model_release(model);
  }
  ASAN_UNPOISON_MEMORY_REGION(image + size, (padded ? padded : 64) - size);
  std::free(image);
  return 0;
}
