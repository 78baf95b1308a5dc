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
  /* tsr_checksum over the FlatBuffer bytes followed by the data section
   * (padding included), so that corrupted weights are caught at load time
   * rather than producing silently wrong results. */
  uint64_t checksum;
  uint8_t reserved1[8];
} tsr_model_file_header_t;

#ifdef __cplusplus
static_assert(sizeof(tsr_model_file_header_t) == TSR_MODEL_HEADER_SIZE,
              "model.tsr header must be 64 bytes");
#else
_Static_assert(sizeof(tsr_model_file_header_t) == TSR_MODEL_HEADER_SIZE,
               "model.tsr header must be 64 bytes");
#endif

/* An incremental 64-bit checksum over a byte stream, fed 8 bytes at a time
 * (a few GB/s). Not cryptographic: it detects corruption, not tampering. */
typedef struct tsr_checksum_t {
  uint64_t hash;
  uint64_t total;
  uint64_t carry;
  uint32_t carry_len;
} tsr_checksum_t;

static inline uint64_t tsr_checksum_mix_(uint64_t h, uint64_t word) {
  h ^= word * 0xff51afd7ed558ccdull;
  h = (h << 31) | (h >> 33);
  return h * 0xc4ceb9fe1a85ec53ull + 0x9e3779b97f4a7c15ull;
}

static inline void tsr_checksum_init(tsr_checksum_t *c) {
  c->hash = 0x243f6a8885a308d3ull;
  c->total = 0;
  c->carry = 0;
  c->carry_len = 0;
}

static inline void tsr_checksum_update(tsr_checksum_t *c, const void *data,
                                       uint64_t size) {
  const unsigned char *p = (const unsigned char *)data;
  c->total += size;
  while (size > 0 && c->carry_len != 0) {
    c->carry |= (uint64_t)*p++ << (8 * c->carry_len);
    --size;
    if (++c->carry_len == 8) {
      c->hash = tsr_checksum_mix_(c->hash, c->carry);
      c->carry = 0;
      c->carry_len = 0;
    }
  }
  for (; size >= 8; size -= 8, p += 8) {
    uint64_t word = 0;
    for (int i = 0; i < 8; ++i) /* little-endian load; compiles to one mov */
      word |= (uint64_t)p[i] << (8 * i);
    c->hash = tsr_checksum_mix_(c->hash, word);
  }
  while (size-- > 0)
    c->carry |= (uint64_t)*p++ << (8 * c->carry_len++);
}

static inline uint64_t tsr_checksum_final(const tsr_checksum_t *c) {
  uint64_t h = c->hash;
  if (c->carry_len)
    h = tsr_checksum_mix_(h, c->carry);
  return tsr_checksum_mix_(h, c->total);
}

#endif /* TESSERA_MODEL_FORMAT_H */
