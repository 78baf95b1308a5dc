//===- TensorFile.h - Reading .npy and TensorProto tensor files -*- C++ -*-===//
//
// Part of the Tessera tools.
//
//===----------------------------------------------------------------------===//
//
// One reader for the tensor files the tools take (tessera-run's --input,
// tessera-compile's --calibrate sets): NumPy .npy or a serialized ONNX
// TensorProto (.pb, as in ONNX's test data), told apart by the .npy magic.
// Files are untrusted: failures come back as messages naming the file.
//
//===----------------------------------------------------------------------===//
#ifndef TESSERA_TOOLS_TENSORFILE_H
#define TESSERA_TOOLS_TENSORFILE_H

#include "Npy.h"

#include <string>

namespace tessera::npy {

/// Reads a .npy or TensorProto file into `out`; "" or an error naming the
/// file.
std::string readTensorFile(const std::string &path, Array &out);

} // namespace tessera::npy

#endif // TESSERA_TOOLS_TENSORFILE_H
