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
 * inputs (in Entry.inputs order); the slot after the last input holds the
 * tsr_kernel_context_t pointer (itself, not a pointer to it). Code that calls
 * no runtime kernel ignores that slot.
 *
 * A memref descriptor of rank R is 3 + 2R machine words:
 *     { void *allocated; void *aligned; int64_t offset;
 *       int64_t sizes[R]; int64_t strides[R]; }
 * (element i is at aligned + offset + sum(idx[d] * strides[d]), in elements).
 * The results block is the results' descriptors, one after another. Every
 * result is contiguous (identity layout) and owned by the caller, who frees
 * its `allocated` pointer with the context's `free`.
 *
 *===----------------------------------------------------------------------===*/
#ifndef TESSERA_ABI_H
#define TESSERA_ABI_H

#include <stdint.h>

#define TSR_ABI_VERSION 10

#ifdef __cplusplus
extern "C" {
#endif

typedef void (*tsr_entry_fn_t)(void **args);

/*===------------------------------------------------------------------===*
 * Kernels the runtime provides to generated code
 *
 * Generated code reaches them only through this table (no link-time
 * symbols), so model.o and libmodel.so stay free of runtime dependencies
 * and the runtime picks the best implementation for the CPU it runs on.
 *===------------------------------------------------------------------===*/

/* Epilogues applied to C = A·B (+ bias), as tsr's linear epilogue. */
enum {
  TSR_EPILOGUE_NONE = 0,
  TSR_EPILOGUE_GELU = 1,      /* erf form */
  TSR_EPILOGUE_GELU_TANH = 2,
  TSR_EPILOGUE_SILU = 3,
  TSR_EPILOGUE_RELU = 4,
};

/* Width of the column panels of a packed B (TSR_SGEMM_B_PACKED). A packed
 * [K, N] matrix is ceil(N / 16) panels, each K rows of 16 contiguous floats
 * (columns past N zero-filled): element (k, n) is at
 * ((n / 16) * K + k) * 16 + n % 16. */
#define TSR_SGEMM_PANEL_WIDTH 16

/* B layouts. */
enum {
  TSR_SGEMM_B_STRIDED = 0, /* element (k, n) at b[k * b_row_stride + n * b_col_stride] */
  TSR_SGEMM_B_PACKED = 1,  /* panels as above; b_row/col_stride unused */
};

/* Batched single-precision GEMM: for each batch index i,
 *   C_i[m, n] = epilogue(sum_k A_i[m, k] * B_i[k, n] + bias[n])
 * where A_i[m, k] = a[i * a_batch_stride + m * a_row_stride + k * a_col_stride]
 * and C is row-major with c_row_stride (unit column stride). B_i starts at
 * b + i * b_batch_stride in either layout (a packed B_i is
 * tsr_packed_b_size(k, n) floats, see tessera/pack.h); a batch stride of 0
 * shares one operand across the batch. k == 0 gives epilogue(bias or 0).
 * Pointers need only float alignment and strides may be any values (views,
 * transposes); C must not overlap A, B or bias. Every field is 8 bytes, so
 * generated code fills the struct as an array of TSR_SGEMM_ARGS_WORDS
 * words. */
typedef struct tsr_sgemm_args_t {
  const float *a;
  const float *b;
  float *c;
  const float *bias; /* NULL: no bias */
  int64_t batch, m, n, k;
  int64_t a_batch_stride, a_row_stride, a_col_stride;
  int64_t b_batch_stride, b_row_stride, b_col_stride;
  int64_t c_batch_stride, c_row_stride;
  int64_t b_layout; /* TSR_SGEMM_B_* */
  int64_t epilogue; /* TSR_EPILOGUE_* */
} tsr_sgemm_args_t;

#define TSR_SGEMM_ARGS_WORDS 18

/* Scaled dot-product attention over [batch, heads] (tsr.attention):
 *   O[b,h,i,:] = sum_j softmax_j(scale * Q[b,h,i,:]·K[b,h',j,:] + mask[b,h,i,j]
 *                               (-inf where causal hides j)) * V[b,h',j,:]
 * with h' = h / (heads / kv_heads) (grouped-query attention). Q is
 * [batch, heads, s, d], K [batch, kv_heads, t, d], V [batch, kv_heads, t, dv],
 * O [batch, heads, s, dv] (any strides, O's last one 1); the optional
 * additive mask is read at mask[b*ms0 + h*ms1 + i*ms2 + j*ms3], a stride of
 * 0 broadcasting that dim. With causal, query i sees keys j <= i + t - s.
 * With window w > 0 (since ABI version 10; sliding-window attention),
 * query i also sees only keys j > p - w, p = i + t - s its position among
 * the keys (Mistral's sliding window: the last w keys up to p), and
 * without causal only keys with |j - p| < w (a local window on both
 * sides). A row that sees no key, or only -inf scores, gets zeros.
 * Every field is 8 bytes (scale is a double), TSR_ATTENTION_ARGS_WORDS in
 * all. */
typedef struct tsr_attention_args_t {
  const float *q;
  const float *k;
  const float *v;
  float *o;
  const float *mask; /* NULL: no mask */
  int64_t batch, heads, kv_heads, s, t, d, dv;
  int64_t q_strides[4];
  int64_t k_strides[4];
  int64_t v_strides[4];
  int64_t o_strides[4];
  int64_t mask_strides[4];
  double scale;
  int64_t causal;
  int64_t window; /* 0: every key (up to the causal limit) */
} tsr_attention_args_t;

#define TSR_ATTENTION_ARGS_WORDS 35

/* The packed int8 B of tsr_qgemm_args_t: ceil(N / 16) panels of
 * ceil(K / 4) groups, each group 16 columns x 4 consecutive k values (64
 * bytes, column-major within the group: the 4 k values of a column are
 * adjacent, as the u8 x s8 dot-product instructions read them); element
 * (k, n) is at ((n / 16) * ceil(K / 4) + k / 4) * 64 + (n % 16) * 4 + k % 4.
 * Columns past N and k values past K are zero. */
#define TSR_QGEMM_PANEL_WIDTH 16
#define TSR_QGEMM_K_GROUP 4

/* Int8 GEMM (tsr.quantized_linear): for each batch index i,
 *   C_i[m, n] = epilogue(sa[m] * b_scale[n]
 *                        * (sum_k ua[m, k] * qb[k, n] - za * b_sums[n])
 *                        + bias[n])
 * with qb the int8 weights in the packed layout above, shared by the batch,
 * b_scale[n] a per-column scale and b_sums[n] = sum_k qb[k, n]. ua are the
 * activations quantized to unsigned bytes, za their zero point; a_quant says
 * how (all in float arithmetic, rounding half to even):
 *
 * TSR_QGEMM_A_PER_ROW: symmetric int8 per row, computed on every call:
 *   sa[m] = max_k |A_i[m, k]| / 127, ua = clamp(round(A * (1 / sa[m])),
 *   -127, 127) + 128 (a row of zeros, or NaN, gives 128), za = 128.
 * TSR_QGEMM_A_STATIC: the affine quantization of ONNX's QuantizeLinear with
 *   a fixed scale s and zero point z (a_scale, a_zero_point in [0, 255]):
 *   ua = clamp(round(A / s) + z, 0, 255) (NaN gives 0), za = z, sa[m] = 1
 *   (b_scale then holds the product of the activation and weight scales).
 *   An int8 activation with zero point z' is the same bytes with z = z' +
 *   128.
 * TSR_QGEMM_A_DYNAMIC: ONNX's DynamicQuantizeLinear over all of A (every
 *   batch index): lo = min(0, min A), hi = max(0, max A), s = (hi - lo) /
 *   255 (1 when hi == lo), z = round(clamp(-lo / s, 0, 255)), then as
 *   TSR_QGEMM_A_STATIC but with sa[m] = s.
 *
 * With a_smooth (not NULL; K floats), A[m, k] * a_smooth[k] takes A's place
 * in the per-row and static schemes (SmoothQuant's migration of activation
 * outliers into the weights: the compiler scales row k of B by the
 * inverse); the dynamic scheme ignores it.
 *
 * The kernels feed ua to the u8 x s8 dot-product instructions and subtract
 * za * b_sums[n]. A is float32 with any strides; C is row-major with
 * c_row_stride. K must be at most 65536 (the int32 accumulators cannot
 * overflow). Every field is 8 bytes (a_scale and a_zero_point share one),
 * TSR_QGEMM_ARGS_WORDS in all. */
#define TSR_QGEMM_A_PER_ROW 0
#define TSR_QGEMM_A_STATIC 1
#define TSR_QGEMM_A_DYNAMIC 2

typedef struct tsr_qgemm_args_t {
  const float *a;
  const int8_t *b;
  const float *b_scale;
  const int32_t *b_sums;
  float *c;
  const float *bias; /* NULL: no bias */
  int64_t batch, m, n, k;
  int64_t a_batch_stride, a_row_stride, a_col_stride;
  int64_t c_batch_stride, c_row_stride;
  int64_t epilogue; /* TSR_EPILOGUE_* */
  int64_t a_quant;  /* TSR_QGEMM_A_* */
  float a_scale;        /* TSR_QGEMM_A_STATIC */
  int32_t a_zero_point; /* TSR_QGEMM_A_STATIC */
  const float *a_smooth; /* NULL, or K multipliers of A's columns */
} tsr_qgemm_args_t;

#define TSR_QGEMM_ARGS_WORDS 19
#define TSR_QGEMM_MAX_K 65536

/* The packed 4-bit B of tsr_w4gemm_args_t: ceil(N / 16) panels of K / 2
 * rows of 16 bytes; byte j of row r of panel p holds column 16p + j's
 * unsigned 4-bit values at k = 2r (low nibble) and k = 2r + 1 (high
 * nibble): element (k, n) is in byte ((n / 16) * (K / 2) + k / 2) * 16 +
 * n % 16. Columns past N are zero. */
#define TSR_W4GEMM_PANEL_WIDTH 16

/* GEMM with 4-bit weights and f32 activations (tsr.w4_linear): for each
 * batch index i,
 *   C_i[m, n] = epilogue(sum_k A_i[m, k] * w[k, n] + bias[n]),
 *   w[k, n] = q[k, n] * s[g, n] - z[g, n] * s[g, n],  g = k / group,
 * with q the unsigned 4-bit values in the packed layout above, s =
 * b_scale[i] and z = b_zero[i] (8, the symmetric midpoint, when b_zero is
 * NULL) per group of `group` consecutive k values of a column, panel-major
 * as the weights, so that a tile reads them in order: i = ((n / 16) * (K /
 * group) + g) * 16 + n % 16 (zero past N). The group parameters are f32,
 * or IEEE half precision when params_f16 is 1 (since ABI version 8: half
 * the bytes per group, what 4-bit exports carry), widened exactly to f32.
 * The weights are dequantized in registers (each w one fused
 * multiply-subtract) and the sum runs over k in order in f32 fused
 * multiply-adds, the same on every ISA. K must be a multiple of `group`,
 * and `group` even. Every field is 8 bytes, TSR_W4GEMM_ARGS_WORDS in all. */
typedef struct tsr_w4gemm_args_t {
  const float *a;
  const uint8_t *b;
  const void *b_scale; /* float, or uint16_t halves with params_f16 */
  const void *b_zero;  /* likewise; NULL: 8 */
  float *c;
  const float *bias; /* NULL: no bias */
  int64_t batch, m, n, k, group;
  int64_t a_batch_stride, a_row_stride, a_col_stride;
  int64_t c_batch_stride, c_row_stride;
  int64_t epilogue; /* TSR_EPILOGUE_* */
  int64_t params_f16;
} tsr_w4gemm_args_t;

#define TSR_W4GEMM_ARGS_WORDS 18

/* The packed bf16 B of tsr_bgemm_args_t: ceil(N / 16) panels of ceil(K / 2)
 * rows, each row 16 columns x 2 consecutive k values (64 bytes; the two k
 * values of a column adjacent, as the bf16 pair dot-product instructions
 * and the AMX tiles read them): element (k, n) is at ((n / 16) * ceil(K /
 * 2) + k / 2) * 32 + (n % 16) * 2 + k % 2, in bf16 elements (the high 16
 * bits of the f32, rounded to nearest even). Columns past N and the k
 * value past an odd K are zero. */
#define TSR_BGEMM_PANEL_WIDTH 16
#define TSR_BGEMM_K_GROUP 2

/* GEMM with bf16 weights (tsr.bf16_linear): for each batch index i,
 *   C_i[m, n] = epilogue(sum_k bf16(A_i[m, k]) * B[k, n] + bias[n])
 * with B the bf16 weights in the packed layout above, shared by the batch,
 * and bf16(x) x rounded to bf16 (to nearest even; NaN stays NaN, and a
 * kernel may flush denormals to zero). The products of two bf16 values are
 * exact in f32 and the sum accumulates in f32 (its order differs between
 * ISAs). A is float32 with any strides; C is row-major with c_row_stride.
 * K must be at most TSR_BGEMM_MAX_K. Every field is 8 bytes,
 * TSR_BGEMM_ARGS_WORDS in all. */
typedef struct tsr_bgemm_args_t {
  const float *a;
  const uint16_t *b;
  float *c;
  const float *bias; /* NULL: no bias */
  int64_t batch, m, n, k;
  int64_t a_batch_stride, a_row_stride, a_col_stride;
  int64_t c_batch_stride, c_row_stride;
  int64_t epilogue; /* TSR_EPILOGUE_* */
} tsr_bgemm_args_t;

#define TSR_BGEMM_ARGS_WORDS 14
#define TSR_BGEMM_MAX_K 16384

/* Sparse f32 weights (tsr.sparse_linear), in one of two formats. Both
 * describe B, the [K, N] weight of C = A * B, by its nonzeros only:
 *
 * TSR_SPGEMM_BLOCK16: B cut into 16 x 16 blocks (k block kb: rows 16 kb ..
 *   16 kb + 15; panel p: columns 16 p .. 16 p + 15), of which only the
 *   blocks holding a nonzero are stored. Panel p's blocks are j = offsets[p]
 *   .. offsets[p + 1] - 1 (ceil(N / 16) + 1 offsets), in increasing kb =
 *   indices[j]; block j's 256 floats are values[256 j ..], element (k, n)
 *   at values[256 j + (k % 16) * 16 + n % 16]. Rows past K and columns past
 *   N are zero.
 * TSR_SPGEMM_CSR: column by column (compressed sparse columns of B, i.e.
 *   rows of the [N, K] weight): column n's nonzeros are j = offsets[n] ..
 *   offsets[n + 1] - 1 (N + 1 offsets), B[indices[j], n] = values[j], in
 *   increasing k. Unstructured and N:M (2:4) sparsity use it.
 */
#define TSR_SPGEMM_BLOCK16 0
#define TSR_SPGEMM_CSR 1
#define TSR_SPGEMM_BLOCK 16

/* GEMM with sparse f32 weights (tsr.sparse_linear): for each batch index i,
 *   C_i[m, n] = epilogue(sum_k A_i[m, k] * B[k, n] + bias[n])
 * with B, shared by the batch, in `format`. Only the stored elements are
 * multiplied; the sum runs in f32 fused multiply-adds in a kernel-chosen
 * order, so the result equals the dense GEMM's on the same weights up to
 * float summation order. A is float32 with any strides; C is row-major
 * with c_row_stride. K must be at most TSR_SPGEMM_MAX_K. Every field is 8
 * bytes, TSR_SPGEMM_ARGS_WORDS in all. */
typedef struct tsr_spgemm_args_t {
  const float *a;
  const float *values;
  const int32_t *indices;
  const int32_t *offsets;
  float *c;
  const float *bias; /* NULL: no bias */
  int64_t batch, m, n, k;
  int64_t a_batch_stride, a_row_stride, a_col_stride;
  int64_t c_batch_stride, c_row_stride;
  int64_t epilogue; /* TSR_EPILOGUE_* */
  int64_t format;   /* TSR_SPGEMM_* */
} tsr_spgemm_args_t;

#define TSR_SPGEMM_ARGS_WORDS 17
#define TSR_SPGEMM_MAX_K (1 << 30)

/* Runs fn(task_arg, begin, end) over [0, n) in chunks on the session's
 * threads; returns when all chunks are done. */
typedef void (*tsr_parallel_task_fn_t)(void *task_arg, int64_t begin,
                                       int64_t end);

typedef struct tsr_kernel_context_t {
  uint32_t abi_version; /* TSR_ABI_VERSION */
  uint32_t num_threads;
  void *runtime;        /* opaque; the first argument of every function */
  void (*sgemm)(void *runtime, const tsr_sgemm_args_t *args);
  void (*parallel_for)(void *runtime, int64_t n, tsr_parallel_task_fn_t fn,
                       void *task_arg);
  /* The allocator of every buffer generated code allocates, results
   * included: 64-byte aligned, reused across runs of the session (so steady
   * state makes no system calls and takes no page faults). NULL when out of
   * memory. */
  void *(*alloc)(void *runtime, int64_t bytes);
  void (*free)(void *runtime, void *ptr);
  void (*attention)(void *runtime, const tsr_attention_args_t *args);
  /* Since ABI version 4. */
  void (*qgemm)(void *runtime, const tsr_qgemm_args_t *args);
  /* Since ABI version 5. */
  void (*w4gemm)(void *runtime, const tsr_w4gemm_args_t *args);
  /* Since ABI version 7. */
  void (*bgemm)(void *runtime, const tsr_bgemm_args_t *args);
  /* Since ABI version 9. Reports an index out of [-bound, bound) (a token
   * id past the vocabulary): `what` names the node and the input (a string
   * of the generated code). The run goes on, with the index clamped so
   * that memory stays in bounds, and then fails with the first such
   * report's message instead of returning results. */
  void (*index_error)(void *runtime, const char *what, int64_t value,
                      int64_t bound);
  /* Since ABI version 10. */
  void (*spgemm)(void *runtime, const tsr_spgemm_args_t *args);
} tsr_kernel_context_t;

/* Number of int64 words in the descriptor of a rank-`rank` memref. */
#define TSR_MEMREF_DESCRIPTOR_WORDS(rank) (3 + 2 * (rank))

#ifdef __cplusplus
}
#endif

#endif /* TESSERA_ABI_H */
