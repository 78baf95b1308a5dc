/*===- tessera/model_format.h - On-disk layout of model.tsr -------*- C -*-===*
 *
 * The fixed header of a model.tsr file, shared by the compiler (writer) and
 * the runtime (reader). Everything after the header is described by it: the
 * FlatBuffer of runtime/schema/model.fbs, then the 64-byte-aligned weights.
 * All integers are little-endian.
 *
 *===----------------------------------------------------------------------===*/
#ifndef TESSERA_MODEL_FORMAT_H
#define TESSERA_MODEL_FORMAT_H

#include <stdint.h>

#define TSR_MODEL_MAGIC "TSRMODEL"
#define TSR_MODEL_FORMAT_VERSION 1u
#define TSR_MODEL_HEADER_SIZE 64u
#define TSR_MODEL_DATA_ALIGNMENT 64u

typedef struct tsr_model_file_header_t {
  char magic[8];              /* TSR_MODEL_MAGIC, not NUL-terminated */
  uint32_t format_version;    /* TSR_MODEL_FORMAT_VERSION */
  uint32_t reserved0;
  uint64_t flatbuffer_offset; /* == TSR_MODEL_HEADER_SIZE */
  uint64_t flatbuffer_size;
  uint64_t data_offset;       /* multiple of TSR_MODEL_DATA_ALIGNMENT */
  uint64_t data_size;
  uint8_t reserved1[16];
} tsr_model_file_header_t;

#ifdef __cplusplus
static_assert(sizeof(tsr_model_file_header_t) == TSR_MODEL_HEADER_SIZE,
              "model.tsr header must be 64 bytes");
#else
_Static_assert(sizeof(tsr_model_file_header_t) == TSR_MODEL_HEADER_SIZE,
               "model.tsr header must be 64 bytes");
#endif

#endif /* TESSERA_MODEL_FORMAT_H */
