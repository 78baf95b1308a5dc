//===- DType.h - Reading dtypes that callers hand in ------------*- C++ -*-===//
//
// Part of the Tessera runtime.
//
//===----------------------------------------------------------------------===//
//
// C lets a caller store any int in a tsr_dtype_t, but in C++ loading a value
// outside the enum's range through the enum type is undefined behaviour (and
// UBSan reports it). Everything that inspects a caller-provided dtype reads
// its bytes through rawDType instead.
//
//===----------------------------------------------------------------------===//
#ifndef TESSERA_RUNTIME_DTYPE_H
#define TESSERA_RUNTIME_DTYPE_H

#include "tessera/runtime.h"

#include <cstdint>
#include <cstring>

namespace tessera::runtime {

static_assert(sizeof(tsr_dtype_t) == sizeof(int32_t),
              "tsr_dtype_t is expected to be int-sized");

/// The integer stored in `dtype`, whatever it is.
inline int32_t rawDType(const tsr_dtype_t &dtype) {
  int32_t value;
  std::memcpy(&value, &dtype, sizeof(value));
  return value;
}

inline bool isValidDType(int32_t dtype) {
  return dtype >= TSR_DTYPE_F32 && dtype <= TSR_DTYPE_F4E2M1;
}

/// tsr_dtype_name for a caller-provided dtype.
inline const char *callerDTypeName(const tsr_dtype_t &dtype) {
  return isValidDType(rawDType(dtype)) ? tsr_dtype_name(dtype) : "invalid";
}

} // namespace tessera::runtime

#endif // TESSERA_RUNTIME_DTYPE_H
