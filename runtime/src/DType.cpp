//===- DType.cpp - Element type helpers -----------------------------------===//
//
// Part of the Tessera runtime.
//
//===----------------------------------------------------------------------===//
//
// Sizes and names of tsr_dtype_t. The names follow NumPy's spelling
// ("float32", "int64", "bool") so that error messages read the same as the
// arrays users feed to tessera-run.
//
//===----------------------------------------------------------------------===//
#include "DType.h"

using tessera::runtime::rawDType;

extern "C" {

size_t tsr_dtype_size(tsr_dtype_t dtype) {
  switch (rawDType(dtype)) {
  case TSR_DTYPE_F32:
  case TSR_DTYPE_I32:
  case TSR_DTYPE_U32:
    return 4;
  case TSR_DTYPE_F16:
  case TSR_DTYPE_BF16:
  case TSR_DTYPE_I16:
  case TSR_DTYPE_U16:
    return 2;
  case TSR_DTYPE_F64:
  case TSR_DTYPE_I64:
  case TSR_DTYPE_U64:
    return 8;
  case TSR_DTYPE_I8:
  case TSR_DTYPE_U8:
  case TSR_DTYPE_BOOL:
  case TSR_DTYPE_F8E4M3FN:
  case TSR_DTYPE_F8E4M3FNUZ:
  case TSR_DTYPE_F8E5M2:
  case TSR_DTYPE_F8E5M2FNUZ:
  case TSR_DTYPE_I4:
  case TSR_DTYPE_U4:
  case TSR_DTYPE_F4E2M1:
    return 1;
  case TSR_DTYPE_INVALID:
    break;
  }
  return 0;
}

const char *tsr_dtype_name(tsr_dtype_t dtype) {
  switch (rawDType(dtype)) {
  case TSR_DTYPE_F32:
    return "float32";
  case TSR_DTYPE_F16:
    return "float16";
  case TSR_DTYPE_BF16:
    return "bfloat16";
  case TSR_DTYPE_F64:
    return "float64";
  case TSR_DTYPE_I8:
    return "int8";
  case TSR_DTYPE_I16:
    return "int16";
  case TSR_DTYPE_I32:
    return "int32";
  case TSR_DTYPE_I64:
    return "int64";
  case TSR_DTYPE_U8:
    return "uint8";
  case TSR_DTYPE_U16:
    return "uint16";
  case TSR_DTYPE_U32:
    return "uint32";
  case TSR_DTYPE_U64:
    return "uint64";
  case TSR_DTYPE_F8E4M3FN:
    return "float8_e4m3fn";
  case TSR_DTYPE_F8E4M3FNUZ:
    return "float8_e4m3fnuz";
  case TSR_DTYPE_F8E5M2:
    return "float8_e5m2";
  case TSR_DTYPE_F8E5M2FNUZ:
    return "float8_e5m2fnuz";
  case TSR_DTYPE_I4:
    return "int4";
  case TSR_DTYPE_U4:
    return "uint4";
  case TSR_DTYPE_F4E2M1:
    return "float4_e2m1fn";
  case TSR_DTYPE_BOOL:
    return "bool";
  case TSR_DTYPE_INVALID:
    break;
  }
  return "invalid";
}

} // extern "C"
