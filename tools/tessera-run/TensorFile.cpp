//===- TensorFile.cpp - Reading .npy and TensorProto tensor files ---------===//
//
// Part of the Tessera tools.
//
//===----------------------------------------------------------------------===//
#include "TensorFile.h"

#include <onnx/onnx_pb.h>

#include <climits>
#include <cstring>

using tessera::npy::Array;

namespace {

/// Maps an ONNX element type to a dtype; TSR_DTYPE_INVALID if unsupported.
tsr_dtype_t dtypeFromOnnx(int32_t type) {
  switch (type) {
  case onnx::TensorProto::FLOAT:
    return TSR_DTYPE_F32;
  case onnx::TensorProto::FLOAT16:
    return TSR_DTYPE_F16;
  case onnx::TensorProto::BFLOAT16:
    return TSR_DTYPE_BF16;
  case onnx::TensorProto::DOUBLE:
    return TSR_DTYPE_F64;
  case onnx::TensorProto::INT8:
    return TSR_DTYPE_I8;
  case onnx::TensorProto::INT16:
    return TSR_DTYPE_I16;
  case onnx::TensorProto::INT32:
    return TSR_DTYPE_I32;
  case onnx::TensorProto::INT64:
    return TSR_DTYPE_I64;
  case onnx::TensorProto::UINT8:
    return TSR_DTYPE_U8;
  case onnx::TensorProto::UINT16:
    return TSR_DTYPE_U16;
  case onnx::TensorProto::UINT32:
    return TSR_DTYPE_U32;
  case onnx::TensorProto::UINT64:
    return TSR_DTYPE_U64;
  case 17: // FLOAT8E4M3FN..FLOAT8E5M2FNUZ (newer than libonnx's enum)
    return TSR_DTYPE_F8E4M3FN;
  case 18:
    return TSR_DTYPE_F8E4M3FNUZ;
  case 19:
    return TSR_DTYPE_F8E5M2;
  case 20:
    return TSR_DTYPE_F8E5M2FNUZ;
  case 21: // UINT4, INT4, FLOAT4E2M1
    return TSR_DTYPE_U4;
  case 22:
    return TSR_DTYPE_I4;
  case 23:
    return TSR_DTYPE_F4E2M1;
  case onnx::TensorProto::BOOL:
    return TSR_DTYPE_BOOL;
  default:
    return TSR_DTYPE_INVALID;
  }
}

/// Copies a typed repeated field into `out`, narrowing each element to T.
template <typename T, typename Field>
void copyTyped(const Field &field, std::vector<char> &out) {
  out.resize(static_cast<size_t>(field.size()) * sizeof(T));
  for (int i = 0; i < field.size(); ++i) {
    T element = static_cast<T>(field.Get(i));
    std::memcpy(out.data() + static_cast<size_t>(i) * sizeof(T), &element,
                sizeof(T));
  }
}

/// Decodes a serialized onnx.TensorProto; "" or what is wrong.
std::string parseTensorProto(const std::vector<char> &bytes, Array &out) {
  onnx::TensorProto tensor;
  if (bytes.size() > static_cast<size_t>(INT32_MAX) ||
      !tensor.ParseFromArray(bytes.data(), static_cast<int>(bytes.size())))
    return "neither a .npy file nor a valid ONNX TensorProto";
  if (tensor.data_location() == onnx::TensorProto::EXTERNAL)
    return "TensorProto with external data is not supported";
  if (tensor.data_type() == onnx::TensorProto::UNDEFINED)
    return "neither a .npy file nor an ONNX TensorProto with a data_type";
  out.dtype = dtypeFromOnnx(tensor.data_type());
  if (out.dtype == TSR_DTYPE_INVALID)
    return "TensorProto data_type " + std::to_string(tensor.data_type()) +
           " is not supported";
  uint64_t numel = 1;
  for (int64_t dim : tensor.dims()) {
    if (dim < 0)
      return "TensorProto has a negative dim " + std::to_string(dim);
    if (__builtin_mul_overflow(numel, static_cast<uint64_t>(dim), &numel))
      return "TensorProto shape is too large";
    out.shape.push_back(dim);
  }
  if (out.dtype == TSR_DTYPE_I4 || out.dtype == TSR_DTYPE_U4 ||
      out.dtype == TSR_DTYPE_F4E2M1) {
    // Packed two per byte, the first in the low four bits: one per byte.
    // Typed: int32_data holds the packed bytes, one per entry.
    std::string raw = tensor.raw_data();
    if (!tensor.has_raw_data())
      for (int32_t v : tensor.int32_data())
        raw.push_back(static_cast<char>(v & 0xFF));
    if (raw.size() != (numel + 1) / 2)
      return "TensorProto raw_data has " + std::to_string(raw.size()) +
             " bytes but its shape needs " + std::to_string((numel + 1) / 2);
    out.data.resize(numel);
    for (uint64_t i = 0; i < numel; ++i) {
      uint8_t nibble = (static_cast<uint8_t>(raw[i / 2]) >> (4 * (i % 2))) & 0xF;
      if (out.dtype == TSR_DTYPE_I4 && (nibble & 0x8))
        nibble |= 0xF0; // sign-extend
      out.data[i] = static_cast<char>(nibble);
    }
    return "";
  }
  uint64_t elementSize = tsr_dtype_size(out.dtype);
  uint64_t expectedBytes;
  if (__builtin_mul_overflow(numel, elementSize, &expectedBytes))
    return "TensorProto shape is too large";
  if (tensor.has_raw_data()) {
    if (tensor.raw_data().size() != expectedBytes)
      return "TensorProto raw_data has " +
             std::to_string(tensor.raw_data().size()) + " bytes but its " +
             "shape needs " + std::to_string(expectedBytes);
    out.data.assign(tensor.raw_data().begin(), tensor.raw_data().end());
    return "";
  }
  // Typed fields: 16-bit floats travel as their bit patterns in int32_data.
  switch (out.dtype) {
  case TSR_DTYPE_F32:
    copyTyped<float>(tensor.float_data(), out.data);
    break;
  case TSR_DTYPE_F64:
    copyTyped<double>(tensor.double_data(), out.data);
    break;
  case TSR_DTYPE_I64:
    copyTyped<int64_t>(tensor.int64_data(), out.data);
    break;
  case TSR_DTYPE_I32:
    copyTyped<int32_t>(tensor.int32_data(), out.data);
    break;
  case TSR_DTYPE_I16:
  case TSR_DTYPE_U16:
  case TSR_DTYPE_F16:
  case TSR_DTYPE_BF16:
    copyTyped<uint16_t>(tensor.int32_data(), out.data);
    break;
  case TSR_DTYPE_U32:
    copyTyped<uint32_t>(tensor.uint64_data(), out.data);
    break;
  case TSR_DTYPE_U64:
    copyTyped<uint64_t>(tensor.uint64_data(), out.data);
    break;
  case TSR_DTYPE_I8:
  case TSR_DTYPE_U8:
  case TSR_DTYPE_BOOL:
  case TSR_DTYPE_F8E4M3FN:
  case TSR_DTYPE_F8E4M3FNUZ:
  case TSR_DTYPE_F8E5M2:
  case TSR_DTYPE_F8E5M2FNUZ:
    copyTyped<uint8_t>(tensor.int32_data(), out.data);
    break;
  case TSR_DTYPE_I4: // handled above
  case TSR_DTYPE_U4:
  case TSR_DTYPE_F4E2M1:
    break;
  case TSR_DTYPE_INVALID:
    break;
  }
  if (out.data.size() != expectedBytes)
    return "TensorProto has " + std::to_string(out.data.size() / elementSize) +
           " elements but its shape needs " + std::to_string(numel);
  return "";
}

} // namespace

std::string tessera::npy::readTensorFile(const std::string &path, Array &out) {
  std::vector<char> bytes;
  if (std::string error = tessera::npy::readFileBytes(path, bytes);
      !error.empty())
    return error;
  if (bytes.empty())
    return "'" + path + "' is empty";
  std::string problem;
  if (bytes.size() >= 6 && std::memcmp(bytes.data(), "\x93NUMPY", 6) == 0)
    problem = tessera::npy::parseNpy(std::move(bytes), out);
  else
    problem = parseTensorProto(bytes, out);
  return problem.empty() ? "" : "'" + path + "': " + problem;
}
