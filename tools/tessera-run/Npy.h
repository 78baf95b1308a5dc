//===- Npy.h - Reading and writing NumPy .npy files -------------*- C++ -*-===//
//
// Part of the Tessera tools.
//
//===----------------------------------------------------------------------===//
//
// A small, defensive reader and writer of the NumPy .npy format (versions 1,
// 2 and 3; little-endian; C order), for tools that exchange tensors with
// Python: tessera-run reads inputs and writes outputs with it. Files are
// untrusted: every length in a header is checked against the file, and
// failures come back as messages, never as crashes.
//
// Supported element types: f2 f4 f8 i1 i2 i4 i8 u1 u2 u4 u8 b1. NumPy has no
// bfloat16, so writeNpyFile widens bfloat16 tensors to float32 (exactly);
// the same for the 8-bit floats.
//
//===----------------------------------------------------------------------===//
#ifndef TESSERA_TOOLS_NPY_H
#define TESSERA_TOOLS_NPY_H

#include "tessera/runtime.h"

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace tessera::npy {

/// A dense, C-order array.
struct Array {
  tsr_dtype_t dtype = TSR_DTYPE_INVALID;
  std::vector<int64_t> shape;
  std::vector<char> data; // Exactly numel * dtype size bytes.
};

/// Parses the bytes of a .npy file into `out`, taking `bytes` over to avoid
/// copying the data. Returns "" or what is wrong (without a file name).
std::string parseNpy(std::vector<char> bytes, Array &out);

/// Reads the whole regular file at `path` into `bytes` (exposed for callers
/// that sniff the format before choosing a parser). Returns "" or an error
/// message that names the file.
std::string readFileBytes(const std::string &path, std::vector<char> &bytes);

/// Reads and parses the .npy file at `path`. Returns "" or an error message
/// that names the file.
std::string readNpyFile(const std::string &path, Array &out);

/// Writes a dense, C-order tensor as a version 1 .npy file (version 2 if the
/// header needs it). Returns "" or an error message that names the file.
std::string writeNpyFile(const std::string &path, tsr_dtype_t dtype,
                         const int64_t *shape, size_t rank, const void *data,
                         size_t byteSize);

/// The .npy type string of `dtype` ("<f4", "|b1", ...); "" if none.
std::string npyDescr(tsr_dtype_t dtype);

/// The value of one 8-bit float (TSR_DTYPE_F8*) given its bits.
float float8ToFloat(tsr_dtype_t dtype, uint8_t bits);

} // namespace tessera::npy

#endif // TESSERA_TOOLS_NPY_H
