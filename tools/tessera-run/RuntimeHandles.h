//===- RuntimeHandles.h - Owners of the runtime C API's handles -*- C++ -*-===//
//
// Part of the Tessera tools.
//
//===----------------------------------------------------------------------===//
//
// unique_ptr deleters for tsr_model_t and tsr_session_t, and the one way
// the tools turn a tsr_status_t into a message.
//
//===----------------------------------------------------------------------===//
#ifndef TESSERA_TOOLS_RUNTIMEHANDLES_H
#define TESSERA_TOOLS_RUNTIMEHANDLES_H

#include "tessera/runtime.h"

#include <memory>
#include <string>

namespace tessera::tools {

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

/// Takes a status: "" when OK, else its message (the status is freed).
inline std::string takeError(tsr_status_t status) {
  if (!status)
    return "";
  std::string message = tsr_status_message(status);
  tsr_status_free(status);
  return message;
}

} // namespace tessera::tools

#endif // TESSERA_TOOLS_RUNTIMEHANDLES_H
