/*===- tessera/runtime.h - Tessera runtime C API ------------------*- C -*-===*
 *
 * Loads a compiled model (model.tsr plus its generated code) and runs it.
 *
 * Conventions:
 *  - Fallible calls return a tsr_status_t: NULL means OK; otherwise the
 *    caller owns the status and frees it with tsr_status_free().
 *  - Whoever creates a handle (`*_create`, `*_load`) releases it
 *    (`*_release`); accessors never transfer ownership.
 *  - Out-parameters come last and are prefixed `out_`.
 *  - Tensors crossing the API are non-owning views.
 *  - Options structs are initialized by their `*_init` function, so fields
 *    added later get defaults.
 *
 *===----------------------------------------------------------------------===*/
#ifndef TESSERA_RUNTIME_H
#define TESSERA_RUNTIME_H

#include <stddef.h>
#include <stdint.h>

#include "tessera/abi.h"

#ifdef __cplusplus
extern "C" {
#endif

#define TSR_MAX_RANK 8

/*===------------------------------------------------------------------===*
 * Status
 *===------------------------------------------------------------------===*/

typedef enum tsr_status_code_t {
  TSR_STATUS_OK = 0,
  TSR_STATUS_INVALID_ARGUMENT = 1, /* bad input name, dtype, rank, dim... */
  TSR_STATUS_NOT_FOUND = 2,        /* file, entry or symbol missing */
  TSR_STATUS_IO_ERROR = 3,         /* open/read/mmap failed */
  TSR_STATUS_CORRUPT_MODEL = 4,    /* model.tsr failed verification */
  TSR_STATUS_UNSUPPORTED = 5,      /* format version, target... */
  TSR_STATUS_OUT_OF_MEMORY = 6,
  TSR_STATUS_INTERNAL = 7,
} tsr_status_code_t;

typedef struct tsr_status *tsr_status_t;

/* The status' code; TSR_STATUS_OK for NULL. */
tsr_status_code_t tsr_status_code(tsr_status_t status);
/* The status' message, owned by the status; "OK" for NULL. */
const char *tsr_status_message(tsr_status_t status);
/* Frees a status; NULL is allowed. */
void tsr_status_free(tsr_status_t status);

/*===------------------------------------------------------------------===*
 * Tensors
 *===------------------------------------------------------------------===*/

/* Values match tessera.fb.DType in runtime/schema/model.fbs. */
typedef enum tsr_dtype_t {
  TSR_DTYPE_INVALID = 0,
  TSR_DTYPE_F32 = 1,
  TSR_DTYPE_F16 = 2,
  TSR_DTYPE_BF16 = 3,
  TSR_DTYPE_F64 = 4,
  TSR_DTYPE_I8 = 5,
  TSR_DTYPE_I16 = 6,
  TSR_DTYPE_I32 = 7,
  TSR_DTYPE_I64 = 8,
  TSR_DTYPE_U8 = 9,
  TSR_DTYPE_BOOL = 10,
  TSR_DTYPE_U16 = 11,
  TSR_DTYPE_U32 = 12,
  TSR_DTYPE_U64 = 13,
  /* 8-bit floats (one byte each), as ONNX and ml_dtypes define them */
  TSR_DTYPE_F8E4M3FN = 14,
  TSR_DTYPE_F8E4M3FNUZ = 15,
  TSR_DTYPE_F8E5M2 = 16,
  TSR_DTYPE_F8E5M2FNUZ = 17,
  /* 4-bit types: one element per byte in a tensor's memory (the low four
   * bits); ONNX files pack two per byte, which tessera-run unpacks. */
  TSR_DTYPE_I4 = 18,
  TSR_DTYPE_U4 = 19,
  TSR_DTYPE_F4E2M1 = 20,
} tsr_dtype_t;

/* Size in bytes of one element; 0 for an invalid dtype. */
size_t tsr_dtype_size(tsr_dtype_t dtype);
/* Lower-case name ("float32", "int64", ...); "invalid" if unknown. */
const char *tsr_dtype_name(tsr_dtype_t dtype);

/* A non-owning, dense, row-major view of a tensor. */
typedef struct tsr_tensor_view_t {
  tsr_dtype_t dtype;
  int32_t rank;
  int64_t shape[TSR_MAX_RANK];
  void *data;
  /* Bytes available at `data`; must be at least the tensor's size. */
  size_t byte_size;
} tsr_tensor_view_t;

/* Static description of an entry input or output. Strings are owned by the
 * model and live as long as it. shape[d] is -1 for a dynamic dimension,
 * whose name is dim_names[d] (NULL or "" for static ones). */
typedef struct tsr_tensor_info_t {
  const char *name;
  tsr_dtype_t dtype;
  int32_t rank;
  int64_t shape[TSR_MAX_RANK];
  const char *dim_names[TSR_MAX_RANK];
} tsr_tensor_info_t;

/*===------------------------------------------------------------------===*
 * Models
 *===------------------------------------------------------------------===*/

typedef struct tsr_model tsr_model_t;

/* An entry function linked into the application (see the generated
 * model.h), used instead of loading libmodel.so. */
typedef struct tsr_linked_entry_t {
  const char *symbol;
  tsr_entry_fn_t fn;
} tsr_linked_entry_t;

typedef struct tsr_model_options_t {
  /* Entries statically linked into the app. When NULL, the generated code
   * is loaded from `library_path`. */
  const tsr_linked_entry_t *linked_entries;
  size_t num_linked_entries;
  /* Shared library with the generated code; NULL means "libmodel.so" in the
   * directory of the model file. */
  const char *library_path;
} tsr_model_options_t;

void tsr_model_options_init(tsr_model_options_t *options);

/* Maps and verifies `path` (a model.tsr) and resolves its entry functions.
 * `options` may be NULL. The caller releases *out_model. */
tsr_status_t tsr_model_load(const char *path,
                            const tsr_model_options_t *options,
                            tsr_model_t **out_model);
/* Verifies a model.tsr image that is already in memory (embedded in the
 * app, or read by the caller) and resolves its entry functions, exactly as
 * tsr_model_load does for a file. The model borrows the image: `data` must
 * be 64-byte aligned and stay valid and unchanged until the model is
 * released, as weights point into it. `options` must give linked_entries
 * or a library_path (there is no directory to find libmodel.so in). The
 * caller releases *out_model. */
tsr_status_t tsr_model_load_from_memory(const void *data, size_t size,
                                        const tsr_model_options_t *options,
                                        tsr_model_t **out_model);
/* NULL is allowed. */
void tsr_model_release(tsr_model_t *model);

/* Signature of the model's first entry ("main"). */
size_t tsr_model_num_inputs(const tsr_model_t *model);
size_t tsr_model_num_outputs(const tsr_model_t *model);
tsr_status_t tsr_model_input_info(const tsr_model_t *model, size_t index,
                                  tsr_tensor_info_t *out_info);
tsr_status_t tsr_model_output_info(const tsr_model_t *model, size_t index,
                                   tsr_tensor_info_t *out_info);
/* Target string recorded by the compiler (e.g. "cpu-x86_64"); owned by the
 * model. */
const char *tsr_model_target(const tsr_model_t *model);

/*===------------------------------------------------------------------===*
 * Sessions
 *===------------------------------------------------------------------===*/

typedef struct tsr_session tsr_session_t;

typedef struct tsr_session_options_t {
  /* Worker threads for kernels that run in parallel; 0 picks the number of
   * cores. */
  int32_t num_threads;
} tsr_session_options_t;

void tsr_session_options_init(tsr_session_options_t *options);

/* The session keeps a reference to `model`, which must outlive it.
 * `options` may be NULL. The caller releases *out_session. */
tsr_status_t tsr_session_create(const tsr_model_t *model,
                                const tsr_session_options_t *options,
                                tsr_session_t **out_session);
/* NULL is allowed. */
void tsr_session_release(tsr_session_t *session);

/* Runs the model's first entry. A session runs one call at a time: a call
 * made while another thread's is under way returns
 * TSR_STATUS_INVALID_ARGUMENT at once (sessions of one model run
 * concurrently; use one per thread). `inputs` are in signature order and checked
 * against it (dtype, rank, static dims, and consistency of named dynamic
 * dims). For each output view: if `data` is NULL, the session fills the view
 * with memory it owns, valid until the next run or release; otherwise the
 * result is copied there, and dtype/rank/shape/byte_size must fit it (the
 * view's dtype, rank and shape are overwritten with the actual ones). */
tsr_status_t tsr_session_run(tsr_session_t *session,
                             const tsr_tensor_view_t *inputs,
                             size_t num_inputs, tsr_tensor_view_t *outputs,
                             size_t num_outputs);

#ifdef __cplusplus
}
#endif

#endif /* TESSERA_RUNTIME_H */
