//===- Status.cpp - tsr_status_t implementation ---------------------------===//
//
// Part of the Tessera runtime.
//
//===----------------------------------------------------------------------===//
//
// A status is one malloc'd block: the code followed by the NUL-terminated
// message, so that creating one is a single allocation that cannot throw and
// freeing one is a single free().
//
//===----------------------------------------------------------------------===//
#include "Status.h"

#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>

struct tsr_status {
  tsr_status_code_t code;
  char message[1]; // Really strlen(message) + 1 bytes.
};

namespace {
// Handed out when the message itself cannot be allocated. It is never
// written to and tsr_status_free() recognizes it, so it carries no state.
tsr_status kOutOfMemory = {TSR_STATUS_OUT_OF_MEMORY, {'\0'}};
constexpr const char *kOutOfMemoryMessage = "out of memory";

tsr_status_t allocateStatus(tsr_status_code_t code, size_t messageLength) {
  auto *status = static_cast<tsr_status *>(
      std::malloc(offsetof(tsr_status, message) + messageLength + 1));
  if (status)
    status->code = code;
  return status;
}

tsr_status_t makeStatusV(tsr_status_code_t code, const char *format,
                         va_list args) {
  va_list sizing;
  va_copy(sizing, args);
  int length = std::vsnprintf(nullptr, 0, format, sizing);
  va_end(sizing);
  if (length < 0)
    return tessera::runtime::makeStatusFromString(code, format);
  tsr_status_t status = allocateStatus(code, static_cast<size_t>(length));
  if (!status)
    return &kOutOfMemory;
  std::vsnprintf(status->message, static_cast<size_t>(length) + 1, format,
                 args);
  return status;
}
} // namespace

namespace tessera::runtime {

tsr_status_t makeStatus(tsr_status_code_t code, const char *format, ...) {
  va_list args;
  va_start(args, format);
  tsr_status_t status = makeStatusV(code, format, args);
  va_end(args);
  return status;
}

tsr_status_t makeStatusFromString(tsr_status_code_t code,
                                  const std::string &message) {
  tsr_status_t status = allocateStatus(code, message.size());
  if (!status)
    return &kOutOfMemory;
  std::memcpy(status->message, message.c_str(), message.size() + 1);
  return status;
}

tsr_status_t outOfMemoryStatus() { return &kOutOfMemory; }

std::string formatString(const char *format, ...) {
  va_list args;
  va_start(args, format);
  std::string result = formatStringV(format, args);
  va_end(args);
  return result;
}

std::string formatStringV(const char *format, va_list args) {
  va_list sizing;
  va_copy(sizing, args);
  int length = std::vsnprintf(nullptr, 0, format, sizing);
  va_end(sizing);
  std::string result;
  if (length > 0) {
    result.resize(static_cast<size_t>(length));
    std::vsnprintf(result.data(), result.size() + 1, format, args);
  }
  return result;
}

} // namespace tessera::runtime

extern "C" {

tsr_status_code_t tsr_status_code(tsr_status_t status) {
  return status ? status->code : TSR_STATUS_OK;
}

const char *tsr_status_message(tsr_status_t status) {
  if (!status)
    return "OK";
  if (status == &kOutOfMemory)
    return kOutOfMemoryMessage;
  return status->message;
}

void tsr_status_free(tsr_status_t status) {
  if (status != &kOutOfMemory)
    std::free(status);
}

} // extern "C"
