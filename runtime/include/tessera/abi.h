/*===- tessera/abi.h - Calling convention of generated code -------*- C -*-===*
 *
 * The contract between code that tessera-compile generates (model.o,
 * libmodel.so) and the runtime. Generated code depends only on this header
 * and the C library (malloc/free, libm).
 *
 * Each entry of a model is exported as
 *
 *     void <symbol>(void **args);
 *
 * args[0] points to the results block; args[1 + i] points to the memref
 * descriptor of argument i, weights first (in Entry.weights order), then the
 * inputs (in Entry.inputs order).
 *
 * A memref descriptor of rank R is 3 + 2R machine words:
 *     { void *allocated; void *aligned; int64_t offset;
 *       int64_t sizes[R]; int64_t strides[R]; }
 * (element i is at aligned + offset + sum(idx[d] * strides[d]), in elements).
 * The results block is the results' descriptors, one after another. Every
 * result is contiguous (identity layout) and owned by the caller, who frees
 * its `allocated` pointer with free().
 *
 *===----------------------------------------------------------------------===*/
#ifndef TESSERA_ABI_H
#define TESSERA_ABI_H

#include <stdint.h>

#define TSR_ABI_VERSION 1

#ifdef __cplusplus
extern "C" {
#endif

typedef void (*tsr_entry_fn_t)(void **args);

/* Number of int64 words in the descriptor of a rank-`rank` memref. */
#define TSR_MEMREF_DESCRIPTOR_WORDS(rank) (3 + 2 * (rank))

#ifdef __cplusplus
}
#endif

#endif /* TESSERA_ABI_H */
