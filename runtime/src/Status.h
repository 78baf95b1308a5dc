//===- Status.h - Creating tsr_status_t values ------------------*- C++ -*-===//
//
// Part of the Tessera runtime.
//
//===----------------------------------------------------------------------===//
//
// Internal helpers that build the statuses the C API hands out, and the guard
// that keeps C++ exceptions (in practice std::bad_alloc from a std::string or
// std::vector) from crossing the C boundary. Nothing here prints or aborts:
// every failure becomes a status the caller can act on.
//
//===----------------------------------------------------------------------===//
#ifndef TESSERA_RUNTIME_STATUS_H
#define TESSERA_RUNTIME_STATUS_H

#include "tessera/runtime.h"

#include <cstdarg>
#include <new>
#include <string>

namespace tessera::runtime {

/// Returns a new status with `code` and a printf-formatted message. Never
/// fails: when memory is exhausted it returns a preallocated out-of-memory
/// status, which tsr_status_free() knows not to free.
tsr_status_t makeStatus(tsr_status_code_t code, const char *format, ...)
    __attribute__((format(printf, 2, 3)));

/// Like makeStatus, for a message that is already formatted.
tsr_status_t makeStatusFromString(tsr_status_code_t code,
                                  const std::string &message);

/// The shared out-of-memory status.
tsr_status_t outOfMemoryStatus();

/// printf into a std::string (may throw std::bad_alloc; callers run under
/// guardStatus).
std::string formatString(const char *format, ...)
    __attribute__((format(printf, 1, 2)));
std::string formatStringV(const char *format, va_list args)
    __attribute__((format(printf, 1, 0)));

/// Runs `body` (returning tsr_status_t) and turns any exception into a
/// status, so that none escapes through the extern "C" API.
template <typename Body> tsr_status_t guardStatus(Body &&body) noexcept {
  try {
    return body();
  } catch (const std::bad_alloc &) {
    return outOfMemoryStatus();
  } catch (...) {
    return makeStatus(TSR_STATUS_INTERNAL,
                      "unexpected C++ exception inside the Tessera runtime");
  }
}

} // namespace tessera::runtime

#endif // TESSERA_RUNTIME_STATUS_H
